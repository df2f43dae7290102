package e2e

import (
	"context"
	"net/http"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	provisioningv1 "github.com/craevidence/scim-provisioning/api/gen/craevidence/provisioning/v1"
)

// Tenant is a second organisation on a running system, with its own admin
// token and SCIM client.
type Tenant struct {
	Organization string
	AdminToken   string
	ClientID     string
	ScimToken    string
}

// NewTenant creates another Enterprise organisation with an owner token and
// a SCIM client of its own.
func (s *System) NewTenant(t *testing.T) Tenant {
	t.Helper()
	org := "org-" + randomSuffix()
	s.UpsertOrganization(org, provisioningv1.Plan_PLAN_ENTERPRISE)
	tenant := Tenant{Organization: org, AdminToken: AdminJWT(org, "owner", time.Hour)}
	tenant.ClientID, tenant.ScimToken = s.newClientAs(t, tenant.AdminToken, map[string]any{
		"name": "Entra ID", "autoActivate": true, "allowSyncAttributes": true,
	})
	return tenant
}

// NewClient creates a SCIM client in the system's organisation with the
// given settings and returns its id and token.
func (s *System) NewClient(t *testing.T, settings map[string]any) (string, string) {
	t.Helper()
	return s.newClientAs(t, s.AdminToken, settings)
}

func (s *System) newClientAs(t *testing.T, adminToken string, settings map[string]any) (string, string) {
	t.Helper()
	if settings["name"] == nil {
		settings["name"] = "Client " + randomSuffix()
	}
	var created struct {
		Client struct {
			ID string `json:"id"`
		} `json:"client"`
		Token string `json:"token"`
	}
	status := s.AdminAs(adminToken, http.MethodPost, "/v1/scim-clients", settings, &created)
	if status != http.StatusOK || created.Token == "" {
		t.Fatalf("create SCIM client: status %d", status)
	}
	return created.Client.ID, created.Token
}

// Directory returns a DirectoryService client authenticated as another CRA
// Evidence service, and a context that carries the service credential.
func (s *System) Directory(t *testing.T) (provisioningv1.DirectoryServiceClient, context.Context) {
	t.Helper()
	conn, err := grpc.NewClient(s.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+internalServiceToken)
	return provisioningv1.NewDirectoryServiceClient(conn), ctx
}

// Event is a provisioning event as the admin REST API renders it.
type Event struct {
	ID                string   `json:"id"`
	OrganizationID    string   `json:"organizationId"`
	ClientID          string   `json:"clientId"`
	Operation         string   `json:"operation"`
	Outcome           string   `json:"outcome"`
	MemberID          string   `json:"memberId"`
	Actor             string   `json:"actor"`
	ErrorCode         string   `json:"errorCode"`
	ErrorDetail       string   `json:"errorDetail"`
	ChangedAttributes []string `json:"changedAttributes"`
	ChainHash         string   `json:"chainHash"`
}

// EventsAs lists up to 500 provisioning events matching query, newest
// first, with an admin token; it fails the test on any status but 200.
func (s *System) EventsAs(t *testing.T, adminToken, query string) []Event {
	t.Helper()
	var page struct {
		Events []Event `json:"events"`
	}
	status := s.AdminAs(adminToken, http.MethodGet, "/v1/provisioning-events?pageSize=500&"+query, nil, &page)
	if status != http.StatusOK {
		t.Fatalf("list provisioning events: status %d", status)
	}
	return page.Events
}

// countEvents counts events by "operation/outcome" (outcome lowercased
// without its prefix).
func countEvents(events []Event) map[string]int {
	counts := map[string]int{}
	for _, e := range events {
		counts[e.Operation+"/"+outcomeName(e.Outcome)]++
	}
	return counts
}

func outcomeName(o string) string {
	switch o {
	case "PROVISIONING_OUTCOME_SUCCEEDED":
		return "succeeded"
	case "PROVISIONING_OUTCOME_FAILED":
		return "failed"
	case "PROVISIONING_OUTCOME_REFUSED":
		return "refused"
	}
	return o
}

// Member is a member as the admin REST API renders it.
type Member struct {
	ID         string `json:"id"`
	UserName   string `json:"userName"`
	Email      string `json:"email"`
	Role       string `json:"role"`
	Status     string `json:"status"`
	ClientID   string `json:"clientId"`
	ScimActive bool   `json:"scimActive"`
}

// MembersAs lists up to 500 members of the token's organisation.
func (s *System) MembersAs(t *testing.T, adminToken string) []Member {
	t.Helper()
	var page struct {
		Members []Member `json:"members"`
	}
	if status := s.AdminAs(adminToken, http.MethodGet, "/v1/members?pageSize=500", nil, &page); status != http.StatusOK {
		t.Fatalf("list members: status %d", status)
	}
	return page.Members
}

// MemberByID finds a member of the system's organisation in the admin
// listing; ok is false when it is not there.
func (s *System) MemberByID(t *testing.T, id string) (Member, bool) {
	t.Helper()
	for _, m := range s.MembersAs(t, s.AdminToken) {
		if m.ID == id {
			return m, true
		}
	}
	return Member{}, false
}

func scimUserBody(userName string, active bool) map[string]any {
	return map[string]any{
		"schemas":    []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
		"userName":   userName,
		"externalId": "ext-" + userName,
		"name":       map[string]any{"givenName": "Given", "familyName": "Family"},
		"emails":     []map[string]any{{"value": userName, "type": "work", "primary": true}},
		"active":     active,
	}
}

func patchActive(active bool) map[string]any {
	return map[string]any{
		"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []map[string]any{{"op": "replace", "path": "active", "value": active}},
	}
}
