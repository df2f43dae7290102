package domain

import (
	"strings"
	"time"
)

// maxGroupNameLength bounds a group's displayName.
const maxGroupNameLength = 256

// Group is a group of members pushed by an identity provider. Membership
// does not change roles.
type Group struct {
	ID             string
	OrganizationID string
	// DisplayName is unique per organisation, compared case-insensitively.
	DisplayName string
	ExternalID  string
	// ClientID is the SCIM client that created the group.
	ClientID  string
	Version   int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

// GroupMember is one member of a group, with the name to show for it.
type GroupMember struct {
	MemberID string
	Display  string
	// ClientID is the SCIM client the member is linked to; empty when it
	// is linked to none, as after a SCIM DELETE.
	ClientID string
}

// GroupNameKey returns the form of a displayName used for uniqueness.
func GroupNameKey(displayName string) string {
	return strings.ToLower(displayName)
}

// ValidateGroupName checks a displayName a client sent.
func ValidateGroupName(displayName string) error {
	if strings.TrimSpace(displayName) == "" {
		return Errorf(KindInvalid, "displayName is required").WithReason(ReasonInvalidValue)
	}
	if len(displayName) > maxGroupNameLength {
		return Errorf(KindInvalid, "displayName has at most %d characters", maxGroupNameLength).
			WithReason(ReasonInvalidValue)
	}
	return nil
}

// ValidateGroupExternalID checks an externalId a client sent for a group.
func ValidateGroupExternalID(externalID string) error {
	return checkLength("externalId", externalID, MaxExternalIDLength)
}

// Touch records a change of the group.
func (g *Group) Touch(now time.Time) {
	g.UpdatedAt = now
	g.Version++
}
