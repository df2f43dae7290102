package app_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/craevidence/scim-provisioning/pkg/requestid"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/adapters/gormstore/gormstoretest"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/app"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/ports"
)

// fixture is one organisation on a fresh database with every application
// service.
type fixture struct {
	store        ports.Store
	provisioning *app.Provisioning
	clients      *app.ScimClients
	members      *app.Members
	directory    *app.Directory
	org          domain.Organization
	owner        app.Admin
}

// forEachStore runs the same test body on SQLite and on Postgres, each with
// a database of its own.
func forEachStore(t *testing.T, test func(t *testing.T, f *fixture)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		test(t, newFixture(t, gormstoretest.NewSQLite(t)))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		test(t, newFixture(t, gormstoretest.NewPostgres(t)))
	})
}

func newFixture(t *testing.T, store ports.Store) *fixture {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	f := &fixture{
		store:        store,
		provisioning: app.NewProvisioning(store, nil, logger),
		clients:      app.NewScimClients(store, nil, logger),
		members:      app.NewMembers(store, nil, logger),
		directory:    app.NewDirectory(store, nil, logger),
	}
	f.org = f.newOrg(t, "org-a", domain.PlanEnterprise)
	f.owner = app.Admin{Subject: "owner-a", OrganizationID: f.org.ID, Role: domain.RoleOwner}
	return f
}

func testContext() context.Context {
	return requestid.WithID(context.Background(), "req-test")
}

func (f *fixture) newOrg(t *testing.T, id string, plan domain.Plan) domain.Organization {
	t.Helper()
	org, err := f.directory.UpsertOrganization(testContext(),
		domain.Organization{ID: id, Name: "Org " + id, Plan: plan})
	if err != nil {
		t.Fatalf("upsert organisation: %v", err)
	}
	return org
}

// newClient creates a SCIM client in the fixture's organisation and returns
// it with an authenticated caller.
func (f *fixture) newClient(t *testing.T, settings domain.ClientSettings) (app.ScimCaller, string) {
	t.Helper()
	if settings.Name == "" {
		settings.Name = "Okta"
	}
	_, token, err := f.clients.Create(testContext(), f.owner, settings)
	if err != nil {
		t.Fatalf("create client: %v", err)
	}
	return f.authenticate(t, token), token
}

func (f *fixture) authenticate(t *testing.T, token string) app.ScimCaller {
	t.Helper()
	caller, err := f.provisioning.Authenticate(testContext(), token)
	if err != nil {
		t.Fatalf("authenticate: %v", err)
	}
	return caller
}

func (f *fixture) events(t *testing.T, query ports.EventQuery) []domain.Event {
	t.Helper()
	query.Page.Size = app.MaxPageSize
	events, _, err := f.clients.ListEvents(testContext(), f.owner, query)
	if err != nil {
		t.Fatalf("list events: %v", err)
	}
	return events
}

func (f *fixture) member(t *testing.T, id string) domain.Member {
	t.Helper()
	m, err := f.directory.Member(testContext(), f.org.ID, id)
	if err != nil {
		t.Fatalf("load member %s: %v", id, err)
	}
	return m
}

// newUsers provisions an active user through caller for each userName and
// returns their member ids in the same order.
func (f *fixture) newUsers(t *testing.T, caller app.ScimCaller, userNames ...string) []string {
	t.Helper()
	ids := make([]string, 0, len(userNames))
	for _, name := range userNames {
		u, err := f.provisioning.CreateUser(testContext(), caller, user(name, true))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, u.Member.ID)
	}
	return ids
}

func user(userName string, active bool) domain.ProvisionedUser {
	return domain.ProvisionedUser{
		UserName:   userName,
		ExternalID: "ext-" + userName,
		Active:     active,
		Profile: domain.Profile{
			DisplayName: "Display " + userName,
			Name:        domain.Name{GivenName: "Given", FamilyName: "Family"},
			Emails:      []domain.MultiValue{{Value: userName, Type: "work", Primary: true}},
		},
	}
}

func allOn() domain.ClientSettings {
	return domain.ClientSettings{AutoActivate: true, SyncAttributes: true}
}

func wantKind(t *testing.T, err error, kind domain.Kind) {
	t.Helper()
	if !domain.IsKind(err, kind) {
		t.Fatalf("error = %v (kind %s), want kind %s", err, domain.KindOf(err), kind)
	}
}

func ptr[T any](v T) *T { return &v }
