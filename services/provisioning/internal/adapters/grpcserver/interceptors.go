package grpcserver

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/craevidence/scim-provisioning/pkg/requestid"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
)

// callInfo collects what a handler learns about its caller, so the logging
// interceptor can name the organisation and client of a call it did not
// authenticate itself.
type callInfo struct {
	mu       sync.Mutex
	orgID    string
	clientID string
}

type callInfoKey struct{}

// noteCaller records the caller's organisation and client for the log line
// of the current call.
func noteCaller(ctx context.Context, orgID, clientID string) {
	if info, ok := ctx.Value(callInfoKey{}).(*callInfo); ok {
		info.mu.Lock()
		info.orgID, info.clientID = orgID, clientID
		info.mu.Unlock()
	}
}

// loggingInterceptor writes one line per call: method, code, duration and
// the ids of the caller. It never logs a request, a response or metadata,
// which carry tokens and personal data.
func loggingInterceptor(logger *slog.Logger) grpc.UnaryServerInterceptor {
	return func(
		ctx context.Context,
		req any,
		info *grpc.UnaryServerInfo,
		handler grpc.UnaryHandler,
	) (any, error) {
		call := &callInfo{}
		ctx = context.WithValue(ctx, callInfoKey{}, call)
		start := time.Now()

		resp, err := handler(ctx, req)

		code := status.Code(err)
		level := slog.LevelInfo
		switch code {
		case codes.OK:
		case codes.Internal, codes.Unknown, codes.DataLoss:
			level = slog.LevelError
		default:
			level = slog.LevelWarn
		}
		call.mu.Lock()
		orgID, clientID := call.orgID, call.clientID
		call.mu.Unlock()
		logger.Log(ctx, level, "grpc call",
			"method", info.FullMethod,
			"code", code.String(),
			"duration", time.Since(start),
			"request_id", requestid.FromContext(ctx),
			"org_id", orgID,
			"client_id", clientID)
		return resp, err
	}
}

// recoveryInterceptor turns a panic in a handler into an internal error,
// logging the stack, so one bad request cannot take the process down.
func recoveryInterceptor(logger *slog.Logger) grpc.UnaryServerInterceptor {
	return func(
		ctx context.Context,
		req any,
		info *grpc.UnaryServerInfo,
		handler grpc.UnaryHandler,
	) (resp any, err error) {
		defer func() {
			if r := recover(); r != nil {
				logger.ErrorContext(ctx, "handler panicked",
					"method", info.FullMethod,
					"request_id", requestid.FromContext(ctx),
					"panic", fmt.Sprint(r),
					"stack", string(debug.Stack()))
				resp, err = nil, domain.Internal(fmt.Errorf("panic in %s", info.FullMethod))
			}
		}()
		return handler(ctx, req)
	}
}
