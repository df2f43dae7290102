// Package telemetry gives both services their Prometheus metrics and their
// OpenTelemetry traces. Metrics are served on a port of their own, so the
// public SCIM port never exposes them; tracing is off unless an OTLP
// endpoint is configured.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
)

// NewRegistry returns a registry holding the Go runtime and process
// collectors, for a service to add its own metrics to.
func NewRegistry() *prometheus.Registry {
	registry := prometheus.NewRegistry()
	registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return registry
}

// ServeMetrics serves the registry at /metrics on addr until ctx ends. An
// empty addr serves nothing. It returns once the listener is bound, so a
// port clash is reported at start-up.
func ServeMetrics(
	ctx context.Context,
	addr string,
	registry *prometheus.Registry,
	logger *slog.Logger,
) error {
	if addr == "" {
		return nil
	}
	listener, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("metrics listener: %w", err)
	}

	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(registry, promhttp.HandlerOpts{}))
	server := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = server.Shutdown(shutdownCtx)
	}()
	go func() {
		if err := server.Serve(listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("metrics server failed", "error", err)
		}
	}()

	logger.Info("metrics server started", "addr", listener.Addr().String())
	return nil
}

// GRPCServerMetrics counts and times the calls a gRPC server handles.
type GRPCServerMetrics struct {
	handled  *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// NewGRPCServerMetrics registers the gRPC server metrics with registry.
func NewGRPCServerMetrics(registry prometheus.Registerer) *GRPCServerMetrics {
	m := &GRPCServerMetrics{
		handled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "grpc_server_handled_total",
			Help: "gRPC calls completed, by method and status code.",
		}, []string{"method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "grpc_server_handling_seconds",
			Help:    "Time to handle a gRPC call, by method.",
			Buckets: prometheus.DefBuckets,
		}, []string{"method"}),
	}
	registry.MustRegister(m.handled, m.duration)
	return m
}

// UnaryServerInterceptor observes every unary call.
func (m *GRPCServerMetrics) UnaryServerInterceptor() grpc.UnaryServerInterceptor {
	return func(
		ctx context.Context,
		req any,
		info *grpc.UnaryServerInfo,
		handler grpc.UnaryHandler,
	) (any, error) {
		start := time.Now()
		resp, err := handler(ctx, req)
		m.handled.WithLabelValues(info.FullMethod, status.Code(err).String()).Inc()
		m.duration.WithLabelValues(info.FullMethod).Observe(time.Since(start).Seconds())
		return resp, err
	}
}

// HTTPMetrics counts and times the HTTP requests a server answers.
type HTTPMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// NewHTTPMetrics registers the HTTP server metrics with registry.
func NewHTTPMetrics(registry prometheus.Registerer) *HTTPMetrics {
	m := &HTTPMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "http_requests_total",
			Help: "HTTP requests answered, by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route pattern and method.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "method"}),
	}
	registry.MustRegister(m.requests, m.duration)
	return m
}

// Observe records one answered request. Route must be the route pattern
// (such as /scim/v2/Users/:id), never the raw path, so that ids and hostile
// paths cannot grow the number of series without bound.
func (m *HTTPMetrics) Observe(route, method string, status int, elapsed time.Duration) {
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(route, method).Observe(elapsed.Seconds())
}
