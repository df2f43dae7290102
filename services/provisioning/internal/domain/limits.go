package domain

import (
	"strconv"
	"strings"
	"unicode"
)

// Bounds of what a SCIM client may store, in bytes of UTF-8. They keep every
// value well below what a database index entry can hold (Postgres refuses a
// btree entry above about 2.7 KB with an internal error, where SQLite accepts
// anything), so a long value is the caller's mistake (400), never a 500.
const (
	MaxUserNameLength   = 256
	MaxExternalIDLength = 256
	// MaxEmailLength is the 64 bytes of a local part, "@" and 255 of a domain.
	MaxEmailLength = 320
	// MaxAttributeLength bounds every other string attribute.
	MaxAttributeLength = 2048
	// MaxCertificateLength bounds one x509Certificates value: a base64 DER
	// certificate with a 4096-bit key is longer than MaxAttributeLength, and
	// the value is kept in the profile only, in no index.
	MaxCertificateLength = 16384
	// MaxMultiValues bounds the values of each multi-valued attribute.
	MaxMultiValues = 100
	// MaxSSOConnectionIDLength bounds the SSO connection a client links to.
	MaxSSOConnectionIDLength = 256
	// MaxOrganizationIDLength bounds an organisation id another service
	// names: it is a key of several indexes.
	MaxOrganizationIDLength = 256
)

// ValidID reports whether id has the form of the identifiers the core makes:
// a UUID in its 36-character text form. An id of any other form names
// nothing, so it can be answered as not found without asking the database,
// and it is never written into a provisioning event.
func ValidID(id string) bool {
	if len(id) != 36 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			isHex := ('0' <= c && c <= '9') || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
			if !isHex {
				return false
			}
		}
	}
	return true
}

// maxQuotedIDLength bounds, in characters, an identifier an error message
// quotes: the caller's text is echoed to help, not to fill a log line.
const maxQuotedIDLength = 64

// QuoteID quotes id for an error message, as %q would, cut by ShortID.
func QuoteID(id string) string {
	return strconv.Quote(ShortID(id))
}

// ShortID returns id for an error message: whole when it has at most 64
// characters, else its first 64 followed by "…".
func ShortID(id string) string {
	count := 0
	for i := range id {
		if count == maxQuotedIDLength {
			return id[:i] + "…"
		}
		count++
	}
	return id
}

// invalidValue is the error for an attribute a client sent that the core
// cannot store. It names the attribute, never its value.
func invalidValue(format string, args ...any) *Error {
	return Errorf(KindInvalid, format, args...).WithReason(ReasonInvalidValue)
}

// checkLength refuses a value longer than limit bytes.
func checkLength(attribute, value string, limit int) error {
	if len(value) > limit {
		return invalidValue("%s has at most %d bytes", attribute, limit)
	}
	return nil
}

// hasControl reports whether s holds a control character (C0, DEL or C1).
func hasControl(s string) bool {
	return strings.ContainsFunc(s, unicode.IsControl)
}

// validateProfile checks the bounds of every attribute of a profile.
func validateProfile(p Profile) error {
	singles := []struct{ name, value string }{
		{"name.formatted", p.Name.Formatted},
		{"name.familyName", p.Name.FamilyName},
		{"name.givenName", p.Name.GivenName},
		{"name.middleName", p.Name.MiddleName},
		{"name.honorificPrefix", p.Name.HonorificPrefix},
		{"name.honorificSuffix", p.Name.HonorificSuffix},
		{"displayName", p.DisplayName},
		{"nickName", p.NickName},
		{"profileUrl", p.ProfileURL},
		{"title", p.Title},
		{"userType", p.UserType},
		{"preferredLanguage", p.PreferredLanguage},
		{"locale", p.Locale},
		{"timezone", p.Timezone},
		{"employeeNumber", p.Enterprise.EmployeeNumber},
		{"costCenter", p.Enterprise.CostCenter},
		{"organization", p.Enterprise.Organization},
		{"division", p.Enterprise.Division},
		{"department", p.Enterprise.Department},
		{"manager.value", p.Enterprise.ManagerID},
	}
	for _, s := range singles {
		if err := checkLength(s.name, s.value, MaxAttributeLength); err != nil {
			return err
		}
	}

	multis := []struct {
		name        string
		values      []MultiValue
		valueLength int
	}{
		{"emails", p.Emails, MaxEmailLength},
		{"phoneNumbers", p.PhoneNumbers, MaxAttributeLength},
		{"ims", p.IMs, MaxAttributeLength},
		{"photos", p.Photos, MaxAttributeLength},
		{"x509Certificates", p.X509Certificates, MaxCertificateLength},
		{"entitlements", p.Entitlements, MaxAttributeLength},
		{"roles", p.Roles, MaxAttributeLength},
	}
	for _, m := range multis {
		if len(m.values) > MaxMultiValues {
			return invalidValue("%s has at most %d values", m.name, MaxMultiValues)
		}
		for _, v := range m.values {
			if err := checkLength(m.name+".value", v.Value, m.valueLength); err != nil {
				return err
			}
			if err := checkLength(m.name+".type", v.Type, MaxAttributeLength); err != nil {
				return err
			}
			if err := checkLength(m.name+".display", v.Display, MaxAttributeLength); err != nil {
				return err
			}
		}
	}

	if len(p.Addresses) > MaxMultiValues {
		return invalidValue("addresses has at most %d values", MaxMultiValues)
	}
	for _, a := range p.Addresses {
		parts := []struct{ name, value string }{
			{"addresses.formatted", a.Formatted},
			{"addresses.streetAddress", a.StreetAddress},
			{"addresses.locality", a.Locality},
			{"addresses.region", a.Region},
			{"addresses.postalCode", a.PostalCode},
			{"addresses.country", a.Country},
			{"addresses.type", a.Type},
		}
		for _, part := range parts {
			if err := checkLength(part.name, part.value, MaxAttributeLength); err != nil {
				return err
			}
		}
	}
	return nil
}
