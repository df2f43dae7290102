package app_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/craevidence/scim-provisioning/services/provisioning/internal/app"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/ports"
)

func wantReason(t *testing.T, err error, kind domain.Kind, reason string) {
	t.Helper()
	wantKind(t, err, kind)
	var de *domain.Error
	if !errors.As(err, &de) || de.Reason != reason {
		t.Fatalf("error %v has reason %q, want %q", err, de.Reason, reason)
	}
}

// TestPrivilegedMembersAreNotAdoptedByEmailAlone checks that a create whose
// userName differs from an owner's or admin's, with that member's email,
// neither links nor renames the member, while a plain member is still
// adopted by email.
func TestPrivilegedMembersAreNotAdoptedByEmailAlone(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := testContext()
		caller, _ := f.newClient(t, allOn())
		for _, role := range []domain.Role{domain.RoleOwner, domain.RoleAdmin, domain.RoleMember} {
			email := string(role) + "@example.com"
			invited, err := f.directory.AddMember(ctx, domain.Invitation{
				OrganizationID: f.org.ID, Email: email, Role: role,
			})
			if err != nil {
				t.Fatal(err)
			}
			sent := user("someone-"+string(role), true)
			sent.Profile.Emails = []domain.MultiValue{{Value: email, Type: "work"}}

			created, err := f.provisioning.CreateUser(ctx, caller, sent)
			if role == domain.RoleMember {
				if err != nil || created.Member.ID != invited.ID {
					t.Errorf("member adopted by email: %v (%s)", err, created.Member.ID)
				}
				continue
			}
			wantReason(t, err, domain.KindAlreadyExists, domain.ReasonUniqueness)
			m := f.member(t, invited.ID)
			if m.UserName != email || m.ClientID != "" || m.Status != domain.StatusActive {
				t.Errorf("%s after the refused create: userName %q client %q status %s",
					role, m.UserName, m.ClientID, m.Status)
			}
		}
	})
}

// TestAdoptionKeepsAnOwnerInvitedByHand replays the take-over of an owner
// by userName: a create with the owner's userName and no emails, on a client
// with sync attributes off, must neither link the owner nor wipe its email,
// and a later create with the owner's email under another userName must not
// make a second member that owns the address. A create that sends both the
// userName and the email adopts the owner and, with sync off, keeps its
// profile.
func TestAdoptionKeepsAnOwnerInvitedByHand(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := testContext()
		caller, _ := f.newClient(t, domain.ClientSettings{AutoActivate: true})
		owner, err := f.directory.AddMember(ctx, domain.Invitation{
			OrganizationID: f.org.ID, Email: "chief@corp.example", UserName: "chief",
			DisplayName: "The Chief", Role: domain.RoleOwner,
		})
		if err != nil {
			t.Fatal(err)
		}

		_, err = f.provisioning.CreateUser(ctx, caller,
			domain.ProvisionedUser{UserName: "chief", Active: true})
		wantReason(t, err, domain.KindAlreadyExists, domain.ReasonUniqueness)
		mallory := user("mallory", true)
		mallory.Profile.Emails = []domain.MultiValue{{Value: "chief@corp.example"}}
		_, err = f.provisioning.CreateUser(ctx, caller, mallory)
		wantReason(t, err, domain.KindAlreadyExists, domain.ReasonUniqueness)

		byEmail, err := f.directory.MemberByEmail(ctx, f.org.ID, "chief@corp.example")
		if err != nil || byEmail.ID != owner.ID {
			t.Fatalf("member of the owner's email = %s (%v), want the owner %s",
				byEmail.ID, err, owner.ID)
		}
		if m := f.member(t, owner.ID); m.ClientID != "" || m.Profile.PrimaryEmail() != "chief@corp.example" {
			t.Fatalf("owner after the refused creates: client %q email %q",
				m.ClientID, m.Profile.PrimaryEmail())
		}

		both := user("CHIEF", true)
		both.Profile.Emails = []domain.MultiValue{{Value: "Chief@corp.example", Type: "work"}}
		adopted, err := f.provisioning.CreateUser(ctx, caller, both)
		if err != nil || adopted.Member.ID != owner.ID {
			t.Fatalf("adopt with userName and email: %v (%s)", err, adopted.Member.ID)
		}
		m := f.member(t, owner.ID)
		if m.ClientID != caller.Client.ID || m.UserName != "chief" ||
			m.Profile.DisplayName != "The Chief" || m.Profile.PrimaryEmail() != "chief@corp.example" ||
			m.Role != domain.RoleOwner {
			t.Errorf("owner adopted with sync off = %+v, want linked with its profile kept", m)
		}
	})
}

// TestAdoptionWithoutEmailsKeepsTheInvitedEmail checks that an ordinary
// member adopted by userName, by a client with sync attributes on that sends
// no emails, keeps the address it was invited with, so that the address
// cannot be claimed by another create afterwards.
func TestAdoptionWithoutEmailsKeepsTheInvitedEmail(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := testContext()
		caller, _ := f.newClient(t, allOn())
		invited, err := f.directory.AddMember(ctx, domain.Invitation{
			OrganizationID: f.org.ID, Email: "ada@corp.example", UserName: "ada",
		})
		if err != nil {
			t.Fatal(err)
		}

		sent := domain.ProvisionedUser{UserName: "ada", Active: true,
			Profile: domain.Profile{DisplayName: "Ada L."}}
		adopted, err := f.provisioning.CreateUser(ctx, caller, sent)
		if err != nil || adopted.Member.ID != invited.ID {
			t.Fatalf("adopt by userName: %v (%s)", err, adopted.Member.ID)
		}
		m := f.member(t, invited.ID)
		if m.Profile.PrimaryEmail() != "ada@corp.example" || m.Profile.DisplayName != "Ada L." {
			t.Errorf("adopted member: email %q displayName %q, want the email kept and the "+
				"profile synced", m.Profile.PrimaryEmail(), m.Profile.DisplayName)
		}

		claim := user("eve", true)
		claim.Profile.Emails = []domain.MultiValue{{Value: "ada@corp.example"}}
		_, err = f.provisioning.CreateUser(ctx, caller, claim)
		wantReason(t, err, domain.KindAlreadyExists, domain.ReasonUniqueness)
	})
}

// TestLastActiveOwnerCannotBeRemovedThroughSCIM checks every SCIM path that
// could lock the organisation out: an adoption with active false, an update
// to active false, and a DELETE with and without allow deletion. Once the
// organisation has a second active owner, the first may go.
func TestLastActiveOwnerCannotBeRemovedThroughSCIM(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := testContext()
		caller, _ := f.newClient(t, allOn())
		owner, err := f.directory.AddMember(ctx, domain.Invitation{
			OrganizationID: f.org.ID, Email: "owner@example.com", Role: domain.RoleOwner,
		})
		if err != nil {
			t.Fatal(err)
		}

		_, err = f.provisioning.CreateUser(ctx, caller, user("owner@example.com", false))
		wantReason(t, err, domain.KindConflict, domain.ReasonMutability)
		if m := f.member(t, owner.ID); m.Status != domain.StatusActive || m.ClientID != "" {
			t.Fatalf("owner after a refused inactive adoption: %+v", m)
		}

		adopted, err := f.provisioning.CreateUser(ctx, caller, user("owner@example.com", true))
		if err != nil || adopted.Member.ID != owner.ID {
			t.Fatalf("adopt the owner: %v", err)
		}
		_, err = f.provisioning.UpdateUser(ctx, caller, owner.ID, user("owner@example.com", false), 0)
		wantReason(t, err, domain.KindConflict, domain.ReasonMutability)
		err = f.provisioning.DeleteUser(ctx, caller, owner.ID, 0)
		wantReason(t, err, domain.KindConflict, domain.ReasonMutability)

		_, err = f.clients.Update(ctx, f.owner, caller.Client.ID,
			app.ClientChanges{AllowDeletion: ptr(true)})
		if err != nil {
			t.Fatal(err)
		}
		eraser := f.authenticate(t, mustToken(t, f, caller))
		err = f.provisioning.DeleteUser(ctx, eraser, owner.ID, 0)
		wantReason(t, err, domain.KindConflict, domain.ReasonMutability)

		m := f.member(t, owner.ID)
		if !m.CanLogIn() || m.Role != domain.RoleOwner || m.ClientID != caller.Client.ID {
			t.Fatalf("the last owner after refused changes: %+v", m)
		}
		failed := 0
		for _, e := range f.events(t, ports.EventQuery{MemberID: owner.ID}) {
			if e.Outcome == domain.OutcomeFailed && e.ErrorCode == "conflict" {
				failed++
			}
		}
		if failed != 4 {
			t.Errorf("failed conflict events of the owner = %d, want 4", failed)
		}

		if _, err := f.directory.AddMember(ctx, domain.Invitation{
			OrganizationID: f.org.ID, Email: "second@example.com", Role: domain.RoleOwner,
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.provisioning.UpdateUser(ctx, eraser, owner.ID,
			user("owner@example.com", false), 0); err != nil {
			t.Fatalf("deactivate one of two owners: %v", err)
		}
	})
}

// mustToken rotates the client's token and returns the new one, so the test
// can authenticate the client with its changed settings.
func mustToken(t *testing.T, f *fixture, caller app.ScimCaller) string {
	t.Helper()
	_, token, err := f.clients.RotateToken(testContext(), f.owner, caller.Client.ID)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// TestConcurrentCreatesWithOneEmail sends 40 creates at once with one email
// and different userNames: exactly one member results, the rest are
// uniqueness conflicts, on every database.
func TestConcurrentCreatesWithOneEmail(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := testContext()
		caller, _ := f.newClient(t, allOn())

		const attempts = 40
		var wg sync.WaitGroup
		errs := make([]error, attempts)
		for i := range attempts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				u := user(fmt.Sprintf("user-%d", i), true)
				u.Profile.Emails = []domain.MultiValue{{Value: "Shared@example.com", Type: "work"}}
				_, errs[i] = f.provisioning.CreateUser(ctx, caller, u)
			}()
		}
		wg.Wait()

		succeeded := 0
		for _, err := range errs {
			switch {
			case err == nil:
				succeeded++
			case domain.IsKind(err, domain.KindAlreadyExists):
			default:
				t.Errorf("unexpected error: %v", err)
			}
		}
		members, _, err := f.members.List(ctx, f.owner, ports.Page{Size: 100})
		if err != nil || succeeded != 1 || len(members) != 1 {
			t.Fatalf("%d creates succeeded, %d members (%v): want exactly one", succeeded,
				len(members), err)
		}
	})
}

// TestUpdateRefusesAnotherMembersEmail checks that an update cannot give a
// user the email of another member of the organisation, which would make
// that member's next provisioning a conflict for good.
func TestUpdateRefusesAnotherMembersEmail(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := testContext()
		caller, _ := f.newClient(t, allOn())
		invited, err := f.directory.AddMember(ctx, domain.Invitation{
			OrganizationID: f.org.ID, Email: "dana@example.com",
		})
		if err != nil {
			t.Fatal(err)
		}
		eve, err := f.provisioning.CreateUser(ctx, caller, user("eve@example.com", true))
		if err != nil {
			t.Fatal(err)
		}

		taken := user("eve@example.com", true)
		taken.Profile.Emails = append(taken.Profile.Emails,
			domain.MultiValue{Value: "DANA@example.com", Type: "home"})
		_, err = f.provisioning.UpdateUser(ctx, caller, eve.Member.ID, taken, 0)
		wantReason(t, err, domain.KindAlreadyExists, domain.ReasonUniqueness)
		if m := f.member(t, eve.Member.ID); len(m.Profile.Emails) != 1 || m.Version != 1 {
			t.Errorf("eve after the refused update: emails %v, version %d", m.Profile.Emails, m.Version)
		}

		// Dana's own provisioning still adopts her.
		dana, err := f.provisioning.CreateUser(ctx, caller, user("dana@example.com", true))
		if err != nil || dana.Member.ID != invited.ID {
			t.Fatalf("provision dana: %v (%s)", err, dana.Member.ID)
		}
		// Keeping one's own emails, or adding a free one, still works.
		free := user("eve@example.com", true)
		free.Profile.Emails = append(free.Profile.Emails,
			domain.MultiValue{Value: "eve.home@example.com", Type: "home"})
		if _, err := f.provisioning.UpdateUser(ctx, caller, eve.Member.ID, free, 0); err != nil {
			t.Fatalf("add a free email: %v", err)
		}
	})
}

// TestUserNameIsTrimmedAndHasNoControlCharacters checks that white space
// around a userName cannot make a second member of the same person, and
// that control characters are refused.
func TestUserNameIsTrimmedAndHasNoControlCharacters(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := testContext()
		caller, _ := f.newClient(t, allOn())
		noEmail := func(userName string) domain.ProvisionedUser {
			u := user(userName, true)
			u.Profile.Emails = nil
			return u
		}
		first, err := f.provisioning.CreateUser(ctx, caller, noEmail(" ws@x.example\t"))
		if err != nil {
			t.Fatal(err)
		}
		if first.Member.UserName != "ws@x.example" {
			t.Errorf("stored userName %q, want it trimmed", first.Member.UserName)
		}
		for _, name := range []string{"ws@x.example", "ws@x.example ", " WS@x.example", "ws@x.example\t"} {
			_, err := f.provisioning.CreateUser(ctx, caller, noEmail(name))
			wantKind(t, err, domain.KindAlreadyExists)
		}
		for _, name := range []string{"ws\x01@x.example", "ws@x\u0085.example", "w\ts@x.example"} {
			_, err := f.provisioning.CreateUser(ctx, caller, noEmail(name))
			wantReason(t, err, domain.KindInvalid, domain.ReasonInvalidValue)
		}
		members, _, err := f.members.List(ctx, f.owner, ports.Page{Size: 10})
		if err != nil || len(members) != 1 {
			t.Errorf("members = %d (%v), want 1", len(members), err)
		}
	})
}

// TestAdminsCannotDeactivateOwners checks the admin side of the owners
// rule: an admin may not deactivate an owner, an owner may not deactivate
// the last active owner, and both refusals are logged. Once there is a
// second active owner, an owner may deactivate the first.
func TestAdminsCannotDeactivateOwners(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := testContext()
		owner, err := f.directory.AddMember(ctx, domain.Invitation{
			OrganizationID: f.org.ID, Email: "owner@example.com", Role: domain.RoleOwner,
		})
		if err != nil {
			t.Fatal(err)
		}
		plain, err := f.directory.AddMember(ctx, domain.Invitation{
			OrganizationID: f.org.ID, Email: "plain@example.com",
		})
		if err != nil {
			t.Fatal(err)
		}
		admin := app.Admin{Subject: "admin-a", OrganizationID: f.org.ID, Role: domain.RoleAdmin}

		_, err = f.members.Deactivate(ctx, admin, owner.ID)
		wantKind(t, err, domain.KindPermissionDenied)
		_, err = f.members.Deactivate(ctx, f.owner, owner.ID)
		wantKind(t, err, domain.KindConflict)
		if !strings.Contains(err.Error(), "last active owner") {
			t.Errorf("error = %v, want it to name the last active owner", err)
		}
		if m := f.member(t, owner.ID); !m.CanLogIn() {
			t.Fatalf("owner after the refused deactivations: status %s", m.Status)
		}
		got := map[domain.Outcome]int{}
		for _, e := range f.events(t, ports.EventQuery{MemberID: owner.ID}) {
			if e.Operation == domain.OpMemberDeactivate {
				got[e.Outcome]++
			}
		}
		if got[domain.OutcomeRefused] != 1 || got[domain.OutcomeFailed] != 1 || len(got) != 2 {
			t.Errorf("deactivation events of the owner = %v, want one refused and one failed", got)
		}

		if _, err := f.members.Deactivate(ctx, admin, plain.ID); err != nil {
			t.Errorf("an admin deactivates a member: %v", err)
		}
		if _, err := f.directory.AddMember(ctx, domain.Invitation{
			OrganizationID: f.org.ID, Email: "second@example.com", Role: domain.RoleOwner,
		}); err != nil {
			t.Fatal(err)
		}
		_, err = f.members.Deactivate(ctx, admin, owner.ID)
		wantKind(t, err, domain.KindPermissionDenied)
		if _, err := f.members.Deactivate(ctx, f.owner, owner.ID); err != nil {
			t.Errorf("an owner deactivates one of two owners: %v", err)
		}
	})
}

// TestConcurrentOwnerDeactivations deactivates two owners at once, one by
// an admin action and one through SCIM: the owners lock makes exactly one of
// them succeed, so the organisation keeps an active owner.
func TestConcurrentOwnerDeactivations(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := testContext()
		caller, _ := f.newClient(t, allOn())
		first, err := f.directory.AddMember(ctx, domain.Invitation{
			OrganizationID: f.org.ID, Email: "first@example.com", Role: domain.RoleOwner,
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.directory.AddMember(ctx, domain.Invitation{
			OrganizationID: f.org.ID, Email: "second@example.com", Role: domain.RoleOwner,
		}); err != nil {
			t.Fatal(err)
		}
		second, err := f.provisioning.CreateUser(ctx, caller, user("second@example.com", true))
		if err != nil {
			t.Fatal(err)
		}

		var wg sync.WaitGroup
		errs := make([]error, 2)
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, errs[0] = f.members.Deactivate(ctx, f.owner, first.ID)
		}()
		go func() {
			defer wg.Done()
			_, errs[1] = f.provisioning.UpdateUser(ctx, caller, second.Member.ID,
				user("second@example.com", false), 0)
		}()
		wg.Wait()

		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("admin: %v, SCIM: %v; want exactly one deactivation", errs[0], errs[1])
		}
	})
}
