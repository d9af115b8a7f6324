package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/authgo/authgo/store"
)

var _ store.VerificationTokenStore = (*Store)(nil)

// CreateVerificationToken adds v to the verification_token table
// (store.VerificationTokenStore); Expires is kept in Unix milliseconds.
func (s *Store) CreateVerificationToken(ctx context.Context, v store.VerificationToken) error {
	if v.Identifier == "" || v.Token == "" {
		return errors.New("sqlite: create verification token: empty identifier or token")
	}
	if _, err := s.w.exec(ctx, s.db, `INSERT INTO verification_token (identifier, expires, token) VALUES (?, ?, ?)`,
		v.Identifier, millis(v.Expires), v.Token); err != nil {
		return fmt.Errorf("sqlite: create verification token: %w", err)
	}
	return nil
}

// UseVerificationToken deletes the row (identifier, token) and returns it
// as it was, expired or not, or nil when there is none
// (store.VerificationTokenStore). It is one DELETE … RETURNING: SQLite
// runs one writer at a time, so of two concurrent calls, in this process
// or another on the same file, one gets the row and the other nothing.
func (s *Store) UseVerificationToken(ctx context.Context, identifier, token string) (*store.VerificationToken, error) {
	var (
		v       store.VerificationToken
		expires int64
	)
	err := s.w.queryRow(ctx, s.db, []any{&v.Identifier, &expires, &v.Token},
		`DELETE FROM verification_token WHERE identifier = ? AND token = ?
		RETURNING identifier, expires, token`, identifier, token)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: use verification token: %w", err)
	}
	v.Expires = time.UnixMilli(expires)
	return &v, nil
}
