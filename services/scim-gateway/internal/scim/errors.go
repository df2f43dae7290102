package scim

import "fmt"

// scimType values of RFC 7644 §3.12, which tell a client what kind of mistake
// it made.
const (
	ErrInvalidFilter = "invalidFilter"
	ErrTooMany       = "tooMany"
	ErrUniqueness    = "uniqueness"
	ErrMutability    = "mutability"
	ErrInvalidSyntax = "invalidSyntax"
	ErrInvalidPath   = "invalidPath"
	ErrNoTarget      = "noTarget"
	ErrInvalidValue  = "invalidValue"
	ErrInvalidVers   = "invalidVers"
)

// Error is a mistake in a client's request found by the gateway itself. It is
// always answered with 400 and its ScimType.
type Error struct {
	ScimType string
	Detail   string
}

// Error returns the detail with its scimType.
func (e *Error) Error() string {
	return e.ScimType + ": " + e.Detail
}

func errorf(scimType, format string, args ...any) *Error {
	return &Error{ScimType: scimType, Detail: fmt.Sprintf(format, args...)}
}
