package gormstore_test

import (
	"context"
	"testing"

	"github.com/craevidence/scim-provisioning/services/provisioning/internal/adapters/gormstore"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/adapters/gormstore/gormstoretest"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/adapters/gormstore/storesuite"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/ports"
)

func TestSQLite(t *testing.T) {
	t.Parallel()
	storesuite.Run(t, func(t testing.TB) ports.Store { return gormstoretest.NewSQLite(t) })
}

func TestPostgres(t *testing.T) {
	t.Parallel()
	gormstoretest.PostgresURL(t) // Skips the whole suite, visibly, without a server.
	storesuite.Run(t, func(t testing.TB) ports.Store { return gormstoretest.NewPostgres(t) })
}

// TestMigrationsIdempotent opens the same database twice: the second Open
// must find the schema current and leave the data alone.
func TestMigrationsIdempotent(t *testing.T) {
	t.Parallel()
	for name, newURL := range map[string]func(testing.TB) string{
		"sqlite":   gormstoretest.SQLiteURL,
		"postgres": gormstoretest.PostgresURL,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			url := newURL(t)
			first := gormstoretest.Open(t, url)
			org := domain.Organization{ID: "org-1", Name: "Acme", Plan: domain.PlanEnterprise}
			if err := first.Organizations().UpsertOrganization(t.Context(), org); err != nil {
				t.Fatal(err)
			}
			if err := first.Migrate(t.Context()); err != nil {
				t.Fatalf("migrate again: %v", err)
			}

			second := gormstoretest.Open(t, url)
			got, err := second.Organizations().Organization(t.Context(), "org-1")
			if err != nil {
				t.Fatalf("organisation after reopening: %v", err)
			}
			if got.Name != "Acme" {
				t.Fatalf("name = %q, want Acme", got.Name)
			}
			var versions int
			if err := second.DB().Raw("SELECT COUNT(*) FROM schema_migrations").
				Scan(&versions).Error; err != nil {
				t.Fatal(err)
			}
			if versions != gormstore.SchemaVersion() {
				t.Fatalf("schema_migrations holds %d rows, want %d", versions,
					gormstore.SchemaVersion())
			}
		})
	}
}

// TestSQLiteURLForms checks the ways a DATABASE_URL can name an SQLite
// database, including an in-memory one.
func TestSQLiteURLForms(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, url := range []string{
		":memory:",
		"",
		dir + "/plain.db",
		"sqlite://" + dir + "/scheme.db",
		"file:" + dir + "/file.db",
	} {
		s, err := gormstore.Open(context.Background(), gormstore.Options{DatabaseURL: url})
		if err != nil {
			t.Fatalf("open %q: %v", url, err)
		}
		org := domain.Organization{ID: "org-1", Name: "Acme", Plan: domain.PlanFree}
		if err := s.Organizations().UpsertOrganization(t.Context(), org); err != nil {
			t.Fatalf("%q: %v", url, err)
		}
		if _, err := s.Organizations().Organization(t.Context(), "org-1"); err != nil {
			t.Fatalf("%q: %v", url, err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
