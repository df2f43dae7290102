package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"testing"
)

// TestTenantsCannotReachEachOther gives two organisations a SCIM client and
// an admin each, and checks that nothing one of them sends reaches the
// other's users, groups, clients, members, statistics or provisioning log.
func TestTenantsCannotReachEachOther(t *testing.T) {
	forEachDatabase(t, func(t *testing.T, s *System) {
		b := s.NewTenant(t)

		userA := s.SCIM(http.MethodPost, "/Users", scimUserBody("ada@a.example", true))
		expectStatus(t, userA, http.StatusCreated)
		userB := s.SCIMAs(b.ScimToken, http.MethodPost, "/Users", scimUserBody("bob@b.example", true))
		expectStatus(t, userB, http.StatusCreated)
		groupA := s.SCIM(http.MethodPost, "/Groups", map[string]any{"displayName": "Team A"})
		expectStatus(t, groupA, http.StatusCreated)
		groupB := s.SCIMAs(b.ScimToken, http.MethodPost, "/Groups", map[string]any{
			"displayName": "Team B",
			"members":     []map[string]any{{"value": userB.String("id")}},
		})
		expectStatus(t, groupB, http.StatusCreated)
		ub, gb := userB.String("id"), groupB.String("id")

		// SCIM with A's token: B's resources do not exist.
		expectSCIMError(t, s.SCIM(http.MethodGet, "/Users/"+ub, nil), http.StatusNotFound, "")
		expectSCIMError(t, s.SCIM(http.MethodGet, "/Groups/"+gb, nil), http.StatusNotFound, "")
		expectSCIMError(t, s.SCIM(http.MethodPut, "/Users/"+ub, scimUserBody("bob@b.example", false)),
			http.StatusNotFound, "")
		expectSCIMError(t, s.SCIM(http.MethodPatch, "/Users/"+ub, patchActive(false)),
			http.StatusNotFound, "")
		expectSCIMError(t, s.SCIM(http.MethodDelete, "/Users/"+ub, nil), http.StatusNotFound, "")
		expectSCIMError(t, s.SCIM(http.MethodPut, "/Groups/"+gb, map[string]any{"displayName": "Stolen"}),
			http.StatusNotFound, "")
		expectSCIMError(t, s.SCIM(http.MethodPatch, "/Groups/"+gb, map[string]any{
			"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
			"Operations": []map[string]any{{"op": "remove", "path": "members"}},
		}), http.StatusNotFound, "")
		expectSCIMError(t, s.SCIM(http.MethodDelete, "/Groups/"+gb, nil), http.StatusNotFound, "")

		filters := []string{
			`/Users?filter=` + url.QueryEscape(`userName eq "bob@b.example"`),
			`/Users?filter=` + url.QueryEscape(`id eq "`+ub+`"`),
			`/Users?filter=` + url.QueryEscape(`emails[value co "b.example"]`),
			`/Groups?filter=` + url.QueryEscape(`displayName eq "Team B"`),
			`/Groups?filter=` + url.QueryEscape(`members[value eq "`+ub+`"]`),
		}
		for _, path := range filters {
			r := s.SCIM(http.MethodGet, path, nil)
			expectStatus(t, r, http.StatusOK)
			if r.Field("totalResults") != float64(0) {
				t.Errorf("%s with A's token: %s", path, r.Raw)
			}
		}
		// B's user cannot be pulled into A's group.
		added := s.SCIM(http.MethodPatch, "/Groups/"+groupA.String("id"), map[string]any{
			"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
			"Operations": []map[string]any{{
				"op": "add", "path": "members", "value": []map[string]any{{"value": ub}},
			}},
		})
		if added.Status < 400 || added.Status >= 500 {
			t.Errorf("adding B's user to A's group: status %d: %s", added.Status, added.Raw)
		}

		// Admin calls of A's admin: B's client and members do not exist.
		clientPaths := []struct{ method, path string }{
			{http.MethodGet, "/v1/scim-clients/" + b.ClientID},
			{http.MethodPatch, "/v1/scim-clients/" + b.ClientID},
			{http.MethodPost, "/v1/scim-clients/" + b.ClientID + ":rotateToken"},
			{http.MethodGet, "/v1/scim-clients/" + b.ClientID + "/statistics"},
			{http.MethodDelete, "/v1/scim-clients/" + b.ClientID},
			{http.MethodPost, "/v1/members/" + ub + ":approve"},
			{http.MethodPost, "/v1/members/" + ub + ":deactivate"},
			{http.MethodPost, "/v1/members/" + ub + ":reactivate"},
		}
		for _, c := range clientPaths {
			var body any
			switch c.method {
			case http.MethodPatch:
				body = map[string]any{"enabled": false}
			case http.MethodPost:
				body = map[string]any{}
			}
			if status := s.Admin(c.method, c.path, body, nil); status != http.StatusNotFound {
				t.Errorf("%s %s with A's admin token: status %d, want 404", c.method, c.path, status)
			}
		}
		var listed struct {
			Clients []struct {
				ID string `json:"id"`
			} `json:"clients"`
		}
		s.Admin(http.MethodGet, "/v1/scim-clients", nil, &listed)
		for _, c := range listed.Clients {
			if c.ID == b.ClientID {
				t.Errorf("A's client list holds B's client")
			}
		}
		for _, m := range s.MembersAs(t, s.AdminToken) {
			if m.ID == ub {
				t.Errorf("A's member list holds B's member")
			}
		}
		for _, query := range []string{"", "clientId=" + b.ClientID, "memberId=" + ub} {
			for _, e := range s.EventsAs(t, s.AdminToken, query) {
				// A's own failed attempts name B's ids, as A sent them; an
				// event of B's organisation or client must not appear.
				if e.OrganizationID != s.Organization || e.ClientID == b.ClientID {
					t.Errorf("A's provisioning log (query %q) holds B's event %+v", query, e)
				}
			}
		}
		if events := s.EventsAs(t, s.AdminToken, "clientId="+b.ClientID); len(events) != 0 {
			t.Errorf("A sees %d events of B's client", len(events))
		}
		s.checkExportAndVerifyIsolation(t, b, ub)

		// Nothing of B changed: its token, user, group and member still work.
		again := s.SCIMAs(b.ScimToken, http.MethodGet, "/Users/"+ub, nil)
		expectStatus(t, again, http.StatusOK)
		if again.Field("active") != true {
			t.Errorf("B's user changed: %s", again.Raw)
		}
		group := s.SCIMAs(b.ScimToken, http.MethodGet, "/Groups/"+gb, nil)
		expectStatus(t, group, http.StatusOK)
		if members, _ := group.Field("members").([]any); len(members) != 1 {
			t.Errorf("B's group changed: %s", group.Raw)
		}
		var bClient struct {
			Client struct {
				Enabled bool `json:"enabled"`
			} `json:"client"`
		}
		if status := s.AdminAs(b.AdminToken, http.MethodGet, "/v1/scim-clients/"+b.ClientID, nil, &bClient); status != http.StatusOK || !bClient.Client.Enabled {
			t.Errorf("B's client: status %d enabled %v", status, bClient.Client.Enabled)
		}
		bEvents := countEvents(s.EventsAs(t, b.AdminToken, ""))
		for key := range bEvents {
			if key != "client.create/succeeded" && key != "user.create/succeeded" &&
				key != "group.create/succeeded" {
				t.Errorf("B's log holds %s, caused by A", key)
			}
		}

		// And the other way round, for the SCIM side.
		expectSCIMError(t, s.SCIMAs(b.ScimToken, http.MethodGet, "/Users/"+userA.String("id"), nil),
			http.StatusNotFound, "")
	})
}

// TestConcurrentCreatesThroughTheGateway sends 50 POSTs of one userName at
// once through the real gateway: exactly one creates the member, the others
// get 409 uniqueness, and the log records exactly that.
func TestConcurrentCreatesThroughTheGateway(t *testing.T) {
	forEachDatabase(t, func(t *testing.T, s *System) {
		const n = 50
		statuses := make([]int, n)
		scimTypes := make([]string, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				body := scimUserBody("race@example.com", true)
				body["externalId"] = fmt.Sprintf("ext-%d", i)
				r := s.SCIM(http.MethodPost, "/Users", body)
				statuses[i], scimTypes[i] = r.Status, r.String("scimType")
			}()
		}
		close(start)
		wg.Wait()

		created, conflicts := 0, 0
		for i, status := range statuses {
			switch {
			case status == http.StatusCreated:
				created++
			case status == http.StatusConflict && scimTypes[i] == "uniqueness":
				conflicts++
			default:
				t.Errorf("request %d: status %d scimType %q", i, status, scimTypes[i])
			}
		}
		if created != 1 || conflicts != n-1 {
			t.Fatalf("%d created, %d conflicts; want 1 and %d", created, conflicts, n-1)
		}

		var found []string
		for _, m := range s.MembersAs(t, s.AdminToken) {
			if m.UserName == "race@example.com" {
				found = append(found, m.ID)
			}
		}
		if len(found) != 1 {
			t.Errorf("%d members named race@example.com, want 1", len(found))
		}
		counts := countEvents(s.EventsAs(t, s.AdminToken, "operation=user.create"))
		want := map[string]int{"user.create/succeeded": 1, "user.create/failed": n - 1}
		if !mapsEqual(counts, want) {
			t.Errorf("user.create events = %v, want %v", counts, want)
		}
		succeeded := s.EventsAs(t, s.AdminToken, "operation=user.create&outcome=PROVISIONING_OUTCOME_SUCCEEDED")
		if len(succeeded) != 1 || !slices.Contains(found, succeeded[0].MemberID) {
			t.Errorf("the succeeded event names member %v, want %v", succeeded, found)
		}
	})
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
