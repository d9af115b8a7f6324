package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/authgo/authgo/store"
)

var _ store.AuthenticatorStore = (*Store)(nil)

const authenticatorColumns = `"credentialID", "userId", "providerAccountId", "credentialPublicKey", counter,
	"credentialDeviceType", "credentialBackedUp", transports`

func scanAuthenticator(scan func(...any) error) (store.Authenticator, error) {
	var (
		a          store.Authenticator
		uid        int32
		transports *string
	)
	err := scan(&a.CredentialID, &uid, &a.ProviderAccountID, &a.CredentialPublicKey, &a.Counter,
		&a.CredentialDeviceType, &a.CredentialBackedUp, &transports)
	a.UserID, a.Transports = formatID(uid), str(transports)
	return a, err
}

// Authenticator returns the WebAuthn credential credentialID from
// authgo_authenticators, or nil (store.AuthenticatorStore).
func (s *Store) Authenticator(ctx context.Context, credentialID string) (*store.Authenticator, error) {
	a, err := scanAuthenticator(s.pool.QueryRow(ctx, `SELECT `+authenticatorColumns+`
		FROM authgo_authenticators WHERE "credentialID" = $1`, credentialID).Scan)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: authenticator: %w", err)
	}
	return &a, nil
}

// CreateAuthenticator adds a to authgo_authenticators
// (store.AuthenticatorStore); a credential id stored already is
// store.ErrAuthenticatorExists.
func (s *Store) CreateAuthenticator(ctx context.Context, a store.Authenticator) error {
	uid, ok := parseID(a.UserID)
	if !ok || a.CredentialID == "" || a.CredentialPublicKey == "" {
		return errors.New("postgres: create authenticator: bad user id, or empty credential id or key")
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO authgo_authenticators (`+authenticatorColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
		a.CredentialID, uid, a.ProviderAccountID, a.CredentialPublicKey, a.Counter,
		a.CredentialDeviceType, a.CredentialBackedUp, null(a.Transports))
	if err != nil {
		return fmt.Errorf("postgres: create authenticator: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: create authenticator: %w", store.ErrAuthenticatorExists)
	}
	return nil
}

// UserAuthenticators returns the WebAuthn credentials of userID
// (store.AuthenticatorStore).
func (s *Store) UserAuthenticators(ctx context.Context, userID string) ([]store.Authenticator, error) {
	uid, ok := parseID(userID)
	if !ok {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT `+authenticatorColumns+`
		FROM authgo_authenticators WHERE "userId" = $1 ORDER BY "credentialID"`, uid)
	if err != nil {
		return nil, fmt.Errorf("postgres: user authenticators: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Authenticator, error) {
		return scanAuthenticator(r.Scan)
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: user authenticators: %w", err)
	}
	return out, nil
}

// UpdateAuthenticatorCounter sets the counter of credentialID when it goes
// up (or both are 0), in one UPDATE whose WHERE compares it with the
// stored one (PostgreSQL re-checks it against the row a concurrent UPDATE
// committed), and reports whether it did (store.AuthenticatorStore).
func (s *Store) UpdateAuthenticatorCounter(ctx context.Context, credentialID string, counter int64) (bool, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE authgo_authenticators SET counter = $1
		WHERE "credentialID" = $2 AND (counter < $1 OR (counter = 0 AND $1 = 0))`, counter, credentialID)
	if err != nil {
		return false, fmt.Errorf("postgres: update authenticator counter: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}
