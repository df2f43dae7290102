package grpcserver

import (
	"context"
	"log/slog"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	provisioningv1 "github.com/craevidence/scim-provisioning/api/gen/craevidence/provisioning/v1"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/app"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
)

// The metadata keys in which the SCIM gateway names the identity provider
// of a request and the compatibility rules it applied to read it, comma
// separated.
const (
	IdentityProviderKey   = "x-scim-identity-provider"
	CompatibilityRulesKey = "x-scim-compatibility-rules"
)

// OptimisticAttemptKey is the metadata key, set to "true", with which the
// SCIM gateway marks an UpdateUser call it will retry when the member's
// version is stale (a PATCH without If-Match). The core then writes no
// failure event for the stale version: the gateway's retry, or its
// ReportRejection when it gives up, carries the request's outcome.
const OptimisticAttemptKey = "x-scim-optimistic-attempt"

// optimisticAttempt reports whether the call's metadata marks it as an
// optimistic attempt. Only "true" does; anything else is an ordinary call,
// whose failures are all logged.
func optimisticAttempt(ctx context.Context) bool {
	md, _ := metadata.FromIncomingContext(ctx)
	values := md.Get(OptimisticAttemptKey)
	return len(values) == 1 && values[0] == "true"
}

// requestSourceInterceptor reads the request source of ScimService calls
// into the context, where the application records it with provisioning
// events. Values that are not well-formed names are dropped with a warning
// rather than failing the call: the source annotates the log and must never
// block provisioning. Other services' calls get no source, so an admin
// request cannot claim one.
func requestSourceInterceptor(logger *slog.Logger) grpc.UnaryServerInterceptor {
	scimPrefix := "/" + provisioningv1.ScimService_ServiceDesc.ServiceName + "/"
	return func(
		ctx context.Context,
		req any,
		info *grpc.UnaryServerInfo,
		handler grpc.UnaryHandler,
	) (any, error) {
		if !strings.HasPrefix(info.FullMethod, scimPrefix) {
			return handler(ctx, req)
		}
		md, _ := metadata.FromIncomingContext(ctx)
		src, dropped := requestSourceFromMetadata(md)
		if dropped > 0 {
			logger.WarnContext(ctx, "malformed request source metadata dropped",
				"method", info.FullMethod, "dropped", dropped)
		}
		return handler(app.WithRequestSource(ctx, src), req)
	}
}

// requestSourceFromMetadata validates the source metadata and returns it
// with how many values it dropped.
func requestSourceFromMetadata(md metadata.MD) (domain.RequestSource, int) {
	var src domain.RequestSource
	dropped := 0
	for _, provider := range md.Get(IdentityProviderKey) {
		if src.IdentityProvider == "" && domain.ValidSourceName(provider) {
			src.IdentityProvider = provider
			continue
		}
		dropped++
	}

	seen := map[string]bool{}
	for _, value := range md.Get(CompatibilityRulesKey) {
		if len(value) > domain.MaxCompatibilityRules*(domain.MaxSourceNameLength+1) {
			dropped++
			continue
		}
		for _, rule := range strings.Split(value, ",") {
			rule = strings.TrimSpace(rule)
			switch {
			case seen[rule]:
			case !domain.ValidSourceName(rule) ||
				len(src.CompatibilityRules) >= domain.MaxCompatibilityRules:
				dropped++
			default:
				seen[rule] = true
				src.CompatibilityRules = append(src.CompatibilityRules, rule)
			}
		}
	}
	return src, dropped
}
