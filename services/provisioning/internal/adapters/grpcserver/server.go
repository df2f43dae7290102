// Package grpcserver is the inbound gRPC adapter of the provisioning core:
// ScimService for the SCIM gateway, AdminService for the settings pages and
// DirectoryService for other services, plus the admin REST API that
// grpc-gateway serves in front of AdminService. Generated protobuf types stop
// here; the application sees domain types only.
package grpcserver

import (
	"log/slog"

	"google.golang.org/grpc"

	provisioningv1 "github.com/craevidence/scim-provisioning/api/gen/craevidence/provisioning/v1"
	"github.com/craevidence/scim-provisioning/pkg/requestid/grpcrequestid"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/app"
)

// Options are what the gRPC server needs.
type Options struct {
	Provisioning *app.Provisioning
	ScimClients  *app.ScimClients
	// ProvisioningLog verifies the hash chain; nil makes
	// VerifyProvisioningLog unavailable.
	ProvisioningLog *app.ProvisioningLog
	Members         *app.Members
	Directory       *app.Directory
	// AdminVerifier checks admin tokens; nil refuses every AdminService call.
	AdminVerifier AdminVerifier
	// InternalServiceToken authenticates DirectoryService callers; empty
	// refuses every DirectoryService call.
	InternalServiceToken string
	Logger               *slog.Logger
}

// NewServer returns a gRPC server with the three services registered and the
// interceptors in their order: request id first so every later step can
// name it, then logging, which sees the final status code, then the error
// translation, then the refusal of NUL bytes, which every caller's request
// passes, and recovery closest to the handler so a panic becomes an
// internal error that is translated and logged like any other.
func NewServer(opts Options, extra ...grpc.ServerOption) *grpc.Server {
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}

	serverOpts := append([]grpc.ServerOption{
		grpc.ChainUnaryInterceptor(
			grpcrequestid.UnaryServerInterceptor(),
			loggingInterceptor(logger),
			requestSourceInterceptor(logger),
			errorInterceptor(logger),
			nulByteInterceptor(),
			recoveryInterceptor(logger),
		),
	}, extra...)
	server := grpc.NewServer(serverOpts...)

	provisioningv1.RegisterScimServiceServer(server, NewScimServer(opts.Provisioning))
	provisioningv1.RegisterAdminServiceServer(server,
		NewAdminServer(opts.AdminVerifier, opts.ScimClients, opts.Members).
			WithProvisioningLog(opts.ProvisioningLog))
	provisioningv1.RegisterDirectoryServiceServer(server,
		NewDirectoryServer(opts.InternalServiceToken, opts.Directory))
	return server
}
