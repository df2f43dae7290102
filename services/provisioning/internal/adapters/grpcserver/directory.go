package grpcserver

import (
	"context"

	provisioningv1 "github.com/craevidence/scim-provisioning/api/gen/craevidence/provisioning/v1"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/app"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/ports"
)

// DirectoryServer serves DirectoryService to other CRA Evidence services,
// authenticated by the internal service token.
type DirectoryServer struct {
	provisioningv1.UnimplementedDirectoryServiceServer
	auth      internalTokenChecker
	directory *app.Directory
}

// NewDirectoryServer returns the DirectoryService server. With an empty
// internal token every call is refused.
func NewDirectoryServer(internalToken string, directory *app.Directory) *DirectoryServer {
	return &DirectoryServer{auth: newInternalTokenChecker(internalToken), directory: directory}
}

// GetMember finds a member by id or email.
func (s *DirectoryServer) GetMember(
	ctx context.Context,
	req *provisioningv1.GetMemberRequest,
) (*provisioningv1.GetMemberResponse, error) {
	if err := s.auth.check(ctx); err != nil {
		return nil, err
	}
	noteCaller(ctx, req.GetOrganizationId(), "")

	var m domain.Member
	var err error
	switch key := req.GetKey().(type) {
	case *provisioningv1.GetMemberRequest_MemberId:
		m, err = s.directory.Member(ctx, req.GetOrganizationId(), key.MemberId)
	case *provisioningv1.GetMemberRequest_Email:
		m, err = s.directory.MemberByEmail(ctx, req.GetOrganizationId(), key.Email)
	default:
		err = domain.Errorf(domain.KindInvalid, "name the member by id or by email")
	}
	if err != nil {
		return nil, err
	}
	return &provisioningv1.GetMemberResponse{Member: memberToProto(m)}, nil
}

// ListDirectoryMembers pages an organisation's members.
func (s *DirectoryServer) ListDirectoryMembers(
	ctx context.Context,
	req *provisioningv1.ListDirectoryMembersRequest,
) (*provisioningv1.ListDirectoryMembersResponse, error) {
	if err := s.auth.check(ctx); err != nil {
		return nil, err
	}
	noteCaller(ctx, req.GetOrganizationId(), "")

	page := ports.Page{Size: int(req.GetPageSize()), Token: req.GetPageToken()}
	members, next, err := s.directory.ListMembers(ctx, req.GetOrganizationId(), page)
	if err != nil {
		return nil, err
	}
	resp := &provisioningv1.ListDirectoryMembersResponse{NextPageToken: next}
	for _, m := range members {
		resp.Members = append(resp.Members, memberToProto(m))
	}
	return resp, nil
}

// CheckLogin says whether a member may log in.
func (s *DirectoryServer) CheckLogin(
	ctx context.Context,
	req *provisioningv1.CheckLoginRequest,
) (*provisioningv1.CheckLoginResponse, error) {
	if err := s.auth.check(ctx); err != nil {
		return nil, err
	}
	noteCaller(ctx, req.GetOrganizationId(), "")

	denial, err := s.directory.CheckLogin(ctx, req.GetOrganizationId(), req.GetMemberId())
	if err != nil {
		return nil, err
	}
	switch denial {
	case app.LoginAllowed:
		return &provisioningv1.CheckLoginResponse{Allowed: true}, nil
	case app.LoginDeniedPendingApproval:
		return &provisioningv1.CheckLoginResponse{
			Reason: provisioningv1.LoginDenialReason_LOGIN_DENIAL_REASON_PENDING_APPROVAL,
		}, nil
	default:
		return &provisioningv1.CheckLoginResponse{
			Reason: provisioningv1.LoginDenialReason_LOGIN_DENIAL_REASON_DEACTIVATED,
		}, nil
	}
}

// UpsertOrganization creates an organisation or changes its name and plan.
func (s *DirectoryServer) UpsertOrganization(
	ctx context.Context,
	req *provisioningv1.UpsertOrganizationRequest,
) (*provisioningv1.UpsertOrganizationResponse, error) {
	if err := s.auth.check(ctx); err != nil {
		return nil, err
	}
	in := req.GetOrganization()
	noteCaller(ctx, in.GetId(), "")

	plan, err := planFromProto(in.GetPlan())
	if err != nil {
		return nil, err
	}
	org, err := s.directory.UpsertOrganization(ctx,
		domain.Organization{ID: in.GetId(), Name: in.GetName(), Plan: plan})
	if err != nil {
		return nil, err
	}
	return &provisioningv1.UpsertOrganizationResponse{Organization: organizationToProto(org)}, nil
}

// AddMember adds a member invited by hand.
func (s *DirectoryServer) AddMember(
	ctx context.Context,
	req *provisioningv1.AddMemberRequest,
) (*provisioningv1.AddMemberResponse, error) {
	if err := s.auth.check(ctx); err != nil {
		return nil, err
	}
	noteCaller(ctx, req.GetOrganizationId(), "")

	role, err := memberRoleFromProto(req.GetRole())
	if err != nil {
		return nil, err
	}
	m, err := s.directory.AddMember(ctx, domain.Invitation{
		OrganizationID: req.GetOrganizationId(),
		Email:          req.GetEmail(),
		UserName:       req.GetUserName(),
		DisplayName:    req.GetDisplayName(),
		Role:           role,
	})
	if err != nil {
		return nil, err
	}
	return &provisioningv1.AddMemberResponse{Member: memberToProto(m)}, nil
}
