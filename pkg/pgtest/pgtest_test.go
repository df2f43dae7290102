package pgtest_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/craevidence/scim-provisioning/pkg/pgtest"
)

func TestNewDatabaseIsFreshAndSeparate(t *testing.T) {
	first := pgtest.NewDatabase(t)
	second := pgtest.NewDatabase(t)
	if first == second {
		t.Fatalf("two databases share the URL %s", first)
	}

	db, err := sql.Open("pgx", first)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, "CREATE TABLE probe (id int)"); err != nil {
		t.Fatalf("create a table in the fresh database: %v", err)
	}

	other, err := sql.Open("pgx", second)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	var tables int
	err = other.QueryRowContext(ctx,
		"SELECT count(*) FROM information_schema.tables WHERE table_name = 'probe'").Scan(&tables)
	if err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Fatalf("the second database sees the first one's table")
	}
}
