package postgres

import (
	"context"
	"fmt"
	"time"
)

// UseOnce records key until until and reports whether this is its first
// use since any earlier record of it ended. It is the optional method of
// an authgo.RevocationStore that makes an OAuth callback usable once on
// every instance that shares the database: authgo records each state that
// reaches a callback (by its hash) before it redeems the code.
//
// The record is one upsert in authgo_used that writes only when the key is
// new or its record has ended: of callers racing on a key, PostgreSQL lets
// one write and the others, waiting on its row, see it. The same statement
// drops up to 100 ended records, skipping rows other writers hold.
func (s *Store) UseOnce(ctx context.Context, key string, until time.Time) (first bool, err error) {
	tag, err := s.pool.Exec(ctx, `WITH swept AS (DELETE FROM authgo_used WHERE key IN (
			SELECT key FROM authgo_used WHERE expires_at <= $3 AND key <> $1
			LIMIT 100 FOR UPDATE SKIP LOCKED))
		INSERT INTO authgo_used AS u (key, expires_at) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE u.expires_at <= $3`,
		key, until, time.Now())
	if err != nil {
		return false, fmt.Errorf("postgres: use once: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}
