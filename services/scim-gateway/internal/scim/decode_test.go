package scim

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestDecodeUserEntraCreate(t *testing.T) {
	notes := &Notes{}
	u, err := DecodeUser([]byte(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User",
	  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
	  "externalId":"e1","USERNAME":"ada@example.com","active":"True","password":"hunter2",
	  "emails":[{"primary":true,"type":"work","value":"ada@example.com"}],
	  "name":{"givenName":"Ada","familyName":"L","formatted":null},"meta":{"resourceType":"User"},
	  "roles":[],"id":"client-made","groups":[{"value":"g"}],
	  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":42,
	    "manager":{"value":"m-1","displayName":"ignored"}}}`), notes)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := notes.Rules(), []string{RuleStringBoolean, RuleNumberAsString}; !sameRules(got, want) {
		t.Errorf("rules noted = %v, want %v", got, want)
	}
	if u.UserName != "ada@example.com" || u.ExternalID != "e1" || u.Active == nil || !*u.Active {
		t.Errorf("user = %+v", u)
	}
	if u.ID != "" || u.Groups != nil || u.Roles != nil {
		t.Errorf("read-only or empty attributes kept: %+v", u)
	}
	if u.Enterprise.EmployeeNumber != "42" || u.Enterprise.Manager.Value != "m-1" ||
		u.Enterprise.Manager.DisplayName != "" {
		t.Errorf("enterprise = %+v", u.Enterprise)
	}
}

func TestDecodeErrors(t *testing.T) {
	for body, want := range map[string]string{
		`{`:                            ErrInvalidSyntax,
		`[]`:                           ErrInvalidSyntax,
		`{"userName":"a"} {}`:          ErrInvalidSyntax,
		`{"userName":true}`:            ErrInvalidValue,
		`{"active":"yes"}`:             ErrInvalidValue,
		`{"name":"Ada"}`:               ErrInvalidValue,
		`{"emails":[{"primary":"x"}]}`: ErrInvalidValue,
	} {
		_, err := DecodeUser([]byte(body), nil)
		var scimErr *Error
		if !errors.As(err, &scimErr) || scimErr.ScimType != want {
			t.Errorf("DecodeUser(%s) error = %v, want %s", body, err, want)
		}
	}
}

func TestDecodeGroupMicrosoftSchema(t *testing.T) {
	g, err := DecodeGroup([]byte(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group",
	  "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
	  "externalId":"g-ext","displayName":"Sales","meta":{"resourceType":"Group"},
	  "members":[{"value":"u-1","$ref":null}]}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if g.DisplayName != "Sales" || g.ExternalID != "g-ext" || len(g.Members) != 1 ||
		g.Members[0].Value != "u-1" {
		t.Errorf("group = %+v", g)
	}
}

func TestEncodeUserAndProjection(t *testing.T) {
	inactive := false
	u := babs()
	u.Active = &inactive
	u.Enterprise = &EnterpriseUser{Department: "R&D"}
	doc, err := EncodeUser(u)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(doc)
	s := string(b)
	for _, want := range []string{`"active":false`, `"version":"W/\"3\""`, `"resourceType":"User"`,
		EnterpriseSchemaURN + `"]`, `"department":"R\u0026D"`} {
		if !strings.Contains(s, want) {
			t.Errorf("encoded user lacks %s: %s", want, s)
		}
	}

	p, err := ParseProjection("userName,emails.value,urn:ietf:params:scim:schemas:extension:"+
		"enterprise:2.0:User:department", "")
	if err != nil {
		t.Fatal(err)
	}
	doc, _ = EncodeUser(u)
	got := p.Apply(doc)
	b, _ = json.Marshal(got)
	want := `{"emails":[{"value":"bjensen@example.com"}],"id":"2819c223","schemas":` +
		`["urn:ietf:params:scim:schemas:core:2.0:User","` + EnterpriseSchemaURN + `"],` +
		`"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"R\u0026D"},` +
		`"userName":"bjensen"}`
	if string(b) != want {
		t.Errorf("projected = %s\nwant        %s", b, want)
	}

	p, _ = ParseProjection("", "emails,name.givenName,id")
	doc, _ = EncodeUser(u)
	got = p.Apply(doc)
	if _, ok := got["emails"]; ok {
		t.Error("emails not excluded")
	}
	if got["id"] != "2819c223" || got["name"].(map[string]any)["familyName"] != "Jensen" {
		t.Errorf("excluded too much: %v", got)
	}
	if p.Returns("emails") || !p.Returns("name") {
		t.Error("Returns disagrees with the projection")
	}
}

func TestParseETag(t *testing.T) {
	for in, want := range map[string]int64{`W/"3"`: 3, `"17"`: 17, ` W/"0" `: 0} {
		if got, ok := ParseETag(in); !ok || got != want {
			t.Errorf("ParseETag(%q) = %d, %v", in, got, ok)
		}
	}
	for _, in := range []string{`*`, `W/3`, `"x"`, `"-1"`, ``} {
		if _, ok := ParseETag(in); ok {
			t.Errorf("ParseETag(%q) accepted", in)
		}
	}
}

// values renders n values of a multi-valued attribute as a JSON list.
func values(n int, item func(i int) string) string {
	items := make([]string, n)
	for i := range items {
		items[i] = item(i)
	}
	return "[" + strings.Join(items, ",") + "]"
}

func TestMultiValuedAttributesAreBounded(t *testing.T) {
	email := func(i int) string { return fmt.Sprintf(`{"value":"a%d@example.com"}`, i) }

	_, err := DecodeUser([]byte(`{"userName":"ada","emails":`+values(MaxMultiValues, email)+`}`), nil)
	if err != nil {
		t.Fatalf("%d emails: %v", MaxMultiValues, err)
	}
	for _, attr := range []string{"emails", "phoneNumbers", "roles", "addresses", "x509Certificates"} {
		body := `{"userName":"ada","` + attr + `":` + values(MaxMultiValues+1, email) + `}`
		_, err := DecodeUser([]byte(body), nil)
		var scimErr *Error
		if !errors.As(err, &scimErr) || scimErr.ScimType != ErrInvalidValue {
			t.Errorf("%s with %d values: error %v, want invalidValue", attr, MaxMultiValues+1, err)
		}
	}
	_, err = DecodeUser([]byte(`{"userName":"ada","emails":`+values(15000, email)+`}`), nil)
	if err == nil || strings.Contains(err.Error(), "example.com") {
		t.Errorf("15,000 emails: error %v", err)
	}

	// A PATCH cannot grow a list past the bound either.
	u, _ := DecodeUser([]byte(`{"userName":"ada","emails":`+values(MaxMultiValues, email)+`}`), nil)
	_, err = ApplyUserPatch(u, []PatchOperation{{Op: OpAdd, Path: "emails",
		Value: []any{map[string]any{"value": "one-more@example.com"}}}}, nil)
	var scimErr *Error
	if !errors.As(err, &scimErr) || scimErr.ScimType != ErrInvalidValue {
		t.Errorf("PATCH to %d emails: error %v, want invalidValue", MaxMultiValues+1, err)
	}

	// Group members are bounded by the body and the operation count only.
	member := func(i int) string { return fmt.Sprintf(`{"value":"u-%d"}`, i) }
	g, err := DecodeGroup([]byte(`{"displayName":"All","members":`+values(5000, member)+`}`), nil)
	if err != nil || len(g.Members) != 5000 {
		t.Errorf("group of 5000 members: %d, %v", len(g.Members), err)
	}
}
