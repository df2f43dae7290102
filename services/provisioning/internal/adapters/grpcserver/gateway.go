package grpcserver

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"

	provisioningv1 "github.com/craevidence/scim-provisioning/api/gen/craevidence/provisioning/v1"
	"github.com/craevidence/scim-provisioning/pkg/requestid"
)

// readinessTimeout bounds the database ping of /readyz.
const readinessTimeout = 2 * time.Second

// NewAdminHTTPHandler returns the admin REST API: grpc-gateway forwarding to
// AdminService over conn, which is a client connection to this process's own
// gRPC server, so REST calls pass the same authentication, validation and
// interceptors as gRPC calls. It also serves /healthz (the process runs) and
// /readyz (ready answers nil).
//
// The gateway forwards the Authorization header as "authorization" metadata,
// and X-Request-Id as the request id.
func NewAdminHTTPHandler(
	ctx context.Context,
	conn *grpc.ClientConn,
	ready func(context.Context) error,
) (http.Handler, error) {
	mux := runtime.NewServeMux(runtime.WithIncomingHeaderMatcher(adminHeaderMatcher))
	if err := provisioningv1.RegisterAdminServiceHandler(ctx, mux, conn); err != nil {
		return nil, fmt.Errorf("register admin gateway: %w", err)
	}

	root := http.NewServeMux()
	root.Handle("/v1/", mux)
	root.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writePlain(w, http.StatusOK, "ok")
	})
	root.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		pingCtx, cancel := context.WithTimeout(r.Context(), readinessTimeout)
		defer cancel()
		if err := ready(pingCtx); err != nil {
			writePlain(w, http.StatusServiceUnavailable, "not ready")
			return
		}
		writePlain(w, http.StatusOK, "ready")
	})
	// TODO: serve api/openapi/admin.swagger.json at /openapi.json. It lives
	// in the api module and go:embed cannot reach across modules; it needs a
	// copy made at build time or an embedding package in the api module.
	return root, nil
}

// adminHeaderMatcher forwards the request id header besides grpc-gateway's
// defaults (which already pass Authorization on as "authorization").
func adminHeaderMatcher(key string) (string, bool) {
	if http.CanonicalHeaderKey(key) == requestid.HeaderName {
		return requestid.MetadataKey, true
	}
	return runtime.DefaultHeaderMatcher(key)
}

func writePlain(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(body + "\n"))
}
