package app

import (
	"context"
	"log/slog"

	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/ports"
)

// Paging bounds of the admin listings.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
)

// ScimClients lets owners and admins of an organisation manage its SCIM
// clients: settings, tokens, statistics and the provisioning log. Every
// change commits together with its provisioning event.
type ScimClients struct {
	store  ports.Store
	now    Clock
	events eventRecorder
	logger *slog.Logger
}

// NewScimClients returns the admin side of SCIM clients. A nil clock uses
// SystemClock.
func NewScimClients(store ports.Store, clock Clock, logger *slog.Logger) *ScimClients {
	if clock == nil {
		clock = SystemClock
	}
	return &ScimClients{
		store:  store,
		now:    clock,
		events: eventRecorder{store: store, now: clock, logger: logger},
		logger: logger,
	}
}

// ClientChanges are the settings an update changes; nil fields stay.
type ClientChanges struct {
	Name            *string
	SSOConnectionID *string
	DefaultRole     *domain.Role
	AutoActivate    *bool
	SyncAttributes  *bool
	AllowDeletion   *bool
	Enabled         *bool
}

// Create creates an enabled SCIM client for the admin's organisation and
// returns it with its token. Only the token's hash is stored, so this is the
// one time it can be shown. A refused or failed creation is logged.
func (s *ScimClients) Create(
	ctx context.Context,
	admin Admin,
	settings domain.ClientSettings,
) (domain.ScimClient, string, error) {
	client, token, err := s.create(ctx, admin, settings)
	if err != nil {
		s.events.adminFailed(ctx, admin, domain.OpClientCreate, "", "", err)
	}
	return client, token, err
}

func (s *ScimClients) create(
	ctx context.Context,
	admin Admin,
	settings domain.ClientSettings,
) (domain.ScimClient, string, error) {
	if err := admin.authorize(); err != nil {
		return domain.ScimClient{}, "", err
	}
	if err := settings.Validate(); err != nil {
		return domain.ScimClient{}, "", err
	}

	org, err := s.store.Organizations().Organization(ctx, admin.OrganizationID)
	if err != nil && !domain.IsKind(err, domain.KindNotFound) {
		return domain.ScimClient{}, "", asDomainError(err)
	}
	if err != nil || !org.CanUseSCIM() {
		return domain.ScimClient{}, "", domain.Errorf(domain.KindPermissionDenied,
			"SCIM provisioning needs the Enterprise plan")
	}

	now := s.now()
	client := domain.ScimClient{
		ID:             NewID(),
		OrganizationID: org.ID,
		Enabled:        true,
		CreatedAt:      now,
		UpdatedAt:      now,
	}
	settings.Apply(&client)
	token, err := client.IssueToken(now)
	if err != nil {
		return domain.ScimClient{}, "", err
	}

	event := s.events.event(ctx, org.ID, client.ID, admin.actor(), domain.OpClientCreate)
	err = s.store.Transaction(ctx, func(tx ports.Repositories) error {
		if err := tx.Clients().CreateClient(ctx, client); err != nil {
			return err
		}
		return tx.Audit().AppendEvent(ctx, event)
	})
	if err != nil {
		return domain.ScimClient{}, "", asDomainError(err)
	}

	s.logger.Info("scim client created",
		"org_id", org.ID, "client_id", client.ID, "actor", admin.actor(),
		"request_id", event.RequestID)
	return client, token, nil
}

// List returns the organisation's SCIM clients, oldest first.
func (s *ScimClients) List(ctx context.Context, admin Admin) ([]domain.ScimClient, error) {
	if err := admin.authorize(); err != nil {
		return nil, err
	}
	clients, err := s.store.Clients().ListClients(ctx, admin.OrganizationID)
	if err != nil {
		return nil, asDomainError(err)
	}
	for i := range clients {
		if err := s.fillIdentityProvider(ctx, &clients[i]); err != nil {
			return nil, err
		}
	}
	return clients, nil
}

// fillIdentityProvider sets the client's identity provider from the
// provisioning log.
func (s *ScimClients) fillIdentityProvider(ctx context.Context, client *domain.ScimClient) error {
	provider, err := s.store.Audit().LatestIdentityProvider(ctx, client.OrganizationID, client.ID)
	if err != nil {
		return asDomainError(err)
	}
	client.IdentityProvider = provider
	return nil
}

// Get returns one SCIM client of the organisation.
func (s *ScimClients) Get(ctx context.Context, admin Admin, clientID string) (domain.ScimClient, error) {
	if err := admin.authorize(); err != nil {
		return domain.ScimClient{}, err
	}
	if !domain.ValidID(clientID) {
		return domain.ScimClient{}, clientNotFound(clientID)
	}
	client, err := s.store.Clients().Client(ctx, admin.OrganizationID, clientID)
	if err != nil {
		return domain.ScimClient{}, clientError(err, clientID)
	}
	if err := s.fillIdentityProvider(ctx, &client); err != nil {
		return domain.ScimClient{}, err
	}
	return client, nil
}

// Update changes the given settings. Turning the client on or off is logged
// as client.enable or client.disable, any other change as client.update; an
// update that fails is logged as a failed client.update.
func (s *ScimClients) Update(
	ctx context.Context,
	admin Admin,
	clientID string,
	changes ClientChanges,
) (domain.ScimClient, error) {
	updated, err := s.update(ctx, admin, clientID, changes)
	if err != nil {
		s.events.adminFailed(ctx, admin, domain.OpClientUpdate, clientID, "", err)
	}
	return updated, err
}

func (s *ScimClients) update(
	ctx context.Context,
	admin Admin,
	clientID string,
	changes ClientChanges,
) (domain.ScimClient, error) {
	if err := admin.authorize(); err != nil {
		return domain.ScimClient{}, err
	}
	if !domain.ValidID(clientID) {
		return domain.ScimClient{}, clientNotFound(clientID)
	}

	var events []domain.Event
	var updated domain.ScimClient
	err := s.store.Transaction(ctx, func(tx ports.Repositories) error {
		events = nil
		var err error
		updated, err = tx.Clients().UpdateClient(ctx, admin.OrganizationID, clientID,
			func(c *domain.ScimClient) error {
				settings, changed, err := changes.apply(c.Settings())
				if err != nil {
					return err
				}
				settings.Apply(c)
				now := s.now()

				if len(changed) > 0 {
					e := s.events.event(ctx, c.OrganizationID, c.ID, admin.actor(), domain.OpClientUpdate)
					e.ChangedAttributes = changed
					events = append(events, e)
				}
				if changes.Enabled != nil && *changes.Enabled != c.Enabled {
					c.Enabled = *changes.Enabled
					op := domain.OpClientDisable
					if c.Enabled {
						op = domain.OpClientEnable
					}
					e := s.events.event(ctx, c.OrganizationID, c.ID, admin.actor(), op)
					e.ChangedAttributes = []string{"enabled"}
					events = append(events, e)
				}
				if len(events) > 0 {
					c.UpdatedAt = now
				}
				return nil
			})
		if err != nil {
			return err
		}

		for _, e := range events {
			if err := tx.Audit().AppendEvent(ctx, e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return domain.ScimClient{}, clientError(err, clientID)
	}

	for _, e := range events {
		s.logger.Info("scim client changed",
			"operation", string(e.Operation), "org_id", e.OrganizationID, "client_id", e.ClientID,
			"actor", e.Actor, "request_id", e.RequestID)
	}
	return updated, nil
}

// apply returns settings with the changes made, validated, and the names of
// the settings that changed.
func (c ClientChanges) apply(settings domain.ClientSettings) (domain.ClientSettings, []string, error) {
	before := settings
	if c.Name != nil {
		settings.Name = *c.Name
	}
	if c.SSOConnectionID != nil {
		settings.SSOConnectionID = *c.SSOConnectionID
	}
	if c.DefaultRole != nil {
		settings.DefaultRole = *c.DefaultRole
	}
	if c.AutoActivate != nil {
		settings.AutoActivate = *c.AutoActivate
	}
	if c.SyncAttributes != nil {
		settings.SyncAttributes = *c.SyncAttributes
	}
	if c.AllowDeletion != nil {
		settings.AllowDeletion = *c.AllowDeletion
	}
	if err := settings.Validate(); err != nil {
		return settings, nil, err
	}

	var changed []string
	add := func(name string, differs bool) {
		if differs {
			changed = append(changed, name)
		}
	}
	add("name", before.Name != settings.Name)
	add("sso_connection_id", before.SSOConnectionID != settings.SSOConnectionID)
	add("default_role", before.DefaultRole != settings.DefaultRole)
	add("auto_activate", before.AutoActivate != settings.AutoActivate)
	add("allow_sync_attributes", before.SyncAttributes != settings.SyncAttributes)
	add("allow_deletion", before.AllowDeletion != settings.AllowDeletion)
	return settings, changed, nil
}

// RotateToken gives the client a new token and returns it. The old hash is
// replaced in the same transaction as the event, and since no token lookup
// is cached the old token fails on the very next request. A rotation that
// fails is logged.
func (s *ScimClients) RotateToken(
	ctx context.Context,
	admin Admin,
	clientID string,
) (domain.ScimClient, string, error) {
	rotated, token, err := s.rotateToken(ctx, admin, clientID)
	if err != nil {
		s.events.adminFailed(ctx, admin, domain.OpClientRotate, clientID, "", err)
	}
	return rotated, token, err
}

func (s *ScimClients) rotateToken(
	ctx context.Context,
	admin Admin,
	clientID string,
) (domain.ScimClient, string, error) {
	if err := admin.authorize(); err != nil {
		return domain.ScimClient{}, "", err
	}
	if !domain.ValidID(clientID) {
		return domain.ScimClient{}, "", clientNotFound(clientID)
	}

	var token string
	var rotated domain.ScimClient
	var event domain.Event
	err := s.store.Transaction(ctx, func(tx ports.Repositories) error {
		var err error
		rotated, err = tx.Clients().UpdateClient(ctx, admin.OrganizationID, clientID,
			func(c *domain.ScimClient) error {
				now := s.now()
				token, err = c.IssueToken(now)
				c.UpdatedAt = now
				return err
			})
		if err != nil {
			return err
		}
		event = s.events.event(ctx, rotated.OrganizationID, rotated.ID, admin.actor(),
			domain.OpClientRotate)
		event.ChangedAttributes = []string{"token"}
		return tx.Audit().AppendEvent(ctx, event)
	})
	if err != nil {
		return domain.ScimClient{}, "", clientError(err, clientID)
	}

	s.logger.Info("scim client token rotated",
		"org_id", rotated.OrganizationID, "client_id", rotated.ID, "actor", admin.actor(),
		"request_id", event.RequestID)
	return rotated, token, nil
}

// Delete removes the connection. Its members stay, unlinked, and its events
// stay for their full retention. A deletion that fails is logged.
func (s *ScimClients) Delete(ctx context.Context, admin Admin, clientID string) error {
	err := s.delete(ctx, admin, clientID)
	if err != nil {
		s.events.adminFailed(ctx, admin, domain.OpClientDelete, clientID, "", err)
	}
	return err
}

func (s *ScimClients) delete(ctx context.Context, admin Admin, clientID string) error {
	if err := admin.authorize(); err != nil {
		return err
	}
	if !domain.ValidID(clientID) {
		return clientNotFound(clientID)
	}

	event := s.events.event(ctx, admin.OrganizationID, clientID, admin.actor(), domain.OpClientDelete)
	err := s.store.Transaction(ctx, func(tx ports.Repositories) error {
		if _, err := tx.Clients().Client(ctx, admin.OrganizationID, clientID); err != nil {
			return err
		}
		if err := tx.Directory().UnlinkClientMembers(ctx, admin.OrganizationID, clientID); err != nil {
			return err
		}
		if err := tx.Clients().DeleteClient(ctx, admin.OrganizationID, clientID); err != nil {
			return err
		}
		return tx.Audit().AppendEvent(ctx, event)
	})
	if err != nil {
		return clientError(err, clientID)
	}

	s.logger.Info("scim client deleted",
		"org_id", admin.OrganizationID, "client_id", clientID, "actor", admin.actor(),
		"request_id", event.RequestID)
	return nil
}

// Statistics counts what a client has done, from the provisioning log.
func (s *ScimClients) Statistics(
	ctx context.Context,
	admin Admin,
	clientID string,
) (domain.ClientStatistics, error) {
	if err := admin.authorize(); err != nil {
		return domain.ClientStatistics{}, err
	}
	if !domain.ValidID(clientID) {
		return domain.ClientStatistics{}, clientNotFound(clientID)
	}
	if _, err := s.store.Clients().Client(ctx, admin.OrganizationID, clientID); err != nil {
		return domain.ClientStatistics{}, clientError(err, clientID)
	}
	stats, err := s.store.Audit().ClientStatistics(ctx, admin.OrganizationID, clientID)
	return stats, asDomainError(err)
}

// ListEvents returns one page of the organisation's provisioning log, newest
// first, and the token of the next page.
func (s *ScimClients) ListEvents(
	ctx context.Context,
	admin Admin,
	query ports.EventQuery,
) ([]domain.Event, string, error) {
	if err := admin.authorize(); err != nil {
		return nil, "", err
	}
	query.Page.Size = pageSize(query.Page.Size)
	events, next, err := s.store.Audit().ListEvents(ctx, admin.OrganizationID, query)
	return events, next, asDomainError(err)
}

// pageSize applies the admin listings' default and bound.
func pageSize(size int) int {
	if size <= 0 {
		return DefaultPageSize
	}
	return min(size, MaxPageSize)
}

// clientError gives a missing client the same answer whether it does not
// exist or belongs to another organisation.
func clientError(err error, clientID string) error {
	err = asDomainError(err)
	if domain.IsKind(err, domain.KindNotFound) {
		return clientNotFound(clientID)
	}
	return err
}

// clientNotFound is the one answer for a client the admin may not see.
func clientNotFound(clientID string) error {
	return domain.Errorf(domain.KindNotFound, "SCIM client %s not found", domain.QuoteID(clientID))
}
