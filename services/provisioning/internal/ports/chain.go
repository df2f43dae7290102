package ports

import (
	"context"

	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
)

// EventChain seals provisioning events into a hash chain per organisation
// and reads the chain back for verification. Events are appended unsealed,
// so a provisioning transaction never waits on the chain's tail; sealing
// happens shortly after commit, one sealer at a time across replicas.
type EventChain interface {
	// SealEvents gives up to limit unsealed events, oldest first, their
	// sequence number and chain hash (domain.ChainLink), and returns how many
	// it sealed. It returns 0 at once when another sealer is at work.
	SealEvents(ctx context.Context, limit int) (int, error)
	// ChainStart returns where the organisation's chain starts: the sequence
	// and hash of the last event retention removed, or 0 and "".
	ChainStart(ctx context.Context, orgID string) (seq int64, hash string, err error)
	// ChainEvents returns up to limit sealed events of the organisation with
	// a sequence number above afterSeq, in sequence order.
	ChainEvents(
		ctx context.Context,
		orgID string,
		afterSeq int64,
		limit int,
	) ([]domain.ChainedEvent, error)
	// CountUnsealedEvents counts the organisation's events not sealed yet.
	CountUnsealedEvents(ctx context.Context, orgID string) (int64, error)
}
