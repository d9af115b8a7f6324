package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/authgo/authgo/store"
)

var _ store.VerificationTokenStore = (*Store)(nil)

// CreateVerificationToken adds v to Auth.js's verification_token table
// (store.VerificationTokenStore), as @auth/pg-adapter's
// createVerificationToken does.
func (s *Store) CreateVerificationToken(ctx context.Context, v store.VerificationToken) error {
	if v.Identifier == "" || v.Token == "" {
		return errors.New("postgres: create verification token: empty identifier or token")
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO verification_token (identifier, expires, token) VALUES ($1, $2, $3)`,
		v.Identifier, v.Expires, v.Token); err != nil {
		return fmt.Errorf("postgres: create verification token: %w", err)
	}
	return nil
}

// UseVerificationToken deletes the row (identifier, token) and returns it
// as it was, expired or not, or nil when there is none
// (store.VerificationTokenStore). It is one DELETE … RETURNING, as
// pg-adapter's: of two concurrent calls, one deletes the row and gets it,
// the other finds nothing.
func (s *Store) UseVerificationToken(ctx context.Context, identifier, token string) (*store.VerificationToken, error) {
	var v store.VerificationToken
	err := s.pool.QueryRow(ctx, `DELETE FROM verification_token WHERE identifier = $1 AND token = $2
		RETURNING identifier, expires, token`, identifier, token).Scan(&v.Identifier, &v.Expires, &v.Token)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: use verification token: %w", err)
	}
	return &v, nil
}
