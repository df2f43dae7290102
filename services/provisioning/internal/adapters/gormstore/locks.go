package gormstore

import (
	"context"
	"fmt"
	"hash/fnv"
	"slices"

	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
)

// LockKeys takes a transaction-scoped lock on each key, in sorted order so
// that two transactions asking for overlapping keys cannot deadlock. On
// Postgres each key is an advisory lock on a 64-bit hash of it, released at
// commit or rollback: two transactions with different keys never wait for
// each other, and no row is locked, so no hot row appears. A hash collision
// only makes two unrelated requests wait for each other. SQLite needs
// nothing: its single writing connection already serialises every write.
func (d directory) LockKeys(ctx context.Context, keys []string) error {
	if d.dialect != dialectPostgres || len(keys) == 0 {
		return nil
	}
	if !d.inTx {
		return domain.Internal(fmt.Errorf("lock keys: called outside a transaction"))
	}
	sorted := slices.Clone(keys)
	slices.Sort(sorted)
	for _, key := range slices.Compact(sorted) {
		if err := d.db.WithContext(ctx).Exec("SELECT pg_advisory_xact_lock(?)", lockID(key)).Error; err != nil {
			return storeError("lock keys", err)
		}
	}
	return nil
}

// lockID hashes a lock key into the 64-bit space of Postgres advisory locks.
func lockID(key string) int64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(key))
	return int64(h.Sum64())
}

// CountActiveOwners counts the organisation's members with the owner role
// who may log in.
func (d directory) CountActiveOwners(ctx context.Context, orgID string) (int64, error) {
	var n int64
	err := d.read.WithContext(ctx).Raw(
		"SELECT COUNT(*) FROM members WHERE organization_id = ? AND role = ? AND status = ?",
		orgID, string(domain.RoleOwner), string(domain.StatusActive),
	).Scan(&n).Error
	if err != nil {
		return 0, storeError("count active owners", err)
	}
	return n, nil
}
