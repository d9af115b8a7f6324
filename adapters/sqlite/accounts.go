package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/authgo/authgo/store"
)

const userColumns = `u.id, u.name, u.email, u."emailVerified", u.image`

func scanUser(row *sql.Row) (*store.User, error) {
	var (
		u                         store.User
		name, email, image, verif sql.NullString
	)
	err := row.Scan(&u.ID, &name, &email, &verif, &image)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	u.Name, u.Email, u.Image = name.String, email.String, image.String
	u.EmailVerified = parseTime(verif)
	return &u, nil
}

// CreateUser adds u, keeping a non-empty u.ID (a random UUID otherwise).
// An email already taken is an error wrapping [ErrUserExists].
func (s *Store) CreateUser(ctx context.Context, u store.User) (store.User, error) {
	if u.ID == "" {
		u.ID = newID()
	}
	res, err := s.w.exec(ctx, s.db, `INSERT INTO users (id, name, email, "emailVerified", image)
		SELECT ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM users WHERE id = ? OR email = ?)`,
		u.ID, nullString(u.Name), nullString(u.Email), formatTime(u.EmailVerified), nullString(u.Image),
		u.ID, nullString(u.Email))
	if err != nil {
		return store.User{}, fmt.Errorf("sqlite: create user: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return store.User{}, fmt.Errorf("sqlite: create user: %w", err)
	} else if n == 0 {
		return store.User{}, fmt.Errorf("sqlite: create user: %w", ErrUserExists)
	}
	return u, nil
}

// User returns the user with id, or nil.
func (s *Store) User(ctx context.Context, id string) (*store.User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users u WHERE u.id = ?`, id))
	if err != nil {
		return nil, fmt.Errorf("sqlite: user: %w", err)
	}
	return u, nil
}

// UserByEmail returns the user whose email is exactly email, or nil.
func (s *Store) UserByEmail(ctx context.Context, email string) (*store.User, error) {
	if email == "" {
		return nil, nil
	}
	u, err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users u WHERE u.email = ?`, email))
	if err != nil {
		return nil, fmt.Errorf("sqlite: user by email: %w", err)
	}
	return u, nil
}

// UserByAccount returns the user the provider account is linked to, or
// nil.
func (s *Store) UserByAccount(ctx context.Context, provider, providerAccountID string) (*store.User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users u
		JOIN accounts a ON a."userId" = u.id WHERE a.provider = ? AND a."providerAccountId" = ?`, provider, providerAccountID))
	if err != nil {
		return nil, fmt.Errorf("sqlite: user by account: %w", err)
	}
	return u, nil
}

// UpdateUser replaces the user's name, email, emailVerified and image. It
// returns [ErrNotFound] when there is no such user, and an error wrapping
// [ErrUserExists] when the email belongs to another user.
func (s *Store) UpdateUser(ctx context.Context, u store.User) (store.User, error) {
	res, err := s.w.exec(ctx, s.db, `UPDATE users SET name = ?, email = ?, "emailVerified" = ?, image = ?
		WHERE id = ? AND NOT EXISTS (SELECT 1 FROM users WHERE email = ? AND id <> ?)`,
		nullString(u.Name), nullString(u.Email), formatTime(u.EmailVerified), nullString(u.Image),
		u.ID, nullString(u.Email), u.ID)
	if err != nil {
		return store.User{}, fmt.Errorf("sqlite: update user: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return store.User{}, fmt.Errorf("sqlite: update user: %w", err)
	} else if n == 0 {
		got, err := s.User(ctx, u.ID)
		if err != nil {
			return store.User{}, err
		}
		if got == nil {
			return store.User{}, ErrNotFound
		}
		return store.User{}, fmt.Errorf("sqlite: update user: %w: email taken", ErrUserExists)
	}
	return u, nil
}

// LinkAccount adds the accounts row a; [store.ErrAccountLinked] when the
// provider account is already linked.
func (s *Store) LinkAccount(ctx context.Context, a store.Account) error {
	res, err := s.w.exec(ctx, s.db, `INSERT INTO accounts ("userId", type, provider, "providerAccountId",
			refresh_token, access_token, expires_at, id_token, scope, session_state, token_type)
		SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
		WHERE NOT EXISTS (SELECT 1 FROM accounts WHERE provider = ? AND "providerAccountId" = ?)`,
		a.UserID, a.Type, a.Provider, a.ProviderAccountID,
		nullString(a.RefreshToken), nullString(a.AccessToken), nullInt(a.ExpiresAt), nullString(a.IDToken),
		nullString(a.Scope), nullString(a.SessionState), nullString(a.TokenType),
		a.Provider, a.ProviderAccountID)
	if err != nil {
		// The unique index refuses a racing insert that the check
		// missed (a driver whose transactions do not wait).
		if got, gerr := s.Account(ctx, a.Provider, a.ProviderAccountID); gerr == nil && got != nil {
			return store.ErrAccountLinked
		}
		return fmt.Errorf("sqlite: link account: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("sqlite: link account: %w", err)
	} else if n == 0 {
		return store.ErrAccountLinked
	}
	return nil
}

// CreateUserWithAccount adds u and the accounts row a, linked to it, in
// one transaction (store.UserWithAccountCreator): when the account is
// already linked it adds neither and returns [store.ErrAccountLinked]; an
// email already taken is an error wrapping [ErrUserExists], and nothing is
// added either.
func (s *Store) CreateUserWithAccount(ctx context.Context, u store.User, a store.Account) (store.User, error) {
	if u.ID == "" {
		u.ID = newID()
	}
	tx, err := s.w.begin(ctx, s.db)
	if err != nil {
		return store.User{}, fmt.Errorf("sqlite: create user with account: %w", err)
	}
	defer tx.Rollback()
	var linked bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM accounts WHERE provider = ? AND "providerAccountId" = ?)`,
		a.Provider, a.ProviderAccountID).Scan(&linked); err != nil {
		return store.User{}, fmt.Errorf("sqlite: create user with account: %w", err)
	}
	if linked {
		return store.User{}, store.ErrAccountLinked
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO users (id, name, email, "emailVerified", image)
		SELECT ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM users WHERE id = ? OR email = ?)`,
		u.ID, nullString(u.Name), nullString(u.Email), formatTime(u.EmailVerified), nullString(u.Image),
		u.ID, nullString(u.Email))
	if err != nil {
		return store.User{}, fmt.Errorf("sqlite: create user with account: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return store.User{}, fmt.Errorf("sqlite: create user with account: %w", err)
	} else if n == 0 {
		return store.User{}, fmt.Errorf("sqlite: create user with account: %w", ErrUserExists)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO accounts ("userId", type, provider, "providerAccountId",
			refresh_token, access_token, expires_at, id_token, scope, session_state, token_type)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, a.Type, a.Provider, a.ProviderAccountID,
		nullString(a.RefreshToken), nullString(a.AccessToken), nullInt(a.ExpiresAt), nullString(a.IDToken),
		nullString(a.Scope), nullString(a.SessionState), nullString(a.TokenType)); err != nil {
		return store.User{}, fmt.Errorf("sqlite: create user with account: %w", err)
	}
	if err := tx.Commit(); err != nil {
		// A racing transaction linked the account first (a driver
		// whose transactions do not wait).
		if got, gerr := s.Account(ctx, a.Provider, a.ProviderAccountID); gerr == nil && got != nil {
			return store.User{}, store.ErrAccountLinked
		}
		return store.User{}, fmt.Errorf("sqlite: create user with account: %w", err)
	}
	return u, nil
}

// UpdateAccount replaces the token fields of the accounts row.
func (s *Store) UpdateAccount(ctx context.Context, a store.Account) error {
	if _, err := s.w.exec(ctx, s.db, `UPDATE accounts SET refresh_token = ?, access_token = ?, expires_at = ?,
			id_token = ?, scope = ?, session_state = ?, token_type = ?
		WHERE provider = ? AND "providerAccountId" = ?`,
		nullString(a.RefreshToken), nullString(a.AccessToken), nullInt(a.ExpiresAt), nullString(a.IDToken),
		nullString(a.Scope), nullString(a.SessionState), nullString(a.TokenType),
		a.Provider, a.ProviderAccountID); err != nil {
		return fmt.Errorf("sqlite: update account: %w", err)
	}
	return nil
}

// Account returns the accounts row, or nil.
func (s *Store) Account(ctx context.Context, provider, providerAccountID string) (*store.Account, error) {
	var (
		a                                   store.Account
		rt, at, idt, scope, state, tokenTyp sql.NullString
		exp                                 sql.NullInt64
	)
	err := s.db.QueryRowContext(ctx, `SELECT "userId", type, provider, "providerAccountId",
			refresh_token, access_token, expires_at, id_token, scope, session_state, token_type
		FROM accounts WHERE provider = ? AND "providerAccountId" = ?`, provider, providerAccountID).Scan(
		&a.UserID, &a.Type, &a.Provider, &a.ProviderAccountID, &rt, &at, &exp, &idt, &scope, &state, &tokenTyp)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: account: %w", err)
	}
	a.RefreshToken, a.AccessToken, a.IDToken = rt.String, at.String, idt.String
	a.Scope, a.SessionState, a.TokenType = scope.String, state.String, tokenTyp.String
	a.ExpiresAt = exp.Int64
	return &a, nil
}

// UnlinkAccount deletes the accounts row.
func (s *Store) UnlinkAccount(ctx context.Context, provider, providerAccountID string) error {
	if _, err := s.w.exec(ctx, s.db, `DELETE FROM accounts WHERE provider = ? AND "providerAccountId" = ?`, provider, providerAccountID); err != nil {
		return fmt.Errorf("sqlite: unlink account: %w", err)
	}
	return nil
}

func nullInt(v int64) sql.NullInt64 { return sql.NullInt64{Int64: v, Valid: v != 0} }
