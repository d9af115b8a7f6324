package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/authgo/authgo"
)

// Counters is an [authgo.Counter] in the store's database, so that
// sign-in limits hold across the instances that share it and across
// restarts, and authgo user unlock can reset one from another process.
type Counters struct {
	db *sql.DB
	w  writeLock // the Store's
}

var _ authgo.Counter = (*Counters)(nil)

// Counters returns the store's [authgo.Counter].
func (s *Store) Counters() *Counters { return &Counters{db: s.db, w: s.w} }

// errCounterKey refuses keys no caller should make.
var errCounterKey = fmt.Errorf("sqlite: counter key must be 1 to %d bytes", authgo.MaxCounterKey)

// Add counts one event for key (authgo.Counter) in one statement, so
// concurrent Adds from several processes each get their own count. Each
// Add also drops counters whose window has ended.
func (s *Counters) Add(ctx context.Context, key string, window time.Duration) (int64, time.Time, error) {
	if key == "" || len(key) > authgo.MaxCounterKey {
		return 0, time.Time{}, errCounterKey
	}
	if window <= 0 {
		return 0, time.Time{}, errors.New("sqlite: counter window must be positive")
	}
	now := time.Now().UnixMilli()
	// One transaction, so one sync of the file for both statements.
	tx, err := s.w.begin(ctx, s.db)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("sqlite: count: %w", err)
	}
	defer tx.Rollback()
	var n, ends int64
	err = tx.QueryRowContext(ctx, `INSERT INTO authgo_counters (key, n, ends_at) VALUES (?1, 1, ?2)
		ON CONFLICT (key) DO UPDATE SET
			n = CASE WHEN ends_at <= ?3 THEN 1 ELSE n + 1 END,
			ends_at = CASE WHEN ends_at <= ?3 THEN excluded.ends_at ELSE ends_at END
		RETURNING n, ends_at`, key, now+window.Milliseconds(), now).Scan(&n, &ends)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("sqlite: count: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM authgo_counters WHERE ends_at <= ?`, now); err != nil {
		return 0, time.Time{}, fmt.Errorf("sqlite: drop ended counters: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, time.Time{}, fmt.Errorf("sqlite: count: %w", err)
	}
	return n, time.UnixMilli(ends), nil
}

// Count returns key's count in its running window and when it ends
// (authgo.Counter).
func (s *Counters) Count(ctx context.Context, key string) (int64, time.Time, error) {
	if key == "" || len(key) > authgo.MaxCounterKey {
		return 0, time.Time{}, errCounterKey
	}
	var n, ends int64
	err := s.db.QueryRowContext(ctx, `SELECT n, ends_at FROM authgo_counters WHERE key = ? AND ends_at > ?`,
		key, time.Now().UnixMilli()).Scan(&n, &ends)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, time.Time{}, nil
	}
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("sqlite: read counter: %w", err)
	}
	return n, time.UnixMilli(ends), nil
}

// Reset ends key's window (authgo.Counter).
func (s *Counters) Reset(ctx context.Context, key string) error {
	if key == "" || len(key) > authgo.MaxCounterKey {
		return errCounterKey
	}
	if _, err := s.w.exec(ctx, s.db, `DELETE FROM authgo_counters WHERE key = ?`, key); err != nil {
		return fmt.Errorf("sqlite: reset counter: %w", err)
	}
	return nil
}

// CountersWithPrefix returns the running counters whose key starts with
// prefix, by key: what authgo user list shows of sign-in lockouts.
func (s *Counters) CountersWithPrefix(ctx context.Context, prefix string) (map[string]CounterState, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT key, n, ends_at FROM authgo_counters
		WHERE substr(key, 1, ?) = ? AND ends_at > ?`, len(prefix), prefix, time.Now().UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("sqlite: read counters: %w", err)
	}
	defer rows.Close()
	out := make(map[string]CounterState)
	for rows.Next() {
		var key string
		var n, ends int64
		if err := rows.Scan(&key, &n, &ends); err != nil {
			return nil, fmt.Errorf("sqlite: read counters: %w", err)
		}
		out[key] = CounterState{N: n, Ends: time.UnixMilli(ends)}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: read counters: %w", err)
	}
	return out, nil
}

// CounterState is one running counter.
type CounterState struct {
	N    int64     // events in the window
	Ends time.Time // when the window ends
}
