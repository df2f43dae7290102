package grpcserver_test

import (
	"context"
	"testing"

	"google.golang.org/grpc/codes"

	provisioningv1 "github.com/craevidence/scim-provisioning/api/gen/craevidence/provisioning/v1"
)

func TestDirectoryAddMember(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	req := &provisioningv1.AddMemberRequest{
		OrganizationId: "org-a", Email: "grace@example.com", DisplayName: "Grace",
		Role: provisioningv1.MemberRole_MEMBER_ROLE_ADMIN,
	}

	_, err := e.dir.AddMember(context.Background(), req)
	wantCode(t, err, codes.Unauthenticated)

	ctx := withBearer(testInternalToken)
	resp, err := e.dir.AddMember(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	m := resp.GetMember()
	if m.GetRole() != provisioningv1.MemberRole_MEMBER_ROLE_ADMIN || m.GetClientId() != "" ||
		m.GetStatus() != provisioningv1.MemberStatus_MEMBER_STATUS_ACTIVE ||
		m.GetUserName() != "grace@example.com" || m.GetEmail() != "grace@example.com" {
		t.Errorf("added member = %v", m)
	}

	_, err = e.dir.AddMember(ctx, req)
	wantCode(t, err, codes.AlreadyExists)
	if reason := reasonOf(t, err); reason != "uniqueness" {
		t.Errorf("reason = %q", reason)
	}
	_, err = e.dir.AddMember(ctx, &provisioningv1.AddMemberRequest{OrganizationId: "org-a", Email: "nope"})
	wantCode(t, err, codes.InvalidArgument)
	_, err = e.dir.AddMember(ctx, &provisioningv1.AddMemberRequest{
		OrganizationId: "org-a", Email: "x@example.com", Role: provisioningv1.MemberRole(42),
	})
	wantCode(t, err, codes.InvalidArgument)
	_, err = e.dir.AddMember(ctx, &provisioningv1.AddMemberRequest{
		OrganizationId: "org-zzz", Email: "x@example.com",
	})
	wantCode(t, err, codes.NotFound)
}
