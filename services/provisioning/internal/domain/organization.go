// Package domain holds the provisioning rules of CRA Evidence: organisations,
// SCIM clients, members, groups and provisioning events. It imports nothing
// of gRPC, echo, gorm or SQL.
package domain

import "time"

// Plan is an organisation's subscription plan.
type Plan string

// The plans. Only Enterprise organisations may use SCIM provisioning.
const (
	PlanFree       Plan = "free"
	PlanTeam       Plan = "team"
	PlanEnterprise Plan = "enterprise"
)

// Valid reports whether p is a known plan.
func (p Plan) Valid() bool {
	return p == PlanFree || p == PlanTeam || p == PlanEnterprise
}

// Organization is a customer's CRA Evidence organisation.
type Organization struct {
	ID        string
	Name      string
	Plan      Plan
	CreatedAt time.Time
	UpdatedAt time.Time
}

// CanUseSCIM reports whether the organisation's plan includes SCIM
// provisioning.
func (o Organization) CanUseSCIM() bool {
	return o.Plan == PlanEnterprise
}
