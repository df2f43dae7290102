package telemetry_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/craevidence/scim-provisioning/pkg/telemetry"
)

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// TestMetricsAreServedOnTheirOwnPort observes a gRPC call and an HTTP
// request and reads both back from a real /metrics endpoint.
func TestMetricsAreServedOnTheirOwnPort(t *testing.T) {
	registry := telemetry.NewRegistry()
	grpcMetrics := telemetry.NewGRPCServerMetrics(registry)
	httpMetrics := telemetry.NewHTTPMetrics(registry)
	conn := startHealthServer(t, grpc.ChainUnaryInterceptor(grpcMetrics.UnaryServerInterceptor()))

	if _, err := healthpb.NewHealthClient(conn).Check(context.Background(), &healthpb.HealthCheckRequest{}); err != nil {
		t.Fatal(err)
	}
	httpMetrics.Observe("/scim/v2/Users/:id", http.MethodGet, 404, 3*time.Millisecond)

	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := telemetry.ServeMetrics(ctx, addr, registry, discard); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)

	for _, want := range []string{
		`grpc_server_handled_total{code="OK",method="/grpc.health.v1.Health/Check"} 1`,
		`http_requests_total{method="GET",route="/scim/v2/Users/:id",status="404"} 1`,
		"go_goroutines",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func TestServeMetricsWithoutAnAddressServesNothing(t *testing.T) {
	if err := telemetry.ServeMetrics(context.Background(), "", telemetry.NewRegistry(), discard); err != nil {
		t.Fatal(err)
	}
}

// TestTraceContinuesAcrossTheGRPCHop checks that a span started by an HTTP
// request and a gRPC call made under it share one trace on both sides.
func TestTraceContinuesAcrossTheGRPCHop(t *testing.T) {
	exporter := tracetest.NewInMemoryExporter()
	provider := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exporter))
	otel.SetTracerProvider(provider)
	otel.SetTextMapPropagator(propagation.TraceContext{})
	t.Cleanup(func() { _ = provider.Shutdown(context.Background()) })

	conn := startHealthServer(t, telemetry.GRPCServerTracing())

	request := httptest.NewRequest(http.MethodGet, "/scim/v2/Users", nil)
	request.Header.Set("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
	ctx, end := telemetry.StartHTTPSpan(request, "/scim/v2/Users")
	if _, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
		t.Fatal(err)
	}
	end(200)

	spans := exporter.GetSpans()
	if len(spans) < 3 {
		t.Fatalf("want HTTP, client and server spans, got %d", len(spans))
	}
	for _, span := range spans {
		if got := span.SpanContext.TraceID().String(); got != "0af7651916cd43dd8448eb211c80319c" {
			t.Errorf("span %q is in trace %s, not the caller's", span.Name, got)
		}
	}
}

func TestSetupTracingWithoutAnEndpointIsANoOp(t *testing.T) {
	shutdown, err := telemetry.SetupTracing(context.Background(), telemetry.TracingOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func startHealthServer(t *testing.T, serverOpt grpc.ServerOption) *grpc.ClientConn {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	server := grpc.NewServer(serverOpt)
	healthpb.RegisterHealthServer(server, health.NewServer())
	go func() { _ = server.Serve(listener) }()
	t.Cleanup(server.Stop)

	conn, err := grpc.NewClient(listener.Addr().String(),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		telemetry.GRPCClientTracing())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
