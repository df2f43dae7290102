package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestHugePagingNumbersAreClamped(t *testing.T) {
	h := newHarness(t)
	h.createAda()

	for _, query := range []string{
		"startIndex=2147483648&count=10",
		"startIndex=9223372036854775807",
		"startIndex=99999999999999999999999&count=99999999999999999999999",
	} {
		r := h.do("GET", "/scim/v2/Users?"+query, "").expect(t, http.StatusOK)
		if r.body["totalResults"] != 1.0 || r.body["itemsPerPage"] != 0.0 ||
			!strings.Contains(r.raw, `"startIndex":2147483647`) {
			t.Errorf("%s: %s", query, r.raw)
		}
	}

	r := h.do("POST", "/scim/v2/Users/.search", `{"startIndex":4294967297,"count":4294967297}`).
		expect(t, http.StatusOK)
	if r.body["itemsPerPage"] != 0.0 || !strings.Contains(r.raw, `"startIndex":2147483647`) {
		t.Errorf(".search: %s", r.raw)
	}

	// A huge count is capped, not wrapped around.
	r = h.do("GET", "/scim/v2/Users?count=4294967297", "").expect(t, http.StatusOK)
	if r.body["itemsPerPage"] != 1.0 {
		t.Errorf("count=2^32+1: %s", r.raw)
	}
}
