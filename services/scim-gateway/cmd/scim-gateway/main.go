// Command scim-gateway serves SCIM 2.0 for identity providers and turns every
// request into gRPC calls to the provisioning core.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/craevidence/scim-provisioning/pkg/envconfig"
	"github.com/craevidence/scim-provisioning/pkg/logging"
	"github.com/craevidence/scim-provisioning/services/scim-gateway/internal/service"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "scim-gateway:", err)
		os.Exit(1)
	}
}

func run() error {
	env := envconfig.New()
	opts := service.Options{
		ListenAddr:      env.String("SCIM_LISTEN_ADDR", "127.0.0.1:8080"),
		CoreAddr:        env.String("PROVISIONING_GRPC_ADDR", "127.0.0.1:9090"),
		PublicURL:       env.String("SCIM_PUBLIC_URL", ""),
		ShutdownTimeout: env.Duration("SCIM_SHUTDOWN_TIMEOUT", 0),
		RateLimit:       env.Int("SCIM_RATE_LIMIT", 0),
		RateBurst:       env.Int("SCIM_RATE_BURST", 0),
	}
	// TODO: METRICS_ADDR should serve Prometheus metrics (request counts and
	// latencies by route and status); the gateway has none yet, so a set
	// value is only reported at start-up rather than silently ignored.
	metricsAddr := env.String("METRICS_ADDR", "")
	logOpts := logging.Options{
		Format:  env.String("LOG_FORMAT", "text"),
		Level:   env.String("LOG_LEVEL", "info"),
		Service: "scim-gateway",
	}
	if err := env.Err(); err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	logger, err := logging.New(os.Stderr, logOpts)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	opts.Logger = logger
	if metricsAddr != "" {
		logger.Warn("metrics endpoint not implemented, METRICS_ADDR ignored",
			"metrics_addr", metricsAddr)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return service.Run(ctx, opts)
}
