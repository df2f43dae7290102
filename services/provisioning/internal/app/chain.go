package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/ports"
)

// sealBatch is how many events one sealing transaction links.
const sealBatch = 500

// verifyPage is how many sealed events Verify reads at a time.
const verifyPage = 1000

// ProvisioningLog seals the provisioning log into a hash chain per
// organisation and verifies it. Sealing runs after the events commit, in the
// background, so that no provisioning transaction waits on the tail of a
// chain: a per-organisation "last hash" row that every request updated would
// be exactly the hot row DESIGN.md rules out.
type ProvisioningLog struct {
	chain  ports.EventChain
	logger *slog.Logger
}

// NewProvisioningLog returns the sealer and verifier of the provisioning log.
func NewProvisioningLog(chain ports.EventChain, logger *slog.Logger) *ProvisioningLog {
	return &ProvisioningLog{chain: chain, logger: logger}
}

// Seal links every event that is not sealed yet and returns how many it
// linked. Another replica's sealer at work makes it return early; that one
// seals the rest.
func (l *ProvisioningLog) Seal(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := l.chain.SealEvents(ctx, sealBatch)
		total += n
		if err != nil {
			return total, asDomainError(err)
		}
		if n < sealBatch {
			return total, nil
		}
	}
}

// RunSealer seals new events every interval until ctx ends.
func (l *ProvisioningLog) RunSealer(ctx context.Context, interval time.Duration) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		if _, err := l.Seal(ctx); err != nil && ctx.Err() == nil {
			l.logger.Error("seal provisioning events", "error", err)
		}
	}
}

// Verify seals what is pending, then walks the admin's organisation's chain
// from its start (or retention's checkpoint) and reports the first event
// that was changed, removed or inserted. Events still unsealed, written
// after the sealing pass, are counted as pending, not as broken.
//
// TODO: deleting the newest events, or appending forged events whose hashes
// are computed correctly, cannot be seen from inside the database; it needs
// the chain's head anchored outside it (published, or signed with a key the
// database does not hold).
func (l *ProvisioningLog) Verify(ctx context.Context, admin Admin) (domain.ChainReport, error) {
	if err := admin.authorize(); err != nil {
		return domain.ChainReport{}, err
	}
	if _, err := l.Seal(ctx); err != nil {
		return domain.ChainReport{}, err
	}
	orgID := admin.OrganizationID

	startSeq, startHash, err := l.chain.ChainStart(ctx, orgID)
	if err != nil {
		return domain.ChainReport{}, asDomainError(err)
	}
	walker := domain.NewChainWalker(startSeq, startHash)
	after := startSeq
	for {
		events, err := l.chain.ChainEvents(ctx, orgID, after, verifyPage)
		if err != nil {
			return domain.ChainReport{}, asDomainError(err)
		}
		for _, e := range events {
			if problem := walker.Check(e); problem != "" {
				l.logger.Warn("provisioning log chain broken",
					"org_id", orgID, "event_id", e.Event.ID, "actor", admin.actor())
				return domain.ChainReport{
					Checked:            walker.Checked(),
					FirstBrokenEventID: e.Event.ID,
					Problem:            problem,
				}, nil
			}
			after = e.Seq
		}
		if len(events) < verifyPage {
			break
		}
	}

	pending, err := l.chain.CountUnsealedEvents(ctx, orgID)
	if err != nil {
		return domain.ChainReport{}, asDomainError(err)
	}
	return domain.ChainReport{Intact: true, Checked: walker.Checked(), Pending: pending}, nil
}
