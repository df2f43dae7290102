package grpcserver

import (
	"context"

	provisioningv1 "github.com/craevidence/scim-provisioning/api/gen/craevidence/provisioning/v1"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/app"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
)

// WithProvisioningLog lets the server answer VerifyProvisioningLog; without
// it the call is unavailable.
func (s *AdminServer) WithProvisioningLog(log *app.ProvisioningLog) *AdminServer {
	s.log = log
	return s
}

// VerifyProvisioningLog checks the hash chain of the caller's organisation.
// Events written after the sealing pass are counted in events_pending; they
// are neither verified nor broken.
func (s *AdminServer) VerifyProvisioningLog(
	ctx context.Context,
	_ *provisioningv1.VerifyProvisioningLogRequest,
) (*provisioningv1.VerifyProvisioningLogResponse, error) {
	admin, err := s.admin(ctx)
	if err != nil {
		return nil, err
	}
	if s.log == nil {
		return nil, domain.Errorf(domain.KindUnavailable, "log verification is not configured")
	}
	report, err := s.log.Verify(ctx, admin)
	if err != nil {
		return nil, err
	}
	resp := &provisioningv1.VerifyProvisioningLogResponse{
		Intact:             report.Intact,
		EventsChecked:      report.Checked,
		FirstBrokenEventId: report.FirstBrokenEventID,
		Problem:            report.Problem,
		EventsPending:      report.Pending,
	}
	return resp, nil
}
