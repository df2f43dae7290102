package grpcserver_test

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	provisioningv1 "github.com/craevidence/scim-provisioning/api/gen/craevidence/provisioning/v1"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/adapters/gormstore"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/adapters/gormstore/gormstoretest"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/adapters/grpcserver"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/app"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/ports"
)

// newAdminHTTPServer serves the admin REST API of store, with the
// provisioning log's verification, over real HTTP. A timeout above zero is
// the HTTP server's read and write timeout; every page of the provisioning
// log takes pageDelay to list.
func newAdminHTTPServer(t *testing.T, store *gormstore.Store, timeout, pageDelay time.Duration) string {
	t.Helper()
	logger := slog.New(slog.DiscardHandler)
	verifier, err := grpcserver.NewHS256Verifier([]byte(testSecret))
	if err != nil {
		t.Fatal(err)
	}
	slowList := func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		if info.FullMethod == provisioningv1.AdminService_ListProvisioningEvents_FullMethodName {
			time.Sleep(pageDelay)
		}
		return h(ctx, req)
	}
	server := grpcserver.NewServer(grpcserver.Options{
		ScimClients:     app.NewScimClients(store, nil, logger),
		Members:         app.NewMembers(store, nil, logger),
		ProvisioningLog: app.NewProvisioningLog(store, logger),
		AdminVerifier:   verifier,
		Logger:          logger,
	}, grpc.ChainUnaryInterceptor(slowList))
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = server.Serve(lis) }()
	t.Cleanup(server.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })

	handler, err := grpcserver.NewAdminHTTPHandler(t.Context(), conn, store.Ping)
	if err != nil {
		t.Fatal(err)
	}
	httpServer := httptest.NewUnstartedServer(handler)
	httpServer.Config.ReadTimeout = timeout
	httpServer.Config.WriteTimeout = timeout
	httpServer.Start()
	t.Cleanup(httpServer.Close)
	return httpServer.URL
}

// appendEvents writes n events of org, one millisecond apart from base,
// and returns their ids newest first, as the export lists them.
func appendEvents(t *testing.T, store ports.Store, org string, n int, base time.Time) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range n {
		e := domain.Event{
			ID:                fmt.Sprintf("%s-%d-event-%05d", org, base.UnixNano(), i),
			OrganizationID:    org,
			ClientID:          "client-1",
			Operation:         domain.OpUserUpdate,
			Outcome:           domain.OutcomeSucceeded,
			MemberID:          fmt.Sprintf("member-%d", i),
			Actor:             "scim:client-1",
			ChangedAttributes: []string{"name.givenName", "title"},
			OccurredAt:        base.Add(time.Duration(i) * time.Millisecond),
		}
		if err := store.Audit().AppendEvent(t.Context(), e); err != nil {
			t.Fatal(err)
		}
		ids[n-1-i] = e.ID
	}
	return ids
}

func getExport(t *testing.T, url, token string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read export: %v (after %d bytes)", err, len(body))
	}
	return resp, body
}

// TestExportStreamsPagesPastTheServerTimeouts exports a log of three pages
// from a server whose timeouts end long before the export does: the export
// moves its deadlines forward page by page and delivers every event, in
// order, without another organisation's.
func TestExportStreamsPagesPastTheServerTimeouts(t *testing.T) {
	t.Parallel()
	store := gormstoretest.NewSQLite(t)
	base := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	want := appendEvents(t, store, "org-a", 2*app.MaxPageSize+7, base)
	appendEvents(t, store, "org-b", 3, base)
	url := newAdminHTTPServer(t, store, 100*time.Millisecond, 150*time.Millisecond)
	owner := adminToken(t, "org-a", domain.RoleOwner)

	resp, body := getExport(t, url+"/v1/provisioning-events:export?format=csv", owner)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("csv export: %d %s", resp.StatusCode, body)
	}
	if got := resp.Header.Get("Content-Type"); got != "text/csv; charset=utf-8" {
		t.Errorf("Content-Type %q", got)
	}
	if got := resp.Header.Get("Content-Disposition"); !strings.HasPrefix(got, `attachment; filename="provisioning-events-`) ||
		!strings.HasSuffix(got, `.csv"`) {
		t.Errorf("Content-Disposition %q", got)
	}
	records, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != len(want)+1 || records[0][0] != "id" || records[0][1] != "occurredAt" {
		t.Fatalf("csv export: %d records, header %v; want %d events", len(records), records[0], len(want))
	}
	for i, id := range want {
		if records[i+1][0] != id {
			t.Fatalf("csv row %d is %s, want %s", i+1, records[i+1][0], id)
		}
	}
	if row := records[1]; row[10] != "name.givenName;title" || row[2] != "org-a" ||
		row[5] != "PROVISIONING_OUTCOME_SUCCEEDED" {
		t.Errorf("csv row = %v", row)
	}

	resp, body = getExport(t, url+"/v1/provisioning-events:export", owner)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/x-ndjson" {
		t.Fatalf("jsonl export: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	scanner := bufio.NewScanner(strings.NewReader(string(body)))
	n := 0
	for ; scanner.Scan(); n++ {
		var line map[string]any
		if err := json.Unmarshal(scanner.Bytes(), &line); err != nil {
			t.Fatalf("line %d is not JSON: %s", n+1, scanner.Text())
		}
		if n < len(want) && line["id"] != want[n] {
			t.Fatalf("line %d is %v, want %s", n+1, line["id"], want[n])
		}
	}
	if n != len(want) {
		t.Errorf("jsonl export: %d lines, want %d", n, len(want))
	}
}

// TestExportCSVCellsCannotBeFormulas exports values an identity provider or
// an error could choose, and checks that none starts a spreadsheet formula,
// while the JSON lines keep them as they are.
func TestExportCSVCellsCannotBeFormulas(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	hostile := domain.Event{
		ID:             "event-hostile",
		OrganizationID: "org-a",
		ClientID:       "client-1",
		Operation:      domain.OpUserCreate,
		Outcome:        domain.OutcomeFailed,
		MemberID:       "-2+3",
		GroupID:        "+cmd|' /C calc'!A0",
		Actor:          "@SUM(A1:A9)",
		RequestID:      "\tabc",
		ErrorCode:      "\rinvalid",
		ErrorDetail:    `=HYPERLINK("https://evil.example","click")`,
		OccurredAt:     time.Now(),
	}
	if err := e.store.Audit().AppendEvent(t.Context(), hostile); err != nil {
		t.Fatal(err)
	}
	owner := adminToken(t, "org-a", domain.RoleOwner)

	resp, body := getExport(t, e.httpURL+"/v1/provisioning-events:export?format=csv", owner)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("export: %d %s", resp.StatusCode, body)
	}
	records, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
	if err != nil || len(records) != 2 {
		t.Fatalf("csv: %v, %d records", err, len(records))
	}
	row := records[1]
	want := map[int]string{
		6:  "'" + hostile.MemberID,
		7:  "'" + hostile.GroupID,
		8:  "'" + hostile.Actor,
		9:  "'" + hostile.RequestID,
		10: "",
		11: "'" + hostile.ErrorCode,
		12: "'" + hostile.ErrorDetail,
	}
	for col, cell := range want {
		if row[col] != cell {
			t.Errorf("column %s = %q, want %q", records[0][col], row[col], cell)
		}
	}

	_, body = getExport(t, e.httpURL+"/v1/provisioning-events:export?format=jsonl", owner)
	var line map[string]any
	if err := json.Unmarshal(body, &line); err != nil {
		t.Fatalf("jsonl: %v: %s", err, body)
	}
	if line["errorDetail"] != hostile.ErrorDetail || line["actor"] != hostile.Actor {
		t.Errorf("jsonl changed the values: %s", body)
	}
}

// TestExportRefusals checks that the export answers refused and invalid
// requests with the status and message of the REST API, not a file.
func TestExportRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	appendEvents(t, e.store, "org-a", 2, time.Now())
	path := "/v1/provisioning-events:export"
	cases := []struct {
		name, query, token string
		status             int
		message            string
	}{
		{"viewer", "", adminToken(t, "org-a", domain.RoleViewer), http.StatusForbidden, ""},
		{"member", "", adminToken(t, "org-a", domain.RoleMember), http.StatusForbidden, ""},
		{"bad token", "", "not-a-jwt", http.StatusUnauthorized, "the admin token is not valid"},
		{"format", "?format=xlsx", adminToken(t, "org-a", domain.RoleOwner), http.StatusBadRequest,
			"the request is not valid: format is jsonl or csv"},
		{"since", "?since=yesterday", adminToken(t, "org-a", domain.RoleOwner), http.StatusBadRequest,
			"the request is not valid: since"},
	}
	for _, c := range cases {
		a := e.send(t, http.MethodGet, path+c.query, c.token, nil)
		if a.status != c.status || a.header.Get("Content-Disposition") != "" {
			t.Errorf("%s: %d %q: %s", c.name, a.status, a.header.Get("Content-Disposition"), a.body)
			continue
		}
		if msg := a.errorMessage(t); c.message != "" && msg != c.message {
			t.Errorf("%s: message %q, want %q", c.name, msg, c.message)
		}
	}

	// Another organisation's owner exports an empty log, not org-a's.
	resp, body := getExport(t, e.httpURL+path, adminToken(t, "org-b", domain.RoleOwner))
	if resp.StatusCode != http.StatusOK || len(body) != 0 {
		t.Errorf("org-b's export: %d %s", resp.StatusCode, body)
	}
}
