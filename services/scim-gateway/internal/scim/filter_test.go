package scim

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestParseFilterRFCExamples(t *testing.T) {
	// Every filter example of RFC 7644 §3.4.2.2, with its parse rendered with
	// explicit parentheses.
	tests := []struct {
		in   string
		want string
	}{
		{`userName eq "bjensen"`, `userName eq "bjensen"`},
		{`name.familyName co "O'Malley"`, `name.familyName co "O'Malley"`},
		{`userName sw "J"`, `userName sw "J"`},
		{`urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"`,
			`urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"`},
		{`title pr`, `title pr`},
		{`meta.lastModified gt "2011-05-13T04:42:34Z"`, `meta.lastModified gt "2011-05-13T04:42:34Z"`},
		{`meta.lastModified ge "2011-05-13T04:42:34Z"`, `meta.lastModified ge "2011-05-13T04:42:34Z"`},
		{`meta.lastModified lt "2011-05-13T04:42:34Z"`, `meta.lastModified lt "2011-05-13T04:42:34Z"`},
		{`meta.lastModified le "2011-05-13T04:42:34Z"`, `meta.lastModified le "2011-05-13T04:42:34Z"`},
		{`title pr and userType eq "Employee"`, `(title pr and userType eq "Employee")`},
		{`title pr or userType eq "Intern"`, `(title pr or userType eq "Intern")`},
		{`schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"`,
			`schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"`},
		{`userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")`,
			`(userType eq "Employee" and (emails co "example.com" or emails.value co "example.org"))`},
		{`userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")`,
			`(userType ne "Employee" and not ((emails co "example.com" or emails.value co "example.org")))`},
		{`userType eq "Employee" and (emails.type eq "work")`,
			`(userType eq "Employee" and emails.type eq "work")`},
		{`userType eq "Employee" and emails[type eq "work" and value co "@example.com"]`,
			`(userType eq "Employee" and emails[(type eq "work" and value co "@example.com")])`},
		{`emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]`,
			`(emails[(type eq "work" and value co "@example.com")] or ims[(type eq "xmpp" and value co "@foo.com")])`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			f, err := ParseFilter(tt.in)
			if err != nil {
				t.Fatalf("ParseFilter(%q): %v", tt.in, err)
			}
			if got := f.String(); got != tt.want {
				t.Errorf("ParseFilter(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseFilterForms(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		// Attribute names, operators and keywords in any case.
		{`USERNAME EQ "Ada"`, `userName eq "Ada"`},
		{`username Eq "a" AND Active eq TRUE`, `(userName eq "a" and active eq true)`},
		{`URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER:employeeNumber eq "7"`,
			`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "7"`},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "m"`,
			`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "m"`},
		// "and" binds tighter than "or".
		{`a eq "1" or b eq "2" and c eq "3"`, `(a eq "1" or (b eq "2" and c eq "3"))`},
		{`(a eq "1" or b eq "2") and c eq "3"`, `((a eq "1" or b eq "2") and c eq "3")`},
		{`not(a eq "1")`, `not (a eq "1")`},
		{`not (a pr) or b pr`, `(not (a pr) or b pr)`},
		// Every operator and every kind of value.
		{`a ne "x"`, `a ne "x"`},
		{`a ew "x"`, `a ew "x"`},
		{`a gt 5`, `a gt 5`},
		{`a ge -1.5`, `a ge -1.5`},
		{`a lt 1e3`, `a lt 1000`},
		{`a le 0`, `a le 0`},
		{`a eq null`, `a eq null`},
		{`a eq false`, `a eq false`},
		{`a eq "quote \" and \\ backslash"`, `a eq "quote \" and \\ backslash"`},
		// Entra ID's value path followed by a sub-attribute comparison.
		{`emails[type eq "work"].value eq "ada@example.com"`,
			`emails[(type eq "work" and value eq "ada@example.com")]`},
		{`members[value eq "u-1"]`, `members[value eq "u-1"]`},
		{`  userName   eq   "x"  `, `userName eq "x"`},
		{`meta.$ref pr`, `meta.$ref pr`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			f, err := ParseFilter(tt.in)
			if err != nil {
				t.Fatalf("ParseFilter(%q): %v", tt.in, err)
			}
			if got := f.String(); got != tt.want {
				t.Errorf("ParseFilter(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseFilterStructure(t *testing.T) {
	f, err := ParseFilter(`emails[type eq "work"] and not (title pr)`)
	if err != nil {
		t.Fatal(err)
	}

	l, ok := f.(*Logical)
	if !ok || l.Operator != And {
		t.Fatalf("top = %#v, want and", f)
	}
	vp, ok := l.Left.(*ValuePath)
	if !ok || vp.Path.Attribute != "emails" {
		t.Fatalf("left = %#v, want value path on emails", l.Left)
	}
	cmp, ok := vp.Filter.(*Comparison)
	if !ok || cmp.Path.Attribute != "type" || cmp.Value.String != "work" {
		t.Fatalf("value filter = %#v", vp.Filter)
	}
	if _, ok := l.Right.(*Not); !ok {
		t.Fatalf("right = %#v, want not", l.Right)
	}
}

func TestParseFilterRejects(t *testing.T) {
	bad := []string{
		``,
		`   `,
		`userName`,
		`userName eq`,
		`userName eq bjensen`,
		`userName xx "a"`,
		`userName eq "a" and`,
		`userName eq "a" or or b pr`,
		`(userName eq "a"`,
		`userName eq "a")`,
		`emails[type eq "work"`,
		`emails[type eq "work"]]`,
		`emails[type[value eq "x"]]`,
		`name.givenName[value eq "x"]`,
		`userName eq "unterminated`,
		`userName eq "bad \q escape"`,
		`1abc eq "x"`,
		`a.b.c eq "x"`,
		`active gt true`,
		`a lt null`,
		`not a eq "x"`,
		`a eq NaN`,
		`emails[type eq "work"].value`,
		`emails[type eq "work"]. eq "x"`,
		`userName eq "a" userName eq "b"`,
	}
	for _, in := range bad {
		t.Run(in, func(t *testing.T) {
			_, err := ParseFilter(in)
			var scimErr *Error
			if !errors.As(err, &scimErr) || scimErr.ScimType != ErrInvalidFilter {
				t.Fatalf("ParseFilter(%q) error = %v, want invalidFilter", in, err)
			}
		})
	}
}

func TestParseFilterDepthAndLength(t *testing.T) {
	deep := ""
	for range 100 {
		deep += "("
	}
	deep += `a pr`
	for range 100 {
		deep += ")"
	}
	if _, err := ParseFilter(deep); err == nil {
		t.Error("a filter nested 100 levels deep was accepted")
	}

	long := `userName eq "` + string(make([]byte, MaxFilterLength)) + `"`
	if _, err := ParseFilter(long); err == nil {
		t.Error("an over-long filter was accepted")
	}
}

func TestParsePatchPath(t *testing.T) {
	tests := []struct {
		in     string
		want   string
		schema string
		attr   string
		sub    string
		filter bool
	}{
		{`members`, `members`, "", "members", "", false},
		{`name.familyName`, `name.familyName`, "", "name", "familyName", false},
		{`addresses[type eq "work"]`, `addresses[type eq "work"]`, "", "addresses", "", true},
		{`members[value eq "2819c223-7f76-453a-919d-413861904646"]`,
			`members[value eq "2819c223-7f76-453a-919d-413861904646"]`, "", "members", "", true},
		{`emails[type eq "work"].value`, `emails[type eq "work"].value`, "", "emails", "value", true},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber`,
			`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber`,
			EnterpriseSchemaURN, "employeeNumber", "", false},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`,
			`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`,
			EnterpriseSchemaURN, "manager", "value", false},
		{`EMAILS[TYPE EQ "work"].VALUE`, `emails[type eq "work"].value`, "", "emails", "value", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			pp, err := ParsePatchPath(tt.in)
			if err != nil {
				t.Fatalf("ParsePatchPath(%q): %v", tt.in, err)
			}
			if got := pp.String(); got != tt.want {
				t.Errorf("String() = %s, want %s", got, tt.want)
			}
			sub := pp.Attr.SubAttribute + pp.SubAttribute
			if pp.Attr.Schema != tt.schema || pp.Attr.Attribute != tt.attr || sub != tt.sub ||
				(pp.Filter != nil) != tt.filter {
				t.Errorf("parsed %+v", pp)
			}
		})
	}

	for _, in := range []string{``, `emails[`, `emails[type eq "w"]x`, `emails[type eq "w"].`,
		`name.givenName[type eq "w"]`, `a b`, `emails[type eq]`, `9x`} {
		_, err := ParsePatchPath(in)
		var scimErr *Error
		if !errors.As(err, &scimErr) || scimErr.ScimType != ErrInvalidPath {
			t.Errorf("ParsePatchPath(%q) error = %v, want invalidPath", in, err)
		}
	}
}

func TestMatches(t *testing.T) {
	doc := map[string]any{
		"userName": "Ada@Example.com",
		"active":   true,
		"emails": []any{
			map[string]any{"type": "work", "value": "ada@example.com"},
			map[string]any{"type": "home", "value": "ada@home.example"},
		},
		EnterpriseSchemaURN: map[string]any{"employeeNumber": "42"},
	}
	tests := map[string]bool{
		`userName eq "ada@example.com"`:                     true,
		`userName ne "ada@example.com"`:                     false,
		`active eq true`:                                    true,
		`emails[type eq "work" and value co "@example"]`:    true,
		`emails[type eq "work" and value co "@home"]`:       false,
		`emails.value ew "home.example"`:                    true,
		`title pr`:                                          false,
		`not (title pr)`:                                    true,
		`employeeNumber eq "42"`:                            false,
		EnterpriseSchemaURN + `:employeeNumber eq "42"`:     true,
		`userName sw "ada" or title pr`:                     true,
		`emails[type eq "work"].value eq "ada@example.com"`: true,
	}
	for in, want := range tests {
		f, err := ParseFilter(in)
		if err != nil {
			t.Fatalf("ParseFilter(%q): %v", in, err)
		}
		if got := Matches(f, doc); got != want {
			t.Errorf("Matches(%q) = %v, want %v", in, got, want)
		}
	}
}

// treeDepth is the depth of a parsed filter's tree.
func treeDepth(f Filter) int {
	switch f := f.(type) {
	case *Logical:
		return 1 + max(treeDepth(f.Left), treeDepth(f.Right))
	case *Not:
		return 1 + treeDepth(f.Filter)
	case *ValuePath:
		return 1 + treeDepth(f.Filter)
	}
	return 1
}

// comparisons lists a filter's comparisons from left to right.
func comparisons(f Filter) []string {
	switch f := f.(type) {
	case *Logical:
		return append(comparisons(f.Left), comparisons(f.Right)...)
	case *Not:
		return comparisons(f.Filter)
	case *ValuePath:
		return comparisons(f.Filter)
	}
	return []string{f.String()}
}

func TestLongChainsParseIntoShallowTrees(t *testing.T) {
	for _, op := range []string{"or", "and"} {
		var terms []string
		for i := range 100 {
			terms = append(terms, fmt.Sprintf(`id eq "%d"`, i))
		}
		f, err := ParseFilter(strings.Join(terms, " "+op+" "))
		if err != nil {
			t.Fatalf("100 terms joined by %s: %v", op, err)
		}
		if d := treeDepth(f); d > 8 {
			t.Errorf("100 terms joined by %s: tree %d deep", op, d)
		}
		if got := comparisons(f); !slices.Equal(got, terms) {
			t.Errorf("100 terms joined by %s: comparisons %v", op, got)
		}
		for l := f; ; {
			logical, ok := l.(*Logical)
			if !ok {
				break
			}
			if string(logical.Operator) != op {
				t.Fatalf("operator %s in a chain of %s", logical.Operator, op)
			}
			l = logical.Left
		}
	}

	// "and" still binds tighter than "or" inside a long chain.
	f, err := ParseFilter(`a pr or b pr and c pr or d pr or e pr`)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.String(); got != `((a pr or (b pr and c pr)) or (d pr or e pr))` {
		t.Errorf("mixed chain = %s", got)
	}
}

func TestFilterSizeIsBoundedApartFromNesting(t *testing.T) {
	// 300 alternatives: shallow and short enough, but too many nodes.
	many := strings.TrimSuffix(strings.Repeat("a pr or ", 300), " or ")
	if len(many) > MaxFilterLength {
		t.Fatalf("test filter of %d characters", len(many))
	}
	_, err := ParseFilter(many)
	var scimErr *Error
	if !errors.As(err, &scimErr) || scimErr.ScimType != ErrInvalidFilter {
		t.Errorf("300 alternatives: error %v, want invalidFilter", err)
	}

	// Nesting is bounded on its own: 33 levels of "not" are refused, with
	// only 34 nodes.
	deep := strings.Repeat("not (", 33) + "a pr" + strings.Repeat(")", 33)
	if _, err := ParseFilter(deep); err == nil {
		t.Error("33 nested not accepted")
	}
}
