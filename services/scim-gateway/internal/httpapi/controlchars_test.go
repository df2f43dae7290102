package httpapi_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestControlCharactersAreRefusedBeforeTheCore(t *testing.T) {
	h := newHarness(t)
	id := h.createAda()["id"].(string)
	gid := h.do("POST", "/scim/v2/Groups", `{"displayName":"Staff"}`).
		expect(t, http.StatusCreated).body["id"].(string)
	writes := func() int {
		return h.core.Calls("CreateUser") + h.core.Calls("UpdateUser") +
			h.core.Calls("CreateGroup") + h.core.Calls("ReplaceGroup") + h.core.Calls("ModifyGroup")
	}
	before := writes()

	refused := []struct{ method, path, body, scimType string }{
		{"POST", "/scim/v2/Users", `{"userName":"ada\u0000@example.com"}`, "invalidValue"},
		{"POST", "/scim/v2/Users", `{"userName":"bob@example.com","externalId":"e\u0007"}`,
			"invalidValue"},
		{"POST", "/scim/v2/Users", `{"userName":"bob@example.com","displayName":"B\u001bob"}`,
			"invalidValue"},
		{"POST", "/scim/v2/Users", `{"userName":"bob@example.com","title":"nul\u0000"}`,
			"invalidValue"},
		{"PUT", "/scim/v2/Users/" + id, `{"userName":"ada@example.com\u007f"}`, "invalidValue"},
		{"PATCH", "/scim/v2/Users/" + id,
			`{"Operations":[{"op":"replace","path":"userName","value":"a\tb"}]}`, "invalidValue"},
		{"PATCH", "/scim/v2/Users/" + id,
			`{"Operations":[{"op":"replace","value":{"externalId":"x\u0001"}}]}`, "invalidValue"},
		{"POST", "/scim/v2/Groups", `{"displayName":"Sta\u0000ff"}`, "invalidValue"},
		{"PUT", "/scim/v2/Groups/" + gid,
			`{"displayName":"Staff","members":[{"value":"u\u0000"}]}`, "invalidValue"},
		{"PATCH", "/scim/v2/Groups/" + gid,
			`{"Operations":[{"op":"replace","path":"displayName","value":"S\u0002"}]}`,
			"invalidValue"},
		{"PATCH", "/scim/v2/Groups/" + gid,
			`{"Operations":[{"op":"add","path":"members","value":[{"value":"u\u0003"}]}]}`,
			"invalidValue"},
		{"PATCH", "/scim/v2/Groups/" + gid,
			`{"Operations":[{"op":"remove","path":"members[value eq \"u\\u0004\"]"}]}`,
			"invalidValue"},
		{"PATCH", "/scim/v2/Groups/" + gid,
			`{"Operations":[{"op":"remove","path":"members[value eq \"u\u0004\"]"}]}`,
			"invalidPath"},
		{"GET", "/scim/v2/Users?filter=" + url.QueryEscape(`userName eq "a\u0000"`), "",
			"invalidFilter"},
		{"GET", "/scim/v2/Users/a%00b", "", "invalidValue"},
		{"DELETE", "/scim/v2/Groups/g%01", "", "invalidValue"},
		{"PATCH", "/scim/v2/Users/%1f",
			`{"Operations":[{"op":"replace","path":"title","value":"x"}]}`, "invalidValue"},
	}
	for _, r := range refused {
		h.do(r.method, r.path, r.body).expectError(t, http.StatusBadRequest, r.scimType)
	}
	if n := writes() - before; n != 0 {
		t.Errorf("%d writes reached the core", n)
	}
	if n := h.core.Calls("DeleteGroup"); n != 0 {
		t.Errorf("DeleteGroup called %d times", n)
	}

	// An id escaped in lower case reaches the core unescaped, as one
	// escaped in upper case does.
	if !strings.HasPrefix(id, "u") {
		t.Fatalf("fake ids start with u: %q", id)
	}
	h.do("GET", "/scim/v2/Users/%75"+id[1:], "").expect(t, http.StatusOK)
	h.do("GET", "/scim/v2/Users/%1f", "").expectError(t, http.StatusBadRequest, "invalidValue")

	// Free text may hold tabs and line breaks.
	h.do("PATCH", "/scim/v2/Users/"+id,
		`{"Operations":[{"op":"replace","path":"displayName","value":"Ada\tLovelace\r\n"}]}`).
		expect(t, http.StatusOK)
	h.do("PATCH", "/scim/v2/Groups/"+gid,
		`{"Operations":[{"op":"replace","path":"displayName","value":"Staff\nall"}]}`).
		expect(t, http.StatusNoContent)
}
