package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/ports"
)

// Members lets owners and admins list the organisation's members and decide
// who may log in. Every change commits together with its provisioning event.
type Members struct {
	store  ports.Store
	now    Clock
	events eventRecorder
	logger *slog.Logger
}

// NewMembers returns the admin side of members. A nil clock uses
// SystemClock.
func NewMembers(store ports.Store, clock Clock, logger *slog.Logger) *Members {
	if clock == nil {
		clock = SystemClock
	}
	return &Members{
		store:  store,
		now:    clock,
		events: eventRecorder{store: store, now: clock, logger: logger},
		logger: logger,
	}
}

// List returns one page of the organisation's members and the token of the
// next page.
func (s *Members) List(ctx context.Context, admin Admin, page ports.Page) ([]domain.Member, string, error) {
	if err := admin.authorize(); err != nil {
		return nil, "", err
	}
	page.Size = pageSize(page.Size)
	members, next, err := s.store.Directory().ListMembers(ctx, admin.OrganizationID, page)
	return members, next, asDomainError(err)
}

// memberRule changes one member inside the transaction of an admin action;
// dir reads the rest of the organisation where the rule depends on it.
type memberRule func(ctx context.Context, dir ports.UserDirectory, m *domain.Member, now time.Time) error

// Approve lets a member pending approval log in.
func (s *Members) Approve(ctx context.Context, admin Admin, memberID string) (domain.Member, error) {
	return s.change(ctx, admin, memberID, domain.OpMemberApprove, alone((*domain.Member).Approve))
}

// Deactivate stops a member from logging in; all data is kept. Only an owner
// may deactivate an owner, and never the organisation's last active owner,
// so that no admin action leaves the organisation without one.
func (s *Members) Deactivate(ctx context.Context, admin Admin, memberID string) (domain.Member, error) {
	rule := func(ctx context.Context, dir ports.UserDirectory, m *domain.Member, now time.Time) error {
		if err := domain.CheckDeactivationByAdmin(admin.Role, *m); err != nil {
			return err
		}
		before := *m
		if err := m.DeactivateByAdmin(now); err != nil {
			return err
		}
		return refuseLastOwner(ctx, dir, before, m, domain.LastOwnerDeactivationError())
	}
	return s.change(ctx, admin, memberID, domain.OpMemberDeactivate, rule)
}

// Reactivate lets a deactivated member log in again.
func (s *Members) Reactivate(ctx context.Context, admin Admin, memberID string) (domain.Member, error) {
	return s.change(ctx, admin, memberID, domain.OpMemberReactivate,
		alone((*domain.Member).ReactivateByAdmin))
}

// alone makes a rule that needs nothing but the member a memberRule.
func alone(rule func(*domain.Member, time.Time) error) memberRule {
	return func(_ context.Context, _ ports.UserDirectory, m *domain.Member, now time.Time) error {
		return rule(m, now)
	}
}

// change applies one domain rule to a member and logs it in the same
// transaction; a change that is refused or fails is logged too.
func (s *Members) change(
	ctx context.Context,
	admin Admin,
	memberID string,
	op domain.Operation,
	rule memberRule,
) (domain.Member, error) {
	if err := admin.authorize(); err != nil {
		s.events.adminFailed(ctx, admin, op, "", memberID, err)
		return domain.Member{}, err
	}
	if !domain.ValidID(memberID) {
		err := memberNotFound(memberID)
		s.events.adminFailed(ctx, admin, op, "", memberID, err)
		return domain.Member{}, err
	}

	var member domain.Member
	var event domain.Event
	err := s.store.Transaction(ctx, func(tx ports.Repositories) error {
		dir := tx.Directory()
		current, err := dir.Member(ctx, admin.OrganizationID, memberID)
		if err != nil {
			return err
		}
		// The owners lock comes before the member's row, in the order the
		// SCIM changes take them, so an admin's and a SCIM client's changes
		// of the last two owners cannot both see the other one active.
		if err := lockOwners(ctx, dir, current); err != nil {
			return err
		}
		member, err = dir.UpdateMember(ctx, admin.OrganizationID, memberID,
			func(m *domain.Member) error {
				return rule(ctx, dir, m, s.now())
			})
		if err != nil {
			return err
		}
		event = s.events.event(ctx, admin.OrganizationID, member.ClientID, admin.actor(), op)
		event.MemberID = member.ID
		event.ChangedAttributes = []string{"status"}
		return tx.Audit().AppendEvent(ctx, event)
	})
	if err != nil {
		err = asDomainError(err)
		if domain.IsKind(err, domain.KindNotFound) {
			err = memberNotFound(memberID)
		}
		s.events.adminFailed(ctx, admin, op, "", memberID, err)
		return domain.Member{}, err
	}

	s.logger.Info("member status changed",
		"operation", string(op), "org_id", admin.OrganizationID, "member_id", member.ID,
		"actor", admin.actor(), "request_id", event.RequestID)
	return member, nil
}

// memberNotFound is the one answer for a member the admin may not see.
func memberNotFound(memberID string) error {
	return domain.Errorf(domain.KindNotFound, "member %s not found", domain.QuoteID(memberID))
}
