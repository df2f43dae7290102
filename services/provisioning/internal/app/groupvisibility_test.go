package app_test

import (
	"testing"

	"github.com/craevidence/scim-provisioning/services/provisioning/internal/app"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
)

// TestDeletedMemberIsHiddenFromGroups checks that a user deleted with
// allow deletion off, gone from SCIM's view, is no longer listed in its
// groups (whose member reference would lead to a 404), survives a PUT of the
// group that cannot name it, and is back in the group when the identity
// provider creates the same person again.
func TestDeletedMemberIsHiddenFromGroups(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := testContext()
		caller, _ := f.newClient(t, domain.ClientSettings{AutoActivate: true, SyncAttributes: true})
		ids := f.newUsers(t, caller, "a@example.com", "b@example.com", "c@example.com")
		g, err := f.provisioning.CreateGroup(ctx, caller,
			app.GroupInput{DisplayName: "Legal", MemberIDs: ids[:2]})
		if err != nil {
			t.Fatal(err)
		}

		if err := f.provisioning.DeleteUser(ctx, caller, ids[1], 0); err != nil {
			t.Fatal(err)
		}
		view, err := f.provisioning.GetGroup(ctx, caller, g.Group.ID, false)
		if err != nil {
			t.Fatal(err)
		}
		if got := memberIDs(view.Members); !sameSet(got, ids[:1]) {
			t.Errorf("members after the delete = %v, want %v", got, ids[:1])
		}
		views, _, err := f.provisioning.ListGroups(ctx, caller, domain.ListQuery{StartIndex: 1, Count: 10}, false)
		if err != nil {
			t.Fatal(err)
		}
		if len(views) != 1 || !sameSet(memberIDs(views[0].Members), ids[:1]) {
			t.Errorf("listed group members = %v, want %v", views, ids[:1])
		}

		replaced, err := f.provisioning.ReplaceGroup(ctx, caller, g.Group.ID,
			app.GroupInput{DisplayName: "Legal", MemberIDs: []string{ids[0], ids[2]}}, 0)
		if err != nil {
			t.Fatal(err)
		}
		if got := memberIDs(replaced.Members); !sameSet(got, []string{ids[0], ids[2]}) {
			t.Errorf("members after PUT = %v", got)
		}

		back, err := f.provisioning.CreateUser(ctx, caller, user("b@example.com", true))
		if err != nil {
			t.Fatal(err)
		}
		if back.Member.ID != ids[1] {
			t.Fatalf("the same person came back as %s, want %s", back.Member.ID, ids[1])
		}
		view, err = f.provisioning.GetGroup(ctx, caller, g.Group.ID, false)
		if err != nil {
			t.Fatal(err)
		}
		if got := memberIDs(view.Members); !sameSet(got, ids) {
			t.Errorf("members after the person came back = %v, want %v", got, ids)
		}
	})
}
