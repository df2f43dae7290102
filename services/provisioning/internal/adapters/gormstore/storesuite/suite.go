// Package storesuite is the conformance suite of ports.Store: one set of
// tests that every implementation must pass, whatever database is behind
// it. Each test asks newStore for a store of its own and runs in parallel.
package storesuite

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/ports"
)

// NewStore returns an empty, ready store that lives as long as the test.
type NewStore func(t testing.TB) ports.Store

// Run runs the whole suite against the stores newStore makes.
func Run(t *testing.T, newStore NewStore) {
	tests := []struct {
		name string
		run  func(t *testing.T, s ports.Store)
	}{
		{"Organizations", testOrganizations},
		{"Clients", testClients},
		{"ClientIsolation", testClientIsolation},
		{"MemberLifecycle", testMemberLifecycle},
		{"MemberUniqueness", testMemberUniqueness},
		{"MemberLookups", testMemberLookups},
		{"MemberIsolation", testMemberIsolation},
		{"ListMembersPages", testListMembersPages},
		{"ListClientMembersPaging", testListClientMembersPaging},
		{"MemberFilters", testMemberFilters},
		{"ProfileFilters", testProfileFilters},
		{"UnsupportedFilters", testUnsupportedFilters},
		{"Sorting", testSorting},
		{"Groups", testGroups},
		{"GroupMembership", testGroupMembership},
		{"GroupFilters", testGroupFilters},
		{"GroupIsolation", testGroupIsolation},
		{"GroupsPerClient", testGroupsPerClient},
		{"Events", testEvents},
		{"EventIsolation", testEventIsolation},
		{"Statistics", testStatistics},
		{"RequestSources", testRequestSources},
		{"Retention", testRetention},
		{"TransactionRollsBack", testTransactionRollsBack},
		{"ConcurrentUpdates", testConcurrentUpdates},
		{"ConcurrentCreates", testConcurrentCreates},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, newStore(t))
		})
	}
}

// base is the instant the suite's fixtures are made at, in whole
// microseconds so that every database stores it exactly.
var base = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

func ctx(t *testing.T) context.Context { return t.Context() }

func newID(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return prefix + "-" + hex.EncodeToString(b[:])
}

// fixture holds one organisation with one SCIM client.
type fixture struct {
	org    domain.Organization
	client domain.ScimClient
}

func newFixture(t *testing.T, s ports.Store) fixture {
	t.Helper()
	org := domain.Organization{
		ID: newID("org"), Name: "Acme", Plan: domain.PlanEnterprise,
		CreatedAt: base, UpdatedAt: base,
	}
	must(t, s.Organizations().UpsertOrganization(ctx(t), org))
	client := domain.ScimClient{
		ID: newID("client"), OrganizationID: org.ID, Name: "Okta",
		DefaultRole: domain.RoleMember, AutoActivate: true, SyncAttributes: true,
		Enabled: true, TokenHash: newID("hash"), TokenPrefix: "cras_abcd",
		TokenRotatedAt: base, CreatedAt: base, UpdatedAt: base,
	}
	must(t, s.Clients().CreateClient(ctx(t), client))
	return fixture{org: org, client: client}
}

// member builds a member of the fixture's client; created orders members.
func (f fixture) member(userName string, created int) domain.Member {
	at := base.Add(time.Duration(created) * time.Minute)
	return domain.Member{
		ID:             newID("member"),
		OrganizationID: f.org.ID,
		UserName:       userName,
		Profile: domain.Profile{
			DisplayName: userName,
			Emails: []domain.MultiValue{
				{Value: userName + "@example.com", Type: "work", Primary: true},
			},
		},
		Role:       domain.RoleMember,
		Status:     domain.StatusActive,
		ScimActive: true,
		ClientID:   f.client.ID,
		Approved:   true,
		Version:    1,
		CreatedAt:  at,
		UpdatedAt:  at,
	}
}

func (f fixture) create(t *testing.T, s ports.Store, m domain.Member) domain.Member {
	t.Helper()
	must(t, s.Directory().CreateMember(ctx(t), m))
	return m
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantKind(t testing.TB, err error, kind domain.Kind) *domain.Error {
	t.Helper()
	if !domain.IsKind(err, kind) {
		t.Fatalf("error = %v (kind %v), want kind %v", err, domain.KindOf(err), kind)
	}
	var de *domain.Error
	errors.As(err, &de)
	return de
}

func equal[T any](t testing.TB, what string, got, want T) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
}

func testOrganizations(t *testing.T, s ports.Store) {
	orgs := s.Organizations()
	_, err := orgs.Organization(ctx(t), "missing")
	wantKind(t, err, domain.KindNotFound)

	org := domain.Organization{ID: newID("org"), Name: "Acme", Plan: domain.PlanTeam,
		CreatedAt: base, UpdatedAt: base}
	must(t, orgs.UpsertOrganization(ctx(t), org))
	org.Name, org.Plan, org.UpdatedAt = "Acme Ltd", domain.PlanEnterprise, base.Add(time.Hour)
	must(t, orgs.UpsertOrganization(ctx(t), org))

	got, err := orgs.Organization(ctx(t), org.ID)
	must(t, err)
	equal(t, "organisation", got, org)
}

func testClients(t *testing.T, s ports.Store) {
	f := newFixture(t, s)
	reg := s.Clients()

	got, err := reg.Client(ctx(t), f.org.ID, f.client.ID)
	must(t, err)
	equal(t, "client", got, f.client)

	byHash, err := reg.ClientByTokenHash(ctx(t), f.client.TokenHash)
	must(t, err)
	equal(t, "client by token hash", byHash.ID, f.client.ID)
	_, err = reg.ClientByTokenHash(ctx(t), "unknown")
	wantKind(t, err, domain.KindNotFound)
	_, err = reg.ClientByTokenHash(ctx(t), "")
	wantKind(t, err, domain.KindNotFound)

	second := f.client
	second.ID, second.Name, second.CreatedAt = newID("client"), "Entra", base.Add(time.Hour)
	err = reg.CreateClient(ctx(t), second)
	de := wantKind(t, err, domain.KindAlreadyExists)
	equal(t, "reason", de.Reason, domain.ReasonUniqueness)
	second.TokenHash = newID("hash")
	must(t, reg.CreateClient(ctx(t), second))

	list, err := reg.ListClients(ctx(t), f.org.ID)
	must(t, err)
	equal(t, "clients", []string{list[0].ID, list[1].ID}, []string{f.client.ID, second.ID})

	// Rotation replaces the hash: the old one finds nothing from then on.
	newHash := newID("hash")
	updated, err := reg.UpdateClient(ctx(t), f.org.ID, f.client.ID,
		func(c *domain.ScimClient) error {
			c.TokenHash, c.Enabled, c.UpdatedAt = newHash, false, base.Add(2*time.Hour)
			return nil
		})
	must(t, err)
	equal(t, "enabled", updated.Enabled, false)
	_, err = reg.ClientByTokenHash(ctx(t), f.client.TokenHash)
	wantKind(t, err, domain.KindNotFound)
	byHash, err = reg.ClientByTokenHash(ctx(t), newHash)
	must(t, err)
	equal(t, "rotated client", byHash, updated)

	// An error from the change aborts the update.
	refused := domain.Errorf(domain.KindConflict, "no")
	_, err = reg.UpdateClient(ctx(t), f.org.ID, f.client.ID, func(c *domain.ScimClient) error {
		c.Name = "changed"
		return refused
	})
	wantKind(t, err, domain.KindConflict)
	got, err = reg.Client(ctx(t), f.org.ID, f.client.ID)
	must(t, err)
	equal(t, "name after aborted update", got.Name, f.client.Name)

	// Deleting a client leaves its members, unlinked.
	m := f.create(t, s, f.member("alice", 1))
	must(t, reg.DeleteClient(ctx(t), f.org.ID, f.client.ID))
	_, err = reg.Client(ctx(t), f.org.ID, f.client.ID)
	wantKind(t, err, domain.KindNotFound)
	wantKind(t, reg.DeleteClient(ctx(t), f.org.ID, f.client.ID), domain.KindNotFound)
	kept, err := s.Directory().Member(ctx(t), f.org.ID, m.ID)
	must(t, err)
	equal(t, "client of kept member", kept.ClientID, "")
}

func testClientIsolation(t *testing.T, s ports.Store) {
	a, b := newFixture(t, s), newFixture(t, s)
	reg := s.Clients()

	_, err := reg.Client(ctx(t), b.org.ID, a.client.ID)
	wantKind(t, err, domain.KindNotFound)
	_, err = reg.UpdateClient(ctx(t), b.org.ID, a.client.ID, func(c *domain.ScimClient) error {
		c.Enabled = false
		return nil
	})
	wantKind(t, err, domain.KindNotFound)
	wantKind(t, reg.DeleteClient(ctx(t), b.org.ID, a.client.ID), domain.KindNotFound)
	list, err := reg.ListClients(ctx(t), b.org.ID)
	must(t, err)
	equal(t, "clients of b", len(list), 1)

	got, err := reg.Client(ctx(t), a.org.ID, a.client.ID)
	must(t, err)
	equal(t, "a's client untouched", got, a.client)
}

func testMemberLifecycle(t *testing.T, s ports.Store) {
	f := newFixture(t, s)
	dir := s.Directory()
	m := f.member("Alice", 0)
	m.ExternalID = "ext-1"
	m.Profile.Name = domain.Name{GivenName: "Alice", FamilyName: "Liddell"}
	m.Profile.Enterprise.Department = "R&D"
	m.Profile.Emails = append(m.Profile.Emails,
		domain.MultiValue{Value: "a@home.example", Type: "home"})
	f.create(t, s, m)

	got, err := dir.Member(ctx(t), f.org.ID, m.ID)
	must(t, err)
	equal(t, "member", got, m)

	deactivated := base.Add(time.Hour)
	updated, err := dir.UpdateMember(ctx(t), f.org.ID, m.ID, func(m *domain.Member) error {
		m.UserName = "alice.l"
		m.Profile.Emails = []domain.MultiValue{{Value: "new@example.com", Primary: true}}
		m.Status, m.ScimActive, m.DeactivatedAt = domain.StatusDeactivated, false, &deactivated
		m.Version++
		return nil
	})
	must(t, err)
	equal(t, "version", updated.Version, int64(2))
	got, err = dir.Member(ctx(t), f.org.ID, m.ID)
	must(t, err)
	equal(t, "updated member", got, updated)

	// The email index follows the update.
	_, err = dir.MemberByEmail(ctx(t), f.org.ID, "a@home.example")
	wantKind(t, err, domain.KindNotFound)
	byEmail, err := dir.MemberByEmail(ctx(t), f.org.ID, "NEW@example.com")
	must(t, err)
	equal(t, "member by email", byEmail.ID, m.ID)

	_, err = dir.UpdateMember(ctx(t), f.org.ID, "missing", func(*domain.Member) error { return nil })
	wantKind(t, err, domain.KindNotFound)

	must(t, dir.EraseMember(ctx(t), f.org.ID, m.ID))
	_, err = dir.Member(ctx(t), f.org.ID, m.ID)
	wantKind(t, err, domain.KindNotFound)
	_, err = dir.MemberByEmail(ctx(t), f.org.ID, "new@example.com")
	wantKind(t, err, domain.KindNotFound)
	wantKind(t, dir.EraseMember(ctx(t), f.org.ID, m.ID), domain.KindNotFound)
}

func testMemberUniqueness(t *testing.T, s ports.Store) {
	f := newFixture(t, s)
	dir := s.Directory()
	f.create(t, s, f.member("Bob", 0))

	err := dir.CreateMember(ctx(t), f.member("bOB", 1))
	de := wantKind(t, err, domain.KindAlreadyExists)
	equal(t, "reason", de.Reason, domain.ReasonUniqueness)
	equal(t, "detail", de.Detail, `userName "bOB" is already taken in this organisation`)

	// A rename onto a taken userName is refused the same way.
	carol := f.create(t, s, f.member("carol", 2))
	_, err = dir.UpdateMember(ctx(t), f.org.ID, carol.ID, func(m *domain.Member) error {
		m.UserName = "BOB"
		return nil
	})
	de = wantKind(t, err, domain.KindAlreadyExists)
	equal(t, "reason", de.Reason, domain.ReasonUniqueness)

	// Another organisation may use the same userName.
	other := newFixture(t, s)
	other.create(t, s, other.member("bob", 0))
}

func testMemberLookups(t *testing.T, s ports.Store) {
	f := newFixture(t, s)
	dir := s.Directory()
	alice := f.create(t, s, f.member("alice", 0))
	bob := f.member("bob", 1)
	bob.Profile.Emails = []domain.MultiValue{{Value: "Robert@Example.com"}}
	f.create(t, s, bob)
	f.create(t, s, f.member("carol", 2))

	got, err := dir.MemberByEmail(ctx(t), f.org.ID, " robert@example.COM ")
	must(t, err)
	equal(t, "by email", got.ID, bob.ID)

	matches, err := dir.FindMatches(ctx(t), f.org.ID, "ALICE", []string{"ROBERT@example.com"})
	must(t, err)
	equal(t, "matches", ids(matches), []string{alice.ID, bob.ID})
	matches, err = dir.FindMatches(ctx(t), f.org.ID, "", []string{"nobody@example.com"})
	must(t, err)
	equal(t, "no matches", len(matches), 0)
	matches, err = dir.FindMatches(ctx(t), f.org.ID, "", nil)
	must(t, err)
	equal(t, "no criteria", len(matches), 0)
}

func ids(members []domain.Member) []string {
	out := make([]string, len(members))
	for i, m := range members {
		out[i] = m.ID
	}
	return out
}

func userNames(members []domain.Member) []string {
	out := make([]string, len(members))
	for i, m := range members {
		out[i] = m.UserName
	}
	return out
}

func testMemberIsolation(t *testing.T, s ports.Store) {
	a, b := newFixture(t, s), newFixture(t, s)
	dir := s.Directory()
	m := a.create(t, s, a.member("alice", 0))

	_, err := dir.Member(ctx(t), b.org.ID, m.ID)
	wantKind(t, err, domain.KindNotFound)
	_, err = dir.MemberByEmail(ctx(t), b.org.ID, "alice@example.com")
	wantKind(t, err, domain.KindNotFound)
	matches, err := dir.FindMatches(ctx(t), b.org.ID, "alice", []string{"alice@example.com"})
	must(t, err)
	equal(t, "matches in b", len(matches), 0)
	_, err = dir.UpdateMember(ctx(t), b.org.ID, m.ID, func(m *domain.Member) error {
		m.UserName = "mallory"
		return nil
	})
	wantKind(t, err, domain.KindNotFound)
	wantKind(t, dir.EraseMember(ctx(t), b.org.ID, m.ID), domain.KindNotFound)
	must(t, dir.UnlinkClientMembers(ctx(t), b.org.ID, a.client.ID))
	list, _, err := dir.ListMembers(ctx(t), b.org.ID, ports.Page{})
	must(t, err)
	equal(t, "members of b", len(list), 0)
	clientList, total, err := dir.ListClientMembers(ctx(t), b.org.ID, a.client.ID,
		domain.ListQuery{Count: 10})
	must(t, err)
	equal(t, "client members of b", fmt.Sprint(len(clientList), total), "0 0")

	got, err := dir.Member(ctx(t), a.org.ID, m.ID)
	must(t, err)
	equal(t, "a's member untouched", got, m)
}

func testListMembersPages(t *testing.T, s ports.Store) {
	f := newFixture(t, s)
	dir := s.Directory()
	for i := range 7 {
		// Two members share each creation time, so the id breaks ties.
		f.create(t, s, f.member(fmt.Sprintf("user%d", i), i/2))
	}
	list, _, err := dir.ListMembers(ctx(t), f.org.ID, ports.Page{Size: 500})
	must(t, err)
	all := ids(list)
	equal(t, "one page holds all", len(all), 7)

	var paged []string
	token := ""
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("paging does not end")
		}
		page, next, err := dir.ListMembers(ctx(t), f.org.ID, ports.Page{Size: 3, Token: token})
		must(t, err)
		paged = append(paged, ids(page)...)
		if next == "" {
			break
		}
		token = next
	}
	equal(t, "pages", paged, all)
	for i := 1; i < len(list); i++ {
		prev, cur := list[i-1], list[i]
		if cur.CreatedAt.Before(prev.CreatedAt) ||
			(cur.CreatedAt.Equal(prev.CreatedAt) && cur.ID < prev.ID) {
			t.Fatalf("members out of order at %d", i)
		}
	}

	_, _, err = dir.ListMembers(ctx(t), f.org.ID, ports.Page{Token: "not a token!"})
	wantKind(t, err, domain.KindInvalid)
}

func testListClientMembersPaging(t *testing.T, s ports.Store) {
	f := newFixture(t, s)
	dir := s.Directory()
	for i := range 5 {
		f.create(t, s, f.member(fmt.Sprintf("user%d", i), i))
	}
	unlinked := f.member("unlinked", 9)
	unlinked.ClientID = ""
	f.create(t, s, unlinked)

	list, total, err := dir.ListClientMembers(ctx(t), f.org.ID, f.client.ID,
		domain.ListQuery{StartIndex: 2, Count: 2})
	must(t, err)
	equal(t, "page", userNames(list), []string{"user1", "user2"})
	equal(t, "total", total, int64(5))

	list, total, err = dir.ListClientMembers(ctx(t), f.org.ID, f.client.ID,
		domain.ListQuery{StartIndex: 1, Count: 0})
	must(t, err)
	equal(t, "count 0", fmt.Sprint(len(list), total), "0 5")

	list, total, err = dir.ListClientMembers(ctx(t), f.org.ID, f.client.ID,
		domain.ListQuery{StartIndex: 5, Count: 10})
	must(t, err)
	equal(t, "last page", fmt.Sprint(userNames(list), total), "[user4] 5")

	list, total, err = dir.ListClientMembers(ctx(t), f.org.ID, f.client.ID,
		domain.ListQuery{StartIndex: 9, Count: 10})
	must(t, err)
	equal(t, "past the end", fmt.Sprint(len(list), total), "0 5")

	must(t, dir.UnlinkClientMembers(ctx(t), f.org.ID, f.client.ID))
	_, total, err = dir.ListClientMembers(ctx(t), f.org.ID, f.client.ID, domain.ListQuery{})
	must(t, err)
	equal(t, "after unlink", total, int64(0))
}

func attr(name string, op domain.Comparison, value any) domain.Filter {
	p := domain.AttributePath{Attribute: name}
	for i := range len(name) {
		if name[i] == '.' {
			p = domain.AttributePath{Attribute: name[:i], SubAttribute: name[i+1:]}
			break
		}
	}
	return &domain.AttributeFilter{Path: p, Operator: op, Value: value}
}

func and(l, r domain.Filter) domain.Filter {
	return &domain.LogicalFilter{And: true, Left: l, Right: r}
}
func or(l, r domain.Filter) domain.Filter { return &domain.LogicalFilter{Left: l, Right: r} }
func not(f domain.Filter) domain.Filter   { return &domain.NotFilter{Filter: f} }

func testMemberFilters(t *testing.T, s ports.Store) {
	f := newFixture(t, s)
	alice := f.member("Alice", 0)
	alice.ExternalID = "EXT-a"
	alice.Profile.DisplayName = "Alice Liddell"
	alice.Profile.Name = domain.Name{GivenName: "Alice", FamilyName: "Liddell"}
	alice.Profile.Emails = []domain.MultiValue{
		{Value: "alice@work.example", Type: "work", Primary: true},
		{Value: "alice@home.example", Type: "home"},
	}
	bob := f.member("bob_smith", 1)
	bob.ExternalID = "ext-b"
	bob.Profile.DisplayName = "Bob 100%"
	bob.Profile.Name = domain.Name{GivenName: "Bob", FamilyName: "Smith"}
	bob.Profile.Emails = []domain.MultiValue{{Value: "bob@home.example", Type: "home"}}
	carol := f.member("carol", 2)
	carol.Profile.DisplayName = ""
	carol.Profile.Emails = nil
	carol.ScimActive = false
	carol.Status = domain.StatusDeactivated
	bobby := f.member("bobsmith", 3)
	bobby.Profile.Name = domain.Name{GivenName: "Robert", FamilyName: "Smith"}
	bobby.Profile.Emails = []domain.MultiValue{{Value: "rob@WORK.example", Type: "Work"}}
	for _, m := range []domain.Member{alice, bob, carol, bobby} {
		f.create(t, s, m)
	}
	at := func(minutes int) string {
		return base.Add(time.Duration(minutes) * time.Minute).Format(time.RFC3339Nano)
	}

	tests := []struct {
		name   string
		filter domain.Filter
		want   []string
	}{
		{"nil", nil, []string{"Alice", "bob_smith", "carol", "bobsmith"}},
		{"id eq", attr("id", domain.CompareEqual, bob.ID), []string{"bob_smith"}},
		{"userName eq is case-insensitive", attr("userName", domain.CompareEqual, "ALICE"),
			[]string{"Alice"}},
		{"attribute names are case-insensitive", attr("USERNAME", domain.CompareEqual, "alice"),
			[]string{"Alice"}},
		{"userName ne", attr("userName", domain.CompareNotEqual, "alice"),
			[]string{"bob_smith", "carol", "bobsmith"}},
		{"userName co", attr("userName", domain.CompareContains, "OB"),
			[]string{"bob_smith", "bobsmith"}},
		{"co escapes _", attr("userName", domain.CompareContains, "_s"), []string{"bob_smith"}},
		{"sw escapes _", attr("userName", domain.CompareStartsWith, "bob_"), []string{"bob_smith"}},
		{"co escapes %", attr("displayName", domain.CompareContains, "%"), []string{"bob_smith"}},
		{"ew", attr("userName", domain.CompareEndsWith, "SMITH"),
			[]string{"bob_smith", "bobsmith"}},
		{"gt", attr("userName", domain.CompareGreaterThan, "bob_smith"),
			[]string{"carol", "bobsmith"}},
		{"ge", attr("userName", domain.CompareGreaterOrEqual, "bob_smith"),
			[]string{"bob_smith", "carol", "bobsmith"}},
		{"lt", attr("userName", domain.CompareLessThan, "BOB_SMITH"), []string{"Alice"}},
		{"le", attr("userName", domain.CompareLessOrEqual, "bob_smith"),
			[]string{"Alice", "bob_smith"}},
		{"userName pr", attr("userName", domain.ComparePresent, nil),
			[]string{"Alice", "bob_smith", "carol", "bobsmith"}},
		{"externalId is case-exact", attr("externalId", domain.CompareEqual, "ext-a"), nil},
		{"externalId eq", attr("externalId", domain.CompareEqual, "EXT-a"), []string{"Alice"}},
		{"externalId sw is case-exact", attr("externalId", domain.CompareStartsWith, "ext"),
			[]string{"bob_smith"}},
		{"externalId pr", attr("externalId", domain.ComparePresent, nil),
			[]string{"Alice", "bob_smith"}},
		{"not externalId pr", not(attr("externalId", domain.ComparePresent, nil)),
			[]string{"carol", "bobsmith"}},
		{"displayName co", attr("displayName", domain.CompareContains, "liddell"),
			[]string{"Alice"}},
		{"displayName pr", attr("displayName", domain.ComparePresent, nil),
			[]string{"Alice", "bob_smith", "bobsmith"}},
		{"name.givenName", attr("name.givenName", domain.CompareEqual, "robert"),
			[]string{"bobsmith"}},
		{"name.familyName", attr("name.familyName", domain.CompareEqual, "SMITH"),
			[]string{"bob_smith", "bobsmith"}},
		{"schema-qualified", &domain.AttributeFilter{
			Path: domain.AttributePath{
				Schema: "urn:ietf:params:scim:schemas:core:2.0:User", Attribute: "userName"},
			Operator: domain.CompareEqual, Value: "carol"}, []string{"carol"}},
		{"emails eq", attr("emails", domain.CompareEqual, "ALICE@home.example"),
			[]string{"Alice"}},
		{"emails.value sw", attr("emails.value", domain.CompareStartsWith, "bob@"),
			[]string{"bob_smith"}},
		{"emails.value ew", attr("emails.value", domain.CompareEndsWith, "@work.example"),
			[]string{"Alice", "bobsmith"}},
		{"emails pr", attr("emails", domain.ComparePresent, nil),
			[]string{"Alice", "bob_smith", "bobsmith"}},
		{"emails.type eq", attr("emails.type", domain.CompareEqual, "home"),
			[]string{"Alice", "bob_smith"}},
		{"emails.primary", attr("emails.primary", domain.CompareEqual, true), []string{"Alice"}},
		{"emails[type eq work]", &domain.ValuePathFilter{
			Path:   domain.AttributePath{Attribute: "emails"},
			Filter: attr("type", domain.CompareEqual, "work")},
			[]string{"Alice", "bobsmith"}},
		{"emails[type eq work and value co bob] matches one value", &domain.ValuePathFilter{
			Path: domain.AttributePath{Attribute: "emails"},
			Filter: and(attr("type", domain.CompareEqual, "work"),
				attr("value", domain.CompareContains, "rob"))},
			[]string{"bobsmith"}},
		{"value filter needs one value to match both", &domain.ValuePathFilter{
			Path: domain.AttributePath{Attribute: "emails"},
			Filter: and(attr("type", domain.CompareEqual, "home"),
				attr("value", domain.CompareContains, "work"))}, nil},
		{"not emails[...]", not(&domain.ValuePathFilter{
			Path:   domain.AttributePath{Attribute: "emails"},
			Filter: attr("type", domain.CompareEqual, "home")}),
			[]string{"carol", "bobsmith"}},
		{"active eq true", attr("active", domain.CompareEqual, true),
			[]string{"Alice", "bob_smith", "bobsmith"}},
		{"active ne true", attr("active", domain.CompareNotEqual, true), []string{"carol"}},
		{"meta.created gt", attr("meta.created", domain.CompareGreaterThan, at(1)),
			[]string{"carol", "bobsmith"}},
		{"meta.created ge", attr("meta.created", domain.CompareGreaterOrEqual, at(1)),
			[]string{"bob_smith", "carol", "bobsmith"}},
		{"meta.created lt", attr("meta.created", domain.CompareLessThan, at(1)),
			[]string{"Alice"}},
		{"meta.created le", attr("meta.created", domain.CompareLessOrEqual, at(1)),
			[]string{"Alice", "bob_smith"}},
		{"meta.created eq", attr("meta.created", domain.CompareEqual, at(2)), []string{"carol"}},
		{"meta.lastModified ne", attr("meta.lastModified", domain.CompareNotEqual, at(2)),
			[]string{"Alice", "bob_smith", "bobsmith"}},
		{"meta.created in another zone", attr("meta.created", domain.CompareEqual,
			base.Add(3*time.Minute).In(time.FixedZone("x", 3600)).Format(time.RFC3339)),
			[]string{"bobsmith"}},
		{"and", and(attr("name.familyName", domain.CompareEqual, "smith"),
			attr("emails.type", domain.CompareEqual, "work")), []string{"bobsmith"}},
		{"or", or(attr("userName", domain.CompareEqual, "alice"),
			attr("userName", domain.CompareEqual, "carol")), []string{"Alice", "carol"}},
		{"not", not(attr("userName", domain.CompareStartsWith, "bob")),
			[]string{"Alice", "carol"}},
		{"grouping", and(not(attr("active", domain.CompareEqual, false)),
			or(attr("userName", domain.CompareEqual, "alice"),
				attr("name.givenName", domain.CompareEqual, "bob"))),
			[]string{"Alice", "bob_smith"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			list, total, err := s.Directory().ListClientMembers(ctx(t), f.org.ID, f.client.ID,
				domain.ListQuery{Filter: tc.filter, Count: 50})
			must(t, err)
			equal(t, "members", userNames(list), tc.want)
			equal(t, "total", total, int64(len(tc.want)))
		})
	}
}

func testUnsupportedFilters(t *testing.T, s ports.Store) {
	f := newFixture(t, s)
	tests := []struct {
		name   string
		filter domain.Filter
	}{
		{"unknown attribute", attr("shoeSize", domain.CompareEqual, "x")},
		{"unknown schema", &domain.AttributeFilter{
			Path: domain.AttributePath{
				Schema: "urn:example:params:scim:schemas:custom:1.0:User", Attribute: "department"},
			Operator: domain.CompareEqual, Value: "x"}},
		{"core attribute under the enterprise schema", &domain.AttributeFilter{
			Path: domain.AttributePath{
				Schema: domain.EnterpriseUserSchema, Attribute: "userName"},
			Operator: domain.CompareEqual, Value: "x"}},
		{"manager.displayName is not stored", &domain.AttributeFilter{
			Path: domain.AttributePath{Schema: domain.EnterpriseUserSchema,
				Attribute: "manager", SubAttribute: "displayName"},
			Operator: domain.CompareEqual, Value: "x"}},
		{"complex attribute compared with a value", attr("name", domain.CompareEqual, "x")},
		{"ordering a certificate", attr("x509Certificates.value",
			domain.CompareGreaterThan, "MII")},
		{"addresses without a sub-attribute", attr("addresses", domain.CompareEqual, "x")},
		{"password", attr("password", domain.CompareEqual, "x")},
		{"null with co", attr("title", domain.CompareContains, nil)},
		{"co on a boolean", attr("active", domain.CompareContains, "t")},
		{"gt on a boolean", attr("active", domain.CompareGreaterThan, true)},
		{"boolean as a string", attr("active", domain.CompareEqual, "true")},
		{"co on a date", attr("meta.created", domain.CompareContains, "2025")},
		{"bad date", attr("meta.created", domain.CompareGreaterThan, "yesterday")},
		{"number for a string", attr("userName", domain.CompareEqual, 3.0)},
		{"null inside a multi-valued attribute", attr("emails.value", domain.CompareEqual, nil)},
		{"unknown operator", attr("userName", domain.Comparison("xx"), "a")},
		{"unknown email sub-attribute", attr("emails.shoeSize", domain.CompareEqual, "a")},
		{"value filter on a single-valued attribute", &domain.ValuePathFilter{
			Path:   domain.AttributePath{Attribute: "userName"},
			Filter: attr("value", domain.CompareEqual, "x")}},
		{"nested value filter", &domain.ValuePathFilter{
			Path: domain.AttributePath{Attribute: "emails"},
			Filter: &domain.ValuePathFilter{Path: domain.AttributePath{Attribute: "emails"},
				Filter: attr("value", domain.CompareEqual, "x")}}},
		{"unsupported inside an or", or(attr("userName", domain.CompareEqual, "a"),
			attr("nickname.first", domain.CompareEqual, "b"))},
		{"group attribute on users", attr("members", domain.CompareEqual, "x")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := s.Directory().ListClientMembers(ctx(t), f.org.ID, f.client.ID,
				domain.ListQuery{Filter: tc.filter, Count: 10})
			de := wantKind(t, err, domain.KindInvalid)
			equal(t, "reason", de.Reason, domain.ReasonInvalidFilter)
		})
	}
}

func testSorting(t *testing.T, s ports.Store) {
	f := newFixture(t, s)
	names := []string{"delta", "Alpha", "charlie", "bravo"}
	// Family names sort case-insensitively, and delta, without one, sorts
	// last ascending and first descending. Given names tie on "Same" for
	// Alpha and charlie, which the id breaks.
	family := []string{"", "adams", "Baker", "carter"}
	given := []string{"Zed", "Same", "Same", "Abe"}
	for i, n := range names {
		m := f.member(n, i)
		m.ID = fmt.Sprintf("member-%d", i)
		m.ExternalID = fmt.Sprintf("x%d", len(names)-i)
		m.UpdatedAt = base.Add(time.Duration(10-i) * time.Minute)
		m.Profile.Name = domain.Name{FamilyName: family[i], GivenName: given[i]}
		f.create(t, s, m)
	}
	tests := []struct {
		sortBy string
		desc   bool
		want   []string
	}{
		{"", false, []string{"delta", "Alpha", "charlie", "bravo"}},
		{"userName", false, []string{"Alpha", "bravo", "charlie", "delta"}},
		{"userName", true, []string{"delta", "charlie", "bravo", "Alpha"}},
		{"displayName", false, []string{"Alpha", "bravo", "charlie", "delta"}},
		{"externalId", false, []string{"bravo", "charlie", "Alpha", "delta"}},
		{"meta.created", true, []string{"bravo", "charlie", "Alpha", "delta"}},
		{"meta.lastModified", false, []string{"bravo", "charlie", "Alpha", "delta"}},
		{"name.familyName", false, []string{"Alpha", "charlie", "bravo", "delta"}},
		{"name.familyName", true, []string{"delta", "bravo", "charlie", "Alpha"}},
		{"NAME.GIVENNAME", false, []string{"bravo", "Alpha", "charlie", "delta"}},
		{"urn:ietf:params:scim:schemas:core:2.0:User:userName", false,
			[]string{"Alpha", "bravo", "charlie", "delta"}},
	}
	for _, tc := range tests {
		list, _, err := s.Directory().ListClientMembers(ctx(t), f.org.ID, f.client.ID,
			domain.ListQuery{SortBy: tc.sortBy, SortDescending: tc.desc, Count: 10})
		must(t, err)
		equal(t, "sortBy "+tc.sortBy, userNames(list), tc.want)
	}
	_, _, err := s.Directory().ListClientMembers(ctx(t), f.org.ID, f.client.ID,
		domain.ListQuery{SortBy: "title", Count: 10})
	wantKind(t, err, domain.KindInvalid)
}

func (f fixture) group(name string, created int) domain.Group {
	at := base.Add(time.Duration(created) * time.Minute)
	return domain.Group{
		ID: newID("group"), OrganizationID: f.org.ID, DisplayName: name,
		ClientID: f.client.ID, Version: 1, CreatedAt: at, UpdatedAt: at,
	}
}

func testGroups(t *testing.T, s ports.Store) {
	f := newFixture(t, s)
	dir := s.Directory()
	g := f.group("Engineering", 0)
	g.ExternalID = "okta-eng"
	must(t, dir.CreateGroup(ctx(t), g))

	got, err := dir.Group(ctx(t), f.org.ID, g.ID)
	must(t, err)
	equal(t, "group", got, g)

	err = dir.CreateGroup(ctx(t), f.group("ENGINEERING", 1))
	de := wantKind(t, err, domain.KindAlreadyExists)
	equal(t, "reason", de.Reason, domain.ReasonUniqueness)

	updated, err := dir.UpdateGroup(ctx(t), f.org.ID, g.ID, func(g *domain.Group) error {
		g.DisplayName = "R&D"
		g.Touch(base.Add(time.Hour))
		return nil
	})
	must(t, err)
	equal(t, "version", updated.Version, int64(2))
	got, err = dir.Group(ctx(t), f.org.ID, g.ID)
	must(t, err)
	equal(t, "updated group", got, updated)

	other := f.group("Sales", 2)
	must(t, dir.CreateGroup(ctx(t), other))
	_, err = dir.UpdateGroup(ctx(t), f.org.ID, other.ID, func(g *domain.Group) error {
		g.DisplayName = "r&d"
		return nil
	})
	wantKind(t, err, domain.KindAlreadyExists)

	list, total, err := dir.ListClientGroups(ctx(t), f.org.ID, f.client.ID, domain.ListQuery{Count: 1, StartIndex: 2})
	must(t, err)
	equal(t, "page", fmt.Sprint(len(list), list[0].ID == other.ID, total), "1 true 2")

	m := f.create(t, s, f.member("alice", 0))
	must(t, dir.AddGroupMembers(ctx(t), f.org.ID, g.ID, []string{m.ID}))
	must(t, dir.DeleteGroup(ctx(t), f.org.ID, g.ID))
	_, err = dir.Group(ctx(t), f.org.ID, g.ID)
	wantKind(t, err, domain.KindNotFound)
	groups, err := dir.GroupsOfMember(ctx(t), f.org.ID, m.ID)
	must(t, err)
	equal(t, "groups of member after delete", len(groups), 0)
	wantKind(t, dir.DeleteGroup(ctx(t), f.org.ID, g.ID), domain.KindNotFound)
}

func memberIDsOf(list []domain.GroupMember) []string {
	out := make([]string, len(list))
	for i, gm := range list {
		out[i] = gm.MemberID
	}
	slices.Sort(out)
	return out
}

func sorted(ids ...string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}

func testGroupMembership(t *testing.T, s ports.Store) {
	f := newFixture(t, s)
	dir := s.Directory()
	g := f.group("Engineering", 0)
	must(t, dir.CreateGroup(ctx(t), g))
	alice := f.create(t, s, f.member("alice", 0))
	bob := f.member("bob", 1)
	bob.Profile.DisplayName = ""
	f.create(t, s, bob)
	carol := f.create(t, s, f.member("carol", 2))

	must(t, dir.AddGroupMembers(ctx(t), f.org.ID, g.ID, []string{alice.ID, bob.ID}))
	// Adding an existing member, or the same id twice, is a no-op.
	must(t, dir.AddGroupMembers(ctx(t), f.org.ID, g.ID, []string{alice.ID, alice.ID}))
	members, err := dir.GroupMembers(ctx(t), f.org.ID, g.ID)
	must(t, err)
	equal(t, "members", memberIDsOf(members), sorted(alice.ID, bob.ID))
	for _, gm := range members {
		if gm.MemberID == bob.ID {
			equal(t, "display falls back to userName", gm.Display, "bob")
		}
	}

	// Removing a member that is not in the group is a no-op.
	must(t, dir.RemoveGroupMembers(ctx(t), f.org.ID, g.ID, []string{carol.ID, bob.ID}))
	members, err = dir.GroupMembers(ctx(t), f.org.ID, g.ID)
	must(t, err)
	equal(t, "after remove", memberIDsOf(members), []string{alice.ID})

	// Removing ids that name no member of the organisation, as an identity
	// provider does for users it has erased, is a no-op too; the group must
	// exist, though.
	must(t, dir.RemoveGroupMembers(ctx(t), f.org.ID, g.ID, []string{"nobody", "erased"}))
	members, err = dir.GroupMembers(ctx(t), f.org.ID, g.ID)
	must(t, err)
	equal(t, "after removing unknown ids", memberIDsOf(members), []string{alice.ID})
	err = dir.RemoveGroupMembers(ctx(t), f.org.ID, "no-such-group", []string{alice.ID})
	wantKind(t, err, domain.KindNotFound)

	// Ids that are not members of the organisation are refused, and nothing
	// of the request is applied.
	err = dir.AddGroupMembers(ctx(t), f.org.ID, g.ID, []string{carol.ID, "nobody"})
	wantKind(t, err, domain.KindInvalid)
	members, err = dir.GroupMembers(ctx(t), f.org.ID, g.ID)
	must(t, err)
	equal(t, "after refused add", memberIDsOf(members), []string{alice.ID})

	groups, err := dir.GroupsOfMember(ctx(t), f.org.ID, alice.ID)
	must(t, err)
	equal(t, "groups of alice", len(groups), 1)

	// The batch lookup answers for several members in one call, oldest group
	// first, and leaves out members without groups and unknown ids.
	second := f.group("Design", 1)
	must(t, dir.CreateGroup(ctx(t), second))
	must(t, dir.AddGroupMembers(ctx(t), f.org.ID, second.ID, []string{alice.ID, carol.ID}))
	batch, err := dir.GroupsOfMembers(ctx(t), f.org.ID,
		[]string{alice.ID, bob.ID, carol.ID, "nobody", alice.ID})
	must(t, err)
	groupIDs := func(list []domain.Group) []string {
		var out []string
		for _, g := range list {
			out = append(out, g.ID)
		}
		return out
	}
	equal(t, "batch: groups of alice", groupIDs(batch[alice.ID]), []string{g.ID, second.ID})
	equal(t, "batch: groups of carol", groupIDs(batch[carol.ID]), []string{second.ID})
	equal(t, "batch: entries", len(batch), 2)
	equal(t, "batch: group name", batch[carol.ID][0].DisplayName, "Design")
	must(t, dir.RemoveGroupMembers(ctx(t), f.org.ID, second.ID, []string{carol.ID}))
	other := newFixture(t, s)
	batch, err = dir.GroupsOfMembers(ctx(t), other.org.ID, []string{alice.ID})
	must(t, err)
	equal(t, "batch: another organisation sees nothing", len(batch), 0)
	_, err = dir.GroupsOfMember(ctx(t), f.org.ID, "nobody")
	wantKind(t, err, domain.KindNotFound)

	// Erasing a member removes its memberships.
	must(t, dir.AddGroupMembers(ctx(t), f.org.ID, g.ID, []string{carol.ID}))
	must(t, dir.EraseMember(ctx(t), f.org.ID, carol.ID))
	members, err = dir.GroupMembers(ctx(t), f.org.ID, g.ID)
	must(t, err)
	equal(t, "after erase", memberIDsOf(members), []string{alice.ID})

	must(t, dir.RemoveAllGroupMembers(ctx(t), f.org.ID, g.ID))
	members, err = dir.GroupMembers(ctx(t), f.org.ID, g.ID)
	must(t, err)
	equal(t, "after remove all", len(members), 0)
}

func testGroupFilters(t *testing.T, s ports.Store) {
	f := newFixture(t, s)
	dir := s.Directory()
	alice := f.create(t, s, f.member("alice", 0))
	eng := f.group("Engineering", 0)
	eng.ExternalID = "EXT-1"
	sales := f.group("Sales", 1)
	empty := f.group("Empty_Group", 2)
	for _, g := range []domain.Group{eng, sales, empty} {
		must(t, dir.CreateGroup(ctx(t), g))
	}
	must(t, dir.AddGroupMembers(ctx(t), f.org.ID, eng.ID, []string{alice.ID}))
	must(t, dir.AddGroupMembers(ctx(t), f.org.ID, sales.ID, []string{alice.ID}))

	tests := []struct {
		name   string
		filter domain.Filter
		want   []string
	}{
		{"displayName eq", attr("displayName", domain.CompareEqual, "engineering"),
			[]string{"Engineering"}},
		{"displayName co escapes _", attr("displayName", domain.CompareContains, "y_g"),
			[]string{"Empty_Group"}},
		{"externalId", attr("externalId", domain.CompareEqual, "EXT-1"), []string{"Engineering"}},
		{"id", attr("id", domain.CompareEqual, sales.ID), []string{"Sales"}},
		{"members eq", attr("members", domain.CompareEqual, alice.ID),
			[]string{"Engineering", "Sales"}},
		{"members.value", attr("members.value", domain.CompareEqual, alice.ID),
			[]string{"Engineering", "Sales"}},
		{"members pr", attr("members", domain.ComparePresent, nil),
			[]string{"Engineering", "Sales"}},
		{"not members pr", not(attr("members", domain.ComparePresent, nil)),
			[]string{"Empty_Group"}},
		{"members[value eq]", &domain.ValuePathFilter{
			Path:   domain.AttributePath{Attribute: "members"},
			Filter: attr("value", domain.CompareEqual, alice.ID)},
			[]string{"Engineering", "Sales"}},
		{"and", and(attr("members", domain.CompareEqual, alice.ID),
			attr("displayName", domain.CompareStartsWith, "s")), []string{"Sales"}},
		{"meta.created", attr("meta.created", domain.CompareGreaterThan,
			base.Format(time.RFC3339)), []string{"Sales", "Empty_Group"}},
		{"members.display is the member's displayName, case-insensitively",
			attr("members.display", domain.CompareEqual, "ALICE"),
			[]string{"Engineering", "Sales"}},
		{"members[type eq User]", &domain.ValuePathFilter{
			Path:   domain.AttributePath{Attribute: "members"},
			Filter: attr("type", domain.CompareEqual, "User")},
			[]string{"Engineering", "Sales"}},
		{"externalId eq null", attr("externalId", domain.CompareEqual, nil),
			[]string{"Sales", "Empty_Group"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			list, total, err := dir.ListClientGroups(ctx(t), f.org.ID, f.client.ID,
				domain.ListQuery{Filter: tc.filter, Count: 50})
			must(t, err)
			var names []string
			for _, g := range list {
				names = append(names, g.DisplayName)
			}
			equal(t, "groups", names, tc.want)
			equal(t, "total", total, int64(len(tc.want)))
		})
	}

	for _, bad := range []domain.Filter{
		attr("userName", domain.CompareEqual, "x"),
		attr("members.$ref", domain.CompareEqual, "x"),
		attr("title", domain.CompareEqual, "x"),
	} {
		_, _, err := dir.ListClientGroups(ctx(t), f.org.ID, f.client.ID, domain.ListQuery{Filter: bad, Count: 5})
		de := wantKind(t, err, domain.KindInvalid)
		equal(t, "reason", de.Reason, domain.ReasonInvalidFilter)
	}
}

func testGroupIsolation(t *testing.T, s ports.Store) {
	a, b := newFixture(t, s), newFixture(t, s)
	dir := s.Directory()
	g := a.group("Engineering", 0)
	must(t, dir.CreateGroup(ctx(t), g))
	alice := a.create(t, s, a.member("alice", 0))
	bobOfB := b.create(t, s, b.member("bob", 0))
	gb := b.group("Engineering", 0)
	must(t, dir.CreateGroup(ctx(t), gb))

	_, err := dir.Group(ctx(t), b.org.ID, g.ID)
	wantKind(t, err, domain.KindNotFound)
	_, err = dir.UpdateGroup(ctx(t), b.org.ID, g.ID, func(*domain.Group) error { return nil })
	wantKind(t, err, domain.KindNotFound)
	wantKind(t, dir.DeleteGroup(ctx(t), b.org.ID, g.ID), domain.KindNotFound)
	_, err = dir.GroupMembers(ctx(t), b.org.ID, g.ID)
	wantKind(t, err, domain.KindNotFound)
	wantKind(t, dir.AddGroupMembers(ctx(t), b.org.ID, g.ID, []string{bobOfB.ID}),
		domain.KindNotFound)
	wantKind(t, dir.RemoveAllGroupMembers(ctx(t), b.org.ID, g.ID), domain.KindNotFound)
	// A member of another organisation cannot join, nor be removed.
	wantKind(t, dir.AddGroupMembers(ctx(t), a.org.ID, g.ID, []string{bobOfB.ID}),
		domain.KindInvalid)
	wantKind(t, dir.AddGroupMembers(ctx(t), b.org.ID, gb.ID, []string{alice.ID}),
		domain.KindInvalid)
	_, err = dir.GroupsOfMember(ctx(t), b.org.ID, alice.ID)
	wantKind(t, err, domain.KindNotFound)
	list, total, err := dir.ListClientGroups(ctx(t), b.org.ID, b.client.ID, domain.ListQuery{Count: 10})
	must(t, err)
	equal(t, "groups of b", fmt.Sprint(len(list), total), "1 1")

	got, err := dir.Group(ctx(t), a.org.ID, g.ID)
	must(t, err)
	equal(t, "a's group untouched", got, g)
}

func (f fixture) event(op domain.Operation, outcome domain.Outcome, minute int) domain.Event {
	return domain.Event{
		ID: newID("event"), OrganizationID: f.org.ID, ClientID: f.client.ID,
		Operation: op, Outcome: outcome, Actor: "scim:" + f.client.ID,
		OccurredAt: base.Add(time.Duration(minute) * time.Minute),
	}
}

func testEvents(t *testing.T, s ports.Store) {
	f := newFixture(t, s)
	audit := s.Audit()
	first := f.event(domain.OpUserCreate, domain.OutcomeSucceeded, 0)
	first.MemberID, first.RequestID = "member-1", "req-1"
	first.ChangedAttributes = []string{"userName", "emails"}
	must(t, audit.AppendEvent(ctx(t), first))
	failed := f.event(domain.OpUserUpdate, domain.OutcomeFailed, 1)
	failed.MemberID, failed.ErrorCode, failed.ErrorDetail = "member-1", "invalid", "bad"
	must(t, audit.AppendEvent(ctx(t), failed))
	for i := range 5 {
		must(t, audit.AppendEvent(ctx(t), f.event(domain.OpGroupCreate, domain.OutcomeSucceeded, 2+i/2)))
	}
	wantKind(t, audit.AppendEvent(ctx(t), first), domain.KindAlreadyExists)

	list, next, err := audit.ListEvents(ctx(t), f.org.ID, ports.EventQuery{MemberID: "member-1"})
	must(t, err)
	equal(t, "next", next, "")
	equal(t, "member events", len(list), 2)
	equal(t, "newest first", list[0].ID, failed.ID)
	first.ChangedAttributes = []string{"userName", "emails"}
	equal(t, "stored event", list[1], first)

	list, _, err = audit.ListEvents(ctx(t), f.org.ID,
		ports.EventQuery{Operation: domain.OpUserUpdate, Outcome: domain.OutcomeFailed})
	must(t, err)
	equal(t, "failed updates", len(list), 1)
	list, _, err = audit.ListEvents(ctx(t), f.org.ID, ports.EventQuery{
		Since: base.Add(time.Minute), Until: base.Add(3 * time.Minute), ClientID: f.client.ID})
	must(t, err)
	equal(t, "window", len(list), 3)

	var all []string
	token := ""
	for range 10 {
		page, next, err := audit.ListEvents(ctx(t), f.org.ID,
			ports.EventQuery{Page: ports.Page{Size: 2, Token: token}})
		must(t, err)
		for _, e := range page {
			all = append(all, e.ID)
		}
		if next == "" {
			break
		}
		token = next
	}
	equal(t, "paged events", len(all), 7)
	for i, id := range all {
		if slices.Index(all, id) != i {
			t.Fatalf("event %s listed twice", id)
		}
	}
}

func testEventIsolation(t *testing.T, s ports.Store) {
	a, b := newFixture(t, s), newFixture(t, s)
	must(t, s.Audit().AppendEvent(ctx(t), a.event(domain.OpUserCreate, domain.OutcomeSucceeded, 0)))
	list, _, err := s.Audit().ListEvents(ctx(t), b.org.ID, ports.EventQuery{})
	must(t, err)
	equal(t, "events of b", len(list), 0)
	list, _, err = s.Audit().ListEvents(ctx(t), b.org.ID, ports.EventQuery{ClientID: a.client.ID})
	must(t, err)
	equal(t, "a's client's events seen from b", len(list), 0)
	stats, err := s.Audit().ClientStatistics(ctx(t), b.org.ID, a.client.ID)
	must(t, err)
	equal(t, "a's statistics seen from b", stats, domain.ClientStatistics{})
}

func testStatistics(t *testing.T, s ports.Store) {
	f := newFixture(t, s)
	other := f
	other.client.ID = newID("other-client")
	update := f.event(domain.OpUserUpdate, domain.OutcomeSucceeded, 3)
	update.ChangedAttributes = []string{"title"}
	// An update that changed nothing is logged but updated no one.
	noOp := f.event(domain.OpUserUpdate, domain.OutcomeSucceeded, 3)
	events := []domain.Event{
		f.event(domain.OpUserCreate, domain.OutcomeSucceeded, 0),
		f.event(domain.OpUserCreate, domain.OutcomeSucceeded, 1),
		f.event(domain.OpUserCreate, domain.OutcomeFailed, 2),
		update,
		noOp,
		f.event(domain.OpUserDeactivate, domain.OutcomeSucceeded, 4),
		f.event(domain.OpUserReactivate, domain.OutcomeSucceeded, 5),
		f.event(domain.OpUserDelete, domain.OutcomeSucceeded, 6),
		f.event(domain.OpUserErase, domain.OutcomeSucceeded, 7),
		f.event(domain.OpGroupUpdate, domain.OutcomeSucceeded, 8),
		f.event(domain.OpRequestRefused, domain.OutcomeRefused, 9),
		f.event(domain.OpRequestRefused, domain.OutcomeRefused, 10),
		f.event(domain.OpUserUpdate, domain.OutcomeFailed, 11),
		// An admin action later than every sync does not count as a sync.
		f.event(domain.OpClientRotate, domain.OutcomeSucceeded, 12),
		other.event(domain.OpUserCreate, domain.OutcomeSucceeded, 13),
	}
	for _, e := range events {
		must(t, s.Audit().AppendEvent(ctx(t), e))
	}

	stats, err := s.Audit().ClientStatistics(ctx(t), f.org.ID, f.client.ID)
	must(t, err)
	equal(t, "statistics", stats, domain.ClientStatistics{
		UsersCreated: 2, UsersUpdated: 1, UsersDeactivated: 1, UsersReactivated: 1,
		UsersDeleted: 2, RequestsFailed: 2, RequestsRefused: 2,
		LastSyncAt: base.Add(8 * time.Minute),
	})

	none, err := s.Audit().ClientStatistics(ctx(t), f.org.ID, "no-events")
	must(t, err)
	equal(t, "no events", none, domain.ClientStatistics{})
}

func testRetention(t *testing.T, s ports.Store) {
	a, b := newFixture(t, s), newFixture(t, s)
	for i := range 4 {
		must(t, s.Audit().AppendEvent(ctx(t), a.event(domain.OpUserUpdate, domain.OutcomeSucceeded, i)))
		must(t, s.Audit().AppendEvent(ctx(t), b.event(domain.OpUserUpdate, domain.OutcomeSucceeded, i)))
	}
	n, err := s.Audit().DeleteEventsBefore(ctx(t), base.Add(2*time.Minute))
	must(t, err)
	equal(t, "deleted", n, int64(4))
	list, _, err := s.Audit().ListEvents(ctx(t), a.org.ID, ports.EventQuery{})
	must(t, err)
	equal(t, "kept", len(list), 2)
	equal(t, "oldest kept", list[1].OccurredAt, base.Add(2*time.Minute))
}

func testTransactionRollsBack(t *testing.T, s ports.Store) {
	f := newFixture(t, s)
	m := f.member("alice", 0)
	failure := errors.New("boom")
	err := s.Transaction(ctx(t), func(tx ports.Repositories) error {
		if err := tx.Directory().CreateMember(ctx(t), m); err != nil {
			return err
		}
		if _, err := tx.Directory().UpdateMember(ctx(t), f.org.ID, m.ID,
			func(m *domain.Member) error { m.Version++; return nil }); err != nil {
			return err
		}
		e := f.event(domain.OpUserCreate, domain.OutcomeSucceeded, 0)
		if err := tx.Audit().AppendEvent(ctx(t), e); err != nil {
			return err
		}
		return failure
	})
	if !errors.Is(err, failure) {
		t.Fatalf("transaction error = %v, want the error of fn", err)
	}
	_, err = s.Directory().Member(ctx(t), f.org.ID, m.ID)
	wantKind(t, err, domain.KindNotFound)
	list, _, err := s.Audit().ListEvents(ctx(t), f.org.ID, ports.EventQuery{})
	must(t, err)
	equal(t, "events after rollback", len(list), 0)

	err = s.Transaction(ctx(t), func(tx ports.Repositories) error {
		if err := tx.Directory().CreateMember(ctx(t), m); err != nil {
			return err
		}
		return tx.Audit().AppendEvent(ctx(t), f.event(domain.OpUserCreate, domain.OutcomeSucceeded, 0))
	})
	must(t, err)
	_, err = s.Directory().Member(ctx(t), f.org.ID, m.ID)
	must(t, err)
}

// concurrency is how many goroutines the race tests start.
const concurrency = 24

func testConcurrentUpdates(t *testing.T, s ports.Store) {
	f := newFixture(t, s)
	m := f.create(t, s, f.member("alice", 0))

	errs := make(chan error, concurrency)
	start := make(chan struct{})
	for i := range concurrency {
		go func() {
			<-start
			_, err := s.Directory().UpdateMember(ctx(t), f.org.ID, m.ID,
				func(m *domain.Member) error {
					m.Version++
					m.Profile.Title = fmt.Sprintf("title %d", i)
					return nil
				})
			errs <- err
		}()
	}
	close(start)
	for range concurrency {
		must(t, <-errs)
	}

	got, err := s.Directory().Member(ctx(t), f.org.ID, m.ID)
	must(t, err)
	equal(t, "version", got.Version, int64(1+concurrency))
}

func testConcurrentCreates(t *testing.T, s ports.Store) {
	f := newFixture(t, s)
	errs := make(chan error, concurrency)
	start := make(chan struct{})
	for i := range concurrency {
		m := f.member("same", i)
		if i%2 == 1 {
			m.UserName = "SAME"
		}
		go func() {
			<-start
			errs <- s.Directory().CreateMember(ctx(t), m)
		}()
	}
	close(start)

	created := 0
	for range concurrency {
		err := <-errs
		if err == nil {
			created++
			continue
		}
		de := wantKind(t, err, domain.KindAlreadyExists)
		equal(t, "reason", de.Reason, domain.ReasonUniqueness)
	}
	equal(t, "created", created, 1)
}

// testGroupsPerClient checks that a client lists only the groups it created,
// and that ClientMemberIDs names only the members linked to a client.
func testGroupsPerClient(t *testing.T, s ports.Store) {
	f := newFixture(t, s)
	other := f
	other.client.ID = newID("client")
	other.client.TokenHash = newID("hash")
	must(t, s.Clients().CreateClient(ctx(t), other.client))
	dir := s.Directory()

	mine := f.group("Engineering", 0)
	must(t, dir.CreateGroup(ctx(t), mine))
	theirs := other.group("Sales", 1)
	must(t, dir.CreateGroup(ctx(t), theirs))
	// displayName stays unique in the organisation, whichever client asks.
	wantKind(t, dir.CreateGroup(ctx(t), other.group("ENGINEERING", 2)), domain.KindAlreadyExists)

	list, total, err := dir.ListClientGroups(ctx(t), f.org.ID, f.client.ID,
		domain.ListQuery{Count: 10})
	must(t, err)
	equal(t, "groups of the first client", fmt.Sprint(len(list), total), "1 1")
	equal(t, "listed group", list[0].ID, mine.ID)
	list, _, err = dir.ListClientGroups(ctx(t), f.org.ID, other.client.ID,
		domain.ListQuery{Count: 10, Filter: attr("displayName", domain.CompareEqual, "Engineering")})
	must(t, err)
	equal(t, "the other client's filter on the first client's group", len(list), 0)

	alice := f.create(t, s, f.member("alice", 0))
	bob := other.create(t, s, other.member("bob", 1))
	invited := f.member("carol", 2)
	invited.ClientID = ""
	invited = f.create(t, s, invited)
	found, err := dir.ClientMemberIDs(ctx(t), f.org.ID, f.client.ID,
		[]string{alice.ID, bob.ID, invited.ID, "nobody"})
	must(t, err)
	equal(t, "members of the first client", found, []string{alice.ID})
}
