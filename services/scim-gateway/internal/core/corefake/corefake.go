// Package corefake is an in-memory provisioning core for tests of the SCIM
// handlers. It keeps the rules the handlers rely on (case-insensitive
// userName uniqueness, versions, authentication) and nothing more.
package corefake

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/craevidence/scim-provisioning/services/scim-gateway/internal/core"
	"github.com/craevidence/scim-provisioning/services/scim-gateway/internal/scim"
)

// Core is an in-memory core.Provisioning. The zero value is not usable; call
// New.
type Core struct {
	token string

	mu     sync.Mutex
	seq    int
	users  map[string]scim.User
	groups map[string]scim.Group
	order  []string
	// fail, when set, is consulted first by every call with its name.
	fail func(method string) error
	// calls counts calls by method name; optimistic counts those of them
	// marked with core.WithOptimisticAttempt.
	calls      map[string]int
	optimistic map[string]int
	// rejections are the reports accepted by ReportRejection.
	rejections []core.Rejection
}

// New returns an empty core that accepts only token.
func New(token string) *Core {
	return &Core{
		token:  token,
		users:  map[string]scim.User{},
		groups: map[string]scim.Group{},
		calls:  map[string]int{},

		optimistic: map[string]int{},
	}
}

// FailWith makes every later call for which f returns an error fail with it.
func (c *Core) FailWith(f func(method string) error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fail = f
}

// Calls returns how often method was called.
func (c *Core) Calls(method string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[method]
}

// OptimisticCalls returns how often method was called with a context
// marked by core.WithOptimisticAttempt.
func (c *Core) OptimisticCalls(method string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.optimistic[method]
}

// Bump raises a user's version behind the gateway's back, as a concurrent
// writer would.
func (c *Core) Bump(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	u := c.users[id]
	u.Meta.Version++
	c.users[id] = u
}

// enter locks the core and checks the token; callers defer c.mu.Unlock.
func (c *Core) enter(ctx context.Context, method string) error {
	c.mu.Lock()
	c.calls[method]++
	if core.IsOptimisticAttempt(ctx) {
		c.optimistic[method]++
	}
	if c.fail != nil {
		if err := c.fail(method); err != nil {
			return err
		}
	}
	if core.TokenFrom(ctx) != c.token {
		return &core.Error{Kind: core.KindUnauthenticated, Message: "invalid token"}
	}
	return nil
}

func notFound(kind, id string) error {
	return &core.Error{Kind: core.KindNotFound, Message: fmt.Sprintf("%s %s not found", kind, id)}
}

func stale() error {
	return &core.Error{Kind: core.KindPreconditionFailed,
		Message: "the resource changed since the given version"}
}

func (c *Core) nextMeta() *scim.Meta {
	c.seq++
	now := time.Date(2026, 1, 1, 0, 0, c.seq, 0, time.UTC)
	return &scim.Meta{Created: &now, LastModified: &now, Version: 1}
}

// Ping always succeeds.
func (c *Core) Ping(context.Context) error { return nil }

// ReportRejection records the report when the token is valid.
func (c *Core) ReportRejection(ctx context.Context, r core.Rejection) error {
	defer c.mu.Unlock()
	if err := c.enter(ctx, "ReportRejection"); err != nil {
		return err
	}
	c.rejections = append(c.rejections, r)
	return nil
}

// Rejections returns the reports ReportRejection accepted, oldest first.
func (c *Core) Rejections() []core.Rejection {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.rejections)
}

// Authenticate checks the token.
func (c *Core) Authenticate(ctx context.Context) (core.Client, error) {
	defer c.mu.Unlock()
	if err := c.enter(ctx, "Authenticate"); err != nil {
		return core.Client{}, err
	}
	return core.Client{OrganizationID: "org-1", ClientID: "client-1", Name: "test"}, nil
}

// CreateUser stores a user, refusing a userName already taken.
func (c *Core) CreateUser(ctx context.Context, u scim.User) (scim.User, error) {
	defer c.mu.Unlock()
	if err := c.enter(ctx, "CreateUser"); err != nil {
		return scim.User{}, err
	}
	if u.UserName == "" {
		return scim.User{}, &core.Error{Kind: core.KindInvalid, ScimType: scim.ErrInvalidValue,
			Message: "userName is required"}
	}
	if c.userNameTaken(u.UserName, "") {
		return scim.User{}, &core.Error{Kind: core.KindAlreadyExists,
			Message: "userName is already taken"}
	}

	u.Meta = c.nextMeta()
	u.ID = fmt.Sprintf("u-%d", c.seq)
	if u.Active == nil {
		t := true
		u.Active = &t
	}
	c.users[u.ID] = u
	c.order = append(c.order, u.ID)
	return u, nil
}

func (c *Core) userNameTaken(name, except string) bool {
	for id, other := range c.users {
		if id != except && strings.EqualFold(other.UserName, name) {
			return true
		}
	}
	return false
}

// GetUser returns a user.
func (c *Core) GetUser(ctx context.Context, id string) (scim.User, error) {
	defer c.mu.Unlock()
	if err := c.enter(ctx, "GetUser"); err != nil {
		return scim.User{}, err
	}
	u, ok := c.users[id]
	if !ok {
		return scim.User{}, notFound("user", id)
	}
	return u, nil
}

// ListUsers filters with scim.Matches over the encoded users, in creation
// order.
func (c *Core) ListUsers(ctx context.Context, q core.ListQuery) (core.UserPage, error) {
	defer c.mu.Unlock()
	if err := c.enter(ctx, "ListUsers"); err != nil {
		return core.UserPage{}, err
	}
	var matched []scim.User
	for _, id := range c.order {
		u, ok := c.users[id]
		if !ok {
			continue
		}
		doc, err := scim.EncodeUser(u)
		if err != nil {
			return core.UserPage{}, err
		}
		if q.Filter == nil || scim.Matches(q.Filter, doc) {
			matched = append(matched, u)
		}
	}
	docs := make([]map[string]any, len(matched))
	for i, u := range matched {
		docs[i], _ = scim.EncodeUser(u)
	}
	sortByDocs(matched, docs, q)
	return core.UserPage{Users: page(matched, q), Total: int64(len(matched))}, nil
}

// sortByDocs orders resources by the string at q.SortBy in their documents,
// case-insensitively, with resources without a value last (first when
// descending), as the core does.
func sortByDocs[T any](items []T, docs []map[string]any, q core.ListQuery) {
	if q.SortBy == "" {
		return
	}
	keys := make([]string, len(items))
	for i, doc := range docs {
		var v any = doc
		for _, part := range strings.Split(q.SortBy, ".") {
			m, _ := v.(map[string]any)
			v = nil
			for k, sub := range m {
				if strings.EqualFold(k, part) {
					v = sub
				}
			}
		}
		s, _ := v.(string)
		keys[i] = strings.ToLower(s)
	}
	idx := make([]int, len(items))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		ka, kb := keys[a], keys[b]
		if (ka == "") != (kb == "") {
			if ka == "" {
				return 1
			}
			return -1
		}
		c := strings.Compare(ka, kb)
		if q.SortDescending {
			c = -c
		}
		return c
	})
	sorted := make([]T, len(items))
	for i, j := range idx {
		sorted[i] = items[j]
	}
	copy(items, sorted)
}

func page[T any](all []T, q core.ListQuery) []T {
	start := max(q.StartIndex, 1) - 1
	if start >= len(all) || q.Count <= 0 {
		return nil
	}
	end := min(start+q.Count, len(all))
	return slices.Clone(all[start:end])
}

// UpdateUser replaces a user, checking the version.
func (c *Core) UpdateUser(
	ctx context.Context,
	u scim.User,
	expectedVersion int64,
	_ core.UpdateKind,
) (scim.User, error) {
	defer c.mu.Unlock()
	if err := c.enter(ctx, "UpdateUser"); err != nil {
		return scim.User{}, err
	}
	old, ok := c.users[u.ID]
	if !ok {
		return scim.User{}, notFound("user", u.ID)
	}
	if expectedVersion != 0 && expectedVersion != old.Meta.Version {
		return scim.User{}, stale()
	}
	if c.userNameTaken(u.UserName, u.ID) {
		return scim.User{}, &core.Error{Kind: core.KindAlreadyExists,
			Message: "userName is already taken"}
	}

	meta := *old.Meta
	meta.Version++
	u.Meta, u.Groups = &meta, old.Groups
	if u.Active == nil {
		u.Active = old.Active
	}
	c.users[u.ID] = u
	return u, nil
}

// DeleteUser removes a user.
func (c *Core) DeleteUser(ctx context.Context, id string, expectedVersion int64) error {
	defer c.mu.Unlock()
	if err := c.enter(ctx, "DeleteUser"); err != nil {
		return err
	}
	old, ok := c.users[id]
	if !ok {
		return notFound("user", id)
	}
	if expectedVersion != 0 && expectedVersion != old.Meta.Version {
		return stale()
	}
	delete(c.users, id)
	return nil
}

// CreateGroup stores a group.
func (c *Core) CreateGroup(ctx context.Context, g scim.Group) (scim.Group, error) {
	defer c.mu.Unlock()
	if err := c.enter(ctx, "CreateGroup"); err != nil {
		return scim.Group{}, err
	}
	for _, other := range c.groups {
		if strings.EqualFold(other.DisplayName, g.DisplayName) {
			return scim.Group{}, &core.Error{Kind: core.KindAlreadyExists,
				Message: "displayName is already taken"}
		}
	}
	g.Meta = c.nextMeta()
	g.ID = fmt.Sprintf("g-%d", c.seq)
	c.groups[g.ID] = g
	c.order = append(c.order, g.ID)
	return g, nil
}

// GetGroup returns a group.
func (c *Core) GetGroup(ctx context.Context, id string, excludeMembers bool) (scim.Group, error) {
	defer c.mu.Unlock()
	if err := c.enter(ctx, "GetGroup"); err != nil {
		return scim.Group{}, err
	}
	g, ok := c.groups[id]
	if !ok {
		return scim.Group{}, notFound("group", id)
	}
	if excludeMembers {
		g.Members = nil
	}
	return g, nil
}

// ListGroups filters groups like ListUsers.
func (c *Core) ListGroups(ctx context.Context, q core.ListQuery) (core.GroupPage, error) {
	defer c.mu.Unlock()
	if err := c.enter(ctx, "ListGroups"); err != nil {
		return core.GroupPage{}, err
	}
	var matched []scim.Group
	for _, id := range c.order {
		g, ok := c.groups[id]
		if !ok {
			continue
		}
		doc, err := scim.EncodeGroup(g)
		if err != nil {
			return core.GroupPage{}, err
		}
		if q.Filter == nil || scim.Matches(q.Filter, doc) {
			if q.ExcludeMembers {
				g.Members = nil
			}
			matched = append(matched, g)
		}
	}
	return core.GroupPage{Groups: page(matched, q), Total: int64(len(matched))}, nil
}

// ReplaceGroup replaces a group.
func (c *Core) ReplaceGroup(
	ctx context.Context,
	g scim.Group,
	expectedVersion int64,
) (scim.Group, error) {
	defer c.mu.Unlock()
	if err := c.enter(ctx, "ReplaceGroup"); err != nil {
		return scim.Group{}, err
	}
	old, ok := c.groups[g.ID]
	if !ok {
		return scim.Group{}, notFound("group", g.ID)
	}
	if expectedVersion != 0 && expectedVersion != old.Meta.Version {
		return scim.Group{}, stale()
	}
	meta := *old.Meta
	meta.Version++
	g.Meta = &meta
	c.groups[g.ID] = g
	return g, nil
}

// ModifyGroup applies a GroupChange.
func (c *Core) ModifyGroup(ctx context.Context, m core.GroupModification) (scim.Group, error) {
	defer c.mu.Unlock()
	if err := c.enter(ctx, "ModifyGroup"); err != nil {
		return scim.Group{}, err
	}
	g, ok := c.groups[m.ID]
	if !ok {
		return scim.Group{}, notFound("group", m.ID)
	}
	if m.ExpectedVersion != 0 && m.ExpectedVersion != g.Meta.Version {
		return scim.Group{}, stale()
	}

	ch := m.Change
	if ch.DisplayName != nil {
		g.DisplayName = *ch.DisplayName
	}
	if ch.ExternalID != nil {
		g.ExternalID = *ch.ExternalID
	}
	if ch.RemoveAllMembers {
		g.Members = nil
	}
	g.Members = slices.DeleteFunc(slices.Clone(g.Members), func(r scim.Reference) bool {
		return slices.Contains(ch.RemoveMemberIDs, r.Value)
	})
	for _, id := range ch.AddMemberIDs {
		if !slices.ContainsFunc(g.Members, func(r scim.Reference) bool { return r.Value == id }) {
			g.Members = append(g.Members, scim.Reference{Value: id, Type: "User"})
		}
	}
	meta := *g.Meta
	meta.Version++
	g.Meta = &meta
	c.groups[g.ID] = g

	if m.ExcludeMembers {
		g.Members = nil
	}
	return g, nil
}

// DeleteGroup removes a group.
func (c *Core) DeleteGroup(ctx context.Context, id string, expectedVersion int64) error {
	defer c.mu.Unlock()
	if err := c.enter(ctx, "DeleteGroup"); err != nil {
		return err
	}
	g, ok := c.groups[id]
	if !ok {
		return notFound("group", id)
	}
	if expectedVersion != 0 && expectedVersion != g.Meta.Version {
		return stale()
	}
	delete(c.groups, id)
	return nil
}

var _ core.Provisioning = (*Core)(nil)
