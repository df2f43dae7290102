package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/craevidence/scim-provisioning/services/scim-gateway/internal/core"
)

// loseRaces makes the fake core's first n UpdateUser calls lose a race.
func loseRaces(h *harness, n int) {
	lost := 0
	h.core.FailWith(func(method string) error {
		if method == "UpdateUser" && lost < n {
			lost++
			return &core.Error{Kind: core.KindPreconditionFailed, Message: "version mismatch"}
		}
		return nil
	})
}

func TestPatchWithoutIfMatchRetriesBusyUsers(t *testing.T) {
	const patch = `{"Operations":[{"op":"replace","path":"title","value":"x"}]}`

	h := newHarness(t)
	id := h.createAda()["id"].(string)
	loseRaces(h, 8)
	h.do("PATCH", "/scim/v2/Users/"+id, patch).expect(t, http.StatusOK)
	if n := h.core.Calls("UpdateUser"); n != 9 {
		t.Errorf("UpdateUser called %d times, want 9", n)
	}

	// Ten lost races in a row end in 412, in bounded time.
	h = newHarness(t)
	id = h.createAda()["id"].(string)
	loseRaces(h, 1000)
	start := time.Now()
	h.do("PATCH", "/scim/v2/Users/"+id, patch).expectError(t, http.StatusPreconditionFailed, "")
	if n := h.core.Calls("UpdateUser"); n != 10 {
		t.Errorf("UpdateUser called %d times, want 10", n)
	}
	if took := time.Since(start); took > 4*time.Second {
		t.Errorf("gave up after %s", took)
	}

	// With If-Match the client asked for that version: no retry.
	h = newHarness(t)
	id = h.createAda()["id"].(string)
	loseRaces(h, 1)
	h.do("PATCH", "/scim/v2/Users/"+id, patch, "If-Match", `W/"1"`).
		expectError(t, http.StatusPreconditionFailed, "")
	if n := h.core.Calls("UpdateUser"); n != 1 {
		t.Errorf("UpdateUser called %d times with If-Match, want 1", n)
	}
}

// TestOptimisticPatchAttemptsAreMarked checks the contract with the core:
// every write of a PATCH without If-Match is marked as an optimistic
// attempt, whose stale version the core does not log, and when the gateway
// gives up it reports the final 412 itself. With If-Match nothing is
// marked: the client's own precondition failure is the core's to log.
func TestOptimisticPatchAttemptsAreMarked(t *testing.T) {
	const patch = `{"Operations":[{"op":"replace","path":"title","value":"x"}]}`

	h := newHarness(t)
	id := h.createAda()["id"].(string)
	loseRaces(h, 8)
	h.do("PATCH", "/scim/v2/Users/"+id, patch).expect(t, http.StatusOK)
	if n := h.core.OptimisticCalls("UpdateUser"); n != 9 {
		t.Errorf("%d of 9 updates marked", n)
	}
	if n := h.core.OptimisticCalls("GetUser"); n != 0 {
		t.Errorf("%d reads marked", n)
	}
	if got := h.core.Rejections(); len(got) != 0 {
		t.Errorf("a PATCH that succeeded was reported: %+v", got)
	}

	h = newHarness(t)
	id = h.createAda()["id"].(string)
	loseRaces(h, 1000)
	h.do("PATCH", "/scim/v2/Users/"+id, patch).expectError(t, http.StatusPreconditionFailed, "")
	if n := h.core.OptimisticCalls("UpdateUser"); n != 10 {
		t.Errorf("%d of 10 updates marked", n)
	}
	got := h.core.Rejections()
	if len(got) != 1 {
		t.Fatalf("reports = %+v, want one", got)
	}
	if r := got[0]; r.Operation != "user.update" ||
		r.HTTPStatus != http.StatusPreconditionFailed || r.ScimType != "" ||
		r.Detail == "" || strings.Contains(r.Detail, "If-Match") ||
		strings.Contains(r.Detail, "mismatch") {
		t.Errorf("report = %+v", r)
	}

	h = newHarness(t)
	id = h.createAda()["id"].(string)
	loseRaces(h, 1)
	h.do("PATCH", "/scim/v2/Users/"+id, patch, "If-Match", `W/"1"`).
		expectError(t, http.StatusPreconditionFailed, "")
	if n := h.core.OptimisticCalls("UpdateUser"); n != 0 {
		t.Errorf("%d updates with If-Match marked", n)
	}
	if got := h.core.Rejections(); len(got) != 0 {
		t.Errorf("the core's own 412 was reported again: %+v", got)
	}
}
