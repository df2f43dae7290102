package grpcserver

import (
	"context"
	"fmt"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
)

// nulByteInterceptor refuses a request with a NUL byte in any string field,
// at any depth, before a handler sees it. Postgres cannot store or even
// compare a text value holding NUL (it fails the statement, which would be
// a 500), while SQLite accepts one; refusing it here gives every caller
// (the SCIM gateway, the admin API, other services) the same 400 on both
// databases. The error names the field, never its value.
func nulByteInterceptor() grpc.UnaryServerInterceptor {
	return func(
		ctx context.Context,
		req any,
		_ *grpc.UnaryServerInfo,
		handler grpc.UnaryHandler,
	) (any, error) {
		if msg, ok := req.(proto.Message); ok {
			if field := fieldWithNulByte(msg.ProtoReflect(), ""); field != "" {
				return nil, domain.Errorf(domain.KindInvalid,
					"%s must not contain a NUL character", field).
					WithReason(domain.ReasonInvalidValue)
			}
		}
		return handler(ctx, req)
	}
}

// fieldWithNulByte returns the path of the first string field of msg, or of
// a message inside it, that holds a NUL byte, such as "user.emails[0].value";
// "" when there is none. Its recursion needs no bound of its own: decoding
// a request already refuses nesting beyond protobuf's recursion limit, and
// a deep but legitimate message (a long "or" chain of a filter) must pass.
func fieldWithNulByte(msg protoreflect.Message, prefix string) string {
	var found string
	msg.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		path := fd.JSONName()
		if prefix != "" {
			path = prefix + "." + path
		}
		switch {
		case fd.IsList():
			list := v.List()
			for i := 0; i < list.Len() && found == ""; i++ {
				found = valueWithNulByte(fd, list.Get(i), fmt.Sprintf("%s[%d]", path, i))
			}
		case fd.IsMap():
			v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
				if strings.ContainsRune(k.String(), 0) {
					found = path
					return false
				}
				found = valueWithNulByte(fd.MapValue(), mv, path)
				return found == ""
			})
		default:
			found = valueWithNulByte(fd, v, path)
		}
		return found == ""
	})
	return found
}

// valueWithNulByte checks one value of a field: a string, or a message to
// walk.
func valueWithNulByte(fd protoreflect.FieldDescriptor, v protoreflect.Value, path string) string {
	switch fd.Kind() {
	case protoreflect.StringKind:
		if strings.ContainsRune(v.String(), 0) {
			return path
		}
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return fieldWithNulByte(v.Message(), path)
	}
	return ""
}
