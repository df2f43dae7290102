package app_test

import (
	"testing"

	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/ports"
)

func TestAddMemberInvitedByHand(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := testContext()

		m, err := f.directory.AddMember(ctx, domain.Invitation{
			OrganizationID: f.org.ID, Email: " Linus@Example.com ", DisplayName: "Linus",
			Role: domain.RoleAdmin,
		})
		if err != nil {
			t.Fatal(err)
		}
		stored := f.member(t, m.ID)
		if stored.UserName != "Linus@Example.com" || stored.Role != domain.RoleAdmin ||
			stored.Status != domain.StatusActive || stored.ClientID != "" ||
			stored.Profile.PrimaryEmail() != "Linus@Example.com" {
			t.Errorf("stored member = %+v", stored)
		}
		events := f.events(t, ports.EventQuery{MemberID: m.ID})
		if len(events) != 1 || events[0].Operation != domain.OpMemberAdd ||
			events[0].Outcome != domain.OutcomeSucceeded || events[0].Actor != "service:directory" {
			t.Fatalf("events = %+v", events)
		}

		// The same email in another case, or the same userName, is taken.
		_, err = f.directory.AddMember(ctx, domain.Invitation{
			OrganizationID: f.org.ID, Email: "linus@example.COM", UserName: "other",
		})
		wantKind(t, err, domain.KindAlreadyExists)
		_, err = f.directory.AddMember(ctx, domain.Invitation{
			OrganizationID: f.org.ID, Email: "x@example.com", UserName: "LINUS@example.com",
		})
		wantKind(t, err, domain.KindAlreadyExists)
		failed := f.events(t, ports.EventQuery{
			Operation: domain.OpMemberAdd, Outcome: domain.OutcomeFailed,
		})
		if len(failed) != 2 || failed[0].MemberID != "" || failed[0].ErrorCode != "already_exists" {
			t.Errorf("failed member.add events = %+v", failed)
		}

		// A SCIM client provisioning the same person adopts it, role kept.
		caller, _ := f.newClient(t, allOn())
		adopted, err := f.provisioning.CreateUser(ctx, caller, user("linus@example.com", true))
		if err != nil {
			t.Fatal(err)
		}
		if adopted.Member.ID != m.ID || adopted.Member.Role != domain.RoleAdmin ||
			adopted.Member.ClientID != caller.Client.ID {
			t.Errorf("adopted = %+v", adopted.Member)
		}
	})
}

func TestAddMemberValidates(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := testContext()
		invalid := []domain.Invitation{
			{OrganizationID: "", Email: "a@example.com"},
			{OrganizationID: f.org.ID, Email: ""},
			{OrganizationID: f.org.ID, Email: "not-an-email"},
			{OrganizationID: f.org.ID, Email: "a b@example.com"},
			{OrganizationID: f.org.ID, Email: "a@b@example.com"},
			{OrganizationID: f.org.ID, Email: "a@localhost"},
			{OrganizationID: f.org.ID, Email: "a@example.com", Role: "superuser"},
			{OrganizationID: f.org.ID, Email: "a@example.com", UserName: string(make([]byte, 300))},
			{OrganizationID: f.org.ID, Email: "a@example.com", UserName: "\xff"},
		}
		for _, inv := range invalid {
			_, err := f.directory.AddMember(ctx, inv)
			wantKind(t, err, domain.KindInvalid)
		}

		_, err := f.directory.AddMember(ctx, domain.Invitation{
			OrganizationID: "no-such-org", Email: "a@example.com",
		})
		wantKind(t, err, domain.KindNotFound)

		m, err := f.directory.AddMember(ctx, domain.Invitation{
			OrganizationID: f.org.ID, Email: "plain@example.com",
		})
		if err != nil {
			t.Fatal(err)
		}
		if m.Role != domain.RoleMember || m.UserName != "plain@example.com" {
			t.Errorf("defaults: role %s userName %s", m.Role, m.UserName)
		}
	})
}
