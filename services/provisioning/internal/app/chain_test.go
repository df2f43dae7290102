package app_test

import (
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/craevidence/scim-provisioning/services/provisioning/internal/adapters/gormstore"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/adapters/gormstore/gormstoretest"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/app"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/ports"
)

// chainFixture provisions a few users so the organisation's log holds a
// chain to verify, and returns its events oldest first.
func chainFixture(t *testing.T, f *fixture) (*app.ProvisioningLog, *gormstore.Store, []domain.Event) {
	t.Helper()
	store := f.store.(*gormstore.Store)
	log := app.NewProvisioningLog(store, slog.New(slog.NewTextHandler(io.Discard, nil)))
	caller, _ := f.newClient(t, allOn())
	f.newUsers(t, caller, "a@example.com", "b@example.com", "c@example.com", "d@example.com")
	// Another organisation's events form a chain of their own.
	other := f.newOrg(t, "org-other", domain.PlanEnterprise)
	otherOwner := app.Admin{Subject: "o", OrganizationID: other.ID, Role: domain.RoleOwner}
	if _, _, err := f.clients.Create(testContext(), otherOwner, domain.ClientSettings{Name: "X"}); err != nil {
		t.Fatal(err)
	}

	report := verify(t, log, f.owner)
	if !report.Intact || report.Checked != 5 || report.Problem != "" {
		t.Fatalf("fresh chain: %+v, want intact with 5 events", report)
	}
	events := f.events(t, ports.EventQuery{})
	for i, j := 0, len(events)-1; i < j; i, j = i+1, j-1 {
		events[i], events[j] = events[j], events[i]
	}
	return log, store, events
}

func verify(t *testing.T, log *app.ProvisioningLog, admin app.Admin) domain.ChainReport {
	t.Helper()
	report, err := log.Verify(testContext(), admin)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	return report
}

// tamper runs statements as someone with direct access to the database who
// first switches the append-only guard off, as a superuser can.
func tamper(t *testing.T, store *gormstore.Store, statements ...string) {
	t.Helper()
	err := store.DB().Transaction(func(tx *gorm.DB) error {
		if store.Dialect() == "postgres" {
			if err := tx.Exec("SET LOCAL session_replication_role = replica").Error; err != nil {
				return err
			}
		} else {
			for _, trigger := range []string{
				"provisioning_events_insert_unsealed",
				"provisioning_events_append_only_update",
				"provisioning_events_append_only_delete",
			} {
				if err := tx.Exec("DROP TRIGGER IF EXISTS " + trigger).Error; err != nil {
					return err
				}
			}
		}
		for _, stmt := range statements {
			if err := tx.Exec(stmt).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("tamper: %v", err)
	}
}

func TestVerifyDetectsAChangedEvent(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		log, store, events := chainFixture(t, f)
		target := events[2]
		tamper(t, store, "UPDATE provisioning_events SET outcome = 'failed' WHERE id = '"+target.ID+"'")

		report := verify(t, log, f.owner)
		if report.Intact || report.FirstBrokenEventID != target.ID || report.Checked != 2 ||
			!strings.Contains(report.Problem, "changed") {
			t.Errorf("report = %+v, want broken at %s", report, target.ID)
		}
	})
}

// TestVerifyDetectsAChangedRequestSource changes what the log says about
// where a request came from: its identity provider and its compatibility
// rules are covered by the chain hash.
func TestVerifyDetectsAChangedRequestSource(t *testing.T) {
	changes := map[string]string{
		"identity provider":   "identity_provider = 'entra'",
		"compatibility rules": `compatibility_rules = '["entra-string-boolean"]'`,
	}
	for name, change := range changes {
		t.Run(name, func(t *testing.T) {
			forEachStore(t, func(t *testing.T, f *fixture) {
				log, store, events := chainFixture(t, f)
				target := events[3]
				tamper(t, store, "UPDATE provisioning_events SET "+change+" WHERE id = '"+target.ID+"'")

				report := verify(t, log, f.owner)
				if report.Intact || report.FirstBrokenEventID != target.ID || report.Checked != 3 {
					t.Errorf("report = %+v, want broken at %s", report, target.ID)
				}
			})
		})
	}
}

func TestVerifyDetectsARemovedEvent(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		log, store, events := chainFixture(t, f)
		tamper(t, store, "DELETE FROM provisioning_events WHERE id = '"+events[2].ID+"'")

		report := verify(t, log, f.owner)
		if report.Intact || report.FirstBrokenEventID != events[3].ID ||
			!strings.Contains(report.Problem, "missing") {
			t.Errorf("report = %+v, want broken at %s after the gap", report, events[3].ID)
		}
	})
}

func TestVerifyDetectsAnInsertedEvent(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		log, store, events := chainFixture(t, f)
		at := events[4].OccurredAt.Add(time.Millisecond).Format("2006-01-02 15:04:05.000000+00:00")
		forged := app.NewID()
		// A forged event at the end of the chain, with a made-up hash.
		tamper(t, store, `INSERT INTO provisioning_events
			(id, organization_id, operation, outcome, actor, occurred_at, chain_seq, chain_hash)
			VALUES ('`+forged+`', '`+f.org.ID+`', 'user.delete', 'succeeded', 'admin:mallory',
			'`+at+`', 6, '`+strings.Repeat("ab", 32)+`')`)

		report := verify(t, log, f.owner)
		if report.Intact || report.FirstBrokenEventID != forged || report.Checked != 5 {
			t.Errorf("report = %+v, want broken at the forged event %s", report, forged)
		}
	})
}

func TestVerifyDetectsAnEventMovedInTheChain(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		log, store, events := chainFixture(t, f)
		// Swap the places of two events, hashes and all.
		tamper(t, store,
			"UPDATE provisioning_events SET chain_seq = 100 WHERE id = '"+events[1].ID+"'",
			"UPDATE provisioning_events SET chain_seq = 2 WHERE id = '"+events[2].ID+"'",
			"UPDATE provisioning_events SET chain_seq = 3 WHERE id = '"+events[1].ID+"'",
		)
		report := verify(t, log, f.owner)
		if report.Intact || report.FirstBrokenEventID != events[2].ID {
			t.Errorf("report = %+v, want broken at %s", report, events[2].ID)
		}
	})
}

func TestProvisioningEventsAreAppendOnly(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		log, store, events := chainFixture(t, f)
		db := store.DB()
		id := events[1].ID

		refused := []string{
			"UPDATE provisioning_events SET error_detail = 'x' WHERE id = '" + id + "'",
			"UPDATE provisioning_events SET identity_provider = 'x' WHERE id = '" + id + "'",
			`UPDATE provisioning_events SET compatibility_rules = '["x"]' WHERE id = '` + id + "'",
			"UPDATE provisioning_events SET chain_hash = 'x' WHERE id = '" + id + "'",
			"UPDATE provisioning_events SET chain_seq = NULL, chain_hash = '' WHERE id = '" + id + "'",
			"DELETE FROM provisioning_events WHERE id = '" + id + "'",
			"DELETE FROM provisioning_events",
			`INSERT INTO provisioning_events (id, organization_id, operation, outcome, occurred_at,
				chain_seq, chain_hash) VALUES ('forged', 'org-a', 'user.create', 'succeeded',
				'2030-01-01 00:00:00+00:00', 99, 'abc')`,
		}
		if store.Dialect() == "postgres" {
			refused = append(refused, "TRUNCATE provisioning_events")
		}
		for _, stmt := range refused {
			err := db.Exec(stmt).Error
			if err == nil || !strings.Contains(err.Error(), "provisioning events") {
				t.Errorf("%s: err = %v, want refused by the append-only guard", stmt, err)
			}
		}

		// An unsealed event may be sealed once, by the sealer, and nothing more.
		unsealed := app.NewID()
		err := f.store.Audit().AppendEvent(testContext(), domain.Event{
			ID: unsealed, OrganizationID: f.org.ID, Operation: domain.OpClientUpdate,
			Outcome: domain.OutcomeSucceeded, Actor: "admin:x", OccurredAt: app.SystemClock(),
		})
		if err != nil {
			t.Fatal(err)
		}
		// Sealing cannot change a field on the way, not even the request's
		// source, which the chain hash covers.
		for _, change := range []string{
			"actor = 'admin:mallory'",
			"identity_provider = 'okta'",
			`compatibility_rules = '["okta-patch-without-path"]'`,
		} {
			stmt := "UPDATE provisioning_events SET chain_seq = 99, chain_hash = 'abc', " + change +
				" WHERE id = '" + unsealed + "'"
			err := db.Exec(stmt).Error
			if err == nil || !strings.Contains(err.Error(), "provisioning events") {
				t.Errorf("%s: err = %v, want refused by the append-only guard", stmt, err)
			}
		}
		if n, err := log.Seal(testContext()); err != nil || n != 1 {
			t.Fatalf("seal = %d, %v; want 1", n, err)
		}
		if report := verify(t, log, f.owner); !report.Intact || report.Checked != 6 {
			t.Errorf("report = %+v", report)
		}
	})
}

func TestRetentionKeepsTheChainVerifiable(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := testContext()
		now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
		var ids []string
		for i, at := range []time.Time{
			now.AddDate(-12, 0, 0), now.AddDate(-11, 0, 0), now.AddDate(-9, 0, 0), now.AddDate(-1, 0, 0),
		} {
			id := app.NewID()
			ids = append(ids, id)
			err := f.store.Audit().AppendEvent(ctx, domain.Event{
				ID: id, OrganizationID: f.org.ID, Operation: domain.OpClientUpdate,
				Outcome: domain.OutcomeSucceeded, Actor: "admin:x", OccurredAt: at,
			})
			if err != nil {
				t.Fatalf("append event %d: %v", i, err)
			}
		}
		store := f.store.(*gormstore.Store)
		log := app.NewProvisioningLog(store, slog.New(slog.NewTextHandler(io.Discard, nil)))

		logger := slog.New(slog.NewTextHandler(io.Discard, nil))
		retention := app.NewRetention(f.store.Audit(), 0, func() time.Time { return now }, logger)
		if n, err := retention.Run(ctx); err != nil || n != 2 {
			t.Fatalf("retention deleted %d (%v), want 2", n, err)
		}
		report := verify(t, log, f.owner)
		if !report.Intact || report.Checked != 2 {
			t.Errorf("after retention: %+v, want the two kept events intact", report)
		}

		// Removing the oldest kept event by hand is not retention: it shows.
		tamper(t, store, "DELETE FROM provisioning_events WHERE id = '"+ids[2]+"'")
		report = verify(t, log, f.owner)
		if report.Intact || report.FirstBrokenEventID != ids[3] {
			t.Errorf("after a manual delete: %+v, want broken at %s", report, ids[3])
		}
	})
}

// TestVerifyReportsUnsealedEventsAsPending holds the sealer's advisory
// lock in another transaction, as a sealer on another replica would: the
// events it cannot seal are pending, not broken.
func TestVerifyReportsUnsealedEventsAsPending(t *testing.T) {
	f := newFixture(t, gormstoretest.NewPostgres(t))
	log, store, _ := chainFixture(t, f)
	err := f.store.Audit().AppendEvent(testContext(), domain.Event{
		ID: app.NewID(), OrganizationID: f.org.ID, Operation: domain.OpClientUpdate,
		Outcome: domain.OutcomeSucceeded, Actor: "admin:x", OccurredAt: app.SystemClock(),
	})
	if err != nil {
		t.Fatal(err)
	}

	tx := store.DB().Begin()
	defer tx.Rollback()
	if err := tx.Exec("SELECT pg_advisory_xact_lock(7314020)").Error; err != nil {
		t.Fatal(err)
	}
	report := verify(t, log, f.owner)
	if !report.Intact || report.Checked != 5 || report.Pending != 1 {
		t.Errorf("report = %+v, want intact, 5 checked, 1 pending", report)
	}
	tx.Rollback()

	report = verify(t, log, f.owner)
	if !report.Intact || report.Checked != 6 || report.Pending != 0 {
		t.Errorf("after the other sealer let go: %+v", report)
	}
}
