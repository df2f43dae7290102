package grpcserver

import (
	"context"

	provisioningv1 "github.com/craevidence/scim-provisioning/api/gen/craevidence/provisioning/v1"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/app"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/ports"
)

// AdminServer serves AdminService for the settings pages, over gRPC and,
// through grpc-gateway, as the admin REST API. The caller's organisation and
// role come from the admin token alone.
type AdminServer struct {
	provisioningv1.UnimplementedAdminServiceServer
	verifier AdminVerifier
	clients  *app.ScimClients
	members  *app.Members
	log      *app.ProvisioningLog
}

// NewAdminServer returns the AdminService server. A nil verifier refuses
// every call, for a core started without an admin secret.
func NewAdminServer(verifier AdminVerifier, clients *app.ScimClients, members *app.Members) *AdminServer {
	return &AdminServer{verifier: verifier, clients: clients, members: members}
}

// admin authenticates the call. Whether the admin may act is the
// application's decision (owners and admins only).
func (s *AdminServer) admin(ctx context.Context) (app.Admin, error) {
	if s.verifier == nil {
		return app.Admin{}, domain.Errorf(domain.KindUnauthenticated, "the admin API is not configured")
	}
	token := bearerToken(ctx)
	if token == "" {
		return app.Admin{}, domain.Errorf(domain.KindUnauthenticated, "an admin bearer token is required")
	}
	admin, err := s.verifier.VerifyAdminToken(ctx, token)
	if err != nil {
		return app.Admin{}, err
	}
	noteCaller(ctx, admin.OrganizationID, "")
	return admin, nil
}

// CreateScimClient creates a SCIM client and returns its token once.
func (s *AdminServer) CreateScimClient(
	ctx context.Context,
	req *provisioningv1.CreateScimClientRequest,
) (*provisioningv1.CreateScimClientResponse, error) {
	admin, err := s.admin(ctx)
	if err != nil {
		return nil, err
	}
	role, err := defaultRoleFromProto(req.GetDefaultRole())
	if err != nil {
		return nil, err
	}
	settings := domain.ClientSettings{
		Name:            req.GetName(),
		SSOConnectionID: req.GetSsoConnectionId(),
		DefaultRole:     role,
		AutoActivate:    req.GetAutoActivate(),
		SyncAttributes:  req.GetAllowSyncAttributes(),
		AllowDeletion:   req.GetAllowDeletion(),
	}

	client, token, err := s.clients.Create(ctx, admin, settings)
	if err != nil {
		return nil, err
	}
	return &provisioningv1.CreateScimClientResponse{Client: clientToProto(client), Token: token}, nil
}

// ListScimClients lists the organisation's clients.
func (s *AdminServer) ListScimClients(
	ctx context.Context,
	_ *provisioningv1.ListScimClientsRequest,
) (*provisioningv1.ListScimClientsResponse, error) {
	admin, err := s.admin(ctx)
	if err != nil {
		return nil, err
	}
	clients, err := s.clients.List(ctx, admin)
	if err != nil {
		return nil, err
	}
	resp := &provisioningv1.ListScimClientsResponse{}
	for _, c := range clients {
		resp.Clients = append(resp.Clients, clientToProto(c))
	}
	return resp, nil
}

// GetScimClient returns one client.
func (s *AdminServer) GetScimClient(
	ctx context.Context,
	req *provisioningv1.GetScimClientRequest,
) (*provisioningv1.GetScimClientResponse, error) {
	admin, err := s.admin(ctx)
	if err != nil {
		return nil, err
	}
	client, err := s.clients.Get(ctx, admin, req.GetClientId())
	if err != nil {
		return nil, err
	}
	return &provisioningv1.GetScimClientResponse{Client: clientToProto(client)}, nil
}

// UpdateScimClient changes the settings present in the request.
func (s *AdminServer) UpdateScimClient(
	ctx context.Context,
	req *provisioningv1.UpdateScimClientRequest,
) (*provisioningv1.UpdateScimClientResponse, error) {
	admin, err := s.admin(ctx)
	if err != nil {
		return nil, err
	}
	changes := app.ClientChanges{
		Name:            req.Name,
		SSOConnectionID: req.SsoConnectionId,
		AutoActivate:    req.AutoActivate,
		SyncAttributes:  req.AllowSyncAttributes,
		AllowDeletion:   req.AllowDeletion,
		Enabled:         req.Enabled,
	}
	if req.DefaultRole != nil {
		role, err := defaultRoleFromProto(req.GetDefaultRole())
		if err != nil {
			return nil, err
		}
		changes.DefaultRole = &role
	}

	client, err := s.clients.Update(ctx, admin, req.GetClientId(), changes)
	if err != nil {
		return nil, err
	}
	return &provisioningv1.UpdateScimClientResponse{Client: clientToProto(client)}, nil
}

// RotateScimClientToken replaces the client's token.
func (s *AdminServer) RotateScimClientToken(
	ctx context.Context,
	req *provisioningv1.RotateScimClientTokenRequest,
) (*provisioningv1.RotateScimClientTokenResponse, error) {
	admin, err := s.admin(ctx)
	if err != nil {
		return nil, err
	}
	client, token, err := s.clients.RotateToken(ctx, admin, req.GetClientId())
	if err != nil {
		return nil, err
	}
	return &provisioningv1.RotateScimClientTokenResponse{Client: clientToProto(client), Token: token}, nil
}

// DeleteScimClient removes the connection.
func (s *AdminServer) DeleteScimClient(
	ctx context.Context,
	req *provisioningv1.DeleteScimClientRequest,
) (*provisioningv1.DeleteScimClientResponse, error) {
	admin, err := s.admin(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.clients.Delete(ctx, admin, req.GetClientId()); err != nil {
		return nil, err
	}
	return &provisioningv1.DeleteScimClientResponse{}, nil
}

// GetScimClientStatistics counts what the client has done.
func (s *AdminServer) GetScimClientStatistics(
	ctx context.Context,
	req *provisioningv1.GetScimClientStatisticsRequest,
) (*provisioningv1.GetScimClientStatisticsResponse, error) {
	admin, err := s.admin(ctx)
	if err != nil {
		return nil, err
	}
	stats, err := s.clients.Statistics(ctx, admin, req.GetClientId())
	if err != nil {
		return nil, err
	}
	return &provisioningv1.GetScimClientStatisticsResponse{
		UsersCreated:       stats.UsersCreated,
		UsersUpdated:       stats.UsersUpdated,
		UsersDeactivated:   stats.UsersDeactivated,
		UsersReactivated:   stats.UsersReactivated,
		UsersDeleted:       stats.UsersDeleted,
		RequestsFailed:     stats.RequestsFailed,
		RequestsRefused:    stats.RequestsRefused,
		LastSyncTime:       timestampOrNil(stats.LastSyncAt),
		IdentityProvider:   stats.IdentityProvider,
		CompatibilityRules: ruleCountsToProto(stats.CompatibilityRules),
	}, nil
}

// ListProvisioningEvents pages through the organisation's provisioning log.
func (s *AdminServer) ListProvisioningEvents(
	ctx context.Context,
	req *provisioningv1.ListProvisioningEventsRequest,
) (*provisioningv1.ListProvisioningEventsResponse, error) {
	admin, err := s.admin(ctx)
	if err != nil {
		return nil, err
	}
	outcome, err := outcomeFromProto(req.GetOutcome())
	if err != nil {
		return nil, err
	}
	query := ports.EventQuery{
		ClientID:  req.GetClientId(),
		MemberID:  req.GetMemberId(),
		Operation: domain.Operation(req.GetOperation()),
		Outcome:   outcome,
		Page:      ports.Page{Size: int(req.GetPageSize()), Token: req.GetPageToken()},
	}
	if req.Since != nil {
		query.Since = req.GetSince().AsTime()
	}
	if req.Until != nil {
		query.Until = req.GetUntil().AsTime()
	}

	events, next, err := s.clients.ListEvents(ctx, admin, query)
	if err != nil {
		return nil, err
	}
	resp := &provisioningv1.ListProvisioningEventsResponse{NextPageToken: next}
	for _, e := range events {
		resp.Events = append(resp.Events, eventToProto(e))
	}
	return resp, nil
}

// ListMembers lists the organisation's members.
func (s *AdminServer) ListMembers(
	ctx context.Context,
	req *provisioningv1.ListMembersRequest,
) (*provisioningv1.ListMembersResponse, error) {
	admin, err := s.admin(ctx)
	if err != nil {
		return nil, err
	}
	page := ports.Page{Size: int(req.GetPageSize()), Token: req.GetPageToken()}
	members, next, err := s.members.List(ctx, admin, page)
	if err != nil {
		return nil, err
	}
	resp := &provisioningv1.ListMembersResponse{NextPageToken: next}
	for _, m := range members {
		resp.Members = append(resp.Members, memberToProto(m))
	}
	return resp, nil
}

// ApproveMember activates a member pending approval.
func (s *AdminServer) ApproveMember(
	ctx context.Context,
	req *provisioningv1.ApproveMemberRequest,
) (*provisioningv1.ApproveMemberResponse, error) {
	admin, err := s.admin(ctx)
	if err != nil {
		return nil, err
	}
	m, err := s.members.Approve(ctx, admin, req.GetMemberId())
	if err != nil {
		return nil, err
	}
	return &provisioningv1.ApproveMemberResponse{Member: memberToProto(m)}, nil
}

// DeactivateMember stops a member from logging in.
func (s *AdminServer) DeactivateMember(
	ctx context.Context,
	req *provisioningv1.DeactivateMemberRequest,
) (*provisioningv1.DeactivateMemberResponse, error) {
	admin, err := s.admin(ctx)
	if err != nil {
		return nil, err
	}
	m, err := s.members.Deactivate(ctx, admin, req.GetMemberId())
	if err != nil {
		return nil, err
	}
	return &provisioningv1.DeactivateMemberResponse{Member: memberToProto(m)}, nil
}

// ReactivateMember lets a deactivated member log in again.
func (s *AdminServer) ReactivateMember(
	ctx context.Context,
	req *provisioningv1.ReactivateMemberRequest,
) (*provisioningv1.ReactivateMemberResponse, error) {
	admin, err := s.admin(ctx)
	if err != nil {
		return nil, err
	}
	m, err := s.members.Reactivate(ctx, admin, req.GetMemberId())
	if err != nil {
		return nil, err
	}
	return &provisioningv1.ReactivateMemberResponse{Member: memberToProto(m)}, nil
}

func ruleCountsToProto(counts []domain.RuleCount) []*provisioningv1.CompatibilityRuleCount {
	out := make([]*provisioningv1.CompatibilityRuleCount, len(counts))
	for i, c := range counts {
		out[i] = &provisioningv1.CompatibilityRuleCount{Rule: c.Rule, Requests: c.Events}
	}
	return out
}
