package grpcserver_test

import (
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	provisioningv1 "github.com/craevidence/scim-provisioning/api/gen/craevidence/provisioning/v1"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/adapters/grpcserver"
)

// TestRequestSourceReachesTheLogAndStatistics sends the gateway's source
// metadata with SCIM calls: well-formed names are recorded with the events,
// malformed ones are dropped without failing the call, and the client's
// statistics and settings name the identity provider.
func TestRequestSourceReachesTheLogAndStatistics(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	clientID, token := e.newScimClient(t, &provisioningv1.CreateScimClientRequest{AutoActivate: true})

	ctx := metadata.AppendToOutgoingContext(withBearer(token),
		grpcserver.IdentityProviderKey, "entra-id",
		grpcserver.CompatibilityRulesKey, "entra-capitalised-op,entra-string-boolean",
		grpcserver.CompatibilityRulesKey, "Bad Rule!,"+strings.Repeat("x", 65)+",entra-capitalised-op")
	u, err := e.scim.CreateUser(ctx, &provisioningv1.CreateUserRequest{User: scimUser("ada@example.com", true)})
	if err != nil {
		t.Fatalf("a malformed rule failed the call: %v", err)
	}
	bad := metadata.AppendToOutgoingContext(withBearer(token),
		grpcserver.IdentityProviderKey, "<script>", grpcserver.CompatibilityRulesKey, "")
	if _, err := e.scim.CreateUser(bad, &provisioningv1.CreateUserRequest{
		User: scimUser("grace@example.com", true)}); err != nil {
		t.Fatal(err)
	}

	events, err := e.admin.ListProvisioningEvents(ownerCtx(t),
		&provisioningv1.ListProvisioningEventsRequest{ClientId: clientID, Operation: "user.create"})
	if err != nil {
		t.Fatal(err)
	}
	byMember := map[string]*provisioningv1.ProvisioningEvent{}
	for _, ev := range events.GetEvents() {
		byMember[ev.GetMemberId()] = ev
	}
	first := byMember[u.GetUser().GetId()]
	if first.GetIdentityProvider() != "entra-id" ||
		!slices.Equal(first.GetCompatibilityRules(), []string{"entra-capitalised-op", "entra-string-boolean"}) {
		t.Errorf("event source = %q %v", first.GetIdentityProvider(), first.GetCompatibilityRules())
	}
	for id, ev := range byMember {
		if id != u.GetUser().GetId() && (ev.GetIdentityProvider() != "" || len(ev.GetCompatibilityRules()) != 0) {
			t.Errorf("malformed source recorded: %q %v", ev.GetIdentityProvider(), ev.GetCompatibilityRules())
		}
	}

	stats, err := e.admin.GetScimClientStatistics(ownerCtx(t),
		&provisioningv1.GetScimClientStatisticsRequest{ClientId: clientID})
	if err != nil {
		t.Fatal(err)
	}
	if stats.GetIdentityProvider() != "entra-id" || len(stats.GetCompatibilityRules()) != 2 ||
		stats.GetCompatibilityRules()[0].GetRule() != "entra-capitalised-op" ||
		stats.GetCompatibilityRules()[0].GetRequests() != 1 {
		t.Errorf("statistics = %v", stats)
	}
	client, err := e.admin.GetScimClient(ownerCtx(t), &provisioningv1.GetScimClientRequest{ClientId: clientID})
	if err != nil {
		t.Fatal(err)
	}
	if client.GetClient().GetIdentityProvider() != "entra-id" {
		t.Errorf("client identity provider = %q", client.GetClient().GetIdentityProvider())
	}
}

// TestAdminCallsCannotClaimASource checks that only ScimService calls carry
// a request source: an admin action with the metadata records none.
func TestAdminCallsCannotClaimASource(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := metadata.AppendToOutgoingContext(ownerCtx(t),
		grpcserver.IdentityProviderKey, "okta", grpcserver.CompatibilityRulesKey, "okta-pathless-active")
	created, err := e.admin.CreateScimClient(ctx, &provisioningv1.CreateScimClientRequest{Name: "Okta"})
	if err != nil {
		t.Fatal(err)
	}
	events, err := e.admin.ListProvisioningEvents(ownerCtx(t),
		&provisioningv1.ListProvisioningEventsRequest{ClientId: created.GetClient().GetId()})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range events.GetEvents() {
		if ev.GetIdentityProvider() != "" || len(ev.GetCompatibilityRules()) != 0 {
			t.Errorf("admin event %s carries a source: %q %v", ev.GetOperation(),
				ev.GetIdentityProvider(), ev.GetCompatibilityRules())
		}
	}
}

// TestOptimisticAttemptWritesNoStaleVersionFailure sends an UpdateUser with
// a stale version, once marked as an optimistic attempt and once not: only
// the unmarked one writes a failed user.update event. A marked attempt that
// fails for another reason is still logged.
func TestOptimisticAttemptWritesNoStaleVersionFailure(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	clientID, token := e.newScimClient(t, &provisioningv1.CreateScimClientRequest{AutoActivate: true})
	created, err := e.scim.CreateUser(withBearer(token),
		&provisioningv1.CreateUserRequest{User: scimUser("ada@example.com", true)})
	if err != nil {
		t.Fatal(err)
	}
	id := created.GetUser().GetId()
	stale := created.GetUser()
	stale.DisplayName = "Ada"
	update := &provisioningv1.UpdateUserRequest{User: stale, ExpectedVersion: 99}

	attempt := metadata.AppendToOutgoingContext(withBearer(token),
		grpcserver.OptimisticAttemptKey, "true")
	if _, err := e.scim.UpdateUser(attempt, update); status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("marked stale update: %v, want FailedPrecondition", err)
	}
	failures := func() int {
		t.Helper()
		events, err := e.admin.ListProvisioningEvents(ownerCtx(t), &provisioningv1.ListProvisioningEventsRequest{
			ClientId: clientID, MemberId: id, Operation: "user.update",
		})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, ev := range events.GetEvents() {
			if ev.GetOutcome() == provisioningv1.ProvisioningOutcome_PROVISIONING_OUTCOME_FAILED {
				n++
			}
		}
		return n
	}
	if n := failures(); n != 0 {
		t.Fatalf("failed events after a marked stale attempt = %d, want 0", n)
	}

	other := metadata.AppendToOutgoingContext(withBearer(token), grpcserver.OptimisticAttemptKey, "yes")
	if _, err := e.scim.UpdateUser(other, update); status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("stale update: %v, want FailedPrecondition", err)
	}
	if n := failures(); n != 1 {
		t.Fatalf("failed events after an unmarked stale update = %d, want 1", n)
	}

	invalid := &provisioningv1.UpdateUserRequest{User: &provisioningv1.User{Id: id}}
	if _, err := e.scim.UpdateUser(attempt, invalid); status.Code(err) != codes.InvalidArgument {
		t.Fatalf("marked invalid update: %v, want InvalidArgument", err)
	}
	if n := failures(); n != 2 {
		t.Fatalf("failed events after a marked invalid update = %d, want 2", n)
	}
}
