package gormstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/ports"
)

var _ ports.EventChain = (*Store)(nil)

// sealerLockKey is the Postgres advisory lock that lets one sealer work at a
// time across replicas. The key is arbitrary and fixed.
const sealerLockKey = 7314020

// sealBatch is how many events retention seals per round.
const sealBatch = 1000

// chainRow is the part of an event row the chain needs.
type chainRow struct {
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
	// CompatibilityRules is the event's JSON list of rules.
	CompatibilityRules string `gorm:"column:compatibility_rules"`
	ChainSeq           *int64 `gorm:"column:chain_seq"`
	ChainHash          string `gorm:"column:chain_hash"`
}

const chainColumns = `id, organization_id, client_id, operation, outcome, member_id, group_id,
	actor, request_id, changed_attributes, error_code, error_detail, occurred_at,
	identity_provider, compatibility_rules, chain_seq, chain_hash`

func (r chainRow) chained() (domain.ChainedEvent, error) {
	var changed []string
	if err := json.Unmarshal([]byte(r.ChangedAttributes), &changed); err != nil {
		return domain.ChainedEvent{}, fmt.Errorf("decode changed attributes of event %s: %w", r.ID, err)
	}
	var rules []string
	if r.CompatibilityRules != "" {
		if err := json.Unmarshal([]byte(r.CompatibilityRules), &rules); err != nil {
			return domain.ChainedEvent{}, fmt.Errorf("decode compatibility rules of event %s: %w", r.ID, err)
		}
	}
	c := domain.ChainedEvent{
		Event: domain.Event{
			ID:                r.ID,
			OrganizationID:    r.OrganizationID,
			ClientID:          r.ClientID,
			Operation:         domain.Operation(r.Operation),
			Outcome:           domain.Outcome(r.Outcome),
			MemberID:          r.MemberID,
			GroupID:           r.GroupID,
			Actor:             r.Actor,
			RequestID:         r.RequestID,
			ChangedAttributes: changed,
			ErrorCode:         r.ErrorCode,
			ErrorDetail:       r.ErrorDetail,
			OccurredAt:        r.OccurredAt.Time,

			IdentityProvider:   r.IdentityProvider,
			CompatibilityRules: rules,
		},
		Hash: r.ChainHash,
	}
	if r.ChainSeq != nil {
		c.Seq = *r.ChainSeq
	}
	return c, nil
}

// chainTail is the last link of an organisation's chain.
type chainTail struct {
	seq  int64
	hash string
}

// SealEvents seals up to limit unsealed events, oldest first, in one
// transaction. On Postgres it takes a transaction-scoped advisory lock
// without waiting: when another replica holds it, it returns 0 at once.
// SQLite's single writing connection already serialises sealers.
//
// Provisioning transactions never touch the chain: they insert unsealed
// rows, and this UPDATE changes rows they have already committed, so no row
// is shared between concurrent requests.
func (s *Store) SealEvents(ctx context.Context, limit int) (int, error) {
	sealed, err := s.repos.sealEvents(ctx, limit)
	if err != nil {
		return 0, storeError("seal events", err)
	}
	return sealed, nil
}

func (r repos) sealEvents(ctx context.Context, limit int) (int, error) {
	sealed := 0
	err := r.writeTx(ctx, func(tx repos) error {
		sealed = 0
		if tx.dialect == dialectPostgres {
			var locked bool
			err := tx.db.Raw("SELECT pg_try_advisory_xact_lock(?)", sealerLockKey).Row().Scan(&locked)
			if err != nil || !locked {
				return err
			}
		}

		var rows []chainRow
		err := tx.db.Raw(`SELECT `+chainColumns+` FROM provisioning_events
			WHERE chain_seq IS NULL ORDER BY occurred_at, id LIMIT ?`, limit).Scan(&rows).Error
		if err != nil {
			return err
		}

		tails := map[string]chainTail{}
		for _, row := range rows {
			tail, ok := tails[row.OrganizationID]
			if !ok {
				if tail, err = tx.chainTail(ctx, row.OrganizationID); err != nil {
					return err
				}
			}
			c, err := row.chained()
			if err != nil {
				return err
			}
			c.Seq = tail.seq + 1
			c.Hash = domain.ChainLink(tail.hash, c.Seq, c.Event)

			res := tx.db.WithContext(ctx).Exec(
				`UPDATE provisioning_events SET chain_seq = ?, chain_hash = ?
				WHERE id = ? AND chain_seq IS NULL`, c.Seq, c.Hash, c.Event.ID)
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected != 1 {
				return fmt.Errorf("event %s was sealed by someone else", c.Event.ID)
			}
			tails[row.OrganizationID] = chainTail{seq: c.Seq, hash: c.Hash}
			sealed++
		}
		return nil
	})
	return sealed, err
}

// chainTail returns the organisation's last sealed event, or its retention
// checkpoint when retention removed every sealed event.
func (r repos) chainTail(ctx context.Context, orgID string) (chainTail, error) {
	var rows []struct {
		Seq  int64  `gorm:"column:chain_seq"`
		Hash string `gorm:"column:chain_hash"`
	}
	err := r.db.WithContext(ctx).Raw(`SELECT chain_seq, chain_hash FROM provisioning_events
		WHERE organization_id = ? AND chain_seq IS NOT NULL
		ORDER BY chain_seq DESC LIMIT 1`, orgID).Scan(&rows).Error
	if err != nil {
		return chainTail{}, err
	}
	if len(rows) == 1 {
		return chainTail{seq: rows[0].Seq, hash: rows[0].Hash}, nil
	}
	seq, hash, err := r.checkpoint(ctx, orgID)
	return chainTail{seq: seq, hash: hash}, err
}

func (r repos) checkpoint(ctx context.Context, orgID string) (int64, string, error) {
	var rows []struct {
		Seq  int64  `gorm:"column:chain_seq"`
		Hash string `gorm:"column:chain_hash"`
	}
	err := r.db.WithContext(ctx).Raw(`SELECT chain_seq, chain_hash FROM provisioning_chain_checkpoints
		WHERE organization_id = ?`, orgID).Scan(&rows).Error
	if err != nil || len(rows) == 0 {
		return 0, "", err
	}
	return rows[0].Seq, rows[0].Hash, nil
}

// ChainStart returns the organisation's retention checkpoint, or 0 and "".
func (s *Store) ChainStart(ctx context.Context, orgID string) (int64, string, error) {
	seq, hash, err := repos{db: s.readDB, read: s.readDB, dialect: s.dialect}.checkpoint(ctx, orgID)
	if err != nil {
		return 0, "", storeError("read chain start", err)
	}
	return seq, hash, nil
}

// ChainEvents returns up to limit sealed events after afterSeq, in sequence
// order.
func (s *Store) ChainEvents(
	ctx context.Context,
	orgID string,
	afterSeq int64,
	limit int,
) ([]domain.ChainedEvent, error) {
	var rows []chainRow
	err := s.readDB.WithContext(ctx).Raw(`SELECT `+chainColumns+` FROM provisioning_events
		WHERE organization_id = ? AND chain_seq > ? ORDER BY chain_seq LIMIT ?`,
		orgID, afterSeq, limit).Scan(&rows).Error
	if err != nil {
		return nil, storeError("read chain", err)
	}
	events := make([]domain.ChainedEvent, len(rows))
	for i, row := range rows {
		if events[i], err = row.chained(); err != nil {
			return nil, storeError("read chain", err)
		}
	}
	return events, nil
}

// CountUnsealedEvents counts the organisation's events the sealer has not
// reached yet.
func (s *Store) CountUnsealedEvents(ctx context.Context, orgID string) (int64, error) {
	var n int64
	err := s.readDB.WithContext(ctx).Raw(`SELECT COUNT(*) FROM provisioning_events
		WHERE organization_id = ? AND chain_seq IS NULL`, orgID).Row().Scan(&n)
	if err != nil {
		return 0, storeError("count unsealed events", err)
	}
	return n, nil
}

// expireEvents is the retention of the provisioning log. For each
// organisation with sealed events older than cutoff, it records a checkpoint
// at the newest of them and deletes the organisation's chain up to it, a
// prefix in sequence order, so the rest of the chain still verifies from the
// checkpoint. Events that are not sealed yet wait for the next run.
func (r repos) expireEvents(ctx context.Context, cutoff time.Time) (int64, error) {
	var deleted int64
	err := r.writeTx(ctx, func(tx repos) error {
		deleted = 0
		// Old events must be sealed before they can be removed.
		for {
			n, err := tx.sealEvents(ctx, sealBatch)
			if err != nil {
				return err
			}
			if n < sealBatch {
				break
			}
		}

		var ends []struct {
			OrganizationID string `gorm:"column:organization_id"`
			Seq            int64  `gorm:"column:seq"`
		}
		err := tx.db.WithContext(ctx).Raw(`SELECT organization_id, MAX(chain_seq) AS seq
			FROM provisioning_events WHERE occurred_at < ? AND chain_seq IS NOT NULL
			GROUP BY organization_id`, newDBTime(cutoff)).Scan(&ends).Error
		if err != nil {
			return err
		}

		for _, end := range ends {
			var hash string
			err := tx.db.WithContext(ctx).Raw(`SELECT chain_hash FROM provisioning_events
				WHERE organization_id = ? AND chain_seq = ?`, end.OrganizationID, end.Seq).
				Row().Scan(&hash)
			if err != nil {
				return err
			}
			err = tx.db.WithContext(ctx).Exec(`INSERT INTO provisioning_chain_checkpoints
				(organization_id, chain_seq, chain_hash, updated_at) VALUES (?, ?, ?, ?)
				ON CONFLICT (organization_id) DO UPDATE
				SET chain_seq = excluded.chain_seq, chain_hash = excluded.chain_hash,
					updated_at = excluded.updated_at`,
				end.OrganizationID, end.Seq, hash, newDBTime(time.Now())).Error
			if err != nil {
				return err
			}
			res := tx.db.WithContext(ctx).Exec(`DELETE FROM provisioning_events
				WHERE organization_id = ? AND chain_seq <= ?`, end.OrganizationID, end.Seq)
			if res.Error != nil {
				return res.Error
			}
			deleted += res.RowsAffected
		}
		return nil
	})
	return deleted, err
}
