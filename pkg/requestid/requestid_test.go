package requestid_test

import (
	"strings"
	"testing"

	"github.com/craevidence/scim-provisioning/pkg/requestid"
)

func TestSanitizeKeepsSafeIDsAndReplacesOthers(t *testing.T) {
	if got := requestid.Sanitize("abc-123_X.y"); got != "abc-123_X.y" {
		t.Errorf("a safe id was replaced by %q", got)
	}
	for _, hostile := range []string{"", "a b", "x\nlevel=error", strings.Repeat("a", 65), "ü"} {
		got := requestid.Sanitize(hostile)
		if got == hostile || got == "" {
			t.Errorf("Sanitize(%q) = %q, want a fresh id", hostile, got)
		}
	}
}
