package e2e

import (
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/craevidence/scim-provisioning/pkg/pgtest"
)

// databases returns a fresh database URL per kind: embedded SQLite always,
// Postgres when TEST_DATABASE_URL is set.
func databases() map[string]func(t *testing.T) string {
	return map[string]func(t *testing.T) string{
		"sqlite": func(t *testing.T) string {
			return "sqlite://" + filepath.Join(t.TempDir(), "provisioning.db")
		},
		"postgres": func(t *testing.T) string {
			return pgtest.NewDatabase(t)
		},
	}
}

func forEachDatabase(t *testing.T, test func(t *testing.T, s *System)) {
	for name, newDatabase := range databases() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			test(t, StartSystem(t, newDatabase(t)))
		})
	}
}

// TestIdentityProviderLifecycle walks one person through everything an
// identity provider does to them, and checks the provisioning log it leaves.
func TestIdentityProviderLifecycle(t *testing.T) {
	forEachDatabase(t, func(t *testing.T, s *System) {
		// Create, as Okta does after an empty lookup.
		lookup := s.SCIM(http.MethodGet, `/Users?filter=userName+eq+"ada@example.com"&startIndex=1&count=100`, nil)
		expectStatus(t, lookup, http.StatusOK)
		if lookup.Field("totalResults") != float64(0) {
			t.Fatalf("lookup before create: totalResults %v", lookup.Field("totalResults"))
		}
		created := s.SCIM(http.MethodPost, "/Users", map[string]any{
			"schemas":    []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
			"userName":   "ada@example.com",
			"externalId": "okta-00u1",
			"name":       map[string]any{"givenName": "Ada", "familyName": "Lovelace"},
			"emails":     []map[string]any{{"value": "ada@example.com", "type": "work", "primary": true}},
			"active":     true,
		})
		expectStatus(t, created, http.StatusCreated)
		id := created.String("id")
		if id == "" {
			t.Fatalf("create answered without an id: %s", created.Raw)
		}
		if loc := created.Header.Get("Location"); !strings.HasSuffix(loc, "/Users/"+id) {
			t.Errorf("Location header %q does not point at the user", loc)
		}
		if ct := created.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/scim+json") {
			t.Errorf("content type %q, want application/scim+json", ct)
		}

		// Find by filter, with the userName in another case, and by externalId.
		found := s.SCIM(http.MethodGet, `/Users?filter=userName+eq+"ADA@Example.COM"`, nil)
		expectStatus(t, found, http.StatusOK)
		expectListOf(t, found, id)
		byExternal := s.SCIM(http.MethodGet, `/Users?filter=externalId+eq+"okta-00u1"`, nil)
		expectListOf(t, byExternal, id)

		// PUT with the full resource, as Okta updates profiles.
		replaced := s.SCIM(http.MethodPut, "/Users/"+id, map[string]any{
			"schemas":    []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
			"userName":   "ada@example.com",
			"externalId": "okta-00u1",
			"name":       map[string]any{"givenName": "Augusta Ada", "familyName": "King"},
			"emails":     []map[string]any{{"value": "ada@example.com", "type": "work", "primary": true}},
			"active":     true,
		})
		expectStatus(t, replaced, http.StatusOK)
		if got := replaced.String("name.givenName"); got != "Augusta Ada" {
			t.Errorf("after PUT name.givenName = %q", got)
		}

		// Okta's path-less deactivation.
		deactivated := s.SCIM(http.MethodPatch, "/Users/"+id, map[string]any{
			"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
			"Operations": []map[string]any{{"op": "replace", "value": map[string]any{"active": false}}},
		})
		expectStatus(t, deactivated, http.StatusOK)
		if deactivated.Field("active") != false {
			t.Errorf("after deactivation active = %v", deactivated.Field("active"))
		}
		if status := s.memberStatus(t, id); status != "MEMBER_STATUS_DEACTIVATED" {
			t.Errorf("member status after deactivation = %s", status)
		}

		// Entra's dialect: capitalised op and a string boolean.
		reactivated := s.SCIM(http.MethodPatch, "/Users/"+id, map[string]any{
			"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
			"Operations": []map[string]any{{"op": "Replace", "path": "active", "value": "True"}},
		})
		expectStatus(t, reactivated, http.StatusOK)
		if reactivated.Field("active") != true {
			t.Errorf("after reactivation active = %v", reactivated.Field("active"))
		}
		if status := s.memberStatus(t, id); status != "MEMBER_STATUS_ACTIVE" {
			t.Errorf("member status after reactivation = %s", status)
		}

		// A second create of the same person is a conflict.
		duplicate := s.SCIM(http.MethodPost, "/Users", map[string]any{
			"schemas":  []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
			"userName": "Ada@Example.com",
			"active":   true,
		})
		expectSCIMError(t, duplicate, http.StatusConflict, "uniqueness")

		// DELETE removes the user from SCIM's view.
		deleted := s.SCIM(http.MethodDelete, "/Users/"+id, nil)
		expectStatus(t, deleted, http.StatusNoContent)
		gone := s.SCIM(http.MethodGet, "/Users/"+id, nil)
		expectSCIMError(t, gone, http.StatusNotFound, "")

		// An unknown token is refused with a SCIM error body.
		refused := s.SCIMAs("cras_not-a-real-token", http.MethodGet, "/Users", nil)
		expectSCIMError(t, refused, http.StatusUnauthorized, "")
		missing := s.SCIMAs("", http.MethodGet, "/Users", nil)
		expectSCIMError(t, missing, http.StatusUnauthorized, "")

		// The provisioning log holds each step, the conflict included.
		events := s.events(t, "clientId="+s.ClientID)
		want := []string{
			"user.create/succeeded", "user.update/succeeded", "user.deactivate/succeeded",
			"user.reactivate/succeeded", "user.create/failed", "user.delete/succeeded",
		}
		if !slices.Equal(events, want) {
			t.Errorf("provisioning events (oldest first) = %v, want %v", events, want)
		}
		if log := s.Log(); strings.Contains(log, s.ScimToken) || strings.Contains(log, s.AdminToken) {
			t.Errorf("a token appears in the services' logs")
		}
	})
}

// TestTokenRotationTakesEffectAtOnce checks that the old token dies on the
// very next request and the new one works.
func TestTokenRotationTakesEffectAtOnce(t *testing.T) {
	forEachDatabase(t, func(t *testing.T, s *System) {
		expectStatus(t, s.SCIM(http.MethodGet, "/Users", nil), http.StatusOK)

		var rotated struct {
			Token string `json:"token"`
		}
		status := s.Admin(http.MethodPost, "/v1/scim-clients/"+s.ClientID+":rotateToken", map[string]any{}, &rotated)
		if status != http.StatusOK || rotated.Token == "" || rotated.Token == s.ScimToken {
			t.Fatalf("rotate: status %d, new token issued: %v", status, rotated.Token != "")
		}

		expectSCIMError(t, s.SCIM(http.MethodGet, "/Users", nil), http.StatusUnauthorized, "")
		expectStatus(t, s.SCIMAs(rotated.Token, http.MethodGet, "/Users", nil), http.StatusOK)
	})
}

// TestDataSurvivesARestart stops the core and starts it again on the same
// database: users and tokens are still there.
func TestDataSurvivesARestart(t *testing.T) {
	forEachDatabase(t, func(t *testing.T, s *System) {
		created := s.SCIM(http.MethodPost, "/Users", map[string]any{
			"userName": "grace@example.com",
			"active":   true,
		})
		expectStatus(t, created, http.StatusCreated)

		s.StopCore()
		s.StartCore()

		again := s.SCIM(http.MethodGet, "/Users/"+created.String("id"), nil)
		expectStatus(t, again, http.StatusOK)
		if again.String("userName") != "grace@example.com" {
			t.Errorf("after restart userName = %q", again.String("userName"))
		}
	})
}

func (s *System) memberStatus(t *testing.T, memberID string) string {
	t.Helper()
	var page struct {
		Members []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"members"`
	}
	if status := s.Admin(http.MethodGet, "/v1/members?pageSize=500", nil, &page); status != http.StatusOK {
		t.Fatalf("list members: status %d", status)
	}
	for _, m := range page.Members {
		if m.ID == memberID {
			return m.Status
		}
	}
	t.Fatalf("member %s is not listed for the organisation", memberID)
	return ""
}

// events returns "operation/outcome" of the matching provisioning events,
// oldest first.
func (s *System) events(t *testing.T, query string) []string {
	t.Helper()
	var page struct {
		Events []struct {
			Operation string `json:"operation"`
			Outcome   string `json:"outcome"`
		} `json:"events"`
	}
	if status := s.Admin(http.MethodGet, "/v1/provisioning-events?pageSize=500&"+query, nil, &page); status != http.StatusOK {
		t.Fatalf("list provisioning events: status %d", status)
	}
	var got []string
	for i := len(page.Events) - 1; i >= 0; i-- {
		e := page.Events[i]
		if strings.HasPrefix(e.Operation, "client.") {
			continue
		}
		outcome := strings.ToLower(strings.TrimPrefix(e.Outcome, "PROVISIONING_OUTCOME_"))
		got = append(got, e.Operation+"/"+outcome)
	}
	return got
}

func expectStatus(t *testing.T, r *Response, want int) {
	t.Helper()
	if r.Status != want {
		t.Fatalf("status %d, want %d: %s", r.Status, want, r.Raw)
	}
}

// expectSCIMError checks a SCIM error answer (RFC 7644 §3.12): the status as
// a string in the body, and scimType when one is expected.
func expectSCIMError(t *testing.T, r *Response, status int, scimType string) {
	t.Helper()
	expectStatus(t, r, status)
	schemas, _ := r.Field("schemas").([]any)
	if len(schemas) != 1 || schemas[0] != "urn:ietf:params:scim:api:messages:2.0:Error" {
		t.Errorf("error body has schemas %v: %s", schemas, r.Raw)
	}
	if got := r.String("status"); got != strconv.Itoa(status) {
		t.Errorf("error body status %q, want %q", got, strconv.Itoa(status))
	}
	if scimType != "" && r.String("scimType") != scimType {
		t.Errorf("scimType %q, want %q: %s", r.String("scimType"), scimType, r.Raw)
	}
}

func expectListOf(t *testing.T, r *Response, ids ...string) {
	t.Helper()
	resources, _ := r.Field("Resources").([]any)
	var got []string
	for _, res := range resources {
		m, _ := res.(map[string]any)
		id, _ := m["id"].(string)
		got = append(got, id)
	}
	if !slices.Equal(got, ids) || r.Field("totalResults") != float64(len(ids)) {
		t.Fatalf("list holds %v (totalResults %v), want %v", got, r.Field("totalResults"), ids)
	}
}
