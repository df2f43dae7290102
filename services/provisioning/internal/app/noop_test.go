package app_test

import (
	"testing"

	"github.com/craevidence/scim-provisioning/services/provisioning/internal/app"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/ports"
)

// TestNoOpUpdatesKeepTheVersion checks that an update or group change that
// changes nothing keeps the version, is logged with no changed attributes,
// and does not count as an updated user.
func TestNoOpUpdatesKeepTheVersion(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := testContext()
		caller, _ := f.newClient(t, allOn())
		ada, err := f.provisioning.CreateUser(ctx, caller, user("ada@example.com", true))
		if err != nil {
			t.Fatal(err)
		}
		same, err := f.provisioning.UpdateUser(ctx, caller, ada.Member.ID, user("ada@example.com", true), 0)
		if err != nil {
			t.Fatal(err)
		}
		if same.Member.Version != ada.Member.Version {
			t.Errorf("user version after a no-op = %d, want %d", same.Member.Version, ada.Member.Version)
		}
		stats, err := f.clients.Statistics(ctx, f.owner, caller.Client.ID)
		if err != nil || stats.UsersUpdated != 0 {
			t.Errorf("usersUpdated after a no-op = %d (%v), want 0", stats.UsersUpdated, err)
		}
		updates := f.events(t, ports.EventQuery{Operation: domain.OpUserUpdate})
		if len(updates) != 1 || len(updates[0].ChangedAttributes) != 0 {
			t.Errorf("no-op update events = %+v, want one with no changed attributes", updates)
		}

		g, err := f.provisioning.CreateGroup(ctx, caller,
			app.GroupInput{DisplayName: "Legal", MemberIDs: []string{ada.Member.ID}})
		if err != nil {
			t.Fatal(err)
		}
		name := "Legal"
		for _, change := range []app.GroupChange{
			{DisplayName: &name},
			{AddMemberIDs: []string{ada.Member.ID}},
			{RemoveMemberIDs: []string{caller.Client.ID}},
		} {
			view, err := f.provisioning.ModifyGroup(ctx, caller, g.Group.ID, change, 0, true)
			if err != nil {
				t.Fatal(err)
			}
			if view.Group.Version != g.Group.Version {
				t.Errorf("group version after no-op %+v = %d, want %d", change, view.Group.Version,
					g.Group.Version)
			}
		}
		replaced, err := f.provisioning.ReplaceGroup(ctx, caller, g.Group.ID,
			app.GroupInput{DisplayName: "Legal", MemberIDs: []string{ada.Member.ID}}, 0)
		if err != nil || replaced.Group.Version != g.Group.Version {
			t.Errorf("group version after a no-op PUT = %d (%v)", replaced.Group.Version, err)
		}
		renamed, err := f.provisioning.ModifyGroup(ctx, caller, g.Group.ID,
			app.GroupChange{DisplayName: ptr("Legal Team")}, 0, true)
		if err != nil || renamed.Group.Version != g.Group.Version+1 {
			t.Errorf("group version after a rename = %d (%v), want %d", renamed.Group.Version, err,
				g.Group.Version+1)
		}
	})
}
