package httpapi_test

import (
	"net/http"
	"testing"
)

func TestEveryAnswerForbidsCachingAndSniffing(t *testing.T) {
	h := newHarness(t)
	id := h.createAda()["id"].(string)

	answers := map[string]response{
		"list":          h.do("GET", "/scim/v2/Users", ""),
		"get":           h.do("GET", "/scim/v2/Users/"+id, ""),
		"not modified":  h.do("GET", "/scim/v2/Users/"+id, "", "If-None-Match", "*"),
		"delete":        h.do("DELETE", "/scim/v2/Users/"+id, ""),
		"core error":    h.do("GET", "/scim/v2/Users/"+id, ""),
		"gateway error": h.do("POST", "/scim/v2/Users", `{`),
		"no token":      h.do("GET", "/scim/v2/Users", "", "Authorization", ""),
		"unknown route": h.do("GET", "/scim/v2/Nothing", ""),
		"discovery":     h.do("GET", "/scim/v2/ServiceProviderConfig", ""),
	}
	for name, r := range answers {
		if got := r.header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("%s (%d): Cache-Control %q", name, r.status, got)
		}
		if got := r.header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s (%d): X-Content-Type-Options %q", name, r.status, got)
		}
	}
	if answers["delete"].status != http.StatusNoContent ||
		answers["not modified"].status != http.StatusNotModified {
		t.Errorf("statuses %d %d", answers["delete"].status, answers["not modified"].status)
	}
}
