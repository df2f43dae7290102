package gormstore

// adminDeactivationMigration records who deactivated a member: an admin's
// deactivation must stick until an admin reactivates the member, whatever
// the identity provider says meanwhile. Members deactivated before it are
// taken as deactivated by SCIM, which is what the old rules let them be.
// The index lets a client list its groups without reading the
// organisation's other groups, now that groups are per client.
var adminDeactivationMigration = migration{
	version: 6,
	name:    "members deactivated by an admin, groups by client",
	postgres: []string{
		`ALTER TABLE members ADD COLUMN deactivated_by_admin BOOLEAN NOT NULL DEFAULT FALSE`,
		`CREATE INDEX groups_client_idx ON groups (organization_id, client_id, created_at, id)`,
	},
	sqlite: []string{
		`ALTER TABLE members ADD COLUMN deactivated_by_admin BOOLEAN NOT NULL DEFAULT 0`,
		`CREATE INDEX groups_client_idx ON groups (organization_id, client_id, created_at, id)`,
	},
}
