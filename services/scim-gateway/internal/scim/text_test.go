package scim

import "testing"

func TestHasControl(t *testing.T) {
	for _, tt := range []struct {
		s                    string
		identifier, freeText bool
	}{
		{"ada@example.com", false, false},
		{"Ada Lovelace – 🧮", false, false},
		{"a\x00b", true, true},
		{"a\x01", true, true},
		{"\x1f", true, true},
		{"a\x7f", true, true},
		{"a\tb", true, false},
		{"a\nb", true, false},
		{"a\r\nb", true, false},
	} {
		if got := hasControl(tt.s, false); got != tt.identifier {
			t.Errorf("hasControl(%q, identifier) = %v", tt.s, got)
		}
		if got := hasControl(tt.s, true); got != tt.freeText {
			t.Errorf("hasControl(%q, free text) = %v", tt.s, got)
		}
	}
}

func TestDecodeRefusesControlCharacters(t *testing.T) {
	for _, body := range []string{
		`{"userName":"a\u0000"}`,
		`{"userName":"a","externalId":"\u0001"}`,
		`{"userName":"a","displayName":"\u0000"}`,
		`{"userName":"a","name":{"givenName":"A\u0000"}}`,
		`{"userName":"a","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":` +
			`{"manager":{"value":"m\u0002"}}}`,
	} {
		_, err := DecodeUser([]byte(body), nil)
		if e, ok := err.(*Error); !ok || e.ScimType != ErrInvalidValue {
			t.Errorf("%s: error %v, want invalidValue", body, err)
		}
	}
	if _, err := DecodeUser([]byte(`{"userName":"a","displayName":"A\tB\nC"}`), nil); err != nil {
		t.Errorf("displayName with tab and newline: %v", err)
	}
	if _, err := DecodeGroup([]byte(`{"displayName":"G","externalId":"x\u0000"}`), nil); err == nil {
		t.Error("group externalId with NUL accepted")
	}
}
