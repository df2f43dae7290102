package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	provisioningv1 "github.com/craevidence/scim-provisioning/api/gen/craevidence/provisioning/v1"
)

// TestGroupsArePerClient checks through the real gateway that a second SCIM
// client of the same organisation cannot see, change or delete the first
// client's groups, nor put the first client's users in its own groups.
func TestGroupsArePerClient(t *testing.T) {
	forEachDatabase(t, func(t *testing.T, s *System) {
		_, token2 := s.NewClient(t, map[string]any{"autoActivate": true, "allowSyncAttributes": true})
		ada := s.SCIM(http.MethodPost, "/Users", scimUserBody("ada@example.com", true))
		expectStatus(t, ada, http.StatusCreated)
		group := s.SCIM(http.MethodPost, "/Groups", map[string]any{
			"displayName": "Legal",
			"members":     []map[string]any{{"value": ada.String("id")}},
		})
		expectStatus(t, group, http.StatusCreated)
		id := group.String("id")

		expectSCIMError(t, s.SCIMAs(token2, http.MethodGet, "/Groups/"+id, nil), http.StatusNotFound, "")
		list := s.SCIMAs(token2, http.MethodGet,
			"/Groups?filter="+url.QueryEscape(`displayName eq "Legal"`), nil)
		expectStatus(t, list, http.StatusOK)
		if list.Field("totalResults") != float64(0) || strings.Contains(string(list.Raw), "ada@") {
			t.Errorf("the second client lists the first one's group: %s", list.Raw)
		}
		expectSCIMError(t, s.SCIMAs(token2, http.MethodPut, "/Groups/"+id,
			map[string]any{"displayName": "Stolen"}), http.StatusNotFound, "")
		expectSCIMError(t, s.SCIMAs(token2, http.MethodPatch, "/Groups/"+id, map[string]any{
			"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
			"Operations": []map[string]any{{"op": "remove", "path": "members"}},
		}), http.StatusNotFound, "")
		expectSCIMError(t, s.SCIMAs(token2, http.MethodDelete, "/Groups/"+id, nil), http.StatusNotFound, "")

		refused := s.SCIMAs(token2, http.MethodPost, "/Groups", map[string]any{
			"displayName": "Sales",
			"members":     []map[string]any{{"value": ada.String("id")}},
		})
		expectSCIMError(t, refused, http.StatusBadRequest, "invalidValue")
		if !strings.Contains(refused.String("detail"), "is not a user of this SCIM client") {
			t.Errorf("detail = %q", refused.String("detail"))
		}

		kept := s.SCIM(http.MethodGet, "/Groups/"+id, nil)
		expectStatus(t, kept, http.StatusOK)
		if kept.String("displayName") != "Legal" || !strings.Contains(string(kept.Raw), ada.String("id")) {
			t.Errorf("the first client's group changed: %s", kept.Raw)
		}
	})
}

// TestSCIMCannotLockTheOrganisationOut checks through the real gateway that
// a SCIM client can neither take over an owner invited by hand with the
// owner's email alone, nor deactivate or erase the organisation's last
// active owner.
func TestSCIMCannotLockTheOrganisationOut(t *testing.T) {
	forEachDatabase(t, func(t *testing.T, s *System) {
		_, token := s.NewClient(t, map[string]any{
			"autoActivate": true, "allowSyncAttributes": true, "allowDeletion": true,
		})
		dir, ctx := s.Directory(t)
		added, err := dir.AddMember(ctx, &provisioningv1.AddMemberRequest{
			OrganizationId: s.Organization, Email: "owner@example.com",
			Role: provisioningv1.MemberRole_MEMBER_ROLE_OWNER,
		})
		if err != nil {
			t.Fatal(err)
		}
		id := added.GetMember().GetId()

		byEmail := scimUserBody("mallory", true)
		byEmail["emails"] = []map[string]any{{"value": "owner@example.com", "type": "work"}}
		expectSCIMError(t, s.SCIMAs(token, http.MethodPost, "/Users", byEmail),
			http.StatusConflict, "uniqueness")
		inactive := s.SCIMAs(token, http.MethodPost, "/Users", scimUserBody("owner@example.com", false))
		expectSCIMError(t, inactive, http.StatusConflict, "mutability")
		if !strings.Contains(inactive.String("detail"), "last active owner") {
			t.Errorf("detail = %q", inactive.String("detail"))
		}

		adopted := s.SCIMAs(token, http.MethodPost, "/Users", scimUserBody("owner@example.com", true))
		expectStatus(t, adopted, http.StatusCreated)
		if adopted.String("id") != id {
			t.Fatalf("adopted %s, want the owner %s", adopted.String("id"), id)
		}
		expectSCIMError(t, s.SCIMAs(token, http.MethodPatch, "/Users/"+id, patchActive(false)),
			http.StatusConflict, "mutability")
		expectSCIMError(t, s.SCIMAs(token, http.MethodDelete, "/Users/"+id, nil),
			http.StatusConflict, "mutability")

		m, ok := s.MemberByID(t, id)
		if !ok || m.Status != "MEMBER_STATUS_ACTIVE" || m.UserName != "owner@example.com" ||
			m.Role != "MEMBER_ROLE_OWNER" {
			t.Errorf("owner after the refused requests = %+v", m)
		}
		if got := countEvents(s.EventsAs(t, s.AdminToken, "memberId="+id)); got["user.update/failed"] != 1 ||
			got["user.erase/failed"] != 1 {
			t.Errorf("events of the owner = %v", got)
		}
	})
}

// TestSCIMCannotTakeOverAnOwnerByUserName replays the take-over found in a
// re-test through the real gateway: a client with sync attributes off sends
// an owner's userName without emails, then another userName with the
// owner's email. Both are refused; the owner keeps its email and nobody else
// gets it. With both the userName and the email the owner is adopted, its
// profile kept.
func TestSCIMCannotTakeOverAnOwnerByUserName(t *testing.T) {
	forEachDatabase(t, func(t *testing.T, s *System) {
		_, token := s.NewClient(t, map[string]any{"autoActivate": true, "allowSyncAttributes": false})
		dir, ctx := s.Directory(t)
		added, err := dir.AddMember(ctx, &provisioningv1.AddMemberRequest{
			OrganizationId: s.Organization, Email: "chief@corp.example", UserName: "chief",
			Role: provisioningv1.MemberRole_MEMBER_ROLE_OWNER,
		})
		if err != nil {
			t.Fatal(err)
		}
		id := added.GetMember().GetId()

		noEmails := map[string]any{
			"schemas":  []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
			"userName": "chief",
		}
		refused := s.SCIMAs(token, http.MethodPost, "/Users", noEmails)
		expectSCIMError(t, refused, http.StatusConflict, "uniqueness")
		if !strings.Contains(refused.String("detail"), "userName and an email") {
			t.Errorf("detail = %q", refused.String("detail"))
		}
		mallory := scimUserBody("mallory", true)
		mallory["emails"] = []map[string]any{{"value": "chief@corp.example"}}
		expectSCIMError(t, s.SCIMAs(token, http.MethodPost, "/Users", mallory),
			http.StatusConflict, "uniqueness")

		got, err := dir.GetMember(ctx, &provisioningv1.GetMemberRequest{
			OrganizationId: s.Organization,
			Key:            &provisioningv1.GetMemberRequest_Email{Email: "chief@corp.example"},
		})
		if err != nil || got.GetMember().GetId() != id {
			t.Fatalf("member of the owner's email = %v (%v), want the owner %s", got.GetMember(), err, id)
		}
		if m, _ := s.MemberByID(t, id); m.Email != "chief@corp.example" || m.ClientID != "" {
			t.Fatalf("owner after the refused creates = %+v", m)
		}

		both := scimUserBody("chief", true)
		both["emails"] = []map[string]any{{"value": "chief@corp.example", "type": "work"}}
		adopted := s.SCIMAs(token, http.MethodPost, "/Users", both)
		expectStatus(t, adopted, http.StatusCreated)
		if adopted.String("id") != id || adopted.String("name.givenName") != "" {
			t.Errorf("adoption with sync off answered %s, want the owner with its profile kept",
				adopted.Raw)
		}
		if m, _ := s.MemberByID(t, id); m.Email != "chief@corp.example" || m.Role != "MEMBER_ROLE_OWNER" {
			t.Errorf("adopted owner = %+v", m)
		}
	})
}

// TestConcurrentCreatesWithOneEmail sends 40 POSTs at once that share an
// email and differ in userName: one member is created, every other request
// is a uniqueness conflict.
func TestConcurrentCreatesWithOneEmail(t *testing.T) {
	forEachDatabase(t, func(t *testing.T, s *System) {
		const n = 40
		statuses := make([]int, n)
		scimTypes := make([]string, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				body := scimUserBody(fmt.Sprintf("person-%d", i), true)
				body["emails"] = []map[string]any{{"value": "shared@example.com", "type": "work"}}
				r := s.SCIM(http.MethodPost, "/Users", body)
				statuses[i], scimTypes[i] = r.Status, r.String("scimType")
			}()
		}
		close(start)
		wg.Wait()

		created := 0
		for i, status := range statuses {
			switch {
			case status == http.StatusCreated:
				created++
			case status == http.StatusConflict && scimTypes[i] == "uniqueness":
			default:
				t.Errorf("request %d: status %d scimType %q", i, status, scimTypes[i])
			}
		}
		if members := s.MembersAs(t, s.AdminToken); created != 1 || len(members) != 1 {
			t.Fatalf("%d created, %d members; want exactly one", created, len(members))
		}
	})
}

// TestPatchCannotTakeAnotherMembersEmail checks that a PATCH giving a user
// the email of another member is a uniqueness conflict that changes nothing,
// so the other member can still be provisioned.
func TestPatchCannotTakeAnotherMembersEmail(t *testing.T) {
	forEachDatabase(t, func(t *testing.T, s *System) {
		dana := s.SCIM(http.MethodPost, "/Users", scimUserBody("dana@example.com", true))
		expectStatus(t, dana, http.StatusCreated)
		eve := s.SCIM(http.MethodPost, "/Users", scimUserBody("eve@example.com", true))
		expectStatus(t, eve, http.StatusCreated)

		patch := map[string]any{
			"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
			"Operations": []map[string]any{{
				"op": "replace", "path": "emails",
				"value": []map[string]any{{"value": "Dana@example.com", "type": "work"}},
			}},
		}
		expectSCIMError(t, s.SCIM(http.MethodPatch, "/Users/"+eve.String("id"), patch),
			http.StatusConflict, "uniqueness")
		got := s.SCIM(http.MethodGet, "/Users/"+eve.String("id"), nil)
		expectStatus(t, got, http.StatusOK)
		if strings.Contains(strings.ToLower(string(got.Raw)), "dana@") {
			t.Errorf("eve took dana's email: %s", got.Raw)
		}
	})
}

// TestAdminDeactivationSticks checks that an identity provider cannot undo
// an admin's deactivation by sending active false then true: the member
// stays unable to log in, SCIM echoes what the provider said, and an
// admin's reactivation restores the login.
func TestAdminDeactivationSticks(t *testing.T) {
	forEachDatabase(t, func(t *testing.T, s *System) {
		created := s.SCIM(http.MethodPost, "/Users", scimUserBody("frank@example.com", true))
		expectStatus(t, created, http.StatusCreated)
		id := created.String("id")
		if status := s.Admin(http.MethodPost, "/v1/members/"+id+":deactivate", map[string]any{}, nil); status != http.StatusOK {
			t.Fatalf("admin deactivate: status %d", status)
		}

		expectStatus(t, s.SCIM(http.MethodPatch, "/Users/"+id, patchActive(false)), http.StatusOK)
		back := s.SCIM(http.MethodPatch, "/Users/"+id, patchActive(true))
		expectStatus(t, back, http.StatusOK)
		if back.Field("active") != true {
			t.Errorf("SCIM active = %v, want the provider's true echoed", back.Field("active"))
		}
		dir, ctx := s.Directory(t)
		login, err := dir.CheckLogin(ctx, &provisioningv1.CheckLoginRequest{
			OrganizationId: s.Organization, MemberId: id,
		})
		if err != nil || login.GetAllowed() {
			t.Fatalf("login after the provider's false then true: %v %v, want refused", login, err)
		}

		if status := s.Admin(http.MethodPost, "/v1/members/"+id+":reactivate", map[string]any{}, nil); status != http.StatusOK {
			t.Fatalf("admin reactivate: status %d", status)
		}
		login, err = dir.CheckLogin(ctx, &provisioningv1.CheckLoginRequest{
			OrganizationId: s.Organization, MemberId: id,
		})
		if err != nil || !login.GetAllowed() {
			t.Fatalf("login after the admin's reactivation: %v %v", login, err)
		}
	})
}

// TestUserNameWhiteSpaceMakesNoSecondMember checks that a userName with
// white space around it is the same userName, and that control characters
// in a userName are refused.
func TestUserNameWhiteSpaceMakesNoSecondMember(t *testing.T) {
	forEachDatabase(t, func(t *testing.T, s *System) {
		body := func(userName string) map[string]any {
			b := scimUserBody(userName, true)
			delete(b, "emails")
			return b
		}
		first := s.SCIM(http.MethodPost, "/Users", body("ws@x.example "))
		expectStatus(t, first, http.StatusCreated)
		if first.String("userName") != "ws@x.example" {
			t.Errorf("userName = %q, want it trimmed", first.String("userName"))
		}
		// A tab around it is refused by the gateway itself, as a control
		// character; the core trims it too (see the app tests).
		for _, name := range []string{"ws@x.example", " WS@x.example", "  ws@X.example  "} {
			expectSCIMError(t, s.SCIM(http.MethodPost, "/Users", body(name)), http.StatusConflict, "uniqueness")
		}
		expectSCIMError(t, s.SCIM(http.MethodPost, "/Users", body("ws\u0001@x.example")),
			http.StatusBadRequest, "invalidValue")
		if n := len(s.MembersAs(t, s.AdminToken)); n != 1 {
			t.Errorf("members = %d, want 1", n)
		}
	})
}

// TestNoOpPatchKeepsTheVersion checks that a PATCH that changes nothing
// keeps the resource's version (so the identity provider's ETag stays
// valid) and does not count as an updated user.
func TestNoOpPatchKeepsTheVersion(t *testing.T) {
	forEachDatabase(t, func(t *testing.T, s *System) {
		created := s.SCIM(http.MethodPost, "/Users", scimUserBody("nora@example.com", true))
		expectStatus(t, created, http.StatusCreated)
		again := s.SCIM(http.MethodPatch, "/Users/"+created.String("id"), patchActive(true))
		expectStatus(t, again, http.StatusOK)
		if again.String("meta.version") != created.String("meta.version") {
			t.Errorf("version %s after a no-op PATCH, want %s", again.String("meta.version"),
				created.String("meta.version"))
		}
		var stats struct {
			UsersUpdated string `json:"usersUpdated"`
		}
		s.Admin(http.MethodGet, "/v1/scim-clients/"+s.ClientID+"/statistics", nil, &stats)
		if stats.UsersUpdated != "" && stats.UsersUpdated != "0" {
			t.Errorf("usersUpdated = %s after a no-op PATCH, want 0", stats.UsersUpdated)
		}
	})
}

// TestChangesOfAnotherClientsUserLeaveATrace has a second SCIM client PATCH
// and PUT a user of the first: each is a 404, and each leaves a failed
// update event of the second client, although the gateway's read of the
// user is what failed.
func TestChangesOfAnotherClientsUserLeaveATrace(t *testing.T) {
	forEachDatabase(t, func(t *testing.T, s *System) {
		created := s.SCIM(http.MethodPost, "/Users", scimUserBody("ada@example.com", true))
		expectStatus(t, created, http.StatusCreated)
		id := created.String("id")
		otherID, otherToken := s.NewClient(t, map[string]any{"autoActivate": true})

		expectSCIMError(t, s.SCIMAs(otherToken, http.MethodPatch, "/Users/"+id,
			patchActive(false)), http.StatusNotFound, "")
		expectSCIMError(t, s.SCIMAs(otherToken, http.MethodPut, "/Users/"+id,
			map[string]any{"userName": "ada@example.com"}), http.StatusNotFound, "")

		var failed []Event
		for _, e := range s.EventsAs(t, s.AdminToken, "memberId="+id) {
			if outcomeName(e.Outcome) == "failed" {
				failed = append(failed, e)
			}
		}
		if len(failed) != 2 {
			t.Fatalf("failed events of the member = %+v, want two", failed)
		}
		for _, e := range failed {
			if e.Operation != "user.update" || e.ClientID != otherID {
				t.Errorf("event = %+v", e)
			}
		}
	})
}

// TestAdminRoleCannotDeactivateAnOwner checks through the admin REST API
// that an admin token cannot deactivate an owner, that an owner token cannot
// deactivate the last active owner, and that both refusals reach the
// provisioning log.
func TestAdminRoleCannotDeactivateAnOwner(t *testing.T) {
	forEachDatabase(t, func(t *testing.T, s *System) {
		dir, ctx := s.Directory(t)
		added, err := dir.AddMember(ctx, &provisioningv1.AddMemberRequest{
			OrganizationId: s.Organization, Email: "owner@example.com",
			Role: provisioningv1.MemberRole_MEMBER_ROLE_OWNER,
		})
		if err != nil {
			t.Fatal(err)
		}
		id := added.GetMember().GetId()
		adminToken := AdminJWT(s.Organization, "admin", time.Hour)

		var refusal struct {
			Message string `json:"message"`
		}
		status := s.AdminAs(adminToken, http.MethodPost, "/v1/members/"+id+":deactivate",
			map[string]any{}, &refusal)
		if status != http.StatusForbidden || !strings.Contains(refusal.Message, "only an owner") {
			t.Errorf("admin deactivates the owner: %d %q, want 403", status, refusal.Message)
		}
		status = s.Admin(http.MethodPost, "/v1/members/"+id+":deactivate", map[string]any{}, &refusal)
		if status != http.StatusConflict || !strings.Contains(refusal.Message, "last active owner") {
			t.Errorf("owner deactivates the last owner: %d %q, want 409", status, refusal.Message)
		}
		if m, _ := s.MemberByID(t, id); m.Status != "MEMBER_STATUS_ACTIVE" {
			t.Errorf("owner status %s, want active", m.Status)
		}
		if got := countEvents(s.EventsAs(t, s.AdminToken, "memberId="+id)); got["member.deactivate/refused"] != 1 ||
			got["member.deactivate/failed"] != 1 {
			t.Errorf("events of the owner = %v", got)
		}
	})
}
