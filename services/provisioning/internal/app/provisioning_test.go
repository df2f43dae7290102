package app_test

import (
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/craevidence/scim-provisioning/services/provisioning/internal/app"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/ports"
)

func TestCreateUserCreatesMemberWithDefaultRole(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := testContext()
		caller, _ := f.newClient(t, domain.ClientSettings{
			DefaultRole: domain.RoleViewer, AutoActivate: true, SyncAttributes: true,
		})

		created, err := f.provisioning.CreateUser(ctx, caller, user("ada@example.com", true))
		if err != nil {
			t.Fatal(err)
		}

		m := f.member(t, created.Member.ID)
		if m.Role != domain.RoleViewer || m.Status != domain.StatusActive || m.ClientID != caller.Client.ID {
			t.Errorf("role %s status %s client %q", m.Role, m.Status, m.ClientID)
		}
		events := f.events(t, ports.EventQuery{MemberID: m.ID})
		if len(events) != 1 {
			t.Fatalf("events = %d, want 1", len(events))
		}
		e := events[0]
		if e.Operation != domain.OpUserCreate || e.Outcome != domain.OutcomeSucceeded ||
			e.ClientID != caller.Client.ID || e.Actor != "scim:"+caller.Client.ID ||
			e.RequestID != "req-test" || e.OrganizationID != f.org.ID {
			t.Errorf("event = %+v", e)
		}
	})
}

func TestCreateUserAdoptsHandInvitedMemberKeepingRole(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := testContext()
		invited := domain.Member{
			ID: app.NewID(), OrganizationID: f.org.ID, UserName: "Grace@Example.com",
			Role: domain.RoleAdmin, Status: domain.StatusActive, ScimActive: true, Approved: true,
			Version: 1, CreatedAt: app.SystemClock(), UpdatedAt: app.SystemClock(),
			Profile: domain.Profile{Emails: []domain.MultiValue{{Value: "grace@example.com"}}},
		}
		if err := f.store.Directory().CreateMember(ctx, invited); err != nil {
			t.Fatal(err)
		}
		caller, _ := f.newClient(t, domain.ClientSettings{SyncAttributes: true})

		// The userName differs in case only: userName is not case-exact.
		created, err := f.provisioning.CreateUser(ctx, caller, user("grace@example.com", true))
		if err != nil {
			t.Fatal(err)
		}

		if created.Member.ID != invited.ID {
			t.Fatalf("created %s, want the invited member %s adopted", created.Member.ID, invited.ID)
		}
		m := f.member(t, invited.ID)
		if m.Role != domain.RoleAdmin || m.ClientID != caller.Client.ID || m.Status != domain.StatusActive {
			t.Errorf("role %s client %q status %s: want adopted with role kept", m.Role, m.ClientID, m.Status)
		}
	})
}

func TestCreateUserConflicts(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := testContext()
		a, _ := f.newClient(t, allOn())
		b, _ := f.newClient(t, domain.ClientSettings{Name: "Entra", AutoActivate: true})

		first, err := f.provisioning.CreateUser(ctx, a, user("ada@example.com", true))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.provisioning.CreateUser(ctx, a, user("bob@example.com", true)); err != nil {
			t.Fatal(err)
		}

		checks := []struct {
			name   string
			caller app.ScimCaller
			user   domain.ProvisionedUser
		}{
			{"active and linked to this client", a, user("ADA@example.com", true)},
			{"linked to another client", b, user("ada@example.com", true)},
			{"userName and email match different members", a, func() domain.ProvisionedUser {
				u := user("ada@example.com", true)
				u.Profile.Emails = []domain.MultiValue{{Value: "bob@example.com"}}
				return u
			}()},
		}
		for _, c := range checks {
			_, err := f.provisioning.CreateUser(ctx, c.caller, c.user)
			wantKind(t, err, domain.KindAlreadyExists)
			var de *domain.Error
			if !errors.As(err, &de) || de.Reason != domain.ReasonUniqueness {
				t.Errorf("%s: reason of %v, want uniqueness", c.name, err)
			}
		}

		failed := f.events(t, ports.EventQuery{Outcome: domain.OutcomeFailed})
		if len(failed) != len(checks) {
			t.Fatalf("failure events = %d, want %d", len(failed), len(checks))
		}
		for _, e := range failed {
			if e.Operation != domain.OpUserCreate || e.ErrorCode != "already_exists" || e.ErrorDetail == "" {
				t.Errorf("failure event = %+v", e)
			}
		}
		if m := f.member(t, first.Member.ID); m.ClientID != a.Client.ID {
			t.Error("a refused create changed the existing member")
		}
	})
}

func TestDeleteWithoutAllowDeletionUnlinksAndPostReactivates(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := testContext()
		caller, _ := f.newClient(t, allOn())
		created, err := f.provisioning.CreateUser(ctx, caller, user("ada@example.com", true))
		if err != nil {
			t.Fatal(err)
		}
		id := created.Member.ID

		// An admin made the member an admin, and the IdP put it in a group.
		if _, err := f.store.Directory().UpdateMember(ctx, f.org.ID, id, func(m *domain.Member) error {
			m.Role = domain.RoleAdmin
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		group, err := f.provisioning.CreateGroup(ctx, caller,
			app.GroupInput{DisplayName: "Engineering", MemberIDs: []string{id}})
		if err != nil {
			t.Fatal(err)
		}

		if err := f.provisioning.DeleteUser(ctx, caller, id, 0); err != nil {
			t.Fatal(err)
		}

		_, err = f.provisioning.GetUser(ctx, caller, id)
		wantKind(t, err, domain.KindNotFound)
		m := f.member(t, id)
		if m.ClientID != "" || m.Status != domain.StatusDeactivated || m.Profile.DisplayName == "" {
			t.Errorf("after delete: client %q status %s: want unlinked, deactivated, data kept",
				m.ClientID, m.Status)
		}
		denial, err := f.directory.CheckLogin(ctx, f.org.ID, id)
		if err != nil || denial != app.LoginDeniedDeactivated {
			t.Errorf("CheckLogin = %q, %v: want deactivated", denial, err)
		}

		again, err := f.provisioning.CreateUser(ctx, caller, user("ada@example.com", true))
		if err != nil {
			t.Fatal(err)
		}
		if again.Member.ID != id || again.Member.Role != domain.RoleAdmin ||
			again.Member.Status != domain.StatusActive {
			t.Errorf("reactivated %s role %s status %s: want the same member, role kept",
				again.Member.ID, again.Member.Role, again.Member.Status)
		}
		if len(again.Groups) != 1 || again.Groups[0].ID != group.Group.ID {
			t.Errorf("groups after reactivation = %+v, want Engineering kept", again.Groups)
		}

		ops := operations(f.events(t, ports.EventQuery{MemberID: id}))
		want := []domain.Operation{domain.OpUserReactivate, domain.OpUserDelete, domain.OpUserCreate}
		if !slices.Equal(ops, want) {
			t.Errorf("operations = %v, want %v", ops, want)
		}
	})
}

func TestDeleteWithAllowDeletionErases(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := testContext()
		caller, _ := f.newClient(t, domain.ClientSettings{AutoActivate: true, AllowDeletion: true})
		created, err := f.provisioning.CreateUser(ctx, caller, user("ada@example.com", true))
		if err != nil {
			t.Fatal(err)
		}

		if err := f.provisioning.DeleteUser(ctx, caller, created.Member.ID, 0); err != nil {
			t.Fatal(err)
		}

		_, err = f.directory.Member(ctx, f.org.ID, created.Member.ID)
		wantKind(t, err, domain.KindNotFound)
		if _, err := f.directory.MemberByEmail(ctx, f.org.ID, "ada@example.com"); err == nil {
			t.Error("the erased member is still found by email")
		}
		ops := operations(f.events(t, ports.EventQuery{MemberID: created.Member.ID}))
		if !slices.Equal(ops, []domain.Operation{domain.OpUserErase, domain.OpUserCreate}) {
			t.Errorf("operations = %v: the log keeps the events of an erased member", ops)
		}
	})
}

func TestPendingApproval(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := testContext()
		caller, _ := f.newClient(t, domain.ClientSettings{AutoActivate: false})
		created, err := f.provisioning.CreateUser(ctx, caller, user("ada@example.com", true))
		if err != nil {
			t.Fatal(err)
		}

		if !created.Member.ScimActive || created.Member.Status != domain.StatusPendingApproval {
			t.Errorf("scimActive %v status %s: want active to the IdP, pending here",
				created.Member.ScimActive, created.Member.Status)
		}
		denial, err := f.directory.CheckLogin(ctx, f.org.ID, created.Member.ID)
		if err != nil || denial != app.LoginDeniedPendingApproval {
			t.Errorf("CheckLogin = %q, %v: want pending approval", denial, err)
		}

		if _, err := f.members.Approve(ctx, f.owner, created.Member.ID); err != nil {
			t.Fatal(err)
		}
		denial, err = f.directory.CheckLogin(ctx, f.org.ID, created.Member.ID)
		if err != nil || denial != app.LoginAllowed {
			t.Errorf("CheckLogin after approval = %q, %v", denial, err)
		}
		ops := operations(f.events(t, ports.EventQuery{MemberID: created.Member.ID}))
		if ops[0] != domain.OpMemberApprove {
			t.Errorf("operations = %v, want member.approve last", ops)
		}
	})
}

func TestUpdateWithSyncOffHonoursActiveOnly(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := testContext()
		caller, _ := f.newClient(t, domain.ClientSettings{AutoActivate: true, SyncAttributes: false})
		created, err := f.provisioning.CreateUser(ctx, caller, user("ada@example.com", true))
		if err != nil {
			t.Fatal(err)
		}

		next := user("ada@example.com", false)
		next.Profile.DisplayName = "Changed"
		updated, err := f.provisioning.UpdateUser(ctx, caller, created.Member.ID, next, created.Member.Version)
		if err != nil {
			t.Fatal(err)
		}

		if updated.Member.Profile.DisplayName != created.Member.Profile.DisplayName {
			t.Error("sync off changed the profile")
		}
		if updated.Member.ScimActive || updated.Member.Status != domain.StatusDeactivated {
			t.Errorf("status %s: deactivation must pass with sync off", updated.Member.Status)
		}
		events := f.events(t, ports.EventQuery{MemberID: created.Member.ID})
		if events[0].Operation != domain.OpUserDeactivate ||
			!slices.Equal(events[0].ChangedAttributes, []string{"active"}) {
			t.Errorf("event = %s %v", events[0].Operation, events[0].ChangedAttributes)
		}
	})
}

func TestUpdateWithSyncOnAndStaleVersion(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := testContext()
		caller, _ := f.newClient(t, allOn())
		created, err := f.provisioning.CreateUser(ctx, caller, user("ada@example.com", true))
		if err != nil {
			t.Fatal(err)
		}

		next := user("ada@example.com", true)
		next.Profile.Title = "Engineer"
		updated, err := f.provisioning.UpdateUser(ctx, caller, created.Member.ID, next, created.Member.Version)
		if err != nil {
			t.Fatal(err)
		}
		if updated.Member.Profile.Title != "Engineer" || updated.Member.Version != created.Member.Version+1 {
			t.Errorf("title %q version %d", updated.Member.Profile.Title, updated.Member.Version)
		}

		next.Profile.Title = "Stale"
		_, err = f.provisioning.UpdateUser(ctx, caller, created.Member.ID, next, created.Member.Version)
		wantKind(t, err, domain.KindPreconditionFailed)
		if m := f.member(t, created.Member.ID); m.Profile.Title != "Engineer" {
			t.Error("a stale update was applied")
		}
		failed := f.events(t, ports.EventQuery{Outcome: domain.OutcomeFailed})
		if len(failed) != 1 || failed[0].ErrorCode != "precondition_failed" {
			t.Errorf("failure events = %+v", failed)
		}
	})
}

func TestUsersOfAnotherClientAreNotFound(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := testContext()
		a, _ := f.newClient(t, allOn())
		b, _ := f.newClient(t, domain.ClientSettings{Name: "Other", AutoActivate: true})
		created, err := f.provisioning.CreateUser(ctx, a, user("ada@example.com", true))
		if err != nil {
			t.Fatal(err)
		}

		_, err = f.provisioning.GetUser(ctx, b, created.Member.ID)
		wantKind(t, err, domain.KindNotFound)
		_, err = f.provisioning.UpdateUser(ctx, b, created.Member.ID, user("ada@example.com", false), 0)
		wantKind(t, err, domain.KindNotFound)
		wantKind(t, f.provisioning.DeleteUser(ctx, b, created.Member.ID, 0), domain.KindNotFound)
		users, total, err := f.provisioning.ListUsers(ctx, b, domain.ListQuery{Count: 10})
		if err != nil || total != 0 || len(users) != 0 {
			t.Errorf("client b lists %d of %d users (%v), want none", len(users), total, err)
		}
		users, total, err = f.provisioning.ListUsers(ctx, a, domain.ListQuery{Count: 10})
		if err != nil || total != 1 || len(users) != 1 {
			t.Errorf("client a lists %d of %d users (%v), want 1", len(users), total, err)
		}
		if m := f.member(t, created.Member.ID); !m.ScimActive {
			t.Error("another client's update reached the member")
		}
	})
}

func TestDisabledClientIsRefusedAndLogged(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := testContext()
		caller, token := f.newClient(t, allOn())
		if _, err := f.clients.Update(ctx, f.owner, caller.Client.ID,
			app.ClientChanges{Enabled: ptr(false)}); err != nil {
			t.Fatal(err)
		}

		_, err := f.provisioning.Authenticate(ctx, token)
		wantKind(t, err, domain.KindPermissionDenied)

		refused := f.events(t, ports.EventQuery{Outcome: domain.OutcomeRefused})
		if len(refused) != 1 || refused[0].ClientID != caller.Client.ID ||
			refused[0].Operation != domain.OpRequestRefused || refused[0].ErrorCode != "permission_denied" {
			t.Fatalf("refused events = %+v", refused)
		}
		stats, err := f.clients.Statistics(ctx, f.owner, caller.Client.ID)
		if err != nil || stats.RequestsRefused != 1 {
			t.Errorf("statistics = %+v, %v", stats, err)
		}
		disable := f.events(t, ports.EventQuery{Operation: domain.OpClientDisable})
		if len(disable) != 1 || disable[0].Actor != "admin:owner-a" {
			t.Errorf("client.disable events = %+v", disable)
		}
	})
}

func TestOrganisationOffEnterpriseIsRefused(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := testContext()
		_, token := f.newClient(t, allOn())
		f.newOrg(t, f.org.ID, domain.PlanTeam)

		_, err := f.provisioning.Authenticate(ctx, token)
		wantKind(t, err, domain.KindPermissionDenied)
		if refused := f.events(t, ports.EventQuery{Outcome: domain.OutcomeRefused}); len(refused) != 1 {
			t.Errorf("refused events = %d, want 1", len(refused))
		}
		_, _, err = f.clients.Create(ctx, f.owner, domain.ClientSettings{Name: "New"})
		wantKind(t, err, domain.KindPermissionDenied)
	})
}

func TestUnknownTokenIsUnauthenticated(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		for _, token := range []string{"", "cras_nope", "Bearer x"} {
			_, err := f.provisioning.Authenticate(testContext(), token)
			wantKind(t, err, domain.KindUnauthenticated)
		}
	})
}

func TestFailedChangeRollsBackAndLogsFailure(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := testContext()
		caller, _ := f.newClient(t, allOn())

		// The group is stored first, then the unknown member id fails the
		// transaction: neither the group nor a success event may remain.
		_, err := f.provisioning.CreateGroup(ctx, caller,
			app.GroupInput{DisplayName: "Ghosts", MemberIDs: []string{app.NewID()}})
		if err == nil {
			t.Fatal("a group with an unknown member was created")
		}

		groups, total, err := f.provisioning.ListGroups(ctx, caller, domain.ListQuery{Count: 10}, true)
		if err != nil || total != 0 || len(groups) != 0 {
			t.Errorf("groups = %d (%v), want the create rolled back", total, err)
		}
		events := f.events(t, ports.EventQuery{ClientID: caller.Client.ID})
		var ops []string
		for _, e := range events {
			ops = append(ops, string(e.Operation)+"/"+string(e.Outcome))
		}
		if !slices.Equal(ops, []string{"group.create/failed", "client.create/succeeded"}) {
			t.Errorf("events = %v", ops)
		}
	})
}

func TestConcurrentCreatesOfOneUser(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := testContext()
		caller, _ := f.newClient(t, allOn())

		const attempts = 50
		var wg sync.WaitGroup
		errs := make([]error, attempts)
		for i := range attempts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = f.provisioning.CreateUser(ctx, caller, user("race@example.com", true))
			}()
		}
		wg.Wait()

		succeeded, conflicts := 0, 0
		for _, err := range errs {
			switch {
			case err == nil:
				succeeded++
			case domain.IsKind(err, domain.KindAlreadyExists):
				conflicts++
			default:
				t.Errorf("unexpected error: %v", err)
			}
		}
		if succeeded != 1 || conflicts != attempts-1 {
			t.Fatalf("%d created, %d conflicts: want 1 and %d", succeeded, conflicts, attempts-1)
		}

		members, _, err := f.members.List(ctx, f.owner, ports.Page{Size: 100})
		if err != nil || len(members) != 1 {
			t.Fatalf("members = %d (%v), want exactly one", len(members), err)
		}
		ok := f.events(t, ports.EventQuery{Operation: domain.OpUserCreate, Outcome: domain.OutcomeSucceeded})
		failed := f.events(t, ports.EventQuery{Operation: domain.OpUserCreate, Outcome: domain.OutcomeFailed})
		if len(ok) != 1 || len(failed) != attempts-1 {
			t.Errorf("events: %d succeeded, %d failed", len(ok), len(failed))
		}
	})
}

func operations(events []domain.Event) []domain.Operation {
	var ops []domain.Operation
	for _, e := range events {
		ops = append(ops, e.Operation)
	}
	return ops
}
