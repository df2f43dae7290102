package grpcserver_test

import (
	"testing"

	"google.golang.org/grpc/codes"

	provisioningv1 "github.com/craevidence/scim-provisioning/api/gen/craevidence/provisioning/v1"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
)

func idEq(id string) *provisioningv1.Filter {
	return &provisioningv1.Filter{Expression: &provisioningv1.Filter_Attribute{
		Attribute: &provisioningv1.AttributeExpression{
			Path:     &provisioningv1.AttributePath{Attribute: "id"},
			Operator: provisioningv1.ComparisonOperator_COMPARISON_OPERATOR_EQUAL,
			Value:    &provisioningv1.FilterValue{Kind: &provisioningv1.FilterValue_StringValue{StringValue: id}},
		},
	}}
}

// orChain builds "f0 or f1 or …" the way the gateway's parser does: a
// left-deep chain.
func orChain(filters []*provisioningv1.Filter) *provisioningv1.Filter {
	chain := filters[0]
	for _, f := range filters[1:] {
		chain = &provisioningv1.Filter{Expression: &provisioningv1.Filter_Logical{
			Logical: &provisioningv1.LogicalExpression{
				Operator: provisioningv1.LogicalOperator_LOGICAL_OPERATOR_OR,
				Left:     chain, Right: f,
			},
		}}
	}
	return chain
}

// TestLongOrChainsAreNotNesting checks that a filter of many "or" terms is
// bounded by its size, not refused as deep nesting, while real nesting and
// oversized filters are still refused as invalid filters.
func TestLongOrChainsAreNotNesting(t *testing.T) {
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

		for _, terms := range []int{100, 500} {
			filters := []*provisioningv1.Filter{idEq(created.GetUser().GetId())}
			for range terms - 1 {
				filters = append(filters, idEq("01920000-0000-7000-8000-000000000000"))
			}
			resp, err := e.scim.ListUsers(ctx, &provisioningv1.ListUsersRequest{
				Filter: orChain(filters), Count: 10,
			})
			if err != nil || resp.GetTotalResults() != 1 {
				t.Fatalf("%d or terms: %v (total %d)", terms, err, resp.GetTotalResults())
			}
		}

		filters := make([]*provisioningv1.Filter, 501)
		for i := range filters {
			filters[i] = idEq("x")
		}
		_, err = e.scim.ListUsers(ctx, &provisioningv1.ListUsersRequest{Filter: orChain(filters)})
		wantCode(t, err, codes.InvalidArgument)
		if r := reasonOf(t, err); r != domain.ReasonInvalidFilter {
			t.Errorf("oversized filter: reason %q", r)
		}

		nested := idEq("x")
		for range 40 {
			nested = &provisioningv1.Filter{Expression: &provisioningv1.Filter_Not{
				Not: &provisioningv1.NotExpression{Filter: nested},
			}}
		}
		_, err = e.scim.ListUsers(ctx, &provisioningv1.ListUsersRequest{Filter: nested})
		wantCode(t, err, codes.InvalidArgument)
		if r := reasonOf(t, err); r != domain.ReasonInvalidFilter {
			t.Errorf("deep filter: reason %q", r)
		}
	})
}
