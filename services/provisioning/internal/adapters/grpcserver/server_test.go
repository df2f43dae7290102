package grpcserver_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	provisioningv1 "github.com/craevidence/scim-provisioning/api/gen/craevidence/provisioning/v1"
	"github.com/craevidence/scim-provisioning/pkg/requestid"
	"github.com/craevidence/scim-provisioning/pkg/requestid/grpcrequestid"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/adapters/gormstore/gormstoretest"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/adapters/grpcserver"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/app"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/ports"
)

const (
	testSecret        = "a-test-secret-of-at-least-32-bytes!!"
	testInternalToken = "internal-token-for-tests"
)

// env is the core's gRPC server on a loopback socket with a real SQLite
// store, and the admin REST API over real HTTP in front of it.
type env struct {
	store   ports.Store
	scim    provisioningv1.ScimServiceClient
	admin   provisioningv1.AdminServiceClient
	dir     provisioningv1.DirectoryServiceClient
	httpURL string
	orgID   string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	store := gormstoretest.NewSQLite(t)
	conn := serveGRPC(t, store, grpc.WithUnaryInterceptor(grpcrequestid.UnaryClientInterceptor()))

	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	handler, err := grpcserver.NewAdminHTTPHandler(ctx, conn, store.Ping)
	if err != nil {
		t.Fatal(err)
	}
	httpServer := httptest.NewServer(handler)
	t.Cleanup(httpServer.Close)

	e := envOn(t, store, conn)
	e.httpURL = httpServer.URL
	return e
}

// serveGRPC starts the core's gRPC server over store on a loopback socket
// and returns a plaintext client connection to it, made with opts as well.
// Both end with the test.
func serveGRPC(t *testing.T, store ports.Store, opts ...grpc.DialOption) *grpc.ClientConn {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	verifier, err := grpcserver.NewHS256Verifier([]byte(testSecret))
	if err != nil {
		t.Fatal(err)
	}

	server := grpcserver.NewServer(grpcserver.Options{
		Provisioning:         app.NewProvisioning(store, nil, logger),
		ScimClients:          app.NewScimClients(store, nil, logger),
		Members:              app.NewMembers(store, nil, logger),
		Directory:            app.NewDirectory(store, nil, logger),
		AdminVerifier:        verifier,
		InternalServiceToken: testInternalToken,
		Logger:               logger,
	})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = server.Serve(lis) }()
	t.Cleanup(server.Stop)

	plaintext := grpc.WithTransportCredentials(insecure.NewCredentials())
	conn, err := grpc.NewClient(lis.Addr().String(), append([]grpc.DialOption{plaintext}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// envOn stores the organisations org-a and org-b, and returns an env whose
// clients use conn and whose admin acts in org-a.
func envOn(t *testing.T, store ports.Store, conn *grpc.ClientConn) *env {
	t.Helper()
	for _, id := range []string{"org-a", "org-b"} {
		err := store.Organizations().UpsertOrganization(context.Background(),
			domain.Organization{ID: id, Name: id, Plan: domain.PlanEnterprise})
		if err != nil {
			t.Fatal(err)
		}
	}
	return &env{
		store: store,
		scim:  provisioningv1.NewScimServiceClient(conn),
		admin: provisioningv1.NewAdminServiceClient(conn),
		dir:   provisioningv1.NewDirectoryServiceClient(conn),
		orgID: "org-a",
	}
}

// adminToken signs a token for an admin of org with role.
func adminToken(t *testing.T, org string, role domain.Role) string {
	t.Helper()
	token, err := grpcserver.IssueAdminToken([]byte(testSecret),
		app.Admin{Subject: "user-1", OrganizationID: org, Role: role}, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return token
}

func withBearer(token string) context.Context {
	return metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+token)
}

// ownerCtx is a call context of an owner of org-a.
func ownerCtx(t *testing.T) context.Context {
	return withBearer(adminToken(t, "org-a", domain.RoleOwner))
}

// newScimClient creates a SCIM client of org-a through the admin API and
// returns its id and token.
func (e *env) newScimClient(t *testing.T, req *provisioningv1.CreateScimClientRequest) (string, string) {
	t.Helper()
	if req.Name == "" {
		req.Name = "Okta"
	}
	resp, err := e.admin.CreateScimClient(ownerCtx(t), req)
	if err != nil {
		t.Fatalf("create scim client: %v", err)
	}
	return resp.GetClient().GetId(), resp.GetToken()
}

func wantCode(t *testing.T, err error, code codes.Code) {
	t.Helper()
	if got := status.Code(err); got != code {
		t.Fatalf("code = %s (%v), want %s", got, err, code)
	}
}

// reasonOf returns the ErrorInfo reason of a status error, checking its
// domain.
func reasonOf(t *testing.T, err error) string {
	t.Helper()
	st, _ := status.FromError(err)
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			if info.GetDomain() != grpcserver.ErrorDomain {
				t.Errorf("ErrorInfo domain = %q", info.GetDomain())
			}
			return info.GetReason()
		}
	}
	return ""
}

func scimUser(userName string, active bool) *provisioningv1.User {
	return &provisioningv1.User{
		UserName:    userName,
		Active:      active,
		DisplayName: "Display " + userName,
		Name:        &provisioningv1.Name{GivenName: "Ada", FamilyName: "Lovelace"},
		Emails:      []*provisioningv1.MultiValuedAttribute{{Value: userName, Type: "work", Primary: true}},
	}
}

func TestScimStatusCodesAndReasons(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, token := e.newScimClient(t, &provisioningv1.CreateScimClientRequest{
		AutoActivate: true, AllowSyncAttributes: true,
	})
	ctx := withBearer(token)

	_, err := e.scim.Authenticate(context.Background(), &provisioningv1.AuthenticateRequest{})
	wantCode(t, err, codes.Unauthenticated)
	_, err = e.scim.GetUser(withBearer("cras_wrong"), &provisioningv1.GetUserRequest{Id: "x"})
	wantCode(t, err, codes.Unauthenticated)

	created, err := e.scim.CreateUser(ctx, &provisioningv1.CreateUserRequest{User: scimUser("ada@example.com", true)})
	if err != nil {
		t.Fatal(err)
	}
	u := created.GetUser()
	if u.GetId() == "" || !u.GetActive() || u.GetMeta().GetVersion() != 1 || u.GetName().GetGivenName() != "Ada" {
		t.Errorf("created user = %v", u)
	}

	_, err = e.scim.CreateUser(ctx, &provisioningv1.CreateUserRequest{User: scimUser("ADA@example.com", true)})
	wantCode(t, err, codes.AlreadyExists)
	if r := reasonOf(t, err); r != domain.ReasonUniqueness {
		t.Errorf("reason = %q, want uniqueness", r)
	}

	_, err = e.scim.CreateUser(ctx, &provisioningv1.CreateUserRequest{User: scimUser("", true)})
	wantCode(t, err, codes.InvalidArgument)
	if r := reasonOf(t, err); r != domain.ReasonInvalidValue {
		t.Errorf("reason = %q, want invalidValue", r)
	}

	_, err = e.scim.GetUser(ctx, &provisioningv1.GetUserRequest{Id: "no-such-user"})
	wantCode(t, err, codes.NotFound)

	next := scimUser("ada@example.com", true)
	next.Id = u.GetId()
	next.Title = "Engineer"
	updated, err := e.scim.UpdateUser(ctx, &provisioningv1.UpdateUserRequest{User: next, ExpectedVersion: 1})
	if err != nil {
		t.Fatal(err)
	}
	if updated.GetUser().GetTitle() != "Engineer" || updated.GetUser().GetMeta().GetVersion() != 2 {
		t.Errorf("updated = %v", updated.GetUser())
	}
	_, err = e.scim.UpdateUser(ctx, &provisioningv1.UpdateUserRequest{User: next, ExpectedVersion: 1})
	wantCode(t, err, codes.FailedPrecondition)

	_, err = e.scim.ListUsers(ctx, &provisioningv1.ListUsersRequest{Filter: &provisioningv1.Filter{}})
	wantCode(t, err, codes.InvalidArgument)
	if r := reasonOf(t, err); r != domain.ReasonInvalidFilter {
		t.Errorf("reason = %q, want invalidFilter", r)
	}

	filter := &provisioningv1.Filter{Expression: &provisioningv1.Filter_Attribute{
		Attribute: &provisioningv1.AttributeExpression{
			Path:     &provisioningv1.AttributePath{Attribute: "userName"},
			Operator: provisioningv1.ComparisonOperator_COMPARISON_OPERATOR_EQUAL,
			Value:    &provisioningv1.FilterValue{Kind: &provisioningv1.FilterValue_StringValue{StringValue: "ADA@example.com"}},
		},
	}}
	list, err := e.scim.ListUsers(ctx, &provisioningv1.ListUsersRequest{Filter: filter, Count: 10})
	if err != nil {
		t.Fatal(err)
	}
	if list.GetTotalResults() != 1 || len(list.GetUsers()) != 1 {
		t.Errorf("filtered list: %d of %d", len(list.GetUsers()), list.GetTotalResults())
	}

	_, err = e.scim.DeleteUser(ctx, &provisioningv1.DeleteUserRequest{Id: u.GetId()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.scim.GetUser(ctx, &provisioningv1.GetUserRequest{Id: u.GetId()})
	wantCode(t, err, codes.NotFound)
}

func TestScimDisabledClientIsPermissionDenied(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id, token := e.newScimClient(t, &provisioningv1.CreateScimClientRequest{AutoActivate: true})
	disabled := false
	if _, err := e.admin.UpdateScimClient(ownerCtx(t),
		&provisioningv1.UpdateScimClientRequest{ClientId: id, Enabled: &disabled}); err != nil {
		t.Fatal(err)
	}

	_, err := e.scim.Authenticate(withBearer(token), &provisioningv1.AuthenticateRequest{})
	wantCode(t, err, codes.PermissionDenied)
	st, _ := status.FromError(err)
	if st.Message() == "" || st.Message() == "internal error" {
		t.Errorf("message %q: want one that says why", st.Message())
	}
}

func TestScimGroupsOverGRPC(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, token := e.newScimClient(t, &provisioningv1.CreateScimClientRequest{AutoActivate: true})
	ctx := withBearer(token)
	u, err := e.scim.CreateUser(ctx, &provisioningv1.CreateUserRequest{User: scimUser("ada@example.com", true)})
	if err != nil {
		t.Fatal(err)
	}

	g, err := e.scim.CreateGroup(ctx, &provisioningv1.CreateGroupRequest{Group: &provisioningv1.Group{
		DisplayName: "Engineering",
		Members:     []*provisioningv1.ResourceReference{{Id: u.GetUser().GetId()}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(g.GetGroup().GetMembers()) != 1 {
		t.Errorf("members = %v", g.GetGroup().GetMembers())
	}
	read, err := e.scim.GetUser(ctx, &provisioningv1.GetUserRequest{Id: u.GetUser().GetId()})
	if err != nil || len(read.GetUser().GetGroups()) != 1 {
		t.Errorf("user groups = %v, %v", read.GetUser().GetGroups(), err)
	}

	m, err := e.scim.ModifyGroup(ctx, &provisioningv1.ModifyGroupRequest{
		Id: g.GetGroup().GetId(), RemoveMemberIds: []string{u.GetUser().GetId()},
	})
	if err != nil || len(m.GetGroup().GetMembers()) != 0 {
		t.Errorf("after remove: %v, %v", m.GetGroup().GetMembers(), err)
	}
	_, err = e.scim.DeleteGroup(ctx, &provisioningv1.DeleteGroupRequest{Id: g.GetGroup().GetId(), ExpectedVersion: 1})
	wantCode(t, err, codes.FailedPrecondition)
	if _, err := e.scim.DeleteGroup(ctx, &provisioningv1.DeleteGroupRequest{Id: g.GetGroup().GetId()}); err != nil {
		t.Fatal(err)
	}
}

func TestRequestIDReachesTheProvisioningLog(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, token := e.newScimClient(t, &provisioningv1.CreateScimClientRequest{AutoActivate: true})
	ctx := metadata.AppendToOutgoingContext(withBearer(token), requestid.MetadataKey, "gw-req-42")
	u, err := e.scim.CreateUser(ctx, &provisioningv1.CreateUserRequest{User: scimUser("ada@example.com", true)})
	if err != nil {
		t.Fatal(err)
	}

	events, err := e.admin.ListProvisioningEvents(ownerCtx(t),
		&provisioningv1.ListProvisioningEventsRequest{MemberId: u.GetUser().GetId()})
	if err != nil {
		t.Fatal(err)
	}
	if len(events.GetEvents()) != 1 || events.GetEvents()[0].GetRequestId() != "gw-req-42" {
		t.Errorf("events = %v", events.GetEvents())
	}
}

func TestDirectoryServiceAuthentication(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, token := e.newScimClient(t, &provisioningv1.CreateScimClientRequest{AutoActivate: false})
	u, err := e.scim.CreateUser(withBearer(token),
		&provisioningv1.CreateUserRequest{User: scimUser("ada@example.com", true)})
	if err != nil {
		t.Fatal(err)
	}
	req := &provisioningv1.CheckLoginRequest{OrganizationId: "org-a", MemberId: u.GetUser().GetId()}

	_, err = e.dir.CheckLogin(context.Background(), req)
	wantCode(t, err, codes.Unauthenticated)
	_, err = e.dir.CheckLogin(withBearer("wrong"), req)
	wantCode(t, err, codes.Unauthenticated)

	ctx := withBearer(testInternalToken)
	resp, err := e.dir.CheckLogin(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetAllowed() || resp.GetReason() != provisioningv1.LoginDenialReason_LOGIN_DENIAL_REASON_PENDING_APPROVAL {
		t.Errorf("check login = %v", resp)
	}

	byEmail, err := e.dir.GetMember(ctx, &provisioningv1.GetMemberRequest{
		OrganizationId: "org-a", Key: &provisioningv1.GetMemberRequest_Email{Email: "ADA@example.com"},
	})
	if err != nil || byEmail.GetMember().GetId() != u.GetUser().GetId() {
		t.Errorf("get by email = %v, %v", byEmail.GetMember(), err)
	}

	org, err := e.dir.UpsertOrganization(ctx, &provisioningv1.UpsertOrganizationRequest{
		Organization: &provisioningv1.Organization{Id: "org-a", Name: "A", Plan: provisioningv1.Plan_PLAN_TEAM},
	})
	if err != nil || org.GetOrganization().GetPlan() != provisioningv1.Plan_PLAN_TEAM {
		t.Fatalf("upsert = %v, %v", org, err)
	}
	_, err = e.scim.Authenticate(withBearer(token), &provisioningv1.AuthenticateRequest{})
	wantCode(t, err, codes.PermissionDenied)
}

func TestDirectoryRefusesEverythingWithoutToken(t *testing.T) {
	t.Parallel()
	store := gormstoretest.NewSQLite(t)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	server := grpcserver.NewDirectoryServer("", app.NewDirectory(store, nil, logger))

	_, err := server.CheckLogin(withIncomingBearer(""), &provisioningv1.CheckLoginRequest{})
	if !domain.IsKind(err, domain.KindUnauthenticated) {
		t.Errorf("err = %v, want unauthenticated", err)
	}
	_, err = server.GetMember(withIncomingBearer("anything"), &provisioningv1.GetMemberRequest{})
	if !domain.IsKind(err, domain.KindUnauthenticated) {
		t.Errorf("err = %v, want unauthenticated", err)
	}
}

func withIncomingBearer(token string) context.Context {
	return metadata.NewIncomingContext(context.Background(), metadata.Pairs("authorization", "Bearer "+token))
}
