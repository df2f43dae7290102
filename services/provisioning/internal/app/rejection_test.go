package app_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/craevidence/scim-provisioning/services/provisioning/internal/app"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/ports"
)

func TestReportRejectionWritesOneFailedEvent(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := testContext()
		caller, _ := f.newClient(t, allOn())
		userID, groupID := app.NewID(), app.NewID()

		reports := []app.Rejection{
			{Operation: "user.update", ResourceID: userID, HTTPStatus: 400,
				ScimType: "invalidPath", Detail: "a PATCH path is malformed"},
			{Operation: "group.delete", ResourceID: groupID, HTTPStatus: 412,
				Detail: "the resource does not have the version given in If-Match"},
			// Unknown operations, ids that are not ours, unknown scimTypes
			// and control characters are not stored as sent.
			{Operation: "user.read'; drop table", ResourceID: "ada@example.com",
				HTTPStatus: 415, ScimType: "<b>", Detail: "bad\x00\ncontent\x1b type"},
			{Operation: "user.create", HTTPStatus: 400, ScimType: "invalidValue",
				Detail: strings.Repeat("é", 5000)},
		}
		for _, r := range reports {
			if err := f.provisioning.ReportRejection(ctx, caller, r); err != nil {
				t.Fatalf("report %+v: %v", r, err)
			}
		}

		events := f.events(t, ports.EventQuery{ClientID: caller.Client.ID,
			Outcome: domain.OutcomeFailed})
		if len(events) != len(reports) {
			t.Fatalf("failed events = %d, want %d: %+v", len(events), len(reports), events)
		}
		byOp := map[domain.Operation]domain.Event{}
		for _, e := range events {
			byOp[e.Operation] = e
			if e.ClientID != caller.Client.ID || e.Actor != "scim:"+caller.Client.ID ||
				e.RequestID != "req-test" || e.OrganizationID != f.org.ID {
				t.Errorf("event = %+v", e)
			}
		}

		update := byOp[domain.OpUserUpdate]
		if update.MemberID != userID || update.ErrorCode != "invalid" ||
			update.ErrorDetail != "HTTP 400 invalidPath: a PATCH path is malformed" {
			t.Errorf("user.update event = %+v", update)
		}
		del := byOp[domain.OpGroupDelete]
		if del.GroupID != groupID || del.MemberID != "" || del.ErrorCode != "precondition_failed" ||
			!strings.HasPrefix(del.ErrorDetail, "HTTP 412: ") {
			t.Errorf("group.delete event = %+v", del)
		}
		generic := byOp[domain.OpRequestRefused]
		if generic.MemberID != "" || generic.GroupID != "" ||
			generic.ErrorDetail != "HTTP 415: bad  content  type" {
			t.Errorf("generic event = %+v (detail %q)", generic, generic.ErrorDetail)
		}
		long := byOp[domain.OpUserCreate]
		if n := utf8.RuneCountInString(long.ErrorDetail); n > app.MaxRejectionDetailLength+30 {
			t.Errorf("detail of %d characters kept", n)
		}
	})
}

func TestReportRejectionRefusesAStatusThatIsNoClientError(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		caller, _ := f.newClient(t, allOn())
		for _, status := range []int{0, 200, 399, 500} {
			err := f.provisioning.ReportRejection(testContext(), caller,
				app.Rejection{Operation: "user.create", HTTPStatus: status})
			wantKind(t, err, domain.KindInvalid)
		}
		if events := f.events(t, ports.EventQuery{ClientID: caller.Client.ID,
			Outcome: domain.OutcomeFailed}); len(events) != 0 {
			t.Errorf("events = %+v, want none", events)
		}
	})
}
