package service

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	provisioningv1 "github.com/craevidence/scim-provisioning/api/gen/craevidence/provisioning/v1"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/adapters/gormstore/gormstoretest"
)

// runDemo starts the core in demo mode on loopback ports, lets check use it
// and stops it, returning what it printed.
func runDemo(
	t *testing.T,
	dataDir, databaseURL string,
	check func(grpcAddr, httpAddr string, lines map[string]string),
) map[string]string {
	t.Helper()
	var out bytes.Buffer
	listening := make(chan [2]string, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Options{
			DatabaseURL:   databaseURL,
			GRPCAddr:      "127.0.0.1:0",
			AdminHTTPAddr: "127.0.0.1:0",
			Logger:        slog.New(slog.NewTextHandler(io.Discard, nil)),
			Demo:          DemoOptions{Enabled: true, DataDir: dataDir, Stdout: &out},
			OnListening: func(g, h string) {
				listening <- [2]string{g, h}
			},
		})
	}()

	var addrs [2]string
	select {
	case addrs = <-listening:
	case err := <-done:
		t.Fatalf("run: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("the core did not start")
	}

	lines := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		key, value, _ := strings.Cut(line, "=")
		lines[key] = value
	}
	check(addrs[0], addrs[1], lines)

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	return lines
}

func TestDemoModeKeepsItsTokenAcrossRestarts(t *testing.T) {
	dataDir := t.TempDir()
	databaseURL := gormstoretest.SQLiteURL(t)
	var rotated string

	first := runDemo(t, dataDir, databaseURL, func(grpcAddr, httpAddr string, lines map[string]string) {
		for _, key := range []string{"SCIM_TOKEN", "ADMIN_TOKEN", "ORGANIZATION_ID"} {
			if lines[key] == "" {
				t.Fatalf("%s was not printed; got %v", key, lines)
			}
		}
		conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()

		scimCtx := metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer "+lines["SCIM_TOKEN"])
		auth, err := provisioningv1.NewScimServiceClient(conn).Authenticate(scimCtx, &provisioningv1.AuthenticateRequest{})
		if err != nil || auth.GetOrganizationId() != lines["ORGANIZATION_ID"] {
			t.Fatalf("authenticate with the demo token: %v, %v", auth, err)
		}

		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://"+httpAddr+"/v1/scim-clients", nil)
		req.Header.Set("Authorization", "Bearer "+lines["ADMIN_TOKEN"])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("admin REST with the demo admin token: %d", resp.StatusCode)
		}

		// Rotate the token, as an admin would, so the next start must notice.
		adminCtx := metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer "+lines["ADMIN_TOKEN"])
		admin := provisioningv1.NewAdminServiceClient(conn)
		list, err := admin.ListScimClients(adminCtx, &provisioningv1.ListScimClientsRequest{})
		if err != nil || len(list.GetClients()) != 1 {
			t.Fatalf("list clients: %v, %v", list, err)
		}
		r, err := admin.RotateScimClientToken(adminCtx,
			&provisioningv1.RotateScimClientTokenRequest{ClientId: list.GetClients()[0].GetId()})
		if err != nil {
			t.Fatal(err)
		}
		rotated = r.GetToken()
	})

	info, err := os.Stat(filepath.Join(dataDir, demoFileName))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("demo.env: %v, mode %v, want 0600", err, info.Mode().Perm())
	}

	second := runDemo(t, dataDir, databaseURL, func(string, string, map[string]string) {})
	if second["ORGANIZATION_ID"] != first["ORGANIZATION_ID"] {
		t.Error("a restart created another organisation")
	}
	if second["SCIM_TOKEN"] == first["SCIM_TOKEN"] || second["SCIM_TOKEN"] == rotated || second["SCIM_TOKEN"] == "" {
		t.Error("after a rotation the restart must issue a new token")
	}

	third := runDemo(t, dataDir, databaseURL, func(string, string, map[string]string) {})
	if third["SCIM_TOKEN"] != second["SCIM_TOKEN"] {
		t.Error("a restart on the same data directory printed another token")
	}
}
