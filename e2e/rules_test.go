package e2e

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	provisioningv1 "github.com/craevidence/scim-provisioning/api/gen/craevidence/provisioning/v1"
)

// The tests of this file prove each provisioning rule of DESIGN.md through
// the real SCIM gateway, on every database.

func TestRuleAdoptsMemberAddedByHand(t *testing.T) {
	forEachDatabase(t, func(t *testing.T, s *System) {
		dir, ctx := s.Directory(t)
		added, err := dir.AddMember(ctx, &provisioningv1.AddMemberRequest{
			OrganizationId: s.Organization, Email: "Grace@Example.com", DisplayName: "Grace",
			Role: provisioningv1.MemberRole_MEMBER_ROLE_ADMIN,
		})
		if err != nil {
			t.Fatalf("add member: %v", err)
		}
		id := added.GetMember().GetId()
		if m, _ := s.MemberByID(t, id); m.ClientID != "" || m.Role != "MEMBER_ROLE_ADMIN" {
			t.Fatalf("added member = %+v", m)
		}

		// The member invited by hand is not the client's until it provisions it.
		expectSCIMError(t, s.SCIM(http.MethodGet, "/Users/"+id, nil), http.StatusNotFound, "")

		created := s.SCIM(http.MethodPost, "/Users", scimUserBody("grace@example.com", true))
		expectStatus(t, created, http.StatusCreated)
		if created.String("id") != id {
			t.Fatalf("POST created %s, want the member added by hand (%s) adopted", created.String("id"), id)
		}
		m, _ := s.MemberByID(t, id)
		if m.Role != "MEMBER_ROLE_ADMIN" || m.ClientID != s.ClientID || m.Status != "MEMBER_STATUS_ACTIVE" {
			t.Errorf("adopted member = %+v, want role admin kept, linked, active", m)
		}
		if got := countEvents(s.EventsAs(t, s.AdminToken, "memberId="+id)); got["member.add/succeeded"] != 1 ||
			got["user.create/succeeded"] != 1 {
			t.Errorf("events of the member = %v", got)
		}
	})
}

func TestRuleConflictWhenLinkedToAnotherClient(t *testing.T) {
	forEachDatabase(t, func(t *testing.T, s *System) {
		_, otherToken := s.NewClient(t, map[string]any{"autoActivate": true})
		created := s.SCIM(http.MethodPost, "/Users", scimUserBody("linus@example.com", true))
		expectStatus(t, created, http.StatusCreated)

		// Same userName, then another userName with the same email.
		expectSCIMError(t, s.SCIMAs(otherToken, http.MethodPost, "/Users",
			scimUserBody("LINUS@example.com", true)), http.StatusConflict, "uniqueness")
		byEmail := scimUserBody("linus.t", true)
		byEmail["emails"] = []map[string]any{{"value": "linus@example.com", "type": "work"}}
		expectSCIMError(t, s.SCIMAs(otherToken, http.MethodPost, "/Users", byEmail),
			http.StatusConflict, "uniqueness")

		m, _ := s.MemberByID(t, created.String("id"))
		if m.ClientID != s.ClientID {
			t.Errorf("the member moved to client %q", m.ClientID)
		}
		if len(s.MembersAs(t, s.AdminToken)) != 1 {
			t.Errorf("a conflicting create added a member")
		}
	})
}

func TestRuleReactivatesDeactivatedMemberOnPost(t *testing.T) {
	forEachDatabase(t, func(t *testing.T, s *System) {
		clientID, token := s.NewClient(t, map[string]any{
			"defaultRole": "MEMBER_ROLE_VIEWER", "autoActivate": true, "allowSyncAttributes": true,
		})
		for _, how := range []string{"patch", "delete"} {
			userName := how + "@example.com"
			created := s.SCIMAs(token, http.MethodPost, "/Users", scimUserBody(userName, true))
			expectStatus(t, created, http.StatusCreated)
			id := created.String("id")
			group := s.SCIMAs(token, http.MethodPost, "/Groups", map[string]any{
				"displayName": "Group " + how, "members": []map[string]any{{"value": id}},
			})
			expectStatus(t, group, http.StatusCreated)

			// Deactivate: by PATCH active false, or by DELETE without deletion.
			if how == "patch" {
				expectStatus(t, s.SCIMAs(token, http.MethodPatch, "/Users/"+id, patchActive(false)), http.StatusOK)
			} else {
				expectStatus(t, s.SCIMAs(token, http.MethodDelete, "/Users/"+id, nil), http.StatusNoContent)
			}
			if m, _ := s.MemberByID(t, id); m.Status != "MEMBER_STATUS_DEACTIVATED" {
				t.Fatalf("%s: member status %s, want deactivated", how, m.Status)
			}

			// The client's default role changes; the member must keep its own.
			if status := s.Admin(http.MethodPatch, "/v1/scim-clients/"+clientID,
				map[string]any{"defaultRole": "MEMBER_ROLE_MEMBER"}, nil); status != http.StatusOK {
				t.Fatalf("change default role: %d", status)
			}
			again := scimUserBody(userName, true)
			delete(again, "externalId")
			back := s.SCIMAs(token, http.MethodPost, "/Users", again)
			expectStatus(t, back, http.StatusCreated)
			if back.String("id") != id || back.Field("active") != true {
				t.Fatalf("%s: re-POST gave %s active %v, want %s restored", how, back.String("id"),
					back.Field("active"), id)
			}
			if back.String("externalId") != "ext-"+userName {
				t.Errorf("%s: externalId %q not kept", how, back.String("externalId"))
			}
			m, _ := s.MemberByID(t, id)
			if m.Role != "MEMBER_ROLE_VIEWER" || m.Status != "MEMBER_STATUS_ACTIVE" || m.ClientID != clientID {
				t.Errorf("%s: restored member = %+v", how, m)
			}
			g := s.SCIMAs(token, http.MethodGet, "/Groups/"+group.String("id"), nil)
			expectStatus(t, g, http.StatusOK)
			if !strings.Contains(string(g.Raw), id) {
				t.Errorf("%s: group membership lost: %s", how, g.Raw)
			}
			if status := s.Admin(http.MethodPatch, "/v1/scim-clients/"+clientID,
				map[string]any{"defaultRole": "MEMBER_ROLE_VIEWER"}, nil); status != http.StatusOK {
				t.Fatalf("restore default role: %d", status)
			}
			events := countEvents(s.EventsAs(t, s.AdminToken, "memberId="+id))
			if events["user.reactivate/succeeded"] != 1 {
				t.Errorf("%s: events %v, want one user.reactivate", how, events)
			}
		}
	})
}

func TestRulePendingApproval(t *testing.T) {
	forEachDatabase(t, func(t *testing.T, s *System) {
		_, token := s.NewClient(t, map[string]any{"autoActivate": false, "allowSyncAttributes": true})
		created := s.SCIMAs(token, http.MethodPost, "/Users", scimUserBody("pending@example.com", true))
		expectStatus(t, created, http.StatusCreated)
		id := created.String("id")
		if created.Field("active") != true {
			t.Errorf("SCIM shows active %v for a pending member, want true", created.Field("active"))
		}
		got := s.SCIMAs(token, http.MethodGet, "/Users/"+id, nil)
		if got.Field("active") != true {
			t.Errorf("SCIM GET shows active %v, want true", got.Field("active"))
		}

		dir, ctx := s.Directory(t)
		login, err := dir.CheckLogin(ctx, &provisioningv1.CheckLoginRequest{OrganizationId: s.Organization, MemberId: id})
		if err != nil {
			t.Fatal(err)
		}
		if login.GetAllowed() || login.GetReason() != provisioningv1.LoginDenialReason_LOGIN_DENIAL_REASON_PENDING_APPROVAL {
			t.Fatalf("check login before approval = %v", login)
		}

		var approved struct {
			Member Member `json:"member"`
		}
		if status := s.Admin(http.MethodPost, "/v1/members/"+id+":approve", map[string]any{}, &approved); status != http.StatusOK {
			t.Fatalf("approve: status %d", status)
		}
		if approved.Member.Status != "MEMBER_STATUS_ACTIVE" {
			t.Errorf("approved member status %s", approved.Member.Status)
		}
		login, err = dir.CheckLogin(ctx, &provisioningv1.CheckLoginRequest{OrganizationId: s.Organization, MemberId: id})
		if err != nil || !login.GetAllowed() {
			t.Fatalf("check login after approval = %v, %v", login, err)
		}
		if status := s.Admin(http.MethodPost, "/v1/members/"+id+":approve", map[string]any{}, nil); status != http.StatusConflict {
			t.Errorf("second approval: status %d, want 409", status)
		}
		if got := countEvents(s.EventsAs(t, s.AdminToken, "memberId="+id)); got["member.approve/succeeded"] != 1 ||
			got["member.approve/failed"] != 1 {
			t.Errorf("events = %v", got)
		}
	})
}

func TestRuleSyncAttributesOff(t *testing.T) {
	forEachDatabase(t, func(t *testing.T, s *System) {
		_, token := s.NewClient(t, map[string]any{"autoActivate": true, "allowSyncAttributes": false})
		created := s.SCIMAs(token, http.MethodPost, "/Users", scimUserBody("sync@example.com", true))
		expectStatus(t, created, http.StatusCreated)
		id := created.String("id")

		changed := scimUserBody("sync@example.com", true)
		changed["name"] = map[string]any{"givenName": "Changed", "familyName": "Name"}
		changed["displayName"] = "Changed"
		expectStatus(t, s.SCIMAs(token, http.MethodPut, "/Users/"+id, changed), http.StatusOK)
		patched := s.SCIMAs(token, http.MethodPatch, "/Users/"+id, map[string]any{
			"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
			"Operations": []map[string]any{{"op": "replace", "path": "name.givenName", "value": "Patched"}},
		})
		expectStatus(t, patched, http.StatusOK)
		got := s.SCIMAs(token, http.MethodGet, "/Users/"+id, nil)
		if got.String("name.givenName") != "Given" || got.String("displayName") != "" {
			t.Errorf("profile changed with sync off: %s", got.Raw)
		}

		// Deprovisioning is honoured all the same.
		off := s.SCIMAs(token, http.MethodPatch, "/Users/"+id, patchActive(false))
		expectStatus(t, off, http.StatusOK)
		if off.Field("active") != false {
			t.Errorf("active after deactivation = %v", off.Field("active"))
		}
		if m, _ := s.MemberByID(t, id); m.Status != "MEMBER_STATUS_DEACTIVATED" {
			t.Errorf("member status %s, want deactivated", m.Status)
		}
	})
}

func TestRuleDeleteWithoutAllowDeletion(t *testing.T) {
	forEachDatabase(t, func(t *testing.T, s *System) {
		created := s.SCIM(http.MethodPost, "/Users", scimUserBody("keep@example.com", true))
		expectStatus(t, created, http.StatusCreated)
		id := created.String("id")

		expectStatus(t, s.SCIM(http.MethodDelete, "/Users/"+id, nil), http.StatusNoContent)
		expectSCIMError(t, s.SCIM(http.MethodGet, "/Users/"+id, nil), http.StatusNotFound, "")
		list := s.SCIM(http.MethodGet, `/Users?filter=userName+eq+"keep@example.com"`, nil)
		if list.Field("totalResults") != float64(0) {
			t.Errorf("deleted user still listed: %s", list.Raw)
		}

		m, ok := s.MemberByID(t, id)
		if !ok || m.Status != "MEMBER_STATUS_DEACTIVATED" || m.ClientID != "" || m.UserName != "keep@example.com" {
			t.Fatalf("member after DELETE = %+v (listed %v), want kept, deactivated, unlinked", m, ok)
		}
		dir, ctx := s.Directory(t)
		login, err := dir.CheckLogin(ctx, &provisioningv1.CheckLoginRequest{OrganizationId: s.Organization, MemberId: id})
		if err != nil || login.GetAllowed() ||
			login.GetReason() != provisioningv1.LoginDenialReason_LOGIN_DENIAL_REASON_DEACTIVATED {
			t.Errorf("check login = %v, %v", login, err)
		}
	})
}

func TestRuleDeleteWithAllowDeletion(t *testing.T) {
	forEachDatabase(t, func(t *testing.T, s *System) {
		_, token := s.NewClient(t, map[string]any{"autoActivate": true, "allowDeletion": true})
		created := s.SCIMAs(token, http.MethodPost, "/Users", scimUserBody("erase@example.com", true))
		expectStatus(t, created, http.StatusCreated)
		id := created.String("id")

		expectStatus(t, s.SCIMAs(token, http.MethodDelete, "/Users/"+id, nil), http.StatusNoContent)
		expectSCIMError(t, s.SCIMAs(token, http.MethodGet, "/Users/"+id, nil), http.StatusNotFound, "")
		if _, ok := s.MemberByID(t, id); ok {
			t.Errorf("erased member still listed")
		}
		dir, ctx := s.Directory(t)
		_, err := dir.GetMember(ctx, &provisioningv1.GetMemberRequest{
			OrganizationId: s.Organization, Key: &provisioningv1.GetMemberRequest_MemberId{MemberId: id},
		})
		if status.Code(err) != codes.NotFound {
			t.Errorf("get erased member: %v, want NotFound", err)
		}
		_, err = dir.GetMember(ctx, &provisioningv1.GetMemberRequest{
			OrganizationId: s.Organization, Key: &provisioningv1.GetMemberRequest_Email{Email: "erase@example.com"},
		})
		if status.Code(err) != codes.NotFound {
			t.Errorf("get erased member by email: %v, want NotFound", err)
		}

		events := s.EventsAs(t, s.AdminToken, "memberId="+id)
		ops := make([]string, 0, len(events))
		for _, e := range events {
			ops = append(ops, e.Operation+"/"+outcomeName(e.Outcome))
		}
		if !slices.Contains(ops, "user.create/succeeded") || !slices.ContainsFunc(ops, func(op string) bool {
			return op == "user.erase/succeeded" || op == "user.delete/succeeded"
		}) {
			t.Errorf("events of the erased member = %v, want its create and its deletion kept", ops)
		}
	})
}

func TestRuleOrganisationLeavesEnterprise(t *testing.T) {
	forEachDatabase(t, func(t *testing.T, s *System) {
		expectStatus(t, s.SCIM(http.MethodGet, "/Users", nil), http.StatusOK)

		s.UpsertOrganization(s.Organization, provisioningv1.Plan_PLAN_TEAM)
		refused := s.SCIM(http.MethodPost, "/Users", scimUserBody("late@example.com", true))
		expectSCIMError(t, refused, http.StatusForbidden, "")
		if detail := refused.String("detail"); !strings.Contains(detail, "Enterprise plan") {
			t.Errorf("refusal detail %q does not say why", detail)
		}
		expectSCIMError(t, s.SCIM(http.MethodGet, "/Users", nil), http.StatusForbidden, "")
		if status := s.Admin(http.MethodPost, "/v1/scim-clients", map[string]any{"name": "New"}, nil); status != http.StatusForbidden {
			t.Errorf("create client without Enterprise: status %d, want 403", status)
		}
		got := countEvents(s.EventsAs(t, s.AdminToken, "clientId="+s.ClientID))
		if got["request.refused/refused"] != 2 || got["user.create/succeeded"] != 0 {
			t.Errorf("events = %v, want two refusals", got)
		}
		if len(s.MembersAs(t, s.AdminToken)) != 0 {
			t.Errorf("a refused request created a member")
		}

		s.UpsertOrganization(s.Organization, provisioningv1.Plan_PLAN_ENTERPRISE)
		expectStatus(t, s.SCIM(http.MethodGet, "/Users", nil), http.StatusOK)
	})
}

func TestRuleDisabledClient(t *testing.T) {
	forEachDatabase(t, func(t *testing.T, s *System) {
		if status := s.Admin(http.MethodPatch, "/v1/scim-clients/"+s.ClientID,
			map[string]any{"enabled": false}, nil); status != http.StatusOK {
			t.Fatalf("disable: status %d", status)
		}
		refused := s.SCIM(http.MethodPost, "/Users", scimUserBody("off@example.com", true))
		expectSCIMError(t, refused, http.StatusForbidden, "")
		if detail := refused.String("detail"); !strings.Contains(detail, "disabled") {
			t.Errorf("refusal detail %q does not say why", detail)
		}
		got := countEvents(s.EventsAs(t, s.AdminToken, "clientId="+s.ClientID))
		if got["request.refused/refused"] != 1 || got["client.disable/succeeded"] != 1 {
			t.Errorf("events = %v", got)
		}
		var stats struct {
			RequestsRefused string `json:"requestsRefused"`
		}
		s.Admin(http.MethodGet, "/v1/scim-clients/"+s.ClientID+"/statistics", nil, &stats)
		if stats.RequestsRefused != "1" {
			t.Errorf("statistics requestsRefused = %q, want 1", stats.RequestsRefused)
		}

		if status := s.Admin(http.MethodPatch, "/v1/scim-clients/"+s.ClientID,
			map[string]any{"enabled": true}, nil); status != http.StatusOK {
			t.Fatalf("enable: status %d", status)
		}
		expectStatus(t, s.SCIM(http.MethodPost, "/Users", scimUserBody("off@example.com", true)), http.StatusCreated)
	})
}

func TestRuleDeletedClient(t *testing.T) {
	forEachDatabase(t, func(t *testing.T, s *System) {
		created := s.SCIM(http.MethodPost, "/Users", scimUserBody("orphan@example.com", true))
		expectStatus(t, created, http.StatusCreated)
		id := created.String("id")

		if status := s.Admin(http.MethodDelete, "/v1/scim-clients/"+s.ClientID, nil, nil); status != http.StatusOK {
			t.Fatalf("delete client: status %d", status)
		}
		expectSCIMError(t, s.SCIM(http.MethodGet, "/Users/"+id, nil), http.StatusUnauthorized, "")
		expectSCIMError(t, s.SCIM(http.MethodPost, "/Users", scimUserBody("x@example.com", true)),
			http.StatusUnauthorized, "")

		m, ok := s.MemberByID(t, id)
		if !ok || m.ClientID != "" || m.Status != "MEMBER_STATUS_ACTIVE" {
			t.Errorf("member after client deletion = %+v (listed %v), want kept and unlinked", m, ok)
		}
		got := countEvents(s.EventsAs(t, s.AdminToken, "clientId="+s.ClientID))
		if got["user.create/succeeded"] != 1 || got["client.create/succeeded"] != 1 ||
			got["client.delete/succeeded"] != 1 {
			t.Errorf("events of the deleted client = %v, want them kept", got)
		}
	})
}
