package idp

import (
	"testing"

	"github.com/craevidence/scim-provisioning/services/scim-gateway/internal/scim"
)

func TestRecognise(t *testing.T) {
	tests := []struct {
		userAgent string
		rules     []string
		want      string
	}{
		{"Okta SCIM Client 1.0.0", nil, Okta},
		{"okta scim client 1.2.3", []string{scim.RuleStringBoolean}, Okta},
		{"Microsoft.Identity.Provisioning", nil, EntraID},
		{"Azure AD SCIM Provisioning", nil, EntraID},
		{"Google-Auto-Provisioning", nil, GoogleWorkspace},
		{"OneLogin SCIM", nil, OneLogin},
		{"JumpCloud SCIM Agent", nil, JumpCloud},
		{"Go-http-client/1.1", nil, ""},
		{"", []string{scim.RuleDoubledBearer}, ""},
		{"", []string{scim.RulePathlessActive}, ""},
		{"curl/8.5.0", []string{scim.RuleCapitalisedOp}, EntraID},
		{"", []string{scim.RuleNumberAsString, scim.RuleStringBoolean}, EntraID},
	}
	for _, tt := range tests {
		if got := Recognise(tt.userAgent, tt.rules); got != tt.want {
			t.Errorf("Recognise(%q, %v) = %q, want %q", tt.userAgent, tt.rules, got, tt.want)
		}
	}
}
