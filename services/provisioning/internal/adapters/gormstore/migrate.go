package gormstore

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// migration is one versioned change of the schema, written for each
// dialect because the two databases differ in types and collations.
type migration struct {
	version  int
	name     string
	postgres []string
	sqlite   []string
	// backfill, when set, runs after the statements in the same
	// transaction, for data changes that SQL alone cannot make alike on both
	// databases.
	backfill func(tx *gorm.DB) error
}

// migrations are applied in order and never edited once released: a schema
// change is a new entry at the end.
//
// On Postgres, text that is compared or sorted uses the "C" collation so that
// range filters, sortBy and LIKE prefixes give the same answers as on SQLite,
// whose comparison is bytewise, and so that LIKE 'x%' can use an index.
// Case-insensitive SCIM attributes are compared on *_key columns that hold
// the value lowercased by Go, identical on both databases for any script.
var migrations = []migration{
	{
		version: 1,
		name:    "initial schema",
		postgres: []string{
			`CREATE TABLE organizations (
				id TEXT COLLATE "C" PRIMARY KEY,
				name TEXT NOT NULL,
				plan TEXT NOT NULL,
				created_at TIMESTAMPTZ NOT NULL,
				updated_at TIMESTAMPTZ NOT NULL
			)`,
			`CREATE TABLE scim_clients (
				id TEXT COLLATE "C" PRIMARY KEY,
				organization_id TEXT COLLATE "C" NOT NULL REFERENCES organizations (id),
				name TEXT NOT NULL,
				sso_connection_id TEXT NOT NULL DEFAULT '',
				default_role TEXT NOT NULL,
				auto_activate BOOLEAN NOT NULL,
				sync_attributes BOOLEAN NOT NULL,
				allow_deletion BOOLEAN NOT NULL,
				enabled BOOLEAN NOT NULL,
				token_hash TEXT COLLATE "C" NOT NULL,
				token_prefix TEXT NOT NULL DEFAULT '',
				token_rotated_at TIMESTAMPTZ,
				created_at TIMESTAMPTZ NOT NULL,
				updated_at TIMESTAMPTZ NOT NULL,
				CONSTRAINT scim_clients_token_hash_key UNIQUE (token_hash)
			)`,
			`CREATE INDEX scim_clients_organization_idx
				ON scim_clients (organization_id, created_at, id)`,
			`CREATE TABLE members (
				id TEXT COLLATE "C" PRIMARY KEY,
				organization_id TEXT COLLATE "C" NOT NULL REFERENCES organizations (id),
				user_name TEXT COLLATE "C" NOT NULL,
				user_name_key TEXT COLLATE "C" NOT NULL,
				external_id TEXT COLLATE "C" NOT NULL DEFAULT '',
				display_name TEXT COLLATE "C" NOT NULL DEFAULT '',
				display_name_key TEXT COLLATE "C" NOT NULL DEFAULT '',
				given_name TEXT COLLATE "C" NOT NULL DEFAULT '',
				given_name_key TEXT COLLATE "C" NOT NULL DEFAULT '',
				family_name TEXT COLLATE "C" NOT NULL DEFAULT '',
				family_name_key TEXT COLLATE "C" NOT NULL DEFAULT '',
				primary_email TEXT COLLATE "C" NOT NULL DEFAULT '',
				status TEXT NOT NULL,
				role TEXT NOT NULL,
				scim_active BOOLEAN NOT NULL,
				client_id TEXT COLLATE "C" REFERENCES scim_clients (id) ON DELETE SET NULL,
				approved BOOLEAN NOT NULL,
				version BIGINT NOT NULL,
				created_at TIMESTAMPTZ NOT NULL,
				updated_at TIMESTAMPTZ NOT NULL,
				deactivated_at TIMESTAMPTZ,
				profile TEXT NOT NULL,
				CONSTRAINT members_user_name_key_key UNIQUE (organization_id, user_name_key)
			)`,
			`CREATE INDEX members_organization_created_idx
				ON members (organization_id, created_at, id)`,
			`CREATE INDEX members_client_idx
				ON members (organization_id, client_id, created_at, id)`,
			`CREATE INDEX members_external_id_idx ON members (organization_id, external_id)`,
			`CREATE TABLE member_emails (
				member_id TEXT COLLATE "C" NOT NULL REFERENCES members (id) ON DELETE CASCADE,
				position INTEGER NOT NULL,
				organization_id TEXT COLLATE "C" NOT NULL,
				value TEXT NOT NULL,
				value_key TEXT COLLATE "C" NOT NULL,
				type_key TEXT COLLATE "C" NOT NULL DEFAULT '',
				is_primary BOOLEAN NOT NULL,
				PRIMARY KEY (member_id, position)
			)`,
			`CREATE INDEX member_emails_value_idx ON member_emails (organization_id, value_key)`,
			`CREATE TABLE groups (
				id TEXT COLLATE "C" PRIMARY KEY,
				organization_id TEXT COLLATE "C" NOT NULL REFERENCES organizations (id),
				display_name TEXT COLLATE "C" NOT NULL,
				display_name_key TEXT COLLATE "C" NOT NULL,
				external_id TEXT COLLATE "C" NOT NULL DEFAULT '',
				client_id TEXT COLLATE "C" REFERENCES scim_clients (id) ON DELETE SET NULL,
				version BIGINT NOT NULL,
				created_at TIMESTAMPTZ NOT NULL,
				updated_at TIMESTAMPTZ NOT NULL,
				CONSTRAINT groups_display_name_key_key UNIQUE (organization_id, display_name_key)
			)`,
			`CREATE INDEX groups_organization_created_idx ON groups (organization_id, created_at, id)`,
			`CREATE TABLE group_members (
				group_id TEXT COLLATE "C" NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
				member_id TEXT COLLATE "C" NOT NULL REFERENCES members (id) ON DELETE CASCADE,
				organization_id TEXT COLLATE "C" NOT NULL,
				PRIMARY KEY (group_id, member_id)
			)`,
			`CREATE INDEX group_members_member_idx ON group_members (member_id)`,
			`CREATE TABLE provisioning_events (
				id TEXT COLLATE "C" PRIMARY KEY,
				organization_id TEXT COLLATE "C" NOT NULL,
				client_id TEXT COLLATE "C" NOT NULL DEFAULT '',
				operation TEXT COLLATE "C" NOT NULL,
				outcome TEXT COLLATE "C" NOT NULL,
				member_id TEXT COLLATE "C" NOT NULL DEFAULT '',
				group_id TEXT COLLATE "C" NOT NULL DEFAULT '',
				actor TEXT NOT NULL DEFAULT '',
				request_id TEXT NOT NULL DEFAULT '',
				changed_attributes TEXT NOT NULL DEFAULT '[]',
				error_code TEXT NOT NULL DEFAULT '',
				error_detail TEXT NOT NULL DEFAULT '',
				occurred_at TIMESTAMPTZ NOT NULL
			)`,
			`CREATE INDEX provisioning_events_organization_idx
				ON provisioning_events (organization_id, occurred_at, id)`,
			`CREATE INDEX provisioning_events_client_idx
				ON provisioning_events (organization_id, client_id, occurred_at, id)`,
			`CREATE INDEX provisioning_events_member_idx
				ON provisioning_events (organization_id, member_id, occurred_at, id)`,
			`CREATE INDEX provisioning_events_occurred_idx ON provisioning_events (occurred_at)`,
		},
		sqlite: []string{
			`CREATE TABLE organizations (
				id TEXT PRIMARY KEY,
				name TEXT NOT NULL,
				plan TEXT NOT NULL,
				created_at DATETIME NOT NULL,
				updated_at DATETIME NOT NULL
			)`,
			`CREATE TABLE scim_clients (
				id TEXT PRIMARY KEY,
				organization_id TEXT NOT NULL REFERENCES organizations (id),
				name TEXT NOT NULL,
				sso_connection_id TEXT NOT NULL DEFAULT '',
				default_role TEXT NOT NULL,
				auto_activate BOOLEAN NOT NULL,
				sync_attributes BOOLEAN NOT NULL,
				allow_deletion BOOLEAN NOT NULL,
				enabled BOOLEAN NOT NULL,
				token_hash TEXT NOT NULL,
				token_prefix TEXT NOT NULL DEFAULT '',
				token_rotated_at DATETIME,
				created_at DATETIME NOT NULL,
				updated_at DATETIME NOT NULL,
				CONSTRAINT scim_clients_token_hash_key UNIQUE (token_hash)
			)`,
			`CREATE INDEX scim_clients_organization_idx
				ON scim_clients (organization_id, created_at, id)`,
			`CREATE TABLE members (
				id TEXT PRIMARY KEY,
				organization_id TEXT NOT NULL REFERENCES organizations (id),
				user_name TEXT NOT NULL,
				user_name_key TEXT NOT NULL,
				external_id TEXT NOT NULL DEFAULT '',
				display_name TEXT NOT NULL DEFAULT '',
				display_name_key TEXT NOT NULL DEFAULT '',
				given_name TEXT NOT NULL DEFAULT '',
				given_name_key TEXT NOT NULL DEFAULT '',
				family_name TEXT NOT NULL DEFAULT '',
				family_name_key TEXT NOT NULL DEFAULT '',
				primary_email TEXT NOT NULL DEFAULT '',
				status TEXT NOT NULL,
				role TEXT NOT NULL,
				scim_active BOOLEAN NOT NULL,
				client_id TEXT REFERENCES scim_clients (id) ON DELETE SET NULL,
				approved BOOLEAN NOT NULL,
				version INTEGER NOT NULL,
				created_at DATETIME NOT NULL,
				updated_at DATETIME NOT NULL,
				deactivated_at DATETIME,
				profile TEXT NOT NULL,
				CONSTRAINT members_user_name_key_key UNIQUE (organization_id, user_name_key)
			)`,
			`CREATE INDEX members_organization_created_idx
				ON members (organization_id, created_at, id)`,
			`CREATE INDEX members_client_idx
				ON members (organization_id, client_id, created_at, id)`,
			`CREATE INDEX members_external_id_idx ON members (organization_id, external_id)`,
			`CREATE TABLE member_emails (
				member_id TEXT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
				position INTEGER NOT NULL,
				organization_id TEXT NOT NULL,
				value TEXT NOT NULL,
				value_key TEXT NOT NULL,
				type_key TEXT NOT NULL DEFAULT '',
				is_primary BOOLEAN NOT NULL,
				PRIMARY KEY (member_id, position)
			)`,
			`CREATE INDEX member_emails_value_idx ON member_emails (organization_id, value_key)`,
			`CREATE TABLE groups (
				id TEXT PRIMARY KEY,
				organization_id TEXT NOT NULL REFERENCES organizations (id),
				display_name TEXT NOT NULL,
				display_name_key TEXT NOT NULL,
				external_id TEXT NOT NULL DEFAULT '',
				client_id TEXT REFERENCES scim_clients (id) ON DELETE SET NULL,
				version INTEGER NOT NULL,
				created_at DATETIME NOT NULL,
				updated_at DATETIME NOT NULL,
				CONSTRAINT groups_display_name_key_key UNIQUE (organization_id, display_name_key)
			)`,
			`CREATE INDEX groups_organization_created_idx ON groups (organization_id, created_at, id)`,
			`CREATE TABLE group_members (
				group_id TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
				member_id TEXT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
				organization_id TEXT NOT NULL,
				PRIMARY KEY (group_id, member_id)
			) WITHOUT ROWID`,
			`CREATE INDEX group_members_member_idx ON group_members (member_id)`,
			`CREATE TABLE provisioning_events (
				id TEXT PRIMARY KEY,
				organization_id TEXT NOT NULL,
				client_id TEXT NOT NULL DEFAULT '',
				operation TEXT NOT NULL,
				outcome TEXT NOT NULL,
				member_id TEXT NOT NULL DEFAULT '',
				group_id TEXT NOT NULL DEFAULT '',
				actor TEXT NOT NULL DEFAULT '',
				request_id TEXT NOT NULL DEFAULT '',
				changed_attributes TEXT NOT NULL DEFAULT '[]',
				error_code TEXT NOT NULL DEFAULT '',
				error_detail TEXT NOT NULL DEFAULT '',
				occurred_at DATETIME NOT NULL
			)`,
			`CREATE INDEX provisioning_events_organization_idx
				ON provisioning_events (organization_id, occurred_at, id)`,
			`CREATE INDEX provisioning_events_client_idx
				ON provisioning_events (organization_id, client_id, occurred_at, id)`,
			`CREATE INDEX provisioning_events_member_idx
				ON provisioning_events (organization_id, member_id, occurred_at, id)`,
			`CREATE INDEX provisioning_events_occurred_idx ON provisioning_events (occurred_at)`,
		},
	},
	{
		version: 2,
		name:    "profile search key",
		// profile_key holds the member's profile JSON with every string
		// lowercased by Go, for filters on attributes that SCIM compares
		// case-insensitively (see encodeProfile). The backfill also rewrites
		// profiles stored with Go field names into the SCIM names the filters
		// use.
		postgres: []string{
			`ALTER TABLE members ADD COLUMN profile_key TEXT NOT NULL DEFAULT '{}'`,
		},
		sqlite: []string{
			`ALTER TABLE members ADD COLUMN profile_key TEXT NOT NULL DEFAULT '{}'`,
		},
		backfill: reencodeProfiles,
	},
	{
		version: 3,
		name:    "identity provider and compatibility rules of events",
		// Statistics count rules over event_compatibility_rules with GROUP
		// BY, so no request updates a counter row (see DESIGN.md). The
		// rule rows repeat the event's organisation, client and time, for
		// the statistics index and for retention.
		postgres: []string{
			`ALTER TABLE provisioning_events
				ADD COLUMN identity_provider TEXT COLLATE "C" NOT NULL DEFAULT ''`,
			`ALTER TABLE provisioning_events
				ADD COLUMN compatibility_rules TEXT NOT NULL DEFAULT '[]'`,
			`CREATE TABLE event_compatibility_rules (
				event_id TEXT COLLATE "C" NOT NULL,
				organization_id TEXT COLLATE "C" NOT NULL,
				client_id TEXT COLLATE "C" NOT NULL DEFAULT '',
				rule TEXT COLLATE "C" NOT NULL,
				occurred_at TIMESTAMPTZ NOT NULL,
				PRIMARY KEY (event_id, rule)
			)`,
			`CREATE INDEX event_compatibility_rules_client_idx
				ON event_compatibility_rules (organization_id, client_id, rule)`,
			`CREATE INDEX event_compatibility_rules_occurred_idx
				ON event_compatibility_rules (occurred_at)`,
		},
		sqlite: []string{
			`ALTER TABLE provisioning_events
				ADD COLUMN identity_provider TEXT NOT NULL DEFAULT ''`,
			`ALTER TABLE provisioning_events
				ADD COLUMN compatibility_rules TEXT NOT NULL DEFAULT '[]'`,
			`CREATE TABLE event_compatibility_rules (
				event_id TEXT NOT NULL,
				organization_id TEXT NOT NULL,
				client_id TEXT NOT NULL DEFAULT '',
				rule TEXT NOT NULL,
				occurred_at DATETIME NOT NULL,
				PRIMARY KEY (event_id, rule)
			) WITHOUT ROWID`,
			`CREATE INDEX event_compatibility_rules_client_idx
				ON event_compatibility_rules (organization_id, client_id, rule)`,
			`CREATE INDEX event_compatibility_rules_occurred_idx
				ON event_compatibility_rules (occurred_at)`,
		},
	},
	eventChainMigration,
	eventSourceGuardMigration,
	adminDeactivationMigration,
}

// reencodeProfiles rewrites every member's profile and search key in the
// current JSON form, a batch of members at a time in id order.
func reencodeProfiles(tx *gorm.DB) error {
	type stored struct {
		ID      string `gorm:"column:id"`
		Profile string `gorm:"column:profile"`
	}
	after := ""
	for {
		var rows []stored
		err := tx.Raw("SELECT id, profile FROM members WHERE id > ? ORDER BY id LIMIT 500", after).
			Scan(&rows).Error
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		for _, row := range rows {
			p, err := decodeProfile(row.Profile)
			if err != nil {
				return fmt.Errorf("decode profile of member %s: %w", row.ID, err)
			}
			profile, key, err := encodeProfile(p)
			if err != nil {
				return err
			}
			err = tx.Exec("UPDATE members SET profile = ?, profile_key = ? WHERE id = ?",
				profile, key, row.ID).Error
			if err != nil {
				return err
			}
		}
		after = rows[len(rows)-1].ID
	}
}

// SchemaVersion is the version the migrations of this build bring a
// database to.
func SchemaVersion() int { return migrations[len(migrations)-1].version }

// Migrate applies the migrations the database lacks, in one transaction,
// and records each in schema_migrations. Two processes migrating at once
// are serialised: by an advisory lock on Postgres, and by the immediate
// transaction, which takes SQLite's write lock at once.
func (s *Store) Migrate(ctx context.Context) error {
	applied := 0
	err := s.writeDB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if s.dialect == dialectPostgres {
			// The key is arbitrary and fixed; advisory locks are per database.
			if err := tx.Exec("SELECT pg_advisory_xact_lock(7314019)").Error; err != nil {
				return err
			}
		}
		if err := tx.Exec(createSchemaMigrations(s.dialect)).Error; err != nil {
			return err
		}

		var current int
		row := tx.Raw("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Row()
		if err := row.Scan(&current); err != nil {
			return err
		}

		for _, m := range migrations {
			if m.version <= current {
				continue
			}
			statements := m.sqlite
			if s.dialect == dialectPostgres {
				statements = m.postgres
			}
			for _, stmt := range statements {
				if err := tx.Exec(stmt).Error; err != nil {
					return fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
				}
			}
			if m.backfill != nil {
				if err := m.backfill(tx); err != nil {
					return fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
				}
			}
			err := tx.Exec(
				"INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
				m.version, m.name, newDBTime(time.Now()),
			).Error
			if err != nil {
				return err
			}
			applied++
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("migrate database: %w", err)
	}
	if applied > 0 && s.log != nil {
		s.log.Info("database migrated", "applied", applied, "version", SchemaVersion())
	}
	return nil
}

func createSchemaMigrations(d dialect) string {
	timeType := "DATETIME"
	if d == dialectPostgres {
		timeType = "TIMESTAMPTZ"
	}
	return `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY,
		name TEXT NOT NULL,
		applied_at ` + timeType + ` NOT NULL
	)`
}
