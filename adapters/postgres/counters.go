package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/authgo/authgo"
)

// Counters is an [authgo.Counter] in authgo_counters, so that sign-in
// limits hold across the instances that share the database and across
// restarts.
type Counters struct {
	pool *pgxpool.Pool
}

var _ authgo.Counter = (*Counters)(nil)

// Counters returns the store's [authgo.Counter].
func (s *Store) Counters() *Counters { return &Counters{pool: s.pool} }

var errCounterKey = fmt.Errorf("postgres: counter key must be 1 to %d bytes", authgo.MaxCounterKey)

// Add counts one event for key (authgo.Counter) in one statement, so
// concurrent Adds from several processes each get their own count. It also
// drops counters whose window has ended.
func (c *Counters) Add(ctx context.Context, key string, window time.Duration) (int64, time.Time, error) {
	if key == "" || len(key) > authgo.MaxCounterKey {
		return 0, time.Time{}, errCounterKey
	}
	if window <= 0 {
		return 0, time.Time{}, errors.New("postgres: counter window must be positive")
	}
	now := time.Now()
	var n int64
	var ends time.Time
	// The sweep leaves this key to the upsert, takes at most 100 rows and
	// skips rows other writers hold: concurrent Adds never wait on each
	// other's sweeps.
	err := c.pool.QueryRow(ctx, `WITH swept AS (DELETE FROM authgo_counters WHERE key IN (
			SELECT key FROM authgo_counters WHERE ends_at <= $3 AND key <> $1
			LIMIT 100 FOR UPDATE SKIP LOCKED))
		INSERT INTO authgo_counters AS c (key, n, ends_at) VALUES ($1, 1, $2)
		ON CONFLICT (key) DO UPDATE SET
			n = CASE WHEN c.ends_at <= $3 THEN 1 ELSE c.n + 1 END,
			ends_at = CASE WHEN c.ends_at <= $3 THEN excluded.ends_at ELSE c.ends_at END
		RETURNING n, ends_at`, key, now.Add(window), now).Scan(&n, &ends)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("postgres: count: %w", err)
	}
	return n, ends, nil
}

// Count returns key's count in its running window and when it ends
// (authgo.Counter).
func (c *Counters) Count(ctx context.Context, key string) (int64, time.Time, error) {
	if key == "" || len(key) > authgo.MaxCounterKey {
		return 0, time.Time{}, errCounterKey
	}
	var n int64
	var ends time.Time
	err := c.pool.QueryRow(ctx, `SELECT n, ends_at FROM authgo_counters WHERE key = $1 AND ends_at > $2`,
		key, time.Now()).Scan(&n, &ends)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, time.Time{}, nil
	}
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("postgres: read counter: %w", err)
	}
	return n, ends, nil
}

// Reset ends key's window (authgo.Counter).
func (c *Counters) Reset(ctx context.Context, key string) error {
	if key == "" || len(key) > authgo.MaxCounterKey {
		return errCounterKey
	}
	if _, err := c.pool.Exec(ctx, `DELETE FROM authgo_counters WHERE key = $1`, key); err != nil {
		return fmt.Errorf("postgres: reset counter: %w", err)
	}
	return nil
}
