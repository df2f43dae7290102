package grpcserver

import (
	"context"
	"errors"
	"log/slog"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/craevidence/scim-provisioning/pkg/requestid"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
)

// ErrorDomain names this service in google.rpc.ErrorInfo details.
const ErrorDomain = "provisioning.craevidence.eu"

// statusFromError is the one translation of domain errors into gRPC
// statuses. Internal causes are logged here and never sent: the caller gets
// a generic message and the request id to quote.
func statusFromError(ctx context.Context, logger *slog.Logger, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok {
		// Already a status, made by the adapter itself.
		return err
	}

	var de *domain.Error
	if !errors.As(err, &de) {
		de = domain.Internal(err)
	}

	code := codeOf(de.Kind)
	if code == codes.Internal {
		logger.ErrorContext(ctx, "request failed",
			"request_id", requestid.FromContext(ctx), "error", err)
		return status.Error(codes.Internal, "internal error")
	}

	st := status.New(code, de.Detail)
	if de.Reason != "" {
		info := &errdetails.ErrorInfo{Domain: ErrorDomain, Reason: de.Reason}
		if withInfo, err := st.WithDetails(info); err == nil {
			st = withInfo
		}
	}
	return st.Err()
}

// codeOf maps an error kind to its gRPC code. FailedPrecondition is kept
// for a stale version alone, because the SCIM gateway renders it as 412;
// every other conflict is Aborted, which it renders as 409.
func codeOf(kind domain.Kind) codes.Code {
	switch kind {
	case domain.KindNotFound:
		return codes.NotFound
	case domain.KindAlreadyExists:
		return codes.AlreadyExists
	case domain.KindInvalid:
		return codes.InvalidArgument
	case domain.KindConflict:
		return codes.Aborted
	case domain.KindPreconditionFailed:
		return codes.FailedPrecondition
	case domain.KindUnauthenticated:
		return codes.Unauthenticated
	case domain.KindPermissionDenied:
		return codes.PermissionDenied
	case domain.KindUnavailable:
		return codes.Unavailable
	default:
		return codes.Internal
	}
}

// errorInterceptor applies statusFromError to every handler's error, so
// handlers return domain errors and the translation happens in one place.
func errorInterceptor(logger *slog.Logger) grpc.UnaryServerInterceptor {
	return func(
		ctx context.Context,
		req any,
		info *grpc.UnaryServerInfo,
		handler grpc.UnaryHandler,
	) (any, error) {
		resp, err := handler(ctx, req)
		if err != nil {
			return nil, statusFromError(ctx, logger, err)
		}
		return resp, nil
	}
}
