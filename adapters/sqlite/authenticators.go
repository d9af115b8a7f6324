package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/authgo/authgo/store"
)

var _ store.AuthenticatorStore = (*Store)(nil)

const authenticatorColumns = `"credentialID", "userId", "providerAccountId", "credentialPublicKey", counter,
	"credentialDeviceType", "credentialBackedUp", transports`

func scanAuthenticator(scan func(...any) error) (store.Authenticator, error) {
	var (
		a          store.Authenticator
		transports sql.NullString
	)
	err := scan(&a.CredentialID, &a.UserID, &a.ProviderAccountID, &a.CredentialPublicKey, &a.Counter,
		&a.CredentialDeviceType, &a.CredentialBackedUp, &transports)
	a.Transports = transports.String
	return a, err
}

// Authenticator returns the WebAuthn credential credentialID from
// authgo_authenticators, or nil (store.AuthenticatorStore).
func (s *Store) Authenticator(ctx context.Context, credentialID string) (*store.Authenticator, error) {
	a, err := scanAuthenticator(s.db.QueryRowContext(ctx, `SELECT `+authenticatorColumns+`
		FROM authgo_authenticators WHERE "credentialID" = ?`, credentialID).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: authenticator: %w", err)
	}
	return &a, nil
}

// CreateAuthenticator adds a to authgo_authenticators
// (store.AuthenticatorStore); a credential id stored already is
// store.ErrAuthenticatorExists.
func (s *Store) CreateAuthenticator(ctx context.Context, a store.Authenticator) error {
	if a.CredentialID == "" || a.UserID == "" || a.CredentialPublicKey == "" {
		return errors.New("sqlite: create authenticator: empty credential id, user id or key")
	}
	res, err := s.w.exec(ctx, s.db, `INSERT INTO authgo_authenticators (`+authenticatorColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		a.CredentialID, a.UserID, a.ProviderAccountID, a.CredentialPublicKey, a.Counter,
		a.CredentialDeviceType, a.CredentialBackedUp, nullString(a.Transports))
	if err != nil {
		return fmt.Errorf("sqlite: create authenticator: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("sqlite: create authenticator: %w", err)
	} else if n == 0 {
		return fmt.Errorf("sqlite: create authenticator: %w", store.ErrAuthenticatorExists)
	}
	return nil
}

// UserAuthenticators returns the WebAuthn credentials of userID
// (store.AuthenticatorStore).
func (s *Store) UserAuthenticators(ctx context.Context, userID string) ([]store.Authenticator, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+authenticatorColumns+`
		FROM authgo_authenticators WHERE "userId" = ? ORDER BY rowid`, userID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: user authenticators: %w", err)
	}
	defer rows.Close()
	var out []store.Authenticator
	for rows.Next() {
		a, err := scanAuthenticator(rows.Scan)
		if err != nil {
			return nil, fmt.Errorf("sqlite: user authenticators: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: user authenticators: %w", err)
	}
	return out, nil
}

// UpdateAuthenticatorCounter sets the counter of credentialID when it goes
// up (or both are 0), in one UPDATE whose WHERE compares it with the
// stored one, and reports whether it did (store.AuthenticatorStore).
func (s *Store) UpdateAuthenticatorCounter(ctx context.Context, credentialID string, counter int64) (bool, error) {
	res, err := s.w.exec(ctx, s.db, `UPDATE authgo_authenticators SET counter = ?1
		WHERE "credentialID" = ?2 AND (counter < ?1 OR (counter = 0 AND ?1 = 0))`, counter, credentialID)
	if err != nil {
		return false, fmt.Errorf("sqlite: update authenticator counter: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("sqlite: update authenticator counter: %w", err)
	}
	return n == 1, nil
}
