package sqlite

import (
	"context"
	"fmt"
	"time"
)

// RevokeSession records that the session with this id is over, until
// until (authgo.RevocationStore). A record already past until is not
// written. Each write also drops records that have expired.
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
	now := time.Now().Unix()
	if key == "" || until.Unix() <= now {
		return nil
	}
	// One transaction, so one sync of the file for both statements.
	tx, err := s.w.begin(ctx, s.db)
	if err != nil {
		return fmt.Errorf("sqlite: revoke: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO authgo_revocations (kind, key, revoked_at, expires_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (kind, key) DO UPDATE SET
			revoked_at = max(revoked_at, excluded.revoked_at),
			expires_at = max(expires_at, excluded.expires_at)`,
		kind, key, at.Unix(), until.Unix()); err != nil {
		return fmt.Errorf("sqlite: revoke: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM authgo_revocations WHERE expires_at <= ?`, now); err != nil {
		return fmt.Errorf("sqlite: drop expired revocations: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: revoke: %w", err)
	}
	return nil
}

// Check reports whether session id is revoked and the cutoff recorded for
// sub, zero when none (authgo.RevocationStore): one indexed query.
func (s *Store) Check(ctx context.Context, id, sub string) (revoked bool, cutoff time.Time, err error) {
	if id == "" && sub == "" {
		return false, time.Time{}, nil
	}
	now := time.Now().Unix()
	rows, err := s.db.QueryContext(ctx, `SELECT kind, revoked_at FROM authgo_revocations WHERE kind = 's' AND key = ? AND expires_at > ?
		UNION ALL SELECT kind, revoked_at FROM authgo_revocations WHERE kind = 'u' AND key = ? AND expires_at > ?`,
		id, now, sub, now)
	if err != nil {
		return false, time.Time{}, fmt.Errorf("sqlite: check revocations: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var kind string
		var at int64
		if err := rows.Scan(&kind, &at); err != nil {
			return false, time.Time{}, fmt.Errorf("sqlite: check revocations: %w", err)
		}
		switch kind {
		case "s":
			revoked = true
		case "u":
			cutoff = time.Unix(at, 0)
		}
	}
	if err := rows.Err(); err != nil {
		return false, time.Time{}, fmt.Errorf("sqlite: check revocations: %w", err)
	}
	return revoked, cutoff, nil
}
