package app_test

import (
	"strings"
	"testing"

	"github.com/craevidence/scim-provisioning/services/provisioning/internal/app"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/ports"
)

// TestFailureEventsHoldNoValues checks that refusals whose details quote
// what the client sent tell the client the values but log none of them.
func TestFailureEventsHoldNoValues(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := testContext()
		caller, _ := f.newClient(t, allOn())
		ada, err := f.provisioning.CreateUser(ctx, caller, user("ada@example.com", true))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.provisioning.CreateUser(ctx, caller, user("grace@example.com", true)); err != nil {
			t.Fatal(err)
		}
		if _, err := f.provisioning.CreateGroup(ctx, caller, app.GroupInput{DisplayName: "Secret Team"}); err != nil {
			t.Fatal(err)
		}

		var errs []error
		rename := user("Grace@Example.com", true)
		rename.Profile.Emails = ada.Member.Profile.Emails
		_, err = f.provisioning.UpdateUser(ctx, caller, ada.Member.ID, rename, 0)
		errs = append(errs, err)
		twice := user("d@x.example", true)
		twice.Profile.Emails = append(twice.Profile.Emails,
			domain.MultiValue{Value: "D@x.example", Type: "work"})
		_, err = f.provisioning.CreateUser(ctx, caller, twice)
		errs = append(errs, err)
		_, err = f.provisioning.CreateGroup(ctx, caller, app.GroupInput{DisplayName: "secret team"})
		errs = append(errs, err)

		values := []string{"grace@example.com", "d@x.example", "secret team"}
		for i, err := range errs {
			if err == nil || !strings.Contains(strings.ToLower(err.Error()), values[i]) {
				t.Errorf("error %d = %v, want the caller told about %q", i, err, values[i])
			}
		}
		failed := 0
		for _, e := range f.events(t, ports.EventQuery{Outcome: domain.OutcomeFailed}) {
			failed++
			for _, v := range values {
				if strings.Contains(strings.ToLower(e.ErrorDetail), v) {
					t.Errorf("event %s keeps %q: %q", e.Operation, v, e.ErrorDetail)
				}
			}
			if !strings.Contains(e.ErrorDetail, domain.RedactedValue) {
				t.Errorf("event %s detail %q has no masked value", e.Operation, e.ErrorDetail)
			}
		}
		if failed != 3 {
			t.Errorf("failure events = %d, want 3", failed)
		}
	})
}
