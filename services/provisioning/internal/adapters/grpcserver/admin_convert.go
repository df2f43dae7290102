package grpcserver

import (
	provisioningv1 "github.com/craevidence/scim-provisioning/api/gen/craevidence/provisioning/v1"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
)

var rolesToProto = map[domain.Role]provisioningv1.MemberRole{
	domain.RoleOwner:  provisioningv1.MemberRole_MEMBER_ROLE_OWNER,
	domain.RoleAdmin:  provisioningv1.MemberRole_MEMBER_ROLE_ADMIN,
	domain.RoleMember: provisioningv1.MemberRole_MEMBER_ROLE_MEMBER,
	domain.RoleViewer: provisioningv1.MemberRole_MEMBER_ROLE_VIEWER,
}

// defaultRoleFromProto reads a client's default role; unspecified is left
// empty for the domain to default.
func defaultRoleFromProto(r provisioningv1.MemberRole) (domain.Role, error) {
	switch r {
	case provisioningv1.MemberRole_MEMBER_ROLE_UNSPECIFIED:
		return "", nil
	case provisioningv1.MemberRole_MEMBER_ROLE_MEMBER:
		return domain.RoleMember, nil
	case provisioningv1.MemberRole_MEMBER_ROLE_VIEWER:
		return domain.RoleViewer, nil
	default:
		return "", domain.Errorf(domain.KindInvalid, "the default role of a SCIM client is member or viewer")
	}
}

// memberRoleFromProto reads any member role; unspecified is left empty for
// the domain to default.
func memberRoleFromProto(r provisioningv1.MemberRole) (domain.Role, error) {
	if r == provisioningv1.MemberRole_MEMBER_ROLE_UNSPECIFIED {
		return "", nil
	}
	for role, p := range rolesToProto {
		if p == r {
			return role, nil
		}
	}
	return "", domain.Errorf(domain.KindInvalid, "role %d is not known", r)
}

func clientToProto(c domain.ScimClient) *provisioningv1.ScimClient {
	return &provisioningv1.ScimClient{
		Id:                  c.ID,
		OrganizationId:      c.OrganizationID,
		Name:                c.Name,
		SsoConnectionId:     c.SSOConnectionID,
		DefaultRole:         rolesToProto[c.DefaultRole],
		AutoActivate:        c.AutoActivate,
		AllowSyncAttributes: c.SyncAttributes,
		AllowDeletion:       c.AllowDeletion,
		Enabled:             c.Enabled,
		TokenPrefix:         c.TokenPrefix,
		TokenRotatedAt:      timestampOrNil(c.TokenRotatedAt),
		CreatedAt:           timestampOrNil(c.CreatedAt),
		UpdatedAt:           timestampOrNil(c.UpdatedAt),
		IdentityProvider:    c.IdentityProvider,
	}
}

var statusesToProto = map[domain.Status]provisioningv1.MemberStatus{
	domain.StatusActive:          provisioningv1.MemberStatus_MEMBER_STATUS_ACTIVE,
	domain.StatusPendingApproval: provisioningv1.MemberStatus_MEMBER_STATUS_PENDING_APPROVAL,
	domain.StatusDeactivated:     provisioningv1.MemberStatus_MEMBER_STATUS_DEACTIVATED,
}

func memberToProto(m domain.Member) *provisioningv1.Member {
	return &provisioningv1.Member{
		Id:             m.ID,
		OrganizationId: m.OrganizationID,
		UserName:       m.UserName,
		Email:          m.Profile.PrimaryEmail(),
		DisplayName:    m.Profile.DisplayName,
		GivenName:      m.Profile.Name.GivenName,
		FamilyName:     m.Profile.Name.FamilyName,
		Role:           rolesToProto[m.Role],
		Status:         statusesToProto[m.Status],
		ClientId:       m.ClientID,
		ScimActive:     m.ScimActive,
		CreatedAt:      timestampOrNil(m.CreatedAt),
		UpdatedAt:      timestampOrNil(m.UpdatedAt),
	}
}

var outcomesToProto = map[domain.Outcome]provisioningv1.ProvisioningOutcome{
	domain.OutcomeSucceeded: provisioningv1.ProvisioningOutcome_PROVISIONING_OUTCOME_SUCCEEDED,
	domain.OutcomeFailed:    provisioningv1.ProvisioningOutcome_PROVISIONING_OUTCOME_FAILED,
	domain.OutcomeRefused:   provisioningv1.ProvisioningOutcome_PROVISIONING_OUTCOME_REFUSED,
}

func outcomeFromProto(o provisioningv1.ProvisioningOutcome) (domain.Outcome, error) {
	if o == provisioningv1.ProvisioningOutcome_PROVISIONING_OUTCOME_UNSPECIFIED {
		return "", nil
	}
	for outcome, p := range outcomesToProto {
		if p == o {
			return outcome, nil
		}
	}
	return "", domain.Errorf(domain.KindInvalid, "outcome %d is not known", o)
}

func eventToProto(e domain.Event) *provisioningv1.ProvisioningEvent {
	return &provisioningv1.ProvisioningEvent{
		Id:                e.ID,
		OrganizationId:    e.OrganizationID,
		ClientId:          e.ClientID,
		Operation:         string(e.Operation),
		Outcome:           outcomesToProto[e.Outcome],
		MemberId:          e.MemberID,
		GroupId:           e.GroupID,
		Actor:             e.Actor,
		RequestId:         e.RequestID,
		ChangedAttributes: e.ChangedAttributes,
		ErrorCode:         e.ErrorCode,
		ErrorDetail:       e.ErrorDetail,
		OccurredAt:        timestampOrNil(e.OccurredAt),

		IdentityProvider:   e.IdentityProvider,
		CompatibilityRules: e.CompatibilityRules,
		ChainHash:          e.ChainHash,
	}
}

var plansToProto = map[domain.Plan]provisioningv1.Plan{
	domain.PlanFree:       provisioningv1.Plan_PLAN_FREE,
	domain.PlanTeam:       provisioningv1.Plan_PLAN_TEAM,
	domain.PlanEnterprise: provisioningv1.Plan_PLAN_ENTERPRISE,
}

func planFromProto(p provisioningv1.Plan) (domain.Plan, error) {
	for plan, v := range plansToProto {
		if v == p {
			return plan, nil
		}
	}
	return "", domain.Errorf(domain.KindInvalid, "an organisation needs a plan: free, team or enterprise")
}

func organizationToProto(o domain.Organization) *provisioningv1.Organization {
	return &provisioningv1.Organization{Id: o.ID, Name: o.Name, Plan: plansToProto[o.Plan]}
}
