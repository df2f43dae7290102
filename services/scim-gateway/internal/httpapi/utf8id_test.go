package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/craevidence/scim-provisioning/services/scim-gateway/internal/core"
)

// TestInvalidUTF8PathIDIsNotFound sends ids that are not UTF-8, which
// protobuf cannot carry: each is a 404 that never reaches the core for the
// resource, and each write is reported without its id.
func TestInvalidUTF8PathIDIsNotFound(t *testing.T) {
	patch := `{"Operations":[{"op":"replace","path":"title","value":"x"}]}`
	cases := []struct {
		method, path, body string
		operation          string
	}{
		{"GET", "/scim/v2/Users/%ff", "", ""},
		{"GET", "/scim/v2/Groups/%FF", "", ""},
		{"DELETE", "/scim/v2/Users/%ff", "", "user.delete"},
		{"PATCH", "/scim/v2/Users/%ff", patch, "user.update"},
		{"PUT", "/scim/v2/Users/a%c0%80", `{"userName":"ada@example.com"}`, "user.update"},
		{"PUT", "/scim/v2/Groups/%c0%80", `{"displayName":"Staff"}`, "group.update"},
		{"PATCH", "/scim/v2/Groups/%C0%80", patch, "group.update"},
		{"DELETE", "/scim/v2/Groups/%e2%82", "", "group.delete"},
	}
	resourceCalls := []string{"GetUser", "UpdateUser", "DeleteUser", "GetGroup",
		"ReplaceGroup", "ModifyGroup", "DeleteGroup"}

	for _, tc := range cases {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			h := newHarness(t)
			h.do(tc.method, tc.path, tc.body).expectError(t, http.StatusNotFound, "")

			for _, m := range resourceCalls {
				if n := h.core.Calls(m); n != 0 {
					t.Errorf("%s called %d times", m, n)
				}
			}
			got := h.core.Rejections()
			if tc.operation == "" {
				if len(got) != 0 {
					t.Errorf("a read was reported: %+v", got)
				}
				return
			}
			want := core.Rejection{Operation: tc.operation, HTTPStatus: http.StatusNotFound}
			if len(got) != 1 {
				t.Fatalf("reports = %+v, want one", got)
			}
			if got[0].Detail == "" {
				t.Error("report without a detail")
			}
			want.Detail = got[0].Detail
			if got[0] != want {
				t.Errorf("report = %+v, want %+v", got[0], want)
			}
		})
	}
}

// TestNonASCIISortByIsRefused keeps a sortBy that protobuf could not carry
// (invalid UTF-8) from the core: it names no attribute.
func TestNonASCIISortByIsRefused(t *testing.T) {
	h := newHarness(t)
	for _, q := range []string{"sortBy=%ff", "sortBy=user%c0%80Name", "sortBy=n%C3%A4me"} {
		h.do("GET", "/scim/v2/Users?"+q, "").expectError(t, http.StatusBadRequest, "invalidValue")
		h.do("POST", "/scim/v2/Groups/.search", `{"sortBy":"n\u00e4me"}`).
			expectError(t, http.StatusBadRequest, "invalidValue")
	}
	if n := h.core.Calls("ListUsers") + h.core.Calls("ListGroups"); n != 0 {
		t.Errorf("the core was asked %d times", n)
	}
}
