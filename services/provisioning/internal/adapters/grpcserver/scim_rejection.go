package grpcserver

import (
	"context"

	provisioningv1 "github.com/craevidence/scim-provisioning/api/gen/craevidence/provisioning/v1"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/app"
)

// ReportRejection logs a request the SCIM gateway refused itself. It is
// authenticated like every ScimService call, so an unknown, disabled or
// rotated token leaves no event (a disabled client's refusal is logged by
// the authentication itself).
func (s *ScimServer) ReportRejection(
	ctx context.Context,
	req *provisioningv1.ReportRejectionRequest,
) (*provisioningv1.ReportRejectionResponse, error) {
	caller, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	err = s.provisioning.ReportRejection(ctx, caller, app.Rejection{
		Operation:  req.GetOperation(),
		ResourceID: req.GetResourceId(),
		HTTPStatus: int(req.GetHttpStatus()),
		ScimType:   req.GetScimType(),
		Detail:     req.GetDetail(),
	})
	if err != nil {
		return nil, err
	}
	return &provisioningv1.ReportRejectionResponse{}, nil
}
