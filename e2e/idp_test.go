package e2e

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// A conversation is what one identity provider says to the gateway, step by
// step, and what it expects back. Conversations are JSON files under
// testdata/idp/<idp>/, written from the identity provider's public
// documentation; TestIdentityProviderConversations replays each against the
// real services on every database.
type conversation struct {
	Description string `json:"description"`
	// Sources name the public documentation the steps follow.
	Sources []string `json:"sources"`
	// IdentityProvider is what the provisioning log must record for every
	// SCIM event of the conversation, and the client's statistics after it.
	IdentityProvider string `json:"identityProvider"`
	// Env adds environment variables for both services, such as a low rate
	// limit.
	Env []string `json:"env"`
	// Headers are sent with every step unless the step overrides them; an
	// empty value in a step removes the header.
	Headers map[string]string  `json:"headers"`
	Steps   []conversationStep `json:"steps"`
}

// conversationStep is one request. Strings of the path, headers and body may
// name variables as ${name}: token, clientId, uuid (a random GUID fixed for
// the conversation) and whatever earlier steps captured.
type conversationStep struct {
	Name string `json:"name"`
	// Admin sends the step to the admin REST API with an owner's token
	// instead of to the SCIM API.
	Admin   bool              `json:"admin"`
	Method  string            `json:"method"`
	Path    string            `json:"path"`
	Headers map[string]string `json:"headers"`
	Body    json.RawMessage   `json:"body"`
	// Repeat sends the request up to Repeat times until the expected status
	// comes back, for limits that need a burst.
	Repeat int             `json:"repeat"`
	Expect stepExpectation `json:"expect"`
	// Capture stores values of the answer for later steps: a body path, or
	// "header:<name>".
	Capture map[string]string `json:"capture"`
	// Events are the provisioning events the request must leave, in any
	// order; a SCIM step without them must leave none.
	Events []eventExpectation `json:"events"`
}

// stepExpectation is what a step's answer must be. Body maps a path of keys
// and list indices joined by "/" (so that URNs keep their dots) to a value
// or a matcher: "$absent", "$present", "$integer", "$len:N" or
// "$values:a,b" (the set of the list's "value" sub-attributes).
type stepExpectation struct {
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    map[string]any    `json:"body"`
}

type eventExpectation struct {
	Operation string `json:"operation"`
	// Outcome is "succeeded" when empty.
	Outcome string `json:"outcome"`
	// CompatibilityRules must equal the rules recorded, in any order.
	CompatibilityRules []string `json:"compatibilityRules"`
	// IdentityProvider overrides the conversation's.
	IdentityProvider *string `json:"identityProvider"`
}

// loggedEvent is a provisioning event as the admin REST API returns it.
type loggedEvent struct {
	ID                 string   `json:"id"`
	ClientID           string   `json:"clientId"`
	Operation          string   `json:"operation"`
	Outcome            string   `json:"outcome"`
	RequestID          string   `json:"requestId"`
	IdentityProvider   string   `json:"identityProvider"`
	CompatibilityRules []string `json:"compatibilityRules"`
}

// TestIdentityProviderConversations replays every conversation of
// testdata/idp against the real services, on SQLite and on Postgres.
func TestIdentityProviderConversations(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "idp", "*", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no conversations under testdata/idp")
	}
	for _, file := range files {
		conv := loadConversation(t, file)
		name := filepath.Base(filepath.Dir(file)) + "/" + strings.TrimSuffix(filepath.Base(file), ".json")
		t.Run(name, func(t *testing.T) {
			for dbName, newDatabase := range databases() {
				t.Run(dbName, func(t *testing.T) {
					t.Parallel()
					s := StartSystemWithEnv(t, newDatabase(t), conv.Env...)
					replay(t, s, conv)
				})
			}
		})
	}
}

func loadConversation(t *testing.T, file string) conversation {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var conv conversation
	if err := dec.Decode(&conv); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if len(conv.Steps) == 0 {
		t.Fatalf("%s has no steps", file)
	}
	return conv
}

// replay runs the steps in order, then checks the provisioning log and the
// client's statistics against what the steps expect.
func replay(t *testing.T, s *System, conv conversation) {
	vars := map[string]string{
		"token":    s.ScimToken,
		"clientId": s.ClientID,
		"uuid":     randomGUID(),
	}
	requestIDs := make([]string, len(conv.Steps))
	for i, step := range conv.Steps {
		requestID := fmt.Sprintf("idp-step-%d-%s", i+1, randomSuffix())
		label := fmt.Sprintf("step %d (%s)", i+1, step.Name)
		resp := sendStep(t, s, conv, step, vars, requestID)
		checkAnswer(t, label, step, resp, vars)
		for name, from := range step.Capture {
			vars[name] = capture(t, label, resp, from)
		}
		requestIDs[i] = requestID
	}

	var page struct {
		Events []loggedEvent `json:"events"`
	}
	status := s.Admin(http.MethodGet, "/v1/provisioning-events?pageSize=500&clientId="+s.ClientID, nil, &page)
	if status != http.StatusOK {
		t.Fatalf("list provisioning events: status %d", status)
	}
	got := map[string][]loggedEvent{}
	for _, e := range page.Events {
		got[e.RequestID] = append(got[e.RequestID], e)
	}
	ruleCounts := map[string]int64{}
	for i, step := range conv.Steps {
		if step.Admin {
			continue
		}
		requestID := requestIDs[i]
		label := fmt.Sprintf("step %d (%s)", i+1, step.Name)
		checkEvents(t, label, conv, step.Events, got[requestID])
		for _, e := range got[requestID] {
			for _, rule := range e.CompatibilityRules {
				ruleCounts[rule]++
			}
		}
	}
	checkStatistics(t, s, conv, ruleCounts)

	if log := s.Log(); strings.Contains(log, s.ScimToken) {
		t.Errorf("the SCIM token appears in the services' logs")
	}
}

func sendStep(
	t *testing.T,
	s *System,
	conv conversation,
	step conversationStep,
	vars map[string]string,
	requestID string,
) *Response {
	t.Helper()
	base, headers := s.ScimBaseURL, map[string]string{}
	if step.Admin {
		base = s.AdminURL
		headers["Authorization"] = "Bearer " + s.AdminToken
		headers["Content-Type"] = "application/json"
	} else {
		for k, v := range conv.Headers {
			headers[k] = v
		}
		if len(step.Body) > 0 {
			headers["Content-Type"] = "application/scim+json"
		}
	}
	for k, v := range step.Headers {
		headers[k] = v
	}
	headers["X-Request-Id"] = requestID

	attempts := max(step.Repeat, 1)
	var resp *Response
	for range attempts {
		var body io.Reader
		if len(step.Body) > 0 {
			body = strings.NewReader(substitute(t, string(step.Body), vars))
		}
		req, err := http.NewRequest(step.Method, base+substitute(t, step.Path, vars), body)
		if err != nil {
			t.Fatalf("%s: %v", step.Name, err)
		}
		for k, v := range headers {
			if v != "" {
				req.Header.Set(k, substitute(t, v, vars))
			}
		}
		httpResp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", step.Name, err)
		}
		raw, err := io.ReadAll(httpResp.Body)
		httpResp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		resp = &Response{Status: httpResp.StatusCode, Header: httpResp.Header, Raw: raw}
		if len(raw) > 0 {
			if err := json.Unmarshal(raw, &resp.Body); err != nil {
				t.Fatalf("%s: answer is not a JSON object: %s", step.Name, raw)
			}
		}
		if resp.Status == step.Expect.Status {
			break
		}
	}
	return resp
}

var variable = regexp.MustCompile(`\$\{([A-Za-z0-9_]+)\}`)

func substitute(t *testing.T, text string, vars map[string]string) string {
	t.Helper()
	return variable.ReplaceAllStringFunc(text, func(m string) string {
		name := variable.FindStringSubmatch(m)[1]
		v, ok := vars[name]
		if !ok {
			t.Fatalf("variable %s is not captured yet", name)
		}
		return v
	})
}

func checkAnswer(t *testing.T, label string, step conversationStep, resp *Response, vars map[string]string) {
	t.Helper()
	if resp.Status != step.Expect.Status {
		t.Fatalf("%s: %s %s answered %d, want %d: %s", label, step.Method, step.Path,
			resp.Status, step.Expect.Status, resp.Raw)
	}
	if resp.Status >= 400 && !step.Admin {
		expectSCIMError(t, resp, resp.Status, "")
	}
	if len(resp.Raw) > 0 && !step.Admin {
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/scim+json") {
			t.Errorf("%s: content type %q", label, ct)
		}
	}
	for name, want := range step.Expect.Headers {
		got := resp.Header.Get(name)
		if !matches(t, want, got, got != "", vars) {
			t.Errorf("%s: header %s = %q, want %s", label, name, got, want)
		}
	}
	for path, want := range step.Expect.Body {
		got, present := lookup(resp.Body, path)
		if !matches(t, want, got, present, vars) {
			t.Errorf("%s: %s = %v, want %v\n%s", label, path, jsonText(got), jsonText(want), resp.Raw)
		}
	}
}

// matches compares an answer's value with an expectation; header values
// are strings that "$integer" parses.
func matches(t *testing.T, want, got any, present bool, vars map[string]string) bool {
	t.Helper()
	w, isString := want.(string)
	if !isString {
		return present && reflect.DeepEqual(normalize(want, vars, t), got)
	}
	switch {
	case w == "$absent":
		return !present
	case w == "$present":
		return present
	case w == "$integer":
		switch g := got.(type) {
		case float64:
			return g == math.Trunc(g)
		case string:
			_, err := strconv.Atoi(g)
			return err == nil
		}
		return false
	case strings.HasPrefix(w, "$len:"):
		n, _ := strconv.Atoi(strings.TrimPrefix(w, "$len:"))
		list, _ := got.([]any)
		return len(list) == n && (present || n == 0)
	case strings.HasPrefix(w, "$values:"):
		var wantValues []string
		if list := substitute(t, strings.TrimPrefix(w, "$values:"), vars); list != "" {
			wantValues = strings.Split(list, ",")
		}
		var gotValues []string
		items, _ := got.([]any)
		for _, item := range items {
			m, _ := item.(map[string]any)
			v, _ := m["value"].(string)
			gotValues = append(gotValues, v)
		}
		slices.Sort(wantValues)
		slices.Sort(gotValues)
		return slices.Equal(wantValues, gotValues)
	}
	return present && got == substitute(t, w, vars)
}

// normalize gives an expected value the types a decoded answer has, with
// variables substituted in its strings.
func normalize(v any, vars map[string]string, t *testing.T) any {
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal([]byte(substitute(t, string(data), vars)), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// lookup follows a path of keys and list indices joined by "/".
func lookup(body map[string]any, path string) (any, bool) {
	var v any = body
	for _, part := range strings.Split(path, "/") {
		switch node := v.(type) {
		case map[string]any:
			next, ok := node[part]
			if !ok {
				return nil, false
			}
			v = next
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(node) {
				return nil, false
			}
			v = node[i]
		default:
			return nil, false
		}
	}
	return v, v != nil
}

func capture(t *testing.T, label string, resp *Response, from string) string {
	t.Helper()
	if name, ok := strings.CutPrefix(from, "header:"); ok {
		v := resp.Header.Get(name)
		if v == "" {
			t.Fatalf("%s: no %s header to capture", label, name)
		}
		return v
	}
	v, _ := lookup(resp.Body, from)
	s, ok := v.(string)
	if !ok || s == "" {
		t.Fatalf("%s: nothing to capture at %s: %s", label, from, resp.Raw)
	}
	return s
}

func checkEvents(t *testing.T, label string, conv conversation, want []eventExpectation, got []loggedEvent) {
	t.Helper()
	describe := func(op, outcome, idp string, rules []string) string {
		rules = slices.Clone(rules)
		slices.Sort(rules)
		return fmt.Sprintf("%s/%s idp=%q rules=%v", op, outcome, idp, rules)
	}
	var wantText, gotText []string
	for _, w := range want {
		outcome := w.Outcome
		if outcome == "" {
			outcome = "succeeded"
		}
		idp := conv.IdentityProvider
		if w.IdentityProvider != nil {
			idp = *w.IdentityProvider
		}
		wantText = append(wantText, describe(w.Operation, outcome, idp, w.CompatibilityRules))
	}
	for _, e := range got {
		outcome := strings.ToLower(strings.TrimPrefix(e.Outcome, "PROVISIONING_OUTCOME_"))
		gotText = append(gotText, describe(e.Operation, outcome, e.IdentityProvider, e.CompatibilityRules))
	}
	slices.Sort(wantText)
	slices.Sort(gotText)
	if !slices.Equal(wantText, gotText) {
		t.Errorf("%s: provisioning events\n got %v\nwant %v", label, gotText, wantText)
	}
}

// checkStatistics compares the client's statistics and settings with the
// provisioning log: its identity provider and how often each rule applied.
func checkStatistics(t *testing.T, s *System, conv conversation, ruleCounts map[string]int64) {
	t.Helper()
	var stats struct {
		IdentityProvider   string `json:"identityProvider"`
		CompatibilityRules []struct {
			Rule     string `json:"rule"`
			Requests string `json:"requests"`
		} `json:"compatibilityRules"`
	}
	status := s.Admin(http.MethodGet, "/v1/scim-clients/"+s.ClientID+"/statistics", nil, &stats)
	if status != http.StatusOK {
		t.Fatalf("client statistics: status %d", status)
	}
	if stats.IdentityProvider != conv.IdentityProvider {
		t.Errorf("statistics identityProvider = %q, want %q", stats.IdentityProvider, conv.IdentityProvider)
	}
	got := map[string]int64{}
	for _, r := range stats.CompatibilityRules {
		n, err := strconv.ParseInt(r.Requests, 10, 64)
		if err != nil {
			t.Errorf("statistics: rule %s counts %q requests", r.Rule, r.Requests)
		}
		got[r.Rule] = n
	}
	if !reflect.DeepEqual(got, ruleCounts) && (len(got) > 0 || len(ruleCounts) > 0) {
		t.Errorf("statistics compatibility rules = %v, want %v (from the log)", got, ruleCounts)
	}

	var client struct {
		Client struct {
			IdentityProvider string `json:"identityProvider"`
		} `json:"client"`
	}
	if status := s.Admin(http.MethodGet, "/v1/scim-clients/"+s.ClientID, nil, &client); status != http.StatusOK {
		t.Fatalf("get client: status %d", status)
	}
	if client.Client.IdentityProvider != conv.IdentityProvider {
		t.Errorf("client identityProvider = %q, want %q", client.Client.IdentityProvider, conv.IdentityProvider)
	}
}

func jsonText(v any) string {
	data, _ := json.Marshal(v)
	return string(data)
}

// randomGUID returns a random version 4 GUID, as Entra ID's connection test
// sends.
func randomGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
