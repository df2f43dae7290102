package gormstore

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
)

// idBatch bounds the ids sent in one IN list, below the parameter limits of
// both databases.
const idBatch = 1000

type groupRow struct {
	ID             string  `gorm:"column:id"`
	OrganizationID string  `gorm:"column:organization_id"`
	DisplayName    string  `gorm:"column:display_name"`
	DisplayNameKey string  `gorm:"column:display_name_key"`
	ExternalID     string  `gorm:"column:external_id"`
	ClientID       *string `gorm:"column:client_id"`
	Version        int64   `gorm:"column:version"`
	CreatedAt      dbTime  `gorm:"column:created_at;autoCreateTime:false"`
	UpdatedAt      dbTime  `gorm:"column:updated_at;autoUpdateTime:false"`
}

func newGroupRow(g domain.Group) groupRow {
	var clientID *string
	if g.ClientID != "" {
		id := g.ClientID
		clientID = &id
	}
	return groupRow{
		ID:             g.ID,
		OrganizationID: g.OrganizationID,
		DisplayName:    g.DisplayName,
		DisplayNameKey: domain.GroupNameKey(g.DisplayName),
		ExternalID:     g.ExternalID,
		ClientID:       clientID,
		Version:        g.Version,
		CreatedAt:      newDBTime(g.CreatedAt),
		UpdatedAt:      newDBTime(g.UpdatedAt),
	}
}

func (r groupRow) domain() domain.Group {
	g := domain.Group{
		ID:             r.ID,
		OrganizationID: r.OrganizationID,
		DisplayName:    r.DisplayName,
		ExternalID:     r.ExternalID,
		Version:        r.Version,
		CreatedAt:      r.CreatedAt.Time,
		UpdatedAt:      r.UpdatedAt.Time,
	}
	if r.ClientID != nil {
		g.ClientID = *r.ClientID
	}
	return g
}

func groupsOf(rows []groupRow) []domain.Group {
	list := make([]domain.Group, len(rows))
	for i, row := range rows {
		list[i] = row.domain()
	}
	return list
}

func groupUniqueRules(displayName string) []uniqueRule {
	return []uniqueRule{{
		column: "display_name_key",
		detail: fmt.Sprintf("a group named %q already exists in this organisation", displayName),
	}, {
		column: "id",
		detail: "a group with this id already exists",
	}}
}

// CreateGroup stores a new group, giving it an id when it has none.
func (d directory) CreateGroup(ctx context.Context, group domain.Group) error {
	if group.OrganizationID == "" {
		return domain.Errorf(domain.KindInvalid, "a group needs an organisation")
	}
	if group.ID == "" {
		group.ID = uuid.NewString()
	}
	if group.CreatedAt.IsZero() {
		group.CreatedAt = time.Now()
	}
	if group.UpdatedAt.IsZero() {
		group.UpdatedAt = group.CreatedAt
	}
	row := newGroupRow(group)

	err := d.db.WithContext(ctx).Table("groups").Create(&row).Error
	return storeError("create group", err, groupUniqueRules(group.DisplayName)...)
}

// Group returns one group of the organisation.
func (d directory) Group(ctx context.Context, orgID, groupID string) (domain.Group, error) {
	g, err := d.loadGroup(ctx, d.read, orgID, groupID, false)
	if err != nil {
		return domain.Group{}, storeError("get group", err)
	}
	return g, nil
}

func (d directory) loadGroup(
	ctx context.Context,
	db *gorm.DB,
	orgID, groupID string,
	lock bool,
) (domain.Group, error) {
	sql := "SELECT * FROM groups WHERE organization_id = ? AND id = ?"
	if lock {
		sql += d.forUpdate()
	}
	var rows []groupRow
	if err := db.WithContext(ctx).Raw(sql, orgID, groupID).Scan(&rows).Error; err != nil {
		return domain.Group{}, err
	}
	if len(rows) == 0 {
		return domain.Group{}, notFound("group %s not found", domain.ShortID(groupID))
	}
	return rows[0].domain(), nil
}

// ListClientGroups returns one page of the groups a SCIM client created that
// match the query's filter, and how many match in all.
func (d directory) ListClientGroups(
	ctx context.Context,
	orgID, clientID string,
	query domain.ListQuery,
) ([]domain.Group, int64, error) {
	query.Normalize()
	where, args, err := groupFilterSQL(d.dialect, query.Filter)
	if err != nil {
		return nil, 0, err
	}
	order, err := groupOrder(query.SortBy, query.SortDescending)
	if err != nil {
		return nil, 0, err
	}
	scope := "g.organization_id = ? AND g.client_id = ? AND (" + where + ")"
	scopeArgs := append([]any{orgID, clientID}, args...)

	var total int64
	err = d.read.WithContext(ctx).
		Raw("SELECT COUNT(*) FROM groups g WHERE "+scope, scopeArgs...).
		Scan(&total).Error
	if err != nil {
		return nil, 0, storeError("list client groups", err)
	}
	if query.Count == 0 || total < int64(query.StartIndex) {
		return []domain.Group{}, total, nil
	}

	var rows []groupRow
	err = d.read.WithContext(ctx).Raw(
		"SELECT g.* FROM groups g WHERE "+scope+" ORDER BY "+order+" LIMIT ? OFFSET ?",
		append(scopeArgs, query.Count, query.StartIndex-1)...,
	).Scan(&rows).Error
	if err != nil {
		return nil, 0, storeError("list client groups", err)
	}
	return groupsOf(rows), total, nil
}

// UpdateGroup loads the group locked for the transaction, lets change modify
// it, and saves it. Membership is changed by the set operations instead.
func (d directory) UpdateGroup(
	ctx context.Context,
	orgID, groupID string,
	change func(*domain.Group) error,
) (domain.Group, error) {
	var (
		updated     domain.Group
		displayName string
	)
	err := d.writeTx(ctx, func(tx repos) error {
		group, err := directory{tx}.loadGroup(ctx, tx.db, orgID, groupID, true)
		if err != nil {
			return err
		}

		if err := change(&group); err != nil {
			return err
		}
		group.ID, group.OrganizationID = groupID, orgID
		displayName = group.DisplayName

		row := newGroupRow(group)
		err = tx.db.WithContext(ctx).Exec(
			`UPDATE groups SET display_name = ?, display_name_key = ?, external_id = ?,
				client_id = ?, version = ?, updated_at = ?
			WHERE organization_id = ? AND id = ?`,
			row.DisplayName, row.DisplayNameKey, row.ExternalID,
			row.ClientID, row.Version, row.UpdatedAt,
			orgID, groupID,
		).Error
		if err != nil {
			return err
		}
		updated = row.domain()
		return nil
	})
	if err != nil {
		return domain.Group{}, storeError("update group", err, groupUniqueRules(displayName)...)
	}
	return updated, nil
}

// DeleteGroup removes the group and its memberships.
func (d directory) DeleteGroup(ctx context.Context, orgID, groupID string) error {
	err := d.writeTx(ctx, func(tx repos) error {
		db := tx.db.WithContext(ctx)
		err := db.Exec(
			"DELETE FROM group_members WHERE organization_id = ? AND group_id = ?",
			orgID, groupID,
		).Error
		if err != nil {
			return err
		}
		res := db.Exec("DELETE FROM groups WHERE organization_id = ? AND id = ?", orgID, groupID)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return notFound("group %s not found", domain.ShortID(groupID))
		}
		return nil
	})
	return storeError("delete group", err)
}

type groupMemberRow struct {
	MemberID    string `gorm:"column:member_id"`
	UserName    string `gorm:"column:user_name"`
	DisplayName string `gorm:"column:display_name"`
	ClientID    string `gorm:"column:client_id"`
}

// GroupMembers returns the members of a group in id order, each with its
// displayName, or its userName when it has none, to show for it.
func (d directory) GroupMembers(
	ctx context.Context,
	orgID, groupID string,
) ([]domain.GroupMember, error) {
	if _, err := d.loadGroup(ctx, d.read, orgID, groupID, false); err != nil {
		return nil, storeError("list group members", err)
	}

	var rows []groupMemberRow
	err := d.read.WithContext(ctx).Raw(
		`SELECT gm.member_id, m.user_name, m.display_name, COALESCE(m.client_id, '') AS client_id
		FROM group_members gm JOIN members m ON m.id = gm.member_id
		WHERE gm.organization_id = ? AND gm.group_id = ? AND m.organization_id = ?
		ORDER BY gm.member_id`,
		orgID, groupID, orgID,
	).Scan(&rows).Error
	if err != nil {
		return nil, storeError("list group members", err)
	}
	list := make([]domain.GroupMember, len(rows))
	for i, row := range rows {
		display := row.DisplayName
		if display == "" {
			display = row.UserName
		}
		list[i] = domain.GroupMember{MemberID: row.MemberID, Display: display, ClientID: row.ClientID}
	}
	return list, nil
}

// AddGroupMembers adds members to a group as a set operation: one INSERT
// that ignores existing memberships, so a large group is never read.
func (d directory) AddGroupMembers(
	ctx context.Context,
	orgID, groupID string,
	memberIDs []string,
) error {
	ids := uniqueIDs(memberIDs)
	err := d.writeTx(ctx, func(tx repos) error {
		if err := tx.checkMembership(ctx, orgID, groupID, ids); err != nil {
			return err
		}
		return execPerBatch(ctx, tx.db,
			`INSERT INTO group_members (group_id, member_id, organization_id)
			SELECT ?, m.id, m.organization_id FROM members m
			WHERE m.organization_id = ? AND m.id IN ?
			ON CONFLICT (group_id, member_id) DO NOTHING`,
			ids, groupID, orgID)
	})
	return storeError("add group members", err)
}

// RemoveGroupMembers removes members from a group with one DELETE per batch
// of ids. Removal is a set operation: an id that is not in the group, or
// names no member of the organisation at all (an identity provider removing
// a user it has already erased), leaves the group as it is and is no error.
// Only the group itself must exist.
func (d directory) RemoveGroupMembers(
	ctx context.Context,
	orgID, groupID string,
	memberIDs []string,
) error {
	ids := uniqueIDs(memberIDs)
	err := d.writeTx(ctx, func(tx repos) error {
		if _, err := (directory{tx}).loadGroup(ctx, tx.db, orgID, groupID, false); err != nil {
			return err
		}
		return execPerBatch(ctx, tx.db,
			`DELETE FROM group_members
			WHERE organization_id = ? AND group_id = ? AND member_id IN ?`,
			ids, orgID, groupID)
	})
	return storeError("remove group members", err)
}

// RemoveAllGroupMembers empties a group.
func (d directory) RemoveAllGroupMembers(ctx context.Context, orgID, groupID string) error {
	err := d.writeTx(ctx, func(tx repos) error {
		if _, err := (directory{tx}).loadGroup(ctx, tx.db, orgID, groupID, false); err != nil {
			return err
		}
		return tx.db.WithContext(ctx).Exec(
			"DELETE FROM group_members WHERE organization_id = ? AND group_id = ?",
			orgID, groupID,
		).Error
	})
	return storeError("remove all group members", err)
}

// checkMembership makes sure the group and every member belong to the
// organisation, so that a change names no one it may not see. It counts the
// members found rather than reading the group.
func (r repos) checkMembership(ctx context.Context, orgID, groupID string, ids []string) error {
	if _, err := (directory{r}).loadGroup(ctx, r.db, orgID, groupID, false); err != nil {
		return err
	}
	for batch := range slices.Chunk(ids, idBatch) {
		var found []string
		err := r.db.WithContext(ctx).Raw(
			"SELECT id FROM members WHERE organization_id = ? AND id IN ?", orgID, batch,
		).Scan(&found).Error
		if err != nil {
			return err
		}
		if len(found) == len(batch) {
			continue
		}
		var missing []string
		for _, id := range batch {
			if !slices.Contains(found, id) {
				missing = append(missing, id)
			}
		}
		return domain.Errorf(domain.KindInvalid,
			"no member of this organisation has the id %q", strings.Join(missing, ", ")).
			WithReason(domain.ReasonInvalidValue)
	}
	return nil
}

// GroupMemberIDsIn returns those of ids that are members of the group, one
// query per batch of ids, so a large group is never read whole.
func (d directory) GroupMemberIDsIn(
	ctx context.Context,
	orgID, groupID string,
	ids []string,
) ([]string, error) {
	found, err := selectIDsPerBatch(ctx, d.read,
		`SELECT member_id FROM group_members
		WHERE organization_id = ? AND group_id = ? AND member_id IN ?`,
		uniqueIDs(ids), orgID, groupID)
	if err != nil {
		return nil, storeError("find group members", err)
	}
	return found, nil
}

// ClientMemberIDs returns those of ids that name members linked to the
// client, one query per batch of ids.
func (d directory) ClientMemberIDs(
	ctx context.Context,
	orgID, clientID string,
	ids []string,
) ([]string, error) {
	found, err := selectIDsPerBatch(ctx, d.read,
		"SELECT id FROM members WHERE organization_id = ? AND client_id = ? AND id IN ?",
		uniqueIDs(ids), orgID, clientID)
	if err != nil {
		return nil, storeError("find client members", err)
	}
	return found, nil
}

// execPerBatch runs statement once per batch of ids (see idBatch). Its last
// parameter is the IN list that takes the batch; args are the ones before.
func execPerBatch(
	ctx context.Context,
	db *gorm.DB,
	statement string,
	ids []string,
	args ...any,
) error {
	for batch := range slices.Chunk(ids, idBatch) {
		if err := db.WithContext(ctx).Exec(statement, batchArgs(args, batch)...).Error; err != nil {
			return err
		}
	}
	return nil
}

// selectIDsPerBatch runs query, which selects one column of ids, once per
// batch of ids and returns what all batches found. Like execPerBatch, the
// query's last parameter is the IN list.
func selectIDsPerBatch(
	ctx context.Context,
	db *gorm.DB,
	query string,
	ids []string,
	args ...any,
) ([]string, error) {
	var out []string
	for batch := range slices.Chunk(ids, idBatch) {
		var found []string
		err := db.WithContext(ctx).Raw(query, batchArgs(args, batch)...).Scan(&found).Error
		if err != nil {
			return nil, err
		}
		out = append(out, found...)
	}
	return out, nil
}

// batchArgs appends a batch to a fresh copy of args, so no two batches
// share one slice.
func batchArgs(args []any, batch []string) []any {
	return append(slices.Clip(args), batch)
}

func uniqueIDs(ids []string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

// GroupsOfMember returns the groups a member belongs to, oldest first.
func (d directory) GroupsOfMember(
	ctx context.Context,
	orgID, memberID string,
) ([]domain.Group, error) {
	var exists []string
	err := d.read.WithContext(ctx).Raw(
		"SELECT id FROM members WHERE organization_id = ? AND id = ?", orgID, memberID,
	).Scan(&exists).Error
	if err != nil {
		return nil, storeError("list groups of member", err)
	}
	if len(exists) == 0 {
		return nil, notFound("member %s not found", domain.ShortID(memberID))
	}

	var rows []groupRow
	err = d.read.WithContext(ctx).Raw(
		`SELECT g.* FROM groups g JOIN group_members gm ON gm.group_id = g.id
		WHERE gm.member_id = ? AND g.organization_id = ?
		ORDER BY g.created_at, g.id`,
		memberID, orgID,
	).Scan(&rows).Error
	if err != nil {
		return nil, storeError("list groups of member", err)
	}
	return groupsOf(rows), nil
}

// memberGroupRow is a group with the member it was found for.
type memberGroupRow struct {
	MemberID       string  `gorm:"column:member_id"`
	ID             string  `gorm:"column:id"`
	OrganizationID string  `gorm:"column:organization_id"`
	DisplayName    string  `gorm:"column:display_name"`
	ExternalID     string  `gorm:"column:external_id"`
	ClientID       *string `gorm:"column:client_id"`
	Version        int64   `gorm:"column:version"`
	CreatedAt      dbTime  `gorm:"column:created_at"`
	UpdatedAt      dbTime  `gorm:"column:updated_at"`
}

func (r memberGroupRow) group() domain.Group {
	return groupRow{
		ID: r.ID, OrganizationID: r.OrganizationID, DisplayName: r.DisplayName,
		ExternalID: r.ExternalID, ClientID: r.ClientID, Version: r.Version,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}.domain()
}

// GroupsOfMembers returns the groups of several members, oldest first for
// each, with one query per batch of ids.
func (d directory) GroupsOfMembers(
	ctx context.Context,
	orgID string,
	memberIDs []string,
) (map[string][]domain.Group, error) {
	out := map[string][]domain.Group{}
	for batch := range slices.Chunk(uniqueIDs(memberIDs), idBatch) {
		var rows []memberGroupRow
		err := d.read.WithContext(ctx).Raw(
			`SELECT gm.member_id, g.id, g.organization_id, g.display_name, g.external_id,
				g.client_id, g.version, g.created_at, g.updated_at
			FROM group_members gm JOIN groups g ON g.id = gm.group_id
			WHERE gm.organization_id = ? AND g.organization_id = ? AND gm.member_id IN ?
			ORDER BY gm.member_id, g.created_at, g.id`,
			orgID, orgID, batch,
		).Scan(&rows).Error
		if err != nil {
			return nil, storeError("list groups of members", err)
		}
		for _, row := range rows {
			out[row.MemberID] = append(out[row.MemberID], row.group())
		}
	}
	return out, nil
}
