// Package gormstoretest gives tests a fresh database of their own: an SQLite
// file in the test's temporary directory, or a new Postgres database created
// from TEST_DATABASE_URL and dropped when the test ends. Tests that use it
// can run in parallel.
package gormstoretest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/craevidence/scim-provisioning/services/provisioning/internal/adapters/gormstore"
)

// EnvDatabaseURL names the variable that points the tests at a Postgres
// server whose user may create databases.
const EnvDatabaseURL = "TEST_DATABASE_URL"

// SQLiteURL returns the URL of a new, empty SQLite database file in the
// test's temporary directory.
func SQLiteURL(t testing.TB) string {
	t.Helper()
	return "sqlite://" + filepath.Join(t.TempDir(), "provisioning.db")
}

// NewSQLite opens a migrated store on a new SQLite database and closes it
// when the test ends.
func NewSQLite(t testing.TB) *gormstore.Store {
	t.Helper()
	return Open(t, SQLiteURL(t))
}

// PostgresURL creates a new, empty database on the server of
// TEST_DATABASE_URL and returns its URL; the database is dropped when the
// test ends. Without TEST_DATABASE_URL the test is skipped, except under CI
// (CI=true), where a missing database is a failure.
func PostgresURL(t testing.TB) string {
	t.Helper()
	adminURL := os.Getenv(EnvDatabaseURL)
	if adminURL == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is unset; CI must run the Postgres tests", EnvDatabaseURL)
		}
		t.Skipf("Postgres tests skipped: set %s, e.g. "+
			"postgres://postgres@127.0.0.1:5432/test?sslmode=disable", EnvDatabaseURL)
	}
	u, err := url.Parse(adminURL)
	if err != nil {
		t.Fatalf("parse %s: %v", EnvDatabaseURL, err)
	}

	var b [8]byte
	_, _ = rand.Read(b[:])
	name := "gormstore_" + hex.EncodeToString(b[:])

	// The name is made here of hex digits only, so quoting it is enough.
	exec(t, adminURL, `CREATE DATABASE "`+name+`"`)
	t.Cleanup(func() {
		exec(t, adminURL, `DROP DATABASE IF EXISTS "`+name+`" WITH (FORCE)`)
	})

	u.Path = "/" + name
	return u.String()
}

// NewPostgres opens a migrated store on a new Postgres database, see
// [PostgresURL], and closes it when the test ends.
func NewPostgres(t testing.TB) *gormstore.Store {
	t.Helper()
	return Open(t, PostgresURL(t))
}

// Open opens a migrated store on databaseURL and closes it when the test
// ends.
func Open(t testing.TB, databaseURL string) *gormstore.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := gormstore.Open(ctx, gormstore.Options{DatabaseURL: databaseURL})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	return s
}

func exec(t testing.TB, databaseURL, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, databaseURL)
	if err != nil {
		t.Fatalf("connect to %s: %v", EnvDatabaseURL, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}
