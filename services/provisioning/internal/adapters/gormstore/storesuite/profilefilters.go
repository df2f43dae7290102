package storesuite

import (
	"testing"

	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/ports"
)

// enterprise names an attribute of the Enterprise User extension by its
// URN-qualified path.
func enterprise(attribute, sub string, op domain.Comparison, value any) domain.Filter {
	return &domain.AttributeFilter{
		Path: domain.AttributePath{
			Schema: domain.EnterpriseUserSchema, Attribute: attribute, SubAttribute: sub},
		Operator: op, Value: value,
	}
}

func valuePath(attribute string, f domain.Filter) domain.Filter {
	return &domain.ValuePathFilter{Path: domain.AttributePath{Attribute: attribute}, Filter: f}
}

// testProfileFilters filters on the attributes that live only in the
// profile JSON: every singular core attribute, the multi-valued ones and
// the Enterprise extension, with the case-exactness of RFC 7643.
func testProfileFilters(t *testing.T, s ports.Store) {
	f := newFixture(t, s)
	ann := f.member("ann", 0)
	ann.Profile.Title = "Staff Engineer"
	ann.Profile.NickName = "Annie"
	ann.Profile.UserType = "Employee"
	ann.Profile.Locale = "en-GB"
	ann.Profile.PreferredLanguage = "en"
	ann.Profile.Timezone = "Europe/London"
	ann.Profile.ProfileURL = "https://Example.com/ann"
	ann.Profile.Name = domain.Name{GivenName: "Ann", MiddleName: "Émilie", Formatted: "Ann É. X"}
	ann.Profile.Emails = append(ann.Profile.Emails,
		domain.MultiValue{Value: "ann@home.example", Type: "home", Display: "Ann at Home"})
	ann.Profile.PhoneNumbers = []domain.MultiValue{
		{Value: "+44 20 7946 0000", Type: "work", Primary: true},
		{Value: "+44 7700 900000", Type: "Mobile"},
	}
	ann.Profile.Addresses = []domain.Address{
		{Locality: "London", Country: "GB", Type: "work", Primary: true},
	}
	ann.Profile.X509Certificates = []domain.MultiValue{{Value: "MIIDQzCCAqy"}}
	ann.Profile.Roles = []domain.MultiValue{{Value: "Admin", Primary: true}}
	ann.Profile.Enterprise = domain.EnterpriseAttributes{
		EmployeeNumber: "E-701", CostCenter: "CC1", Organization: "Acme",
		Division: "R&D", Department: "Tooling", ManagerID: "mgr-1",
	}
	ben := f.member("ben", 1)
	ben.Profile.Title = "Engineer"
	ben.Profile.UserType = "Contractor"
	ben.Profile.Name = domain.Name{MiddleName: "émile"}
	ben.Profile.PhoneNumbers = []domain.MultiValue{{Value: "+1 555 0100", Type: "mobile"}}
	ben.Profile.Addresses = []domain.Address{{Locality: "Paris", Country: "FR", Type: "home"}}
	ben.Profile.X509Certificates = []domain.MultiValue{{Value: "miidqzccaqy"}}
	ben.Profile.Enterprise = domain.EnterpriseAttributes{EmployeeNumber: "e-702", Department: "Sales"}
	cat := f.member("cat", 2)
	for _, m := range []domain.Member{ann, ben, cat} {
		f.create(t, s, m)
	}

	tests := []struct {
		name   string
		filter domain.Filter
		want   []string
	}{
		{"title eq is case-insensitive", attr("title", domain.CompareEqual, "ENGINEER"),
			[]string{"ben"}},
		{"title co", attr("title", domain.CompareContains, "engineer"), []string{"ann", "ben"}},
		{"title sw", attr("title", domain.CompareStartsWith, "staff"), []string{"ann"}},
		{"title ew", attr("title", domain.CompareEndsWith, "NEER"), []string{"ann", "ben"}},
		{"title pr", attr("title", domain.ComparePresent, nil), []string{"ann", "ben"}},
		{"not title pr", not(attr("title", domain.ComparePresent, nil)), []string{"cat"}},
		{"title eq null", attr("title", domain.CompareEqual, nil), []string{"cat"}},
		{"title ne null", attr("title", domain.CompareNotEqual, nil), []string{"ann", "ben"}},
		{"title ne includes the unassigned", attr("title", domain.CompareNotEqual, "engineer"),
			[]string{"ann", "cat"}},
		{"title gt", attr("title", domain.CompareGreaterThan, "engineer"), []string{"ann"}},
		{"title le", attr("title", domain.CompareLessOrEqual, "ENGINEER"), []string{"ben"}},
		{"nickName", attr("nickName", domain.CompareEqual, "annie"), []string{"ann"}},
		{"userType", attr("userType", domain.CompareEqual, "contractor"), []string{"ben"}},
		{"locale", attr("locale", domain.CompareEqual, "EN-gb"), []string{"ann"}},
		{"preferredLanguage", attr("preferredLanguage", domain.CompareEqual, "EN"),
			[]string{"ann"}},
		{"timezone", attr("timezone", domain.CompareStartsWith, "europe/"), []string{"ann"}},
		{"profileUrl", attr("profileUrl", domain.CompareEqual, "https://example.com/ann"),
			[]string{"ann"}},
		{"name.middleName folds non-ASCII case", attr("name.middleName", domain.CompareEqual,
			"ÉMILIE"), []string{"ann"}},
		{"name.formatted", attr("name.formatted", domain.CompareContains, "é."),
			[]string{"ann"}},
		{"name pr", attr("name", domain.ComparePresent, nil), []string{"ann", "ben"}},
		{"emails.display", attr("emails.display", domain.CompareEqual, "ann at home"),
			[]string{"ann"}},
		{"emails[type eq home and display pr]", valuePath("emails",
			and(attr("type", domain.CompareEqual, "HOME"),
				attr("display", domain.ComparePresent, nil))), []string{"ann"}},
		{"phoneNumbers eq", attr("phoneNumbers", domain.CompareEqual, "+1 555 0100"),
			[]string{"ben"}},
		{"phoneNumbers.type", attr("phoneNumbers.type", domain.CompareEqual, "MOBILE"),
			[]string{"ann", "ben"}},
		{"phoneNumbers[type eq work].primary", valuePath("phoneNumbers",
			and(attr("type", domain.CompareEqual, "work"),
				attr("primary", domain.CompareEqual, true))), []string{"ann"}},
		{"phoneNumbers[type eq mobile and primary eq true] matches no one value",
			valuePath("phoneNumbers", and(attr("type", domain.CompareEqual, "mobile"),
				attr("primary", domain.CompareEqual, true))), nil},
		{"phoneNumbers pr", attr("phoneNumbers", domain.ComparePresent, nil),
			[]string{"ann", "ben"}},
		{"not phoneNumbers pr", not(attr("phoneNumbers", domain.ComparePresent, nil)),
			[]string{"cat"}},
		{"addresses.locality", attr("addresses.locality", domain.CompareEqual, "london"),
			[]string{"ann"}},
		{"addresses[country eq FR]", valuePath("addresses",
			attr("country", domain.CompareEqual, "fr")), []string{"ben"}},
		{"addresses.primary", attr("addresses.primary", domain.CompareEqual, false),
			[]string{"ben"}},
		{"x509Certificates.value is case-exact",
			attr("x509Certificates.value", domain.CompareEqual, "MIIDQzCCAqy"), []string{"ann"}},
		{"x509Certificates[value sw]", valuePath("x509Certificates",
			attr("value", domain.CompareStartsWith, "mii")), []string{"ben"}},
		{"roles", attr("roles.value", domain.CompareEqual, "admin"), []string{"ann"}},
		{"enterprise employeeNumber by URN", enterprise("employeeNumber", "",
			domain.CompareEqual, "E-702"), []string{"ben"}},
		{"enterprise attribute by bare name", attr("department", domain.CompareEqual, "sales"),
			[]string{"ben"}},
		{"enterprise manager.value", enterprise("manager", "value", domain.CompareEqual,
			"MGR-1"), []string{"ann"}},
		{"enterprise manager pr", enterprise("manager", "", domain.ComparePresent, nil),
			[]string{"ann"}},
		{"enterprise costCenter pr", enterprise("costCenter", "", domain.ComparePresent, nil),
			[]string{"ann"}},
		{"enterprise division co escapes nothing odd", enterprise("division", "",
			domain.CompareContains, "&"), []string{"ann"}},
		{"enterprise organization ne", enterprise("organization", "",
			domain.CompareNotEqual, "acme"), []string{"ben", "cat"}},
		{"a JSON attribute with an indexed one", and(attr("userName", domain.CompareStartsWith, "a"),
			attr("title", domain.ComparePresent, nil)), []string{"ann"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			list, total, err := s.Directory().ListClientMembers(ctx(t), f.org.ID, f.client.ID,
				domain.ListQuery{Filter: tc.filter, Count: 50})
			must(t, err)
			equal(t, "members", userNames(list), tc.want)
			equal(t, "total", total, int64(len(tc.want)))
		})
	}

	// What was stored reads back whole.
	got, err := s.Directory().Member(ctx(t), f.org.ID, ann.ID)
	must(t, err)
	equal(t, "profile read back", got.Profile.Enterprise, ann.Profile.Enterprise)
	equal(t, "addresses read back", got.Profile.Addresses, ann.Profile.Addresses)
	equal(t, "phones read back", got.Profile.PhoneNumbers, ann.Profile.PhoneNumbers)
}
