package sqlite

import (
	"context"
	"fmt"
	"time"
)

// UseOnce records key until until and reports whether this is its first
// use since any earlier record of it ended. It is the optional method of
// an [authgo.RevocationStore] that makes an OAuth callback usable once on
// every instance that shares the database: authgo records each state that
// reaches a callback (by its hash) before it redeems the code.
//
// The record is one upsert that writes only when the key is new or its
// record has ended, so two handles on the file (two processes) racing on a
// key see one first use. Each call first drops the records that have
// ended.
func (s *Store) UseOnce(ctx context.Context, key string, until time.Time) (first bool, err error) {
	now := time.Now().UnixMilli()
	// One transaction, so one sync of the file for both statements.
	tx, err := s.w.begin(ctx, s.db)
	if err != nil {
		return false, fmt.Errorf("sqlite: use once: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM authgo_used WHERE expires_at <= ?`, now); err != nil {
		return false, fmt.Errorf("sqlite: drop ended keys: %w", err)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO authgo_used (key, expires_at) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE authgo_used.expires_at <= ?`,
		key, until.UnixMilli(), now)
	if err != nil {
		return false, fmt.Errorf("sqlite: use once: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("sqlite: use once: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("sqlite: use once: %w", err)
	}
	return n == 1, nil
}
