package grpcserver_test

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/craevidence/scim-provisioning/services/provisioning/internal/adapters/gormstore"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/adapters/gormstore/gormstoretest"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
)

// chainStores runs test on SQLite and, with TEST_DATABASE_URL, Postgres.
func chainStores(t *testing.T, test func(t *testing.T, store *gormstore.Store)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		test(t, gormstoretest.NewSQLite(t))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		test(t, gormstoretest.NewPostgres(t))
	})
}

// restJSON sends an admin REST request and decodes a 200 answer into out.
func restJSON(t *testing.T, method, url, token, body string, out any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %d %s", method, url, resp.StatusCode, data)
	}
	if err := json.Unmarshal(data, out); err != nil {
		t.Fatalf("%s %s: %v: %s", method, url, err, data)
	}
}

type listedEvents struct {
	Events []struct {
		ID        string `json:"id"`
		ChainHash string `json:"chainHash"`
	} `json:"events"`
}

type verifyAnswer struct {
	Intact        bool   `json:"intact"`
	EventsChecked string `json:"eventsChecked"`
	EventsPending string `json:"eventsPending"`
	Problem       string `json:"problem"`
}

var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)

// TestListedEventsCarryTheirChainHash lists events before and after they
// are sealed: chainHash is empty, then the hash the chain holds.
func TestListedEventsCarryTheirChainHash(t *testing.T) {
	chainStores(t, func(t *testing.T, store *gormstore.Store) {
		url := newAdminHTTPServer(t, store, 0, 0)
		owner := adminToken(t, "org-a", domain.RoleOwner)
		ids := appendEvents(t, store, "org-a", 3, time.Now().Add(-time.Minute))

		var before listedEvents
		restJSON(t, http.MethodGet, url+"/v1/provisioning-events", owner, "", &before)
		if len(before.Events) != 3 {
			t.Fatalf("listed %d events, want 3", len(before.Events))
		}
		for _, e := range before.Events {
			if e.ChainHash != "" {
				t.Errorf("unsealed event %s has chainHash %q", e.ID, e.ChainHash)
			}
		}

		var report verifyAnswer
		restJSON(t, http.MethodPost, url+"/v1/provisioning-events:verify", owner, "{}", &report)
		if !report.Intact || report.EventsChecked != "3" || report.EventsPending != "0" || report.Problem != "" {
			t.Errorf("verify = %+v, want intact, 3 checked, 0 pending, no problem", report)
		}

		var after listedEvents
		restJSON(t, http.MethodGet, url+"/v1/provisioning-events", owner, "", &after)
		chain, err := store.ChainEvents(t.Context(), "org-a", 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		sealed := map[string]string{}
		for _, c := range chain {
			sealed[c.Event.ID] = c.Hash
		}
		for i, e := range after.Events {
			if e.ID != ids[i] || !sha256Hex.MatchString(e.ChainHash) || e.ChainHash != sealed[e.ID] {
				t.Errorf("event %s: chainHash %q, the chain holds %q", e.ID, e.ChainHash, sealed[e.ID])
			}
		}
	})
}

// TestVerifyAnswersPendingEventsInTheirField holds the sealer's advisory
// lock, as a sealer on another replica would, so an event stays unsealed:
// verification counts it in eventsPending and leaves problem empty.
func TestVerifyAnswersPendingEventsInTheirField(t *testing.T) {
	t.Parallel()
	store := gormstoretest.NewPostgres(t)
	url := newAdminHTTPServer(t, store, 0, 0)
	owner := adminToken(t, "org-a", domain.RoleOwner)
	appendEvents(t, store, "org-a", 2, time.Now().Add(-time.Minute))

	var report verifyAnswer
	restJSON(t, http.MethodPost, url+"/v1/provisioning-events:verify", owner, "{}", &report)
	appendEvents(t, store, "org-a", 1, time.Now())

	tx := store.DB().Begin()
	defer tx.Rollback()
	if err := tx.Exec("SELECT pg_advisory_xact_lock(7314020)").Error; err != nil {
		t.Fatal(err)
	}
	restJSON(t, http.MethodPost, url+"/v1/provisioning-events:verify", owner, "{}", &report)
	if !report.Intact || report.EventsChecked != "2" || report.EventsPending != "1" || report.Problem != "" {
		t.Errorf("verify = %+v, want intact, 2 checked, 1 pending, no problem", report)
	}
}
