package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/authgo/authgo/store"
)

// CreateSession adds the sessions row, the token raw in "sessionToken" as
// Auth.js keeps it, and its authgo_sessions row, in one transaction.
func (s *Store) CreateSession(ctx context.Context, sess store.Session) error {
	uid, ok := parseID(sess.UserID)
	if sess.Token == "" || !ok {
		return fmt.Errorf("postgres: create session: empty token or user id %q not a users.id", sess.UserID)
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO sessions ("userId", expires, "sessionToken") VALUES ($1, $2, $3)`,
			uid, sess.Expires, sess.Token); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO authgo_sessions (session_token, created_at, last_seen_at, user_agent, client_addr, provider, provider_account_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (session_token) DO UPDATE SET created_at = excluded.created_at, last_seen_at = excluded.last_seen_at,
				user_agent = excluded.user_agent, client_addr = excluded.client_addr,
				provider = excluded.provider, provider_account_id = excluded.provider_account_id`,
			sess.Token, sess.Created, sess.LastSeen, null(sess.UserAgent), null(sess.ClientAddr), null(sess.Provider), null(sess.ProviderAccountID))
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: create session: %w", err)
	}
	return nil
}

// SessionAndUser returns the session whose cookie value is token and its
// user, in one query.
func (s *Store) SessionAndUser(ctx context.Context, token string) (*store.Session, *store.User, error) {
	if token == "" {
		return nil, nil, nil
	}
	var (
		sess          store.Session
		u             store.User
		uid           int32
		created, seen *time.Time
		ua, addr      *string
		prov, provAcc *string
	)
	udest, fill := userDest(&u)
	err := s.pool.QueryRow(ctx, `SELECT s."userId", s.expires, a.created_at, a.last_seen_at, a.user_agent, a.client_addr, a.provider, a.provider_account_id, `+userColumns+`
		FROM sessions s
		JOIN users u ON u.id = s."userId"
		LEFT JOIN authgo_sessions a ON a.session_token = s."sessionToken"
		WHERE s."sessionToken" = $1
		ORDER BY s.id LIMIT 1`, token).Scan(append([]any{&uid, &sess.Expires, &created, &seen, &ua, &addr, &prov, &provAcc}, udest...)...)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("postgres: session: %w", err)
	}
	fill()
	sess.Token, sess.UserID = token, formatID(uid)
	sess.Created, sess.LastSeen = tm(created), tm(seen)
	sess.UserAgent, sess.ClientAddr = str(ua), str(addr)
	sess.Provider, sess.ProviderAccountID = str(prov), str(provAcc)
	return &sess, &u, nil
}

// UpdateSession sets the session's expiry and last sight, in one
// transaction; a session Auth.js created gets its authgo_sessions row now,
// its first sight.
func (s *Store) UpdateSession(ctx context.Context, token string, expires, lastSeen time.Time) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE sessions SET expires = $1 WHERE "sessionToken" = $2`, expires, token)
		if err != nil || tag.RowsAffected() == 0 {
			return err // gone: not an error
		}
		_, err = tx.Exec(ctx, `INSERT INTO authgo_sessions (session_token, created_at, last_seen_at) VALUES ($1, $2, $2)
			ON CONFLICT (session_token) DO UPDATE SET last_seen_at = excluded.last_seen_at`, token, lastSeen)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: update session: %w", err)
	}
	return nil
}

// DeleteSession removes the session and its authgo_sessions row, in one
// transaction.
func (s *Store) DeleteSession(ctx context.Context, token string) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE "sessionToken" = $1`, token); err != nil {
			return err
		}
		// After the sessions row and in a statement of its own: see
		// DeleteUserSessions.
		_, err := tx.Exec(ctx, `DELETE FROM authgo_sessions WHERE session_token = $1`, token)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: delete session: %w", err)
	}
	return nil
}

// UserSessions returns the unexpired sessions of userID, the most recently
// seen first, those without an authgo_sessions row (Auth.js made them and
// authgo has not read them yet) last. "sessionToken" holds the token
// itself, so each ID is computed from it here and the token dropped.
func (s *Store) UserSessions(ctx context.Context, userID string) ([]store.Session, error) {
	uid, ok := parseID(userID)
	if !ok {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT s."sessionToken", s.expires, a.created_at, a.last_seen_at, a.user_agent, a.client_addr, a.provider, a.provider_account_id
		FROM sessions s
		LEFT JOIN authgo_sessions a ON a.session_token = s."sessionToken"
		WHERE s."userId" = $1 AND s.expires >= $2
		ORDER BY a.last_seen_at DESC NULLS LAST, a.created_at DESC NULLS LAST, s.id DESC`, uid, time.Now())
	if err != nil {
		return nil, fmt.Errorf("postgres: user sessions: %w", err)
	}
	defer rows.Close()
	var out []store.Session
	for rows.Next() {
		var (
			sess          store.Session
			token         string
			created, seen *time.Time
			ua, addr      *string
			prov, provAcc *string
		)
		if err := rows.Scan(&token, &sess.Expires, &created, &seen, &ua, &addr, &prov, &provAcc); err != nil {
			return nil, fmt.Errorf("postgres: user sessions: %w", err)
		}
		sess.ID, sess.UserID = store.SessionID(token), userID
		sess.Created, sess.LastSeen = tm(created), tm(seen)
		sess.UserAgent, sess.ClientAddr = str(ua), str(addr)
		sess.Provider, sess.ProviderAccountID = str(prov), str(provAcc)
		out = append(out, sess)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: user sessions: %w", err)
	}
	return out, nil
}

// DeleteUserSession removes the session of userID whose SessionID is id,
// and its authgo_sessions row, in one transaction, and reports whether
// there was one. The ID is a hash of "sessionToken", so the user's tokens
// are read and hashed to find it: a user has few sessions, and the id of
// another user's session finds nothing.
func (s *Store) DeleteUserSession(ctx context.Context, userID, id string) (bool, error) {
	uid, ok := parseID(userID)
	if !ok || id == "" {
		return false, nil
	}
	found := false
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT "sessionToken" FROM sessions WHERE "userId" = $1`, uid)
		if err != nil {
			return err
		}
		tokens, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		token := ""
		for _, t := range tokens {
			if store.SessionID(t) == id {
				token = t
				break
			}
		}
		if token == "" {
			return nil
		}
		tag, err := tx.Exec(ctx, `DELETE FROM sessions WHERE "sessionToken" = $1 AND "userId" = $2`, token, uid)
		if err != nil || tag.RowsAffected() == 0 {
			return err // deleted meanwhile: not this call's
		}
		found = true
		// A statement of its own, so that it sees a row an UpdateSession
		// that the delete above waited for has just added.
		_, err = tx.Exec(ctx, `DELETE FROM authgo_sessions WHERE session_token = $1`, token)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("postgres: delete user session: %w", err)
	}
	return found, nil
}

// DeleteUserSessions removes every session of userID, with their
// authgo_sessions rows, in one transaction, and returns how many there
// were.
func (s *Store) DeleteUserSessions(ctx context.Context, userID string) (int, error) {
	uid, ok := parseID(userID)
	if !ok {
		return 0, nil
	}
	n := 0
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `DELETE FROM sessions WHERE "userId" = $1 RETURNING "sessionToken"`, uid)
		if err != nil {
			return err
		}
		tokens, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		n = len(tokens)
		if n == 0 {
			return nil
		}
		// A statement of its own (READ COMMITTED takes a snapshot per
		// statement): it sees the authgo_sessions row of a session whose
		// first sight an UpdateSession recorded while the delete above
		// waited for its lock, which one statement with a CTE would miss.
		_, err = tx.Exec(ctx, `DELETE FROM authgo_sessions WHERE session_token = ANY($1)`, tokens)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("postgres: delete user sessions: %w", err)
	}
	return n, nil
}

// DeleteExpiredSessions removes the sessions that expired before now, with
// their authgo_sessions rows and those whose session is gone (Auth.js's
// sign-out deletes only its own row), and returns how many sessions.
// Reads delete an expired session they find; this is for the ones nobody
// reads again. Schedule it.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error) {
	var n int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM sessions WHERE expires < $1`, now)
		if err != nil {
			return err
		}
		n = tag.RowsAffected()
		_, err = tx.Exec(ctx, `DELETE FROM authgo_sessions a
			WHERE NOT EXISTS (SELECT 1 FROM sessions s WHERE s."sessionToken" = a.session_token)`)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("postgres: delete expired sessions: %w", err)
	}
	return n, nil
}
