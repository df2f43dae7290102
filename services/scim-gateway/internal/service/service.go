// Package service wires the gateway together: the gRPC adapter of the core,
// the SCIM HTTP API and the server's lifecycle. It is the one place that
// knows every concrete type.
package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/craevidence/scim-provisioning/pkg/telemetry"
	"github.com/craevidence/scim-provisioning/services/scim-gateway/internal/adapters/coregrpc"
	"github.com/craevidence/scim-provisioning/services/scim-gateway/internal/httpapi"
)

// Options is the gateway's configuration, read once at start-up.
type Options struct {
	// ListenAddr is the SCIM HTTP address, such as 127.0.0.1:8080.
	ListenAddr string
	// CoreAddr is the provisioning core's gRPC address.
	CoreAddr string
	// PublicURL is the SCIM base URL as clients see it; empty derives it
	// from each request.
	PublicURL string
	// RateLimit and RateBurst limit the requests of each bearer token; see
	// httpapi.Options.
	RateLimit int
	RateBurst int
	// AuthFailureRate and AuthFailureBurst limit, per client address, the
	// requests the core refuses for their token; see httpapi.Options.
	AuthFailureRate  int
	AuthFailureBurst int
	// ShutdownTimeout bounds how long in-flight requests may take to finish
	// once shutdown starts.
	ShutdownTimeout time.Duration
	// MetricsAddr is where Prometheus metrics are served; empty serves none.
	MetricsAddr string
	// Tracing exports OpenTelemetry traces when it names an endpoint.
	Tracing telemetry.TracingOptions
	Logger  *slog.Logger
	// Listening, when set, receives the bound address once the server
	// accepts connections; tests listen on port 0 and need it.
	Listening func(addr net.Addr)
}

// reflectsHost reports whether the gateway would build resource locations
// from the Host header of requests that can come from other machines: no
// public URL is configured and it listens beyond loopback (an unspecified
// address such as 0.0.0.0 included).
func reflectsHost(addr net.Addr, publicURL string) bool {
	if publicURL != "" {
		return false
	}
	tcp, ok := addr.(*net.TCPAddr)
	return !ok || !tcp.IP.IsLoopback()
}

// Run serves SCIM until ctx ends, then stops accepting connections and
// drains in-flight requests.
func Run(ctx context.Context, opts Options) error {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = 20 * time.Second
	}

	shutdownTracing, err := telemetry.SetupTracing(ctx, opts.Tracing)
	if err != nil {
		return fmt.Errorf("run gateway: %w", err)
	}
	defer flushTraces(shutdownTracing, log)
	registry := telemetry.NewRegistry()

	coreClient, err := coregrpc.Dial(opts.CoreAddr, telemetry.GRPCClientTracing())
	if err != nil {
		return fmt.Errorf("run gateway: %w", err)
	}
	defer coreClient.Close()

	handler := httpapi.New(httpapi.Options{
		Core:      coreClient,
		Logger:    log,
		PublicURL: opts.PublicURL,
		RateLimit: opts.RateLimit,
		RateBurst: opts.RateBurst,
		Metrics:   telemetry.NewHTTPMetrics(registry),

		AuthFailureRate:  opts.AuthFailureRate,
		AuthFailureBurst: opts.AuthFailureBurst,
	})
	server := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
	}

	listener, err := net.Listen("tcp", opts.ListenAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", opts.ListenAddr, err)
	}
	if err := telemetry.ServeMetrics(ctx, opts.MetricsAddr, registry, log); err != nil {
		listener.Close()
		return fmt.Errorf("run gateway: %w", err)
	}
	log.Info("scim gateway started", slog.String("addr", listener.Addr().String()),
		slog.String("core_addr", opts.CoreAddr))
	if reflectsHost(listener.Addr(), opts.PublicURL) {
		log.Warn("SCIM_PUBLIC_URL is unset on a gateway reachable beyond loopback: "+
			"meta.location and Location are built from each request's Host header, "+
			"which a client controls; set SCIM_PUBLIC_URL in production",
			slog.String("addr", listener.Addr().String()))
	}
	if opts.Listening != nil {
		opts.Listening(listener.Addr())
	}

	served := make(chan error, 1)
	go func() { served <- server.Serve(listener) }()

	select {
	case err := <-served:
		return fmt.Errorf("serve scim: %w", err)
	case <-ctx.Done():
	}

	log.Info("scim gateway stopping", slog.Duration("drain_timeout", opts.ShutdownTimeout))
	shutdownCtx, cancel := context.WithTimeout(context.Background(), opts.ShutdownTimeout)
	defer cancel()
	if err := server.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("drain scim requests: %w", err)
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve scim: %w", err)
	}
	log.Info("scim gateway stopped")
	return nil
}

// flushTraces sends the spans still buffered before the process exits.
func flushTraces(shutdown func(context.Context) error, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := shutdown(ctx); err != nil {
		log.Warn("traces were not all exported at shutdown", slog.Any("error", err))
	}
}
