// Package requestid carries one request id from the SCIM gateway through gRPC
// metadata into the core, so log lines and provisioning events of one request
// can be found together. It depends on nothing but the standard library, so
// the core's application layer may use it; the gRPC interceptors that move
// the id across the wire are in package grpcrequestid.
package requestid

import (
	"context"
	"crypto/rand"
	"encoding/hex"
)

// MetadataKey is the gRPC metadata key, and HeaderName the HTTP header, that
// carry the request id.
const (
	MetadataKey = "x-request-id"
	HeaderName  = "X-Request-Id"
)

// maxLength bounds an id taken from a caller, so a hostile header cannot
// flood logs and the provisioning log.
const maxLength = 64

type contextKey struct{}

// New returns a fresh random request id.
func New() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Sanitize returns id when it is a short string of safe characters, and a
// fresh id otherwise.
func Sanitize(id string) string {
	if id == "" || len(id) > maxLength {
		return New()
	}
	for _, r := range id {
		safe := r == '-' || r == '_' || r == '.' ||
			('0' <= r && r <= '9') || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z')
		if !safe {
			return New()
		}
	}
	return id
}

// WithID returns a context that carries id.
func WithID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, contextKey{}, id)
}

// FromContext returns the request id of ctx, or "" when there is none.
func FromContext(ctx context.Context) string {
	id, _ := ctx.Value(contextKey{}).(string)
	return id
}
