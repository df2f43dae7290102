package httpapi_test

import (
	"net/http"
	"testing"
)

// TestSortBy checks that sortBy and sortOrder reach the core from the query
// string and from a SearchRequest, and that a bad sortOrder is refused.
func TestSortBy(t *testing.T) {
	h := newHarness(t)
	for _, name := range []string{"bravo", "Alpha", "charlie"} {
		h.do("POST", "/scim/v2/Users", `{"userName":"`+name+`"}`).
			expect(t, http.StatusCreated)
	}
	userNames := func(r response) []string {
		var names []string
		list, _ := r.body["Resources"].([]any)
		for _, item := range list {
			u, _ := item.(map[string]any)
			name, _ := u["userName"].(string)
			names = append(names, name)
		}
		return names
	}
	equal := func(what string, got, want []string) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s = %v, want %v", what, got, want)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("%s = %v, want %v", what, got, want)
			}
		}
	}

	asc := h.do("GET", "/scim/v2/Users?sortBy=userName", "").expect(t, http.StatusOK)
	equal("ascending", userNames(asc), []string{"Alpha", "bravo", "charlie"})
	desc := h.do("GET", "/scim/v2/Users?sortBy=userName&sortOrder=Descending", "").
		expect(t, http.StatusOK)
	equal("descending", userNames(desc), []string{"charlie", "bravo", "Alpha"})
	search := h.do("POST", "/scim/v2/Users/.search",
		`{"sortBy":"userName","sortOrder":"descending","count":2}`).expect(t, http.StatusOK)
	equal(".search", userNames(search), []string{"charlie", "bravo"})
	// sortOrder alone means nothing.
	h.do("GET", "/scim/v2/Users?sortOrder=descending", "").expect(t, http.StatusOK)

	h.do("GET", "/scim/v2/Users?sortBy=userName&sortOrder=sideways", "").
		expectError(t, http.StatusBadRequest, "invalidValue")
	h.do("GET", "/scim/v2/Users?sortBy=userName,title", "").
		expectError(t, http.StatusBadRequest, "invalidValue")
}
