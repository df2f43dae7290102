package gormstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/ports"
)

// audit implements ports.AuditStore.
type audit struct{ repos }

type eventRow struct {
	ID                string `gorm:"column:id"`
	OrganizationID    string `gorm:"column:organization_id"`
	ClientID          string `gorm:"column:client_id"`
	Operation         string `gorm:"column:operation"`
	Outcome           string `gorm:"column:outcome"`
	MemberID          string `gorm:"column:member_id"`
	GroupID           string `gorm:"column:group_id"`
	Actor             string `gorm:"column:actor"`
	RequestID         string `gorm:"column:request_id"`
	ChangedAttributes string `gorm:"column:changed_attributes"`
	ErrorCode         string `gorm:"column:error_code"`
	ErrorDetail       string `gorm:"column:error_detail"`
	OccurredAt        dbTime `gorm:"column:occurred_at"`
	IdentityProvider  string `gorm:"column:identity_provider"`
	// CompatibilityRules is a JSON list, read with the event; the rows of
	// event_compatibility_rules are what statistics count.
	CompatibilityRules string `gorm:"column:compatibility_rules"`
	// ChainHash is read only: events are inserted unsealed, and only the
	// sealer sets it.
	ChainHash string `gorm:"column:chain_hash;->"`
}

// ruleRow records that a compatibility rule was applied to an event's
// request. It repeats the event's organisation, client and time so that
// statistics and retention need no join.
type ruleRow struct {
	EventID        string `gorm:"column:event_id"`
	OrganizationID string `gorm:"column:organization_id"`
	ClientID       string `gorm:"column:client_id"`
	Rule           string `gorm:"column:rule"`
	OccurredAt     dbTime `gorm:"column:occurred_at"`
}

func (e eventRow) domain() (domain.Event, error) {
	var changed []string
	if err := json.Unmarshal([]byte(e.ChangedAttributes), &changed); err != nil {
		return domain.Event{}, fmt.Errorf("decode changed attributes of event %s: %w", e.ID, err)
	}
	var rules []string
	if e.CompatibilityRules != "" {
		if err := json.Unmarshal([]byte(e.CompatibilityRules), &rules); err != nil {
			return domain.Event{}, fmt.Errorf("decode compatibility rules of event %s: %w", e.ID, err)
		}
	}
	return domain.Event{
		ID:                e.ID,
		OrganizationID:    e.OrganizationID,
		ClientID:          e.ClientID,
		Operation:         domain.Operation(e.Operation),
		Outcome:           domain.Outcome(e.Outcome),
		MemberID:          e.MemberID,
		GroupID:           e.GroupID,
		Actor:             e.Actor,
		RequestID:         e.RequestID,
		ChangedAttributes: changed,
		ErrorCode:         e.ErrorCode,
		ErrorDetail:       e.ErrorDetail,
		OccurredAt:        e.OccurredAt.Time,

		IdentityProvider:   e.IdentityProvider,
		CompatibilityRules: rules,
		ChainHash:          e.ChainHash,
	}, nil
}

// AppendEvent adds an event to the provisioning log, giving it a
// time-ordered id when it has none.
func (a audit) AppendEvent(ctx context.Context, event domain.Event) error {
	if event.OrganizationID == "" {
		return domain.Errorf(domain.KindInvalid, "a provisioning event needs an organisation")
	}
	if event.ID == "" {
		id, err := uuid.NewV7()
		if err != nil {
			return domain.Internal(fmt.Errorf("append event: %w", err))
		}
		event.ID = id.String()
	}
	if event.OccurredAt.IsZero() {
		event.OccurredAt = time.Now()
	}
	changed := event.ChangedAttributes
	if changed == nil {
		changed = []string{}
	}
	changedJSON, err := json.Marshal(changed)
	if err != nil {
		return domain.Internal(fmt.Errorf("append event: %w", err))
	}
	rules := event.CompatibilityRules
	if rules == nil {
		rules = []string{}
	}
	rulesJSON, err := json.Marshal(rules)
	if err != nil {
		return domain.Internal(fmt.Errorf("append event: %w", err))
	}

	row := eventRow{
		ID:                event.ID,
		OrganizationID:    event.OrganizationID,
		ClientID:          event.ClientID,
		Operation:         string(event.Operation),
		Outcome:           string(event.Outcome),
		MemberID:          event.MemberID,
		GroupID:           event.GroupID,
		Actor:             event.Actor,
		RequestID:         event.RequestID,
		ChangedAttributes: string(changedJSON),
		ErrorCode:         event.ErrorCode,
		ErrorDetail:       event.ErrorDetail,
		OccurredAt:        newDBTime(event.OccurredAt),

		IdentityProvider:   event.IdentityProvider,
		CompatibilityRules: string(rulesJSON),
	}
	ruleRows := make([]ruleRow, len(rules))
	for i, rule := range rules {
		ruleRows[i] = ruleRow{
			EventID:        event.ID,
			OrganizationID: event.OrganizationID,
			ClientID:       event.ClientID,
			Rule:           rule,
			OccurredAt:     row.OccurredAt,
		}
	}

	insert := func(db *gorm.DB) error {
		if err := db.Table("provisioning_events").Create(&row).Error; err != nil {
			return err
		}
		if len(ruleRows) == 0 {
			return nil
		}
		return db.Table("event_compatibility_rules").Create(&ruleRows).Error
	}
	db := a.db.WithContext(ctx)
	if len(ruleRows) == 0 {
		err = insert(db)
	} else {
		// The event and its rule rows are written together; inside the
		// caller's transaction this is a savepoint.
		err = db.Transaction(insert)
	}
	return storeError("append event", err, uniqueRule{
		column: "id",
		detail: "a provisioning event with this id already exists",
	})
}

// ListEvents returns one page of the organisation's events, newest first,
// and the token of the next page.
func (a audit) ListEvents(
	ctx context.Context,
	orgID string,
	query ports.EventQuery,
) ([]domain.Event, string, error) {
	size := pageSize(query.Page.Size)
	after, err := decodePageToken(query.Page.Token)
	if err != nil {
		return nil, "", err
	}

	conds := []string{"organization_id = ?"}
	args := []any{orgID}
	add := func(cond string, arg any) {
		conds = append(conds, cond)
		args = append(args, arg)
	}
	if query.ClientID != "" {
		add("client_id = ?", query.ClientID)
	}
	if query.MemberID != "" {
		add("member_id = ?", query.MemberID)
	}
	if query.Operation != "" {
		add("operation = ?", string(query.Operation))
	}
	if query.Outcome != "" {
		add("outcome = ?", string(query.Outcome))
	}
	if !query.Since.IsZero() {
		add("occurred_at >= ?", newDBTime(query.Since))
	}
	if !query.Until.IsZero() {
		add("occurred_at < ?", newDBTime(query.Until))
	}
	if after != nil {
		at := newDBTime(after.At)
		conds = append(conds, "(occurred_at < ? OR (occurred_at = ? AND id < ?))")
		args = append(args, at, at, after.ID)
	}
	args = append(args, size+1)

	var rows []eventRow
	err = a.read.WithContext(ctx).Raw(
		"SELECT * FROM provisioning_events WHERE "+strings.Join(conds, " AND ")+
			" ORDER BY occurred_at DESC, id DESC LIMIT ?",
		args...,
	).Scan(&rows).Error
	if err != nil {
		return nil, "", storeError("list events", err)
	}

	next := ""
	if len(rows) > size {
		rows = rows[:size]
		last := rows[size-1]
		next = encodePageToken(pageKey{At: last.OccurredAt.Time, ID: last.ID})
	}
	list := make([]domain.Event, len(rows))
	for i, row := range rows {
		if list[i], err = row.domain(); err != nil {
			return nil, "", storeError("list events", err)
		}
	}
	return list, next, nil
}

// statisticsRow is one (operation, outcome) pair of a client's events.
type statisticsRow struct {
	Operation string `gorm:"column:operation"`
	Outcome   string `gorm:"column:outcome"`
	// Unchanged is 1 for events that changed no attribute.
	Unchanged int      `gorm:"column:unchanged"`
	Count     int64    `gorm:"column:n"`
	LastAt    nullTime `gorm:"column:last_at"`
}

// ClientStatistics counts a client's events with one aggregate query over
// the provisioning log, so that no counter row is written per request.
func (a audit) ClientStatistics(
	ctx context.Context,
	orgID, clientID string,
) (domain.ClientStatistics, error) {
	var rows []statisticsRow
	err := a.read.WithContext(ctx).Raw(
		`SELECT operation, outcome,
			CASE WHEN changed_attributes = '[]' THEN 1 ELSE 0 END AS unchanged,
			COUNT(*) AS n, MAX(occurred_at) AS last_at
		FROM provisioning_events
		WHERE organization_id = ? AND client_id = ?
		GROUP BY operation, outcome, CASE WHEN changed_attributes = '[]' THEN 1 ELSE 0 END`,
		orgID, clientID,
	).Scan(&rows).Error
	if err != nil {
		return domain.ClientStatistics{}, storeError("client statistics", err)
	}

	var stats domain.ClientStatistics
	for _, row := range rows {
		switch domain.Outcome(row.Outcome) {
		case domain.OutcomeFailed:
			stats.RequestsFailed += row.Count
			continue
		case domain.OutcomeRefused:
			stats.RequestsRefused += row.Count
			continue
		case domain.OutcomeSucceeded:
		default:
			continue
		}

		switch domain.Operation(row.Operation) {
		case domain.OpUserCreate:
			stats.UsersCreated += row.Count
		case domain.OpUserUpdate:
			// An update that changed nothing is logged, so the log shows
			// every request, but it updated no one.
			if row.Unchanged == 0 {
				stats.UsersUpdated += row.Count
			}
		case domain.OpUserDeactivate:
			stats.UsersDeactivated += row.Count
		case domain.OpUserReactivate:
			stats.UsersReactivated += row.Count
		case domain.OpUserDelete, domain.OpUserErase:
			stats.UsersDeleted += row.Count
		}
		isSync := strings.HasPrefix(row.Operation, "user.") ||
			strings.HasPrefix(row.Operation, "group.")
		if isSync && row.LastAt.Valid && row.LastAt.Time.After(stats.LastSyncAt) {
			stats.LastSyncAt = row.LastAt.Time
		}
	}

	var rules []struct {
		Rule  string `gorm:"column:rule"`
		Count int64  `gorm:"column:n"`
	}
	err = a.read.WithContext(ctx).Raw(
		`SELECT rule, COUNT(*) AS n FROM event_compatibility_rules
		WHERE organization_id = ? AND client_id = ?
		GROUP BY rule ORDER BY rule`,
		orgID, clientID,
	).Scan(&rules).Error
	if err != nil {
		return domain.ClientStatistics{}, storeError("client statistics", err)
	}
	for _, r := range rules {
		stats.CompatibilityRules = append(stats.CompatibilityRules,
			domain.RuleCount{Rule: r.Rule, Events: r.Count})
	}

	stats.IdentityProvider, err = a.LatestIdentityProvider(ctx, orgID, clientID)
	if err != nil {
		return domain.ClientStatistics{}, err
	}
	return stats, nil
}

// LatestIdentityProvider reads the identity provider of the client's latest
// event that names one, walking the client index from its newest end.
func (a audit) LatestIdentityProvider(ctx context.Context, orgID, clientID string) (string, error) {
	var providers []string
	err := a.read.WithContext(ctx).Raw(
		`SELECT identity_provider FROM provisioning_events
		WHERE organization_id = ? AND client_id = ? AND identity_provider <> ''
		ORDER BY occurred_at DESC, id DESC LIMIT 1`,
		orgID, clientID,
	).Scan(&providers).Error
	if err != nil {
		return "", storeError("latest identity provider", err)
	}
	if len(providers) == 0 {
		return "", nil
	}
	return providers[0], nil
}

// DeleteEventsBefore removes every organisation's events older than cutoff,
// for retention, and returns how many it removed. The rules of those events
// go with them, in the same transaction. The append-only guard lets only
// sealed events behind a retention checkpoint go, so expireEvents seals and
// checkpoints first.
func (a audit) DeleteEventsBefore(ctx context.Context, cutoff time.Time) (int64, error) {
	var removed int64
	err := a.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		err := tx.Exec("DELETE FROM event_compatibility_rules WHERE occurred_at < ?",
			newDBTime(cutoff)).Error
		if err != nil {
			return err
		}
		removed, err = repos{db: tx, read: tx, dialect: a.dialect, inTx: true}.
			expireEvents(ctx, cutoff)
		return err
	})
	if err != nil {
		return 0, storeError("delete old events", err)
	}
	return removed, nil
}
