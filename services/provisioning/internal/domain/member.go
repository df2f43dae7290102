package domain

import (
	"strings"
	"time"
)

// Status says whether a member may log in. It is a separate fact from what
// the identity provider says (ScimActive): a member pending approval is
// active to the identity provider but may not log in yet.
type Status string

// The member statuses.
const (
	StatusActive          Status = "active"
	StatusPendingApproval Status = "pending_approval"
	StatusDeactivated     Status = "deactivated"
)

// Member is a person in an organisation.
type Member struct {
	ID             string
	OrganizationID string
	// UserName is unique per organisation, compared case-insensitively.
	UserName string
	// ExternalID is the identity provider's identifier, compared exactly.
	ExternalID string
	Profile    Profile
	Role       Role
	Status     Status
	// ScimActive echoes the identity provider's last "active".
	ScimActive bool
	// ClientID is the SCIM client that manages the member; empty when the
	// member was invited by hand or unlinked.
	ClientID string
	// Approved tells a reactivation whether the member had already passed the
	// approval step.
	Approved      bool
	Version       int64
	CreatedAt     time.Time
	UpdatedAt     time.Time
	DeactivatedAt *time.Time
	// DeactivatedByAdmin says an admin deactivated the member: SCIM's
	// "active" then no longer restores it, only an admin's reactivation.
	DeactivatedByAdmin bool
}

// Profile holds a member's personal attributes as the SCIM User schema names
// them (RFC 7643 §4.1 and the Enterprise extension of §4.3).
type Profile struct {
	Name              Name
	DisplayName       string
	NickName          string
	ProfileURL        string
	Title             string
	UserType          string
	PreferredLanguage string
	Locale            string
	Timezone          string
	Emails            []MultiValue
	PhoneNumbers      []MultiValue
	IMs               []MultiValue
	Photos            []MultiValue
	Addresses         []Address
	X509Certificates  []MultiValue
	Entitlements      []MultiValue
	Roles             []MultiValue
	Enterprise        EnterpriseAttributes
}

// Name holds the parts of a member's name.
type Name struct {
	Formatted       string
	FamilyName      string
	GivenName       string
	MiddleName      string
	HonorificPrefix string
	HonorificSuffix string
}

// MultiValue is one value of a multi-valued attribute.
type MultiValue struct {
	Value   string
	Type    string
	Display string
	Primary bool
}

// Address is a postal address.
type Address struct {
	Formatted     string
	StreetAddress string
	Locality      string
	Region        string
	PostalCode    string
	Country       string
	Type          string
	Primary       bool
}

// EnterpriseAttributes are the attributes of the Enterprise User extension.
type EnterpriseAttributes struct {
	EmployeeNumber string
	CostCenter     string
	Organization   string
	Division       string
	Department     string
	ManagerID      string
}

// PrimaryEmail returns the email marked primary, else the first one.
func (p Profile) PrimaryEmail() string {
	for _, e := range p.Emails {
		if e.Primary && e.Value != "" {
			return e.Value
		}
	}
	for _, e := range p.Emails {
		if e.Value != "" {
			return e.Value
		}
	}
	return ""
}

// EmailValues returns every non-empty email address of the profile.
func (p Profile) EmailValues() []string {
	var values []string
	for _, e := range p.Emails {
		if e.Value != "" {
			values = append(values, e.Value)
		}
	}
	return values
}

// UserNameKey returns the form of a userName used for uniqueness and
// lookups: userName is not case-exact (RFC 7643 §4.1.1).
func UserNameKey(userName string) string {
	return strings.ToLower(userName)
}

// EmailKey returns the form of an email used for matching.
func EmailKey(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

// ProvisionedUser is what a SCIM client sends for a user on create or
// update.
type ProvisionedUser struct {
	UserName   string
	ExternalID string
	Active     bool
	Profile    Profile
}

// Validate checks what every stored user must have and the bounds of every
// attribute (see MaxAttributeLength).
//
// It trims white space around the userName, which is stored trimmed: "ada"
// and "ada " would otherwise be two members that look the same to a person.
func (u *ProvisionedUser) Validate() error {
	u.UserName = strings.TrimSpace(u.UserName)
	if u.UserName == "" {
		return Errorf(KindInvalid, "userName is required").WithReason(ReasonInvalidValue)
	}
	if hasControl(u.UserName) {
		return invalidValue("userName must not contain control characters")
	}
	if err := checkLength("userName", u.UserName, MaxUserNameLength); err != nil {
		return err
	}
	if err := checkLength("externalId", u.ExternalID, MaxExternalIDLength); err != nil {
		return err
	}
	if err := validateProfile(u.Profile); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, e := range u.Profile.Emails {
		key := e.Type + "\x00" + EmailKey(e.Value)
		if seen[key] {
			return Errorf(KindInvalid, "emails holds %q twice", e.Value).WithReason(ReasonInvalidValue)
		}
		seen[key] = true
	}
	return nil
}

// MatchDecision is what creating a user does about an existing member with
// the same userName or email.
type MatchDecision int

// The outcomes of matching a create against an existing member.
const (
	// MatchConflict refuses the create with 409 uniqueness.
	MatchConflict MatchDecision = iota
	// MatchAdopt links a member invited by hand to the client, role kept.
	MatchAdopt
	// MatchReactivate links and reactivates a deactivated member.
	MatchReactivate
)

// DecideMatch applies the matching rules to an existing member found by
// userName or email when clientID creates a user.
func DecideMatch(existing Member, clientID string) MatchDecision {
	switch {
	case existing.ClientID != "" && existing.ClientID != clientID:
		return MatchConflict
	case existing.Status == StatusDeactivated:
		return MatchReactivate
	case existing.ClientID == clientID:
		return MatchConflict
	default:
		return MatchAdopt
	}
}

// NewProvisionedMember builds the member a client creates when nothing
// matched.
func NewProvisionedMember(id string, client ScimClient, u ProvisionedUser, now time.Time) Member {
	m := Member{
		ID:             id,
		OrganizationID: client.OrganizationID,
		UserName:       u.UserName,
		ExternalID:     u.ExternalID,
		Profile:        u.Profile,
		Role:           client.DefaultRole,
		ClientID:       client.ID,
		Approved:       client.AutoActivate,
		Version:        1,
		CreatedAt:      now,
		UpdatedAt:      now,
	}
	m.ScimActive = u.Active
	m.settleStatus(now)
	return m
}

// Link makes client manage an existing member found on create, adopting or
// reactivating it. The role is kept. Like ApplyUpdate it honours the
// client's sync attributes: with it off only the link and "active" change,
// and the member keeps its userName, externalId and profile.
//
// With sync attributes on, a create that sends no emails at all keeps the
// member's emails. The member was invited with an address, and that address
// is how CRA Evidence and the matching rules find the person: a create that
// omits emails says nothing about them, so it must not erase the address and
// free it for another member to claim. An update (PUT) without emails still
// removes them, as a replace does.
func (m *Member) Link(client ScimClient, u ProvisionedUser, now time.Time) []string {
	m.ClientID = client.ID
	var changed []string
	if client.SyncAttributes {
		if len(u.Profile.EmailValues()) == 0 {
			u.Profile.Emails = m.Profile.Emails
		}
		changed = m.applyProfile(u, true)
	}
	if m.ScimActive != u.Active || m.Status == StatusDeactivated {
		changed = append(changed, "active")
	}
	m.ScimActive = u.Active
	m.settleStatus(now)
	m.touch(now)
	return changed
}

// ApplyUpdate applies a SCIM PUT or PATCH result. With sync attributes off,
// the profile is left as it is, but "active" is always honoured so that
// deprovisioning can never be blocked by a setting. It returns the names of
// the attributes that changed.
func (m *Member) ApplyUpdate(u ProvisionedUser, syncAttributes bool, now time.Time) []string {
	var changed []string
	if syncAttributes {
		changed = m.applyProfile(u, false)
	}
	if m.ScimActive != u.Active {
		changed = append(changed, "active")
		m.ScimActive = u.Active
		m.settleStatus(now)
	}
	if len(changed) > 0 {
		m.touch(now)
	}
	return changed
}

// Unlink deactivates the member and removes it from its client's view, as a
// SCIM DELETE does when the client may not erase members.
func (m *Member) Unlink(now time.Time) {
	m.ClientID = ""
	m.ScimActive = false
	m.settleStatus(now)
	m.touch(now)
}

// Approve lets a member pending approval log in.
func (m *Member) Approve(now time.Time) error {
	if m.Status != StatusPendingApproval {
		return Errorf(KindConflict, "member %s is not pending approval", m.ID)
	}
	m.Approved = true
	m.Status = StatusActive
	m.touch(now)
	return nil
}

// DeactivateByAdmin stops a member from logging in. The identity provider's
// view (ScimActive) is left alone: it is what the provider said.
func (m *Member) DeactivateByAdmin(now time.Time) error {
	if m.Status == StatusDeactivated {
		return Errorf(KindConflict, "member %s is already deactivated", m.ID)
	}
	m.Status = StatusDeactivated
	m.DeactivatedAt = &now
	m.DeactivatedByAdmin = true
	m.touch(now)
	return nil
}

// ReactivateByAdmin lets a deactivated member log in again, or returns it to
// the approval step if it never passed it.
func (m *Member) ReactivateByAdmin(now time.Time) error {
	if m.Status != StatusDeactivated {
		return Errorf(KindConflict, "member %s is not deactivated", m.ID)
	}
	m.Status = m.enabledStatus()
	m.DeactivatedAt = nil
	m.DeactivatedByAdmin = false
	m.touch(now)
	return nil
}

// CanLogIn reports whether the member may log in.
func (m Member) CanLogIn() bool {
	return m.Status == StatusActive
}

// settleStatus derives the login status from what the identity provider
// said: inactive there means deactivated here; active there restores the
// member, through the approval step if it never passed it, unless an admin
// deactivated it: an admin's decision stands until an admin reverses it.
func (m *Member) settleStatus(now time.Time) {
	if !m.ScimActive {
		if m.Status != StatusDeactivated {
			m.Status = StatusDeactivated
			m.DeactivatedAt = &now
		}
		return
	}
	if m.Status == StatusDeactivated && m.DeactivatedByAdmin {
		return
	}
	if m.Status == StatusDeactivated || m.Status == "" {
		m.Status = m.enabledStatus()
		m.DeactivatedAt = nil
	}
}

func (m *Member) enabledStatus() Status {
	if m.Approved {
		return StatusActive
	}
	return StatusPendingApproval
}

func (m *Member) touch(now time.Time) {
	m.UpdatedAt = now
	m.Version++
}

// applyProfile copies identity and profile attributes from u and returns the
// names of those that changed. A link keeps an existing externalId when the
// client sends none.
func (m *Member) applyProfile(u ProvisionedUser, linking bool) []string {
	var changed []string
	if m.UserName != u.UserName {
		changed = append(changed, "userName")
		m.UserName = u.UserName
	}
	if m.ExternalID != u.ExternalID && !(linking && u.ExternalID == "") {
		changed = append(changed, "externalId")
		m.ExternalID = u.ExternalID
	}
	changed = append(changed, m.Profile.diff(u.Profile)...)
	m.Profile = u.Profile
	return changed
}
