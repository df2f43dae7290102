package e2e

import (
	"net/http"
	"strings"
	"testing"
)

// checkExportAndVerifyIsolation checks that A's export of the provisioning
// log, with or without filters naming B's client or member, holds A's
// events only, and that verifying A's log covers A's events only.
func (s *System) checkExportAndVerifyIsolation(t *testing.T, b Tenant, memberOfB string) {
	t.Helper()
	for _, query := range []string{"", "clientId=" + b.ClientID, "memberId=" + memberOfB} {
		for _, format := range []string{"jsonl", "csv"} {
			export := s.ExportAs(t, s.AdminToken, "format="+format+"&"+query)
			if export.Status != http.StatusOK {
				t.Errorf("A's %s export (query %q): status %d", format, query, export.Status)
				continue
			}
			var orgs, clients []string
			if format == "csv" {
				for _, r := range export.Records(t) {
					orgs, clients = append(orgs, r["organizationId"]), append(clients, r["clientId"])
				}
			} else {
				for _, l := range export.Lines(t) {
					org, _ := l["organizationId"].(string)
					client, _ := l["clientId"].(string)
					orgs, clients = append(orgs, org), append(clients, client)
				}
			}
			for i := range orgs {
				if orgs[i] != s.Organization || clients[i] == b.ClientID {
					t.Errorf("A's %s export (query %q) holds an event of %s, client %s",
						format, query, orgs[i], clients[i])
				}
			}
			if query == "" && len(orgs) != len(s.allEvents(t, s.AdminToken, "")) {
				t.Errorf("A's %s export has %d events, A's listing %d", format, len(orgs),
					len(s.allEvents(t, s.AdminToken, "")))
			}
			if strings.HasPrefix(query, "clientId=") && len(orgs) != 0 {
				t.Errorf("A's %s export of B's client has %d events", format, len(orgs))
			}
		}
	}

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
