package domain

import (
	"errors"
	"fmt"
)

// Kind classifies an error for the edges that translate it: the gRPC adapter
// maps each kind to one status code, and nothing else inspects messages.
type Kind int

// The kinds of error the core reports.
const (
	KindInternal Kind = iota
	KindNotFound
	KindAlreadyExists
	KindInvalid
	KindConflict
	KindPreconditionFailed
	KindUnauthenticated
	KindPermissionDenied
	KindUnavailable
)

// String names the kind for logs and the provisioning log's error code.
func (k Kind) String() string {
	switch k {
	case KindNotFound:
		return "not_found"
	case KindAlreadyExists:
		return "already_exists"
	case KindInvalid:
		return "invalid"
	case KindConflict:
		return "conflict"
	case KindPreconditionFailed:
		return "precondition_failed"
	case KindUnauthenticated:
		return "unauthenticated"
	case KindPermissionDenied:
		return "permission_denied"
	case KindUnavailable:
		return "unavailable"
	default:
		return "internal"
	}
}

// SCIM error types (RFC 7644 §3.12) that the core can name. The gateway
// renders them as scimType; they travel as the gRPC error's reason.
const (
	ReasonUniqueness    = "uniqueness"
	ReasonInvalidFilter = "invalidFilter"
	ReasonInvalidValue  = "invalidValue"
	ReasonMutability    = "mutability"
	ReasonTooMany       = "tooMany"
)

// Error is the one error type of the core. Detail is shown to the caller, so
// it never holds internal details; Err keeps the cause for logs.
type Error struct {
	Kind Kind
	// Reason is a SCIM error type such as "uniqueness", or empty.
	Reason string
	// Detail is a message the caller can act on.
	Detail string
	Err    error
}

// Error returns the detail and, for logs, the cause.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %v", e.Detail, e.Err)
	}
	return e.Detail
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an error of kind with a caller-facing detail.
func Errorf(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Detail: fmt.Sprintf(format, args...)}
}

// WithReason returns a copy of e that names a SCIM error type.
func (e *Error) WithReason(reason string) *Error {
	c := *e
	c.Reason = reason
	return &c
}

// Internal wraps an unexpected failure. Its detail is generic so nothing of
// the cause reaches a client.
func Internal(err error) *Error {
	return &Error{Kind: KindInternal, Detail: "internal error", Err: err}
}

// KindOf returns the kind of the first *Error in err's chain, and
// KindInternal for any other error.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// IsKind reports whether err has the given kind.
func IsKind(err error, kind Kind) bool {
	return err != nil && KindOf(err) == kind
}
