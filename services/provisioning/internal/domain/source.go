package domain

// RequestSource is what the SCIM gateway says about a request: which
// identity provider sent it and which compatibility rules it needed. It is
// recorded with the request's provisioning events.
type RequestSource struct {
	IdentityProvider   string
	CompatibilityRules []string
}

// Bounds on what a request source may hold. The names are the gateway's
// own stable identifiers, so anything longer or stranger is a fault and is
// not stored.
const (
	MaxSourceNameLength   = 64
	MaxCompatibilityRules = 32
)

// ValidSourceName reports whether s can be an identity provider or rule
// name: 1 to MaxSourceNameLength characters of a-z, 0-9 and "-".
func ValidSourceName(s string) bool {
	if s == "" || len(s) > MaxSourceNameLength {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' {
			return false
		}
	}
	return true
}
