// Package e2e starts the real provisioning core and SCIM gateway as separate
// processes on loopback sockets and drives them the way an identity provider
// and an admin do.
package e2e

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	provisioningv1 "github.com/craevidence/scim-provisioning/api/gen/craevidence/provisioning/v1"
)

// binaries holds the paths of the two service binaries, built once by
// TestMain.
var binaries struct {
	provisioning string
	gateway      string
}

const (
	adminJWTSecret       = "e2e-admin-secret-of-enough-length-for-hs256"
	internalServiceToken = "e2e-internal-service-token"
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "cra-scim-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binaries.provisioning = filepath.Join(dir, "provisioning")
	binaries.gateway = filepath.Join(dir, "scim-gateway")

	module := "github.com/craevidence/scim-provisioning/services/"
	builds := map[string]string{
		binaries.provisioning: module + "provisioning/cmd/provisioning",
		binaries.gateway:      module + "scim-gateway/cmd/scim-gateway",
	}
	for out, pkg := range builds {
		cmd := exec.Command("go", "build", "-o", out, pkg)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "build %s: %v\n", pkg, err)
			os.RemoveAll(dir)
			os.Exit(1)
		}
	}

	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// System is one running pair of services with a provisioned organisation
// and SCIM client.
type System struct {
	t           testing.TB
	env         []string
	logDir      string
	core        *process
	gateway     *process
	ScimBaseURL string
	AdminURL    string
	GRPCAddr    string
	// CoreMetricsURL and GatewayMetricsURL are each service's /metrics.
	CoreMetricsURL    string
	GatewayMetricsURL string
	// coreAddrs are the addresses the core bound on its first start; a
	// restart binds the same ones, so the gateway finds it again.
	coreAddrs    []string
	Organization string
	ClientID     string
	ScimToken    string
	AdminToken   string
}

type process struct {
	name string
	cmd  *exec.Cmd
	log  string
	// logStart is where this run's lines begin in a log shared with
	// earlier runs of the same service.
	logStart int64
	exited   chan struct{}
	waitErr  error
}

// StartSystem starts the core on databaseURL and the gateway in front of it,
// creates an Enterprise organisation through the directory API and a SCIM
// client through the admin REST API.
func StartSystem(t testing.TB, databaseURL string) *System {
	t.Helper()
	return StartSystemWithEnv(t, databaseURL)
}

// StartSystemWithEnv is StartSystem with extra environment variables for
// both services, such as a low SCIM rate limit; they win over the defaults.
func StartSystemWithEnv(t testing.TB, databaseURL string, extraEnv ...string) *System {
	t.Helper()

	// Every service binds port 0 and the harness reads the address it got
	// from its start-up log line, so parallel tests never race for a port
	// and never mistake another test's server for their own.
	s := &System{
		t:      t,
		logDir: t.TempDir(),
		env: []string{
			"DATABASE_URL=" + databaseURL,
			"DATA_DIR=" + t.TempDir(),
			"ADMIN_JWT_SECRET=" + adminJWTSecret,
			"INTERNAL_SERVICE_TOKEN=" + internalServiceToken,
			"LOG_FORMAT=json",
			"LOG_LEVEL=debug",
		},
	}
	s.env = append(s.env, extraEnv...)
	t.Cleanup(s.stop)

	s.StartCore()
	s.gateway = s.start("scim-gateway", binaries.gateway,
		"PROVISIONING_GRPC_ADDR="+s.GRPCAddr,
		"SCIM_LISTEN_ADDR=127.0.0.1:0",
		"METRICS_ADDR=127.0.0.1:0")
	started := s.waitLog(s.gateway, "scim gateway started")
	metrics := s.waitLog(s.gateway, "metrics server started")
	s.ScimBaseURL = "http://" + started["addr"] + "/scim/v2"
	s.GatewayMetricsURL = "http://" + metrics["addr"] + "/metrics"
	s.waitReady(s.gateway, "http://"+started["addr"]+"/readyz")

	s.Organization = "org-" + randomSuffix()
	s.UpsertOrganization(s.Organization, provisioningv1.Plan_PLAN_ENTERPRISE)
	s.AdminToken = AdminJWT(s.Organization, "owner", time.Hour)

	var created struct {
		Client struct {
			ID string `json:"id"`
		} `json:"client"`
		Token string `json:"token"`
	}
	status := s.Admin(http.MethodPost, "/v1/scim-clients", map[string]any{
		"name":                "Okta",
		"defaultRole":         "MEMBER_ROLE_MEMBER",
		"autoActivate":        true,
		"allowSyncAttributes": true,
	}, &created)
	if status != http.StatusOK || created.Token == "" || created.Client.ID == "" {
		t.Fatalf("create SCIM client: status %d, client %q", status, created.Client.ID)
	}
	s.ClientID, s.ScimToken = created.Client.ID, created.Token
	return s
}

// StartCore starts (or restarts) the provisioning core and waits until it
// is ready.
func (s *System) StartCore() {
	s.t.Helper()
	addrs := s.coreAddrs
	if addrs == nil {
		addrs = []string{"127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"}
	}
	s.core = s.start("provisioning", binaries.provisioning,
		"PROVISIONING_GRPC_ADDR="+addrs[0],
		"ADMIN_HTTP_ADDR="+addrs[1],
		"METRICS_ADDR="+addrs[2])
	metrics := s.waitLog(s.core, "metrics server started")
	started := s.waitLog(s.core, "provisioning core started")
	s.coreAddrs = []string{started["grpc_addr"], started["admin_http_addr"], metrics["addr"]}
	s.GRPCAddr = started["grpc_addr"]
	s.AdminURL = "http://" + started["admin_http_addr"]
	s.CoreMetricsURL = "http://" + metrics["addr"] + "/metrics"
	s.waitReady(s.core, s.AdminURL+"/readyz")
}

// StopCore stops the provisioning core gracefully, as an operator would.
func (s *System) StopCore() {
	s.t.Helper()
	s.terminate(s.core)
}

func (s *System) start(name, binary string, processEnv ...string) *process {
	s.t.Helper()
	logPath := filepath.Join(s.logDir, name+".log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		s.t.Fatal(err)
	}
	info, err := logFile.Stat()
	if err != nil {
		s.t.Fatal(err)
	}
	cmd := exec.Command(binary)
	cmd.Env = append(append(os.Environ(), processEnv...), s.env...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start %s: %v", name, err)
	}
	logFile.Close()

	p := &process{name: name, cmd: cmd, log: logPath, logStart: info.Size(),
		exited: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	return p
}

// waitLog waits for this run of p to log a JSON record with message msg and
// returns its string fields.
func (s *System) waitLog(p *process, msg string) map[string]string {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if fields, ok := findLogRecord(p, msg); ok {
			return fields
		}
		select {
		case <-p.exited:
			if fields, ok := findLogRecord(p, msg); ok {
				return fields
			}
			s.dumpLogs()
			s.t.Fatalf("%s exited before logging %q: %v", p.name, msg, p.waitErr)
		case <-time.After(50 * time.Millisecond):
		}
	}
	s.dumpLogs()
	s.t.Fatalf("%s did not log %q within 30 seconds", p.name, msg)
	return nil
}

func findLogRecord(p *process, msg string) (map[string]string, bool) {
	data, err := os.ReadFile(p.log)
	if err != nil || int64(len(data)) < p.logStart {
		return nil, false
	}
	for _, line := range strings.Split(string(data[p.logStart:]), "\n") {
		var record map[string]any
		if json.Unmarshal([]byte(line), &record) != nil || record["msg"] != msg {
			continue
		}
		fields := map[string]string{}
		for k, v := range record {
			if text, ok := v.(string); ok {
				fields[k] = text
			}
		}
		return fields, true
	}
	return nil, false
}

func (s *System) waitReady(p *process, url string) {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-p.exited:
			s.dumpLogs()
			s.t.Fatalf("%s exited before it was ready: %v", p.name, p.waitErr)
		case <-time.After(100 * time.Millisecond):
		}
	}
	s.dumpLogs()
	s.t.Fatalf("%s did not become ready at %s", p.name, url)
}

func (s *System) terminate(p *process) {
	if p == nil {
		return
	}
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		if p.waitErr != nil {
			s.t.Errorf("%s did not exit cleanly on SIGTERM: %v", p.name, p.waitErr)
		}
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
		s.t.Errorf("%s did not stop within 15s of SIGTERM", p.name)
	}
}

func (s *System) stop() {
	s.terminate(s.gateway)
	s.terminate(s.core)
	if s.t.Failed() {
		s.dumpLogs()
	}
}

func (s *System) dumpLogs() {
	for _, p := range []*process{s.core, s.gateway} {
		if p == nil {
			continue
		}
		data, _ := os.ReadFile(p.log)
		s.t.Logf("--- %s log ---\n%s", p.name, data)
	}
}

// Log returns everything both services have logged so far.
func (s *System) Log() string {
	var all strings.Builder
	for _, p := range []*process{s.core, s.gateway} {
		data, _ := os.ReadFile(p.log)
		all.Write(data)
	}
	return all.String()
}

// UpsertOrganization creates or changes an organisation through the
// directory gRPC API, as another CRA Evidence service would.
func (s *System) UpsertOrganization(id string, plan provisioningv1.Plan) {
	s.t.Helper()
	conn, err := grpc.NewClient(s.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		s.t.Fatal(err)
	}
	defer conn.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+internalServiceToken)
	_, err = provisioningv1.NewDirectoryServiceClient(conn).UpsertOrganization(ctx,
		&provisioningv1.UpsertOrganizationRequest{Organization: &provisioningv1.Organization{
			Id: id, Name: "Organisation " + id, Plan: plan,
		}})
	if err != nil {
		s.t.Fatalf("upsert organisation %s: %v", id, err)
	}
}

// Admin calls the admin REST API with the system's admin token and decodes
// the JSON answer into out, when out is not nil. It returns the status.
func (s *System) Admin(method, path string, body, out any) int {
	s.t.Helper()
	return s.AdminAs(s.AdminToken, method, path, body, out)
}

// AdminAs is Admin with another admin token.
func (s *System) AdminAs(token, method, path string, body, out any) int {
	s.t.Helper()
	resp := do(s.t, method, s.AdminURL+path, token, "application/json", body)
	decode(s.t, resp, out)
	return resp.StatusCode
}

// SCIM sends a SCIM request with the system's SCIM token.
func (s *System) SCIM(method, path string, body any) *Response {
	s.t.Helper()
	return s.SCIMAs(s.ScimToken, method, path, body)
}

// SCIMAs sends a SCIM request with the given bearer token.
func (s *System) SCIMAs(token, method, path string, body any) *Response {
	s.t.Helper()
	resp := do(s.t, method, s.ScimBaseURL+path, token, "application/scim+json", body)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	r := &Response{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &r.Body); err != nil {
			s.t.Fatalf("%s %s: answer is not JSON: %s", method, path, raw)
		}
	}
	return r
}

// Response is a decoded SCIM answer.
type Response struct {
	Status int
	Header http.Header
	Raw    []byte
	Body   map[string]any
}

// String returns the field at a dotted path of the body, or "".
func (r *Response) String(path string) string {
	v := r.Field(path)
	s, _ := v.(string)
	return s
}

// Field returns the value at a dotted path of the body ("name.givenName").
func (r *Response) Field(path string) any {
	var v any = r.Body
	for _, part := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[part]
	}
	return v
}

func do(t testing.TB, method, url, token, contentType string, body any) *http.Response {
	t.Helper()
	var reader io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		reader = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		reader = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, url, reader)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if reader != nil {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	return resp
}

func decode(t testing.TB, resp *http.Response, out any) {
	t.Helper()
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if out == nil || len(raw) == 0 {
		return
	}
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatalf("decode %s: %v: %s", resp.Request.URL, err, raw)
	}
}

// AdminJWT signs an admin token the way CRA Evidence's login service does
// for local runs: HS256 with the shared secret.
func AdminJWT(organization, role string, validFor time.Duration) string {
	return signJWT(map[string]any{
		"sub":  "admin-" + organization,
		"org":  organization,
		"role": role,
		"exp":  time.Now().Add(validFor).Unix(),
	}, adminJWTSecret)
}

func signJWT(claims map[string]any, secret string) string {
	enc := base64.RawURLEncoding
	header, _ := json.Marshal(map[string]string{"alg": "HS256", "typ": "JWT"})
	payload, _ := json.Marshal(claims)
	unsigned := enc.EncodeToString(header) + "." + enc.EncodeToString(payload)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(unsigned))
	return unsigned + "." + enc.EncodeToString(mac.Sum(nil))
}

func randomSuffix() string {
	return fmt.Sprintf("%x", time.Now().UnixNano())
}
