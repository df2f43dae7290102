package app_test

import (
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/craevidence/scim-provisioning/services/provisioning/internal/app"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/ports"
)

func TestClientLifecycle(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := testContext()
		caller, oldToken := f.newClient(t, allOn())
		id := caller.Client.ID
		created, err := f.provisioning.CreateUser(ctx, caller, user("ada@example.com", true))
		if err != nil {
			t.Fatal(err)
		}

		updated, err := f.clients.Update(ctx, f.owner, id, app.ClientChanges{
			Name: ptr("Okta EU"), DefaultRole: ptr(domain.RoleViewer),
		})
		if err != nil {
			t.Fatal(err)
		}
		if updated.Name != "Okta EU" || updated.DefaultRole != domain.RoleViewer || !updated.AutoActivate {
			t.Errorf("updated = %+v", updated)
		}
		_, err = f.clients.Update(ctx, f.owner, id, app.ClientChanges{DefaultRole: ptr(domain.RoleOwner)})
		wantKind(t, err, domain.KindInvalid)

		rotated, newToken, err := f.clients.RotateToken(ctx, f.owner, id)
		if err != nil {
			t.Fatal(err)
		}
		if newToken == oldToken || rotated.TokenPrefix == "" {
			t.Fatal("rotation returned the old token")
		}
		_, err = f.provisioning.Authenticate(ctx, oldToken)
		wantKind(t, err, domain.KindUnauthenticated)
		if got := f.authenticate(t, newToken); got.Client.ID != id {
			t.Errorf("new token authenticates %s", got.Client.ID)
		}

		stats, err := f.clients.Statistics(ctx, f.owner, id)
		if err != nil || stats.UsersCreated != 1 || stats.LastSyncAt.IsZero() {
			t.Errorf("statistics = %+v, %v", stats, err)
		}

		if err := f.clients.Delete(ctx, f.owner, id); err != nil {
			t.Fatal(err)
		}
		_, err = f.provisioning.Authenticate(ctx, newToken)
		wantKind(t, err, domain.KindUnauthenticated)
		_, err = f.clients.Get(ctx, f.owner, id)
		wantKind(t, err, domain.KindNotFound)
		if m := f.member(t, created.Member.ID); m.ClientID != "" {
			t.Errorf("member still linked to the deleted client: %q", m.ClientID)
		}

		ops := operations(f.events(t, ports.EventQuery{ClientID: id}))
		// The refused default role is logged as a failed client.update.
		want := []domain.Operation{
			domain.OpClientDelete, domain.OpClientRotate, domain.OpClientUpdate,
			domain.OpClientUpdate, domain.OpUserCreate, domain.OpClientCreate,
		}
		if !slices.Equal(ops, want) {
			t.Errorf("operations = %v, want %v (kept after delete)", ops, want)
		}
	})
}

func TestOnlyOwnersAndAdminsManageClients(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := testContext()
		for _, role := range []domain.Role{domain.RoleMember, domain.RoleViewer} {
			admin := app.Admin{Subject: "someone", OrganizationID: f.org.ID, Role: role}
			_, _, err := f.clients.Create(ctx, admin, domain.ClientSettings{Name: "x"})
			wantKind(t, err, domain.KindPermissionDenied)
			_, err = f.clients.List(ctx, admin)
			wantKind(t, err, domain.KindPermissionDenied)
			_, _, err = f.members.List(ctx, admin, ports.Page{})
			wantKind(t, err, domain.KindPermissionDenied)
		}
		admin := app.Admin{Subject: "an-admin", OrganizationID: f.org.ID, Role: domain.RoleAdmin}
		if _, _, err := f.clients.Create(ctx, admin, domain.ClientSettings{Name: "x"}); err != nil {
			t.Errorf("an admin may create a client: %v", err)
		}
	})
}

func TestCrossTenantIsolation(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := testContext()
		caller, _ := f.newClient(t, domain.ClientSettings{AutoActivate: false})
		created, err := f.provisioning.CreateUser(ctx, caller, user("ada@example.com", true))
		if err != nil {
			t.Fatal(err)
		}
		clientID, memberID := caller.Client.ID, created.Member.ID

		f.newOrg(t, "org-b", domain.PlanEnterprise)
		other := app.Admin{Subject: "owner-b", OrganizationID: "org-b", Role: domain.RoleOwner}

		_, err = f.clients.Get(ctx, other, clientID)
		wantKind(t, err, domain.KindNotFound)
		_, err = f.clients.Update(ctx, other, clientID, app.ClientChanges{Enabled: ptr(false)})
		wantKind(t, err, domain.KindNotFound)
		_, _, err = f.clients.RotateToken(ctx, other, clientID)
		wantKind(t, err, domain.KindNotFound)
		_, err = f.clients.Statistics(ctx, other, clientID)
		wantKind(t, err, domain.KindNotFound)
		wantKind(t, f.clients.Delete(ctx, other, clientID), domain.KindNotFound)
		_, err = f.members.Approve(ctx, other, memberID)
		wantKind(t, err, domain.KindNotFound)
		_, err = f.members.Deactivate(ctx, other, memberID)
		wantKind(t, err, domain.KindNotFound)

		clients, err := f.clients.List(ctx, other)
		if err != nil || len(clients) != 0 {
			t.Errorf("org b sees %d clients (%v)", len(clients), err)
		}
		members, _, err := f.members.List(ctx, other, ports.Page{})
		if err != nil || len(members) != 0 {
			t.Errorf("org b sees %d members (%v)", len(members), err)
		}
		events, _, err := f.clients.ListEvents(ctx, other, ports.EventQuery{ClientID: clientID})
		if err != nil || len(events) != 0 {
			t.Errorf("org b sees %d events (%v)", len(events), err)
		}

		// Nothing of org a changed.
		if c, err := f.clients.Get(ctx, f.owner, clientID); err != nil || !c.Enabled {
			t.Errorf("org a's client after org b's attempts: %+v, %v", c, err)
		}
		if m := f.member(t, memberID); m.Status != domain.StatusPendingApproval {
			t.Errorf("org a's member status = %s", m.Status)
		}
	})
}

func TestAdminMemberActions(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := testContext()
		caller, _ := f.newClient(t, allOn())
		created, err := f.provisioning.CreateUser(ctx, caller, user("ada@example.com", true))
		if err != nil {
			t.Fatal(err)
		}
		id := created.Member.ID

		if m, err := f.members.Deactivate(ctx, f.owner, id); err != nil || m.Status != domain.StatusDeactivated {
			t.Fatalf("deactivate: %+v, %v", m.Status, err)
		}
		_, err = f.members.Deactivate(ctx, f.owner, id)
		wantKind(t, err, domain.KindConflict)
		_, err = f.members.Approve(ctx, f.owner, id)
		wantKind(t, err, domain.KindConflict)
		if m, err := f.members.Reactivate(ctx, f.owner, id); err != nil || m.Status != domain.StatusActive {
			t.Fatalf("reactivate: %+v, %v", m.Status, err)
		}

		ops := operations(f.events(t, ports.EventQuery{MemberID: id}))
		// The two refused changes are logged as failures.
		want := []domain.Operation{
			domain.OpMemberReactivate, domain.OpMemberApprove, domain.OpMemberDeactivate,
			domain.OpMemberDeactivate, domain.OpUserCreate,
		}
		if !slices.Equal(ops, want) {
			t.Errorf("operations = %v, want %v", ops, want)
		}
	})
}

func TestGroups(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := testContext()
		caller, _ := f.newClient(t, allOn())
		ids := f.newUsers(t, caller, "a@example.com", "b@example.com", "c@example.com")

		g, err := f.provisioning.CreateGroup(ctx, caller,
			app.GroupInput{DisplayName: "Engineering", MemberIDs: ids[:2]})
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.provisioning.CreateGroup(ctx, caller, app.GroupInput{DisplayName: "engineering"})
		wantKind(t, err, domain.KindAlreadyExists)

		modified, err := f.provisioning.ModifyGroup(ctx, caller, g.Group.ID, app.GroupChange{
			AddMemberIDs: []string{ids[2]}, RemoveMemberIDs: []string{ids[0]},
		}, g.Group.Version, false)
		if err != nil {
			t.Fatal(err)
		}
		if got := memberIDs(modified.Members); !sameSet(got, ids[1:]) {
			t.Errorf("members after modify = %v, want %v", got, ids[1:])
		}

		_, err = f.provisioning.ModifyGroup(ctx, caller, g.Group.ID,
			app.GroupChange{DisplayName: ptr("Stale")}, g.Group.Version, true)
		wantKind(t, err, domain.KindPreconditionFailed)

		replaced, err := f.provisioning.ReplaceGroup(ctx, caller, g.Group.ID,
			app.GroupInput{DisplayName: "Platform", MemberIDs: ids[:1]}, 0)
		if err != nil {
			t.Fatal(err)
		}
		if replaced.Group.DisplayName != "Platform" || !sameSet(memberIDs(replaced.Members), ids[:1]) {
			t.Errorf("replaced = %+v", replaced)
		}

		read, err := f.provisioning.GetGroup(ctx, caller, g.Group.ID, true)
		if err != nil || len(read.Members) != 0 || read.Group.Version != replaced.Group.Version {
			t.Errorf("get without members = %+v, %v", read, err)
		}

		if err := f.provisioning.DeleteGroup(ctx, caller, g.Group.ID, 0); err != nil {
			t.Fatal(err)
		}
		_, err = f.provisioning.GetGroup(ctx, caller, g.Group.ID, false)
		wantKind(t, err, domain.KindNotFound)
		if m := f.member(t, ids[0]); m.Status != domain.StatusActive {
			t.Error("deleting a group touched its members")
		}

		events := f.events(t, ports.EventQuery{Operation: domain.OpGroupUpdate, Outcome: domain.OutcomeSucceeded})
		if len(events) != 2 || events[0].GroupID != g.Group.ID ||
			!slices.Equal(events[0].ChangedAttributes, []string{"displayName", "members"}) {
			t.Errorf("group.update events = %+v", events)
		}
	})
}

func TestRetentionDeletesOldEvents(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := testContext()
		now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
		for i, at := range []time.Time{now.AddDate(-11, 0, 0), now.AddDate(-9, 0, 0)} {
			err := f.store.Audit().AppendEvent(ctx, domain.Event{
				ID: app.NewID(), OrganizationID: f.org.ID, Operation: domain.OpClientUpdate,
				Outcome: domain.OutcomeSucceeded, Actor: "admin:x", OccurredAt: at,
			})
			if err != nil {
				t.Fatalf("append event %d: %v", i, err)
			}
		}

		logger := slog.New(slog.NewTextHandler(io.Discard, nil))
		retention := app.NewRetention(f.store.Audit(), 0, func() time.Time { return now }, logger)
		n, err := retention.Run(ctx)
		if err != nil || n != 1 {
			t.Fatalf("retention deleted %d (%v), want 1", n, err)
		}
		if left := f.events(t, ports.EventQuery{}); len(left) != 1 {
			t.Errorf("%d events left, want the one within ten years", len(left))
		}
	})
}

func memberIDs(members []domain.GroupMember) []string {
	var ids []string
	for _, m := range members {
		ids = append(ids, m.MemberID)
	}
	return ids
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
