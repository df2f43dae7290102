package app

import (
	"context"
	"log/slog"
	"slices"
	"strings"

	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/ports"
)

// Provisioning carries out what SCIM clients ask: it authenticates them and
// creates, reads, updates and deletes their users and groups by the rules of
// the domain. Every change commits together with its provisioning event.
type Provisioning struct {
	store  ports.Store
	now    Clock
	events eventRecorder
}

// NewProvisioning returns the SCIM side of the core. A nil clock uses
// SystemClock.
func NewProvisioning(store ports.Store, clock Clock, logger *slog.Logger) *Provisioning {
	if clock == nil {
		clock = SystemClock
	}
	return &Provisioning{
		store:  store,
		now:    clock,
		events: eventRecorder{store: store, now: clock, logger: logger},
	}
}

// User is a member as a SCIM client sees it, with the groups it belongs to.
type User struct {
	Member domain.Member
	Groups []domain.Group
}

// Authenticate finds the SCIM client a bearer token belongs to.
//
// There is deliberately no cache of token lookups: every request hashes the
// token and looks the hash up in the database, so a client whose token was
// rotated, or that was disabled or deleted, fails on the very next request on
// every replica. A cache would need invalidation through the database
// (LISTEN/NOTIFY) to keep that promise; the lookup is one indexed read.
func (p *Provisioning) Authenticate(ctx context.Context, token string) (ScimCaller, error) {
	unauthenticated := domain.Errorf(domain.KindUnauthenticated, "the bearer token is not valid")
	if token == "" {
		return ScimCaller{}, unauthenticated
	}

	client, err := p.store.Clients().ClientByTokenHash(ctx, domain.HashToken(token))
	if domain.IsKind(err, domain.KindNotFound) {
		return ScimCaller{}, unauthenticated
	}
	if err != nil {
		return ScimCaller{}, asDomainError(err)
	}
	if !domain.TokenMatches(token, client.TokenHash) {
		return ScimCaller{}, unauthenticated
	}

	org, err := p.store.Organizations().Organization(ctx, client.OrganizationID)
	if err != nil && !domain.IsKind(err, domain.KindNotFound) {
		return ScimCaller{}, asDomainError(err)
	}
	if err != nil {
		// An organisation the core does not know has no plan at all, which
		// CheckAccess refuses like any plan without SCIM.
		org = domain.Organization{ID: client.OrganizationID}
	}

	if err := client.CheckAccess(org); err != nil {
		caller := ScimCaller{Client: client, Organization: org}
		event := p.events.event(ctx, client.OrganizationID, client.ID, caller.actor(),
			domain.OpRequestRefused)
		p.events.failed(ctx, event, domain.OutcomeRefused, err)
		return ScimCaller{}, err
	}
	return ScimCaller{Client: client, Organization: org}, nil
}

// CreateUser provisions a user. A member with the same userName or email is
// linked rather than duplicated: one invited by hand is adopted with its
// role, a deactivated one is reactivated, and one already managed by this
// client while active, or by another client, is a uniqueness conflict.
func (p *Provisioning) CreateUser(
	ctx context.Context,
	caller ScimCaller,
	user domain.ProvisionedUser,
) (User, error) {
	event := p.events.event(ctx, caller.Organization.ID, caller.Client.ID, caller.actor(),
		domain.OpUserCreate)
	if err := user.Validate(); err != nil {
		p.events.failed(ctx, event, domain.OutcomeFailed, err)
		return User{}, err
	}

	var created User
	err := p.store.Transaction(ctx, func(tx ports.Repositories) error {
		var err error
		created, event, err = p.createUser(ctx, tx, caller, user, event)
		return err
	})
	if err != nil {
		err = asDomainError(err)
		p.events.failed(ctx, event, domain.OutcomeFailed, err)
		return User{}, err
	}
	return created, nil
}

func (p *Provisioning) createUser(
	ctx context.Context,
	tx ports.Repositories,
	caller ScimCaller,
	user domain.ProvisionedUser,
	event domain.Event,
) (User, domain.Event, error) {
	orgID := caller.Organization.ID
	dir := tx.Directory()
	now := p.now()

	// Matching reads, then writes: without a lock two creates of the same
	// person would both find nothing under READ COMMITTED, and emails have
	// no unique constraint to stop the second.
	if err := lockIdentities(ctx, dir, orgID, user.UserName, user.Profile.EmailValues()); err != nil {
		return User{}, event, err
	}
	matches, err := dir.FindMatches(ctx, orgID, user.UserName, user.Profile.EmailValues())
	if err != nil {
		return User{}, event, err
	}

	if len(matches) == 0 {
		member := domain.NewProvisionedMember(NewID(), caller.Client, user, now)
		if err := dir.CreateMember(ctx, member); err != nil {
			return User{}, event, err
		}
		event.MemberID = member.ID
		event.ChangedAttributes = []string{"userName"}
		if err := tx.Audit().AppendEvent(ctx, event); err != nil {
			return User{}, event, err
		}
		return User{Member: member}, event, nil
	}

	if len(matches) > 1 {
		return User{}, event, domain.Errorf(domain.KindAlreadyExists,
			"the userName and the emails belong to different existing members").
			WithReason(domain.ReasonUniqueness)
	}

	existing := matches[0]
	event.MemberID = existing.ID
	decision := domain.DecideMatch(existing, caller.Client.ID)
	if decision == domain.MatchConflict {
		return User{}, event, domain.Errorf(domain.KindAlreadyExists,
			"a member with this userName or email already exists").
			WithReason(domain.ReasonUniqueness)
	}
	if err := domain.CheckAdoption(existing, user); err != nil {
		return User{}, event, err
	}
	if decision == domain.MatchReactivate && user.Active {
		event.Operation = domain.OpUserReactivate
	}
	if err := lockOwners(ctx, dir, existing); err != nil {
		return User{}, event, err
	}

	var changed []string
	member, err := dir.UpdateMember(ctx, orgID, existing.ID, func(m *domain.Member) error {
		// The row is locked now; decide again in case it changed since the
		// match was read.
		if domain.DecideMatch(*m, caller.Client.ID) == domain.MatchConflict {
			return domain.Errorf(domain.KindAlreadyExists,
				"a member with this userName or email already exists").
				WithReason(domain.ReasonUniqueness)
		}
		if err := domain.CheckAdoption(*m, user); err != nil {
			return err
		}
		before := *m
		changed = m.Link(caller.Client, user, now)
		return guardLastOwner(ctx, dir, before, m)
	})
	if err != nil {
		return User{}, event, err
	}

	event.ChangedAttributes = changed
	if err := tx.Audit().AppendEvent(ctx, event); err != nil {
		return User{}, event, err
	}
	groups, err := dir.GroupsOfMember(ctx, orgID, member.ID)
	if err != nil {
		return User{}, event, err
	}
	return User{Member: member, Groups: clientGroups(caller, groups)}, event, nil
}

// GetUser returns a user linked to the calling client. Members of other
// clients and unlinked members are not found, so a client never learns of
// them.
func (p *Provisioning) GetUser(ctx context.Context, caller ScimCaller, id string) (User, error) {
	member, err := p.linkedMember(ctx, p.store, caller, id)
	if err != nil {
		return User{}, err
	}

	groups, err := p.store.Directory().GroupsOfMember(ctx, caller.Organization.ID, member.ID)
	if err != nil {
		return User{}, asDomainError(err)
	}
	return User{Member: member, Groups: clientGroups(caller, groups)}, nil
}

// ListUsers returns one page of the users linked to the calling client and
// the total number that match.
func (p *Provisioning) ListUsers(
	ctx context.Context,
	caller ScimCaller,
	query domain.ListQuery,
) ([]User, int64, error) {
	query.Normalize()
	dir := p.store.Directory()
	members, total, err := dir.ListClientMembers(ctx, caller.Organization.ID, caller.Client.ID, query)
	if err != nil {
		return nil, 0, asDomainError(err)
	}

	users := make([]User, 0, len(members))
	if len(members) == 0 {
		return users, total, nil
	}
	ids := make([]string, len(members))
	for i, m := range members {
		ids[i] = m.ID
	}
	groups, err := dir.GroupsOfMembers(ctx, caller.Organization.ID, ids)
	if err != nil {
		return nil, 0, asDomainError(err)
	}
	for _, m := range members {
		users = append(users, User{Member: m, Groups: clientGroups(caller, groups[m.ID])})
	}
	return users, total, nil
}

// UpdateUser replaces a user's attributes with what the client sent. With
// sync attributes off only "active" is applied. A non-zero expectedVersion
// must equal the member's version; when it does not and ctx marks an
// optimistic attempt (WithOptimisticAttempt), no failure event is written.
func (p *Provisioning) UpdateUser(
	ctx context.Context,
	caller ScimCaller,
	id string,
	user domain.ProvisionedUser,
	expectedVersion int64,
) (User, error) {
	event := p.events.event(ctx, caller.Organization.ID, caller.Client.ID, caller.actor(),
		domain.OpUserUpdate)
	event.MemberID = id
	if !domain.ValidID(id) {
		err := userNotFound(id)
		p.events.failed(ctx, event, domain.OutcomeFailed, err)
		return User{}, err
	}
	if err := user.Validate(); err != nil {
		p.events.failed(ctx, event, domain.OutcomeFailed, err)
		return User{}, err
	}

	var updated User
	err := p.store.Transaction(ctx, func(tx ports.Repositories) error {
		dir := tx.Directory()
		current, err := dir.Member(ctx, caller.Organization.ID, id)
		if err != nil {
			return err
		}
		if current.ClientID != caller.Client.ID {
			return userNotFound(id)
		}
		if caller.Client.SyncAttributes {
			if err := checkNewEmails(ctx, dir, current, user); err != nil {
				return err
			}
		}
		if err := lockOwners(ctx, dir, current); err != nil {
			return err
		}

		var changed []string
		wasActive := false
		member, err := dir.UpdateMember(ctx, caller.Organization.ID, id, func(m *domain.Member) error {
			if m.ClientID != caller.Client.ID {
				return userNotFound(id)
			}
			if err := checkVersion(expectedVersion, m.Version); err != nil {
				return err
			}
			wasActive = m.ScimActive
			before := *m
			changed = m.ApplyUpdate(user, caller.Client.SyncAttributes, p.now())
			return guardLastOwner(ctx, dir, before, m)
		})
		if err != nil {
			return err
		}

		event.Operation = updateOperation(wasActive, member.ScimActive)
		event.ChangedAttributes = changed
		if err := tx.Audit().AppendEvent(ctx, event); err != nil {
			return err
		}
		groups, err := dir.GroupsOfMember(ctx, caller.Organization.ID, member.ID)
		if err != nil {
			return err
		}
		updated = User{Member: member, Groups: clientGroups(caller, groups)}
		return nil
	})
	if err != nil {
		err = notFoundAsUser(asDomainError(err), id)
		if domain.IsKind(err, domain.KindPreconditionFailed) && isOptimisticAttempt(ctx) {
			return User{}, err
		}
		p.events.failed(ctx, event, domain.OutcomeFailed, err)
		return User{}, err
	}
	return updated, nil
}

// updateOperation names an update by what it did to "active": turning it off
// is a deactivation, turning it on a reactivation.
func updateOperation(wasActive, isActive bool) domain.Operation {
	switch {
	case wasActive && !isActive:
		return domain.OpUserDeactivate
	case !wasActive && isActive:
		return domain.OpUserReactivate
	default:
		return domain.OpUserUpdate
	}
}

// DeleteUser removes a user from the client's view. When the client allows
// deletion the member's personal data is erased; otherwise the member is
// deactivated and unlinked, keeping its data, role and groups for a later
// reactivation.
func (p *Provisioning) DeleteUser(
	ctx context.Context,
	caller ScimCaller,
	id string,
	expectedVersion int64,
) error {
	op := domain.OpUserDelete
	if caller.Client.AllowDeletion {
		op = domain.OpUserErase
	}
	event := p.events.event(ctx, caller.Organization.ID, caller.Client.ID, caller.actor(), op)
	event.MemberID = id
	if !domain.ValidID(id) {
		err := userNotFound(id)
		p.events.failed(ctx, event, domain.OutcomeFailed, err)
		return err
	}

	err := p.store.Transaction(ctx, func(tx ports.Repositories) error {
		dir := tx.Directory()
		orgID := caller.Organization.ID
		current, err := dir.Member(ctx, orgID, id)
		if err != nil {
			return err
		}
		if err := lockOwners(ctx, dir, current); err != nil {
			return err
		}
		check := func(m domain.Member) error {
			if m.ClientID != caller.Client.ID {
				return userNotFound(id)
			}
			return checkVersion(expectedVersion, m.Version)
		}

		if caller.Client.AllowDeletion {
			// UpdateMember locks the row while the scope and version are
			// checked, so a concurrent change cannot slip in before the erase.
			if _, err := dir.UpdateMember(ctx, orgID, id, func(m *domain.Member) error {
				if err := check(*m); err != nil {
					return err
				}
				return guardLastOwner(ctx, dir, *m, nil)
			}); err != nil {
				return err
			}
			if err := dir.EraseMember(ctx, orgID, id); err != nil {
				return err
			}
		} else {
			if _, err := dir.UpdateMember(ctx, orgID, id, func(m *domain.Member) error {
				if err := check(*m); err != nil {
					return err
				}
				before := *m
				m.Unlink(p.now())
				return guardLastOwner(ctx, dir, before, m)
			}); err != nil {
				return err
			}
		}
		return tx.Audit().AppendEvent(ctx, event)
	})
	if err != nil {
		err = notFoundAsUser(asDomainError(err), id)
		p.events.failed(ctx, event, domain.OutcomeFailed, err)
		return err
	}
	return nil
}

// linkedMember loads a member linked to the calling client.
func (p *Provisioning) linkedMember(
	ctx context.Context,
	repos ports.Repositories,
	caller ScimCaller,
	id string,
) (domain.Member, error) {
	if !domain.ValidID(id) {
		return domain.Member{}, userNotFound(id)
	}
	member, err := repos.Directory().Member(ctx, caller.Organization.ID, id)
	if err != nil {
		return domain.Member{}, notFoundAsUser(asDomainError(err), id)
	}
	if member.ClientID != caller.Client.ID {
		return domain.Member{}, userNotFound(id)
	}
	return member, nil
}

// lockIdentities serialises the transactions that create or change a
// member with the same userName or one of the same emails in the
// organisation, and nothing else: the keys are the identities themselves,
// so unrelated creates never wait for each other and no row becomes hot.
func lockIdentities(
	ctx context.Context,
	dir ports.UserDirectory,
	orgID, userName string,
	emails []string,
) error {
	keys := []string{"userName:" + orgID + ":" + domain.UserNameKey(userName)}
	for _, e := range emails {
		if k := domain.EmailKey(e); k != "" {
			keys = append(keys, "email:"+orgID+":"+k)
		}
	}
	return dir.LockKeys(ctx, keys)
}

// checkNewEmails refuses an update that gives the member an email another
// member of the organisation already has: the create rules match people by
// email, so a shared address would make that other member's next
// provisioning a conflict for good. Only the emails the member does not
// have yet are checked, so a member that already shares an address from
// before this rule can still be updated. The identity locks make a
// concurrent create or update with the same address wait.
func checkNewEmails(
	ctx context.Context,
	dir ports.UserDirectory,
	current domain.Member,
	user domain.ProvisionedUser,
) error {
	have := map[string]bool{}
	for _, e := range current.Profile.EmailValues() {
		have[domain.EmailKey(e)] = true
	}
	var added []string
	for _, e := range user.Profile.EmailValues() {
		if !have[domain.EmailKey(e)] {
			added = append(added, e)
		}
	}
	if err := lockIdentities(ctx, dir, current.OrganizationID, user.UserName, added); err != nil {
		return err
	}
	if len(added) == 0 {
		return nil
	}
	matches, err := dir.FindMatches(ctx, current.OrganizationID, "", added)
	if err != nil {
		return err
	}
	for _, m := range matches {
		if m.ID != current.ID {
			return domain.Errorf(domain.KindAlreadyExists,
				"another member of the organisation already has one of these emails").
				WithReason(domain.ReasonUniqueness)
		}
	}
	return nil
}

// ownersKey names the lock that serialises the SCIM changes of an
// organisation's owners, so that two clients deactivating its last two
// owners at once cannot both see the other one still active.
func ownersKey(orgID string) string { return "owners:" + orgID }

// lockOwners takes the owners lock when the member is an owner. Roles never
// change through SCIM, so the role read before the lock still holds. It is
// taken after any identity lock of the same transaction, always in that
// order, so the two kinds of lock cannot deadlock.
func lockOwners(ctx context.Context, dir ports.UserDirectory, m domain.Member) error {
	if m.Role != domain.RoleOwner {
		return nil
	}
	return dir.LockKeys(ctx, []string{ownersKey(m.OrganizationID)})
}

// guardLastOwner refuses a change that takes away the organisation's last
// active owner: after is the member as the change leaves it, nil when the
// member is erased. Through SCIM an organisation must never lock itself out.
func guardLastOwner(
	ctx context.Context,
	dir ports.UserDirectory,
	before domain.Member,
	after *domain.Member,
) error {
	return refuseLastOwner(ctx, dir, before, after, domain.LastOwnerError())
}

// refuseLastOwner returns refusal when the change from before to after takes
// away the organisation's last active owner. The caller holds the owners
// lock, so a concurrent change of another owner cannot slip in.
func refuseLastOwner(
	ctx context.Context,
	dir ports.UserDirectory,
	before domain.Member,
	after *domain.Member,
	refusal error,
) error {
	if !before.IsActiveOwner() || (after != nil && after.IsActiveOwner()) {
		return nil
	}
	// The member is still stored as an active owner, so it is counted.
	owners, err := dir.CountActiveOwners(ctx, before.OrganizationID)
	if err != nil {
		return err
	}
	if owners <= 1 {
		return refusal
	}
	return nil
}

// clientGroups keeps the groups the caller created: a user's groups
// attribute names only groups the caller can read under /Groups.
func clientGroups(caller ScimCaller, groups []domain.Group) []domain.Group {
	var out []domain.Group
	for _, g := range groups {
		if g.ClientID == caller.Client.ID {
			out = append(out, g)
		}
	}
	return out
}

// userNotFound is the one answer for a user the caller may not see, so the
// answer for another client's member equals the answer for no member.
func userNotFound(id string) error {
	return domain.Errorf(domain.KindNotFound, "user %s not found", domain.QuoteID(id))
}

// notFoundAsUser replaces a repository's not-found detail with the SCIM one.
func notFoundAsUser(err error, id string) error {
	if domain.IsKind(err, domain.KindNotFound) {
		return userNotFound(id)
	}
	return err
}

// sameIDs reports whether two id lists hold the same ids, ignoring order.
func sameIDs(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

// cleanIDs trims ids and drops empty ones and duplicates.
func cleanIDs(ids []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, id := range ids {
		id = strings.TrimSpace(id)
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, id)
	}
	return out
}
