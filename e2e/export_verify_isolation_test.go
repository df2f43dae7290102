package e2e

import (
	"net/http"
	"testing"
)

// checkExportAndVerifyIsolation checks that verifying A's provisioning log
// covers A's events only.
//
// TODO: check the export endpoint too, once it exists.
func (s *System) checkExportAndVerifyIsolation(t *testing.T, b Tenant, memberOfB string) {
	t.Helper()
	a := s.verifyLog(t, s.AdminToken)
	own := int64(len(s.EventsAs(t, s.AdminToken, "")))
	if !a.Intact || a.EventsChecked != own {
		t.Errorf("A's verification = %+v, want intact over A's %d events", a, own)
	}
	bReport := s.verifyLog(t, b.AdminToken)
	theirs := int64(len(s.EventsAs(t, b.AdminToken, "")))
	if !bReport.Intact || bReport.EventsChecked != theirs {
		t.Errorf("B's verification = %+v, want intact over B's %d events", bReport, theirs)
	}
}

// VerifyReport is the answer of POST /v1/provisioning-events:verify.
type VerifyReport struct {
	Intact             bool   `json:"intact"`
	EventsChecked      int64  `json:"eventsChecked,string"`
	FirstBrokenEventID string `json:"firstBrokenEventId"`
	Problem            string `json:"problem"`
}

func (s *System) verifyLog(t *testing.T, adminToken string) VerifyReport {
	t.Helper()
	var report VerifyReport
	status := s.AdminAs(adminToken, http.MethodPost, "/v1/provisioning-events:verify", map[string]any{}, &report)
	if status != http.StatusOK {
		t.Fatalf("verify: status %d", status)
	}
	return report
}
