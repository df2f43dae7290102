package grpcserver

import (
	"context"

	provisioningv1 "github.com/craevidence/scim-provisioning/api/gen/craevidence/provisioning/v1"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/app"
)

// ScimServer serves ScimService: the SCIM gateway's calls, each carrying the
// SCIM client's bearer token as "authorization" metadata.
type ScimServer struct {
	provisioningv1.UnimplementedScimServiceServer
	provisioning *app.Provisioning
}

// NewScimServer returns the ScimService server.
func NewScimServer(provisioning *app.Provisioning) *ScimServer {
	return &ScimServer{provisioning: provisioning}
}

// authenticate checks the call's token on every call; see
// app.Provisioning.Authenticate for why nothing is cached.
func (s *ScimServer) authenticate(ctx context.Context) (app.ScimCaller, error) {
	caller, err := s.provisioning.Authenticate(ctx, bearerToken(ctx))
	if err != nil {
		return app.ScimCaller{}, err
	}
	noteCaller(ctx, caller.Organization.ID, caller.Client.ID)
	return caller, nil
}

// Authenticate names the client the token belongs to.
func (s *ScimServer) Authenticate(
	ctx context.Context,
	_ *provisioningv1.AuthenticateRequest,
) (*provisioningv1.AuthenticateResponse, error) {
	caller, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	return &provisioningv1.AuthenticateResponse{
		OrganizationId: caller.Organization.ID,
		ClientId:       caller.Client.ID,
		ClientName:     caller.Client.Name,
	}, nil
}

// CreateUser provisions a user.
func (s *ScimServer) CreateUser(
	ctx context.Context,
	req *provisioningv1.CreateUserRequest,
) (*provisioningv1.CreateUserResponse, error) {
	caller, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	user, err := s.provisioning.CreateUser(ctx, caller, provisionedUserFromProto(req.GetUser()))
	if err != nil {
		return nil, err
	}
	return &provisioningv1.CreateUserResponse{User: userToProto(user)}, nil
}

// GetUser returns a user linked to the calling client.
func (s *ScimServer) GetUser(
	ctx context.Context,
	req *provisioningv1.GetUserRequest,
) (*provisioningv1.GetUserResponse, error) {
	caller, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	user, err := s.provisioning.GetUser(ctx, caller, req.GetId())
	if err != nil {
		return nil, err
	}
	return &provisioningv1.GetUserResponse{User: userToProto(user)}, nil
}

// ListUsers returns a page of the calling client's users.
func (s *ScimServer) ListUsers(
	ctx context.Context,
	req *provisioningv1.ListUsersRequest,
) (*provisioningv1.ListUsersResponse, error) {
	caller, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	query, err := listQueryFromProto(req)
	if err != nil {
		return nil, err
	}

	users, total, err := s.provisioning.ListUsers(ctx, caller, query)
	if err != nil {
		return nil, err
	}
	resp := &provisioningv1.ListUsersResponse{TotalResults: total}
	for _, u := range users {
		resp.Users = append(resp.Users, userToProto(u))
	}
	return resp, nil
}

// UpdateUser replaces a user's attributes.
func (s *ScimServer) UpdateUser(
	ctx context.Context,
	req *provisioningv1.UpdateUserRequest,
) (*provisioningv1.UpdateUserResponse, error) {
	caller, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	if optimisticAttempt(ctx) {
		ctx = app.WithOptimisticAttempt(ctx)
	}
	user, err := s.provisioning.UpdateUser(ctx, caller, req.GetUser().GetId(),
		provisionedUserFromProto(req.GetUser()), req.GetExpectedVersion())
	if err != nil {
		return nil, err
	}
	return &provisioningv1.UpdateUserResponse{User: userToProto(user)}, nil
}

// DeleteUser removes a user from the calling client's view.
func (s *ScimServer) DeleteUser(
	ctx context.Context,
	req *provisioningv1.DeleteUserRequest,
) (*provisioningv1.DeleteUserResponse, error) {
	caller, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.provisioning.DeleteUser(ctx, caller, req.GetId(), req.GetExpectedVersion()); err != nil {
		return nil, err
	}
	return &provisioningv1.DeleteUserResponse{}, nil
}

// CreateGroup creates a group.
func (s *ScimServer) CreateGroup(
	ctx context.Context,
	req *provisioningv1.CreateGroupRequest,
) (*provisioningv1.CreateGroupResponse, error) {
	caller, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	group, err := s.provisioning.CreateGroup(ctx, caller, groupInputFromProto(req.GetGroup()))
	if err != nil {
		return nil, err
	}
	return &provisioningv1.CreateGroupResponse{Group: groupToProto(group)}, nil
}

// GetGroup returns one group.
func (s *ScimServer) GetGroup(
	ctx context.Context,
	req *provisioningv1.GetGroupRequest,
) (*provisioningv1.GetGroupResponse, error) {
	caller, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	group, err := s.provisioning.GetGroup(ctx, caller, req.GetId(), req.GetExcludeMembers())
	if err != nil {
		return nil, err
	}
	return &provisioningv1.GetGroupResponse{Group: groupToProto(group)}, nil
}

// ListGroups returns a page of the organisation's groups.
func (s *ScimServer) ListGroups(
	ctx context.Context,
	req *provisioningv1.ListGroupsRequest,
) (*provisioningv1.ListGroupsResponse, error) {
	caller, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	query, err := listQueryFromProto(req)
	if err != nil {
		return nil, err
	}

	groups, total, err := s.provisioning.ListGroups(ctx, caller, query, req.GetExcludeMembers())
	if err != nil {
		return nil, err
	}
	resp := &provisioningv1.ListGroupsResponse{TotalResults: total}
	for _, g := range groups {
		resp.Groups = append(resp.Groups, groupToProto(g))
	}
	return resp, nil
}

// ReplaceGroup replaces a group and its member list.
func (s *ScimServer) ReplaceGroup(
	ctx context.Context,
	req *provisioningv1.ReplaceGroupRequest,
) (*provisioningv1.ReplaceGroupResponse, error) {
	caller, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	group, err := s.provisioning.ReplaceGroup(ctx, caller, req.GetGroup().GetId(),
		groupInputFromProto(req.GetGroup()), req.GetExpectedVersion())
	if err != nil {
		return nil, err
	}
	return &provisioningv1.ReplaceGroupResponse{Group: groupToProto(group)}, nil
}

// ModifyGroup changes a group in place.
func (s *ScimServer) ModifyGroup(
	ctx context.Context,
	req *provisioningv1.ModifyGroupRequest,
) (*provisioningv1.ModifyGroupResponse, error) {
	caller, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	change := app.GroupChange{
		DisplayName:      req.DisplayName,
		ExternalID:       req.ExternalId,
		AddMemberIDs:     req.GetAddMemberIds(),
		RemoveMemberIDs:  req.GetRemoveMemberIds(),
		RemoveAllMembers: req.GetRemoveAllMembers(),
	}
	group, err := s.provisioning.ModifyGroup(ctx, caller, req.GetId(), change,
		req.GetExpectedVersion(), req.GetExcludeMembers())
	if err != nil {
		return nil, err
	}
	return &provisioningv1.ModifyGroupResponse{Group: groupToProto(group)}, nil
}

// DeleteGroup deletes a group.
func (s *ScimServer) DeleteGroup(
	ctx context.Context,
	req *provisioningv1.DeleteGroupRequest,
) (*provisioningv1.DeleteGroupResponse, error) {
	caller, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.provisioning.DeleteGroup(ctx, caller, req.GetId(), req.GetExpectedVersion()); err != nil {
		return nil, err
	}
	return &provisioningv1.DeleteGroupResponse{}, nil
}
