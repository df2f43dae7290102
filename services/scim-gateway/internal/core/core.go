// Package core is the port through which the SCIM handlers reach the
// provisioning core. It speaks the gateway's own terms (the scim package's
// resources and filters); the gRPC adapter translates them to protobuf, and
// tests use an in-memory fake.
package core

import (
	"context"
	"errors"
	"time"

	"github.com/craevidence/scim-provisioning/services/scim-gateway/internal/scim"
)

// Provisioning is what the handlers need of the provisioning core. Every
// call is authenticated by the core with the bearer token of the context
// (see WithToken).
type Provisioning interface {
	// Authenticate checks the context's token.
	Authenticate(ctx context.Context) (Client, error)

	CreateUser(ctx context.Context, u scim.User) (scim.User, error)
	GetUser(ctx context.Context, id string) (scim.User, error)
	ListUsers(ctx context.Context, q ListQuery) (UserPage, error)
	// UpdateUser replaces a user's state; expectedVersion 0 skips the check.
	UpdateUser(ctx context.Context, u scim.User, expectedVersion int64, kind UpdateKind) (scim.User, error)
	DeleteUser(ctx context.Context, id string, expectedVersion int64) error

	CreateGroup(ctx context.Context, g scim.Group) (scim.Group, error)
	GetGroup(ctx context.Context, id string, excludeMembers bool) (scim.Group, error)
	ListGroups(ctx context.Context, q ListQuery) (GroupPage, error)
	ReplaceGroup(ctx context.Context, g scim.Group, expectedVersion int64) (scim.Group, error)
	ModifyGroup(ctx context.Context, m GroupModification) (scim.Group, error)
	DeleteGroup(ctx context.Context, id string, expectedVersion int64) error

	// ReportRejection records in the provisioning log a request that the
	// gateway refused itself, so the core never saw it.
	ReportRejection(ctx context.Context, r Rejection) error

	// Ping reports whether the core can be reached, for readiness.
	Ping(ctx context.Context) error
}

// Rejection describes a request the gateway refused itself. It never holds
// a value of the request: the detail is one of the gateway's fixed
// descriptions, and the resource id is sent only when it looks like an id.
type Rejection struct {
	// Operation is what the request attempted, such as "user.update", or
	// "" when it was no change of a user or group.
	Operation  string
	ResourceID string
	HTTPStatus int
	ScimType   string
	Detail     string
}

// Client is the SCIM client a token belongs to.
type Client struct {
	OrganizationID string
	ClientID       string
	Name           string
}

// ListQuery selects and pages resources.
type ListQuery struct {
	// Filter is nil for every resource.
	Filter scim.Filter
	// StartIndex is 1-based.
	StartIndex int
	// Count 0 asks only for the total.
	Count int
	// SortBy is an attribute path, or "" for the core's stable default
	// order; SortDescending reverses the order.
	SortBy         string
	SortDescending bool
	ExcludeMembers bool
}

// UserPage is one page of users and the number of all matches.
type UserPage struct {
	Users []scim.User
	Total int64
}

// GroupPage is one page of groups and the number of all matches.
type GroupPage struct {
	Groups []scim.Group
	Total  int64
}

// UpdateKind says which SCIM operation an update came from, for the
// provisioning log.
type UpdateKind int

// The update kinds.
const (
	UpdateReplace UpdateKind = iota + 1
	UpdatePatch
)

// GroupModification changes a group in place.
type GroupModification struct {
	ID              string
	ExpectedVersion int64
	Change          scim.GroupChange
	ExcludeMembers  bool
}

// Kind classifies a failure of the core in protocol-neutral terms; the HTTP
// layer turns it into a status code in one table.
type Kind int

// The error kinds.
const (
	KindInternal Kind = iota
	KindInvalid
	KindUnauthenticated
	KindPermissionDenied
	KindNotFound
	KindAlreadyExists
	KindConflict
	KindPreconditionFailed
	KindRateLimited
	KindUnimplemented
	KindUnavailable
)

// Error is a failure reported by the core.
type Error struct {
	Kind Kind
	// ScimType is the scimType the core named, or "".
	ScimType string
	// Message is safe to show to the client, except for KindInternal.
	Message string
	// RetryAfter is set for KindRateLimited.
	RetryAfter time.Duration
}

// Error returns the message.
func (e *Error) Error() string { return e.Message }

// IsKind reports whether err is a core error of kind k.
func IsKind(err error, k Kind) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind == k
}

type tokenKey struct{}

// WithToken returns a context carrying the caller's bearer token, which the
// adapter forwards to the core.
func WithToken(ctx context.Context, token string) context.Context {
	return context.WithValue(ctx, tokenKey{}, token)
}

// TokenFrom returns the bearer token of ctx, or "".
func TokenFrom(ctx context.Context) string {
	t, _ := ctx.Value(tokenKey{}).(string)
	return t
}

// Source is what the gateway learnt about a request's sender: the
// User-Agent and the compatibility rules applied to read the request. The
// handlers add rules as they read; the adapter passes both to the core on
// every call, so the provisioning log can show why a request was read as it
// was.
type Source struct {
	UserAgent string
	Notes     *scim.Notes
}

type sourceKey struct{}

// WithSource returns a context carrying the request's source.
func WithSource(ctx context.Context, s *Source) context.Context {
	return context.WithValue(ctx, sourceKey{}, s)
}

// SourceFrom returns the source of ctx, or nil.
func SourceFrom(ctx context.Context) *Source {
	s, _ := ctx.Value(sourceKey{}).(*Source)
	return s
}

type optimisticKey struct{}

// WithOptimisticAttempt returns a context for an UpdateUser call that the
// gateway retries itself when it fails on a stale version (a PATCH without
// If-Match). The core then logs no failure for a stale version of that
// call: a lost race is no failure of the client's, and when the gateway
// gives up it reports the final one itself.
func WithOptimisticAttempt(ctx context.Context) context.Context {
	return context.WithValue(ctx, optimisticKey{}, true)
}

// IsOptimisticAttempt reports whether ctx is for an UpdateUser call that
// the gateway retries; see WithOptimisticAttempt.
func IsOptimisticAttempt(ctx context.Context) bool {
	ok, _ := ctx.Value(optimisticKey{}).(bool)
	return ok
}
