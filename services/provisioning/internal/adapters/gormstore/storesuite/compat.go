package storesuite

import (
	"testing"
	"time"

	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/ports"
)

// testRequestSources checks that events keep the identity provider and the
// compatibility rules of their request, that statistics count the rules per
// client and name the identity provider of the latest event that has one,
// and that retention takes the rules with their events.
func testRequestSources(t *testing.T, s ports.Store) {
	f := newFixture(t, s)
	other := newFixture(t, s)
	audit := s.Audit()

	source := func(e domain.Event, provider string, rules ...string) domain.Event {
		e.IdentityProvider, e.CompatibilityRules = provider, rules
		return e
	}
	events := []domain.Event{
		source(f.event(domain.OpUserCreate, domain.OutcomeSucceeded, 0), "okta"),
		source(f.event(domain.OpUserDeactivate, domain.OutcomeSucceeded, 1), "okta",
			"okta-pathless-active"),
		source(f.event(domain.OpUserUpdate, domain.OutcomeSucceeded, 2), "entra-id",
			"entra-capitalised-op", "entra-string-boolean"),
		source(f.event(domain.OpUserUpdate, domain.OutcomeFailed, 3), "entra-id",
			"entra-capitalised-op"),
		// Later events without a provider, as admin actions are, do not
		// hide the last one recognised.
		f.event(domain.OpClientRotate, domain.OutcomeSucceeded, 4),
		source(other.event(domain.OpUserCreate, domain.OutcomeSucceeded, 5), "jumpcloud",
			"entra-capitalised-op"),
	}
	for _, e := range events {
		must(t, audit.AppendEvent(ctx(t), e))
	}

	listed, _, err := audit.ListEvents(ctx(t), f.org.ID, ports.EventQuery{Page: ports.Page{Size: 10}})
	must(t, err)
	equal(t, "events listed", len(listed), 5)
	equal(t, "rules of the update", listed[2].CompatibilityRules,
		[]string{"entra-capitalised-op", "entra-string-boolean"})
	equal(t, "provider of the update", listed[2].IdentityProvider, "entra-id")
	equal(t, "provider of the admin event", listed[0].IdentityProvider, "")
	if len(listed[0].CompatibilityRules) != 0 {
		t.Errorf("admin event has rules %v", listed[0].CompatibilityRules)
	}

	stats, err := audit.ClientStatistics(ctx(t), f.org.ID, f.client.ID)
	must(t, err)
	equal(t, "identity provider", stats.IdentityProvider, "entra-id")
	equal(t, "rule counts", stats.CompatibilityRules, []domain.RuleCount{
		{Rule: "entra-capitalised-op", Events: 2},
		{Rule: "entra-string-boolean", Events: 1},
		{Rule: "okta-pathless-active", Events: 1},
	})
	provider, err := audit.LatestIdentityProvider(ctx(t), f.org.ID, f.client.ID)
	must(t, err)
	equal(t, "latest identity provider", provider, "entra-id")
	none, err := audit.LatestIdentityProvider(ctx(t), f.org.ID, "no-events")
	must(t, err)
	equal(t, "identity provider of a client without events", none, "")

	_, err = audit.DeleteEventsBefore(ctx(t), base.Add(2*time.Minute+30*time.Second))
	must(t, err)
	stats, err = audit.ClientStatistics(ctx(t), f.org.ID, f.client.ID)
	must(t, err)
	equal(t, "rule counts after retention", stats.CompatibilityRules, []domain.RuleCount{
		{Rule: "entra-capitalised-op", Events: 1},
	})
	stats, err = audit.ClientStatistics(ctx(t), other.org.ID, other.client.ID)
	must(t, err)
	equal(t, "the other organisation's rules", stats.CompatibilityRules, []domain.RuleCount{
		{Rule: "entra-capitalised-op", Events: 1},
	})
	equal(t, "the other organisation's provider", stats.IdentityProvider, "jumpcloud")
}
