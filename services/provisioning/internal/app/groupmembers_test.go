package app_test

import (
	"errors"
	"testing"

	"github.com/craevidence/scim-provisioning/services/provisioning/internal/app"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
)

// TestRemovingUnknownGroupMembersIsNoOp checks the membership rule: removal
// is a set operation, so an id that is not in the group, or that names a
// user the identity provider has already erased, leaves the group alone,
// while adding an id that names no member is refused.
func TestRemovingUnknownGroupMembersIsNoOp(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := testContext()
		caller, _ := f.newClient(t, domain.ClientSettings{
			AutoActivate: true, SyncAttributes: true, AllowDeletion: true,
		})
		ids := f.newUsers(t, caller, "a@example.com", "b@example.com")
		g, err := f.provisioning.CreateGroup(ctx, caller,
			app.GroupInput{DisplayName: "Engineering", MemberIDs: ids})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.provisioning.DeleteUser(ctx, caller, ids[1], 0); err != nil {
			t.Fatal(err)
		}

		modified, err := f.provisioning.ModifyGroup(ctx, caller, g.Group.ID, app.GroupChange{
			RemoveMemberIDs: []string{ids[1], "never-existed"},
		}, 0, false)
		if err != nil {
			t.Fatalf("removing an erased and an unknown id: %v", err)
		}
		if got := memberIDs(modified.Members); !sameSet(got, ids[:1]) {
			t.Errorf("members = %v, want %v", got, ids[:1])
		}

		_, err = f.provisioning.ModifyGroup(ctx, caller, g.Group.ID, app.GroupChange{
			AddMemberIDs: []string{"never-existed"},
		}, 0, false)
		wantKind(t, err, domain.KindInvalid)
		var derr *domain.Error
		if !errors.As(err, &derr) || derr.Reason != domain.ReasonInvalidValue {
			t.Errorf("error %v, want reason %q", err, domain.ReasonInvalidValue)
		}
	})
}

// TestListUsersCarriesGroups checks that a listed page names each user's
// groups, read in one batch.
func TestListUsersCarriesGroups(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := testContext()
		caller, _ := f.newClient(t, allOn())
		ids := f.newUsers(t, caller, "a@example.com", "b@example.com", "c@example.com")
		eng, err := f.provisioning.CreateGroup(ctx, caller,
			app.GroupInput{DisplayName: "Engineering", MemberIDs: ids[:2]})
		if err != nil {
			t.Fatal(err)
		}
		ops, err := f.provisioning.CreateGroup(ctx, caller,
			app.GroupInput{DisplayName: "Operations", MemberIDs: ids[1:2]})
		if err != nil {
			t.Fatal(err)
		}

		users, total, err := f.provisioning.ListUsers(ctx, caller, domain.ListQuery{Count: 10})
		if err != nil {
			t.Fatal(err)
		}
		if total != 3 || len(users) != 3 {
			t.Fatalf("listed %d of %d users, want 3 of 3", len(users), total)
		}
		want := map[string][]string{
			ids[0]: {eng.Group.ID},
			ids[1]: {eng.Group.ID, ops.Group.ID},
			ids[2]: nil,
		}
		for _, u := range users {
			var got []string
			for _, g := range u.Groups {
				got = append(got, g.ID)
			}
			if !sameSet(got, want[u.Member.ID]) {
				t.Errorf("groups of %s = %v, want %v", u.Member.UserName, got, want[u.Member.ID])
			}
		}
	})
}
