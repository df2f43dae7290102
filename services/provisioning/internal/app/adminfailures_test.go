package app_test

import (
	"testing"

	"github.com/craevidence/scim-provisioning/services/provisioning/internal/app"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/ports"
)

func TestFailedAdminActionsAreLogged(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := testContext()
		caller, _ := f.newClient(t, allOn())
		clientID := caller.Client.ID

		_, _, err := f.clients.RotateToken(ctx, f.owner, "no-such-client")
		wantKind(t, err, domain.KindNotFound)
		_, err = f.clients.Update(ctx, f.owner, clientID, app.ClientChanges{Name: ptr("   ")})
		wantKind(t, err, domain.KindInvalid)
		_, err = f.clients.Update(ctx, f.owner, clientID,
			app.ClientChanges{DefaultRole: ptr(domain.RoleOwner)})
		wantKind(t, err, domain.KindInvalid)
		_, _, err = f.clients.Create(ctx, f.owner, domain.ClientSettings{})
		wantKind(t, err, domain.KindInvalid)
		err = f.clients.Delete(ctx, f.owner, "no-such-client")
		wantKind(t, err, domain.KindNotFound)
		_, err = f.members.Approve(ctx, f.owner, "no-such-member")
		wantKind(t, err, domain.KindNotFound)
		viewer := app.Admin{Subject: "viewer-a", OrganizationID: f.org.ID, Role: domain.RoleViewer}
		_, _, err = f.clients.RotateToken(ctx, viewer, clientID)
		wantKind(t, err, domain.KindPermissionDenied)
		// No organisation in the credential: nothing to log to.
		_, _, err = f.clients.RotateToken(ctx, app.Admin{Subject: "x"}, clientID)
		wantKind(t, err, domain.KindUnauthenticated)

		type key struct {
			op      domain.Operation
			outcome domain.Outcome
			client  string
			code    string
		}
		var got []key
		for _, e := range f.events(t, ports.EventQuery{}) {
			if e.Outcome == domain.OutcomeSucceeded {
				continue
			}
			if e.Actor == "" || e.RequestID != "req-test" || e.ErrorDetail == "" {
				t.Errorf("failure event without actor, request id or detail: %+v", e)
			}
			got = append(got, key{e.Operation, e.Outcome, e.ClientID, e.ErrorCode})
		}
		want := []key{
			{domain.OpClientRotate, domain.OutcomeRefused, clientID, "permission_denied"},
			{domain.OpMemberApprove, domain.OutcomeFailed, "", "not_found"},
			{domain.OpClientDelete, domain.OutcomeFailed, "", "not_found"},
			{domain.OpClientCreate, domain.OutcomeFailed, "", "invalid"},
			{domain.OpClientUpdate, domain.OutcomeFailed, clientID, "invalid"},
			{domain.OpClientUpdate, domain.OutcomeFailed, clientID, "invalid"},
			{domain.OpClientRotate, domain.OutcomeFailed, "", "not_found"},
		}
		if len(got) != len(want) {
			t.Fatalf("failure events = %+v, want %+v", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("failure event %d = %+v, want %+v", i, got[i], want[i])
			}
		}

		stats, err := f.clients.Statistics(ctx, f.owner, clientID)
		if err != nil {
			t.Fatal(err)
		}
		if stats.RequestsFailed != 2 || stats.RequestsRefused != 1 {
			t.Errorf("statistics failed %d refused %d, want 2 and 1",
				stats.RequestsFailed, stats.RequestsRefused)
		}
	})
}
