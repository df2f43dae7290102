// Package gormstore stores organisations, SCIM clients, members, groups and
// provisioning events with gorm, on Postgres in production and on an
// embedded, pure-Go SQLite database by default. [*Store] implements
// [ports.Store].
package gormstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/craevidence/scim-provisioning/services/provisioning/internal/ports"
)

// Options configures [Open].
type Options struct {
	// DatabaseURL is a postgres:// or postgresql:// URL, or an SQLite
	// database: a file path, "sqlite://path", "file:path" or ":memory:".
	// Empty means ":memory:".
	DatabaseURL string
	// Logger receives the store's lifecycle events; nil discards them.
	Logger *slog.Logger
	// MaxOpenConns bounds the Postgres pool, and the SQLite read pool.
	// Zero means 10.
	MaxOpenConns int
	// BusyTimeout is how long an SQLite statement waits for a lock held by
	// another process before failing. Zero means 5 seconds.
	BusyTimeout time.Duration
	// SkipMigrations opens the database without bringing its schema up to
	// date, for tools that only read.
	SkipMigrations bool
}

// dialect names the database behind a store, where SQL differs.
type dialect int

const (
	dialectSQLite dialect = iota
	dialectPostgres
)

func (d dialect) String() string {
	if d == dialectPostgres {
		return "postgres"
	}
	return "sqlite"
}

// Store is the gorm-backed database of the provisioning core. It is safe for
// concurrent use.
type Store struct {
	repos
	log     *slog.Logger
	writeDB *gorm.DB
	readDB  *gorm.DB
}

var _ ports.Store = (*Store)(nil)

// Open connects to the database named by opts.DatabaseURL and, unless
// opts.SkipMigrations is set, applies the migrations it lacks.
func Open(ctx context.Context, opts Options) (*Store, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.MaxOpenConns <= 0 {
		opts.MaxOpenConns = 10
	}
	if opts.BusyTimeout <= 0 {
		opts.BusyTimeout = 5 * time.Second
	}

	var (
		s   *Store
		err error
	)
	if isPostgresURL(opts.DatabaseURL) {
		s, err = openPostgres(opts)
	} else {
		s, err = openSQLite(opts)
	}
	if err != nil {
		return nil, err
	}
	s.log = log

	if err := s.Ping(ctx); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	if !opts.SkipMigrations {
		if err := s.Migrate(ctx); err != nil {
			_ = s.Close()
			return nil, err
		}
	}
	log.Info("database opened", "dialect", s.dialect.String())
	return s, nil
}

func isPostgresURL(u string) bool {
	return strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://")
}

func gormConfig() *gorm.Config {
	return &gorm.Config{
		// Queries are logged by the callers with their ids; gorm's own log
		// would print SQL with values, which may hold personal data.
		Logger:                 logger.Discard,
		SkipDefaultTransaction: true,
		PrepareStmt:            false,
	}
}

func openPostgres(opts Options) (*Store, error) {
	db, err := gorm.Open(postgres.Open(opts.DatabaseURL), gormConfig())
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	// Postgres handles concurrent writers itself; the pool only needs to
	// stay below the server's connection limit and recycle connections so
	// that a failover or a load balancer is noticed.
	sqlDB.SetMaxOpenConns(opts.MaxOpenConns)
	sqlDB.SetMaxIdleConns(opts.MaxOpenConns)
	sqlDB.SetConnMaxLifetime(30 * time.Minute)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)

	return &Store{
		repos:   repos{db: db, read: db, dialect: dialectPostgres},
		writeDB: db,
		readDB:  db,
	}, nil
}

// openSQLite opens two pools on one SQLite file. SQLite allows one writer at
// a time and answers a second one with "database is locked" once the busy
// timeout runs out, which an identity provider would see as a failed request.
// The write pool therefore holds exactly one connection: writers queue in
// database/sql, in Go, for as long as their context allows, and every
// transaction starts IMMEDIATE so that it never has to upgrade a read lock.
// Reads outside a transaction use a separate pool of query-only connections,
// which WAL mode lets run alongside the writer. An in-memory database exists
// per connection, so it gets the single write pool for everything.
func openSQLite(opts Options) (*Store, error) {
	path, memory := sqlitePath(opts.DatabaseURL)
	busy := opts.BusyTimeout.Milliseconds()

	writeDSN := sqliteDSN(path, busy, false)
	writeDB, err := gorm.Open(sqlite.Open(writeDSN), gormConfig())
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	writeSQL, err := writeDB.DB()
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	writeSQL.SetMaxOpenConns(1)
	writeSQL.SetMaxIdleConns(1)
	writeSQL.SetConnMaxLifetime(0)
	writeSQL.SetConnMaxIdleTime(0)

	readDB := writeDB
	if !memory {
		readDB, err = gorm.Open(sqlite.Open(sqliteDSN(path, busy, true)), gormConfig())
		if err != nil {
			_ = writeSQL.Close()
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		readSQL, err := readDB.DB()
		if err != nil {
			_ = writeSQL.Close()
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		readSQL.SetMaxOpenConns(opts.MaxOpenConns)
		readSQL.SetMaxIdleConns(opts.MaxOpenConns)
	}

	return &Store{
		repos:   repos{db: writeDB, read: readDB, dialect: dialectSQLite},
		writeDB: writeDB,
		readDB:  readDB,
	}, nil
}

// sqlitePath strips the scheme from an SQLite database URL and reports
// whether it names an in-memory database.
func sqlitePath(databaseURL string) (path string, memory bool) {
	path = databaseURL
	for _, prefix := range []string{"sqlite://", "sqlite:", "file:"} {
		if strings.HasPrefix(path, prefix) {
			path = strings.TrimPrefix(path, prefix)
			break
		}
	}
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	if path == "" || path == ":memory:" {
		return ":memory:", true
	}
	return path, false
}

func sqliteDSN(path string, busyMillis int64, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyMillis))
	q.Add("_pragma", "foreign_keys(1)")
	// LIKE must be case-sensitive so that co, sw and ew on case-exact
	// attributes (externalId, id) mean what they say; case-insensitive
	// attributes are compared on lowercased key columns instead.
	q.Add("_pragma", "case_sensitive_like(1)")
	if path != ":memory:" {
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(NORMAL)")
	}
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Set("_txlock", "immediate")
	}
	return "file:" + path + "?" + q.Encode()
}

// Transaction runs fn with repositories bound to one transaction, which it
// commits when fn returns nil. Inside fn, use only tx: on SQLite, a write
// through the Store itself would wait for the transaction's own connection.
func (s *Store) Transaction(ctx context.Context, fn func(tx ports.Repositories) error) error {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return fn(repos{db: tx, read: tx, dialect: s.dialect, inTx: true})
	})
	if err == nil {
		return nil
	}
	return storeError("transaction", err)
}

// Ping reports whether the database answers. It uses the read pool, so that
// on SQLite a readiness check does not queue behind a long write.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.readDB.DB()
	if err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

// Close releases the database connections.
func (s *Store) Close() error {
	var errs []error
	if s.readDB != s.writeDB {
		if sqlDB, err := s.readDB.DB(); err == nil {
			errs = append(errs, sqlDB.Close())
		}
	}
	if sqlDB, err := s.writeDB.DB(); err == nil {
		errs = append(errs, sqlDB.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close database: %w", err)
	}
	return nil
}

// Dialect names the database behind the store: "postgres" or "sqlite".
func (s *Store) Dialect() string { return s.dialect.String() }

// repos implements ports.Repositories on one gorm handle: the pools of a
// Store, or one transaction.
type repos struct {
	// db takes writes, and every read inside a transaction.
	db *gorm.DB
	// read takes reads outside a transaction.
	read    *gorm.DB
	dialect dialect
	inTx    bool
}

// Organizations returns the organisation registry.
func (r repos) Organizations() ports.OrganizationRegistry { return organizations{r} }

// Clients returns the SCIM client registry.
func (r repos) Clients() ports.ClientRegistry { return clients{r} }

// Directory returns the user directory.
func (r repos) Directory() ports.UserDirectory { return directory{r} }

// Audit returns the provisioning log.
func (r repos) Audit() ports.AuditStore { return audit{r} }

// writeTx runs fn in a transaction on the write handle, or in the caller's
// transaction when there is one.
func (r repos) writeTx(ctx context.Context, fn func(tx repos) error) error {
	if r.inTx {
		return fn(r)
	}
	return r.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return fn(repos{db: tx, read: tx, dialect: r.dialect, inTx: true})
	})
}

// forUpdate is the locking clause of a read that precedes a write. SQLite
// has none: its single writing connection already serialises the change.
func (r repos) forUpdate() string {
	if r.dialect == dialectPostgres {
		return " FOR UPDATE"
	}
	return ""
}

// DB returns the gorm handle that takes writes, for tools and tests that
// inspect the database directly.
func (s *Store) DB() *gorm.DB { return s.writeDB }
