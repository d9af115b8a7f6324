package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/authgo/authgo/store"
)

// The Store keeps database sessions and linked accounts.
var (
	_ store.SessionStore = (*Store)(nil)
	_ store.UserStore    = (*Store)(nil)
)

// tokenHash is what the sessions table keeps of a session token: its
// SHA-256, base64url, which is also the session's store.SessionID. Only
// authgo reads this database, so it never needs the token itself, and a
// copy of the file opens no session.
func tokenHash(token string) string { return store.SessionID(token) }

func millis(t time.Time) int64 { return t.UnixMilli() }

func fromMillis(ms sql.NullInt64) time.Time {
	if !ms.Valid {
		return time.Time{}
	}
	return time.UnixMilli(ms.Int64)
}

// CreateSession adds s, and its authgo_sessions row, in one transaction.
func (s *Store) CreateSession(ctx context.Context, sess store.Session) error {
	if sess.Token == "" || sess.UserID == "" {
		return errors.New("sqlite: create session: empty token or user id")
	}
	h := tokenHash(sess.Token)
	tx, err := s.w.begin(ctx, s.db)
	if err != nil {
		return fmt.Errorf("sqlite: create session: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO sessions ("userId", expires, "sessionToken") VALUES (?, ?, ?)`,
		sess.UserID, millis(sess.Expires), h); err != nil {
		return fmt.Errorf("sqlite: create session: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO authgo_sessions (token_hash, created_at, last_seen_at, user_agent, client_addr, provider, provider_account_id)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
		h, millis(sess.Created), millis(sess.LastSeen), nullString(sess.UserAgent), nullString(sess.ClientAddr),
		nullString(sess.Provider), nullString(sess.ProviderAccountID)); err != nil {
		return fmt.Errorf("sqlite: create session: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: create session: %w", err)
	}
	return nil
}

// SessionAndUser returns the session whose cookie value is token and its
// user, in one query.
func (s *Store) SessionAndUser(ctx context.Context, token string) (*store.Session, *store.User, error) {
	var (
		sess                      store.Session
		u                         store.User
		expires                   int64
		created, seen             sql.NullInt64
		ua, addr, prov, provAcct  sql.NullString
		name, email, image, verif sql.NullString
	)
	err := s.db.QueryRowContext(ctx, `SELECT s."userId", s.expires, a.created_at, a.last_seen_at, a.user_agent, a.client_addr, a.provider, a.provider_account_id,
			u.id, u.name, u.email, u."emailVerified", u.image
		FROM sessions s
		JOIN users u ON u.id = s."userId"
		LEFT JOIN authgo_sessions a ON a.token_hash = s."sessionToken"
		WHERE s."sessionToken" = ?`, tokenHash(token)).Scan(
		&sess.UserID, &expires, &created, &seen, &ua, &addr, &prov, &provAcct,
		&u.ID, &name, &email, &verif, &image)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("sqlite: session: %w", err)
	}
	sess.Token, sess.Expires = token, time.UnixMilli(expires)
	sess.Created, sess.LastSeen = fromMillis(created), fromMillis(seen)
	sess.UserAgent, sess.ClientAddr = ua.String, addr.String
	sess.Provider, sess.ProviderAccountID = prov.String, provAcct.String
	u.Name, u.Email, u.Image = name.String, email.String, image.String
	u.EmailVerified = parseTime(verif)
	return &sess, &u, nil
}

// UpdateSession sets the session's expiry and last sight, in one
// transaction.
func (s *Store) UpdateSession(ctx context.Context, token string, expires, lastSeen time.Time) error {
	h := tokenHash(token)
	tx, err := s.w.begin(ctx, s.db)
	if err != nil {
		return fmt.Errorf("sqlite: update session: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE sessions SET expires = ? WHERE "sessionToken" = ?`, millis(expires), h)
	if err != nil {
		return fmt.Errorf("sqlite: update session: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("sqlite: update session: %w", err)
	} else if n == 0 {
		return nil // gone
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO authgo_sessions (token_hash, created_at, last_seen_at) VALUES (?, ?, ?)
		ON CONFLICT (token_hash) DO UPDATE SET last_seen_at = excluded.last_seen_at`,
		h, millis(lastSeen), millis(lastSeen)); err != nil {
		return fmt.Errorf("sqlite: update session: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: update session: %w", err)
	}
	return nil
}

// DeleteSession removes the session and its authgo_sessions row.
func (s *Store) DeleteSession(ctx context.Context, token string) error {
	h := tokenHash(token)
	tx, err := s.w.begin(ctx, s.db)
	if err != nil {
		return fmt.Errorf("sqlite: delete session: %w", err)
	}
	defer tx.Rollback()
	// Both tables explicitly, so that a connection without foreign_keys
	// leaves nothing behind.
	if _, err := tx.ExecContext(ctx, `DELETE FROM authgo_sessions WHERE token_hash = ?`, h); err != nil {
		return fmt.Errorf("sqlite: delete session: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE "sessionToken" = ?`, h); err != nil {
		return fmt.Errorf("sqlite: delete session: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: delete session: %w", err)
	}
	return nil
}

// UserSessions returns the unexpired sessions of userID, the most recently
// seen first. The sessions table keeps the SessionID, so each ID is read,
// not computed.
func (s *Store) UserSessions(ctx context.Context, userID string) ([]store.Session, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT s."sessionToken", s.expires, a.created_at, a.last_seen_at, a.user_agent, a.client_addr, a.provider, a.provider_account_id
		FROM sessions s
		LEFT JOIN authgo_sessions a ON a.token_hash = s."sessionToken"
		WHERE s."userId" = ? AND s.expires >= ?
		ORDER BY a.last_seen_at IS NULL, a.last_seen_at DESC, a.created_at DESC, s.id DESC`, userID, millis(time.Now()))
	if err != nil {
		return nil, fmt.Errorf("sqlite: user sessions: %w", err)
	}
	defer rows.Close()
	var out []store.Session
	for rows.Next() {
		var (
			sess                     store.Session
			expires                  int64
			created, seen            sql.NullInt64
			ua, addr, prov, provAcct sql.NullString
		)
		if err := rows.Scan(&sess.ID, &expires, &created, &seen, &ua, &addr, &prov, &provAcct); err != nil {
			return nil, fmt.Errorf("sqlite: user sessions: %w", err)
		}
		sess.UserID, sess.Expires = userID, time.UnixMilli(expires)
		sess.Created, sess.LastSeen = fromMillis(created), fromMillis(seen)
		sess.UserAgent, sess.ClientAddr = ua.String, addr.String
		sess.Provider, sess.ProviderAccountID = prov.String, provAcct.String
		out = append(out, sess)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: user sessions: %w", err)
	}
	return out, nil
}

// DeleteUserSession removes the session of userID whose SessionID is id,
// and its authgo_sessions row, in one transaction, and reports whether
// there was one.
func (s *Store) DeleteUserSession(ctx context.Context, userID, id string) (bool, error) {
	tx, err := s.w.begin(ctx, s.db)
	if err != nil {
		return false, fmt.Errorf("sqlite: delete user session: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE "sessionToken" = ? AND "userId" = ?`, id, userID)
	if err != nil {
		return false, fmt.Errorf("sqlite: delete user session: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("sqlite: delete user session: %w", err)
	}
	if n == 0 {
		return false, nil // another user's, or gone
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM authgo_sessions WHERE token_hash = ?`, id); err != nil {
		return false, fmt.Errorf("sqlite: delete user session: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("sqlite: delete user session: %w", err)
	}
	return true, nil
}

// DeleteUserSessions removes every session of userID, with their
// authgo_sessions rows, in one transaction, and returns how many there
// were.
func (s *Store) DeleteUserSessions(ctx context.Context, userID string) (int, error) {
	tx, err := s.w.begin(ctx, s.db)
	if err != nil {
		return 0, fmt.Errorf("sqlite: delete user sessions: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM authgo_sessions WHERE token_hash IN (SELECT "sessionToken" FROM sessions WHERE "userId" = ?)`, userID); err != nil {
		return 0, fmt.Errorf("sqlite: delete user sessions: %w", err)
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE "userId" = ?`, userID)
	if err != nil {
		return 0, fmt.Errorf("sqlite: delete user sessions: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("sqlite: delete user sessions: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("sqlite: delete user sessions: %w", err)
	}
	return int(n), nil
}

// DeleteExpiredSessions removes the sessions that expired before now and
// returns how many. Reads delete an expired session they find; this is for
// the ones nobody reads again. Schedule it, as the binary does.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error) {
	tx, err := s.w.begin(ctx, s.db)
	if err != nil {
		return 0, fmt.Errorf("sqlite: delete expired sessions: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM authgo_sessions WHERE token_hash IN (SELECT "sessionToken" FROM sessions WHERE expires < ?)`, millis(now)); err != nil {
		return 0, fmt.Errorf("sqlite: delete expired sessions: %w", err)
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE expires < ?`, millis(now))
	if err != nil {
		return 0, fmt.Errorf("sqlite: delete expired sessions: %w", err)
	}
	n, _ := res.RowsAffected()
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("sqlite: delete expired sessions: %w", err)
	}
	return n, nil
}

// parseTime reads an RFC 3339 "emailVerified"; anything else is zero.
func parseTime(v sql.NullString) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, v.String)
	if err != nil {
		return time.Time{}
	}
	return t
}

func formatTime(t time.Time) sql.NullString {
	if t.IsZero() {
		return sql.NullString{}
	}
	return sql.NullString{String: t.UTC().Format(time.RFC3339Nano), Valid: true}
}
