package domain

import (
	"testing"
	"time"
)

func chainEvents(n int) []Event {
	events := make([]Event, n)
	at := time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)
	for i := range events {
		events[i] = Event{
			ID: string(rune('a' + i)), OrganizationID: "org-a", ClientID: "client-1",
			Operation: OpUserCreate, Outcome: OutcomeSucceeded, Actor: "scim:client-1",
			OccurredAt:       at.Add(time.Duration(i) * time.Second),
			IdentityProvider: "okta", CompatibilityRules: []string{"okta-patch-without-path"},
		}
	}
	return events
}

// seal links events with the encoding of each one's format, "v1" or "v2".
func seal(events []Event, formats ...string) []ChainedEvent {
	chained := make([]ChainedEvent, len(events))
	previous := ""
	for i, e := range events {
		link := ChainLink
		if formats[i] == "v1" {
			link = chainLinkV1
		}
		previous = link(previous, int64(i+1), e)
		chained[i] = ChainedEvent{Event: e, Seq: int64(i + 1), Hash: previous}
	}
	return chained
}

// walk returns the index of the first event the walker refuses, or -1.
func walk(chained []ChainedEvent) int {
	w := NewChainWalker(0, "")
	for i, c := range chained {
		if w.Check(c) != "" {
			return i
		}
	}
	return -1
}

func TestChainWalkerVerifiesEventsSealedBeforeTheSecondEncoding(t *testing.T) {
	if broken := walk(seal(chainEvents(4), "v1", "v1", "v2", "v2")); broken != -1 {
		t.Errorf("a chain sealed under v1, then v2, breaks at %d", broken)
	}
	if broken := walk(seal(chainEvents(3), "v2", "v2", "v2")); broken != -1 {
		t.Errorf("a chain sealed under v2 breaks at %d", broken)
	}
	// Once the chain has moved to v2, an event cannot fall back to v1.
	if broken := walk(seal(chainEvents(3), "v1", "v2", "v1")); broken != 2 {
		t.Errorf("a v1 link after a v2 link: broken at %d, want 2", broken)
	}
}

func TestChainLinkCoversTheRequestSource(t *testing.T) {
	changes := map[string]func(e *Event){
		"identity provider":    func(e *Event) { e.IdentityProvider = "entra" },
		"no identity provider": func(e *Event) { e.IdentityProvider = "" },
		"another rule":         func(e *Event) { e.CompatibilityRules = []string{"entra-string-boolean"} },
		"no rules":             func(e *Event) { e.CompatibilityRules = nil },
		"one more rule": func(e *Event) {
			e.CompatibilityRules = append(e.CompatibilityRules, "entra-string-boolean")
		},
	}
	for name, change := range changes {
		chained := seal(chainEvents(3), "v2", "v2", "v2")
		change(&chained[1].Event)
		if broken := walk(chained); broken != 1 {
			t.Errorf("%s changed: broken at %d, want 1", name, broken)
		}
	}
}
