package grpcserver_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"google.golang.org/grpc/codes"

	provisioningv1 "github.com/craevidence/scim-provisioning/api/gen/craevidence/provisioning/v1"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/adapters/grpcserver"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
)

func signed(t *testing.T, method jwt.SigningMethod, key any, claims jwt.Claims) string {
	t.Helper()
	token, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

func claims(org, role string, exp time.Time) grpcserver.AdminClaims {
	c := grpcserver.AdminClaims{Organization: org, Role: role}
	c.Subject = "user-1"
	if !exp.IsZero() {
		c.ExpiresAt = jwt.NewNumericDate(exp)
	}
	return c
}

func TestAdminTokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id, _ := e.newScimClient(t, &provisioningv1.CreateScimClientRequest{})
	hour := time.Now().Add(time.Hour)
	get := &provisioningv1.GetScimClientRequest{ClientId: id}

	tests := []struct {
		name  string
		token string
		want  codes.Code
	}{
		{"owner", signed(t, jwt.SigningMethodHS256, []byte(testSecret), claims("org-a", "owner", hour)), codes.OK},
		{"admin", signed(t, jwt.SigningMethodHS256, []byte(testSecret), claims("org-a", "admin", hour)), codes.OK},
		{"bad signature", signed(t, jwt.SigningMethodHS256, []byte("another-secret-of-32-bytes-length!!"),
			claims("org-a", "owner", hour)), codes.Unauthenticated},
		{"alg none", signed(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType,
			claims("org-a", "owner", hour)), codes.Unauthenticated},
		{"HS512", signed(t, jwt.SigningMethodHS512, []byte(testSecret), claims("org-a", "owner", hour)),
			codes.Unauthenticated},
		{"expired", signed(t, jwt.SigningMethodHS256, []byte(testSecret),
			claims("org-a", "owner", time.Now().Add(-time.Hour))), codes.Unauthenticated},
		{"no exp", signed(t, jwt.SigningMethodHS256, []byte(testSecret),
			claims("org-a", "owner", time.Time{})), codes.Unauthenticated},
		{"unknown role", signed(t, jwt.SigningMethodHS256, []byte(testSecret),
			claims("org-a", "root", hour)), codes.Unauthenticated},
		{"member role", signed(t, jwt.SigningMethodHS256, []byte(testSecret),
			claims("org-a", "member", hour)), codes.PermissionDenied},
		{"viewer role", signed(t, jwt.SigningMethodHS256, []byte(testSecret),
			claims("org-a", "viewer", hour)), codes.PermissionDenied},
		{"other org", signed(t, jwt.SigningMethodHS256, []byte(testSecret),
			claims("org-b", "owner", hour)), codes.NotFound},
		{"garbage", "not-a-jwt", codes.Unauthenticated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.admin.GetScimClient(withBearer(tt.token), get)
			wantCode(t, err, tt.want)
		})
	}

	_, err := e.admin.ListScimClients(t.Context(), &provisioningv1.ListScimClientsRequest{})
	wantCode(t, err, codes.Unauthenticated)
}

func TestVerifierRefusesShortSecret(t *testing.T) {
	if _, err := grpcserver.NewHS256Verifier([]byte("short")); err == nil {
		t.Error("a short secret was accepted")
	}
}

// rest calls the admin REST API over HTTP and decodes the JSON answer.
func (e *env) rest(t *testing.T, method, path, token, body string, out any) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, e.httpURL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil && resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("decode %s: %v", data, err)
		}
	}
	return resp.StatusCode
}

func TestAdminRESTThroughGateway(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner := adminToken(t, "org-a", domain.RoleOwner)

	var created struct {
		Client struct {
			ID          string `json:"id"`
			DefaultRole string `json:"defaultRole"`
			Enabled     bool   `json:"enabled"`
		} `json:"client"`
		Token string `json:"token"`
	}
	code := e.rest(t, http.MethodPost, "/v1/scim-clients", owner,
		`{"name":"Okta","defaultRole":"MEMBER_ROLE_VIEWER","autoActivate":true}`, &created)
	if code != http.StatusOK || created.Client.ID == "" || !strings.HasPrefix(created.Token, domain.TokenPrefix) {
		t.Fatalf("create: %d %+v", code, created)
	}
	if created.Client.DefaultRole != "MEMBER_ROLE_VIEWER" || !created.Client.Enabled {
		t.Errorf("created client = %+v", created.Client)
	}

	if _, err := e.scim.CreateUser(withBearer(created.Token),
		&provisioningv1.CreateUserRequest{User: scimUser("ada@example.com", true)}); err != nil {
		t.Fatal(err)
	}

	var rotated struct {
		Token string `json:"token"`
	}
	code = e.rest(t, http.MethodPost, "/v1/scim-clients/"+created.Client.ID+":rotateToken", owner, `{}`, &rotated)
	if code != http.StatusOK || rotated.Token == "" || rotated.Token == created.Token {
		t.Fatalf("rotate: %d", code)
	}
	_, err := e.scim.Authenticate(withBearer(created.Token), &provisioningv1.AuthenticateRequest{})
	wantCode(t, err, codes.Unauthenticated)
	if _, err := e.scim.Authenticate(withBearer(rotated.Token), &provisioningv1.AuthenticateRequest{}); err != nil {
		t.Errorf("new token: %v", err)
	}

	var stats struct {
		UsersCreated string `json:"usersCreated"`
		LastSyncTime string `json:"lastSyncTime"`
	}
	code = e.rest(t, http.MethodGet, "/v1/scim-clients/"+created.Client.ID+"/statistics", owner, "", &stats)
	if code != http.StatusOK || stats.UsersCreated != "1" || stats.LastSyncTime == "" {
		t.Errorf("statistics: %d %+v", code, stats)
	}

	var events struct {
		Events []struct {
			Operation string `json:"operation"`
			Actor     string `json:"actor"`
		} `json:"events"`
	}
	code = e.rest(t, http.MethodGet, "/v1/provisioning-events?clientId="+created.Client.ID, owner, "", &events)
	if code != http.StatusOK || len(events.Events) != 3 {
		t.Fatalf("events: %d %+v", code, events)
	}
	if events.Events[0].Operation != "client.token_rotated" || events.Events[0].Actor != "admin:user-1" {
		t.Errorf("newest event = %+v", events.Events[0])
	}

	if code := e.rest(t, http.MethodGet, "/v1/scim-clients", "", "", nil); code != http.StatusUnauthorized {
		t.Errorf("no token: %d, want 401", code)
	}
	viewer := adminToken(t, "org-a", domain.RoleViewer)
	if code := e.rest(t, http.MethodGet, "/v1/scim-clients", viewer, "", nil); code != http.StatusForbidden {
		t.Errorf("viewer: %d, want 403", code)
	}
	other := adminToken(t, "org-b", domain.RoleOwner)
	path := "/v1/scim-clients/" + created.Client.ID + "/statistics"
	if code := e.rest(t, http.MethodGet, path, other, "", nil); code != http.StatusNotFound {
		t.Errorf("other org: %d, want 404", code)
	}
	if code := e.rest(t, http.MethodPost, "/v1/scim-clients", owner, `{"name":""}`, nil); code != http.StatusBadRequest {
		t.Errorf("invalid settings: %d, want 400", code)
	}
	if code := e.rest(t, http.MethodDelete, "/v1/scim-clients/"+created.Client.ID, owner, "", nil); code != http.StatusOK {
		t.Errorf("delete: %d", code)
	}

	for _, path := range []string{"/healthz", "/readyz"} {
		if code := e.rest(t, http.MethodGet, path, "", "", nil); code != http.StatusOK {
			t.Errorf("%s: %d", path, code)
		}
	}
}
