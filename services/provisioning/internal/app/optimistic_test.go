package app_test

import (
	"testing"

	"github.com/craevidence/scim-provisioning/services/provisioning/internal/app"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/ports"
)

// TestOptimisticAttemptsLogNoStaleVersion checks that an update marked as
// an optimistic attempt writes no failure event when its version is stale,
// that an unmarked one does, and that a marked attempt failing for another
// reason is logged.
func TestOptimisticAttemptsLogNoStaleVersion(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := testContext()
		caller, _ := f.newClient(t, allOn())
		id := f.newUsers(t, caller, "ada@example.com")[0]
		attempt := app.WithOptimisticAttempt(ctx)
		failures := func() int {
			t.Helper()
			n := 0
			for _, e := range f.events(t, ports.EventQuery{MemberID: id}) {
				if e.Operation == domain.OpUserUpdate && e.Outcome == domain.OutcomeFailed {
					n++
				}
			}
			return n
		}

		_, err := f.provisioning.UpdateUser(attempt, caller, id, user("ada@example.com", true), 99)
		wantKind(t, err, domain.KindPreconditionFailed)
		if n := failures(); n != 0 {
			t.Fatalf("failed events after a stale optimistic attempt = %d, want 0", n)
		}

		_, err = f.provisioning.UpdateUser(ctx, caller, id, user("ada@example.com", true), 99)
		wantKind(t, err, domain.KindPreconditionFailed)
		if n := failures(); n != 1 {
			t.Fatalf("failed events after a stale update = %d, want 1", n)
		}

		_, err = f.provisioning.UpdateUser(attempt, caller, id, user(" ", true), 0)
		wantKind(t, err, domain.KindInvalid)
		if n := failures(); n != 2 {
			t.Fatalf("failed events after an invalid optimistic attempt = %d, want 2", n)
		}

		if _, err := f.provisioning.UpdateUser(attempt, caller, id,
			user("ada@example.com", true), f.member(t, id).Version); err != nil {
			t.Fatalf("a current optimistic attempt: %v", err)
		}
	})
}
