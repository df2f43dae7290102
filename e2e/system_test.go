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
	"net"
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
	coreMetricsAddr   string
	gatewayMetrics    string
	Organization      string
	ClientID          string
	ScimToken         string
	AdminToken        string
}

type process struct {
	name string
	cmd  *exec.Cmd
	log  string
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

	grpcAddr, adminAddr, scimAddr := freeAddr(t), freeAddr(t), freeAddr(t)
	coreMetrics, gatewayMetrics := freeAddr(t), freeAddr(t)
	s := &System{
		t:                 t,
		logDir:            t.TempDir(),
		ScimBaseURL:       "http://" + scimAddr + "/scim/v2",
		AdminURL:          "http://" + adminAddr,
		GRPCAddr:          grpcAddr,
		CoreMetricsURL:    "http://" + coreMetrics + "/metrics",
		GatewayMetricsURL: "http://" + gatewayMetrics + "/metrics",
		coreMetricsAddr:   coreMetrics,
		gatewayMetrics:    gatewayMetrics,
		env: []string{
			"DATABASE_URL=" + databaseURL,
			"DATA_DIR=" + t.TempDir(),
			"PROVISIONING_GRPC_ADDR=" + grpcAddr,
			"ADMIN_HTTP_ADDR=" + adminAddr,
			"SCIM_LISTEN_ADDR=" + scimAddr,
			"ADMIN_JWT_SECRET=" + adminJWTSecret,
			"INTERNAL_SERVICE_TOKEN=" + internalServiceToken,
			"LOG_FORMAT=json",
			"LOG_LEVEL=debug",
		},
	}
	s.env = append(s.env, extraEnv...)
	t.Cleanup(s.stop)

	s.StartCore()
	s.gateway = s.start("scim-gateway", binaries.gateway, "METRICS_ADDR="+s.gatewayMetrics)
	s.waitReady(s.gateway, "http://"+scimAddr+"/readyz")

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
	s.core = s.start("provisioning", binaries.provisioning, "METRICS_ADDR="+s.coreMetricsAddr)
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
	cmd := exec.Command(binary)
	cmd.Env = append(append(os.Environ(), processEnv...), s.env...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start %s: %v", name, err)
	}
	logFile.Close()
	return &process{name: name, cmd: cmd, log: logPath}
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
		if p.cmd.ProcessState != nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.dumpLogs()
	s.t.Fatalf("%s did not become ready at %s", p.name, url)
}

func (s *System) terminate(p *process) {
	if p == nil || p.cmd.Process == nil || p.cmd.ProcessState != nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			s.t.Errorf("%s did not exit cleanly on SIGTERM: %v", p.name, err)
		}
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
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

func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func randomSuffix() string {
	return fmt.Sprintf("%x", time.Now().UnixNano())
}
