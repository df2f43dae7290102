// Command scim-gateway serves SCIM 2.0 for identity providers and turns every
// request into gRPC calls to the provisioning core.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/craevidence/scim-provisioning/pkg/envconfig"
	"github.com/craevidence/scim-provisioning/pkg/logging"
	"github.com/craevidence/scim-provisioning/pkg/telemetry"
	"github.com/craevidence/scim-provisioning/services/scim-gateway/internal/service"
)

func main() {
	flags := flag.NewFlagSet("scim-gateway", flag.ContinueOnError)
	flags.Usage = func() {
		fmt.Fprintln(flags.Output(), "usage: scim-gateway\n\n"+
			"Serves SCIM 2.0 at /scim/v2. Configuration comes from the environment:\n"+
			"SCIM_LISTEN_ADDR, PROVISIONING_GRPC_ADDR, SCIM_PUBLIC_URL, SCIM_SHUTDOWN_TIMEOUT,\n"+
			"SCIM_RATE_LIMIT, SCIM_RATE_BURST, SCIM_AUTH_FAILURE_RATE, SCIM_AUTH_FAILURE_BURST,\n"+
			"METRICS_ADDR, OTEL_EXPORTER_OTLP_ENDPOINT,\n"+
			"OTEL_EXPORTER_OTLP_INSECURE, LOG_FORMAT and LOG_LEVEL (see README.md).")
	}
	if err := flags.Parse(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		os.Exit(2)
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "scim-gateway: unexpected argument %q\n", flags.Arg(0))
		os.Exit(2)
	}

	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "scim-gateway:", err)
		os.Exit(1)
	}
}

func run() error {
	env := envconfig.New()
	opts := service.Options{
		ListenAddr:       env.String("SCIM_LISTEN_ADDR", "127.0.0.1:8080"),
		CoreAddr:         env.String("PROVISIONING_GRPC_ADDR", "127.0.0.1:9090"),
		PublicURL:        env.String("SCIM_PUBLIC_URL", ""),
		ShutdownTimeout:  env.Duration("SCIM_SHUTDOWN_TIMEOUT", 0),
		RateLimit:        env.Int("SCIM_RATE_LIMIT", 0),
		RateBurst:        env.Int("SCIM_RATE_BURST", 0),
		AuthFailureRate:  env.Int("SCIM_AUTH_FAILURE_RATE", 0),
		AuthFailureBurst: env.Int("SCIM_AUTH_FAILURE_BURST", 0),
		MetricsAddr:      env.String("METRICS_ADDR", ""),
		Tracing: telemetry.TracingOptions{
			Endpoint: env.String("OTEL_EXPORTER_OTLP_ENDPOINT", ""),
			Insecure: env.Bool("OTEL_EXPORTER_OTLP_INSECURE", false),
			Service:  "scim-gateway",
		},
	}
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

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return service.Run(ctx, opts)
}
