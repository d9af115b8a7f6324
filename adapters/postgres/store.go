package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/authgo/authgo/store"
)

// ErrNotFound is returned by [Store.UpdateUser] when there is no such user.
var ErrNotFound = errors.New("postgres: user not found")

// Store keeps users, linked accounts and database sessions in the
// @auth/pg-adapter tables, and what those have no column for in authgo_
// tables. It is safe for concurrent use. Run [Migrate] first.
type Store struct {
	pool *pgxpool.Pool
}

var (
	_ store.SessionStore = (*Store)(nil)
	_ store.UserStore    = (*Store)(nil)
)

// New returns a Store over pool. It does not migrate: call [Migrate] (the
// binary's authgo migrate) first.
func New(pool *pgxpool.Pool) (*Store, error) {
	if pool == nil {
		return nil, errors.New("postgres: nil *pgxpool.Pool")
	}
	return &Store{pool: pool}, nil
}

// parseID reads a user id: the SERIAL integer as a decimal string. ok is
// false for anything else, which names no user.
func parseID(id string) (n int32, ok bool) {
	v, err := strconv.ParseInt(id, 10, 32)
	if err != nil || v <= 0 {
		return 0, false
	}
	return int32(v), true
}

func formatID(n int32) string { return strconv.FormatInt(int64(n), 10) }

// null returns nil, SQL NULL, for an empty string.
func null(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

func nullInt(v int64) any {
	if v == 0 {
		return nil
	}
	return v
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func tm(p *time.Time) time.Time {
	if p == nil {
		return time.Time{}
	}
	return *p
}

const userColumns = `u.id, u.name, u.email, u."emailVerified", u.image`

// userDest returns the scan destinations for userColumns and a function
// that fills u from them.
func userDest(u *store.User) ([]any, func()) {
	var (
		id                 int32
		name, email, image *string
		verified           *time.Time
	)
	return []any{&id, &name, &email, &verified, &image}, func() {
		u.ID, u.Name, u.Email, u.Image = formatID(id), str(name), str(email), str(image)
		u.EmailVerified = tm(verified)
	}
}

func (s *Store) queryUser(ctx context.Context, what, sql string, args ...any) (*store.User, error) {
	var u store.User
	dest, fill := userDest(&u)
	err := s.pool.QueryRow(ctx, sql, args...).Scan(dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: %s: %w", what, err)
	}
	fill()
	return &u, nil
}

// CreateUser adds u and returns it with the SERIAL id PostgreSQL assigned;
// u.ID is ignored, as pg-adapter ignores the UUID Auth.js puts there.
func (s *Store) CreateUser(ctx context.Context, u store.User) (store.User, error) {
	var out store.User
	dest, fill := userDest(&out)
	if err := s.pool.QueryRow(ctx, `INSERT INTO users AS u (name, email, "emailVerified", image) VALUES ($1, $2, $3, $4)
		RETURNING `+userColumns, null(u.Name), null(u.Email), nullTime(u.EmailVerified), null(u.Image)).Scan(dest...); err != nil {
		return store.User{}, fmt.Errorf("postgres: create user: %w", err)
	}
	fill()
	return out, nil
}

// User returns the user with id, or nil (also for an id that is not a
// SERIAL integer).
func (s *Store) User(ctx context.Context, id string) (*store.User, error) {
	n, ok := parseID(id)
	if !ok {
		return nil, nil
	}
	return s.queryUser(ctx, "user", `SELECT `+userColumns+` FROM users u WHERE u.id = $1`, n)
}

// UserByEmail returns the user whose email is exactly email, or nil. The
// users table has no unique email: of several, the oldest.
func (s *Store) UserByEmail(ctx context.Context, email string) (*store.User, error) {
	if email == "" {
		return nil, nil
	}
	return s.queryUser(ctx, "user by email", `SELECT `+userColumns+` FROM users u WHERE u.email = $1 ORDER BY u.id LIMIT 1`, email)
}

// UserByAccount returns the user the provider account is linked to, or
// nil.
func (s *Store) UserByAccount(ctx context.Context, provider, providerAccountID string) (*store.User, error) {
	return s.queryUser(ctx, "user by account", `SELECT `+userColumns+` FROM users u
		JOIN accounts a ON a."userId" = u.id
		WHERE a.provider = $1 AND a."providerAccountId" = $2 ORDER BY a.id LIMIT 1`, provider, providerAccountID)
}

// UpdateUser replaces the user's name, email, emailVerified and image; it
// returns [ErrNotFound] when there is no such user.
func (s *Store) UpdateUser(ctx context.Context, u store.User) (store.User, error) {
	n, ok := parseID(u.ID)
	if !ok {
		return store.User{}, ErrNotFound
	}
	var out store.User
	dest, fill := userDest(&out)
	err := s.pool.QueryRow(ctx, `UPDATE users AS u SET name = $2, email = $3, "emailVerified" = $4, image = $5
		WHERE u.id = $1 RETURNING `+userColumns,
		n, null(u.Name), null(u.Email), nullTime(u.EmailVerified), null(u.Image)).Scan(dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.User{}, ErrNotFound
	}
	if err != nil {
		return store.User{}, fmt.Errorf("postgres: update user: %w", err)
	}
	fill()
	return out, nil
}

// LinkAccount adds the accounts row a, or returns [store.ErrAccountLinked].
// A transaction-scoped advisory lock on the provider account serialises
// authgo's inserts even where the unique index is missing (Migrate skipped
// it); the index, where present, also stops a racing Auth.js.
func (s *Store) LinkAccount(ctx context.Context, a store.Account) error {
	uid, ok := parseID(a.UserID)
	if !ok {
		return fmt.Errorf("postgres: link account: user id %q is not a users.id", a.UserID)
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return linkAccount(ctx, tx, uid, a) })
	var pgErr *pgconn.PgError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrAccountLinked):
		return err
	case errors.As(err, &pgErr) && pgErr.Code == "23505": // unique_violation: Auth.js won
		return store.ErrAccountLinked
	default:
		return fmt.Errorf("postgres: link account: %w", err)
	}
}

// linkAccount adds the accounts row a for user uid in tx, after taking the
// account's advisory lock (held until tx ends), or returns
// store.ErrAccountLinked when the row exists.
func linkAccount(ctx context.Context, tx pgx.Tx, uid int32, a store.Account) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`,
		// The provider's length first: "a:b" + "c" is not "a" + "b:c".
		fmt.Sprintf("authgo account %d:%s:%s", len(a.Provider), a.Provider, a.ProviderAccountID)); err != nil {
		return err
	}
	var linked bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM accounts WHERE provider = $1 AND "providerAccountId" = $2)`,
		a.Provider, a.ProviderAccountID).Scan(&linked); err != nil {
		return err
	}
	if linked {
		return store.ErrAccountLinked
	}
	_, err := tx.Exec(ctx, `INSERT INTO accounts ("userId", type, provider, "providerAccountId",
			refresh_token, access_token, expires_at, id_token, scope, session_state, token_type)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		uid, a.Type, a.Provider, a.ProviderAccountID,
		null(a.RefreshToken), null(a.AccessToken), nullInt(a.ExpiresAt), null(a.IDToken),
		null(a.Scope), null(a.SessionState), null(a.TokenType))
	return err
}

// CreateUserWithAccount adds u and the accounts row a, linked to it, in
// one transaction (store.UserWithAccountCreator): the new users row stays
// invisible until the accounts row is in, and of two first sign-ins of one
// account at once the second waits for the first on the account's
// advisory lock, then rolls its users row back and returns
// store.ErrAccountLinked.
func (s *Store) CreateUserWithAccount(ctx context.Context, u store.User, a store.Account) (store.User, error) {
	var out store.User
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		dest, fill := userDest(&out)
		if err := tx.QueryRow(ctx, `INSERT INTO users AS u (name, email, "emailVerified", image) VALUES ($1, $2, $3, $4)
			RETURNING `+userColumns, null(u.Name), null(u.Email), nullTime(u.EmailVerified), null(u.Image)).Scan(dest...); err != nil {
			return err
		}
		fill()
		uid, ok := parseID(out.ID)
		if !ok {
			return fmt.Errorf("users.id %q is not an integer", out.ID)
		}
		// ErrAccountLinked rolls the users row back.
		return linkAccount(ctx, tx, uid, a)
	})
	var pgErr *pgconn.PgError
	switch {
	case err == nil:
		return out, nil
	case errors.Is(err, store.ErrAccountLinked):
		return store.User{}, err
	case errors.As(err, &pgErr) && pgErr.Code == "23505": // unique_violation: Auth.js won
		return store.User{}, store.ErrAccountLinked
	default:
		return store.User{}, fmt.Errorf("postgres: create user with account: %w", err)
	}
}

// UpdateAccount replaces the token fields of the accounts row.
func (s *Store) UpdateAccount(ctx context.Context, a store.Account) error {
	if _, err := s.pool.Exec(ctx, `UPDATE accounts SET refresh_token = $1, access_token = $2, expires_at = $3,
			id_token = $4, scope = $5, session_state = $6, token_type = $7
		WHERE provider = $8 AND "providerAccountId" = $9`,
		null(a.RefreshToken), null(a.AccessToken), nullInt(a.ExpiresAt), null(a.IDToken),
		null(a.Scope), null(a.SessionState), null(a.TokenType),
		a.Provider, a.ProviderAccountID); err != nil {
		return fmt.Errorf("postgres: update account: %w", err)
	}
	return nil
}

// Account returns the accounts row, or nil.
func (s *Store) Account(ctx context.Context, provider, providerAccountID string) (*store.Account, error) {
	var (
		a                                   store.Account
		uid                                 int32
		rt, at, idt, scope, state, tokenTyp *string
		exp                                 *int64
	)
	err := s.pool.QueryRow(ctx, `SELECT "userId", type, provider, "providerAccountId",
			refresh_token, access_token, expires_at, id_token, scope, session_state, token_type
		FROM accounts WHERE provider = $1 AND "providerAccountId" = $2 ORDER BY id LIMIT 1`, provider, providerAccountID).Scan(
		&uid, &a.Type, &a.Provider, &a.ProviderAccountID, &rt, &at, &exp, &idt, &scope, &state, &tokenTyp)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: account: %w", err)
	}
	a.UserID = formatID(uid)
	a.RefreshToken, a.AccessToken, a.IDToken = str(rt), str(at), str(idt)
	a.Scope, a.SessionState, a.TokenType = str(scope), str(state), str(tokenTyp)
	if exp != nil {
		a.ExpiresAt = *exp
	}
	return &a, nil
}

// UnlinkAccount deletes the accounts row.
func (s *Store) UnlinkAccount(ctx context.Context, provider, providerAccountID string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM accounts WHERE provider = $1 AND "providerAccountId" = $2`, provider, providerAccountID); err != nil {
		return fmt.Errorf("postgres: unlink account: %w", err)
	}
	return nil
}
