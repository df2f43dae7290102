package app_test

import (
	"strings"
	"testing"

	"github.com/craevidence/scim-provisioning/services/provisioning/internal/app"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
)

// TestGroupsBelongToTheirClient checks that groups are per-client views like
// users: a second client of the same organisation can neither read, list,
// change nor delete the first client's group, may put only its own users in
// its groups, and sees only its own groups in a user's groups attribute.
func TestGroupsBelongToTheirClient(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := testContext()
		a, _ := f.newClient(t, allOn())
		a2, _ := f.newClient(t, domain.ClientSettings{Name: "Entra", AutoActivate: true, SyncAttributes: true})
		owner, err := f.directory.AddMember(ctx, domain.Invitation{
			OrganizationID: f.org.ID, Email: "owner@example.com", Role: domain.RoleOwner,
		})
		if err != nil {
			t.Fatal(err)
		}
		ada, err := f.provisioning.CreateUser(ctx, a, user("ada@example.com", true))
		if err != nil {
			t.Fatal(err)
		}
		g, err := f.provisioning.CreateGroup(ctx, a,
			app.GroupInput{DisplayName: "Legal", MemberIDs: []string{ada.Member.ID}})
		if err != nil {
			t.Fatal(err)
		}
		id := g.Group.ID

		_, err = f.provisioning.GetGroup(ctx, a2, id, false)
		wantKind(t, err, domain.KindNotFound)
		list, total, err := f.provisioning.ListGroups(ctx, a2, domain.ListQuery{Count: 10}, false)
		if err != nil || len(list) != 0 || total != 0 {
			t.Errorf("a2 lists %d groups (total %d, %v), want none", len(list), total, err)
		}
		_, err = f.provisioning.ReplaceGroup(ctx, a2, id, app.GroupInput{DisplayName: "Stolen"}, 0)
		wantKind(t, err, domain.KindNotFound)
		_, err = f.provisioning.ModifyGroup(ctx, a2, id, app.GroupChange{RemoveAllMembers: true}, 0, false)
		wantKind(t, err, domain.KindNotFound)
		wantKind(t, f.provisioning.DeleteGroup(ctx, a2, id, 0), domain.KindNotFound)
		view, err := f.provisioning.GetGroup(ctx, a, id, false)
		if err != nil || view.Group.DisplayName != "Legal" || len(view.Members) != 1 {
			t.Fatalf("a's group after a2's attempts = %+v, %v", view, err)
		}

		// displayName stays unique in the organisation.
		_, err = f.provisioning.CreateGroup(ctx, a2, app.GroupInput{DisplayName: "LEGAL"})
		wantKind(t, err, domain.KindAlreadyExists)

		// Only the caller's own users may join its groups.
		for name, memberID := range map[string]string{
			"a's user": ada.Member.ID, "the owner invited by hand": owner.ID,
		} {
			_, err = f.provisioning.CreateGroup(ctx, a2,
				app.GroupInput{DisplayName: "Sales", MemberIDs: []string{memberID}})
			wantKind(t, err, domain.KindInvalid)
			if !strings.Contains(err.Error(), "is not a user of this SCIM client") {
				t.Errorf("adding %s: %v", name, err)
			}
		}
		sales, err := f.provisioning.CreateGroup(ctx, a2, app.GroupInput{DisplayName: "Sales"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.provisioning.ModifyGroup(ctx, a2, sales.Group.ID,
			app.GroupChange{AddMemberIDs: []string{owner.ID}}, 0, false)
		wantKind(t, err, domain.KindInvalid)
		_, err = f.provisioning.ReplaceGroup(ctx, a2, sales.Group.ID,
			app.GroupInput{DisplayName: "Sales", MemberIDs: []string{ada.Member.ID}}, 0)
		wantKind(t, err, domain.KindInvalid)

		// Ada leaves a, hidden in a's group, and a2 provisions her: her
		// groups attribute shows a2's group only.
		if err := f.provisioning.DeleteUser(ctx, a, ada.Member.ID, 0); err != nil {
			t.Fatal(err)
		}
		again, err := f.provisioning.CreateUser(ctx, a2, user("ada@example.com", true))
		if err != nil || again.Member.ID != ada.Member.ID {
			t.Fatalf("a2 adopting ada: %v (%s)", err, again.Member.ID)
		}
		if len(again.Groups) != 0 {
			t.Errorf("ada's groups for a2 = %v, want none of a's", again.Groups)
		}
		if _, err := f.provisioning.ModifyGroup(ctx, a2, sales.Group.ID,
			app.GroupChange{AddMemberIDs: []string{ada.Member.ID}}, 0, false); err != nil {
			t.Fatal(err)
		}
		got, err := f.provisioning.GetUser(ctx, a2, ada.Member.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Groups) != 1 || got.Groups[0].ID != sales.Group.ID {
			t.Errorf("ada's groups for a2 = %v, want Sales only", got.Groups)
		}
		users, _, err := f.provisioning.ListUsers(ctx, a2, domain.ListQuery{Count: 10})
		if err != nil || len(users) != 1 || len(users[0].Groups) != 1 {
			t.Errorf("listed users of a2 = %+v, %v", users, err)
		}
	})
}
