// Package pgtest gives each test a fresh Postgres database, so tests that
// need Postgres run in parallel and leave nothing behind.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	// The pgx driver for database/sql, registered as "pgx".
	_ "github.com/jackc/pgx/v5/stdlib"
)

// EnvVar names the variable holding the URL of a Postgres server and a
// database on it that the tests may connect to; each test creates its own
// database next to it.
const EnvVar = "TEST_DATABASE_URL"

// NewDatabase creates a database for the test and returns its URL; it is
// dropped when the test ends. Without TEST_DATABASE_URL the test is skipped,
// except under CI (CI=true), where a missing database is a failure.
func NewDatabase(t testing.TB) string {
	t.Helper()

	base := os.Getenv(EnvVar)
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is unset under CI: the Postgres tests must run", EnvVar)
		}
		t.Skipf("%s is unset: skipping this Postgres test", EnvVar)
	}
	serverURL, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", EnvVar, err)
	}

	var suffix [6]byte
	_, _ = rand.Read(suffix[:])
	name := "test_" + hex.EncodeToString(suffix[:])

	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("connect to %s: %v", EnvVar, err)
	}
	defer admin.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}

	t.Cleanup(func() {
		drop, err := sql.Open("pgx", base)
		if err != nil {
			t.Errorf("connect to drop database %s: %v", name, err)
			return
		}
		defer drop.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := drop.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})

	dbURL := *serverURL
	dbURL.Path = "/" + name
	return dbURL.String()
}
