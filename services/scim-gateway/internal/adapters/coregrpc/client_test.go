package coregrpc

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"sync"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	pb "github.com/craevidence/scim-provisioning/api/gen/craevidence/provisioning/v1"
	"github.com/craevidence/scim-provisioning/pkg/requestid"
	"github.com/craevidence/scim-provisioning/services/scim-gateway/internal/core"
	"github.com/craevidence/scim-provisioning/services/scim-gateway/internal/scim"
)

// fakeServer is a ScimService that records what it was sent and answers
// with whatever the test set.
type fakeServer struct {
	pb.UnimplementedScimServiceServer

	mu        sync.Mutex
	metadata  metadata.MD
	listReq   *pb.ListUsersRequest
	updateReq *pb.UpdateUserRequest
	modifyReq *pb.ModifyGroupRequest
	rejection *pb.ReportRejectionRequest
	groups    []*pb.Group
	err       error
}

func (f *fakeServer) ListGroups(ctx context.Context, _ *pb.ListGroupsRequest) (*pb.ListGroupsResponse, error) {
	if err := f.record(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return &pb.ListGroupsResponse{Groups: f.groups, TotalResults: int64(len(f.groups))}, nil
}

func (f *fakeServer) ReportRejection(
	ctx context.Context,
	req *pb.ReportRejectionRequest,
) (*pb.ReportRejectionResponse, error) {
	if err := f.record(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.rejection = req
	f.mu.Unlock()
	return &pb.ReportRejectionResponse{}, nil
}

func (f *fakeServer) record(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.metadata, _ = metadata.FromIncomingContext(ctx)
	return f.err
}

func (f *fakeServer) GetUser(ctx context.Context, req *pb.GetUserRequest) (*pb.GetUserResponse, error) {
	if err := f.record(ctx); err != nil {
		return nil, err
	}
	return &pb.GetUserResponse{User: &pb.User{
		Id: req.GetId(), UserName: "ada", Active: false,
		Emails:     []*pb.MultiValuedAttribute{{Value: "a@example.com", Type: "work", Primary: true}},
		Enterprise: &pb.EnterpriseUser{ManagerId: "m-1", ManagerDisplayName: "Boss"},
		Groups:     []*pb.ResourceReference{{Id: "g-1", Type: pb.ResourceType_RESOURCE_TYPE_GROUP}},
		Meta: &pb.ResourceMeta{Version: 4,
			Created: timestamp(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))},
	}}, nil
}

func (f *fakeServer) ListUsers(ctx context.Context, req *pb.ListUsersRequest) (*pb.ListUsersResponse, error) {
	if err := f.record(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.listReq = req
	f.mu.Unlock()
	return &pb.ListUsersResponse{TotalResults: 12}, nil
}

func (f *fakeServer) UpdateUser(ctx context.Context, req *pb.UpdateUserRequest) (*pb.UpdateUserResponse, error) {
	if err := f.record(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.updateReq = req
	f.mu.Unlock()
	return &pb.UpdateUserResponse{User: req.GetUser()}, nil
}

func (f *fakeServer) ModifyGroup(ctx context.Context, req *pb.ModifyGroupRequest) (*pb.ModifyGroupResponse, error) {
	if err := f.record(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.modifyReq = req
	f.mu.Unlock()
	return &pb.ModifyGroupResponse{Group: &pb.Group{Id: req.GetId(), DisplayName: "x"}}, nil
}

func start(t *testing.T, opts ...grpc.DialOption) (*fakeServer, *Client) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	fake := &fakeServer{}
	pb.RegisterScimServiceServer(srv, fake)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)

	client, err := Dial(lis.Addr().String(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	return fake, client
}

func callContext() context.Context {
	ctx := core.WithToken(context.Background(), "tok-123")
	return requestid.WithID(ctx, "req-42")
}

func TestMetadataAndMapping(t *testing.T) {
	fake, client := start(t)

	u, err := client.GetUser(callContext(), "u-1")
	if err != nil {
		t.Fatal(err)
	}
	if got := fake.metadata.Get("authorization"); len(got) != 1 || got[0] != "Bearer tok-123" {
		t.Errorf("authorization metadata = %v", got)
	}
	if got := fake.metadata.Get(requestid.MetadataKey); len(got) != 1 || got[0] != "req-42" {
		t.Errorf("request id metadata = %v", got)
	}
	if u.ID != "u-1" || u.Active == nil || *u.Active || u.Meta.Version != 4 ||
		u.Meta.Created.Year() != 2026 || u.Enterprise.Manager.Value != "m-1" ||
		u.Enterprise.Manager.DisplayName != "Boss" || u.Groups[0].Type != "Group" ||
		!u.Emails[0].Primary {
		t.Errorf("user = %+v", u)
	}
}

func TestFilterAndUpdateTranslation(t *testing.T) {
	fake, client := start(t)

	f, err := scim.ParseFilter(`userName eq "ada" and not (emails[type eq "work"]) or active eq true`)
	if err != nil {
		t.Fatal(err)
	}
	page, err := client.ListUsers(callContext(), core.ListQuery{Filter: f, StartIndex: 3, Count: 7})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != 12 {
		t.Errorf("total = %d", page.Total)
	}
	req := fake.listReq
	if req.GetStartIndex() != 3 || req.GetCount() != 7 {
		t.Errorf("paging = %d, %d", req.GetStartIndex(), req.GetCount())
	}
	or := req.GetFilter().GetLogical()
	if or.GetOperator() != pb.LogicalOperator_LOGICAL_OPERATOR_OR {
		t.Fatalf("top = %v", req.GetFilter())
	}
	and := or.GetLeft().GetLogical()
	eq := and.GetLeft().GetAttribute()
	if eq.GetPath().GetAttribute() != "userName" ||
		eq.GetOperator() != pb.ComparisonOperator_COMPARISON_OPERATOR_EQUAL ||
		eq.GetValue().GetStringValue() != "ada" {
		t.Errorf("eq = %v", eq)
	}
	vp := and.GetRight().GetNot().GetFilter().GetValuePath()
	if vp.GetPath().GetAttribute() != "emails" ||
		vp.GetFilter().GetAttribute().GetValue().GetStringValue() != "work" {
		t.Errorf("value path = %v", vp)
	}
	if !or.GetRight().GetAttribute().GetValue().GetBoolValue() {
		t.Errorf("bool value = %v", or.GetRight())
	}

	_, err = client.UpdateUser(callContext(), scim.User{ID: "u-1", UserName: "ada",
		Enterprise: &scim.EnterpriseUser{Manager: &scim.Manager{Value: "m-2"}}}, 9, core.UpdatePatch)
	if err != nil {
		t.Fatal(err)
	}
	up := fake.updateReq
	if up.GetExpectedVersion() != 9 || up.GetKind() != pb.UpdateKind_UPDATE_KIND_PATCH ||
		!up.GetUser().GetActive() || up.GetUser().GetEnterprise().GetManagerId() != "m-2" {
		t.Errorf("update = %v", up)
	}

	name := "Sales"
	_, err = client.ModifyGroup(callContext(), core.GroupModification{ID: "g-1", ExpectedVersion: 2,
		Change: scim.GroupChange{DisplayName: &name, RemoveAllMembers: true,
			AddMemberIDs: []string{"u-1"}, RemoveMemberIDs: []string{"u-2"}},
		ExcludeMembers: true})
	if err != nil {
		t.Fatal(err)
	}
	mod := fake.modifyReq
	if mod.GetDisplayName() != "Sales" || mod.ExternalId != nil || !mod.GetRemoveAllMembers() ||
		mod.GetAddMemberIds()[0] != "u-1" || mod.GetRemoveMemberIds()[0] != "u-2" ||
		!mod.GetExcludeMembers() || mod.GetExpectedVersion() != 2 {
		t.Errorf("modify = %v", mod)
	}
}

func withDetails(t *testing.T, code codes.Code, msg string, details ...*errdetails.ErrorInfo) error {
	t.Helper()
	st := status.New(code, msg)
	for _, d := range details {
		var err error
		if st, err = st.WithDetails(d); err != nil {
			t.Fatal(err)
		}
	}
	return st.Err()
}

func TestStatusMapping(t *testing.T) {
	fake, client := start(t)

	rate, err := status.New(codes.ResourceExhausted, "slow down").
		WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(4 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		err      error
		kind     core.Kind
		scimType string
	}{
		{withDetails(t, codes.InvalidArgument, "bad filter",
			&errdetails.ErrorInfo{Domain: ErrorDomain, Reason: "invalidFilter"}),
			core.KindInvalid, "invalidFilter"},
		{withDetails(t, codes.InvalidArgument, "other domain",
			&errdetails.ErrorInfo{Domain: "example.com", Reason: "whatever"}),
			core.KindInvalid, ""},
		{status.Error(codes.Unauthenticated, "no"), core.KindUnauthenticated, ""},
		{status.Error(codes.PermissionDenied, "no"), core.KindPermissionDenied, ""},
		{status.Error(codes.NotFound, "no"), core.KindNotFound, ""},
		{withDetails(t, codes.AlreadyExists, "taken",
			&errdetails.ErrorInfo{Domain: ErrorDomain, Reason: "uniqueness"}),
			core.KindAlreadyExists, "uniqueness"},
		{status.Error(codes.Aborted, "no"), core.KindConflict, ""},
		{status.Error(codes.FailedPrecondition, "stale"), core.KindPreconditionFailed, ""},
		{rate.Err(), core.KindRateLimited, ""},
		// The transport's own answers, whose messages must not reach a client.
		{status.Error(codes.ResourceExhausted, "grpc: received message larger than max"),
			core.KindInternal, ""},
		{status.Error(codes.Unimplemented, "unknown method GetUser"), core.KindInternal, ""},
		{withDetails(t, codes.Unknown, "no",
			&errdetails.ErrorInfo{Domain: ErrorDomain, Reason: "invalidValue"}),
			core.KindInternal, ""},
		{status.Error(codes.Unavailable, "no"), core.KindUnavailable, ""},
		{status.Error(codes.DeadlineExceeded, "no"), core.KindUnavailable, ""},
		{status.Error(codes.Internal, "secret detail"), core.KindInternal, ""},
		{status.Error(codes.DataLoss, "no"), core.KindInternal, ""},
	}
	for _, tt := range tests {
		fake.mu.Lock()
		fake.err = tt.err
		fake.mu.Unlock()

		_, err := client.GetUser(callContext(), "u-1")
		var coreErr *core.Error
		if !errors.As(err, &coreErr) {
			t.Fatalf("%v: error %T is not a core error", tt.err, err)
		}
		if coreErr.Kind != tt.kind || coreErr.ScimType != tt.scimType {
			t.Errorf("%v: kind %d scimType %q, want %d %q", tt.err, coreErr.Kind,
				coreErr.ScimType, tt.kind, tt.scimType)
		}
		if tt.kind == core.KindRateLimited && coreErr.RetryAfter != 4*time.Second {
			t.Errorf("RetryAfter = %v", coreErr.RetryAfter)
		}
	}
}

func TestPingTreatsUnimplementedHealthAsReachable(t *testing.T) {
	_, client := start(t)
	if err := client.Ping(context.Background()); err != nil {
		t.Errorf("Ping: %v", err)
	}

	unreachable, err := Dial("127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	defer unreachable.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := unreachable.Ping(ctx); err == nil {
		t.Error("Ping of a closed port succeeded")
	}
}

// TestSourceMetadata checks that the identity provider and the rules noted
// so far travel with each call, the rules read at call time.
func TestSourceMetadata(t *testing.T) {
	fake, client := start(t)
	notes := &scim.Notes{}
	ctx := core.WithSource(callContext(), &core.Source{UserAgent: "Go-http-client/1.1", Notes: notes})

	if _, err := client.GetUser(ctx, "u-1"); err != nil {
		t.Fatal(err)
	}
	if got := fake.metadata.Get(IdentityProviderKey); len(got) != 0 {
		t.Errorf("identity provider of an unknown client = %v", got)
	}
	if got := fake.metadata.Get(CompatibilityRulesKey); len(got) != 0 {
		t.Errorf("rules before any were noted = %v", got)
	}

	notes.Note(scim.RuleStringBoolean)
	notes.Note(scim.RuleCapitalisedOp)
	if _, err := client.GetUser(ctx, "u-1"); err != nil {
		t.Fatal(err)
	}
	if got := fake.metadata.Get(IdentityProviderKey); len(got) != 1 || got[0] != "entra-id" {
		t.Errorf("identity provider from Entra ID's shapes = %v", got)
	}
	want := scim.RuleCapitalisedOp + "," + scim.RuleStringBoolean
	if got := fake.metadata.Get(CompatibilityRulesKey); len(got) != 1 || got[0] != want {
		t.Errorf("rules = %v, want %s", got, want)
	}

	okta := core.WithSource(callContext(), &core.Source{UserAgent: "Okta SCIM Client 1.0.0"})
	if _, err := client.GetUser(okta, "u-1"); err != nil {
		t.Fatal(err)
	}
	if got := fake.metadata.Get(IdentityProviderKey); len(got) != 1 || got[0] != "okta" {
		t.Errorf("identity provider of Okta's User-Agent = %v", got)
	}
}

func TestReportRejection(t *testing.T) {
	fake, client := start(t)

	err := client.ReportRejection(callContext(), core.Rejection{
		Operation: "user.update", ResourceID: "u-1", HTTPStatus: 400,
		ScimType: "invalidPath", Detail: "a PATCH path is malformed",
	})
	if err != nil {
		t.Fatal(err)
	}
	got := fake.rejection
	if got.GetOperation() != "user.update" || got.GetResourceId() != "u-1" ||
		got.GetHttpStatus() != 400 || got.GetScimType() != "invalidPath" ||
		got.GetDetail() != "a PATCH path is malformed" {
		t.Errorf("request = %v", got)
	}
	if md := fake.metadata.Get("authorization"); len(md) != 1 || md[0] != "Bearer tok-123" {
		t.Errorf("authorization = %v", md)
	}

	fake.mu.Lock()
	fake.err = status.Error(codes.Unauthenticated, "the bearer token is not valid")
	fake.mu.Unlock()
	err = client.ReportRejection(callContext(), core.Rejection{HTTPStatus: 400})
	if !core.IsKind(err, core.KindUnauthenticated) {
		t.Errorf("error = %v, want unauthenticated", err)
	}
}

// bigPage is a page of 200 groups of 400 members each: about 6 MiB, more
// than gRPC's default limit of 4 MiB.
func bigPage() []*pb.Group {
	groups := make([]*pb.Group, 200)
	for i := range groups {
		g := &pb.Group{Id: fmt.Sprintf("0190f4c2-7a1b-7c3d-8e4f-%012d", i), DisplayName: "Group"}
		for j := 0; j < 400; j++ {
			g.Members = append(g.Members, &pb.ResourceReference{
				Id:      fmt.Sprintf("0190f4c2-7a1b-7c3d-8e4f-%012d", j),
				Display: "Member display name",
				Type:    pb.ResourceType_RESOURCE_TYPE_USER,
			})
		}
		groups[i] = g
	}
	return groups
}

func TestAFullPageOfGroupsIsReceived(t *testing.T) {
	fake, client := start(t)
	fake.mu.Lock()
	fake.groups = bigPage()
	fake.mu.Unlock()

	page, err := client.ListGroups(callContext(), core.ListQuery{StartIndex: 1, Count: 200})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Groups) != 200 || len(page.Groups[199].Members) != 400 {
		t.Errorf("page of %d groups", len(page.Groups))
	}
}

func TestAnAnswerOverTheLimitIsInternalNotRateLimited(t *testing.T) {
	fake, client := start(t, grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(1<<20)))
	fake.mu.Lock()
	fake.groups = bigPage()
	fake.mu.Unlock()

	_, err := client.ListGroups(callContext(), core.ListQuery{StartIndex: 1, Count: 200})
	var coreErr *core.Error
	if !errors.As(err, &coreErr) || coreErr.Kind != core.KindInternal || coreErr.RetryAfter != 0 {
		t.Fatalf("error = %#v, want an internal core error", err)
	}
}

func TestPagingNumbersAreNotWrappedAround(t *testing.T) {
	fake, client := start(t)

	_, err := client.ListUsers(callContext(), core.ListQuery{StartIndex: 1 << 31, Count: 1<<32 + 1})
	if err != nil {
		t.Fatal(err)
	}
	fake.mu.Lock()
	req := fake.listReq
	fake.mu.Unlock()
	if req.GetStartIndex() != math.MaxInt32 || req.GetCount() != math.MaxInt32 {
		t.Errorf("startIndex %d count %d, want both clamped to %d",
			req.GetStartIndex(), req.GetCount(), math.MaxInt32)
	}
}

func TestOptimisticAttemptMetadata(t *testing.T) {
	fake, client := start(t)
	u := scim.User{ID: "u-1", UserName: "ada@example.com"}

	if _, err := client.UpdateUser(callContext(), u, 3, core.UpdatePatch); err != nil {
		t.Fatal(err)
	}
	if got := fake.metadata.Get(OptimisticAttemptKey); len(got) != 0 {
		t.Errorf("unmarked update sent %s = %v", OptimisticAttemptKey, got)
	}

	ctx := core.WithOptimisticAttempt(callContext())
	if _, err := client.UpdateUser(ctx, u, 3, core.UpdatePatch); err != nil {
		t.Fatal(err)
	}
	if got := fake.metadata.Get(OptimisticAttemptKey); len(got) != 1 || got[0] != "true" {
		t.Errorf("marked update sent %s = %v, want [true]", OptimisticAttemptKey, got)
	}
}
