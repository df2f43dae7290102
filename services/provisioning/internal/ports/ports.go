// Package ports declares what the application needs of the outside world:
// the client registry, the user directory and the audit store. Adapters
// implement them; the application depends on nothing else.
package ports

import (
	"context"
	"time"

	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
)

// Store is the database behind every repository.
type Store interface {
	Repositories

	// Transaction runs fn with repositories bound to one transaction. It
	// commits when fn returns nil and rolls back otherwise, so a change and
	// its provisioning event are stored together or not at all.
	Transaction(ctx context.Context, fn func(tx Repositories) error) error

	// Ping reports whether the database answers, for readiness checks.
	Ping(ctx context.Context) error

	// Close releases the database connections.
	Close() error
}

// Repositories gives access to each repository.
type Repositories interface {
	Organizations() OrganizationRegistry
	Clients() ClientRegistry
	Directory() UserDirectory
	Audit() AuditStore
}

// OrganizationRegistry stores organisations and their plans.
type OrganizationRegistry interface {
	// Organization returns an organisation, or a KindNotFound error.
	Organization(ctx context.Context, id string) (domain.Organization, error)
	// UpsertOrganization creates the organisation or updates its name and
	// plan.
	UpsertOrganization(ctx context.Context, org domain.Organization) error
}

// ClientRegistry stores SCIM clients and their token hashes. Every method
// but ClientByTokenHash is scoped to one organisation: a client of another
// organisation is reported as not found.
type ClientRegistry interface {
	CreateClient(ctx context.Context, client domain.ScimClient) error
	// ClientByTokenHash finds the client whose token hashes to hash, or
	// returns a KindNotFound error.
	ClientByTokenHash(ctx context.Context, hash string) (domain.ScimClient, error)
	Client(ctx context.Context, orgID, clientID string) (domain.ScimClient, error)
	// ListClients returns the organisation's clients, oldest first.
	ListClients(ctx context.Context, orgID string) ([]domain.ScimClient, error)
	// UpdateClient loads the client, locked for the transaction, lets change
	// modify it, and saves it. An error from change aborts the update.
	UpdateClient(
		ctx context.Context,
		orgID, clientID string,
		change func(*domain.ScimClient) error,
	) (domain.ScimClient, error)
	DeleteClient(ctx context.Context, orgID, clientID string) error
}

// UserDirectory stores members and groups of each organisation. Every
// method is scoped to one organisation.
type UserDirectory interface {
	// CreateMember stores a new member. It returns a KindAlreadyExists error
	// with ReasonUniqueness when the userName is taken in the organisation.
	CreateMember(ctx context.Context, member domain.Member) error
	Member(ctx context.Context, orgID, memberID string) (domain.Member, error)
	// MemberByEmail finds a member by any of its emails, case-insensitively.
	MemberByEmail(ctx context.Context, orgID, email string) (domain.Member, error)
	// FindMatches returns the members whose userName equals userName or
	// whose emails include one of emails, case-insensitively.
	FindMatches(
		ctx context.Context,
		orgID, userName string,
		emails []string,
	) ([]domain.Member, error)
	// ListClientMembers returns one page of the members linked to a SCIM
	// client and the total number that match the query.
	ListClientMembers(
		ctx context.Context,
		orgID, clientID string,
		query domain.ListQuery,
	) ([]domain.Member, int64, error)
	// ListMembers returns one page of every member of the organisation in a
	// stable order, and the token of the next page ("" on the last).
	ListMembers(ctx context.Context, orgID string, page Page) ([]domain.Member, string, error)
	// UpdateMember loads the member, locked for the transaction, lets change
	// modify it, and saves it. An error from change aborts the update.
	UpdateMember(
		ctx context.Context,
		orgID, memberID string,
		change func(*domain.Member) error,
	) (domain.Member, error)
	// EraseMember deletes the member's personal data and group memberships
	// for good.
	EraseMember(ctx context.Context, orgID, memberID string) error
	// UnlinkClientMembers removes every member from a client's management.
	UnlinkClientMembers(ctx context.Context, orgID, clientID string) error
	// LockKeys serialises the transactions that name the same keys, such
	// as a userName or an email of one organisation, until they end. Call
	// it inside Store.Transaction, before reading what the keys guard, and
	// once per transaction for each kind of key, in the order the
	// application documents (identities first, then owners).
	LockKeys(ctx context.Context, keys []string) error
	// CountActiveOwners counts the organisation's owners who may log in.
	CountActiveOwners(ctx context.Context, orgID string) (int64, error)

	// CreateGroup stores a new group. It returns a KindAlreadyExists error
	// with ReasonUniqueness when the displayName is taken.
	CreateGroup(ctx context.Context, group domain.Group) error
	Group(ctx context.Context, orgID, groupID string) (domain.Group, error)
	// ListClientGroups returns one page of the groups a SCIM client created
	// and the total number that match the query.
	ListClientGroups(
		ctx context.Context,
		orgID, clientID string,
		query domain.ListQuery,
	) ([]domain.Group, int64, error)
	UpdateGroup(
		ctx context.Context,
		orgID, groupID string,
		change func(*domain.Group) error,
	) (domain.Group, error)
	DeleteGroup(ctx context.Context, orgID, groupID string) error
	// GroupMembers returns the members of a group.
	GroupMembers(ctx context.Context, orgID, groupID string) ([]domain.GroupMember, error)
	// AddGroupMembers and RemoveGroupMembers change membership as set
	// operations, without reading the member list. AddGroupMembers refuses
	// ids that are not members of the organisation with KindInvalid;
	// RemoveGroupMembers ignores ids that are not in the group, whether or
	// not they name a member, so removing an erased user is no error.
	AddGroupMembers(ctx context.Context, orgID, groupID string, memberIDs []string) error
	RemoveGroupMembers(ctx context.Context, orgID, groupID string, memberIDs []string) error
	RemoveAllGroupMembers(ctx context.Context, orgID, groupID string) error
	// GroupMemberIDsIn returns those of ids that are members of the group,
	// reading only those memberships.
	GroupMemberIDsIn(ctx context.Context, orgID, groupID string, ids []string) ([]string, error)
	// ClientMemberIDs returns those of ids that name members of the
	// organisation linked to the SCIM client, in no particular order.
	ClientMemberIDs(ctx context.Context, orgID, clientID string, ids []string) ([]string, error)
	// GroupsOfMember returns the groups a member belongs to.
	GroupsOfMember(ctx context.Context, orgID, memberID string) ([]domain.Group, error)
	// GroupsOfMembers returns the groups of several members at once, keyed
	// by member id, so a page of users costs one query rather than one per
	// user. Members without groups, and ids that name no member, have no
	// entry.
	GroupsOfMembers(
		ctx context.Context,
		orgID string,
		memberIDs []string,
	) (map[string][]domain.Group, error)
}

// AuditStore keeps the provisioning log. Events are only ever appended,
// except by retention.
type AuditStore interface {
	AppendEvent(ctx context.Context, event domain.Event) error
	// ListEvents returns one page of events, newest first, and the token of
	// the next page ("" on the last).
	ListEvents(ctx context.Context, orgID string, query EventQuery) ([]domain.Event, string, error)
	// ClientStatistics counts a client's events.
	ClientStatistics(ctx context.Context, orgID, clientID string) (domain.ClientStatistics, error)
	// LatestIdentityProvider returns the identity provider of the client's
	// latest event that names one, or "".
	LatestIdentityProvider(ctx context.Context, orgID, clientID string) (string, error)
	// DeleteEventsBefore removes events older than cutoff and returns how
	// many it removed.
	DeleteEventsBefore(ctx context.Context, cutoff time.Time) (int64, error)
}

// Page asks for one page of a listing.
type Page struct {
	Size  int
	Token string
}

// EventQuery filters and pages the provisioning log. Zero fields do not
// filter.
type EventQuery struct {
	ClientID  string
	MemberID  string
	Operation domain.Operation
	Outcome   domain.Outcome
	Since     time.Time
	Until     time.Time
	Page      Page
}
