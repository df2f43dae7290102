// Command provisioning runs the provisioning core: the gRPC services for the
// SCIM gateway, the admin REST API and the internal directory.
//
// Usage:
//
//	provisioning [serve] [--demo]   serve until interrupted (the default)
//	provisioning migrate            bring the database schema up to date
//
// Configuration comes from the environment, read once at start-up:
// DATABASE_URL, DATA_DIR, PROVISIONING_GRPC_ADDR, ADMIN_HTTP_ADDR,
// ADMIN_JWT_SECRET, ADMIN_JWT_PUBLIC_KEY_FILE, INTERNAL_SERVICE_TOKEN,
// EVENT_RETENTION, METRICS_ADDR, OTEL_EXPORTER_OTLP_ENDPOINT,
// OTEL_EXPORTER_OTLP_INSECURE, LOG_FORMAT, LOG_LEVEL and DEMO.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/craevidence/scim-provisioning/pkg/envconfig"
	"github.com/craevidence/scim-provisioning/pkg/logging"
	"github.com/craevidence/scim-provisioning/pkg/telemetry"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/service"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "provisioning:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	env := envconfig.New()
	dataDir := env.String("DATA_DIR", "./data")
	opts := service.Options{
		DatabaseURL:          env.String("DATABASE_URL", "sqlite:"+filepath.Join(dataDir, "provisioning.db")),
		GRPCAddr:             env.String("PROVISIONING_GRPC_ADDR", service.DefaultGRPCAddr),
		AdminHTTPAddr:        env.String("ADMIN_HTTP_ADDR", service.DefaultAdminHTTPAddr),
		AdminJWTSecret:       env.String("ADMIN_JWT_SECRET", ""),
		InternalServiceToken: env.String("INTERNAL_SERVICE_TOKEN", ""),
		EventRetention:       env.Duration("EVENT_RETENTION", domain.DefaultEventRetention),
		MetricsAddr:          env.String("METRICS_ADDR", ""),
		Tracing: telemetry.TracingOptions{
			Endpoint: env.String("OTEL_EXPORTER_OTLP_ENDPOINT", ""),
			Insecure: env.Bool("OTEL_EXPORTER_OTLP_INSECURE", false),
			Service:  "provisioning",
		},
		Demo: service.DemoOptions{
			Enabled: env.Bool("DEMO", false),
			DataDir: dataDir,
			Stdout:  os.Stdout,
		},
	}
	publicKeyFile := env.String("ADMIN_JWT_PUBLIC_KEY_FILE", "")
	logFormat := env.String("LOG_FORMAT", "text")
	logLevel := env.String("LOG_LEVEL", "info")
	if err := env.Err(); err != nil {
		return fmt.Errorf("configuration: %w", err)
	}

	if publicKeyFile != "" {
		key, err := os.ReadFile(publicKeyFile)
		if err != nil {
			return fmt.Errorf("configuration: ADMIN_JWT_PUBLIC_KEY_FILE: %w", err)
		}
		opts.AdminJWTPublicKeyPEM = key
	}

	command, demo, err := parseArgs(args)
	if err != nil {
		return err
	}
	opts.Demo.Enabled = opts.Demo.Enabled || demo

	// Logs go to stderr: stdout carries the demo credentials alone, so a
	// script can read them.
	logger, err := logging.New(os.Stderr, logging.Options{
		Format: logFormat, Level: logLevel, Service: "provisioning",
	})
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	opts.Logger = logger

	if isSQLite(opts.DatabaseURL) {
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			return fmt.Errorf("create data directory: %w", err)
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	switch command {
	case "migrate":
		return service.Migrate(ctx, opts)
	default:
		return service.Run(ctx, opts)
	}
}

// parseArgs reads the subcommand and the --demo flag, which may come before
// or after it.
func parseArgs(args []string) (command string, demo bool, err error) {
	flags := flag.NewFlagSet("provisioning", flag.ContinueOnError)
	flags.BoolVar(&demo, "demo", false, "create a demo organisation and SCIM client and print their credentials")
	flags.Usage = func() {
		fmt.Fprintln(flags.Output(), "usage: provisioning [serve|migrate] [--demo]")
		flags.PrintDefaults()
	}

	if err := flags.Parse(args); err != nil {
		return "", false, err
	}
	command = "serve"
	if rest := flags.Args(); len(rest) > 0 {
		command = rest[0]
		if err := flags.Parse(rest[1:]); err != nil {
			return "", false, err
		}
		if flags.NArg() > 0 {
			return "", false, fmt.Errorf("unexpected argument %q", flags.Arg(0))
		}
	}
	if command != "serve" && command != "migrate" {
		return "", false, errors.New("unknown command " + command + ": want serve or migrate")
	}
	return command, demo, nil
}

// isSQLite reports whether the database URL names an SQLite file, whose
// directory must exist before the database can be created.
func isSQLite(databaseURL string) bool {
	return !strings.HasPrefix(databaseURL, "postgres://") &&
		!strings.HasPrefix(databaseURL, "postgresql://")
}
