// Package idp recognises the identity provider behind a SCIM request, from
// its User-Agent or, when that names none, from the compatibility rules the
// request needed.
package idp

import (
	"strings"

	"github.com/craevidence/scim-provisioning/services/scim-gateway/internal/scim"
)

// The identity providers the gateway recognises. The names are stable: they
// are stored with provisioning events and shown to admins.
const (
	Okta            = "okta"
	EntraID         = "entra-id"
	GoogleWorkspace = "google-workspace"
	OneLogin        = "onelogin"
	JumpCloud       = "jumpcloud"
)

// userAgents maps a case-insensitive fragment of a User-Agent to the
// identity provider that sends it. Okta documents "Okta SCIM Client"; the
// others do not publish theirs, so the fragments are the product names, and
// a request without one is recognised by its shape or not at all.
var userAgents = []struct {
	fragment string
	provider string
}{
	{"okta", Okta},
	{"microsoft.identity", EntraID},
	{"azure ad scim", EntraID},
	{"azure active directory", EntraID},
	{"microsoft entra", EntraID},
	{"google-auto-provisioning", GoogleWorkspace},
	{"google", GoogleWorkspace},
	{"onelogin", OneLogin},
	{"jumpcloud", JumpCloud},
}

// FromUserAgent returns the identity provider a User-Agent names, or "".
func FromUserAgent(userAgent string) string {
	ua := strings.ToLower(userAgent)
	for _, known := range userAgents {
		if strings.Contains(ua, known.fragment) {
			return known.provider
		}
	}
	return ""
}

// FromRules returns the identity provider whose quirks a request needed, or
// "" when they point at none: only Entra ID's own dialect is distinctive
// enough. The doubled Bearer prefix is not, since any IdP whose admin
// pastes "Bearer <token>" into a custom header sends it.
func FromRules(rules []string) string {
	for _, rule := range rules {
		switch rule {
		case scim.RuleCapitalisedOp, scim.RuleStringBoolean, scim.RuleEmailsValueFilter,
			scim.RulePathlessDottedKeys:
			return EntraID
		}
	}
	return ""
}

// Recognise returns the identity provider of a request: the one its
// User-Agent names, else the one its shapes point at, else "".
func Recognise(userAgent string, rules []string) string {
	if p := FromUserAgent(userAgent); p != "" {
		return p
	}
	return FromRules(rules)
}
