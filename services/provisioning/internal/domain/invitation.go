package domain

import (
	"strings"
	"time"
	"unicode/utf8"
)

// maxEmailLength bounds an email address (RFC 5321 allows 254 in a path).
const maxEmailLength = 254

// Invitation is a member added by hand in CRA Evidence, without a SCIM
// client. A SCIM client that later provisions the same email or userName
// adopts the member and keeps its role.
type Invitation struct {
	OrganizationID string
	Email          string
	// UserName is what a SCIM client would match; the email when empty.
	UserName    string
	DisplayName string
	// Role is the member's role; member when empty.
	Role Role
}

// Validate checks the invitation and fills in the defaults.
func (i *Invitation) Validate() error {
	i.OrganizationID = strings.TrimSpace(i.OrganizationID)
	i.Email = strings.TrimSpace(i.Email)
	i.UserName = strings.TrimSpace(i.UserName)
	i.DisplayName = strings.TrimSpace(i.DisplayName)
	if i.OrganizationID == "" {
		return Errorf(KindInvalid, "an organisation id is required")
	}
	if !plausibleEmail(i.Email) {
		return Errorf(KindInvalid, "a member needs a valid email address")
	}
	if i.UserName == "" {
		i.UserName = i.Email
	}
	if len(i.UserName) > 256 || !utf8.ValidString(i.UserName) {
		return Errorf(KindInvalid, "userName has at most 256 characters of valid UTF-8")
	}
	if utf8.RuneCountInString(i.DisplayName) > 256 || !utf8.ValidString(i.DisplayName) {
		return Errorf(KindInvalid, "displayName has at most 256 characters of valid UTF-8")
	}
	if i.Role == "" {
		i.Role = RoleMember
	}
	if !i.Role.Valid() {
		return Errorf(KindInvalid, "role %q is not known", i.Role)
	}
	return nil
}

// plausibleEmail accepts one "@" with text on both sides, no white space and
// a dot in the domain: enough to catch mistakes, not a full RFC 5322 parser.
func plausibleEmail(email string) bool {
	if email == "" || len(email) > maxEmailLength || !utf8.ValidString(email) {
		return false
	}
	if strings.ContainsFunc(email, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return false
	}
	local, host, ok := strings.Cut(email, "@")
	return ok && local != "" && host != "" && !strings.Contains(host, "@") &&
		strings.Contains(host, ".") && !strings.HasPrefix(host, ".") && !strings.HasSuffix(host, ".")
}

// NewInvitedMember builds the member an invitation adds: active, approved,
// managed by no SCIM client.
func NewInvitedMember(id string, inv Invitation, now time.Time) Member {
	return Member{
		ID:             id,
		OrganizationID: inv.OrganizationID,
		UserName:       inv.UserName,
		Profile: Profile{
			DisplayName: inv.DisplayName,
			Emails:      []MultiValue{{Value: inv.Email, Type: "work", Primary: true}},
		},
		Role:       inv.Role,
		Status:     StatusActive,
		ScimActive: true,
		Approved:   true,
		Version:    1,
		CreatedAt:  now,
		UpdatedAt:  now,
	}
}
