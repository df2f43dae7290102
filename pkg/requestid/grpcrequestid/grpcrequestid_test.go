package grpcrequestid_test

import (
	"context"
	"net"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/craevidence/scim-provisioning/pkg/requestid"
	"github.com/craevidence/scim-provisioning/pkg/requestid/grpcrequestid"
)

// TestIDTravelsThroughGRPC sends a call over a real loopback connection and
// checks that the server sees the client's request id.
func TestIDTravelsThroughGRPC(t *testing.T) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	seen := make(chan string, 1)
	server := grpc.NewServer(grpc.ChainUnaryInterceptor(
		grpcrequestid.UnaryServerInterceptor(),
		func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			seen <- requestid.FromContext(ctx)
			return h(ctx, req)
		},
	))
	healthpb.RegisterHealthServer(server, health.NewServer())
	go func() { _ = server.Serve(listener) }()
	defer server.Stop()

	conn, err := grpc.NewClient(listener.Addr().String(),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithUnaryInterceptor(grpcrequestid.UnaryClientInterceptor()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	ctx := requestid.WithID(context.Background(), "req-42")
	if _, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
		t.Fatal(err)
	}
	if got := <-seen; got != "req-42" {
		t.Errorf("server saw request id %q, want req-42", got)
	}
}
