package grpcserver

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
)

func TestStatusFromError(t *testing.T) {
	tests := []struct {
		kind domain.Kind
		want codes.Code
	}{
		{domain.KindNotFound, codes.NotFound},
		{domain.KindAlreadyExists, codes.AlreadyExists},
		{domain.KindInvalid, codes.InvalidArgument},
		{domain.KindConflict, codes.Aborted},
		{domain.KindPreconditionFailed, codes.FailedPrecondition},
		{domain.KindUnauthenticated, codes.Unauthenticated},
		{domain.KindPermissionDenied, codes.PermissionDenied},
		{domain.KindUnavailable, codes.Unavailable},
		{domain.KindInternal, codes.Internal},
	}
	logger := slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil))
	for _, tt := range tests {
		err := statusFromError(context.Background(), logger, domain.Errorf(tt.kind, "detail"))
		if got := status.Code(err); got != tt.want {
			t.Errorf("%s: code %s, want %s", tt.kind, got, tt.want)
		}
	}
}

func TestInternalErrorsHideTheCause(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))

	err := statusFromError(context.Background(), logger, errors.New("pq: relation members is broken"))

	st, _ := status.FromError(err)
	if st.Code() != codes.Internal || strings.Contains(st.Message(), "pq") {
		t.Errorf("status = %v: the cause must not reach the caller", st)
	}
	if !strings.Contains(logs.String(), "relation members is broken") {
		t.Error("the cause was not logged")
	}
}

func TestRecoveryTurnsPanicIntoInternal(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	chain := func(ctx context.Context, req any) (any, error) {
		return errorInterceptor(logger)(ctx, req, &grpc.UnaryServerInfo{FullMethod: "/x/Y"},
			func(ctx context.Context, req any) (any, error) {
				return recoveryInterceptor(logger)(ctx, req, &grpc.UnaryServerInfo{FullMethod: "/x/Y"},
					func(context.Context, any) (any, error) { panic("boom") })
			})
	}

	_, err := chain(context.Background(), nil)

	if status.Code(err) != codes.Internal || strings.Contains(err.Error(), "boom") {
		t.Errorf("err = %v, want a generic internal error", err)
	}
	if !strings.Contains(logs.String(), "boom") {
		t.Error("the panic was not logged")
	}
}
