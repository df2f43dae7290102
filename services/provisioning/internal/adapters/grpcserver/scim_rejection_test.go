package grpcserver_test

import (
	"testing"

	"google.golang.org/grpc/codes"

	provisioningv1 "github.com/craevidence/scim-provisioning/api/gen/craevidence/provisioning/v1"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/app"
)

func TestReportRejectionLogsForTheCallingClientOnly(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	clientID, token := e.newScimClient(t, &provisioningv1.CreateScimClientRequest{
		AutoActivate: true, AllowSyncAttributes: true,
	})
	userID := app.NewID()

	_, err := e.scim.ReportRejection(withBearer(token), &provisioningv1.ReportRejectionRequest{
		Operation: "user.update", ResourceId: userID, HttpStatus: 400,
		ScimType: "invalidPath", Detail: "a PATCH path is malformed",
	})
	if err != nil {
		t.Fatal(err)
	}

	_, err = e.scim.ReportRejection(withBearer("cras_unknown"),
		&provisioningv1.ReportRejectionRequest{Operation: "user.update", HttpStatus: 400})
	wantCode(t, err, codes.Unauthenticated)
	_, err = e.scim.ReportRejection(withBearer(token),
		&provisioningv1.ReportRejectionRequest{Operation: "user.update", HttpStatus: 502})
	wantCode(t, err, codes.InvalidArgument)

	resp, err := e.admin.ListProvisioningEvents(ownerCtx(t),
		&provisioningv1.ListProvisioningEventsRequest{
			Outcome: provisioningv1.ProvisioningOutcome_PROVISIONING_OUTCOME_FAILED,
		})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.GetEvents()) != 1 {
		t.Fatalf("failed events = %v, want one", resp.GetEvents())
	}
	got := resp.GetEvents()[0]
	if got.GetOperation() != "user.update" || got.GetMemberId() != userID ||
		got.GetClientId() != clientID ||
		got.GetErrorDetail() != "HTTP 400 invalidPath: a PATCH path is malformed" {
		t.Errorf("event = %v", got)
	}
}
