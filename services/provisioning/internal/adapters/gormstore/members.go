package gormstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/ports"
)

// directory implements ports.UserDirectory.
type directory struct{ repos }

// memberRow is a member as stored. The searchable attributes have columns of
// their own, lowercased into *_key columns where SCIM compares them
// case-insensitively; the whole profile is kept as JSON, which is what a
// member is read back from.
type memberRow struct {
	ID             string   `gorm:"column:id"`
	OrganizationID string   `gorm:"column:organization_id"`
	UserName       string   `gorm:"column:user_name"`
	UserNameKey    string   `gorm:"column:user_name_key"`
	ExternalID     string   `gorm:"column:external_id"`
	DisplayName    string   `gorm:"column:display_name"`
	DisplayNameKey string   `gorm:"column:display_name_key"`
	GivenName      string   `gorm:"column:given_name"`
	GivenNameKey   string   `gorm:"column:given_name_key"`
	FamilyName     string   `gorm:"column:family_name"`
	FamilyNameKey  string   `gorm:"column:family_name_key"`
	PrimaryEmail   string   `gorm:"column:primary_email"`
	Status         string   `gorm:"column:status"`
	Role           string   `gorm:"column:role"`
	ScimActive     bool     `gorm:"column:scim_active"`
	ClientID       *string  `gorm:"column:client_id"`
	Approved       bool     `gorm:"column:approved"`
	Version        int64    `gorm:"column:version"`
	CreatedAt      dbTime   `gorm:"column:created_at;autoCreateTime:false"`
	UpdatedAt      dbTime   `gorm:"column:updated_at;autoUpdateTime:false"`
	DeactivatedAt  nullTime `gorm:"column:deactivated_at"`
	// DeactivatedByAdmin keeps an admin's deactivation in force against
	// the identity provider.
	DeactivatedByAdmin bool   `gorm:"column:deactivated_by_admin"`
	Profile            string `gorm:"column:profile"`
	ProfileKey         string `gorm:"column:profile_key"`
}

// emailRow indexes one email of a member for lookups and filters.
type emailRow struct {
	MemberID       string `gorm:"column:member_id"`
	Position       int    `gorm:"column:position"`
	OrganizationID string `gorm:"column:organization_id"`
	Value          string `gorm:"column:value"`
	ValueKey       string `gorm:"column:value_key"`
	TypeKey        string `gorm:"column:type_key"`
	IsPrimary      bool   `gorm:"column:is_primary"`
}

// newMemberRow stores the profile in the JSON form of storedProfile.
func newMemberRow(m domain.Member) (memberRow, error) {
	profile, profileKey, err := encodeProfile(m.Profile)
	if err != nil {
		return memberRow{}, err
	}
	var clientID *string
	if m.ClientID != "" {
		id := m.ClientID
		clientID = &id
	}
	return memberRow{
		ID:                 m.ID,
		OrganizationID:     m.OrganizationID,
		UserName:           m.UserName,
		UserNameKey:        domain.UserNameKey(m.UserName),
		ExternalID:         m.ExternalID,
		DisplayName:        m.Profile.DisplayName,
		DisplayNameKey:     strings.ToLower(m.Profile.DisplayName),
		GivenName:          m.Profile.Name.GivenName,
		GivenNameKey:       strings.ToLower(m.Profile.Name.GivenName),
		FamilyName:         m.Profile.Name.FamilyName,
		FamilyNameKey:      strings.ToLower(m.Profile.Name.FamilyName),
		PrimaryEmail:       m.Profile.PrimaryEmail(),
		Status:             string(m.Status),
		Role:               string(m.Role),
		ScimActive:         m.ScimActive,
		ClientID:           clientID,
		Approved:           m.Approved,
		Version:            m.Version,
		CreatedAt:          newDBTime(m.CreatedAt),
		UpdatedAt:          newDBTime(m.UpdatedAt),
		DeactivatedAt:      newNullTime(m.DeactivatedAt),
		DeactivatedByAdmin: m.DeactivatedByAdmin,
		Profile:            profile,
		ProfileKey:         profileKey,
	}, nil
}

func (r memberRow) domain() (domain.Member, error) {
	profile, err := decodeProfile(r.Profile)
	if err != nil {
		return domain.Member{}, fmt.Errorf("decode profile of member %s: %w", r.ID, err)
	}
	m := domain.Member{
		ID:                 r.ID,
		OrganizationID:     r.OrganizationID,
		UserName:           r.UserName,
		ExternalID:         r.ExternalID,
		Profile:            profile,
		Role:               domain.Role(r.Role),
		Status:             domain.Status(r.Status),
		ScimActive:         r.ScimActive,
		Approved:           r.Approved,
		Version:            r.Version,
		CreatedAt:          r.CreatedAt.Time,
		UpdatedAt:          r.UpdatedAt.Time,
		DeactivatedAt:      r.DeactivatedAt.ptr(),
		DeactivatedByAdmin: r.DeactivatedByAdmin,
	}
	if r.ClientID != nil {
		m.ClientID = *r.ClientID
	}
	return m, nil
}

func membersOf(rows []memberRow) ([]domain.Member, error) {
	list := make([]domain.Member, len(rows))
	for i, row := range rows {
		m, err := row.domain()
		if err != nil {
			return nil, err
		}
		list[i] = m
	}
	return list, nil
}

func emailRows(m domain.Member) []emailRow {
	var rows []emailRow
	for i, e := range m.Profile.Emails {
		if e.Value == "" {
			continue
		}
		rows = append(rows, emailRow{
			MemberID:       m.ID,
			Position:       i,
			OrganizationID: m.OrganizationID,
			Value:          e.Value,
			ValueKey:       domain.EmailKey(e.Value),
			TypeKey:        strings.ToLower(e.Type),
			IsPrimary:      e.Primary,
		})
	}
	return rows
}

func memberUniqueRules(userName string) []uniqueRule {
	return []uniqueRule{{
		column: "user_name_key",
		detail: fmt.Sprintf("userName %q is already taken in this organisation", userName),
	}, {
		column: "id",
		detail: "a member with this id already exists",
	}}
}

// CreateMember stores a new member and indexes its emails, giving it an id
// when it has none.
func (d directory) CreateMember(ctx context.Context, member domain.Member) error {
	if member.OrganizationID == "" {
		return domain.Errorf(domain.KindInvalid, "a member needs an organisation")
	}
	if member.ID == "" {
		member.ID = uuid.NewString()
	}
	now := time.Now()
	if member.CreatedAt.IsZero() {
		member.CreatedAt = now
	}
	if member.UpdatedAt.IsZero() {
		member.UpdatedAt = member.CreatedAt
	}
	row, err := newMemberRow(member)
	if err != nil {
		return domain.Internal(fmt.Errorf("create member: %w", err))
	}

	err = d.writeTx(ctx, func(tx repos) error {
		if err := tx.db.WithContext(ctx).Table("members").Create(&row).Error; err != nil {
			return err
		}
		return tx.saveEmails(ctx, member, false)
	})
	return storeError("create member", err, memberUniqueRules(member.UserName)...)
}

// saveEmails replaces the email index of a member. The list is the member's
// own, a handful of rows, so rewriting it is cheaper than diffing it.
func (r repos) saveEmails(ctx context.Context, m domain.Member, replace bool) error {
	db := r.db.WithContext(ctx)
	if replace {
		err := db.Exec("DELETE FROM member_emails WHERE member_id = ?", m.ID).Error
		if err != nil {
			return err
		}
	}
	rows := emailRows(m)
	if len(rows) == 0 {
		return nil
	}
	return db.Table("member_emails").Create(&rows).Error
}

// Member returns one member of the organisation.
func (d directory) Member(ctx context.Context, orgID, memberID string) (domain.Member, error) {
	var rows []memberRow
	err := d.read.WithContext(ctx).
		Raw("SELECT * FROM members WHERE organization_id = ? AND id = ?", orgID, memberID).
		Scan(&rows).Error
	if err != nil {
		return domain.Member{}, storeError("get member", err)
	}
	if len(rows) == 0 {
		return domain.Member{}, notFound("member %s not found", domain.ShortID(memberID))
	}
	m, err := rows[0].domain()
	if err != nil {
		return domain.Member{}, storeError("get member", err)
	}
	return m, nil
}

// MemberByEmail finds a member by any of its emails, case-insensitively.
// When several members share the address, the oldest is returned.
func (d directory) MemberByEmail(ctx context.Context, orgID, email string) (domain.Member, error) {
	var rows []memberRow
	err := d.read.WithContext(ctx).Raw(
		`SELECT * FROM members m
		WHERE m.organization_id = ? AND EXISTS (
			SELECT 1 FROM member_emails e
			WHERE e.organization_id = m.organization_id AND e.value_key = ?
				AND e.member_id = m.id)
		ORDER BY m.created_at, m.id LIMIT 1`,
		orgID, domain.EmailKey(email),
	).Scan(&rows).Error
	if err != nil {
		return domain.Member{}, storeError("find member by email", err)
	}
	if len(rows) == 0 {
		return domain.Member{}, notFound("no member has the email %s", email)
	}
	m, err := rows[0].domain()
	if err != nil {
		return domain.Member{}, storeError("find member by email", err)
	}
	return m, nil
}

// FindMatches returns the members whose userName equals userName or whose
// emails include one of emails, case-insensitively, oldest first.
func (d directory) FindMatches(
	ctx context.Context,
	orgID, userName string,
	emails []string,
) ([]domain.Member, error) {
	keys := make([]string, 0, len(emails))
	for _, e := range emails {
		if k := domain.EmailKey(e); k != "" {
			keys = append(keys, k)
		}
	}
	if userName == "" && len(keys) == 0 {
		return nil, nil
	}

	var (
		conds []string
		args  = []any{orgID}
	)
	if userName != "" {
		conds = append(conds, "m.user_name_key = ?")
		args = append(args, domain.UserNameKey(userName))
	}
	if len(keys) > 0 {
		conds = append(conds, `EXISTS (SELECT 1 FROM member_emails e
			WHERE e.organization_id = m.organization_id AND e.value_key IN ?
				AND e.member_id = m.id)`)
		args = append(args, keys)
	}
	var rows []memberRow
	err := d.read.WithContext(ctx).Raw(
		"SELECT * FROM members m WHERE m.organization_id = ? AND ("+
			strings.Join(conds, " OR ")+") ORDER BY m.created_at, m.id",
		args...,
	).Scan(&rows).Error
	if err != nil {
		return nil, storeError("find matching members", err)
	}
	list, err := membersOf(rows)
	if err != nil {
		return nil, storeError("find matching members", err)
	}
	return list, nil
}

// ListClientMembers returns one page of the members linked to a SCIM client
// that match the query's filter, and how many match in all.
func (d directory) ListClientMembers(
	ctx context.Context,
	orgID, clientID string,
	query domain.ListQuery,
) ([]domain.Member, int64, error) {
	query.Normalize()
	where, args, err := memberFilterSQL(d.dialect, query.Filter)
	if err != nil {
		return nil, 0, err
	}
	order, err := memberOrder(query.SortBy, query.SortDescending)
	if err != nil {
		return nil, 0, err
	}
	scope := "m.organization_id = ? AND m.client_id = ? AND (" + where + ")"
	scopeArgs := append([]any{orgID, clientID}, args...)

	var total int64
	err = d.read.WithContext(ctx).
		Raw("SELECT COUNT(*) FROM members m WHERE "+scope, scopeArgs...).
		Scan(&total).Error
	if err != nil {
		return nil, 0, storeError("list client members", err)
	}
	if query.Count == 0 || total < int64(query.StartIndex) {
		return []domain.Member{}, total, nil
	}

	var rows []memberRow
	err = d.read.WithContext(ctx).Raw(
		"SELECT m.* FROM members m WHERE "+scope+" ORDER BY "+order+" LIMIT ? OFFSET ?",
		append(scopeArgs, query.Count, query.StartIndex-1)...,
	).Scan(&rows).Error
	if err != nil {
		return nil, 0, storeError("list client members", err)
	}
	list, err := membersOf(rows)
	if err != nil {
		return nil, 0, storeError("list client members", err)
	}
	return list, total, nil
}

// ListMembers returns one page of the organisation's members, oldest first,
// and the token of the next page. Pages continue after the last key seen,
// so a member created meanwhile neither shifts nor repeats a page.
func (d directory) ListMembers(
	ctx context.Context,
	orgID string,
	page ports.Page,
) ([]domain.Member, string, error) {
	size := pageSize(page.Size)
	after, err := decodePageToken(page.Token)
	if err != nil {
		return nil, "", err
	}

	sql := "SELECT * FROM members WHERE organization_id = ?"
	args := []any{orgID}
	if after != nil {
		sql += " AND (created_at > ? OR (created_at = ? AND id > ?))"
		at := newDBTime(after.At)
		args = append(args, at, at, after.ID)
	}
	sql += " ORDER BY created_at, id LIMIT ?"
	args = append(args, size+1)

	var rows []memberRow
	if err := d.read.WithContext(ctx).Raw(sql, args...).Scan(&rows).Error; err != nil {
		return nil, "", storeError("list members", err)
	}
	next := ""
	if len(rows) > size {
		rows = rows[:size]
		last := rows[size-1]
		next = encodePageToken(pageKey{At: last.CreatedAt.Time, ID: last.ID})
	}
	list, err := membersOf(rows)
	if err != nil {
		return nil, "", storeError("list members", err)
	}
	return list, next, nil
}

// UpdateMember loads the member locked for the transaction, lets change
// modify it, and saves it with its email index. The id and organisation
// cannot be changed.
func (d directory) UpdateMember(
	ctx context.Context,
	orgID, memberID string,
	change func(*domain.Member) error,
) (domain.Member, error) {
	var (
		updated  domain.Member
		userName string
	)
	err := d.writeTx(ctx, func(tx repos) error {
		var rows []memberRow
		err := tx.db.WithContext(ctx).Raw(
			"SELECT * FROM members WHERE organization_id = ? AND id = ?"+tx.forUpdate(),
			orgID, memberID,
		).Scan(&rows).Error
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			return notFound("member %s not found", domain.ShortID(memberID))
		}
		member, err := rows[0].domain()
		if err != nil {
			return err
		}

		if err := change(&member); err != nil {
			return err
		}
		member.ID, member.OrganizationID = memberID, orgID
		userName = member.UserName

		row, err := newMemberRow(member)
		if err != nil {
			return err
		}
		err = tx.db.WithContext(ctx).Exec(
			`UPDATE members SET user_name = ?, user_name_key = ?, external_id = ?,
				display_name = ?, display_name_key = ?, given_name = ?, given_name_key = ?,
				family_name = ?, family_name_key = ?, primary_email = ?, status = ?, role = ?,
				scim_active = ?, client_id = ?, approved = ?, version = ?, updated_at = ?,
				deactivated_at = ?, deactivated_by_admin = ?, profile = ?, profile_key = ?
			WHERE organization_id = ? AND id = ?`,
			row.UserName, row.UserNameKey, row.ExternalID,
			row.DisplayName, row.DisplayNameKey, row.GivenName, row.GivenNameKey,
			row.FamilyName, row.FamilyNameKey, row.PrimaryEmail, row.Status, row.Role,
			row.ScimActive, row.ClientID, row.Approved, row.Version, row.UpdatedAt,
			row.DeactivatedAt, row.DeactivatedByAdmin, row.Profile, row.ProfileKey,
			orgID, memberID,
		).Error
		if err != nil {
			return err
		}
		if err := tx.saveEmails(ctx, member, true); err != nil {
			return err
		}
		updated, err = row.domain()
		return err
	})
	if err != nil {
		return domain.Member{}, storeError("update member", err, memberUniqueRules(userName)...)
	}
	return updated, nil
}

// EraseMember deletes the member, its email index and its group
// memberships. Provisioning events keep only its id.
func (d directory) EraseMember(ctx context.Context, orgID, memberID string) error {
	err := d.writeTx(ctx, func(tx repos) error {
		db := tx.db.WithContext(ctx)
		err := db.Exec(
			"DELETE FROM group_members WHERE organization_id = ? AND member_id = ?",
			orgID, memberID,
		).Error
		if err != nil {
			return err
		}
		err = db.Exec(
			"DELETE FROM member_emails WHERE organization_id = ? AND member_id = ?",
			orgID, memberID,
		).Error
		if err != nil {
			return err
		}
		res := db.Exec("DELETE FROM members WHERE organization_id = ? AND id = ?", orgID, memberID)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return notFound("member %s not found", domain.ShortID(memberID))
		}
		return nil
	})
	return storeError("erase member", err)
}

// UnlinkClientMembers removes every member of the organisation from a
// client's management. It leaves versions alone: the members' SCIM view is
// gone, and their own data did not change.
func (d directory) UnlinkClientMembers(ctx context.Context, orgID, clientID string) error {
	err := d.db.WithContext(ctx).Exec(
		"UPDATE members SET client_id = NULL WHERE organization_id = ? AND client_id = ?",
		orgID, clientID,
	).Error
	return storeError("unlink client members", err)
}
