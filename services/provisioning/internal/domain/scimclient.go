package domain

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"time"
	"unicode/utf8"
)

// TokenPrefix starts every SCIM client token, so a leaked token is easy to
// recognise in a secret scanner and easy to tell apart from other credentials.
const TokenPrefix = "cras_"

// tokenEntropyBytes is 256 bits of randomness.
const tokenEntropyBytes = 32

// displayPrefixLength is how much of a token is kept in the clear to help an
// admin tell tokens apart: the fixed prefix and four random characters, far
// too few to help guess the rest.
const displayPrefixLength = len(TokenPrefix) + 4

// maxClientNameLength bounds a client's name.
const maxClientNameLength = 200

// Role is a member's role in an organisation. SCIM never changes it.
type Role string

// The roles. A SCIM client's default role is Member or Viewer.
const (
	RoleOwner  Role = "owner"
	RoleAdmin  Role = "admin"
	RoleMember Role = "member"
	RoleViewer Role = "viewer"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	return r == RoleOwner || r == RoleAdmin || r == RoleMember || r == RoleViewer
}

// ScimClient is one identity provider connection of an organisation.
type ScimClient struct {
	ID             string
	OrganizationID string
	Name           string
	// SSOConnectionID links the client to the organisation's SAML SSO
	// connection; empty when it has none.
	SSOConnectionID string
	// DefaultRole is given to members this client creates.
	DefaultRole Role
	// AutoActivate lets new members log in without an admin's approval.
	AutoActivate bool
	// SyncAttributes lets profile attributes follow the identity provider.
	SyncAttributes bool
	// AllowDeletion makes a SCIM DELETE erase the member instead of
	// deactivating it.
	AllowDeletion  bool
	Enabled        bool
	TokenHash      string
	TokenPrefix    string
	TokenRotatedAt time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
	// IdentityProvider is the one recorded on the client's latest
	// provisioning event that names one. It is read from the log, never
	// stored with the client, so no request has to write the client's row.
	IdentityProvider string
}

// ClientSettings are the settings an admin chooses for a SCIM client.
type ClientSettings struct {
	Name            string
	SSOConnectionID string
	DefaultRole     Role
	AutoActivate    bool
	SyncAttributes  bool
	AllowDeletion   bool
}

// Validate checks settings an admin sent, filling in the default role.
func (s *ClientSettings) Validate() error {
	s.Name = strings.TrimSpace(s.Name)
	if s.Name == "" {
		return Errorf(KindInvalid, "a SCIM client needs a name")
	}
	if utf8.RuneCountInString(s.Name) > maxClientNameLength {
		return Errorf(KindInvalid, "a SCIM client name has at most %d characters", maxClientNameLength)
	}
	if len(s.SSOConnectionID) > MaxSSOConnectionIDLength {
		return Errorf(KindInvalid, "an SSO connection id has at most %d bytes",
			MaxSSOConnectionIDLength).WithReason(ReasonInvalidValue)
	}
	if s.DefaultRole == "" {
		s.DefaultRole = RoleMember
	}
	if s.DefaultRole != RoleMember && s.DefaultRole != RoleViewer {
		return Errorf(KindInvalid, "the default role of a SCIM client is member or viewer")
	}
	return nil
}

// Apply copies the settings onto the client.
func (s ClientSettings) Apply(c *ScimClient) {
	c.Name = s.Name
	c.SSOConnectionID = s.SSOConnectionID
	c.DefaultRole = s.DefaultRole
	c.AutoActivate = s.AutoActivate
	c.SyncAttributes = s.SyncAttributes
	c.AllowDeletion = s.AllowDeletion
}

// Settings returns the client's current settings.
func (c ScimClient) Settings() ClientSettings {
	return ClientSettings{
		Name:            c.Name,
		SSOConnectionID: c.SSOConnectionID,
		DefaultRole:     c.DefaultRole,
		AutoActivate:    c.AutoActivate,
		SyncAttributes:  c.SyncAttributes,
		AllowDeletion:   c.AllowDeletion,
	}
}

// IssueToken gives the client a new token and returns it. Only its hash is
// kept on the client, so the plain token must be shown to the admin now or
// never.
func (c *ScimClient) IssueToken(now time.Time) (string, error) {
	token, err := NewToken()
	if err != nil {
		return "", err
	}
	c.TokenHash = HashToken(token)
	c.TokenPrefix = token[:displayPrefixLength]
	c.TokenRotatedAt = now
	return token, nil
}

// CheckAccess reports why the client may not provision into org, or nil when
// it may.
func (c ScimClient) CheckAccess(org Organization) error {
	if !c.Enabled {
		return Errorf(KindPermissionDenied,
			"this SCIM client is disabled; an admin can enable it in Settings > SCIM Provisioning")
	}
	if !org.CanUseSCIM() {
		return Errorf(KindPermissionDenied,
			"SCIM provisioning needs the Enterprise plan, which this organisation no longer has")
	}
	return nil
}

// NewToken returns a fresh token: the prefix and 256 random bits, base64url.
func NewToken() (string, error) {
	var b [tokenEntropyBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", Internal(err)
	}
	return TokenPrefix + base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// HashToken returns the hex SHA-256 of a token. A plain hash suffices: the
// token is random, so there is nothing to gain from a slow hash.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// TokenMatches compares a presented token with a stored hash in constant
// time.
func TokenMatches(token, hash string) bool {
	return subtle.ConstantTimeCompare([]byte(HashToken(token)), []byte(hash)) == 1
}
