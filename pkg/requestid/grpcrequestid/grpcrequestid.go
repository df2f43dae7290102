// Package grpcrequestid moves the request id of package requestid across
// gRPC calls: the client interceptor sends it as metadata, the server
// interceptor puts it into the handler's context.
package grpcrequestid

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/craevidence/scim-provisioning/pkg/requestid"
)

// UnaryClientInterceptor copies the context's request id into the outgoing
// metadata of every call.
func UnaryClientInterceptor() grpc.UnaryClientInterceptor {
	return func(
		ctx context.Context,
		method string,
		req, reply any,
		cc *grpc.ClientConn,
		invoker grpc.UnaryInvoker,
		opts ...grpc.CallOption,
	) error {
		if id := requestid.FromContext(ctx); id != "" {
			ctx = metadata.AppendToOutgoingContext(ctx, requestid.MetadataKey, id)
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	}
}

// UnaryServerInterceptor puts the caller's request id, or a fresh one, into
// the context of every call.
func UnaryServerInterceptor() grpc.UnaryServerInterceptor {
	return func(
		ctx context.Context,
		req any,
		info *grpc.UnaryServerInfo,
		handler grpc.UnaryHandler,
	) (any, error) {
		id := ""
		if md, ok := metadata.FromIncomingContext(ctx); ok {
			if values := md.Get(requestid.MetadataKey); len(values) > 0 {
				id = values[0]
			}
		}
		return handler(requestid.WithID(ctx, requestid.Sanitize(id)), req)
	}
}
