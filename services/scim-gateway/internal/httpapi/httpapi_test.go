package httpapi_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/craevidence/scim-provisioning/services/scim-gateway/internal/core"
	"github.com/craevidence/scim-provisioning/services/scim-gateway/internal/core/corefake"
	"github.com/craevidence/scim-provisioning/services/scim-gateway/internal/httpapi"
)

const token = "scim_test_token"

type harness struct {
	t    *testing.T
	srv  *httptest.Server
	core *corefake.Core
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	fake := corefake.New(token)
	srv := httptest.NewServer(httpapi.New(httpapi.Options{Core: fake}))
	t.Cleanup(srv.Close)
	return &harness{t: t, srv: srv, core: fake}
}

type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// do sends a request with the test token unless headers say otherwise.
func (h *harness) do(method, path, body string, headers ...string) response {
	h.t.Helper()
	req, err := http.NewRequest(method, h.srv.URL+path, strings.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
			continue
		}
		req.Header.Set(headers[i], headers[i+1])
	}

	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)

	r := response{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			h.t.Fatalf("%s %s: body is not JSON: %s", method, path, raw)
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/scim+json") &&
			!strings.HasPrefix(path, "/healthz") && !strings.HasPrefix(path, "/readyz") {
			h.t.Errorf("%s %s: content type %q", method, path, ct)
		}
	}
	return r
}

func (r response) expect(t *testing.T, status int) response {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.raw)
	}
	return r
}

// expectError checks a SCIM error body.
func (r response) expectError(t *testing.T, status int, scimType string) {
	t.Helper()
	r.expect(t, status)
	schemas, _ := r.body["schemas"].([]any)
	if len(schemas) != 1 || schemas[0] != "urn:ietf:params:scim:api:messages:2.0:Error" {
		t.Errorf("error schemas = %v", r.body["schemas"])
	}
	if r.body["status"] != itoa(status) {
		t.Errorf("error status = %#v, want the string %q", r.body["status"], itoa(status))
	}
	if got, _ := r.body["scimType"].(string); got != scimType {
		t.Errorf("scimType = %q, want %q (detail %v)", got, scimType, r.body["detail"])
	}
	if d, _ := r.body["detail"].(string); d == "" {
		t.Error("error without detail")
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

const adaBody = `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User",
 "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
 "externalId":"e1","userName":"ada@example.com","active":true,"password":"s3cret",
 "emails":[{"primary":true,"type":"work","value":"ada@example.com"}],
 "name":{"givenName":"Ada","familyName":"L"},"meta":{"resourceType":"User"},"roles":[],
 "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"7"}}`

func (h *harness) createAda() map[string]any {
	h.t.Helper()
	return h.do("POST", "/scim/v2/Users", adaBody).expect(h.t, http.StatusCreated).body
}

func TestUserLifecycle(t *testing.T) {
	h := newHarness(t)

	created := h.do("POST", "/scim/v2/Users", adaBody).expect(t, http.StatusCreated)
	id, _ := created.body["id"].(string)
	if id == "" {
		t.Fatalf("no id: %s", created.raw)
	}
	if loc := created.header.Get("Location"); loc != h.srv.URL+"/scim/v2/Users/"+id {
		t.Errorf("Location = %q", loc)
	}
	if created.header.Get("ETag") != `W/"1"` {
		t.Errorf("ETag = %q", created.header.Get("ETag"))
	}
	if strings.Contains(created.raw, "password") || strings.Contains(created.raw, "s3cret") {
		t.Errorf("password returned: %s", created.raw)
	}
	meta := created.body["meta"].(map[string]any)
	if meta["resourceType"] != "User" || meta["version"] != `W/"1"` ||
		meta["location"] != h.srv.URL+"/scim/v2/Users/"+id || meta["created"] == nil {
		t.Errorf("meta = %v", meta)
	}

	got := h.do("GET", "/scim/v2/Users/"+id, "").expect(t, http.StatusOK)
	if got.body["userName"] != "ada@example.com" || got.body["active"] != true {
		t.Errorf("GET = %s", got.raw)
	}
	ent := got.body["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"].(map[string]any)
	if ent["employeeNumber"] != "7" {
		t.Errorf("enterprise = %v", ent)
	}

	// PUT, as Okta sends it: the whole user.
	put := h.do("PUT", "/scim/v2/Users/"+id, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],
	  "userName":"ada@example.com","name":{"givenName":"Ada","familyName":"Lovelace"},"active":true}`).
		expect(t, http.StatusOK)
	if put.body["name"].(map[string]any)["familyName"] != "Lovelace" || put.header.Get("ETag") != `W/"2"` {
		t.Errorf("PUT = %s", put.raw)
	}

	h.do("DELETE", "/scim/v2/Users/"+id, "").expect(t, http.StatusNoContent)
	h.do("GET", "/scim/v2/Users/"+id, "").expectError(t, http.StatusNotFound, "")
	h.do("DELETE", "/scim/v2/Users/"+id, "").expectError(t, http.StatusNotFound, "")
}

func TestDuplicateCreateIsUniquenessConflict(t *testing.T) {
	h := newHarness(t)
	h.createAda()
	h.do("POST", "/scim/v2/Users", strings.Replace(adaBody, "ada@example.com", "ADA@example.com", 1)).
		expectError(t, http.StatusConflict, "uniqueness")
}

func TestListWithFilterAndPaging(t *testing.T) {
	h := newHarness(t)
	h.createAda()
	h.do("POST", "/scim/v2/Users", `{"userName":"bob@example.com"}`).expect(t, http.StatusCreated)

	// Okta's upper-cased userName lookup.
	q := url.Values{"filter": {`userName eq "ADA@EXAMPLE.COM"`}, "startIndex": {"1"},
		"count": {"100"}}
	list := h.do("GET", "/scim/v2/Users?"+q.Encode(), "").expect(t, http.StatusOK)
	if list.body["totalResults"] != 1.0 || list.body["itemsPerPage"] != 1.0 ||
		list.body["startIndex"] != 1.0 {
		t.Errorf("list = %s", list.raw)
	}
	if !strings.Contains(list.raw, `"totalResults":1`) || !strings.Contains(list.raw, `"startIndex":1`) {
		t.Errorf("paging fields are not JSON integers: %s", list.raw)
	}
	resources := list.body["Resources"].([]any)
	if resources[0].(map[string]any)["userName"] != "ada@example.com" {
		t.Errorf("resources = %v", resources)
	}

	// Entra ID's connection test: an unknown value answers 200 and an
	// empty list.
	q = url.Values{"filter": {`externalId eq "` + "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0" + `"`}}
	empty := h.do("GET", "/scim/v2/Users?"+q.Encode(), "").expect(t, http.StatusOK)
	if empty.body["totalResults"] != 0.0 || len(empty.body["Resources"].([]any)) != 0 {
		t.Errorf("empty list = %s", empty.raw)
	}

	// count=0 returns only the total; startIndex below 1 counts as 1.
	zero := h.do("GET", "/scim/v2/Users?count=0&startIndex=-5", "").expect(t, http.StatusOK)
	if zero.body["totalResults"] != 2.0 || zero.body["itemsPerPage"] != 0.0 ||
		zero.body["startIndex"] != 1.0 {
		t.Errorf("count=0 = %s", zero.raw)
	}
	second := h.do("GET", "/scim/v2/Users?count=1&startIndex=2", "").expect(t, http.StatusOK)
	res := second.body["Resources"].([]any)
	if len(res) != 1 || res[0].(map[string]any)["userName"] != "bob@example.com" {
		t.Errorf("page 2 = %s", second.raw)
	}

	h.do("GET", "/scim/v2/Users?count=ten", "").expectError(t, http.StatusBadRequest, "invalidValue")

	// attributes narrows each resource, id always kept.
	narrow := h.do("GET", "/scim/v2/Users?attributes=userName", "").expect(t, http.StatusOK)
	first := narrow.body["Resources"].([]any)[0].(map[string]any)
	if first["id"] == nil || first["userName"] == nil || first["name"] != nil {
		t.Errorf("projected = %v", first)
	}
}

func TestSearchEndpoints(t *testing.T) {
	h := newHarness(t)
	h.createAda()
	h.do("POST", "/scim/v2/Groups", `{"displayName":"Sales"}`).expect(t, http.StatusCreated)

	body := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
	  "filter":"userName sw \"ada\"","startIndex":1,"count":10,"attributes":["userName"]}`
	res := h.do("POST", "/scim/v2/Users/.search", body).expect(t, http.StatusOK)
	if res.body["totalResults"] != 1.0 {
		t.Errorf("users search = %s", res.raw)
	}

	all := h.do("POST", "/scim/v2/.search", `{"count":10}`).expect(t, http.StatusOK)
	if all.body["totalResults"] != 2.0 || len(all.body["Resources"].([]any)) != 2 {
		t.Errorf("root search = %s", all.raw)
	}
	h.do("POST", "/scim/v2/Users/.search", `{"count":"10"}`).
		expectError(t, http.StatusBadRequest, "invalidValue")
}

func TestPatchOktaDeactivate(t *testing.T) {
	h := newHarness(t)
	id := h.createAda()["id"].(string)

	res := h.do("PATCH", "/scim/v2/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
	  "Operations":[{"op":"replace","value":{"active":false}}]}`).expect(t, http.StatusOK)
	if res.body["active"] != false || res.body["userName"] != "ada@example.com" {
		t.Errorf("PATCH = %s", res.raw)
	}
	got := h.do("GET", "/scim/v2/Users/"+id, "").expect(t, http.StatusOK)
	if got.body["active"] != false {
		t.Errorf("stored active = %v", got.body["active"])
	}
}

func TestPatchEntraDialect(t *testing.T) {
	h := newHarness(t)
	id := h.createAda()["id"].(string)

	res := h.do("PATCH", "/scim/v2/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
	 "Operations":[{"op":"Replace","path":"active","value":"False"},
	   {"op":"Replace","path":"emails[type eq \"work\"].value","value":"new@example.com"},
	   {"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
	    "value":"42"},
	   {"op":"replace","value":{"displayName":"Ada L","name.givenName":"Augusta"}}]}`).
		expect(t, http.StatusOK)

	emails := res.body["emails"].([]any)
	ent := res.body["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"].(map[string]any)
	name := res.body["name"].(map[string]any)
	if res.body["active"] != false || emails[0].(map[string]any)["value"] != "new@example.com" ||
		ent["employeeNumber"] != "42" || name["givenName"] != "Augusta" ||
		res.body["displayName"] != "Ada L" {
		t.Errorf("PATCH = %s", res.raw)
	}
}

func TestPatchErrorsAndPreconditions(t *testing.T) {
	h := newHarness(t)
	id := h.createAda()["id"].(string)
	path := "/scim/v2/Users/" + id

	h.do("PATCH", path, `{"Operations":[{"op":"remove"}]}`).
		expectError(t, http.StatusBadRequest, "noTarget")
	h.do("PATCH", path, `{"Operations":[{"op":"replace","path":"emails[type eq","value":"x"}]}`).
		expectError(t, http.StatusBadRequest, "invalidPath")
	h.do("PATCH", path, `{"Operations":[{"op":"replace","path":"id","value":"x"}]}`).
		expectError(t, http.StatusBadRequest, "mutability")

	// A stale If-Match is refused without writing.
	stale := `{"Operations":[{"op":"replace","path":"title","value":"Countess"}]}`
	h.do("PATCH", path, stale, "If-Match", `W/"7"`).expectError(t, http.StatusPreconditionFailed, "")
	h.do("PUT", path, `{"userName":"ada@example.com"}`, "If-Match", `W/"7"`).
		expectError(t, http.StatusPreconditionFailed, "")
	h.do("DELETE", path, "", "If-Match", `W/"7"`).expectError(t, http.StatusPreconditionFailed, "")
	ok := h.do("PATCH", path, stale, "If-Match", `W/"1"`).expect(t, http.StatusOK)
	if ok.body["title"] != "Countess" || ok.header.Get("ETag") != `W/"2"` {
		t.Errorf("PATCH with current If-Match = %s", ok.raw)
	}

	// If-None-Match with the current version answers 304.
	h.do("GET", path, "", "If-None-Match", `W/"2"`).expect(t, http.StatusNotModified)
	h.do("GET", path, "", "If-None-Match", `W/"1"`).expect(t, http.StatusOK)
}

func TestPatchRetriesLostRaceWithoutIfMatch(t *testing.T) {
	h := newHarness(t)
	id := h.createAda()["id"].(string)

	// The first write finds the user changed behind its back; the gateway
	// reads again and succeeds.
	raced := false
	h.core.FailWith(func(method string) error {
		if method == "UpdateUser" && !raced {
			raced = true
			return &core.Error{Kind: core.KindPreconditionFailed, Message: "version mismatch"}
		}
		return nil
	})
	h.do("PATCH", "/scim/v2/Users/"+id, `{"Operations":[{"op":"replace","path":"title","value":"x"}]}`).
		expect(t, http.StatusOK)
	if n := h.core.Calls("GetUser"); n != 2 {
		t.Errorf("GetUser called %d times, want 2", n)
	}
}

func TestAuthentication(t *testing.T) {
	h := newHarness(t)

	missing := h.do("GET", "/scim/v2/Users", "", "Authorization", "")
	missing.expectError(t, http.StatusUnauthorized, "")
	if missing.header.Get("WWW-Authenticate") == "" {
		t.Error("401 without WWW-Authenticate")
	}
	if h.core.Calls("ListUsers") != 0 {
		t.Error("the core was called without a token")
	}

	h.do("GET", "/scim/v2/Users", "", "Authorization", "Bearer wrong").
		expectError(t, http.StatusUnauthorized, "")
	h.do("GET", "/scim/v2/Users", "", "Authorization", "Basic dXNlcjpwYXNz").
		expectError(t, http.StatusUnauthorized, "")
	h.do("GET", "/scim/v2/ServiceProviderConfig", "", "Authorization", "Bearer wrong").
		expectError(t, http.StatusUnauthorized, "")

	// A token that is not printable ASCII is refused without asking the
	// core, which could never match it (gRPC would refuse to carry it).
	before := h.core.Calls("ListUsers")
	for _, bad := range []string{"Bearer tökén", "Bearer \xe9\xe8", "Bearer " + token + "\u00a0"} {
		res := h.do("GET", "/scim/v2/Users", "", "Authorization", bad)
		res.expectError(t, http.StatusUnauthorized, "")
		if res.header.Get("WWW-Authenticate") == "" {
			t.Errorf("%q: 401 without WWW-Authenticate", bad)
		}
	}
	if h.core.Calls("ListUsers") != before {
		t.Error("the core was called with a token that is not printable ASCII")
	}

	// Entra ID's doubled prefix and a lower-case scheme work.
	h.do("GET", "/scim/v2/Users", "", "Authorization", "Bearer Bearer "+token).expect(t, http.StatusOK)
	h.do("GET", "/scim/v2/Users", "", "Authorization", "bearer "+token).expect(t, http.StatusOK)
}

func TestBearerToken(t *testing.T) {
	for header, want := range map[string]string{
		"Bearer abc":              "abc",
		"BEARER abc":              "abc",
		"Bearer Bearer abc":       "abc",
		"  bearer   abc  ":        "abc",
		"Bearer":                  "",
		"Bearer ":                 "",
		"Bearer a b":              "",
		"Basic abc":               "",
		"abc":                     "",
		"Bearer Bearer a b c":     "",
		"Bearer tökén":            "",
		"Bearer abc\x00":          "",
		"Bearer a\x7fb":           "",
		"Bearer a\x1bb":           "",
		"Bearer \xff\xfe":         "",
		"Bearer a~!#$%&'*+-.^_`|": "a~!#$%&'*+-.^_`|",
	} {
		got, ok := httpapi.BearerToken(header)
		if got != want || ok != (want != "") {
			t.Errorf("BearerToken(%q) = %q, %v; want %q", header, got, ok, want)
		}
	}
}

func TestMalformedRequests(t *testing.T) {
	h := newHarness(t)
	h.do("POST", "/scim/v2/Users", `{"userName":`).expectError(t, http.StatusBadRequest, "invalidSyntax")
	h.do("POST", "/scim/v2/Users", `{"userName":"x","active":"maybe"}`).
		expectError(t, http.StatusBadRequest, "invalidValue")
	h.do("POST", "/scim/v2/Users", `{"name":{"givenName":"x"}}`).
		expectError(t, http.StatusBadRequest, "invalidValue")
	h.do("GET", "/scim/v2/Users?filter="+url.QueryEscape(`userName eq`), "").
		expectError(t, http.StatusBadRequest, "invalidFilter")
	h.do("GET", "/scim/v2/Users?filter="+url.QueryEscape(`userName eq "x" or (`), "").
		expectError(t, http.StatusBadRequest, "invalidFilter")
	h.do("POST", "/scim/v2/Users", adaBody, "Content-Type", "text/plain").
		expectError(t, http.StatusUnsupportedMediaType, "")

	// application/json is accepted as well.
	h.do("POST", "/scim/v2/Users", adaBody, "Content-Type", "application/json; charset=utf-8").
		expect(t, http.StatusCreated)

	big := `{"userName":"` + strings.Repeat("x", httpapi.DefaultMaxBodyBytes) + `"}`
	h.do("POST", "/scim/v2/Users", big).expectError(t, http.StatusRequestEntityTooLarge, "")
}

func TestRoutingErrors(t *testing.T) {
	h := newHarness(t)
	h.do("GET", "/scim/v2/Nope", "").expectError(t, http.StatusNotFound, "")
	h.do("POST", "/scim/v2/Users/u-1", "{}").expectError(t, http.StatusMethodNotAllowed, "")
	h.do("GET", "/scim/v2/Me", "").expectError(t, http.StatusNotImplemented, "")
	h.do("POST", "/scim/v2/Bulk", "{}").expectError(t, http.StatusNotImplemented, "")
}

func TestCoreErrorMapping(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		err      error
		status   int
		scimType string
		detail   string
	}{
		{&core.Error{Kind: core.KindInvalid, ScimType: "invalidFilter", Message: "bad attr"},
			400, "invalidFilter", "bad attr"},
		{&core.Error{Kind: core.KindPermissionDenied, Message: "client disabled"}, 403, "", "client disabled"},
		{&core.Error{Kind: core.KindConflict, Message: "try again"}, 409, "", "try again"},
		{&core.Error{Kind: core.KindUnimplemented, Message: "no sort"}, 501, "", "no sort"},
		{&core.Error{Kind: core.KindUnavailable, Message: "dial tcp 10.0.0.5: refused"}, 503, "",
			"the provisioning service is unavailable, try again later"},
		{&core.Error{Kind: core.KindInternal, Message: "pq: relation members"}, 500, "", "internal error"},
		{errors.New("boom at 0xdeadbeef"), 500, "", "internal error"},
	}
	for _, tt := range tests {
		h.core.FailWith(func(string) error { return tt.err })
		res := h.do("GET", "/scim/v2/Users", "")
		res.expectError(t, tt.status, tt.scimType)
		if res.body["detail"] != tt.detail {
			t.Errorf("%v: detail = %v, want %q", tt.err, res.body["detail"], tt.detail)
		}
	}

	h.core.FailWith(func(string) error {
		return &core.Error{Kind: core.KindRateLimited, Message: "slow down",
			RetryAfter: 2500 * time.Millisecond}
	})
	res := h.do("GET", "/scim/v2/Users", "")
	res.expectError(t, http.StatusTooManyRequests, "")
	if res.header.Get("Retry-After") != "3" {
		t.Errorf("Retry-After = %q, want 3", res.header.Get("Retry-After"))
	}
}

func TestRequestID(t *testing.T) {
	h := newHarness(t)
	res := h.do("GET", "/scim/v2/Users", "", "X-Request-Id", "abc-123")
	if res.header.Get("X-Request-Id") != "abc-123" {
		t.Errorf("request id = %q", res.header.Get("X-Request-Id"))
	}
	res = h.do("GET", "/scim/v2/Users", "", "X-Request-Id", "bad id\twith spaces")
	if got := res.header.Get("X-Request-Id"); got == "" || strings.Contains(got, " ") {
		t.Errorf("unsafe request id echoed: %q", got)
	}
}

func TestGroups(t *testing.T) {
	h := newHarness(t)
	ada := h.createAda()["id"].(string)
	bob := h.do("POST", "/scim/v2/Users", `{"userName":"bob"}`).expect(t, http.StatusCreated).body["id"].(string)

	// Entra ID's create: a Microsoft schema URI and no members.
	created := h.do("POST", "/scim/v2/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group",
	  "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
	  "externalId":"g-ext","displayName":"Sales","meta":{"resourceType":"Group"}}`).
		expect(t, http.StatusCreated)
	gid := created.body["id"].(string)
	path := "/scim/v2/Groups/" + gid
	if created.header.Get("Location") != h.srv.URL+path {
		t.Errorf("Location = %q", created.header.Get("Location"))
	}
	h.do("POST", "/scim/v2/Groups", `{"displayName":"sales"}`).expectError(t, 409, "uniqueness")

	// Membership PATCH answers 204.
	res := h.do("PATCH", path, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
	  "Operations":[{"op":"Add","path":"members","value":[{"$ref":null,"value":"`+ada+`"},
	  {"value":"`+bob+`"}]}]}`)
	res.expect(t, http.StatusNoContent)
	if res.raw != "" {
		t.Errorf("204 with a body: %s", res.raw)
	}

	got := h.do("GET", path, "").expect(t, http.StatusOK)
	members := got.body["members"].([]any)
	if len(members) != 2 ||
		members[0].(map[string]any)["$ref"] != h.srv.URL+"/scim/v2/Users/"+ada {
		t.Errorf("members = %v", members)
	}

	// Entra ID's removal without the flag, and Okta's with a value path.
	h.do("PATCH", path, `{"Operations":[{"op":"Remove","path":"members","value":[{"value":"`+ada+`"}]}]}`).
		expect(t, http.StatusNoContent)
	h.do("PATCH", path, `{"Operations":[{"op":"remove","path":"members[value eq \"`+bob+`\"]"}]}`).
		expect(t, http.StatusNoContent)

	// Okta's rename carries the group id; asking for attributes gets 200.
	renamed := h.do("PATCH", path+"?attributes=displayName",
		`{"Operations":[{"op":"replace","value":{"id":"`+gid+`","displayName":"Revenue"}}]}`).
		expect(t, http.StatusOK)
	if renamed.body["displayName"] != "Revenue" || renamed.body["members"] != nil {
		t.Errorf("renamed = %s", renamed.raw)
	}

	// Reads with excludedAttributes=members, as Entra ID does.
	q := url.Values{"excludedAttributes": {"members"}, "filter": {`displayName eq "revenue"`}}
	list := h.do("GET", "/scim/v2/Groups?"+q.Encode(), "").expect(t, http.StatusOK)
	if list.body["totalResults"] != 1.0 {
		t.Errorf("group list = %s", list.raw)
	}

	put := h.do("PUT", path, `{"displayName":"Revenue","members":[{"value":"`+bob+`"}]}`).
		expect(t, http.StatusOK)
	if len(put.body["members"].([]any)) != 1 {
		t.Errorf("PUT = %s", put.raw)
	}
	h.do("PATCH", path, `{"Operations":[{"op":"remove","path":"displayName"}]}`).
		expectError(t, http.StatusBadRequest, "mutability")
	h.do("PATCH", path, `{"Operations":[{"op":"add","path":"members","value":[]}]}`, "If-Match", `W/"1"`).
		expectError(t, http.StatusPreconditionFailed, "")

	h.do("DELETE", path, "").expect(t, http.StatusNoContent)
	h.do("GET", path, "").expectError(t, http.StatusNotFound, "")
}

func TestDiscovery(t *testing.T) {
	h := newHarness(t)

	spc := h.do("GET", "/scim/v2/ServiceProviderConfig", "").expect(t, http.StatusOK)
	for _, feature := range []string{"bulk", "changePassword"} {
		if spc.body[feature].(map[string]any)["supported"] != false {
			t.Errorf("%s declared supported", feature)
		}
	}
	for _, feature := range []string{"patch", "filter", "etag", "sort"} {
		if spc.body[feature].(map[string]any)["supported"] != true {
			t.Errorf("%s declared unsupported", feature)
		}
	}
	if spc.body["filter"].(map[string]any)["maxResults"] != float64(httpapi.MaxCount) {
		t.Errorf("filter = %v", spc.body["filter"])
	}

	rts := h.do("GET", "/scim/v2/ResourceTypes", "").expect(t, http.StatusOK)
	if rts.body["totalResults"] != 2.0 {
		t.Errorf("resource types = %s", rts.raw)
	}
	h.do("GET", "/scim/v2/ResourceTypes/User", "").expect(t, http.StatusOK)

	schemas := h.do("GET", "/scim/v2/Schemas", "").expect(t, http.StatusOK)
	if schemas.body["totalResults"] != 3.0 || strings.Contains(schemas.raw, "null") ||
		strings.Contains(schemas.raw, "password") {
		t.Errorf("schemas = %s", schemas.raw)
	}
	user := h.do("GET", "/scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:User", "").
		expect(t, http.StatusOK)
	if !strings.Contains(user.raw, `"name":"userName"`) {
		t.Errorf("user schema = %s", user.raw)
	}
	h.do("GET", "/scim/v2/Schemas/urn:nope", "").expectError(t, http.StatusNotFound, "")
}

func TestHealth(t *testing.T) {
	h := newHarness(t)
	h.do("GET", "/healthz", "", "Authorization", "").expect(t, http.StatusOK)
	h.do("GET", "/readyz", "", "Authorization", "").expect(t, http.StatusOK)
}

// TestRateLimitAnswers429 checks Okta's needs: a SCIM error with status
// "429" and an integer Retry-After, before the core is asked.
func TestRateLimitAnswers429(t *testing.T) {
	fake := corefake.New(token)
	srv := httptest.NewServer(httpapi.New(httpapi.Options{Core: fake, RateLimit: 1, RateBurst: 2}))
	t.Cleanup(srv.Close)
	h := &harness{t: t, srv: srv, core: fake}

	for range 2 {
		if r := h.do(http.MethodGet, "/scim/v2/Users", ""); r.status != http.StatusOK {
			t.Fatalf("within the burst: status %d", r.status)
		}
	}
	r := h.do(http.MethodGet, "/scim/v2/Users", "")
	if r.status != http.StatusTooManyRequests {
		t.Fatalf("over the rate: status %d, want 429", r.status)
	}
	if got := r.header.Get("Retry-After"); got != "1" {
		t.Errorf("Retry-After = %q, want the integer 1", got)
	}
	if r.body["status"] != "429" {
		t.Errorf("error body = %s", r.raw)
	}
	other := h.do(http.MethodGet, "/scim/v2/Users", "", "Authorization", "Bearer another-token")
	if other.status == http.StatusTooManyRequests {
		t.Error("another token was limited by the first one's requests")
	}
}

func TestTooManyValuesAreRefusedBeforeTheCore(t *testing.T) {
	h := newHarness(t)
	emails := make([]string, 15000)
	for i := range emails {
		emails[i] = `{"value":"a` + itoa(i) + `@example.com"}`
	}
	body := `{"userName":"ada@example.com","emails":[` + strings.Join(emails, ",") + `]}`

	h.do("POST", "/scim/v2/Users", body).expectError(t, http.StatusBadRequest, "invalidValue")
	if n := h.core.Calls("CreateUser"); n != 0 {
		t.Errorf("CreateUser called %d times", n)
	}
}
