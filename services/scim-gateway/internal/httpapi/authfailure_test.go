package httpapi_test

import (
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/craevidence/scim-provisioning/services/scim-gateway/internal/core/corefake"
	"github.com/craevidence/scim-provisioning/services/scim-gateway/internal/httpapi"
)

// TestUnknownTokensAreRateLimitedPerAddress guesses tokens from one
// address, each different and each claiming another X-Forwarded-For: past
// the burst they are refused with 429 without a lookup in the core. The
// valid token's requests before never counted against the address.
func TestUnknownTokensAreRateLimitedPerAddress(t *testing.T) {
	fake := corefake.New(token)
	srv := httptest.NewServer(httpapi.New(httpapi.Options{Core: fake,
		AuthFailureRate: 1, AuthFailureBurst: 3}))
	t.Cleanup(srv.Close)
	h := &harness{t: t, srv: srv, core: fake}

	for range 10 {
		h.do("GET", "/scim/v2/Users", "").expect(t, http.StatusOK)
	}
	for i := range 3 {
		h.do("GET", "/scim/v2/Users", "", "Authorization", "Bearer "+guess(),
			"X-Forwarded-For", "203.0.113."+strconv.Itoa(i)).
			expectError(t, http.StatusUnauthorized, "")
	}
	lookups := fake.Calls("ListUsers")

	for i := range 20 {
		r := h.do("GET", "/scim/v2/Users", "", "Authorization", "Bearer "+guess(),
			"X-Forwarded-For", "203.0.113."+strconv.Itoa(100+i))
		r.expectError(t, http.StatusTooManyRequests, "")
		if s, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || s < 1 {
			t.Fatalf("Retry-After = %q, want whole seconds", r.header.Get("Retry-After"))
		}
	}
	if n := fake.Calls("ListUsers") - lookups; n != 0 {
		t.Errorf("%d refused requests reached the core", n)
	}
	if n := fake.Calls("ReportRejection"); n != 0 {
		t.Errorf("%d refusals reported", n)
	}
}

// TestMissingTokensDoNotCountAgainstTheAddress sends requests that the
// gateway refuses itself: they cost the core nothing and are not counted.
func TestMissingTokensDoNotCountAgainstTheAddress(t *testing.T) {
	fake := corefake.New(token)
	srv := httptest.NewServer(httpapi.New(httpapi.Options{Core: fake,
		AuthFailureRate: 1, AuthFailureBurst: 3}))
	t.Cleanup(srv.Close)
	h := &harness{t: t, srv: srv, core: fake}

	for range 10 {
		h.do("GET", "/scim/v2/Users", "", "Authorization", "").
			expectError(t, http.StatusUnauthorized, "")
	}
	h.do("GET", "/scim/v2/Users", "").expect(t, http.StatusOK)
}

func guess() string {
	return "cras_" + rand.Text()
}
