package e2e

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestMetricsOfBothServices provisions a user and reads both services'
// Prometheus endpoints, which listen on ports of their own.
func TestMetricsOfBothServices(t *testing.T) {
	s := StartSystem(t, "sqlite://"+t.TempDir()+"/provisioning.db")

	created := s.SCIM(http.MethodPost, "/Users", map[string]any{
		"userName": "metrics@example.com",
		"active":   true,
	})
	expectStatus(t, created, http.StatusCreated)
	expectStatus(t, s.SCIM(http.MethodGet, "/Users/"+created.String("id"), nil), http.StatusOK)

	gateway := scrape(t, s.GatewayMetricsURL)
	for _, want := range []string{
		`http_requests_total{method="POST",route="/scim/v2/Users",status="201"} 1`,
		`http_requests_total{method="GET",route="/scim/v2/Users/:id",status="200"} 1`,
	} {
		if !strings.Contains(gateway, want) {
			t.Errorf("gateway metrics lack %s", want)
		}
	}
	if strings.Contains(gateway, created.String("id")) {
		t.Errorf("gateway metrics name a user id: routes must be patterns")
	}

	core := scrape(t, s.CoreMetricsURL)
	want := `grpc_server_handled_total{code="OK",method="/craevidence.provisioning.v1.ScimService/CreateUser"} 1`
	if !strings.Contains(core, want) {
		t.Errorf("core metrics lack %s", want)
	}

	// The public SCIM port does not serve metrics.
	resp, err := http.Get(strings.TrimSuffix(s.ScimBaseURL, "/scim/v2") + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		t.Errorf("the SCIM port answers /metrics")
	}
}

func scrape(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("scrape %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape %s: status %d", url, resp.StatusCode)
	}
	return string(body)
}
