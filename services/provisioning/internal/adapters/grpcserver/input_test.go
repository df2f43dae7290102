package grpcserver_test

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	provisioningv1 "github.com/craevidence/scim-provisioning/api/gen/craevidence/provisioning/v1"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/adapters/gormstore/gormstoretest"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/ports"
)

// forEachEnv runs test on a server over SQLite and over Postgres: input
// that one database accepts and the other refuses must get the same answer.
func forEachEnv(t *testing.T, test func(t *testing.T, e *env)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		test(t, newGRPCEnv(t, gormstoretest.NewSQLite(t)))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		test(t, newGRPCEnv(t, gormstoretest.NewPostgres(t)))
	})
}

// newGRPCEnv is the core's gRPC server on a loopback socket over store,
// without the admin REST API.
func newGRPCEnv(t *testing.T, store ports.Store) *env {
	t.Helper()
	return envOn(t, store, serveGRPC(t, store))
}

// wantInvalidValue checks an InvalidArgument answer with reason
// invalidValue whose message mentions want.
func wantInvalidValue(t *testing.T, what string, err error, want string) {
	t.Helper()
	if status.Code(err) != codes.InvalidArgument {
		t.Errorf("%s: code = %s (%v), want InvalidArgument", what, status.Code(err), err)
		return
	}
	if r := reasonOf(t, err); r != domain.ReasonInvalidValue {
		t.Errorf("%s: reason = %q, want invalidValue", what, r)
	}
	if msg := status.Convert(err).Message(); !strings.Contains(msg, want) {
		t.Errorf("%s: message %q does not mention %q", what, msg, want)
	}
}

func TestNulBytesAreRefusedForEveryCaller(t *testing.T) {
	t.Parallel()
	forEachEnv(t, func(t *testing.T, e *env) {
		_, token := e.newScimClient(t, &provisioningv1.CreateScimClientRequest{
			AutoActivate: true, AllowSyncAttributes: true,
		})
		ctx := withBearer(token)
		created, err := e.scim.CreateUser(ctx,
			&provisioningv1.CreateUserRequest{User: scimUser("ada@example.com", true)})
		if err != nil {
			t.Fatal(err)
		}
		id := created.GetUser().GetId()

		withNul := scimUser("nul\x00@example.com", true)
		_, err = e.scim.CreateUser(ctx, &provisioningv1.CreateUserRequest{User: withNul})
		wantInvalidValue(t, "userName", err, "user.userName")

		emailNul := scimUser("bob@example.com", true)
		emailNul.Emails[0].Value = "bob\x00@example.com"
		_, err = e.scim.CreateUser(ctx, &provisioningv1.CreateUserRequest{User: emailNul})
		wantInvalidValue(t, "email", err, "user.emails[0].value")

		nameNul := scimUser("ada@example.com", true)
		nameNul.Id = id
		nameNul.DisplayName = "Ada\x00"
		_, err = e.scim.UpdateUser(ctx, &provisioningv1.UpdateUserRequest{User: nameNul})
		wantInvalidValue(t, "displayName", err, "user.displayName")

		_, err = e.scim.GetUser(ctx, &provisioningv1.GetUserRequest{Id: id + "\x00"})
		wantInvalidValue(t, "user id", err, "id")

		_, err = e.scim.CreateGroup(ctx, &provisioningv1.CreateGroupRequest{
			Group: &provisioningv1.Group{DisplayName: "Legal\x00"},
		})
		wantInvalidValue(t, "group displayName", err, "group.displayName")

		_, err = e.scim.ListUsers(ctx, &provisioningv1.ListUsersRequest{
			Filter: &provisioningv1.Filter{Expression: &provisioningv1.Filter_Attribute{
				Attribute: &provisioningv1.AttributeExpression{
					Path:     &provisioningv1.AttributePath{Attribute: "userName"},
					Operator: provisioningv1.ComparisonOperator_COMPARISON_OPERATOR_EQUAL,
					Value: &provisioningv1.FilterValue{
						Kind: &provisioningv1.FilterValue_StringValue{StringValue: "a\x00"},
					},
				},
			}},
		})
		wantInvalidValue(t, "filter value", err, "filter.attribute.value.stringValue")

		_, err = e.admin.ApproveMember(ownerCtx(t),
			&provisioningv1.ApproveMemberRequest{MemberId: "m\x00"})
		wantInvalidValue(t, "admin member id", err, "memberId")

		_, err = e.dir.GetMember(withBearer(testInternalToken),
			&provisioningv1.GetMemberRequest{
				OrganizationId: e.orgID,
				Key:            &provisioningv1.GetMemberRequest_Email{Email: "a\x00@example.com"},
			})
		wantInvalidValue(t, "directory email", err, "email")
	})
}

func TestLongValuesAreRefused(t *testing.T) {
	t.Parallel()
	forEachEnv(t, func(t *testing.T, e *env) {
		_, token := e.newScimClient(t, &provisioningv1.CreateScimClientRequest{
			AutoActivate: true, AllowSyncAttributes: true,
		})
		ctx := withBearer(token)

		long := scimUser("long@example.com", true)
		long.ExternalId = strings.Repeat("x", 3000)
		_, err := e.scim.CreateUser(ctx, &provisioningv1.CreateUserRequest{User: long})
		wantInvalidValue(t, "externalId", err, "externalId")

		long = scimUser("long@example.com", true)
		long.Emails[0].Value = strings.Repeat("e", 3000) + "@example.com"
		_, err = e.scim.CreateUser(ctx, &provisioningv1.CreateUserRequest{User: long})
		wantInvalidValue(t, "email", err, "emails.value")

		long = scimUser("long@example.com", true)
		long.UserName = strings.Repeat("u", 257)
		_, err = e.scim.CreateUser(ctx, &provisioningv1.CreateUserRequest{User: long})
		wantInvalidValue(t, "userName", err, "userName")

		long = scimUser("long@example.com", true)
		long.Name.FamilyName = strings.Repeat("f", 3000)
		_, err = e.scim.CreateUser(ctx, &provisioningv1.CreateUserRequest{User: long})
		wantInvalidValue(t, "familyName", err, "name.familyName")

		long = scimUser("long@example.com", true)
		for range domain.MaxMultiValues + 1 {
			long.PhoneNumbers = append(long.PhoneNumbers,
				&provisioningv1.MultiValuedAttribute{Value: "+1 555 0100"})
		}
		_, err = e.scim.CreateUser(ctx, &provisioningv1.CreateUserRequest{User: long})
		wantInvalidValue(t, "phoneNumbers", err, "phoneNumbers")

		_, err = e.scim.CreateGroup(ctx, &provisioningv1.CreateGroupRequest{
			Group: &provisioningv1.Group{DisplayName: "Legal", ExternalId: strings.Repeat("g", 3000)},
		})
		wantInvalidValue(t, "group externalId", err, "externalId")
		_, err = e.scim.CreateGroup(ctx, &provisioningv1.CreateGroupRequest{
			Group: &provisioningv1.Group{DisplayName: strings.Repeat("g", 3000)},
		})
		wantInvalidValue(t, "group displayName", err, "displayName")

		_, err = e.admin.CreateScimClient(ownerCtx(t), &provisioningv1.CreateScimClientRequest{
			Name: "Entra", SsoConnectionId: strings.Repeat("s", 3000),
		})
		wantInvalidValue(t, "sso connection id", err, "SSO connection")

		// What was refused was not stored, and the refusals were logged.
		users, err := e.scim.ListUsers(ctx, &provisioningv1.ListUsersRequest{Count: 10})
		if err != nil {
			t.Fatal(err)
		}
		if users.GetTotalResults() != 0 {
			t.Errorf("users after refused creates = %d, want 0", users.GetTotalResults())
		}
	})
}

// TestMalformedIDsAreNotFoundAndLogged sends ids of a form the core never
// makes, one far too long for any index: each is not found, and the failure
// is still logged, without the id.
func TestMalformedIDsAreNotFoundAndLogged(t *testing.T) {
	t.Parallel()
	forEachEnv(t, func(t *testing.T, e *env) {
		clientID, token := e.newScimClient(t, &provisioningv1.CreateScimClientRequest{
			AutoActivate: true, AllowSyncAttributes: true,
		})
		ctx := withBearer(token)
		long := strings.Repeat("i", 5000)

		_, err := e.scim.GetUser(ctx, &provisioningv1.GetUserRequest{Id: long})
		wantCode(t, err, codes.NotFound)
		user := scimUser("ada@example.com", true)
		user.Id = long
		_, err = e.scim.UpdateUser(ctx, &provisioningv1.UpdateUserRequest{User: user})
		wantCode(t, err, codes.NotFound)
		_, err = e.scim.DeleteUser(ctx, &provisioningv1.DeleteUserRequest{Id: long})
		wantCode(t, err, codes.NotFound)
		_, err = e.scim.DeleteGroup(ctx, &provisioningv1.DeleteGroupRequest{Id: long})
		wantCode(t, err, codes.NotFound)
		_, err = e.admin.ApproveMember(ownerCtx(t), &provisioningv1.ApproveMemberRequest{MemberId: long})
		wantCode(t, err, codes.NotFound)
		_, err = e.admin.GetScimClient(ownerCtx(t), &provisioningv1.GetScimClientRequest{ClientId: long})
		wantCode(t, err, codes.NotFound)
		// A viewer is refused before the id is looked at; the refusal is
		// logged without the id.
		viewer := withBearer(adminToken(t, "org-a", domain.RoleViewer))
		_, err = e.admin.RotateScimClientToken(viewer,
			&provisioningv1.RotateScimClientTokenRequest{ClientId: long})
		wantCode(t, err, codes.PermissionDenied)
		_, err = e.dir.CheckLogin(withBearer(testInternalToken),
			&provisioningv1.CheckLoginRequest{OrganizationId: e.orgID, MemberId: long})
		wantCode(t, err, codes.NotFound)

		events, err := e.admin.ListProvisioningEvents(ownerCtx(t),
			&provisioningv1.ListProvisioningEventsRequest{PageSize: 100})
		if err != nil {
			t.Fatal(err)
		}
		failures := map[string]int{}
		for _, ev := range events.GetEvents() {
			if ev.GetOutcome() == provisioningv1.ProvisioningOutcome_PROVISIONING_OUTCOME_SUCCEEDED {
				continue
			}
			failures[ev.GetOperation()]++
			if strings.Contains(ev.GetMemberId()+ev.GetGroupId()+ev.GetClientId(), long[:50]) {
				t.Errorf("event %s names the malformed id", ev.GetOperation())
			}
		}
		for _, op := range []string{"user.update", "user.delete", "group.delete",
			"member.approve", "client.token_rotated"} {
			if failures[op] != 1 {
				t.Errorf("failure events of %s = %d, want 1 (all: %v)", op, failures[op], failures)
			}
		}
		_ = clientID
	})
}
