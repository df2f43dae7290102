package domain

import (
	"strings"
	"testing"
)

func TestIssueToken(t *testing.T) {
	var c ScimClient
	token, err := c.IssueToken(testNow)
	if err != nil {
		t.Fatal(err)
	}

	if !strings.HasPrefix(token, TokenPrefix) {
		t.Errorf("token %q lacks the prefix %q", token[:8], TokenPrefix)
	}
	// 32 random bytes in unpadded base64url are 43 characters.
	if got := len(token) - len(TokenPrefix); got != 43 {
		t.Errorf("random part has %d characters, want 43 (256 bits)", got)
	}
	if c.TokenHash == "" || strings.Contains(c.TokenHash, token) || c.TokenHash == token {
		t.Error("the client must keep a hash, not the token")
	}
	if !TokenMatches(token, c.TokenHash) {
		t.Error("the issued token does not match its hash")
	}
	if TokenMatches(token+"x", c.TokenHash) || TokenMatches("", c.TokenHash) {
		t.Error("another token matches the hash")
	}
	if !strings.HasPrefix(token, c.TokenPrefix) || len(c.TokenPrefix) != len(TokenPrefix)+4 {
		t.Errorf("display prefix %q", c.TokenPrefix)
	}
	if !c.TokenRotatedAt.Equal(testNow) {
		t.Error("TokenRotatedAt not set")
	}
}

func TestIssueTokenRotates(t *testing.T) {
	var c ScimClient
	first, _ := c.IssueToken(testNow)
	second, _ := c.IssueToken(testNow)
	if first == second {
		t.Fatal("two tokens are equal")
	}
	if TokenMatches(first, c.TokenHash) {
		t.Error("the old token still matches after rotation")
	}
}

func TestHashTokenIsSHA256Hex(t *testing.T) {
	// SHA-256 of "abc", a published test vector.
	want := "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	if got := HashToken("abc"); got != want {
		t.Errorf("HashToken(abc) = %s", got)
	}
}

func TestCheckAccess(t *testing.T) {
	enterprise := Organization{ID: "org-1", Plan: PlanEnterprise}
	team := Organization{ID: "org-1", Plan: PlanTeam}
	enabled := ScimClient{Enabled: true}

	if err := enabled.CheckAccess(enterprise); err != nil {
		t.Errorf("enabled client of an Enterprise org: %v", err)
	}
	if err := (ScimClient{}).CheckAccess(enterprise); !IsKind(err, KindPermissionDenied) {
		t.Errorf("disabled client: %v, want permission denied", err)
	}
	if err := enabled.CheckAccess(team); !IsKind(err, KindPermissionDenied) {
		t.Errorf("org off Enterprise: %v, want permission denied", err)
	}
}

func TestClientSettingsValidate(t *testing.T) {
	s := ClientSettings{Name: "  Okta  "}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	if s.Name != "Okta" || s.DefaultRole != RoleMember {
		t.Errorf("name %q role %s: want trimmed and member by default", s.Name, s.DefaultRole)
	}
	for _, bad := range []ClientSettings{
		{Name: ""},
		{Name: "x", DefaultRole: RoleOwner},
		{Name: "x", DefaultRole: RoleAdmin},
		{Name: strings.Repeat("n", 201)},
	} {
		if err := bad.Validate(); !IsKind(err, KindInvalid) {
			t.Errorf("%+v: %v, want invalid", bad, err)
		}
	}
}
