package scim

import (
	"slices"
	"testing"
)

func sameRules(got, want []string) bool {
	want = slices.Clone(want)
	slices.Sort(want)
	return slices.Equal(got, want)
}

// TestRulesNoted checks that each reader notes the compatibility rules it
// applied, and only those: a request in plain RFC form notes none.
func TestRulesNoted(t *testing.T) {
	user := User{ID: "u-1", UserName: "ada@example.com",
		Emails: []MultiValue{{Value: "ada@example.com", Type: "work", Primary: true}}}

	patches := []struct {
		name string
		body string
		want []string
	}{
		{"rfc replace", `{"Operations":[{"op":"replace","path":"active","value":false}]}`, nil},
		{"rfc path-less name", `{"Operations":[{"op":"replace","value":{"displayName":"Ada"}}]}`, nil},
		{"entra without flag",
			`{"Operations":[{"op":"Replace","path":"active","value":"False"}]}`,
			[]string{RuleCapitalisedOp, RuleStringBoolean}},
		{"okta deactivation", `{"Operations":[{"op":"replace","value":{"active":false}}]}`,
			[]string{RulePathlessActive}},
		{"entra dotted keys",
			`{"Operations":[{"op":"replace","value":{"name.givenName":"Ada",` +
				`"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"42"}}]}`,
			[]string{RulePathlessDottedKeys}},
		{"manager bare string",
			`{"Operations":[{"op":"add","path":` +
				`"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"m-7"}]}`,
			[]string{RuleBareStringReference}},
		{"manager reference list",
			`{"Operations":[{"op":"add","path":"manager","value":[{"$ref":"x","value":"m-7"}]}]}`,
			[]string{RuleUnqualifiedExtension, RuleReferenceList}},
		{"rfc email value path",
			`{"Operations":[{"op":"replace","path":"emails[type eq \"work\"].value","value":"a@b.example"}]}`,
			nil},
		{"entra first home email",
			`{"Operations":[{"op":"replace","path":"emails[type eq \"home\"].value","value":"a@b.example"}]}`,
			[]string{RuleEmailsValueFilter}},
		{"remove with value",
			`{"Operations":[{"op":"remove","path":"emails","value":[{"value":"ada@example.com"}]}]}`,
			[]string{RuleRemoveWithValue}},
	}
	for _, tt := range patches {
		t.Run(tt.name, func(t *testing.T) {
			notes := &Notes{}
			list, err := DecodePatch([]byte(tt.body), notes)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ApplyUserPatch(user, list, notes); err != nil {
				t.Fatal(err)
			}
			if got := notes.Rules(); !sameRules(got, tt.want) {
				t.Errorf("rules = %v, want %v", got, tt.want)
			}
		})
	}

	groupPatches := []struct {
		name string
		body string
		want []string
	}{
		{"rfc member removal", `{"Operations":[{"op":"remove","path":"members[value eq \"u-1\"]"}]}`, nil},
		{"entra member removal",
			`{"Operations":[{"op":"Remove","path":"members","value":[{"value":"u-1"}]}]}`,
			[]string{RuleCapitalisedOp, RuleRemoveWithValue}},
		{"okta rename", `{"Operations":[{"op":"replace","value":{"id":"g-1","displayName":"New"}}]}`,
			[]string{RuleGroupRenameWithID}},
	}
	for _, tt := range groupPatches {
		t.Run(tt.name, func(t *testing.T) {
			notes := &Notes{}
			list, err := DecodePatch([]byte(tt.body), notes)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := PlanGroupPatch("g-1", list, notes); err != nil {
				t.Fatal(err)
			}
			if got := notes.Rules(); !sameRules(got, tt.want) {
				t.Errorf("rules = %v, want %v", got, tt.want)
			}
		})
	}

	filters := map[string][]string{
		`userName eq "ada@example.com"`:                     nil,
		`emails[type eq "work" and value eq "a@b.example"]`: nil,
		`emails[type eq "work"].value eq "ada@example.com"`: {RuleEmailsValueFilter},
	}
	for text, want := range filters {
		notes := &Notes{}
		if _, err := ParseFilterNoting(text, notes); err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		if got := notes.Rules(); !sameRules(got, want) {
			t.Errorf("filter %s: rules = %v, want %v", text, got, want)
		}
	}

	var none *Notes
	none.Note(RuleCapitalisedOp)
	if none.Rules() != nil {
		t.Error("a nil Notes recorded a rule")
	}
}
