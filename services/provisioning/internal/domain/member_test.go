package domain

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func testClient(autoActivate bool) ScimClient {
	return ScimClient{
		ID:             "client-a",
		OrganizationID: "org-1",
		DefaultRole:    RoleViewer,
		AutoActivate:   autoActivate,
		SyncAttributes: true,
		Enabled:        true,
	}
}

func testUser(active bool) ProvisionedUser {
	return ProvisionedUser{
		UserName: "ada@example.com",
		Active:   active,
		Profile: Profile{
			DisplayName: "Ada",
			Emails:      []MultiValue{{Value: "ada@example.com", Type: "work", Primary: true}},
		},
	}
}

func TestDecideMatch(t *testing.T) {
	tests := []struct {
		name     string
		existing Member
		want     MatchDecision
	}{
		{"invited by hand", Member{Status: StatusActive}, MatchAdopt},
		{"invited by hand and pending", Member{Status: StatusPendingApproval}, MatchAdopt},
		{"active and linked to this client", Member{ClientID: "client-a", Status: StatusActive}, MatchConflict},
		{"pending and linked to this client", Member{ClientID: "client-a", Status: StatusPendingApproval}, MatchConflict},
		{"deactivated and linked to this client", Member{ClientID: "client-a", Status: StatusDeactivated}, MatchReactivate},
		{"deactivated and unlinked", Member{Status: StatusDeactivated}, MatchReactivate},
		{"active and linked to another client", Member{ClientID: "client-b", Status: StatusActive}, MatchConflict},
		{"deactivated and linked to another client", Member{ClientID: "client-b", Status: StatusDeactivated}, MatchConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DecideMatch(tt.existing, "client-a"); got != tt.want {
				t.Errorf("DecideMatch = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestNewProvisionedMemberStatus(t *testing.T) {
	tests := []struct {
		name         string
		autoActivate bool
		active       bool
		wantStatus   Status
		wantCanLogIn bool
	}{
		{"auto-activate on", true, true, StatusActive, true},
		{"auto-activate off waits for approval", false, true, StatusPendingApproval, false},
		{"created inactive", true, false, StatusDeactivated, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := NewProvisionedMember("m1", testClient(tt.autoActivate), testUser(tt.active), testNow)
			if m.Status != tt.wantStatus {
				t.Errorf("status = %s, want %s", m.Status, tt.wantStatus)
			}
			if m.CanLogIn() != tt.wantCanLogIn {
				t.Errorf("CanLogIn = %v, want %v", m.CanLogIn(), tt.wantCanLogIn)
			}
			if m.ScimActive != tt.active {
				t.Errorf("ScimActive = %v, want what the IdP said (%v)", m.ScimActive, tt.active)
			}
			if m.Role != RoleViewer || m.ClientID != "client-a" || m.Version != 1 {
				t.Errorf("role %s client %q version %d: want the client's default role, link, version 1",
					m.Role, m.ClientID, m.Version)
			}
		})
	}
}

func TestApplyUpdateSyncOnChangesProfile(t *testing.T) {
	m := NewProvisionedMember("m1", testClient(true), testUser(true), testNow)
	next := testUser(true)
	next.Profile.DisplayName = "Ada Lovelace"
	next.Profile.Title = "Engineer"

	changed := m.ApplyUpdate(next, true, testNow.Add(time.Minute))

	if m.Profile.DisplayName != "Ada Lovelace" || m.Profile.Title != "Engineer" {
		t.Errorf("profile not applied: %+v", m.Profile)
	}
	if !slices.Equal(changed, []string{"displayName", "title"}) {
		t.Errorf("changed = %v, want [displayName title]", changed)
	}
	if m.Version != 2 {
		t.Errorf("version = %d, want 2", m.Version)
	}
}

func TestApplyUpdateSyncOffKeepsProfileButHonoursActive(t *testing.T) {
	m := NewProvisionedMember("m1", testClient(true), testUser(true), testNow)
	next := testUser(false)
	next.Profile.DisplayName = "Someone else"

	changed := m.ApplyUpdate(next, false, testNow.Add(time.Minute))

	if m.Profile.DisplayName != "Ada" {
		t.Errorf("displayName = %q, want it unchanged with sync off", m.Profile.DisplayName)
	}
	if !slices.Equal(changed, []string{"active"}) {
		t.Errorf("changed = %v, want [active]", changed)
	}
	if m.Status != StatusDeactivated || m.CanLogIn() {
		t.Errorf("status = %s: deprovisioning must not be blocked by sync off", m.Status)
	}
	if m.DeactivatedAt == nil {
		t.Error("DeactivatedAt is not set")
	}
}

func TestApplyUpdateWithoutChangeKeepsVersion(t *testing.T) {
	m := NewProvisionedMember("m1", testClient(true), testUser(true), testNow)
	if changed := m.ApplyUpdate(testUser(true), true, testNow); len(changed) != 0 || m.Version != 1 {
		t.Errorf("changed %v, version %d: want nothing changed", changed, m.Version)
	}
}

func TestReactivationRestoresApprovedStatus(t *testing.T) {
	m := NewProvisionedMember("m1", testClient(true), testUser(true), testNow)
	m.Role = RoleAdmin
	m.ApplyUpdate(testUser(false), true, testNow)
	m.ApplyUpdate(testUser(true), true, testNow)

	if m.Status != StatusActive || m.Role != RoleAdmin || m.DeactivatedAt != nil {
		t.Errorf("status %s role %s: want active again with the role kept", m.Status, m.Role)
	}
}

func TestReactivationOfUnapprovedMemberReturnsToApproval(t *testing.T) {
	m := NewProvisionedMember("m1", testClient(false), testUser(true), testNow)
	m.ApplyUpdate(testUser(false), true, testNow)
	m.ApplyUpdate(testUser(true), true, testNow)

	if m.Status != StatusPendingApproval {
		t.Errorf("status = %s, want pending approval: it never passed the step", m.Status)
	}
}

func TestUnlink(t *testing.T) {
	m := NewProvisionedMember("m1", testClient(true), testUser(true), testNow)
	m.Unlink(testNow.Add(time.Hour))

	if m.ClientID != "" || m.ScimActive || m.Status != StatusDeactivated {
		t.Errorf("after unlink: client %q scimActive %v status %s", m.ClientID, m.ScimActive, m.Status)
	}
	if m.Profile.DisplayName != "Ada" || m.Role != RoleViewer {
		t.Error("unlink must keep the member's data and role")
	}
	if DecideMatch(m, "client-a") != MatchReactivate {
		t.Error("an unlinked member must be reactivated by a new create")
	}
}

func TestLinkAdoptsAndKeepsRole(t *testing.T) {
	m := Member{ID: "m1", UserName: "ada@example.com", Role: RoleOwner, Status: StatusActive, Approved: true}
	changed := m.Link(testClient(false), testUser(true), testNow)

	if m.ClientID != "client-a" || m.Role != RoleOwner || m.Status != StatusActive {
		t.Errorf("client %q role %s status %s: want linked, role kept, still active",
			m.ClientID, m.Role, m.Status)
	}
	if !slices.Contains(changed, "active") || !slices.Contains(changed, "displayName") {
		t.Errorf("changed = %v", changed)
	}
}

func TestApprove(t *testing.T) {
	m := NewProvisionedMember("m1", testClient(false), testUser(true), testNow)
	if err := m.Approve(testNow); err != nil {
		t.Fatalf("approve: %v", err)
	}
	if !m.CanLogIn() || !m.Approved {
		t.Errorf("status %s: want active and approved", m.Status)
	}
	if err := m.Approve(testNow); !IsKind(err, KindConflict) {
		t.Errorf("second approve = %v, want a conflict", err)
	}
}

func TestAdminDeactivateAndReactivate(t *testing.T) {
	m := NewProvisionedMember("m1", testClient(true), testUser(true), testNow)
	if err := m.DeactivateByAdmin(testNow); err != nil {
		t.Fatal(err)
	}
	if m.CanLogIn() || !m.ScimActive {
		t.Error("an admin's deactivation stops login but leaves what the IdP said")
	}
	if err := m.DeactivateByAdmin(testNow); !IsKind(err, KindConflict) {
		t.Errorf("second deactivate = %v, want a conflict", err)
	}
	if err := m.ReactivateByAdmin(testNow); err != nil || !m.CanLogIn() {
		t.Errorf("reactivate: %v, status %s", err, m.Status)
	}
}

func TestProvisionedUserValidate(t *testing.T) {
	if err := (&ProvisionedUser{UserName: " "}).Validate(); !IsKind(err, KindInvalid) {
		t.Errorf("blank userName: %v, want invalid", err)
	}
	dup := testUser(true)
	dup.Profile.Emails = append(dup.Profile.Emails, MultiValue{Value: "ADA@example.com", Type: "work"})
	if err := dup.Validate(); !IsKind(err, KindInvalid) {
		t.Errorf("duplicate email: %v, want invalid", err)
	}
	valid := testUser(true)
	if err := valid.Validate(); err != nil {
		t.Errorf("valid user: %v", err)
	}
}

func TestAdminDeactivationSticksAgainstSCIM(t *testing.T) {
	m := NewProvisionedMember("m1", testClient(true), testUser(true), testNow)
	if err := m.DeactivateByAdmin(testNow); err != nil {
		t.Fatal(err)
	}
	inactive, active := testUser(false), testUser(true)
	m.ApplyUpdate(inactive, true, testNow)
	m.ApplyUpdate(active, true, testNow)
	if m.CanLogIn() || !m.ScimActive {
		t.Fatalf("after the IdP's false then true: can log in %v, scim active %v; want the "+
			"admin's deactivation kept and the IdP's value echoed", m.CanLogIn(), m.ScimActive)
	}
	m.Link(testClient(true), active, testNow)
	if m.CanLogIn() {
		t.Fatal("a new POST lifted the admin's deactivation")
	}
	if err := m.ReactivateByAdmin(testNow); err != nil || !m.CanLogIn() || m.DeactivatedByAdmin {
		t.Fatalf("an admin's reactivation: %v, status %s", err, m.Status)
	}
	m.ApplyUpdate(inactive, true, testNow)
	m.ApplyUpdate(active, true, testNow)
	if !m.CanLogIn() {
		t.Fatal("a deactivation by SCIM is lifted by SCIM")
	}
}

func TestLinkWithSyncOffKeepsTheProfile(t *testing.T) {
	invited := []MultiValue{{Value: "chief@corp.example", Type: "work", Primary: true}}
	m := Member{ID: "m1", UserName: "chief", ExternalID: "hr-1", Role: RoleMember,
		Status: StatusActive, Approved: true, Profile: Profile{DisplayName: "Chief", Emails: invited}}
	client := testClient(true)
	client.SyncAttributes = false
	sent := ProvisionedUser{UserName: "CHIEF", ExternalID: "idp-1", Active: true,
		Profile: Profile{DisplayName: "Someone else"}}

	changed := m.Link(client, sent, testNow)

	if m.ClientID != "client-a" || !m.ScimActive || !m.CanLogIn() {
		t.Errorf("client %q scimActive %v status %s: want linked and active",
			m.ClientID, m.ScimActive, m.Status)
	}
	if m.UserName != "chief" || m.ExternalID != "hr-1" || m.Profile.DisplayName != "Chief" ||
		m.Profile.PrimaryEmail() != "chief@corp.example" {
		t.Errorf("identity or profile changed with sync off: %+v", m)
	}
	if !slices.Equal(changed, []string{"active"}) {
		t.Errorf("changed = %v, want only active", changed)
	}
}

func TestLinkKeepsTheEmailsWhenNoneAreSent(t *testing.T) {
	invited := []MultiValue{{Value: "ada@corp.example", Type: "work", Primary: true}}
	m := Member{ID: "m1", UserName: "ada", Role: RoleMember, Status: StatusActive,
		Approved: true, Profile: Profile{Emails: invited}}
	sent := ProvisionedUser{UserName: "ada", Active: true, Profile: Profile{DisplayName: "Ada"}}

	changed := m.Link(testClient(true), sent, testNow)

	if m.Profile.PrimaryEmail() != "ada@corp.example" || slices.Contains(changed, "emails") {
		t.Errorf("emails %v (changed %v): want the invited email kept", m.Profile.Emails, changed)
	}
	if m.Profile.DisplayName != "Ada" {
		t.Errorf("displayName %q: want the sent profile applied with sync on", m.Profile.DisplayName)
	}

	other := ProvisionedUser{UserName: "ada", Active: true,
		Profile: Profile{Emails: []MultiValue{{Value: "ada@home.example"}}}}
	m.Link(testClient(true), other, testNow)
	if m.Profile.PrimaryEmail() != "ada@home.example" {
		t.Errorf("emails %v: want the sent emails applied when there are some", m.Profile.Emails)
	}
}

func TestCheckAdoptionNeedsUserNameAndEmailOfAPrivilegedMember(t *testing.T) {
	owner := Member{UserName: "chief", Role: RoleOwner, Status: StatusActive,
		Profile: Profile{Emails: []MultiValue{{Value: "Chief@corp.example"}}}}
	withEmail := func(userName string, emails ...string) ProvisionedUser {
		u := ProvisionedUser{UserName: userName}
		for _, e := range emails {
			u.Profile.Emails = append(u.Profile.Emails, MultiValue{Value: e})
		}
		return u
	}
	tests := []struct {
		name   string
		member Member
		sent   ProvisionedUser
		ok     bool
	}{
		{"userName and email", owner, withEmail("CHIEF", "other@x.example", "chief@corp.example"), true},
		{"userName without emails", owner, withEmail("chief"), false},
		{"userName with another email", owner, withEmail("chief", "mallory@x.example"), false},
		{"email with another userName", owner, withEmail("mallory", "chief@corp.example"), false},
		{"an ordinary member by userName", Member{UserName: "chief", Role: RoleMember},
			withEmail("chief"), true},
	}
	for _, tt := range tests {
		err := CheckAdoption(tt.member, tt.sent)
		if tt.ok && err != nil {
			t.Errorf("%s: %v, want adopted", tt.name, err)
		}
		if !tt.ok {
			var de *Error
			if !errors.As(err, &de) || de.Kind != KindAlreadyExists || de.Reason != ReasonUniqueness {
				t.Errorf("%s: %v, want a uniqueness conflict", tt.name, err)
			}
		}
	}
}

func TestShortIDCutsAfter64Characters(t *testing.T) {
	tests := []struct{ id, want string }{
		{"", ""},
		{strings.Repeat("a", 64), strings.Repeat("a", 64)},
		{strings.Repeat("a", 65), strings.Repeat("a", 64) + "…"},
		{strings.Repeat("é", 70), strings.Repeat("é", 64) + "…"},
	}
	for _, tt := range tests {
		if got := ShortID(tt.id); got != tt.want {
			t.Errorf("ShortID(%d bytes) = %q, want %q", len(tt.id), got, tt.want)
		}
	}
	if got := QuoteID(strings.Repeat("b", 65)); got != `"`+strings.Repeat("b", 64)+`…"` {
		t.Errorf("QuoteID = %s", got)
	}
}
