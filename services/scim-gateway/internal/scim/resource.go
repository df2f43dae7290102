package scim

import (
	"strconv"
	"strings"
	"time"
)

// User is a SCIM User with the Enterprise extension, in the gateway's terms.
// The JSON tags are the SCIM attribute names, so a normalised document
// converts to and from this type with encoding/json.
type User struct {
	Schemas           []string `json:"schemas,omitempty"`
	ID                string   `json:"id,omitempty"`
	ExternalID        string   `json:"externalId,omitempty"`
	UserName          string   `json:"userName,omitempty"`
	Name              *Name    `json:"name,omitempty"`
	DisplayName       string   `json:"displayName,omitempty"`
	NickName          string   `json:"nickName,omitempty"`
	ProfileURL        string   `json:"profileUrl,omitempty"`
	Title             string   `json:"title,omitempty"`
	UserType          string   `json:"userType,omitempty"`
	PreferredLanguage string   `json:"preferredLanguage,omitempty"`
	Locale            string   `json:"locale,omitempty"`
	Timezone          string   `json:"timezone,omitempty"`
	// Active is nil when the client did not say; see the handlers for the
	// default they apply.
	Active           *bool           `json:"active,omitempty"`
	Emails           []MultiValue    `json:"emails,omitempty"`
	PhoneNumbers     []MultiValue    `json:"phoneNumbers,omitempty"`
	IMs              []MultiValue    `json:"ims,omitempty"`
	Photos           []MultiValue    `json:"photos,omitempty"`
	Addresses        []Address       `json:"addresses,omitempty"`
	Groups           []Reference     `json:"groups,omitempty"`
	Entitlements     []MultiValue    `json:"entitlements,omitempty"`
	Roles            []MultiValue    `json:"roles,omitempty"`
	X509Certificates []MultiValue    `json:"x509Certificates,omitempty"`
	Enterprise       *EnterpriseUser `json:"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User,omitempty"`
	Meta             *Meta           `json:"meta,omitempty"`
}

// Name holds the components of a user's name.
type Name struct {
	Formatted       string `json:"formatted,omitempty"`
	FamilyName      string `json:"familyName,omitempty"`
	GivenName       string `json:"givenName,omitempty"`
	MiddleName      string `json:"middleName,omitempty"`
	HonorificPrefix string `json:"honorificPrefix,omitempty"`
	HonorificSuffix string `json:"honorificSuffix,omitempty"`
}

// MultiValue is one value of a multi-valued attribute such as emails.
type MultiValue struct {
	Value   string `json:"value,omitempty"`
	Display string `json:"display,omitempty"`
	Type    string `json:"type,omitempty"`
	Primary bool   `json:"primary,omitempty"`
}

// Address is one of a user's mailing addresses.
type Address struct {
	Formatted     string `json:"formatted,omitempty"`
	StreetAddress string `json:"streetAddress,omitempty"`
	Locality      string `json:"locality,omitempty"`
	Region        string `json:"region,omitempty"`
	PostalCode    string `json:"postalCode,omitempty"`
	Country       string `json:"country,omitempty"`
	Type          string `json:"type,omitempty"`
	Primary       bool   `json:"primary,omitempty"`
}

// EnterpriseUser holds the Enterprise User extension attributes.
type EnterpriseUser struct {
	EmployeeNumber string   `json:"employeeNumber,omitempty"`
	CostCenter     string   `json:"costCenter,omitempty"`
	Organization   string   `json:"organization,omitempty"`
	Division       string   `json:"division,omitempty"`
	Department     string   `json:"department,omitempty"`
	Manager        *Manager `json:"manager,omitempty"`
}

// IsZero reports whether no enterprise attribute is set.
func (e *EnterpriseUser) IsZero() bool {
	return e == nil || (*e == EnterpriseUser{})
}

// Manager points at the user's manager.
type Manager struct {
	Value       string `json:"value,omitempty"`
	Ref         string `json:"$ref,omitempty"`
	DisplayName string `json:"displayName,omitempty"`
}

// Reference points at another resource: a group member or one of a user's
// groups.
type Reference struct {
	Value   string `json:"value,omitempty"`
	Ref     string `json:"$ref,omitempty"`
	Display string `json:"display,omitempty"`
	// Type is "User" or "Group" for members, "direct" for a user's groups.
	Type string `json:"type,omitempty"`
}

// Group is a SCIM Group.
type Group struct {
	Schemas     []string    `json:"schemas,omitempty"`
	ID          string      `json:"id,omitempty"`
	ExternalID  string      `json:"externalId,omitempty"`
	DisplayName string      `json:"displayName,omitempty"`
	Members     []Reference `json:"members,omitempty"`
	Meta        *Meta       `json:"meta,omitempty"`
}

// Meta is a resource's meta attribute. Version is the core's counter; the
// encoder renders it as the weak ETag in ETag.
type Meta struct {
	ResourceType string     `json:"resourceType,omitempty"`
	Created      *time.Time `json:"created,omitempty"`
	LastModified *time.Time `json:"lastModified,omitempty"`
	Location     string     `json:"location,omitempty"`
	ETag         string     `json:"version,omitempty"`
	Version      int64      `json:"-"`
}

// FormatETag renders a resource version as a weak entity tag.
func FormatETag(version int64) string {
	return `W/"` + strconv.FormatInt(version, 10) + `"`
}

// ParseETag reads the version out of an entity tag such as W/"3" or "3". It
// reports false for "*" and anything that is not one of ours.
func ParseETag(tag string) (int64, bool) {
	tag = strings.TrimSpace(tag)
	tag = strings.TrimPrefix(tag, "W/")
	if len(tag) < 2 || tag[0] != '"' || tag[len(tag)-1] != '"' {
		return 0, false
	}
	v, err := strconv.ParseInt(tag[1:len(tag)-1], 10, 64)
	if err != nil || v < 0 {
		return 0, false
	}
	return v, true
}
