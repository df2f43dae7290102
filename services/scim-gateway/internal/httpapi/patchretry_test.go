package httpapi_test

import (
	"net/http"
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
