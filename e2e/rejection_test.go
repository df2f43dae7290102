package e2e

import (
	"net/http"
	"strings"
	"testing"
)

// TestGatewayRefusalsReachTheProvisioningLog sends requests that the
// gateway refuses before the core sees them: with the client's token they
// leave a failed event, with an unknown or malformed token nothing.
func TestGatewayRefusalsReachTheProvisioningLog(t *testing.T) {
	forEachDatabase(t, func(t *testing.T, s *System) {
		created := s.SCIM(http.MethodPost, "/Users", scimUserBody("ada@example.com", true))
		expectStatus(t, created, http.StatusCreated)
		id := created.String("id")
		const secret = "Countess-of-Lovelace"
		malformed := `{"Operations":[{"op":"replace","path":"title","value":"` + secret + `"}`

		before := len(s.EventsAs(t, s.AdminToken, ""))
		r := s.SCIMAs("cras_unknown", http.MethodPatch, "/Users/"+id, malformed)
		expectSCIMError(t, r, http.StatusBadRequest, "invalidSyntax")
		if after := len(s.EventsAs(t, s.AdminToken, "")); after != before {
			t.Errorf("an unknown token left %d events", after-before)
		}

		// A token that is not printable ASCII is refused by the gateway,
		// not turned into a 500 by gRPC's refusal to carry it.
		r = s.SCIMAs("cras_tökén", http.MethodGet, "/Users", nil)
		expectSCIMError(t, r, http.StatusUnauthorized, "")

		r = s.SCIM(http.MethodPatch, "/Users/"+id, malformed)
		expectSCIMError(t, r, http.StatusBadRequest, "invalidSyntax")

		var failed []Event
		for _, e := range s.EventsAs(t, s.AdminToken, "memberId="+id) {
			if outcomeName(e.Outcome) == "failed" {
				failed = append(failed, e)
			}
		}
		if len(failed) != 1 {
			t.Fatalf("failed events of the member = %+v, want one", failed)
		}
		e := failed[0]
		if e.Operation != "user.update" || e.ClientID != s.ClientID ||
			!strings.Contains(e.ErrorDetail, "invalidSyntax") {
			t.Errorf("event = %+v", e)
		}
		if strings.Contains(e.ErrorDetail, secret) {
			t.Errorf("event detail %q carries a request value", e.ErrorDetail)
		}
	})
}

// TestInvalidUTF8PathIDIsNotFound sends ids that are not UTF-8, which
// protobuf cannot carry: each is a 404 (never a 500), and each write
// leaves one failed event without a resource id.
func TestInvalidUTF8PathIDIsNotFound(t *testing.T) {
	forEachDatabase(t, func(t *testing.T, s *System) {
		patch := `{"Operations":[{"op":"replace","path":"title","value":"x"}]}`
		before := len(s.EventsAs(t, s.AdminToken, ""))

		expectSCIMError(t, s.SCIM(http.MethodGet, "/Users/%ff", nil), http.StatusNotFound, "")
		expectSCIMError(t, s.SCIM(http.MethodDelete, "/Users/%ff", nil), http.StatusNotFound, "")
		expectSCIMError(t, s.SCIM(http.MethodPatch, "/Users/%ff", patch), http.StatusNotFound, "")
		expectSCIMError(t, s.SCIM(http.MethodPut, "/Groups/%c0%80",
			map[string]any{"displayName": "Staff"}), http.StatusNotFound, "")

		events := s.EventsAs(t, s.AdminToken, "")
		if got := len(events) - before; got != 3 {
			t.Fatalf("%d new events, want 3: %+v", got, events)
		}
		operations := map[string]int{}
		for _, e := range events[:3] {
			operations[e.Operation]++
			if outcomeName(e.Outcome) != "failed" || e.MemberID != "" || e.ClientID != s.ClientID {
				t.Errorf("event = %+v", e)
			}
		}
		if operations["user.delete"] != 1 || operations["user.update"] != 1 ||
			operations["group.update"] != 1 {
			t.Errorf("operations = %v", operations)
		}
	})
}
