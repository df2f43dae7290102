package app

import (
	"context"
	"time"

	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/ports"
)

// GroupInput is a group as a SCIM client sends it on create or replace.
type GroupInput struct {
	DisplayName string
	ExternalID  string
	MemberIDs   []string
}

// GroupChange changes a group in place. Nil fields stay as they are;
// membership changes are set operations that never read the member list.
type GroupChange struct {
	DisplayName      *string
	ExternalID       *string
	AddMemberIDs     []string
	RemoveMemberIDs  []string
	RemoveAllMembers bool
}

// GroupView is a group with its members, or without them when the caller
// asked to leave them out.
type GroupView struct {
	Group   domain.Group
	Members []domain.GroupMember
}

// CreateGroup creates a group of the caller's organisation with the given
// members.
func (p *Provisioning) CreateGroup(
	ctx context.Context,
	caller ScimCaller,
	input GroupInput,
) (GroupView, error) {
	event := p.events.event(ctx, caller.Organization.ID, caller.Client.ID, caller.actor(),
		domain.OpGroupCreate)
	if err := input.validate(); err != nil {
		p.events.failed(ctx, event, domain.OutcomeFailed, err)
		return GroupView{}, err
	}

	now := p.now()
	group := domain.Group{
		ID:             NewID(),
		OrganizationID: caller.Organization.ID,
		DisplayName:    input.DisplayName,
		ExternalID:     input.ExternalID,
		ClientID:       caller.Client.ID,
		Version:        1,
		CreatedAt:      now,
		UpdatedAt:      now,
	}
	event.GroupID = group.ID
	memberIDs := cleanIDs(input.MemberIDs)

	var view GroupView
	err := p.store.Transaction(ctx, func(tx ports.Repositories) error {
		dir := tx.Directory()
		if err := dir.CreateGroup(ctx, group); err != nil {
			return err
		}
		if len(memberIDs) > 0 {
			if err := addClientMembers(ctx, dir, caller, group.ID, memberIDs); err != nil {
				return err
			}
		}

		event.ChangedAttributes = []string{"displayName"}
		if len(memberIDs) > 0 {
			event.ChangedAttributes = append(event.ChangedAttributes, "members")
		}
		if err := tx.Audit().AppendEvent(ctx, event); err != nil {
			return err
		}

		var err error
		view, err = groupView(ctx, tx, caller, group, false)
		return err
	})
	if err != nil {
		err = asDomainError(err)
		p.events.failed(ctx, event, domain.OutcomeFailed, err)
		return GroupView{}, err
	}
	return view, nil
}

// GetGroup returns a group the calling client created. Groups are per
// client, like users: another client's group is not found.
func (p *Provisioning) GetGroup(
	ctx context.Context,
	caller ScimCaller,
	id string,
	excludeMembers bool,
) (GroupView, error) {
	if !domain.ValidID(id) {
		return GroupView{}, groupNotFound(id)
	}
	group, err := p.store.Directory().Group(ctx, caller.Organization.ID, id)
	if err != nil {
		return GroupView{}, notFoundAsGroup(asDomainError(err), id)
	}
	if group.ClientID != caller.Client.ID {
		return GroupView{}, groupNotFound(id)
	}
	view, err := groupView(ctx, p.store, caller, group, excludeMembers)
	return view, asDomainError(err)
}

// ListGroups returns one page of the groups the calling client created and
// the total number that match.
func (p *Provisioning) ListGroups(
	ctx context.Context,
	caller ScimCaller,
	query domain.ListQuery,
	excludeMembers bool,
) ([]GroupView, int64, error) {
	query.Normalize()
	groups, total, err := p.store.Directory().ListClientGroups(ctx, caller.Organization.ID,
		caller.Client.ID, query)
	if err != nil {
		return nil, 0, asDomainError(err)
	}

	views := make([]GroupView, 0, len(groups))
	for _, g := range groups {
		view, err := groupView(ctx, p.store, caller, g, excludeMembers)
		if err != nil {
			return nil, 0, asDomainError(err)
		}
		views = append(views, view)
	}
	return views, total, nil
}

// ReplaceGroup replaces a group's attributes and its whole member list.
func (p *Provisioning) ReplaceGroup(
	ctx context.Context,
	caller ScimCaller,
	id string,
	input GroupInput,
	expectedVersion int64,
) (GroupView, error) {
	event := p.events.event(ctx, caller.Organization.ID, caller.Client.ID, caller.actor(),
		domain.OpGroupUpdate)
	event.GroupID = id
	if !domain.ValidID(id) {
		err := groupNotFound(id)
		p.events.failed(ctx, event, domain.OutcomeFailed, err)
		return GroupView{}, err
	}
	if err := input.validate(); err != nil {
		p.events.failed(ctx, event, domain.OutcomeFailed, err)
		return GroupView{}, err
	}
	memberIDs := cleanIDs(input.MemberIDs)

	var view GroupView
	err := p.store.Transaction(ctx, func(tx ports.Repositories) error {
		dir := tx.Directory()
		orgID := caller.Organization.ID
		var changed []string
		group, err := updateClientGroup(ctx, dir, caller, id, expectedVersion, func(g *domain.Group) {
			changed = applyGroupNames(g, &input.DisplayName, &input.ExternalID)
		})
		if err != nil {
			return err
		}

		// The client replaces the members it can see; members hidden from
		// it, such as those it deleted, keep their membership for a
		// reactivation to restore.
		current, err := dir.GroupMembers(ctx, orgID, id)
		if err != nil {
			return err
		}
		currentIDs := make([]string, 0, len(current))
		for _, m := range visibleMembers(caller, current) {
			currentIDs = append(currentIDs, m.MemberID)
		}
		if !sameIDs(currentIDs, memberIDs) {
			changed = append(changed, "members")
			if remove := missingFrom(memberIDs, currentIDs); len(remove) > 0 {
				if err := dir.RemoveGroupMembers(ctx, orgID, id, remove); err != nil {
					return err
				}
			}
			if add := missingFrom(currentIDs, memberIDs); len(add) > 0 {
				if err := addClientMembers(ctx, dir, caller, id, add); err != nil {
					return err
				}
			}
		}

		view, err = p.recordGroupChange(ctx, tx, caller, group, changed, &event, false)
		return err
	})
	if err != nil {
		err = notFoundAsGroup(asDomainError(err), id)
		p.events.failed(ctx, event, domain.OutcomeFailed, err)
		return GroupView{}, err
	}
	return view, nil
}

// ModifyGroup changes a group in place. Members are added and removed as set
// operations, so a large group is never read and rewritten whole.
func (p *Provisioning) ModifyGroup(
	ctx context.Context,
	caller ScimCaller,
	id string,
	change GroupChange,
	expectedVersion int64,
	excludeMembers bool,
) (GroupView, error) {
	event := p.events.event(ctx, caller.Organization.ID, caller.Client.ID, caller.actor(),
		domain.OpGroupUpdate)
	event.GroupID = id
	if !domain.ValidID(id) {
		err := groupNotFound(id)
		p.events.failed(ctx, event, domain.OutcomeFailed, err)
		return GroupView{}, err
	}
	if err := change.validate(); err != nil {
		p.events.failed(ctx, event, domain.OutcomeFailed, err)
		return GroupView{}, err
	}
	add, remove := cleanIDs(change.AddMemberIDs), cleanIDs(change.RemoveMemberIDs)

	var view GroupView
	err := p.store.Transaction(ctx, func(tx ports.Repositories) error {
		dir := tx.Directory()
		orgID := caller.Organization.ID
		var changed []string
		group, err := updateClientGroup(ctx, dir, caller, id, expectedVersion, func(g *domain.Group) {
			changed = applyGroupNames(g, change.DisplayName, change.ExternalID)
		})
		if err != nil {
			return err
		}

		membersChanged, err := membershipChanges(ctx, dir, orgID, id, change, add, remove)
		if err != nil {
			return err
		}
		if change.RemoveAllMembers {
			if err := dir.RemoveAllGroupMembers(ctx, orgID, id); err != nil {
				return err
			}
		}
		if len(remove) > 0 {
			if err := dir.RemoveGroupMembers(ctx, orgID, id, remove); err != nil {
				return err
			}
		}
		if len(add) > 0 {
			if err := addClientMembers(ctx, dir, caller, id, add); err != nil {
				return err
			}
		}
		if membersChanged {
			changed = append(changed, "members")
		}

		view, err = p.recordGroupChange(ctx, tx, caller, group, changed, &event, excludeMembers)
		return err
	})
	if err != nil {
		err = notFoundAsGroup(asDomainError(err), id)
		p.events.failed(ctx, event, domain.OutcomeFailed, err)
		return GroupView{}, err
	}
	return view, nil
}

// DeleteGroup deletes a group of the caller's organisation; its members stay.
func (p *Provisioning) DeleteGroup(
	ctx context.Context,
	caller ScimCaller,
	id string,
	expectedVersion int64,
) error {
	event := p.events.event(ctx, caller.Organization.ID, caller.Client.ID, caller.actor(),
		domain.OpGroupDelete)
	event.GroupID = id
	if !domain.ValidID(id) {
		err := groupNotFound(id)
		p.events.failed(ctx, event, domain.OutcomeFailed, err)
		return err
	}

	err := p.store.Transaction(ctx, func(tx ports.Repositories) error {
		dir := tx.Directory()
		orgID := caller.Organization.ID
		if _, err := updateClientGroup(ctx, dir, caller, id, expectedVersion, nil); err != nil {
			return err
		}
		if err := dir.DeleteGroup(ctx, orgID, id); err != nil {
			return err
		}
		return tx.Audit().AppendEvent(ctx, event)
	})
	if err != nil {
		err = notFoundAsGroup(asDomainError(err), id)
		p.events.failed(ctx, event, domain.OutcomeFailed, err)
		return err
	}
	return nil
}

// applyGroupNames sets the names that are given and returns those that
// changed.
func applyGroupNames(g *domain.Group, displayName, externalID *string) []string {
	var changed []string
	if displayName != nil && *displayName != g.DisplayName {
		g.DisplayName = *displayName
		changed = append(changed, "displayName")
	}
	if externalID != nil && *externalID != g.ExternalID {
		g.ExternalID = *externalID
		changed = append(changed, "externalId")
	}
	return changed
}

// groupView reads a group's members unless the caller asked to leave them
// out. It shows only the members the caller can see as Users, so no member
// reference leads to a 404.
func groupView(
	ctx context.Context,
	repos ports.Repositories,
	caller ScimCaller,
	group domain.Group,
	excludeMembers bool,
) (GroupView, error) {
	if excludeMembers {
		return GroupView{Group: group}, nil
	}
	members, err := repos.Directory().GroupMembers(ctx, group.OrganizationID, group.ID)
	if err != nil {
		return GroupView{}, err
	}
	return GroupView{Group: group, Members: visibleMembers(caller, members)}, nil
}

// visibleMembers keeps the members linked to the caller's client: those it
// can read under /Users. A member it deleted stays in the group, unlinked and
// hidden, so that a reactivation restores the membership.
func visibleMembers(caller ScimCaller, members []domain.GroupMember) []domain.GroupMember {
	visible := make([]domain.GroupMember, 0, len(members))
	for _, m := range members {
		if m.ClientID == caller.Client.ID {
			visible = append(visible, m)
		}
	}
	return visible
}

// updateClientGroup changes a group the caller's client created, once the
// version the caller expects is the stored one; change may be nil, to check
// alone. Another client's group is not found. The update locks the row, so
// the version cannot move between the check and what the caller does next.
func updateClientGroup(
	ctx context.Context,
	dir ports.UserDirectory,
	caller ScimCaller,
	id string,
	expectedVersion int64,
	change func(*domain.Group),
) (domain.Group, error) {
	return dir.UpdateGroup(ctx, caller.Organization.ID, id, func(g *domain.Group) error {
		if g.ClientID != caller.Client.ID {
			return groupNotFound(id)
		}
		if err := checkVersion(expectedVersion, g.Version); err != nil {
			return err
		}
		if change != nil {
			change(g)
		}
		return nil
	})
}

// recordGroupChange ends an update of a group inside its transaction: it
// gives the group a new version if any attribute changed, appends the event
// naming those attributes, and returns the group as the caller sees it.
// event is a pointer so that a failure recorded after the transaction names
// the same attributes.
func (p *Provisioning) recordGroupChange(
	ctx context.Context,
	tx ports.Repositories,
	caller ScimCaller,
	group domain.Group,
	changed []string,
	event *domain.Event,
	excludeMembers bool,
) (GroupView, error) {
	group, err := touchGroup(ctx, tx.Directory(), group, changed, p.now())
	if err != nil {
		return GroupView{}, err
	}

	event.ChangedAttributes = changed
	if err := tx.Audit().AppendEvent(ctx, *event); err != nil {
		return GroupView{}, err
	}
	return groupView(ctx, tx, caller, group, excludeMembers)
}

// touchGroup gives a group that changed a new version and modification
// time; a request that changed nothing leaves both alone, so an ETag stays
// valid.
func touchGroup(
	ctx context.Context,
	dir ports.UserDirectory,
	group domain.Group,
	changed []string,
	now time.Time,
) (domain.Group, error) {
	if len(changed) == 0 {
		return group, nil
	}
	return dir.UpdateGroup(ctx, group.OrganizationID, group.ID, func(g *domain.Group) error {
		g.Touch(now)
		return nil
	})
}

// membershipChanges reports whether a change's membership operations will
// change the group, reading only the memberships of the ids it names. add
// and remove hold no repeated ids (see cleanIDs).
func membershipChanges(
	ctx context.Context,
	dir ports.UserDirectory,
	orgID, groupID string,
	change GroupChange,
	add, remove []string,
) (bool, error) {
	if change.RemoveAllMembers {
		// Emptying a group counts as a change: knowing whether it was
		// empty already, or gets the same members back, would mean
		// reading the whole member list.
		return true, nil
	}
	if len(remove) > 0 {
		present, err := dir.GroupMemberIDsIn(ctx, orgID, groupID, remove)
		if err != nil || len(present) > 0 {
			return err == nil, err
		}
	}
	if len(add) > 0 {
		present, err := dir.GroupMemberIDsIn(ctx, orgID, groupID, add)
		if err != nil {
			return false, err
		}
		return len(missingFrom(present, add)) > 0, nil
	}
	return false, nil
}

// addClientMembers adds members to a group after making sure each is a
// user of the calling client: a client may only put in its groups the users
// it can read, never another client's users or members invited by hand.
func addClientMembers(
	ctx context.Context,
	dir ports.UserDirectory,
	caller ScimCaller,
	groupID string,
	ids []string,
) error {
	orgID := caller.Organization.ID
	var wellFormed []string
	for _, id := range ids {
		if !domain.ValidID(id) {
			return notClientUser(id)
		}
		wellFormed = append(wellFormed, id)
	}
	found, err := dir.ClientMemberIDs(ctx, orgID, caller.Client.ID, wellFormed)
	if err != nil {
		return err
	}
	if missing := missingFrom(found, wellFormed); len(missing) > 0 {
		return notClientUser(missing[0])
	}
	return dir.AddGroupMembers(ctx, orgID, groupID, wellFormed)
}

// notClientUser refuses a group member that is not a user of the caller.
func notClientUser(id string) error {
	return domain.Errorf(domain.KindInvalid, "%s is not a user of this SCIM client", domain.QuoteID(id)).
		WithReason(domain.ReasonInvalidValue)
}

// missingFrom returns the ids of list that are not in other.
func missingFrom(other, list []string) []string {
	in := make(map[string]bool, len(other))
	for _, id := range other {
		in[id] = true
	}
	var out []string
	for _, id := range list {
		if !in[id] {
			out = append(out, id)
		}
	}
	return out
}

// notFoundAsGroup replaces a repository's not-found detail with the SCIM
// one. A member id in a membership change that is not in the organisation is
// refused by the repository as invalid, not as a missing group.
func notFoundAsGroup(err error, id string) error {
	if domain.IsKind(err, domain.KindNotFound) {
		return groupNotFound(id)
	}
	return err
}

// groupNotFound is the one answer for a group the caller may not see.
func groupNotFound(id string) error {
	return domain.Errorf(domain.KindNotFound, "group %s not found", domain.QuoteID(id))
}

// validate checks the names of a group a client creates or replaces.
func (in GroupInput) validate() error {
	if err := domain.ValidateGroupName(in.DisplayName); err != nil {
		return err
	}
	return domain.ValidateGroupExternalID(in.ExternalID)
}

// validate checks the names a change sets.
func (c GroupChange) validate() error {
	if c.DisplayName != nil {
		if err := domain.ValidateGroupName(*c.DisplayName); err != nil {
			return err
		}
	}
	if c.ExternalID != nil {
		return domain.ValidateGroupExternalID(*c.ExternalID)
	}
	return nil
}
