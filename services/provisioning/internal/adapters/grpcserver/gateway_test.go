package grpcserver_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	provisioningv1 "github.com/craevidence/scim-provisioning/api/gen/craevidence/provisioning/v1"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/adapters/grpcserver"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
)

// gatewayAnswer is an admin REST answer read whole.
type gatewayAnswer struct {
	status int
	header http.Header
	body   []byte
}

// errorMessage returns the message of a grpc-gateway error body.
func (a gatewayAnswer) errorMessage(t *testing.T) string {
	t.Helper()
	var body struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	if err := json.Unmarshal(a.body, &body); err != nil {
		t.Fatalf("error body is not JSON: %v: %s", err, a.body)
	}
	return body.Message
}

// send makes one admin REST request with body, which may be an io.Reader
// (sent chunked, of unknown length) or a string.
func (e *env) send(t *testing.T, method, path, token string, body io.Reader) gatewayAnswer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, e.httpURL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return gatewayAnswer{status: resp.StatusCode, header: resp.Header, body: data}
}

// onlyReader hides a reader's type, so the HTTP client cannot learn its
// length and sends it chunked.
type onlyReader struct{ io.Reader }

func clientCount(t *testing.T, e *env) int {
	t.Helper()
	clients, err := e.store.Clients().ListClients(t.Context(), "org-a")
	if err != nil {
		t.Fatal(err)
	}
	return len(clients)
}

func TestAdminHTTPRefusesRequestsWithoutBearerToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	big := `{"name":"` + strings.Repeat("a", 3<<20) + `"}`

	cases := []struct {
		name, method, path, authorization string
		body                              io.Reader
	}{
		{"large body, no header", http.MethodPost, "/v1/scim-clients", "", strings.NewReader(big)},
		{"chunked body, no header", http.MethodPost, "/v1/scim-clients", "",
			onlyReader{strings.NewReader(big)}},
		{"basic credentials", http.MethodPost, "/v1/scim-clients", "Basic YTpi",
			strings.NewReader(`{"name":"x"}`)},
		{"empty bearer", http.MethodGet, "/v1/scim-clients", "Bearer ", nil},
		{"list", http.MethodGet, "/v1/provisioning-events", "", nil},
		{"export", http.MethodGet, "/v1/provisioning-events:export", "", nil},
		{"unknown route", http.MethodGet, "/v1/nothing-here", "", nil},
	}
	for _, c := range cases {
		req, err := http.NewRequestWithContext(t.Context(), c.method, e.httpURL+c.path, c.body)
		if err != nil {
			t.Fatal(err)
		}
		if c.authorization != "" {
			req.Header.Set("Authorization", c.authorization)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		a := gatewayAnswer{status: resp.StatusCode, header: resp.Header, body: data}
		if a.status != http.StatusUnauthorized {
			t.Errorf("%s: status %d, want 401: %s", c.name, a.status, a.body)
			continue
		}
		if msg := a.errorMessage(t); msg != "an admin bearer token is required" {
			t.Errorf("%s: message %q", c.name, msg)
		}
		if got := a.header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
			t.Errorf("%s: WWW-Authenticate %q", c.name, got)
		}
	}
	if n := clientCount(t, e); n != 0 {
		t.Errorf("%d clients were created without a token", n)
	}

	for _, path := range []string{"/healthz", "/readyz"} {
		if a := e.send(t, http.MethodGet, path, "", nil); a.status != http.StatusOK {
			t.Errorf("%s without a token: %d", path, a.status)
		}
	}
}

func TestAdminHTTPCapsRequestBodies(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner := adminToken(t, "org-a", domain.RoleOwner)
	tooLarge := `{"name":"` + strings.Repeat("a", grpcserver.MaxAdminRequestBytes) + `"}`

	for name, body := range map[string]io.Reader{
		"with a length": strings.NewReader(tooLarge),
		"chunked":       onlyReader{strings.NewReader(tooLarge)},
	} {
		a := e.send(t, http.MethodPost, "/v1/scim-clients", owner, body)
		if a.status != http.StatusRequestEntityTooLarge {
			t.Errorf("%s: status %d, want 413: %.200s", name, a.status, a.body)
			continue
		}
		if msg := a.errorMessage(t); !strings.Contains(msg, "larger than") {
			t.Errorf("%s: message %q", name, msg)
		}
	}
	if n := clientCount(t, e); n != 0 {
		t.Errorf("%d clients were created from bodies over the cap", n)
	}

	// Under the cap, padding and all, the request goes through.
	padded := `{"name":"Okta"` + strings.Repeat(" ", grpcserver.MaxAdminRequestBytes-100) + `}`
	if a := e.send(t, http.MethodPost, "/v1/scim-clients", owner, onlyReader{strings.NewReader(padded)}); a.status != http.StatusOK {
		t.Errorf("body under the cap: status %d: %s", a.status, a.body)
	}
}

func TestAdminHTTPHidesGatewayParseErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner := adminToken(t, "org-a", domain.RoleOwner)
	clientID, _ := e.newScimClient(t, &provisioningv1.CreateScimClientRequest{})

	cases := []struct {
		name, method, path, body, want string
	}{
		{"integer parameter", http.MethodGet, "/v1/provisioning-events?pageSize=abc", "",
			"the request is not valid: pageSize"},
		{"snake_case parameter", http.MethodGet, "/v1/members?page_size=1e99", "",
			"the request is not valid: pageSize"},
		{"time parameter", http.MethodGet, "/v1/provisioning-events?since=yesterday", "",
			"the request is not valid: since"},
		{"enum parameter", http.MethodGet, "/v1/provisioning-events?outcome=MAYBE", "",
			"the request is not valid: outcome"},
		{"boolean field", http.MethodPost, "/v1/scim-clients", `{"name":"x","autoActivate":"yes"}`,
			"the request is not valid: autoActivate"},
		{"string field", http.MethodPatch, "/v1/scim-clients/" + clientID, `{"name":5}`,
			"the request is not valid: name"},
		{"not JSON", http.MethodPost, "/v1/scim-clients", `{"name":`,
			"the request is not valid: the body is not a JSON object of this call"},
		{"data after the body", http.MethodPost, "/v1/scim-clients", `{"name":"x"} {}`,
			"the request is not valid: the body is not a JSON object of this call"},
		{"unknown enum value", http.MethodPatch, "/v1/scim-clients/" + clientID,
			`{"defaultRole":"BOSS"}`, "the request is not valid: defaultRole"},
		{"unknown field", http.MethodPatch, "/v1/scim-clients/" + clientID,
			`{"enabledd":false}`, "the request is not valid: the body has a field this call does not have"},
	}
	for _, c := range cases {
		var body io.Reader
		if c.body != "" {
			body = strings.NewReader(c.body)
		}
		a := e.send(t, c.method, c.path, owner, body)
		if a.status != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400: %s", c.name, a.status, a.body)
			continue
		}
		if msg := a.errorMessage(t); msg != c.want {
			t.Errorf("%s: message %q, want %q", c.name, msg, c.want)
		}
	}

	// Routes and methods the API does not have keep their statuses.
	if a := e.send(t, http.MethodGet, "/v1/nothing-here", owner, nil); a.status != http.StatusNotFound ||
		a.errorMessage(t) != "Not Found" {
		t.Errorf("unknown route: %d %s", a.status, a.body)
	}
	if a := e.send(t, http.MethodPut, "/v1/scim-clients", owner, strings.NewReader("{}")); a.status != http.StatusMethodNotAllowed {
		t.Errorf("unknown method: %d %s", a.status, a.body)
	}

	// The gRPC server's own messages pass unchanged.
	own := []struct {
		name, method, path, token, body string
		status                          int
		want                            string
	}{
		{"invalid settings", http.MethodPost, "/v1/scim-clients", owner, `{"name":""}`,
			http.StatusBadRequest, ""},
		{"viewer", http.MethodGet, "/v1/scim-clients", adminToken(t, "org-a", domain.RoleViewer), "",
			http.StatusForbidden, ""},
		{"bad token", http.MethodGet, "/v1/scim-clients", "not-a-jwt", "",
			http.StatusUnauthorized, "the admin token is not valid"},
		{"unknown client", http.MethodGet, "/v1/scim-clients/nope", owner, "",
			http.StatusNotFound, `SCIM client "nope" not found`},
	}
	for _, c := range own {
		var body io.Reader
		if c.body != "" {
			body = strings.NewReader(c.body)
		}
		a := e.send(t, c.method, c.path, c.token, body)
		msg := a.errorMessage(t)
		if a.status != c.status || strings.HasPrefix(msg, "the request is not valid") ||
			(c.want != "" && msg != c.want) {
			t.Errorf("%s: %d %q, want %d and the server's own message %q", c.name, a.status, msg, c.status, c.want)
		}
	}
}

func TestAdminHTTPSecurityHeaders(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner := adminToken(t, "org-a", domain.RoleOwner)

	created := e.send(t, http.MethodPost, "/v1/scim-clients", owner, strings.NewReader(`{"name":"Okta"}`))
	if created.status != http.StatusOK || !bytes.Contains(created.body, []byte(domain.TokenPrefix)) {
		t.Fatalf("create: %d %s", created.status, created.body)
	}
	answers := map[string]gatewayAnswer{
		"create (carries a token)": created,
		"list":                     e.send(t, http.MethodGet, "/v1/scim-clients", owner, nil),
		"refused":                  e.send(t, http.MethodGet, "/v1/scim-clients", "", nil),
		"invalid":                  e.send(t, http.MethodGet, "/v1/members?pageSize=x", owner, nil),
		"export":                   e.send(t, http.MethodGet, "/v1/provisioning-events:export", owner, nil),
		"healthz":                  e.send(t, http.MethodGet, "/healthz", "", nil),
	}
	for name, a := range answers {
		if got := a.header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("%s: Cache-Control %q", name, got)
		}
		if got := a.header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options %q", name, got)
		}
	}
}

// TestAdminHTTPServesItsOpenAPIDocument checks that the generated
// description of the admin API is served and names its routes.
func TestAdminHTTPServesItsOpenAPIDocument(t *testing.T) {
	t.Parallel()
	e := newEnv(t)

	a := e.send(t, http.MethodGet, "/openapi.json", "", nil)
	if a.status != http.StatusOK {
		t.Fatalf("GET /openapi.json: %d %s", a.status, a.body)
	}
	var doc struct {
		Swagger string                    `json:"swagger"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(a.body, &doc); err != nil {
		t.Fatalf("the document is not JSON: %v", err)
	}
	if doc.Swagger != "2.0" {
		t.Errorf("swagger version %q", doc.Swagger)
	}
	if _, ok := doc.Paths["/v1/scim-clients/{clientId}:rotateToken"]["post"]; !ok {
		t.Errorf("the document lacks POST /v1/scim-clients/{clientId}:rotateToken; paths: %v",
			len(doc.Paths))
	}
}

// TestAdminHTTPRefusesURLsThatAreNotUTF8 sends paths and query values that
// unescape to invalid UTF-8: each is a 400 with one message, never the 500
// that grpc-gateway's marshalling of a protobuf string would give.
func TestAdminHTTPRefusesURLsThatAreNotUTF8(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner := adminToken(t, "org-a", domain.RoleOwner)

	cases := []struct{ method, path string }{
		{http.MethodGet, "/v1/scim-clients/%ff"},
		{http.MethodPost, "/v1/members/%ff:deactivate"},
		{http.MethodGet, "/v1/provisioning-events?clientId=%ff"},
		{http.MethodGet, "/v1/provisioning-events:export?memberId=%ff"},
		{http.MethodGet, "/v1/members?pageToken=%00%ff"},
		{http.MethodGet, "/v1/members?%ff=1"},
	}
	for _, c := range cases {
		var body io.Reader
		if c.method == http.MethodPost {
			body = strings.NewReader("{}")
		}
		a := e.send(t, c.method, c.path, owner, body)
		if a.status != http.StatusBadRequest {
			t.Errorf("%s %s: status %d, want 400: %s", c.method, c.path, a.status, a.body)
			continue
		}
		if msg := a.errorMessage(t); msg != "the request is not valid: the URL is not valid UTF-8" {
			t.Errorf("%s %s: message %q", c.method, c.path, msg)
		}
	}

	// Valid UTF-8 beyond ASCII passes on to the API.
	if a := e.send(t, http.MethodGet, "/v1/scim-clients/%C3%A9", owner, nil); a.status != http.StatusNotFound {
		t.Errorf("an id in valid UTF-8: status %d, want 404: %s", a.status, a.body)
	}
}

// TestAdminHTTPUnknownRoutesAnswerJSON checks that paths outside /v1/ that
// the API does not have answer the JSON 404 of the API's own routes.
func TestAdminHTTPUnknownRoutesAnswerJSON(t *testing.T) {
	t.Parallel()
	e := newEnv(t)

	for _, path := range []string{"/", "/nothing-here", "/v2/members", "/healthz/extra"} {
		a := e.send(t, http.MethodGet, path, "", nil)
		if a.status != http.StatusNotFound || a.header.Get("Content-Type") != "application/json" ||
			a.errorMessage(t) != "Not Found" {
			t.Errorf("GET %s: %d %q %s, want the JSON 404", path, a.status, a.header.Get("Content-Type"), a.body)
		}
	}
	if a := e.send(t, http.MethodGet, "/healthz", "", nil); a.status != http.StatusOK {
		t.Errorf("GET /healthz: %d", a.status)
	}
}

// TestAdminHTTPCutsLongIDsInMessages checks that an error message quotes at
// most 64 characters of an id the caller sent.
func TestAdminHTTPCutsLongIDsInMessages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner := adminToken(t, "org-a", domain.RoleOwner)
	long := strings.Repeat("x", 70)

	for _, path := range []string{"/v1/scim-clients/" + long, "/v1/members/" + long + ":deactivate"} {
		var body io.Reader
		if strings.HasSuffix(path, ":deactivate") {
			body = strings.NewReader("{}")
		}
		method := http.MethodGet
		if body != nil {
			method = http.MethodPost
		}
		a := e.send(t, method, path, owner, body)
		msg := a.errorMessage(t)
		if a.status != http.StatusNotFound || strings.Contains(msg, long) ||
			!strings.Contains(msg, `"`+strings.Repeat("x", 64)+`…"`) {
			t.Errorf("%s: %d %q, want 404 quoting the id cut after 64 characters", path, a.status, msg)
		}
	}
}
