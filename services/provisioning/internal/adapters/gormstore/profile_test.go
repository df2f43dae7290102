package gormstore

import (
	"context"
	"encoding/json"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
)

func sampleProfile() domain.Profile {
	return domain.Profile{
		Name:        domain.Name{GivenName: "Ada", FamilyName: "Lovelace", MiddleName: "Byron"},
		DisplayName: "Ada", NickName: "Countess", ProfileURL: "https://example.com/ada",
		Title: "Analyst", UserType: "Employee", PreferredLanguage: "en", Locale: "en-GB",
		Timezone:     "Europe/London",
		Emails:       []domain.MultiValue{{Value: "ada@example.com", Type: "work", Primary: true}},
		PhoneNumbers: []domain.MultiValue{{Value: "+44 20", Type: "work"}},
		IMs:          []domain.MultiValue{{Value: "ada", Type: "xmpp"}},
		Photos:       []domain.MultiValue{{Value: "https://example.com/ada.png", Type: "photo"}},
		Addresses: []domain.Address{{StreetAddress: "1 St James's Square", Locality: "London",
			Country: "GB", Type: "home", Primary: true}},
		X509Certificates: []domain.MultiValue{{Value: "MIIB"}},
		Entitlements:     []domain.MultiValue{{Value: "analytical-engine"}},
		Roles:            []domain.MultiValue{{Value: "author", Display: "Author"}},
		Enterprise: domain.EnterpriseAttributes{EmployeeNumber: "1815", CostCenter: "C",
			Organization: "O", Division: "D", Department: "Maths", ManagerID: "m-1"},
	}
}

// TestProfileEncoding checks the stored form: SCIM names, and a round trip
// that keeps every attribute.
func TestProfileEncoding(t *testing.T) {
	p := sampleProfile()
	raw, key, err := encodeProfile(p)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(raw), &doc); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"name", "profileUrl", "ims", "x509Certificates", "enterprise"} {
		if _, ok := doc[name]; !ok {
			t.Errorf("stored profile lacks %q: %s", name, raw)
		}
	}
	if ent, _ := doc["enterprise"].(map[string]any); ent["managerId"] != "m-1" {
		t.Errorf("enterprise stored as %v", doc["enterprise"])
	}
	var lowered map[string]any
	if err := json.Unmarshal([]byte(key), &lowered); err != nil {
		t.Fatal(err)
	}
	if lowered["title"] != "analyst" {
		t.Errorf("key document title = %v", lowered["title"])
	}

	got, err := decodeProfile(raw)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, p) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, p)
	}
}

// TestProfileOfFirstSchemaDecodes reads a profile as the first schema
// stored it: domain.Profile encoded with its Go field names.
func TestProfileOfFirstSchemaDecodes(t *testing.T) {
	p := sampleProfile()
	legacy, err := json.Marshal(p) // domain.Profile has no JSON names.
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeProfile(string(legacy))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, p) {
		t.Errorf("legacy profile:\n got %+v\nwant %+v", got, p)
	}
}

// TestMigrationRewritesProfiles stores a member the way migration 1 did,
// runs the backfill of migration 2, and finds the member by a filter on the
// profile JSON.
func TestMigrationRewritesProfiles(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, Options{
		DatabaseURL: "sqlite://" + filepath.Join(t.TempDir(), "p.db"),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	org := domain.Organization{ID: "org-1", Name: "Acme", Plan: domain.PlanEnterprise}
	if err := s.Organizations().UpsertOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	m := domain.Member{ID: "m-1", OrganizationID: org.ID, UserName: "ada",
		Profile: sampleProfile(), Role: domain.RoleMember, Status: domain.StatusActive,
		ScimActive: true, Version: 1, CreatedAt: now, UpdatedAt: now}
	if err := s.Directory().CreateMember(ctx, m); err != nil {
		t.Fatal(err)
	}
	legacy, _ := json.Marshal(m.Profile)
	err = s.DB().Exec("UPDATE members SET profile = ?, profile_key = '{}' WHERE id = ?",
		string(legacy), m.ID).Error
	if err != nil {
		t.Fatal(err)
	}

	where, args, err := memberFilterSQL(s.dialect, &domain.AttributeFilter{
		Path: domain.AttributePath{Attribute: "title"}, Operator: domain.CompareEqual,
		Value: "ANALYST"})
	if err != nil {
		t.Fatal(err)
	}
	count := func() int64 {
		var n int64
		err := s.DB().Raw("SELECT COUNT(*) FROM members m WHERE "+where, args...).Scan(&n).Error
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(); n != 0 {
		t.Fatalf("before the backfill the filter found %d members", n)
	}
	if err := reencodeProfiles(s.DB()); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 1 {
		t.Fatalf("after the backfill the filter found %d members, want 1", n)
	}
	got, err := s.Directory().Member(ctx, org.ID, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Profile, m.Profile) {
		t.Errorf("profile after the backfill:\n got %+v\nwant %+v", got.Profile, m.Profile)
	}
}
