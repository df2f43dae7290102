package scim

import (
	"errors"
	"reflect"
	"testing"
)

func ops(t *testing.T, body string) []PatchOperation {
	t.Helper()
	list, err := DecodePatch([]byte(body), nil)
	if err != nil {
		t.Fatalf("DecodePatch: %v", err)
	}
	return list
}

func babs() User {
	active := true
	return User{
		ID:       "2819c223",
		UserName: "bjensen",
		Name:     &Name{GivenName: "Barbara", FamilyName: "Jensen"},
		Active:   &active,
		Emails: []MultiValue{
			{Value: "bjensen@example.com", Type: "work", Primary: true},
		},
		Addresses: []Address{
			{Type: "work", StreetAddress: "100 Universal City Plaza", Locality: "Hollywood"},
			{Type: "home", StreetAddress: "456 Hollywood Blvd"},
		},
		Groups: []Reference{{Value: "g-1", Display: "Sales"}},
		Meta:   &Meta{Version: 3},
	}
}

func patched(t *testing.T, u User, body string) User {
	t.Helper()
	out, err := ApplyUserPatch(u, ops(t, body), nil)
	if err != nil {
		t.Fatalf("ApplyUserPatch: %v", err)
	}
	return out
}

func TestPatchRFCAddPathless(t *testing.T) {
	// RFC 7644 §3.5.2.1: add without a path, value holding attributes.
	out := patched(t, babs(), `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
	  "Operations":[{"op":"add","value":{"emails":[{"value":"babs@jensen.org","type":"home"}],
	  "nickname":"Babs"}}]}`)

	if out.NickName != "Babs" {
		t.Errorf("nickName = %q", out.NickName)
	}
	want := []MultiValue{
		{Value: "bjensen@example.com", Type: "work", Primary: true},
		{Value: "babs@jensen.org", Type: "home"},
	}
	if !reflect.DeepEqual(out.Emails, want) {
		t.Errorf("emails = %+v, want %+v", out.Emails, want)
	}
	if out.ID != "2819c223" || out.Meta.Version != 3 || len(out.Groups) != 1 {
		t.Errorf("read-only attributes changed: %+v", out)
	}
}

func TestPatchRFCRemoveByFilter(t *testing.T) {
	// RFC 7644 §3.5.2.2: remove values selected by a filter.
	u := babs()
	u.Emails = append(u.Emails, MultiValue{Value: "b@jensen.org", Type: "home"})
	out := patched(t, u, `{"Operations":[{"op":"remove",
	  "path":"emails[type eq \"work\" and value ew \"example.com\"]"}]}`)

	want := []MultiValue{{Value: "b@jensen.org", Type: "home"}}
	if !reflect.DeepEqual(out.Emails, want) {
		t.Errorf("emails = %+v, want %+v", out.Emails, want)
	}
}

func TestPatchRFCReplaceFilteredAddress(t *testing.T) {
	// RFC 7644 §3.5.2.3: replace a whole filtered value, then a
	// sub-attribute of it.
	out := patched(t, babs(), `{"Operations":[{"op":"replace","path":"addresses[type eq \"work\"]",
	  "value":{"type":"work","streetAddress":"911 Universal City Plaza","locality":"Hollywood",
	  "region":"CA","postalCode":"91608","country":"US","primary":true}}]}`)
	if out.Addresses[0].StreetAddress != "911 Universal City Plaza" || !out.Addresses[0].Primary ||
		out.Addresses[0].PostalCode != "91608" {
		t.Errorf("work address = %+v", out.Addresses[0])
	}
	if out.Addresses[1].StreetAddress != "456 Hollywood Blvd" {
		t.Errorf("home address changed: %+v", out.Addresses[1])
	}

	out = patched(t, out, `{"Operations":[{"op":"replace",
	  "path":"addresses[type eq \"work\"].streetAddress","value":"1010 Broadway Ave"}]}`)
	if out.Addresses[0].StreetAddress != "1010 Broadway Ave" || out.Addresses[0].Region != "CA" {
		t.Errorf("work address = %+v", out.Addresses[0])
	}
}

func TestPatchRFCReplacePathless(t *testing.T) {
	// RFC 7644 §3.5.2.3: replace without a path.
	out := patched(t, babs(), `{"Operations":[{"op":"replace","value":{
	  "emails":[{"value":"bjensen@example.com","type":"work","primary":true},
	            {"value":"babs@jensen.org","type":"home"}],"nickName":"Babs"}}]}`)
	if len(out.Emails) != 2 || out.NickName != "Babs" {
		t.Errorf("out = %+v", out)
	}
}

func TestPatchSubAttribute(t *testing.T) {
	out := patched(t, babs(), `{"Operations":[
	  {"op":"replace","path":"name.givenName","value":"Babs"},
	  {"op":"remove","path":"name.familyName"},
	  {"op":"add","path":"name","value":{"middleName":"Jane"}}]}`)
	want := &Name{GivenName: "Babs", MiddleName: "Jane"}
	if !reflect.DeepEqual(out.Name, want) {
		t.Errorf("name = %+v, want %+v", out.Name, want)
	}
}

func TestPatchOktaDeactivate(t *testing.T) {
	out := patched(t, babs(), `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
	  "Operations":[{"op":"replace","value":{"active":false}}]}`)
	if out.Active == nil || *out.Active {
		t.Errorf("active = %v, want false", out.Active)
	}
	if out.UserName != "bjensen" || out.Name.GivenName != "Barbara" {
		t.Errorf("other attributes changed: %+v", out)
	}
}

func TestPatchEntraWithoutFlag(t *testing.T) {
	out := patched(t, babs(), `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
	 "Operations":[{"op":"Replace","path":"active","value":"False"},
	   {"op":"Replace","path":"emails[type eq \"work\"].value","value":"new@example.com"},
	   {"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
	    "value":"42"}]}`)
	if out.Active == nil || *out.Active {
		t.Errorf("active = %v, want false", out.Active)
	}
	if out.Emails[0].Value != "new@example.com" || !out.Emails[0].Primary {
		t.Errorf("emails = %+v", out.Emails)
	}
	if out.Enterprise == nil || out.Enterprise.EmployeeNumber != "42" {
		t.Errorf("enterprise = %+v", out.Enterprise)
	}
}

func TestPatchEntraWithFlag(t *testing.T) {
	out := patched(t, babs(), `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
	 "Operations":[{"op":"replace","path":"active","value":false},
	   {"op":"replace","value":{"displayName":"Ada L","name.givenName":"Ada",
	     "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"42"}}]}`)
	if *out.Active || out.DisplayName != "Ada L" || out.Name.GivenName != "Ada" ||
		out.Name.FamilyName != "Jensen" || out.Enterprise.EmployeeNumber != "42" {
		t.Errorf("out = %+v", out)
	}
}

func TestPatchEntraAddsFirstWorkEmail(t *testing.T) {
	u := babs()
	u.Emails = nil
	out := patched(t, u, `{"Operations":[{"op":"Add","path":"emails[type eq \"work\"].value",
	  "value":"ada@example.com"}]}`)
	want := []MultiValue{{Value: "ada@example.com", Type: "work"}}
	if !reflect.DeepEqual(out.Emails, want) {
		t.Errorf("emails = %+v, want %+v", out.Emails, want)
	}
}

func TestPatchManagerShapes(t *testing.T) {
	out := patched(t, babs(), `{"Operations":[{"op":"Add",
	  "path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"m-7"}]}`)
	if out.Enterprise == nil || out.Enterprise.Manager == nil || out.Enterprise.Manager.Value != "m-7" {
		t.Fatalf("manager from bare string = %+v", out.Enterprise)
	}

	out = patched(t, babs(), `{"Operations":[{"op":"Add","path":"manager",
	  "value":[{"$ref":"https://sp.example/scim/Users/m-8","value":"m-8"}]}]}`)
	if out.Enterprise == nil || out.Enterprise.Manager == nil || out.Enterprise.Manager.Value != "m-8" {
		t.Fatalf("manager from ref array = %+v", out.Enterprise)
	}

	out = patched(t, out, `{"Operations":[{"op":"remove",
	  "path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"}]}`)
	if !out.Enterprise.IsZero() {
		t.Errorf("manager not removed: %+v", out.Enterprise.Manager)
	}
}

func TestPatchPrimaryStaysUnique(t *testing.T) {
	out := patched(t, babs(), `{"Operations":[{"op":"add","path":"emails",
	  "value":[{"value":"babs@jensen.org","type":"home","primary":true}]}]}`)
	primaries := 0
	for _, e := range out.Emails {
		if e.Primary {
			primaries++
			if e.Value != "babs@jensen.org" {
				t.Errorf("primary = %s, want the new value", e.Value)
			}
		}
	}
	if primaries != 1 {
		t.Errorf("%d primary emails, want 1: %+v", primaries, out.Emails)
	}

	// Adding a value that is already there merges instead of duplicating.
	out = patched(t, out, `{"Operations":[{"op":"add","path":"emails",
	  "value":{"value":"BJENSEN@example.com","type":"work","primary":true}}]}`)
	if len(out.Emails) != 2 || !out.Emails[0].Primary || out.Emails[1].Primary {
		t.Errorf("emails = %+v", out.Emails)
	}
}

func TestPatchRemoveByValueArray(t *testing.T) {
	u := babs()
	u.Roles = []MultiValue{{Value: "admin"}, {Value: "viewer"}}
	out := patched(t, u, `{"Operations":[{"op":"Remove","path":"roles","value":[{"value":"admin"}]}]}`)
	if !reflect.DeepEqual(out.Roles, []MultiValue{{Value: "viewer"}}) {
		t.Errorf("roles = %+v", out.Roles)
	}
}

func TestPatchRemoveNoMatchIsNoChange(t *testing.T) {
	out := patched(t, babs(), `{"Operations":[{"op":"remove","path":"emails[type eq \"other\"]"}]}`)
	if len(out.Emails) != 1 {
		t.Errorf("emails = %+v", out.Emails)
	}
}

func TestPatchErrors(t *testing.T) {
	tests := []struct {
		name string
		body string
		want string
	}{
		{"remove without path", `{"Operations":[{"op":"remove"}]}`, ErrNoTarget},
		{"replace unmatched complex filter",
			`{"Operations":[{"op":"replace","path":"emails[value co \"zzz\"].type","value":"w"}]}`,
			ErrNoTarget},
		{"unknown attribute", `{"Operations":[{"op":"replace","path":"shoeSize","value":"9"}]}`,
			ErrInvalidPath},
		{"unknown schema", `{"Operations":[{"op":"replace","path":"urn:x:y:foo","value":"9"}]}`,
			ErrInvalidPath},
		{"bad path", `{"Operations":[{"op":"replace","path":"emails[type eq","value":"9"}]}`,
			ErrInvalidPath},
		{"unknown sub-attribute", `{"Operations":[{"op":"replace","path":"name.shoe","value":"9"}]}`,
			ErrInvalidPath},
		{"filter on single-valued",
			`{"Operations":[{"op":"replace","path":"name[givenName eq \"x\"]","value":"9"}]}`,
			ErrInvalidPath},
		{"read-only id", `{"Operations":[{"op":"replace","path":"id","value":"x"}]}`, ErrMutability},
		{"read-only groups", `{"Operations":[{"op":"add","path":"groups","value":[{"value":"g"}]}]}`,
			ErrMutability},
		{"remove required", `{"Operations":[{"op":"remove","path":"userName"}]}`, ErrMutability},
		{"wrong boolean", `{"Operations":[{"op":"replace","path":"active","value":"maybe"}]}`,
			ErrInvalidValue},
		{"wrong string", `{"Operations":[{"op":"replace","path":"title","value":{"a":1}}]}`,
			ErrInvalidValue},
		{"path-less scalar", `{"Operations":[{"op":"replace","value":false}]}`, ErrInvalidValue},
		{"unknown op", `{"Operations":[{"op":"move","path":"title"}]}`, ErrInvalidSyntax},
		{"no operations", `{"Operations":[]}`, ErrInvalidSyntax},
		{"not json", `{"Operations":`, ErrInvalidSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list, err := DecodePatch([]byte(tt.body), nil)
			if err == nil {
				_, err = ApplyUserPatch(babs(), list, nil)
			}
			var scimErr *Error
			if !errors.As(err, &scimErr) || scimErr.ScimType != tt.want {
				t.Fatalf("error = %v, want scimType %s", err, tt.want)
			}
		})
	}
}

func TestPlanGroupPatch(t *testing.T) {
	name := func(s string) *string { return &s }
	tests := []struct {
		name string
		body string
		want GroupChange
	}{
		{"rfc add members",
			`{"Operations":[{"op":"add","path":"members","value":[{"display":"Babs Jensen",
			  "$ref":"https://example.com/v2/Users/2819c223","value":"2819c223"}]}]}`,
			GroupChange{AddMemberIDs: []string{"2819c223"}}},
		{"rfc remove one member",
			`{"Operations":[{"op":"remove","path":"members[value eq \"2819c223\"]"}]}`,
			GroupChange{RemoveMemberIDs: []string{"2819c223"}}},
		{"rfc remove all members", `{"Operations":[{"op":"remove","path":"members"}]}`,
			GroupChange{RemoveAllMembers: true}},
		{"rfc remove all then add",
			`{"Operations":[{"op":"remove","path":"members"},
			  {"op":"add","path":"members","value":[{"value":"u-1"},{"value":"u-2"}]}]}`,
			GroupChange{RemoveAllMembers: true, AddMemberIDs: []string{"u-1", "u-2"}}},
		{"rfc replace members",
			`{"Operations":[{"op":"replace","path":"members","value":[{"value":"u-3"}]}]}`,
			GroupChange{RemoveAllMembers: true, AddMemberIDs: []string{"u-3"}}},
		{"entra add member",
			`{"Operations":[{"op":"Add","path":"members","value":[{"$ref":null,"value":"u-1"}]}]}`,
			GroupChange{AddMemberIDs: []string{"u-1"}}},
		{"entra remove with value array",
			`{"Operations":[{"op":"Remove","path":"members","value":[{"value":"u-1"}]}]}`,
			GroupChange{RemoveMemberIDs: []string{"u-1"}}},
		{"okta remove and add",
			`{"Operations":[{"op":"remove","path":"members[value eq \"u-2\"]"},
			  {"op":"add","path":"members","value":[{"value":"u-1","display":"ada@example.com"}]}]}`,
			GroupChange{AddMemberIDs: []string{"u-1"}, RemoveMemberIDs: []string{"u-2"}}},
		{"okta rename with id",
			`{"Operations":[{"op":"replace","value":{"id":"g-1","displayName":"New name"}}]}`,
			GroupChange{DisplayName: name("New name")}},
		{"rename by path and external id",
			`{"Operations":[{"op":"replace","path":"displayName","value":"Sales"},
			  {"op":"replace","path":"externalId","value":"ext"}]}`,
			GroupChange{DisplayName: name("Sales"), ExternalID: name("ext")}},
		{"add then remove the same member",
			`{"Operations":[{"op":"add","path":"members","value":[{"value":"u-1"}]},
			  {"op":"remove","path":"members[value eq \"u-1\"]"}]}`,
			GroupChange{RemoveMemberIDs: []string{"u-1"}}},
		{"remove two by or",
			`{"Operations":[{"op":"remove","path":"members[value eq \"a\" or value eq \"b\"]"}]}`,
			GroupChange{RemoveMemberIDs: []string{"a", "b"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := PlanGroupPatch("g-1", ops(t, tt.body), nil)
			if err != nil {
				t.Fatalf("PlanGroupPatch: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestPlanGroupPatchErrors(t *testing.T) {
	tests := map[string]string{
		`{"Operations":[{"op":"replace","value":{"id":"other"}}]}`:                 ErrMutability,
		`{"Operations":[{"op":"remove","path":"displayName"}]}`:                    ErrMutability,
		`{"Operations":[{"op":"remove","path":"members[display eq \"x\"]"}]}`:      ErrInvalidFilter,
		`{"Operations":[{"op":"add","path":"members[value eq \"x\"]","value":1}]}`: ErrInvalidPath,
		`{"Operations":[{"op":"add","path":"members","value":[{"display":"x"}]}]}`: ErrInvalidValue,
		`{"Operations":[{"op":"replace","path":"owner","value":"x"}]}`:             ErrInvalidPath,
		`{"Operations":[{"op":"remove"}]}`:                                         ErrNoTarget,
		`{"Operations":[{"op":"replace","path":"displayName","value":""}]}`:        ErrInvalidValue,
	}
	for body, want := range tests {
		_, err := PlanGroupPatch("g-1", ops(t, body), nil)
		var scimErr *Error
		if !errors.As(err, &scimErr) || scimErr.ScimType != want {
			t.Errorf("%s: error = %v, want %s", body, err, want)
		}
	}
}
