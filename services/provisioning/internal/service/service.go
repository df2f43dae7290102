// Package service wires the provisioning core together: the store, the
// application services, the gRPC server, the admin HTTP server and the
// retention job. It is the one place that knows every concrete type.
package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/craevidence/scim-provisioning/pkg/requestid/grpcrequestid"
	"github.com/craevidence/scim-provisioning/pkg/telemetry"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/adapters/gormstore"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/adapters/grpcserver"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/app"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
)

// Defaults of the listen addresses: loopback, so a local run exposes
// nothing to the network by accident.
const (
	DefaultGRPCAddr      = "127.0.0.1:9090"
	DefaultAdminHTTPAddr = "127.0.0.1:8081"
)

// shutdownTimeout bounds how long in-flight requests may take to drain.
const shutdownTimeout = 15 * time.Second

// sealInterval is how often new provisioning events are sealed into their
// organisation's hash chain.
const sealInterval = time.Second

// retentionInterval is how often the retention job runs.
const retentionInterval = 24 * time.Hour

// Options configure the core. The zero value of each field has a default.
type Options struct {
	// DatabaseURL is a postgres:// URL or an SQLite database.
	DatabaseURL string
	// GRPCAddr is where the gRPC services listen.
	GRPCAddr string
	// AdminHTTPAddr is where the admin REST API, /healthz and /readyz
	// listen.
	AdminHTTPAddr string
	// AdminJWTSecret verifies admin tokens (HS256). Empty refuses every
	// admin call, unless demo mode makes one up.
	AdminJWTSecret string
	// AdminJWTPublicKeyPEM verifies admin tokens signed with RS256 (an RSA
	// key) or ES256 (a P-256 key), besides or instead of the secret.
	AdminJWTPublicKeyPEM []byte
	// InternalServiceToken authenticates DirectoryService callers. Empty
	// refuses every DirectoryService call.
	InternalServiceToken string
	// EventRetention is how long provisioning events are kept; zero means
	// domain.DefaultEventRetention.
	EventRetention time.Duration
	Logger         *slog.Logger
	Demo           DemoOptions
	// MetricsAddr is where Prometheus metrics are served; empty serves none.
	MetricsAddr string
	// Tracing exports OpenTelemetry traces when it names an endpoint.
	Tracing telemetry.TracingOptions
	// OnListening, when set, is told the bound addresses once both servers
	// accept connections; tests use it with ":0" addresses.
	OnListening func(grpcAddr, adminHTTPAddr string)
}

func (o *Options) applyDefaults() {
	if o.GRPCAddr == "" {
		o.GRPCAddr = DefaultGRPCAddr
	}
	if o.AdminHTTPAddr == "" {
		o.AdminHTTPAddr = DefaultAdminHTTPAddr
	}
	if o.EventRetention <= 0 {
		o.EventRetention = domain.DefaultEventRetention
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Demo.Stdout == nil {
		o.Demo.Stdout = os.Stdout
	}
}

// Migrate brings the database schema up to date and returns.
func Migrate(ctx context.Context, opts Options) error {
	opts.applyDefaults()
	store, err := gormstore.Open(ctx, gormstore.Options{
		DatabaseURL:    opts.DatabaseURL,
		Logger:         opts.Logger,
		SkipMigrations: true,
	})
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer store.Close()
	if err := store.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	opts.Logger.Info("database schema is up to date")
	return nil
}

// Run serves the core until ctx ends, then drains in-flight requests and
// returns. It returns early with an error when a server cannot start.
func Run(ctx context.Context, opts Options) error {
	opts.applyDefaults()
	logger := opts.Logger

	// Opening the store runs the migrations.
	store, err := gormstore.Open(ctx, gormstore.Options{DatabaseURL: opts.DatabaseURL, Logger: logger})
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer store.Close()

	provisioning := app.NewProvisioning(store, nil, logger)
	clients := app.NewScimClients(store, nil, logger)
	members := app.NewMembers(store, nil, logger)
	directory := app.NewDirectory(store, nil, logger)
	provisioningLog := app.NewProvisioningLog(store, logger)

	if opts.Demo.Enabled {
		creds, err := seedDemo(ctx, store, clients, opts)
		if err != nil {
			return fmt.Errorf("seed demo: %w", err)
		}
		opts.AdminJWTSecret = creds.JWTSecret
		if err := creds.print(opts.Demo.Stdout); err != nil {
			return fmt.Errorf("print demo credentials: %w", err)
		}
	}

	var verifier grpcserver.AdminVerifier
	if opts.AdminJWTSecret != "" || len(opts.AdminJWTPublicKeyPEM) > 0 {
		v, err := grpcserver.NewKeyVerifier([]byte(opts.AdminJWTSecret), opts.AdminJWTPublicKeyPEM)
		if err != nil {
			return fmt.Errorf("admin jwt keys: %w", err)
		}
		verifier = v
		logger.Info("admin tokens accepted", "algorithms", v.Algorithms())
	} else {
		logger.Warn("neither ADMIN_JWT_SECRET nor ADMIN_JWT_PUBLIC_KEY_FILE is set: " +
			"every admin API call is refused")
	}
	if opts.InternalServiceToken == "" {
		logger.Warn("INTERNAL_SERVICE_TOKEN is not set: every DirectoryService call is refused")
	}

	shutdownTracing, err := telemetry.SetupTracing(ctx, opts.Tracing)
	if err != nil {
		return err
	}
	defer flushTraces(shutdownTracing, logger)
	registry := telemetry.NewRegistry()
	grpcMetrics := telemetry.NewGRPCServerMetrics(registry)

	grpcServer := grpcserver.NewServer(grpcserver.Options{
		Provisioning:         provisioning,
		ScimClients:          clients,
		Members:              members,
		Directory:            directory,
		ProvisioningLog:      provisioningLog,
		AdminVerifier:        verifier,
		InternalServiceToken: opts.InternalServiceToken,
		Logger:               logger,
	},
		grpc.ChainUnaryInterceptor(grpcMetrics.UnaryServerInterceptor()),
		telemetry.GRPCServerTracing(),
	)
	healthServer := health.NewServer()
	healthpb.RegisterHealthServer(grpcServer, healthServer)

	grpcListener, err := net.Listen("tcp", opts.GRPCAddr)
	if err != nil {
		return fmt.Errorf("listen grpc on %s: %w", opts.GRPCAddr, err)
	}
	httpListener, err := net.Listen("tcp", opts.AdminHTTPAddr)
	if err != nil {
		grpcListener.Close()
		return fmt.Errorf("listen admin http on %s: %w", opts.AdminHTTPAddr, err)
	}

	// The admin REST API reaches AdminService through a real connection to
	// this process's gRPC server, so both paths share one set of checks.
	conn, err := grpc.NewClient(loopbackTarget(grpcListener.Addr()),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithUnaryInterceptor(grpcrequestid.UnaryClientInterceptor()),
		telemetry.GRPCClientTracing())
	if err != nil {
		grpcListener.Close()
		httpListener.Close()
		return fmt.Errorf("dial own grpc server: %w", err)
	}
	defer conn.Close()

	serveCtx, stopServing := context.WithCancel(ctx)
	defer stopServing()
	handler, err := grpcserver.NewAdminHTTPHandler(serveCtx, conn, store.Ping,
		grpcserver.WithAdminHTTPLogger(logger))
	if err != nil {
		grpcListener.Close()
		httpListener.Close()
		return err
	}
	httpServer := newAdminHTTPServer(handler, logger)
	if err := telemetry.ServeMetrics(serveCtx, opts.MetricsAddr, registry, logger); err != nil {
		grpcListener.Close()
		httpListener.Close()
		return err
	}

	errs := make(chan error, 2)
	go func() {
		if err := grpcServer.Serve(grpcListener); err != nil {
			errs <- fmt.Errorf("serve grpc: %w", err)
		}
	}()
	go func() {
		if err := httpServer.Serve(httpListener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs <- fmt.Errorf("serve admin http: %w", err)
		}
	}()
	healthServer.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)

	sealerDone := make(chan struct{})
	go func() {
		defer close(sealerDone)
		provisioningLog.RunSealer(serveCtx, sealInterval)
	}()

	retention := app.NewRetention(store.Audit(), opts.EventRetention, nil, logger)
	retentionDone := make(chan struct{})
	go func() {
		defer close(retentionDone)
		runRetention(serveCtx, retention, logger)
	}()

	logger.Info("provisioning core started",
		"grpc_addr", grpcListener.Addr().String(),
		"admin_http_addr", httpListener.Addr().String(),
		"database", store.Dialect())
	if opts.OnListening != nil {
		opts.OnListening(grpcListener.Addr().String(), httpListener.Addr().String())
	}

	var runErr error
	select {
	case <-ctx.Done():
		logger.Info("provisioning core stopping")
	case runErr = <-errs:
		logger.Error("provisioning core failed", "error", runErr)
	}

	healthServer.Shutdown()
	stopServing()
	shutdown(grpcServer, httpServer, logger)
	<-retentionDone
	<-sealerDone
	logger.Info("provisioning core stopped")
	return runErr
}

// Timeouts of the admin HTTP server. Admin answers are small and quick, so
// the bounds are short: a client that sends a request slowly, or reads an
// answer slowly, holds a connection for seconds, not forever. The export of
// the provisioning log streams for as long as the log needs and moves its
// own deadlines forward page by page.
const (
	adminReadHeaderTimeout = 10 * time.Second
	adminReadTimeout       = 30 * time.Second
	adminWriteTimeout      = 60 * time.Second
	adminIdleTimeout       = 2 * time.Minute
	adminMaxHeaderBytes    = 64 << 10
)

func newAdminHTTPServer(handler http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: adminReadHeaderTimeout,
		ReadTimeout:       adminReadTimeout,
		WriteTimeout:      adminWriteTimeout,
		IdleTimeout:       adminIdleTimeout,
		MaxHeaderBytes:    adminMaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}

// shutdown drains both servers, each within shutdownTimeout. HTTP goes
// first, since its requests are in flight on the gRPC server too.
func shutdown(grpcServer *grpc.Server, httpServer *http.Server, logger *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := httpServer.Shutdown(ctx); err != nil {
		logger.Warn("admin http did not drain in time", "error", err)
		httpServer.Close()
	}

	stopped := make(chan struct{})
	go func() {
		grpcServer.GracefulStop()
		close(stopped)
	}()
	select {
	case <-stopped:
	case <-ctx.Done():
		logger.Warn("grpc did not drain in time; closing open calls")
		grpcServer.Stop()
		<-stopped
	}
}

// flushTraces sends the spans still buffered before the process exits.
func flushTraces(shutdown func(context.Context) error, logger *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := shutdown(ctx); err != nil {
		logger.Warn("traces were not all exported at shutdown", "error", err)
	}
}

// runRetention deletes expired events at start-up and then daily, until ctx
// ends.
func runRetention(ctx context.Context, retention *app.Retention, logger *slog.Logger) {
	ticker := time.NewTicker(retentionInterval)
	defer ticker.Stop()
	for {
		if _, err := retention.Run(ctx); err != nil && ctx.Err() == nil {
			logger.Error("provisioning event retention failed", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// loopbackTarget returns an address this process can dial to reach its own
// listener, replacing an unspecified host (":9090", "0.0.0.0") with
// loopback.
func loopbackTarget(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return addr.String()
	}
	host := tcp.IP.String()
	if tcp.IP == nil || tcp.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, strconv.Itoa(tcp.Port))
}
