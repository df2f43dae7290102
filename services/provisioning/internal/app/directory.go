package app

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/ports"
)

// Directory answers other CRA Evidence services: who is a member and whether
// they may log in. Its callers are trusted services, so it takes the
// organisation from the request.
type Directory struct {
	store  ports.Store
	now    Clock
	events eventRecorder
	logger *slog.Logger
}

// directoryActor names the internal directory service in provisioning
// events: its callers authenticate as a service, not as a person.
const directoryActor = "service:directory"

// NewDirectory returns the internal directory. A nil clock uses SystemClock.
func NewDirectory(store ports.Store, clock Clock, logger *slog.Logger) *Directory {
	if clock == nil {
		clock = SystemClock
	}
	return &Directory{
		store:  store,
		now:    clock,
		events: eventRecorder{store: store, now: clock, logger: logger},
		logger: logger,
	}
}

// LoginDenial says why a member may not log in.
type LoginDenial string

// The reasons a member may not log in; empty when it may.
const (
	LoginAllowed               LoginDenial = ""
	LoginDeniedDeactivated     LoginDenial = "deactivated"
	LoginDeniedPendingApproval LoginDenial = "pending_approval"
)

// Member returns a member of an organisation by id.
func (d *Directory) Member(ctx context.Context, orgID, memberID string) (domain.Member, error) {
	if orgID == "" || memberID == "" {
		return domain.Member{}, domain.Errorf(domain.KindInvalid,
			"an organisation id and a member id are required")
	}
	if !domain.ValidID(memberID) {
		return domain.Member{}, memberNotFound(memberID)
	}
	m, err := d.store.Directory().Member(ctx, orgID, memberID)
	return m, asDomainError(err)
}

// MemberByEmail returns the member of an organisation with an email,
// compared case-insensitively.
func (d *Directory) MemberByEmail(ctx context.Context, orgID, email string) (domain.Member, error) {
	email = domain.EmailKey(email)
	if orgID == "" || email == "" {
		return domain.Member{}, domain.Errorf(domain.KindInvalid,
			"an organisation id and an email are required")
	}
	m, err := d.store.Directory().MemberByEmail(ctx, orgID, email)
	return m, asDomainError(err)
}

// ListMembers returns one page of an organisation's members.
func (d *Directory) ListMembers(
	ctx context.Context,
	orgID string,
	page ports.Page,
) ([]domain.Member, string, error) {
	if orgID == "" {
		return nil, "", domain.Errorf(domain.KindInvalid, "an organisation id is required")
	}
	page.Size = pageSize(page.Size)
	members, next, err := d.store.Directory().ListMembers(ctx, orgID, page)
	return members, next, asDomainError(err)
}

// AddMember adds a member invited by hand: active, with the given role and
// managed by no SCIM client, so that a client provisioning the same email or
// userName later adopts it. An email or userName that already belongs to a
// member of the organisation is a uniqueness conflict. The addition and its
// member.add event commit together; a refused addition to a known
// organisation is logged as failed.
func (d *Directory) AddMember(ctx context.Context, inv domain.Invitation) (domain.Member, error) {
	if err := inv.Validate(); err != nil {
		return domain.Member{}, err
	}
	if _, err := d.store.Organizations().Organization(ctx, inv.OrganizationID); err != nil {
		if domain.IsKind(err, domain.KindNotFound) {
			return domain.Member{}, domain.Errorf(domain.KindNotFound,
				"organisation %s not found", domain.QuoteID(inv.OrganizationID))
		}
		return domain.Member{}, asDomainError(err)
	}

	member := domain.NewInvitedMember(NewID(), inv, d.now())
	event := d.events.event(ctx, inv.OrganizationID, "", directoryActor, domain.OpMemberAdd)
	event.MemberID = member.ID
	event.ChangedAttributes = []string{"userName", "emails", "role"}
	err := d.store.Transaction(ctx, func(tx ports.Repositories) error {
		err := lockIdentities(ctx, tx.Directory(), inv.OrganizationID, inv.UserName,
			[]string{inv.Email})
		if err != nil {
			return err
		}
		matches, err := tx.Directory().FindMatches(ctx, inv.OrganizationID, inv.UserName,
			[]string{inv.Email})
		if err != nil {
			return err
		}
		if len(matches) > 0 {
			return domain.Errorf(domain.KindAlreadyExists,
				"a member with this email or userName already exists").
				WithReason(domain.ReasonUniqueness)
		}
		if err := tx.Directory().CreateMember(ctx, member); err != nil {
			return err
		}
		return tx.Audit().AppendEvent(ctx, event)
	})
	if err != nil {
		err = asDomainError(err)
		// The member was not stored, so the failure names none.
		event.MemberID = ""
		d.events.failed(ctx, event, domain.OutcomeFailed, err)
		return domain.Member{}, err
	}

	d.logger.Info("member added by hand",
		"org_id", inv.OrganizationID, "member_id", member.ID, "role", string(member.Role),
		"request_id", event.RequestID)
	return member, nil
}

// CheckLogin says whether a member may log in, and why not.
func (d *Directory) CheckLogin(ctx context.Context, orgID, memberID string) (LoginDenial, error) {
	m, err := d.Member(ctx, orgID, memberID)
	if err != nil {
		return "", err
	}
	switch {
	case m.CanLogIn():
		return LoginAllowed, nil
	case m.Status == domain.StatusPendingApproval:
		return LoginDeniedPendingApproval, nil
	default:
		return LoginDeniedDeactivated, nil
	}
}

// UpsertOrganization creates an organisation or changes its name and plan.
// Leaving the Enterprise plan stops its SCIM clients on their next request.
func (d *Directory) UpsertOrganization(
	ctx context.Context,
	org domain.Organization,
) (domain.Organization, error) {
	org.ID = strings.TrimSpace(org.ID)
	if org.ID == "" {
		return domain.Organization{}, domain.Errorf(domain.KindInvalid, "an organisation needs an id")
	}
	if len(org.ID) > domain.MaxOrganizationIDLength {
		return domain.Organization{}, domain.Errorf(domain.KindInvalid,
			"an organisation id has at most %d bytes", domain.MaxOrganizationIDLength).
			WithReason(domain.ReasonInvalidValue)
	}
	if !org.Plan.Valid() {
		return domain.Organization{}, domain.Errorf(domain.KindInvalid, "plan %q is not known", org.Plan)
	}

	now := d.now()
	org.CreatedAt, org.UpdatedAt = now, now
	if err := d.store.Organizations().UpsertOrganization(ctx, org); err != nil {
		return domain.Organization{}, asDomainError(err)
	}
	stored, err := d.store.Organizations().Organization(ctx, org.ID)
	if err != nil {
		return domain.Organization{}, asDomainError(err)
	}

	d.logger.Info("organisation upserted", "org_id", org.ID, "plan", string(org.Plan))
	return stored, nil
}

// Retention removes provisioning events older than a period.
type Retention struct {
	audit  ports.AuditStore
	period time.Duration
	now    Clock
	logger *slog.Logger
}

// NewRetention returns the retention job. A period of zero or less uses
// domain.DefaultEventRetention; a nil clock uses SystemClock.
func NewRetention(
	audit ports.AuditStore,
	period time.Duration,
	clock Clock,
	logger *slog.Logger,
) *Retention {
	if period <= 0 {
		period = domain.DefaultEventRetention
	}
	if clock == nil {
		clock = SystemClock
	}
	return &Retention{audit: audit, period: period, now: clock, logger: logger}
}

// Run deletes the events older than the period and returns how many it
// deleted.
func (r *Retention) Run(ctx context.Context) (int64, error) {
	cutoff := r.now().Add(-r.period)
	n, err := r.audit.DeleteEventsBefore(ctx, cutoff)
	if err != nil {
		return 0, asDomainError(err)
	}
	if n > 0 {
		r.logger.Info("expired provisioning events deleted", "count", n, "cutoff", cutoff)
	}
	return n, nil
}
