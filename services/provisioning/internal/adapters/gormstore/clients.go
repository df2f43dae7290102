package gormstore

import (
	"context"

	"github.com/google/uuid"

	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
)

// clients implements ports.ClientRegistry.
type clients struct{ repos }

type clientRow struct {
	ID              string   `gorm:"column:id"`
	OrganizationID  string   `gorm:"column:organization_id"`
	Name            string   `gorm:"column:name"`
	SSOConnectionID string   `gorm:"column:sso_connection_id"`
	DefaultRole     string   `gorm:"column:default_role"`
	AutoActivate    bool     `gorm:"column:auto_activate"`
	SyncAttributes  bool     `gorm:"column:sync_attributes"`
	AllowDeletion   bool     `gorm:"column:allow_deletion"`
	Enabled         bool     `gorm:"column:enabled"`
	TokenHash       string   `gorm:"column:token_hash"`
	TokenPrefix     string   `gorm:"column:token_prefix"`
	TokenRotatedAt  nullTime `gorm:"column:token_rotated_at"`
	CreatedAt       dbTime   `gorm:"column:created_at;autoCreateTime:false"`
	UpdatedAt       dbTime   `gorm:"column:updated_at;autoUpdateTime:false"`
}

func newClientRow(c domain.ScimClient) clientRow {
	var rotated nullTime
	if !c.TokenRotatedAt.IsZero() {
		rotated = newNullTime(&c.TokenRotatedAt)
	}
	return clientRow{
		ID:              c.ID,
		OrganizationID:  c.OrganizationID,
		Name:            c.Name,
		SSOConnectionID: c.SSOConnectionID,
		DefaultRole:     string(c.DefaultRole),
		AutoActivate:    c.AutoActivate,
		SyncAttributes:  c.SyncAttributes,
		AllowDeletion:   c.AllowDeletion,
		Enabled:         c.Enabled,
		TokenHash:       c.TokenHash,
		TokenPrefix:     c.TokenPrefix,
		TokenRotatedAt:  rotated,
		CreatedAt:       newDBTime(c.CreatedAt),
		UpdatedAt:       newDBTime(c.UpdatedAt),
	}
}

func (c clientRow) domain() domain.ScimClient {
	return domain.ScimClient{
		ID:              c.ID,
		OrganizationID:  c.OrganizationID,
		Name:            c.Name,
		SSOConnectionID: c.SSOConnectionID,
		DefaultRole:     domain.Role(c.DefaultRole),
		AutoActivate:    c.AutoActivate,
		SyncAttributes:  c.SyncAttributes,
		AllowDeletion:   c.AllowDeletion,
		Enabled:         c.Enabled,
		TokenHash:       c.TokenHash,
		TokenPrefix:     c.TokenPrefix,
		TokenRotatedAt:  c.TokenRotatedAt.Time,
		CreatedAt:       c.CreatedAt.Time,
		UpdatedAt:       c.UpdatedAt.Time,
	}
}

var clientUniqueRules = []uniqueRule{{
	column: "token_hash",
	detail: "another SCIM client already has this token; issue a new token",
}, {
	column: "id",
	detail: "a SCIM client with this id already exists",
}}

// CreateClient stores a new SCIM client, giving it an id when it has none.
func (c clients) CreateClient(ctx context.Context, client domain.ScimClient) error {
	if client.OrganizationID == "" {
		return domain.Errorf(domain.KindInvalid, "a SCIM client needs an organisation")
	}
	if client.ID == "" {
		client.ID = uuid.NewString()
	}
	row := newClientRow(client)

	err := c.db.WithContext(ctx).Table("scim_clients").Create(&row).Error
	return storeError("create scim client", err, clientUniqueRules...)
}

// ClientByTokenHash finds the client whose token hashes to hash. It is the
// only lookup not scoped to an organisation: the token is what tells which
// organisation a request is for.
func (c clients) ClientByTokenHash(ctx context.Context, hash string) (domain.ScimClient, error) {
	if hash == "" {
		return domain.ScimClient{}, notFound("no SCIM client has this token")
	}
	var rows []clientRow
	err := c.read.WithContext(ctx).
		Raw("SELECT * FROM scim_clients WHERE token_hash = ?", hash).
		Scan(&rows).Error
	if err != nil {
		return domain.ScimClient{}, storeError("find scim client by token", err)
	}
	if len(rows) == 0 {
		return domain.ScimClient{}, notFound("no SCIM client has this token")
	}
	return rows[0].domain(), nil
}

// Client returns one client of the organisation.
func (c clients) Client(ctx context.Context, orgID, clientID string) (domain.ScimClient, error) {
	var rows []clientRow
	err := c.read.WithContext(ctx).
		Raw("SELECT * FROM scim_clients WHERE organization_id = ? AND id = ?", orgID, clientID).
		Scan(&rows).Error
	if err != nil {
		return domain.ScimClient{}, storeError("get scim client", err)
	}
	if len(rows) == 0 {
		return domain.ScimClient{}, notFound("SCIM client %s not found", domain.ShortID(clientID))
	}
	return rows[0].domain(), nil
}

// ListClients returns the organisation's clients, oldest first.
func (c clients) ListClients(ctx context.Context, orgID string) ([]domain.ScimClient, error) {
	var rows []clientRow
	err := c.read.WithContext(ctx).
		Raw("SELECT * FROM scim_clients WHERE organization_id = ? ORDER BY created_at, id", orgID).
		Scan(&rows).Error
	if err != nil {
		return nil, storeError("list scim clients", err)
	}
	list := make([]domain.ScimClient, len(rows))
	for i, row := range rows {
		list[i] = row.domain()
	}
	return list, nil
}

// UpdateClient loads the client locked for the transaction, lets change
// modify it, and saves it. The id and organisation cannot be changed.
func (c clients) UpdateClient(
	ctx context.Context,
	orgID, clientID string,
	change func(*domain.ScimClient) error,
) (domain.ScimClient, error) {
	var updated domain.ScimClient
	err := c.writeTx(ctx, func(tx repos) error {
		var rows []clientRow
		err := tx.db.WithContext(ctx).Raw(
			"SELECT * FROM scim_clients WHERE organization_id = ? AND id = ?"+tx.forUpdate(),
			orgID, clientID,
		).Scan(&rows).Error
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			return notFound("SCIM client %s not found", domain.ShortID(clientID))
		}

		client := rows[0].domain()
		if err := change(&client); err != nil {
			return err
		}
		client.ID, client.OrganizationID = clientID, orgID

		row := newClientRow(client)
		err = tx.db.WithContext(ctx).Exec(
			`UPDATE scim_clients SET name = ?, sso_connection_id = ?, default_role = ?,
				auto_activate = ?, sync_attributes = ?, allow_deletion = ?, enabled = ?,
				token_hash = ?, token_prefix = ?, token_rotated_at = ?, updated_at = ?
			WHERE organization_id = ? AND id = ?`,
			row.Name, row.SSOConnectionID, row.DefaultRole,
			row.AutoActivate, row.SyncAttributes, row.AllowDeletion, row.Enabled,
			row.TokenHash, row.TokenPrefix, row.TokenRotatedAt, row.UpdatedAt,
			orgID, clientID,
		).Error
		if err != nil {
			return err
		}
		updated = row.domain()
		return nil
	})
	if err != nil {
		return domain.ScimClient{}, storeError("update scim client", err, clientUniqueRules...)
	}
	return updated, nil
}

// DeleteClient removes the client. Its members stay: the foreign key sets
// their client to NULL, as UnlinkClientMembers does. Its events stay too.
func (c clients) DeleteClient(ctx context.Context, orgID, clientID string) error {
	res := c.db.WithContext(ctx).Exec(
		"DELETE FROM scim_clients WHERE organization_id = ? AND id = ?", orgID, clientID,
	)
	if res.Error != nil {
		return storeError("delete scim client", res.Error)
	}
	if res.RowsAffected == 0 {
		return notFound("SCIM client %s not found", domain.ShortID(clientID))
	}
	return nil
}
