package gormstore

import (
	"encoding/json"
	"strings"

	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
)

// storedProfile is the JSON form of a member's profile in members.profile.
// Its keys are the SCIM attribute names, fixed here rather than taken from
// the Go fields of domain.Profile, so that renaming a domain field cannot
// drop stored data, and so that the filters reach an attribute by its SCIM
// name (see filter.go). The Enterprise extension lives under "enterprise".
//
// Rows written before these names were fixed used the Go field names
// ("DisplayName"); encoding/json matches keys case-insensitively, and every
// name here equals its Go field name but for case, so those rows decode as
// they are. Migration 2 rewrites them anyway, so that the filters find them.
type storedProfile struct {
	Name              *storedName       `json:"name,omitempty"`
	DisplayName       string            `json:"displayName,omitempty"`
	NickName          string            `json:"nickName,omitempty"`
	ProfileURL        string            `json:"profileUrl,omitempty"`
	Title             string            `json:"title,omitempty"`
	UserType          string            `json:"userType,omitempty"`
	PreferredLanguage string            `json:"preferredLanguage,omitempty"`
	Locale            string            `json:"locale,omitempty"`
	Timezone          string            `json:"timezone,omitempty"`
	Emails            []storedValue     `json:"emails,omitempty"`
	PhoneNumbers      []storedValue     `json:"phoneNumbers,omitempty"`
	IMs               []storedValue     `json:"ims,omitempty"`
	Photos            []storedValue     `json:"photos,omitempty"`
	Addresses         []storedAddress   `json:"addresses,omitempty"`
	X509Certificates  []storedValue     `json:"x509Certificates,omitempty"`
	Entitlements      []storedValue     `json:"entitlements,omitempty"`
	Roles             []storedValue     `json:"roles,omitempty"`
	Enterprise        *storedEnterprise `json:"enterprise,omitempty"`
}

type storedName struct {
	Formatted       string `json:"formatted,omitempty"`
	FamilyName      string `json:"familyName,omitempty"`
	GivenName       string `json:"givenName,omitempty"`
	MiddleName      string `json:"middleName,omitempty"`
	HonorificPrefix string `json:"honorificPrefix,omitempty"`
	HonorificSuffix string `json:"honorificSuffix,omitempty"`
}

type storedValue struct {
	Value   string `json:"value,omitempty"`
	Type    string `json:"type,omitempty"`
	Display string `json:"display,omitempty"`
	Primary bool   `json:"primary,omitempty"`
}

type storedAddress struct {
	Formatted     string `json:"formatted,omitempty"`
	StreetAddress string `json:"streetAddress,omitempty"`
	Locality      string `json:"locality,omitempty"`
	Region        string `json:"region,omitempty"`
	PostalCode    string `json:"postalCode,omitempty"`
	Country       string `json:"country,omitempty"`
	Type          string `json:"type,omitempty"`
	Primary       bool   `json:"primary,omitempty"`
}

type storedEnterprise struct {
	EmployeeNumber string `json:"employeeNumber,omitempty"`
	CostCenter     string `json:"costCenter,omitempty"`
	Organization   string `json:"organization,omitempty"`
	Division       string `json:"division,omitempty"`
	Department     string `json:"department,omitempty"`
	ManagerID      string `json:"managerId,omitempty"`
}

// encodeProfile returns the stored JSON of a profile and its search key:
// the same document with every string lowercased by Go, which filters on
// attributes that SCIM compares case-insensitively read, so that both
// databases fold case alike for any script.
func encodeProfile(p domain.Profile) (profile, key string, err error) {
	s := newStoredProfile(p)
	raw, err := json.Marshal(s)
	if err != nil {
		return "", "", err
	}
	lowered, err := json.Marshal(s.lowered())
	if err != nil {
		return "", "", err
	}
	return string(raw), string(lowered), nil
}

// decodeProfile reads a stored profile, in its current form or in the
// form of the first schema.
func decodeProfile(raw string) (domain.Profile, error) {
	var s storedProfile
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		return domain.Profile{}, err
	}
	return s.domain(), nil
}

func newStoredProfile(p domain.Profile) storedProfile {
	s := storedProfile{
		DisplayName:       p.DisplayName,
		NickName:          p.NickName,
		ProfileURL:        p.ProfileURL,
		Title:             p.Title,
		UserType:          p.UserType,
		PreferredLanguage: p.PreferredLanguage,
		Locale:            p.Locale,
		Timezone:          p.Timezone,
		Emails:            storedValues(p.Emails),
		PhoneNumbers:      storedValues(p.PhoneNumbers),
		IMs:               storedValues(p.IMs),
		Photos:            storedValues(p.Photos),
		X509Certificates:  storedValues(p.X509Certificates),
		Entitlements:      storedValues(p.Entitlements),
		Roles:             storedValues(p.Roles),
	}
	if p.Name != (domain.Name{}) {
		n := storedName(p.Name)
		s.Name = &n
	}
	for _, a := range p.Addresses {
		s.Addresses = append(s.Addresses, storedAddress(a))
	}
	if p.Enterprise != (domain.EnterpriseAttributes{}) {
		e := storedEnterprise(p.Enterprise)
		s.Enterprise = &e
	}
	return s
}

func storedValues(values []domain.MultiValue) []storedValue {
	var out []storedValue
	for _, v := range values {
		out = append(out, storedValue(v))
	}
	return out
}

func (s storedProfile) domain() domain.Profile {
	p := domain.Profile{
		DisplayName:       s.DisplayName,
		NickName:          s.NickName,
		ProfileURL:        s.ProfileURL,
		Title:             s.Title,
		UserType:          s.UserType,
		PreferredLanguage: s.PreferredLanguage,
		Locale:            s.Locale,
		Timezone:          s.Timezone,
		Emails:            domainValues(s.Emails),
		PhoneNumbers:      domainValues(s.PhoneNumbers),
		IMs:               domainValues(s.IMs),
		Photos:            domainValues(s.Photos),
		X509Certificates:  domainValues(s.X509Certificates),
		Entitlements:      domainValues(s.Entitlements),
		Roles:             domainValues(s.Roles),
	}
	if s.Name != nil {
		p.Name = domain.Name(*s.Name)
	}
	for _, a := range s.Addresses {
		p.Addresses = append(p.Addresses, domain.Address(a))
	}
	if s.Enterprise != nil {
		p.Enterprise = domain.EnterpriseAttributes(*s.Enterprise)
	}
	return p
}

func domainValues(values []storedValue) []domain.MultiValue {
	var out []domain.MultiValue
	for _, v := range values {
		out = append(out, domain.MultiValue(v))
	}
	return out
}

// lowered returns a copy with every string lowercased. Lists keep their
// order and length, so an element of the key document and the element of
// the profile at the same index are the same value (filters on a case-exact
// sub-attribute rely on it).
func (s storedProfile) lowered() storedProfile {
	l := strings.ToLower
	out := storedProfile{
		DisplayName:       l(s.DisplayName),
		NickName:          l(s.NickName),
		ProfileURL:        l(s.ProfileURL),
		Title:             l(s.Title),
		UserType:          l(s.UserType),
		PreferredLanguage: l(s.PreferredLanguage),
		Locale:            l(s.Locale),
		Timezone:          l(s.Timezone),
		Emails:            lowerValues(s.Emails),
		PhoneNumbers:      lowerValues(s.PhoneNumbers),
		IMs:               lowerValues(s.IMs),
		Photos:            lowerValues(s.Photos),
		X509Certificates:  lowerValues(s.X509Certificates),
		Entitlements:      lowerValues(s.Entitlements),
		Roles:             lowerValues(s.Roles),
	}
	if s.Name != nil {
		out.Name = &storedName{
			Formatted:       l(s.Name.Formatted),
			FamilyName:      l(s.Name.FamilyName),
			GivenName:       l(s.Name.GivenName),
			MiddleName:      l(s.Name.MiddleName),
			HonorificPrefix: l(s.Name.HonorificPrefix),
			HonorificSuffix: l(s.Name.HonorificSuffix),
		}
	}
	for _, a := range s.Addresses {
		out.Addresses = append(out.Addresses, storedAddress{
			Formatted:     l(a.Formatted),
			StreetAddress: l(a.StreetAddress),
			Locality:      l(a.Locality),
			Region:        l(a.Region),
			PostalCode:    l(a.PostalCode),
			Country:       l(a.Country),
			Type:          l(a.Type),
			Primary:       a.Primary,
		})
	}
	if s.Enterprise != nil {
		out.Enterprise = &storedEnterprise{
			EmployeeNumber: l(s.Enterprise.EmployeeNumber),
			CostCenter:     l(s.Enterprise.CostCenter),
			Organization:   l(s.Enterprise.Organization),
			Division:       l(s.Enterprise.Division),
			Department:     l(s.Enterprise.Department),
			ManagerID:      l(s.Enterprise.ManagerID),
		}
	}
	return out
}

func lowerValues(values []storedValue) []storedValue {
	var out []storedValue
	for _, v := range values {
		out = append(out, storedValue{
			Value:   strings.ToLower(v.Value),
			Type:    strings.ToLower(v.Type),
			Display: strings.ToLower(v.Display),
			Primary: v.Primary,
		})
	}
	return out
}
