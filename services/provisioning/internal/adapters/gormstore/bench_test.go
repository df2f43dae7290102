package gormstore_test

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/craevidence/scim-provisioning/services/provisioning/internal/adapters/gormstore"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/adapters/gormstore/gormstoretest"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
	"gorm.io/gorm"
)

// benchDatabases are the databases a benchmark runs on: SQLite always,
// Postgres when TEST_DATABASE_URL names a server.
func benchDatabases() map[string]func(testing.TB) *gormstore.Store {
	dbs := map[string]func(testing.TB) *gormstore.Store{"sqlite": gormstoretest.NewSQLite}
	if os.Getenv(gormstoretest.EnvDatabaseURL) != "" {
		dbs["postgres"] = gormstoretest.NewPostgres
	}
	return dbs
}

// benchMember is the subset of the members table the seeding writes; it
// bypasses CreateMember so that 100k rows take seconds, not minutes.
type benchMember struct {
	ID             string    `gorm:"column:id"`
	OrganizationID string    `gorm:"column:organization_id"`
	UserName       string    `gorm:"column:user_name"`
	UserNameKey    string    `gorm:"column:user_name_key"`
	Status         string    `gorm:"column:status"`
	Role           string    `gorm:"column:role"`
	ScimActive     bool      `gorm:"column:scim_active"`
	ClientID       string    `gorm:"column:client_id"`
	Approved       bool      `gorm:"column:approved"`
	Version        int64     `gorm:"column:version"`
	CreatedAt      time.Time `gorm:"column:created_at;autoCreateTime:false"`
	UpdatedAt      time.Time `gorm:"column:updated_at;autoUpdateTime:false"`
	Profile        string    `gorm:"column:profile"`
}

// seed creates an organisation with a client and n members named user-<i>,
// in batched inserts, and returns the ids of the organisation and client.
func seed(b *testing.B, s *gormstore.Store, n int) (orgID, clientID string) {
	b.Helper()
	ctx := b.Context()
	orgID, clientID = "org-bench", "client-bench"
	org := domain.Organization{ID: orgID, Name: "Bench", Plan: domain.PlanEnterprise}
	if err := s.Organizations().UpsertOrganization(ctx, org); err != nil {
		b.Fatal(err)
	}
	client := domain.ScimClient{ID: clientID, OrganizationID: orgID, Name: "bench",
		DefaultRole: domain.RoleMember, Enabled: true, TokenHash: "bench-hash"}
	if err := s.Clients().CreateClient(ctx, client); err != nil {
		b.Fatal(err)
	}
	addMembers(b, s, orgID, clientID, "user", n)
	return orgID, clientID
}

func addMembers(b *testing.B, s *gormstore.Store, orgID, clientID, prefix string, n int) {
	b.Helper()
	now := time.Now().UTC().Truncate(time.Microsecond)
	rows := make([]benchMember, n)
	for i := range rows {
		name := fmt.Sprintf("%s-%d", prefix, i)
		rows[i] = benchMember{
			ID: orgID + "-" + name, OrganizationID: orgID, UserName: name, UserNameKey: name,
			Status: "active", Role: "member", ScimActive: true, ClientID: clientID,
			Approved: true, Version: 1, CreatedAt: now, UpdatedAt: now, Profile: "{}",
		}
	}
	if n == 0 {
		return
	}
	// SQLite, compiled to Go, binds many parameters slowly: small batches
	// in one transaction fill it fastest. Postgres prefers fewer round trips.
	batch := 1000
	if s.Dialect() == "sqlite" {
		batch = 50
	}
	start := time.Now()
	db := s.DB().WithContext(b.Context())
	err := db.Transaction(func(tx *gorm.DB) error {
		return tx.Table("members").CreateInBatches(rows, batch).Error
	})
	if err != nil {
		b.Fatal(err)
	}
	// A database in service has statistics; a freshly filled one has none
	// until autovacuum runs, and its planner would guess.
	if err := db.Exec("ANALYZE").Error; err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d members in %v", n, time.Since(start).Round(time.Millisecond))
}

func memberIDs(orgID, prefix string, n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%s-%s-%d", orgID, prefix, i)
	}
	return ids
}

// BenchmarkUserNameLookup measures the lookup an identity provider makes
// before every create: filter=userName eq "…".
func BenchmarkUserNameLookup(b *testing.B) {
	for dbName, newStore := range benchDatabases() {
		for _, n := range []int{1_000, 100_000} {
			s := newStore(b)
			orgID, clientID := seed(b, s, n)
			b.Run(fmt.Sprintf("%s/members=%d", dbName, n), func(b *testing.B) {
				i := 0
				for b.Loop() {
					filter := &domain.AttributeFilter{
						Path:     domain.AttributePath{Attribute: "userName"},
						Operator: domain.CompareEqual,
						Value:    fmt.Sprintf("USER-%d", i%n),
					}
					list, total, err := s.Directory().ListClientMembers(b.Context(), orgID,
						clientID, domain.ListQuery{Filter: filter, Count: 10})
					if err != nil || total != 1 || len(list) != 1 {
						b.Fatalf("lookup: %d found, %v", total, err)
					}
					i += 7919
				}
			})
		}
	}
}

// BenchmarkGroupAdd measures adding one member to a group that already has
// n members: the cost must not grow with the group.
func BenchmarkGroupAdd(b *testing.B) {
	const extra = 2000
	for dbName, newStore := range benchDatabases() {
		for _, n := range []int{1_000, 10_000, 100_000} {
			s := newStore(b)
			orgID, clientID := seed(b, s, n)
			addMembers(b, s, orgID, clientID, "extra", extra)
			group := domain.Group{ID: "group-bench", OrganizationID: orgID,
				DisplayName: "Everyone", Version: 1}
			dir := s.Directory()
			if err := dir.CreateGroup(b.Context(), group); err != nil {
				b.Fatal(err)
			}
			existing := memberIDs(orgID, "user", n)
			for i := 0; i < n; i += 5000 {
				err := dir.AddGroupMembers(b.Context(), orgID, group.ID,
					existing[i:min(i+5000, n)])
				if err != nil {
					b.Fatal(err)
				}
			}
			extras := memberIDs(orgID, "extra", extra)

			b.Run(fmt.Sprintf("%s/group=%d", dbName, n), func(b *testing.B) {
				i := 0
				for b.Loop() {
					if i == extra {
						b.StopTimer()
						if err := dir.RemoveGroupMembers(b.Context(), orgID, group.ID,
							extras); err != nil {
							b.Fatal(err)
						}
						b.StartTimer()
						i = 0
					}
					err := dir.AddGroupMembers(b.Context(), orgID, group.ID, extras[i:i+1])
					if err != nil {
						b.Fatal(err)
					}
					i++
				}
			})
		}
	}
}

// BenchmarkAppendEvent measures writing one provisioning event.
func BenchmarkAppendEvent(b *testing.B) {
	for dbName, newStore := range benchDatabases() {
		s := newStore(b)
		orgID, clientID := seed(b, s, 0)
		b.Run(dbName, func(b *testing.B) {
			for b.Loop() {
				err := s.Audit().AppendEvent(b.Context(), domain.Event{
					OrganizationID: orgID, ClientID: clientID,
					Operation: domain.OpUserUpdate, Outcome: domain.OutcomeSucceeded,
					MemberID: "member-1", Actor: "scim:" + clientID,
					ChangedAttributes: []string{"title"},
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkGroupRemove measures removing one member from a group of n
// members; the member is put back outside the timer.
func BenchmarkGroupRemove(b *testing.B) {
	for dbName, newStore := range benchDatabases() {
		for _, n := range []int{1_000, 10_000, 100_000} {
			s := newStore(b)
			orgID, _ := seed(b, s, n)
			group := domain.Group{ID: "group-bench", OrganizationID: orgID,
				DisplayName: "Everyone", Version: 1}
			dir := s.Directory()
			if err := dir.CreateGroup(b.Context(), group); err != nil {
				b.Fatal(err)
			}
			existing := memberIDs(orgID, "user", n)
			for i := 0; i < n; i += 5000 {
				err := dir.AddGroupMembers(b.Context(), orgID, group.ID,
					existing[i:min(i+5000, n)])
				if err != nil {
					b.Fatal(err)
				}
			}

			b.Run(fmt.Sprintf("%s/group=%d", dbName, n), func(b *testing.B) {
				i := 0
				for b.Loop() {
					id := existing[(i*7919)%n : (i*7919)%n+1]
					if err := dir.RemoveGroupMembers(b.Context(), orgID, group.ID, id); err != nil {
						b.Fatal(err)
					}
					b.StopTimer()
					if err := dir.AddGroupMembers(b.Context(), orgID, group.ID, id); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
					i++
				}
			})
		}
	}
}
