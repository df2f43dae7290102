package e2e

import "testing"

// checkExportAndVerifyIsolation checks that the export and the verification
// of A's provisioning log hold nothing of tenant b.
func (s *System) checkExportAndVerifyIsolation(t *testing.T, b Tenant, memberOfB string) {
	t.Helper()
	// TODO: filled in once the export and verify endpoints exist.
}
