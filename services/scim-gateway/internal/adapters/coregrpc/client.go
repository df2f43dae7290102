// Package coregrpc is the gRPC adapter of the core.Provisioning port: it
// maps the gateway's types to the ScimService protobuf messages, attaches
// the caller's token and the request id as metadata, and maps gRPC statuses
// to core error kinds.
package coregrpc

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	pb "github.com/craevidence/scim-provisioning/api/gen/craevidence/provisioning/v1"
	"github.com/craevidence/scim-provisioning/pkg/requestid/grpcrequestid"
	"github.com/craevidence/scim-provisioning/services/scim-gateway/internal/core"
	"github.com/craevidence/scim-provisioning/services/scim-gateway/internal/idp"
	"github.com/craevidence/scim-provisioning/services/scim-gateway/internal/scim"
)

// ErrorDomain is the google.rpc.ErrorInfo domain under which the core names
// a SCIM scimType as the reason.
const ErrorDomain = "provisioning.craevidence.eu"

// Client implements core.Provisioning over a gRPC connection to the core.
type Client struct {
	conn   *grpc.ClientConn
	scim   pb.ScimServiceClient
	health healthpb.HealthClient
}

// MaxReceiveBytes bounds one answer of the core. The largest answers are
// pages of groups with their members: a full page of 200 groups (the
// gateway's MaxCount) whose members take about 80 bytes each fits with
// about 4,000 members per group. gRPC's default of 4 MiB was too small for
// such a page. An answer beyond this bound fails as an internal error
// (500 with a generic detail), never as a rate limit.
//
// TODO: member lists are not paged (RFC 7644 has no paging inside a
// resource), so a page of very large groups can still exceed the bound; the
// core should cap the members it returns per list page so that it cannot.
const MaxReceiveBytes = 64 << 20

// Dial connects to the core at target. The connection is lazy: it is made
// on the first call, so the gateway starts while the core is still coming up.
//
// TODO: transport security to the core is plaintext; both run in one
// private network today, but mTLS is needed before they are split.
func Dial(target string, opts ...grpc.DialOption) (*Client, error) {
	opts = append([]grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithChainUnaryInterceptor(grpcrequestid.UnaryClientInterceptor()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(MaxReceiveBytes)),
	}, opts...)
	conn, err := grpc.NewClient(target, opts...)
	if err != nil {
		return nil, fmt.Errorf("dial provisioning core %s: %w", target, err)
	}
	return &Client{
		conn:   conn,
		scim:   pb.NewScimServiceClient(conn),
		health: healthpb.NewHealthClient(conn),
	}, nil
}

// Close closes the connection.
func (c *Client) Close() error {
	return c.conn.Close()
}

// The metadata keys that tell the core which identity provider sent a
// request and which compatibility rules were applied to read it.
const (
	IdentityProviderKey   = "x-scim-identity-provider"
	CompatibilityRulesKey = "x-scim-compatibility-rules"
)

// OptimisticAttemptKey marks, with the value "true", an UpdateUser call
// that the gateway retries when it fails on a stale version; the core
// then logs no failure for a stale version of that call. See
// core.WithOptimisticAttempt.
const OptimisticAttemptKey = "x-scim-optimistic-attempt"

// outgoing attaches the caller's token, the identity provider and
// compatibility rules known so far, and the optimistic-attempt mark; the
// request id is attached by the interceptor installed in Dial. The rules
// are read at each call because a PATCH learns some of them between its
// read and its write.
func outgoing(ctx context.Context) context.Context {
	var pairs []string
	if token := core.TokenFrom(ctx); token != "" {
		pairs = append(pairs, "authorization", "Bearer "+token)
	}
	if src := core.SourceFrom(ctx); src != nil {
		rules := src.Notes.Rules()
		if provider := idp.Recognise(src.UserAgent, rules); provider != "" {
			pairs = append(pairs, IdentityProviderKey, provider)
		}
		if len(rules) > 0 {
			pairs = append(pairs, CompatibilityRulesKey, strings.Join(rules, ","))
		}
	}
	if core.IsOptimisticAttempt(ctx) {
		pairs = append(pairs, OptimisticAttemptKey, "true")
	}
	if len(pairs) == 0 {
		return ctx
	}
	return metadata.AppendToOutgoingContext(ctx, pairs...)
}

// Ping asks the core's health service. A core without one still proves it is
// reachable by answering Unimplemented.
func (c *Client) Ping(ctx context.Context) error {
	_, err := c.health.Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil && status.Code(err) != codes.Unimplemented {
		return fmt.Errorf("ping provisioning core: %w", err)
	}
	return nil
}

// Authenticate implements core.Provisioning.
func (c *Client) Authenticate(ctx context.Context) (core.Client, error) {
	resp, err := c.scim.Authenticate(outgoing(ctx), &pb.AuthenticateRequest{})
	if err != nil {
		return core.Client{}, fromStatus(err)
	}
	return core.Client{
		OrganizationID: resp.GetOrganizationId(),
		ClientID:       resp.GetClientId(),
		Name:           resp.GetClientName(),
	}, nil
}

// CreateUser implements core.Provisioning.
func (c *Client) CreateUser(ctx context.Context, u scim.User) (scim.User, error) {
	resp, err := c.scim.CreateUser(outgoing(ctx), &pb.CreateUserRequest{User: userToProto(u)})
	if err != nil {
		return scim.User{}, fromStatus(err)
	}
	return userFromProto(resp.GetUser()), nil
}

// GetUser implements core.Provisioning.
func (c *Client) GetUser(ctx context.Context, id string) (scim.User, error) {
	resp, err := c.scim.GetUser(outgoing(ctx), &pb.GetUserRequest{Id: id})
	if err != nil {
		return scim.User{}, fromStatus(err)
	}
	return userFromProto(resp.GetUser()), nil
}

// ListUsers implements core.Provisioning.
func (c *Client) ListUsers(ctx context.Context, q core.ListQuery) (core.UserPage, error) {
	filter, err := filterToProto(q.Filter)
	if err != nil {
		return core.UserPage{}, fmt.Errorf("list users: %w", err)
	}
	resp, err := c.scim.ListUsers(outgoing(ctx), &pb.ListUsersRequest{
		Filter:     filter,
		StartIndex: clampInt32(q.StartIndex),
		Count:      clampInt32(q.Count),
		SortBy:     q.SortBy,
		SortOrder:  sortOrderToProto(q),
	})
	if err != nil {
		return core.UserPage{}, fromStatus(err)
	}

	page := core.UserPage{Total: resp.GetTotalResults()}
	for _, u := range resp.GetUsers() {
		page.Users = append(page.Users, userFromProto(u))
	}
	return page, nil
}

// UpdateUser implements core.Provisioning.
func (c *Client) UpdateUser(
	ctx context.Context,
	u scim.User,
	expectedVersion int64,
	kind core.UpdateKind,
) (scim.User, error) {
	pbKind := pb.UpdateKind_UPDATE_KIND_REPLACE
	if kind == core.UpdatePatch {
		pbKind = pb.UpdateKind_UPDATE_KIND_PATCH
	}
	resp, err := c.scim.UpdateUser(outgoing(ctx), &pb.UpdateUserRequest{
		User:            userToProto(u),
		ExpectedVersion: expectedVersion,
		Kind:            pbKind,
	})
	if err != nil {
		return scim.User{}, fromStatus(err)
	}
	return userFromProto(resp.GetUser()), nil
}

// DeleteUser implements core.Provisioning.
func (c *Client) DeleteUser(ctx context.Context, id string, expectedVersion int64) error {
	_, err := c.scim.DeleteUser(outgoing(ctx), &pb.DeleteUserRequest{
		Id: id, ExpectedVersion: expectedVersion,
	})
	if err != nil {
		return fromStatus(err)
	}
	return nil
}

// CreateGroup implements core.Provisioning.
func (c *Client) CreateGroup(ctx context.Context, g scim.Group) (scim.Group, error) {
	resp, err := c.scim.CreateGroup(outgoing(ctx), &pb.CreateGroupRequest{Group: groupToProto(g)})
	if err != nil {
		return scim.Group{}, fromStatus(err)
	}
	return groupFromProto(resp.GetGroup()), nil
}

// GetGroup implements core.Provisioning.
func (c *Client) GetGroup(ctx context.Context, id string, excludeMembers bool) (scim.Group, error) {
	resp, err := c.scim.GetGroup(outgoing(ctx), &pb.GetGroupRequest{
		Id: id, ExcludeMembers: excludeMembers,
	})
	if err != nil {
		return scim.Group{}, fromStatus(err)
	}
	return groupFromProto(resp.GetGroup()), nil
}

// ListGroups implements core.Provisioning.
func (c *Client) ListGroups(ctx context.Context, q core.ListQuery) (core.GroupPage, error) {
	filter, err := filterToProto(q.Filter)
	if err != nil {
		return core.GroupPage{}, fmt.Errorf("list groups: %w", err)
	}
	resp, err := c.scim.ListGroups(outgoing(ctx), &pb.ListGroupsRequest{
		Filter:         filter,
		StartIndex:     clampInt32(q.StartIndex),
		Count:          clampInt32(q.Count),
		SortBy:         q.SortBy,
		SortOrder:      sortOrderToProto(q),
		ExcludeMembers: q.ExcludeMembers,
	})
	if err != nil {
		return core.GroupPage{}, fromStatus(err)
	}

	page := core.GroupPage{Total: resp.GetTotalResults()}
	for _, g := range resp.GetGroups() {
		page.Groups = append(page.Groups, groupFromProto(g))
	}
	return page, nil
}

// ReplaceGroup implements core.Provisioning.
func (c *Client) ReplaceGroup(
	ctx context.Context,
	g scim.Group,
	expectedVersion int64,
) (scim.Group, error) {
	resp, err := c.scim.ReplaceGroup(outgoing(ctx), &pb.ReplaceGroupRequest{
		Group: groupToProto(g), ExpectedVersion: expectedVersion,
	})
	if err != nil {
		return scim.Group{}, fromStatus(err)
	}
	return groupFromProto(resp.GetGroup()), nil
}

// ModifyGroup implements core.Provisioning.
func (c *Client) ModifyGroup(ctx context.Context, m core.GroupModification) (scim.Group, error) {
	resp, err := c.scim.ModifyGroup(outgoing(ctx), &pb.ModifyGroupRequest{
		Id:               m.ID,
		ExpectedVersion:  m.ExpectedVersion,
		DisplayName:      m.Change.DisplayName,
		ExternalId:       m.Change.ExternalID,
		AddMemberIds:     m.Change.AddMemberIDs,
		RemoveMemberIds:  m.Change.RemoveMemberIDs,
		RemoveAllMembers: m.Change.RemoveAllMembers,
		ExcludeMembers:   m.ExcludeMembers,
	})
	if err != nil {
		return scim.Group{}, fromStatus(err)
	}
	return groupFromProto(resp.GetGroup()), nil
}

// DeleteGroup implements core.Provisioning.
func (c *Client) DeleteGroup(ctx context.Context, id string, expectedVersion int64) error {
	_, err := c.scim.DeleteGroup(outgoing(ctx), &pb.DeleteGroupRequest{
		Id: id, ExpectedVersion: expectedVersion,
	})
	if err != nil {
		return fromStatus(err)
	}
	return nil
}

// ReportRejection implements core.Provisioning.
func (c *Client) ReportRejection(ctx context.Context, r core.Rejection) error {
	_, err := c.scim.ReportRejection(outgoing(ctx), &pb.ReportRejectionRequest{
		Operation:  r.Operation,
		ResourceId: r.ResourceID,
		HttpStatus: int32(r.HTTPStatus),
		ScimType:   r.ScimType,
		Detail:     r.Detail,
	})
	if err != nil {
		return fromStatus(err)
	}
	return nil
}

// codeKinds maps the gRPC codes the core answers deliberately to error
// kinds; the HTTP status of each kind is decided in one table of the HTTP
// layer. Codes that only the transport makes (Unknown, Internal, Canceled,
// Unimplemented for a method the core lacks, …) are internal errors, whose
// messages never reach a client.
var codeKinds = map[codes.Code]core.Kind{
	codes.InvalidArgument:    core.KindInvalid,
	codes.Unauthenticated:    core.KindUnauthenticated,
	codes.PermissionDenied:   core.KindPermissionDenied,
	codes.NotFound:           core.KindNotFound,
	codes.AlreadyExists:      core.KindAlreadyExists,
	codes.Aborted:            core.KindConflict,
	codes.FailedPrecondition: core.KindPreconditionFailed,
	codes.ResourceExhausted:  core.KindRateLimited,
	codes.Unavailable:        core.KindUnavailable,
	codes.DeadlineExceeded:   core.KindUnavailable,
}

// fromStatus turns a gRPC error into a *core.Error, reading the scimType
// from an ErrorInfo of our domain and the delay from a RetryInfo.
//
// ResourceExhausted is a rate limit only with a RetryInfo: that is how a
// deliberate limit is signalled. Without one it comes from the transport,
// such as an answer larger than MaxReceiveBytes, and telling the identity
// provider to retry would only repeat it, so it is an internal error.
func fromStatus(err error) error {
	st, ok := status.FromError(err)
	if !ok {
		return &core.Error{Kind: core.KindInternal, Message: err.Error()}
	}

	kind, known := codeKinds[st.Code()]
	if !known {
		kind = core.KindInternal
	}
	out := &core.Error{Kind: kind, Message: st.Message()}
	retryInfo := false
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			if d.GetDomain() == ErrorDomain {
				out.ScimType = d.GetReason()
			}
		case *errdetails.RetryInfo:
			retryInfo = true
			out.RetryAfter = d.GetRetryDelay().AsDuration()
		}
	}

	switch {
	case kind == core.KindRateLimited && !retryInfo:
		// The message is for the operator's log; the client is told
		// "internal error".
		return &core.Error{Kind: core.KindInternal,
			Message: "provisioning core call exhausted a transport limit: " + st.Message()}
	case kind == core.KindInternal:
		out.ScimType = ""
	case kind == core.KindRateLimited && out.RetryAfter <= 0:
		out.RetryAfter = time.Second
	}
	return out
}

var _ core.Provisioning = (*Client)(nil)

// clampInt32 converts paging numbers for the protobuf fields without the
// wrap-around of a plain conversion, which would turn a huge startIndex
// into a small or negative one. The HTTP layer clamps already; this keeps
// the adapter safe on its own.
func clampInt32(n int) int32 {
	return int32(min(max(n, math.MinInt32), math.MaxInt32))
}

// sortOrderToProto leaves the order unspecified when nothing is sorted.
func sortOrderToProto(q core.ListQuery) pb.SortOrder {
	switch {
	case q.SortBy == "":
		return pb.SortOrder_SORT_ORDER_UNSPECIFIED
	case q.SortDescending:
		return pb.SortOrder_SORT_ORDER_DESCENDING
	default:
		return pb.SortOrder_SORT_ORDER_ASCENDING
	}
}
