// Package app holds the application services of the provisioning core: the
// SCIM side (Provisioning), the admin side (ScimClients, Members), the
// internal directory (Directory) and the retention of the provisioning log.
// They depend on the domain and the ports only; the gRPC adapter translates
// requests into their calls.
package app

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/craevidence/scim-provisioning/pkg/requestid"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/ports"
)

// Clock returns the current time. Tests replace it to control time.
type Clock func() time.Time

// SystemClock returns the current time in UTC, truncated to microseconds
// because that is what Postgres keeps: a value returned from a create then
// equals the value read back later.
func SystemClock() time.Time {
	return time.Now().UTC().Truncate(time.Microsecond)
}

// NewID returns a fresh identifier for a member, group, client or event.
// Version 7 UUIDs grow with time, which keeps database indexes compact.
func NewID() string {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.NewString()
	}
	return id.String()
}

// ScimCaller is a SCIM client that Authenticate accepted, with its
// organisation. Every SCIM call is scoped to it.
type ScimCaller struct {
	Client       domain.ScimClient
	Organization domain.Organization
}

// actor names the caller in provisioning events.
func (c ScimCaller) actor() string {
	return "scim:" + c.Client.ID
}

// Admin is a person managing an organisation, as the admin credential says.
// The organisation comes from the credential only, never from a request.
type Admin struct {
	Subject        string
	OrganizationID string
	Role           domain.Role
}

// actor names the admin in provisioning events.
func (a Admin) actor() string {
	return "admin:" + a.Subject
}

// authorize reports whether the admin may manage SCIM provisioning and
// members: only owners and admins may.
func (a Admin) authorize() error {
	if a.OrganizationID == "" || a.Subject == "" {
		return domain.Errorf(domain.KindUnauthenticated, "the admin credential names no organisation")
	}
	if a.Role != domain.RoleOwner && a.Role != domain.RoleAdmin {
		return domain.Errorf(domain.KindPermissionDenied,
			"only owners and admins of the organisation may manage SCIM provisioning")
	}
	return nil
}

// eventRecorder builds provisioning events and writes failure events. The
// application services share it.
type eventRecorder struct {
	store  ports.Store
	now    Clock
	logger *slog.Logger
}

// event returns an event of the operation, stamped with the request id and
// the request source of ctx. The caller fills in the subject and the changed
// attributes.
func (r eventRecorder) event(
	ctx context.Context,
	orgID, clientID, actor string,
	op domain.Operation,
) domain.Event {
	source := RequestSourceFrom(ctx)
	return domain.Event{
		ID:             NewID(),
		OrganizationID: orgID,
		ClientID:       clientID,
		Operation:      op,
		Outcome:        domain.OutcomeSucceeded,
		Actor:          actor,
		RequestID:      requestid.FromContext(ctx),
		OccurredAt:     r.now(),

		IdentityProvider:   source.IdentityProvider,
		CompatibilityRules: source.CompatibilityRules,
	}
}

type requestSourceKey struct{}

// WithRequestSource returns a context whose provisioning events record
// src: the inbound adapter calls it with what the SCIM gateway said about
// the request.
func WithRequestSource(ctx context.Context, src domain.RequestSource) context.Context {
	return context.WithValue(ctx, requestSourceKey{}, src)
}

// RequestSourceFrom returns the request source of ctx; zero when it has
// none, as for admin actions.
func RequestSourceFrom(ctx context.Context) domain.RequestSource {
	src, _ := ctx.Value(requestSourceKey{}).(domain.RequestSource)
	return src
}

type optimisticAttemptKey struct{}

// WithOptimisticAttempt returns a context that marks an update as one
// attempt of several: the caller read the resource, changed it and will try
// again when the version it read turns out stale. A stale-version failure of
// such an attempt is then not logged, since it is not the request's outcome;
// the caller reports that outcome itself (ReportRejection) if it gives up.
// Any other failure is logged as usual.
func WithOptimisticAttempt(ctx context.Context) context.Context {
	return context.WithValue(ctx, optimisticAttemptKey{}, true)
}

// isOptimisticAttempt reports whether ctx came from WithOptimisticAttempt.
func isOptimisticAttempt(ctx context.Context) bool {
	attempt, _ := ctx.Value(optimisticAttemptKey{}).(bool)
	return attempt
}

// failed appends a failure event for a change that did not happen. It runs
// in a transaction of its own, after the change rolled back, and survives a
// cancelled request so a refused or failed call is always logged. A failure
// to log is reported in the service log but does not replace the caller's
// error.
func (r eventRecorder) failed(ctx context.Context, event domain.Event, outcome domain.Outcome, cause error) {
	event.Outcome = outcome
	// An id that is not well-formed came from the request and names
	// nothing; it may be of any length, and the event must still fit.
	for _, id := range []*string{&event.MemberID, &event.GroupID, &event.ClientID} {
		if *id != "" && !domain.ValidID(*id) {
			*id = ""
		}
	}
	event.ErrorCode = domain.KindOf(cause).String()
	// The caller was told the values it sent; the log keeps none of them.
	event.ErrorDetail = domain.WithoutValues(callerDetail(cause))
	event.ChangedAttributes = nil

	ctx = context.WithoutCancel(ctx)
	err := r.store.Transaction(ctx, func(tx ports.Repositories) error {
		return tx.Audit().AppendEvent(ctx, event)
	})
	if err != nil {
		r.logger.Error("append failure event",
			"operation", string(event.Operation),
			"org_id", event.OrganizationID,
			"client_id", event.ClientID,
			"request_id", event.RequestID,
			"error", err)
	}
}

// adminFailed logs an admin action that did not happen: refused when the
// admin may not act, failed otherwise. It logs nothing when the credential
// named no organisation, since there is no organisation's log to write to.
// A client or member that was not found is not named in the event: the id
// may belong to another organisation, and the event would then show up
// under that id in this organisation's filters; the error detail keeps it.
func (r eventRecorder) adminFailed(
	ctx context.Context,
	admin Admin,
	op domain.Operation,
	clientID, memberID string,
	cause error,
) {
	if admin.OrganizationID == "" || admin.Subject == "" {
		return
	}
	if domain.IsKind(cause, domain.KindNotFound) {
		clientID, memberID = "", ""
	}
	outcome := domain.OutcomeFailed
	if domain.IsKind(cause, domain.KindPermissionDenied) {
		outcome = domain.OutcomeRefused
	}
	event := r.event(ctx, admin.OrganizationID, clientID, admin.actor(), op)
	event.MemberID = memberID
	r.failed(ctx, event, outcome, cause)
}

// callerDetail returns what the caller was told about err: the detail of a
// domain error, or the generic internal message for anything else, so the
// provisioning log never holds an internal cause either.
func callerDetail(err error) string {
	var e *domain.Error
	if errors.As(err, &e) && e.Kind != domain.KindInternal {
		return e.Detail
	}
	return "internal error"
}

// asDomainError keeps domain errors and wraps anything else as internal, so
// the edges always meet a kind.
func asDomainError(err error) error {
	if err == nil {
		return nil
	}
	var e *domain.Error
	if errors.As(err, &e) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return &domain.Error{Kind: domain.KindUnavailable, Detail: "the request was cancelled", Err: err}
	}
	return domain.Internal(err)
}

// checkVersion compares a resource's version with the one the caller based
// its change on; zero skips the check.
func checkVersion(expected, actual int64) error {
	if expected != 0 && expected != actual {
		return domain.Errorf(domain.KindPreconditionFailed,
			"the resource changed since it was read (version %d, now %d)", expected, actual)
	}
	return nil
}
