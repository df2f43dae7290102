package scim

import (
	"testing"
)

func FuzzParseFilter(f *testing.F) {
	for _, seed := range []string{
		`userName eq "bjensen"`,
		`name.familyName co "O'Malley"`,
		`urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"`,
		`title pr and userType eq "Employee"`,
		`userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")`,
		`emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]`,
		`emails[type eq "work"].value eq "x"`,
		`a gt 1.5e3 and b eq null or c eq false`,
		`((((a pr))))`,
		`a eq "\u00e9\""`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		parsed, err := ParseFilter(text)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("ParseFilter(%q) returned a non-SCIM error %T", text, err)
			}
			return
		}

		// What the parser renders it must read back to the same tree. The
		// rendering may be longer than the text (it escapes some characters
		// and adds parentheses and spaces), so one beyond the length limit is
		// refused like any long filter.
		rendered := parsed.String()
		again, err := ParseFilter(rendered)
		if err != nil && len(rendered) > MaxFilterLength {
			return
		}
		if err != nil {
			t.Fatalf("ParseFilter(%q) = %s, which does not parse: %v", text, parsed, err)
		}
		if again.String() != parsed.String() {
			t.Fatalf("round trip of %q: %s then %s", text, parsed, again)
		}
		Matches(parsed, map[string]any{"userName": "x", "emails": []any{map[string]any{}}})
	})
}

func FuzzParsePatchPath(f *testing.F) {
	for _, seed := range []string{
		`members`,
		`name.familyName`,
		`addresses[type eq "work"]`,
		`members[value eq "2819c223-7f76-453a-919d-413861904646"]`,
		`emails[type eq "work"].value`,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber`,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		pp, err := ParsePatchPath(text)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("ParsePatchPath(%q) returned a non-SCIM error %T", text, err)
			}
			return
		}
		again, err := ParsePatchPath(pp.String())
		if err != nil || again.String() != pp.String() {
			t.Fatalf("round trip of %q: %s then %v, %v", text, pp, again, err)
		}

		// Applying the path to a user must never panic, whatever it names.
		active := true
		u := User{ID: "u", UserName: "ada", Active: &active,
			Emails: []MultiValue{{Value: "a@example.com", Type: "work", Primary: true}}}
		for _, op := range []string{OpAdd, OpReplace, OpRemove} {
			_, _ = ApplyUserPatch(u, []PatchOperation{{Op: op, Path: text, Value: "v"}}, nil)
		}
		_, _ = PlanGroupPatch("g", []PatchOperation{{Op: OpRemove, Path: text}}, nil)
	})
}
