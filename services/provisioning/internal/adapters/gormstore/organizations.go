package gormstore

import (
	"context"
	"time"

	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
)

// organizations implements ports.OrganizationRegistry.
type organizations struct{ repos }

type organizationRow struct {
	ID        string `gorm:"column:id"`
	Name      string `gorm:"column:name"`
	Plan      string `gorm:"column:plan"`
	CreatedAt dbTime `gorm:"column:created_at;autoCreateTime:false"`
	UpdatedAt dbTime `gorm:"column:updated_at;autoUpdateTime:false"`
}

func (o organizationRow) domain() domain.Organization {
	return domain.Organization{
		ID:        o.ID,
		Name:      o.Name,
		Plan:      domain.Plan(o.Plan),
		CreatedAt: o.CreatedAt.Time,
		UpdatedAt: o.UpdatedAt.Time,
	}
}

// Organization returns an organisation, or a KindNotFound error.
func (o organizations) Organization(ctx context.Context, id string) (domain.Organization, error) {
	var rows []organizationRow
	err := o.read.WithContext(ctx).
		Raw("SELECT * FROM organizations WHERE id = ?", id).
		Scan(&rows).Error
	if err != nil {
		return domain.Organization{}, storeError("get organisation", err)
	}
	if len(rows) == 0 {
		return domain.Organization{}, notFound("organisation %s not found", domain.ShortID(id))
	}
	return rows[0].domain(), nil
}

// UpsertOrganization creates the organisation or updates its name and plan.
func (o organizations) UpsertOrganization(ctx context.Context, org domain.Organization) error {
	if org.ID == "" {
		return domain.Errorf(domain.KindInvalid, "an organisation needs an id")
	}
	if !org.Plan.Valid() {
		return domain.Errorf(domain.KindInvalid, "unknown plan %q", org.Plan)
	}
	now := time.Now()
	if org.CreatedAt.IsZero() {
		org.CreatedAt = now
	}
	if org.UpdatedAt.IsZero() {
		org.UpdatedAt = now
	}

	err := o.db.WithContext(ctx).Exec(
		`INSERT INTO organizations (id, name, plan, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE
		SET name = excluded.name, plan = excluded.plan, updated_at = excluded.updated_at`,
		org.ID, org.Name, string(org.Plan), newDBTime(org.CreatedAt), newDBTime(org.UpdatedAt),
	).Error
	return storeError("upsert organisation", err)
}
