package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// TestConcurrentPatchesWithoutIfMatchAllSucceed sends 30 PATCHes of one
// user at once, as an identity provider's burst does. Without If-Match the
// gateway retries a lost race, so every PATCH succeeds and none of their
// changes is lost; the lost races are no failures, so the provisioning log
// shows none (the gateway marks those writes as optimistic attempts).
func TestConcurrentPatchesWithoutIfMatchAllSucceed(t *testing.T) {
	forEachDatabase(t, func(t *testing.T, s *System) {
		created := s.SCIM(http.MethodPost, "/Users", scimUserBody("ada@example.com", true))
		expectStatus(t, created, http.StatusCreated)
		id := created.String("id")

		const writers = 30
		statuses := make([]int, writers)
		var wg sync.WaitGroup
		for i := range writers {
			wg.Go(func() {
				r := s.SCIM(http.MethodPatch, "/Users/"+id, patchOps(map[string]any{
					"op": "add", "path": "roles",
					"value": []map[string]any{{"value": fmt.Sprintf("role-%02d", i)}},
				}))
				statuses[i] = r.Status
			})
		}
		wg.Wait()

		for i, status := range statuses {
			if status != http.StatusOK {
				t.Errorf("PATCH %d answered %d", i, status)
			}
		}
		got := s.SCIM(http.MethodGet, "/Users/"+id, nil)
		expectStatus(t, got, http.StatusOK)
		roles, _ := got.Field("roles").([]any)
		if len(roles) != writers {
			t.Errorf("the user has %d roles, want %d: %s", len(roles), writers, got.Raw)
		}
		counts := countEvents(s.EventsAs(t, s.AdminToken, "memberId="+id))
		if counts["user.update/failed"] != 0 || counts["user.update/succeeded"] != writers {
			t.Errorf("events of the member = %v, want %d succeeded updates and no failed ones",
				counts, writers)
		}
	})
}

// TestHugeStartIndexGivesAnEmptyPage asks for pages beyond what an int32
// holds: the answer is an empty page whose startIndex is the one it was
// read from, never the first page.
func TestHugeStartIndexGivesAnEmptyPage(t *testing.T) {
	forEachDatabase(t, func(t *testing.T, s *System) {
		expectStatus(t, s.SCIM(http.MethodPost, "/Users", scimUserBody("ada@example.com", true)),
			http.StatusCreated)
		expectStatus(t, s.SCIM(http.MethodPost, "/Groups", map[string]any{"displayName": "Staff"}),
			http.StatusCreated)

		for _, path := range []string{
			"/Users?startIndex=4294967297&count=10",
			"/Users?startIndex=2147483648",
			"/Groups?startIndex=99999999999999999999&count=99999999999999999999",
		} {
			r := s.SCIM(http.MethodGet, path, nil)
			expectStatus(t, r, http.StatusOK)
			resources, _ := r.Field("Resources").([]any)
			if len(resources) != 0 || r.Field("totalResults") != 1.0 ||
				!strings.Contains(string(r.Raw), `"startIndex":2147483647`) {
				t.Errorf("%s: %s", path, r.Raw)
			}
		}
	})
}

// TestLongOrFilterIsAnswered looks users up with a filter of 100
// alternatives, as a client checking many ids at once does: it is long but
// not deeply nested, so both the gateway and the core answer it.
func TestLongOrFilterIsAnswered(t *testing.T) {
	forEachDatabase(t, func(t *testing.T, s *System) {
		expectStatus(t, s.SCIM(http.MethodPost, "/Users", scimUserBody("ada@example.com", true)),
			http.StatusCreated)

		terms := []string{`userName eq "ada@example.com"`}
		for i := range 99 {
			terms = append(terms, fmt.Sprintf(`userName eq "nobody-%d@example.com"`, i))
		}
		r := s.SCIM(http.MethodGet, filterPath("Users", strings.Join(terms, " or ")), nil)
		expectStatus(t, r, http.StatusOK)
		if r.Field("totalResults") != 1.0 {
			t.Errorf("100 alternatives: %s", r.Raw)
		}
	})
}
