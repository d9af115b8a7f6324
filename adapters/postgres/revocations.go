package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/authgo/authgo"
)

var _ authgo.RevocationStore = (*Store)(nil)

// RevokeSession records that the session with this id is over, until
// until (authgo.RevocationStore), in authgo_revocations. A record already
// past until is not written. Each write also drops records that have
// expired.
func (s *Store) RevokeSession(ctx context.Context, id string, until time.Time) error {
	return s.revoke(ctx, "s", id, time.Now(), until)
}

// RevokeUser records that every session token of subject sub issued at or
// before at is over, until until (authgo.RevocationStore). A later cutoff
// replaces an earlier one, never the reverse.
func (s *Store) RevokeUser(ctx context.Context, sub string, at, until time.Time) error {
	return s.revoke(ctx, "u", sub, at, until)
}

func (s *Store) revoke(ctx context.Context, kind, key string, at, until time.Time) error {
	now := time.Now()
	if key == "" || !until.After(now) {
		return nil
	}
	// One round trip: the upsert and the sweep in one statement. The sweep
	// leaves this key to the upsert, takes at most 100 rows and skips rows
	// other writers hold, so concurrent revocations never wait on each
	// other's sweeps (nor deadlock in them). An expired record is replaced,
	// not merged.
	if _, err := s.pool.Exec(ctx, `WITH swept AS (DELETE FROM authgo_revocations WHERE (kind, key) IN (
			SELECT kind, key FROM authgo_revocations
			WHERE expires_at <= $5 AND NOT (kind = $1 AND key = $2)
			LIMIT 100 FOR UPDATE SKIP LOCKED))
		INSERT INTO authgo_revocations AS r (kind, key, revoked_at, expires_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (kind, key) DO UPDATE SET
			revoked_at = CASE WHEN r.expires_at <= $5 THEN excluded.revoked_at ELSE greatest(r.revoked_at, excluded.revoked_at) END,
			expires_at = CASE WHEN r.expires_at <= $5 THEN excluded.expires_at ELSE greatest(r.expires_at, excluded.expires_at) END`,
		kind, key, at, until, now); err != nil {
		return fmt.Errorf("postgres: revoke: %w", err)
	}
	return nil
}

// Check reports whether session id is revoked and the cutoff recorded for
// sub, zero when none (authgo.RevocationStore): one indexed query.
func (s *Store) Check(ctx context.Context, id, sub string) (revoked bool, cutoff time.Time, err error) {
	if id == "" && sub == "" {
		return false, time.Time{}, nil
	}
	var at *time.Time
	err = s.pool.QueryRow(ctx, `SELECT
			EXISTS (SELECT 1 FROM authgo_revocations WHERE kind = 's' AND key = $1 AND expires_at > $3),
			(SELECT revoked_at FROM authgo_revocations WHERE kind = 'u' AND key = $2 AND expires_at > $3)`,
		id, sub, time.Now()).Scan(&revoked, &at)
	if err != nil {
		return false, time.Time{}, fmt.Errorf("postgres: check revocations: %w", err)
	}
	return revoked, tm(at), nil
}
