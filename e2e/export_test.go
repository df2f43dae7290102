package e2e

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// exportPageSize is how many events the export asks AdminService for at a
// time (the admin listings' largest page).
const exportPageSize = 500

// Export is one answer of GET /v1/provisioning-events:export.
type Export struct {
	Status int
	Header http.Header
	Body   []byte
}

// ExportAs downloads the provisioning log export with query (without the
// leading "?") and an admin token; an empty token sends no Authorization
// header.
func (s *System) ExportAs(t *testing.T, adminToken, query string) Export {
	t.Helper()
	resp := do(t, http.MethodGet, s.AdminURL+"/v1/provisioning-events:export?"+query, adminToken, "", nil)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read export: %v", err)
	}
	return Export{Status: resp.StatusCode, Header: resp.Header, Body: body}
}

// Lines decodes a JSON lines export, one object per line.
func (e Export) Lines(t *testing.T) []map[string]any {
	t.Helper()
	var lines []map[string]any
	scanner := bufio.NewScanner(bytes.NewReader(e.Body))
	scanner.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for scanner.Scan() {
		var line map[string]any
		if err := json.Unmarshal(scanner.Bytes(), &line); err != nil {
			t.Fatalf("export line is not JSON: %v: %s", err, scanner.Text())
		}
		lines = append(lines, line)
	}
	return lines
}

// Records decodes a CSV export: the header row, then one map per event.
func (e Export) Records(t *testing.T) []map[string]string {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(e.Body)).ReadAll()
	if err != nil {
		t.Fatalf("export is not CSV: %v", err)
	}
	if len(rows) == 0 {
		t.Fatal("CSV export has no header row")
	}
	var records []map[string]string
	for _, row := range rows[1:] {
		record := map[string]string{}
		for i, name := range rows[0] {
			record[name] = row[i]
		}
		records = append(records, record)
	}
	return records
}

// allEvents pages through GET /v1/provisioning-events as the frontend does
// and returns every matching event as the REST API renders it, newest first.
func (s *System) allEvents(t *testing.T, adminToken, query string) []map[string]any {
	t.Helper()
	var all []map[string]any
	token := ""
	for {
		var page struct {
			Events        []map[string]any `json:"events"`
			NextPageToken string           `json:"nextPageToken"`
		}
		path := "/v1/provisioning-events?pageSize=200&pageToken=" + url.QueryEscape(token) + "&" + query
		if status := s.AdminAs(adminToken, http.MethodGet, path, nil, &page); status != http.StatusOK {
			t.Fatalf("list provisioning events: status %d", status)
		}
		all = append(all, page.Events...)
		if page.NextPageToken == "" {
			return all
		}
		token = page.NextPageToken
	}
}

// TestExportOfTheProvisioningLog fills the log past one export page and
// checks the export in both formats against the REST listing, its filters,
// and who may download it.
func TestExportOfTheProvisioningLog(t *testing.T) {
	forEachDatabase(t, func(t *testing.T, s *System) {
		// More events than one page of the export: settings changes of the
		// client, a few at a time.
		updates := exportPageSize + 20
		var wg sync.WaitGroup
		errs := make(chan error, updates)
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < updates; i += 4 {
					resp := do(t, http.MethodPatch, s.AdminURL+"/v1/scim-clients/"+s.ClientID, s.AdminToken,
						"application/json", map[string]any{"name": fmt.Sprintf("Okta %d", i)})
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						errs <- fmt.Errorf("update %d: status %d", i, resp.StatusCode)
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		created := s.SCIM(http.MethodPost, "/Users", scimUserBody("ada@example.com", true))
		expectStatus(t, created, http.StatusCreated)
		memberID := created.String("id")
		expectSCIMError(t, s.SCIM(http.MethodPost, "/Users", scimUserBody("ada@example.com", true)),
			http.StatusConflict, "uniqueness")
		otherClient, otherToken := s.NewClient(t, map[string]any{"autoActivate": true})
		expectStatus(t, s.SCIMAs(otherToken, http.MethodPost, "/Users", scimUserBody("bob@example.com", true)),
			http.StatusCreated)

		listed := s.allEvents(t, s.AdminToken, "")
		if len(listed) <= exportPageSize {
			t.Fatalf("the log has %d events, want more than one export page", len(listed))
		}

		// JSON lines, the default: every event, newest first, each line
		// exactly the event of the REST listing.
		jsonl := s.ExportAs(t, s.AdminToken, "")
		if jsonl.Status != http.StatusOK {
			t.Fatalf("export: status %d: %s", jsonl.Status, jsonl.Body)
		}
		if got := jsonl.Header.Get("Content-Disposition"); !strings.HasPrefix(got, "attachment; filename=") ||
			!strings.HasSuffix(got, `.jsonl"`) {
			t.Errorf("Content-Disposition %q", got)
		}
		if got := jsonl.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("Cache-Control %q", got)
		}
		lines := jsonl.Lines(t)
		if len(lines) != len(listed) {
			t.Fatalf("export has %d events, the listing %d", len(lines), len(listed))
		}
		for i := range lines {
			// The sealer may have sealed the event between the two reads;
			// chainHash is compared for presence only.
			if _, ok := lines[i]["chainHash"]; !ok {
				t.Fatalf("export line %d has no chainHash: %v", i+1, lines[i])
			}
			delete(lines[i], "chainHash")
			delete(listed[i], "chainHash")
			if !reflect.DeepEqual(lines[i], listed[i]) {
				t.Fatalf("export line %d = %v\nlisting has %v", i+1, lines[i], listed[i])
			}
		}

		// CSV: a header row and the same events.
		csvExport := s.ExportAs(t, s.AdminToken, "format=csv")
		if csvExport.Status != http.StatusOK || !strings.HasPrefix(csvExport.Header.Get("Content-Type"), "text/csv") {
			t.Fatalf("csv export: %d %q", csvExport.Status, csvExport.Header.Get("Content-Type"))
		}
		records := csvExport.Records(t)
		if len(records) != len(listed) {
			t.Fatalf("csv export has %d events, the listing %d", len(records), len(listed))
		}
		for i, r := range records {
			if r["id"] != listed[i]["id"] || r["operation"] != listed[i]["operation"] ||
				r["outcome"] != listed[i]["outcome"] || r["clientId"] != listed[i]["clientId"] {
				t.Fatalf("csv row %d = %v, listing has %v", i+1, r, listed[i])
			}
		}

		// Filters, as the listing has them.
		filters := []string{
			"operation=user.create",
			"clientId=" + otherClient,
			"memberId=" + memberID,
			"outcome=PROVISIONING_OUTCOME_FAILED",
			"operation=client.update&outcome=PROVISIONING_OUTCOME_SUCCEEDED",
		}
		middle := listed[len(listed)/2]["occurredAt"].(string)
		filters = append(filters,
			"since="+url.QueryEscape(middle),
			"until="+url.QueryEscape(middle),
			"since="+url.QueryEscape(time.Now().Add(time.Hour).UTC().Format(time.RFC3339)),
		)
		for _, query := range filters {
			want := s.allEvents(t, s.AdminToken, query)
			got := s.ExportAs(t, s.AdminToken, "format=csv&"+query)
			if got.Status != http.StatusOK {
				t.Errorf("%s: status %d: %s", query, got.Status, got.Body)
				continue
			}
			records := got.Records(t)
			if len(records) != len(want) {
				t.Errorf("%s: export has %d events, listing %d", query, len(records), len(want))
				continue
			}
			for i := range records {
				if records[i]["id"] != want[i]["id"] {
					t.Errorf("%s: row %d is %s, listing has %s", query, i+1, records[i]["id"], want[i]["id"])
					break
				}
			}
		}
		// Two creates and a refused duplicate, or the filters prove nothing.
		if n := len(s.allEvents(t, s.AdminToken, "operation=user.create")); n != 3 {
			t.Errorf("%d user.create events, want 3", n)
		}

		// Who may download it.
		if got := s.ExportAs(t, "", ""); got.Status != http.StatusUnauthorized {
			t.Errorf("no token: status %d", got.Status)
		}
		for _, role := range []string{"member", "viewer"} {
			token := AdminJWT(s.Organization, role, time.Hour)
			if got := s.ExportAs(t, token, ""); got.Status != http.StatusForbidden ||
				got.Header.Get("Content-Disposition") != "" {
				t.Errorf("%s role: status %d", role, got.Status)
			}
		}
		b := s.NewTenant(t)
		theirs := s.ExportAs(t, b.AdminToken, "").Lines(t)
		if len(theirs) == 0 {
			t.Fatal("B's export is empty; B created a client")
		}
		for _, e := range theirs {
			if e["organizationId"] != b.Organization {
				t.Fatalf("B's export holds %v", e)
			}
		}
	})
}
