package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/authgo/authgo/internal/username"
	"github.com/authgo/authgo/store"
)

var (
	// ErrUserExists is returned, possibly wrapped, by
	// [Store.CreatePasswordUser] when the username or the email is already
	// taken, including when another CreatePasswordUser with the same
	// username wins a race.
	ErrUserExists = errors.New("postgres: user already exists")

	// ErrInvalidUsername is returned, wrapped, by
	// [Store.CreatePasswordUser] for a username that is not 1 to 64
	// characters without white space, control or invisible formatting
	// characters (the rule of adapters/sqlite's ValidateUsername).
	ErrInvalidUsername = errors.New("postgres: invalid username")
)

// passwordUsersLock is the key of the transaction-scoped advisory lock
// CreatePasswordUser holds, so that two creators cannot both find an
// email free: Auth.js's users table has no unique email.
const passwordUsersLock int64 = 0x61757468676f01

// CreatePasswordUser adds a user who signs in with username and a
// password, stored as passwordHash (the output of a password hashing
// function such as argon2id; this package stores it as given). The users
// row gets u's name, email and image (empty ones NULL) and a SERIAL id;
// u.ID is ignored. The returned User has the id.
//
// It returns an error wrapping [ErrInvalidUsername] for a bad username,
// and one wrapping [ErrUserExists] when the username, or u.Email among
// the users, is taken. The users row and the password are written in one
// transaction.
func (s *Store) CreatePasswordUser(ctx context.Context, name, passwordHash string, u store.User) (store.User, error) {
	if err := username.Validate(name); err != nil {
		return store.User{}, fmt.Errorf("%w: %v", ErrInvalidUsername, err)
	}
	if passwordHash == "" {
		return store.User{}, errors.New("postgres: create password user: empty password hash")
	}
	var out store.User
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, passwordUsersLock); err != nil {
			return err
		}
		var nameTaken, emailTaken bool
		if err := tx.QueryRow(ctx, `SELECT
				EXISTS (SELECT 1 FROM authgo_credentials WHERE username = $1),
				$2::text IS NOT NULL AND EXISTS (SELECT 1 FROM users WHERE email = $2)`,
			name, null(u.Email)).Scan(&nameTaken, &emailTaken); err != nil {
			return err
		}
		switch {
		case nameTaken:
			return fmt.Errorf("%w: username taken", ErrUserExists)
		case emailTaken:
			return fmt.Errorf("%w: email taken", ErrUserExists)
		}
		dest, fill := userDest(&out)
		if err := tx.QueryRow(ctx, `INSERT INTO users AS u (name, email, image) VALUES ($1, $2, $3) RETURNING `+userColumns,
			null(u.Name), null(u.Email), null(u.Image)).Scan(dest...); err != nil {
			return err
		}
		fill()
		id, _ := parseID(out.ID)
		_, err := tx.Exec(ctx, `INSERT INTO authgo_credentials (user_id, username, password_hash) VALUES ($1, $2, $3)`,
			id, name, passwordHash)
		return err
	})
	var pgErr *pgconn.PgError
	switch {
	case err == nil:
		return out, nil
	case errors.Is(err, ErrUserExists):
		return store.User{}, err
	case errors.As(err, &pgErr) && pgErr.Code == "23505": // unique_violation
		return store.User{}, fmt.Errorf("%w: username taken", ErrUserExists)
	default:
		return store.User{}, fmt.Errorf("postgres: create password user: %w", err)
	}
}

// PasswordUser returns the user whose username is exactly name, and their
// password hash. It returns [ErrNotFound] when there is none.
//
// When the user is not found, a sign-in handler should still spend the
// time of a password verification, so that response times do not reveal
// which usernames exist.
func (s *Store) PasswordUser(ctx context.Context, name string) (store.User, string, error) {
	if username.Validate(name) != nil {
		return store.User{}, "", ErrNotFound // no such user can have been created
	}
	var (
		u    store.User
		hash string
	)
	dest, fill := userDest(&u)
	err := s.pool.QueryRow(ctx, `SELECT `+userColumns+`, c.password_hash
		FROM authgo_credentials c JOIN users u ON u.id = c.user_id
		WHERE c.username = $1`, name).Scan(append(dest, &hash)...)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.User{}, "", ErrNotFound
	}
	if err != nil {
		return store.User{}, "", fmt.Errorf("postgres: password user: %w", err)
	}
	fill()
	return u, hash, nil
}

// SetPassword replaces the password hash of the user with username name
// and records the time. It returns [ErrNotFound] when there is no such
// user. Sessions the user already has are not affected.
func (s *Store) SetPassword(ctx context.Context, name, passwordHash string) error {
	if passwordHash == "" {
		return errors.New("postgres: set password: empty password hash")
	}
	tag, err := s.pool.Exec(ctx, `UPDATE authgo_credentials SET password_hash = $1, updated_at = now() WHERE username = $2`,
		passwordHash, name)
	if err != nil {
		return fmt.Errorf("postgres: set password: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return nil
}

// CountUsers returns the number of rows in the users table, password users
// or not.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("postgres: count users: %w", err)
	}
	return n, nil
}

// PasswordUserInfo is one password user as [Store.ListPasswordUsers]
// returns it.
type PasswordUserInfo struct {
	store.User
	Username    string
	Created     time.Time
	PasswordSet time.Time // when the password was last set
}

// ListPasswordUsers returns every password user, by username.
func (s *Store) ListPasswordUsers(ctx context.Context) ([]PasswordUserInfo, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+userColumns+`, c.username, c.created_at, c.updated_at
		FROM authgo_credentials c JOIN users u ON u.id = c.user_id ORDER BY c.username`)
	if err != nil {
		return nil, fmt.Errorf("postgres: list users: %w", err)
	}
	defer rows.Close()
	var out []PasswordUserInfo
	for rows.Next() {
		var p PasswordUserInfo
		dest, fill := userDest(&p.User)
		if err := rows.Scan(append(dest, &p.Username, &p.Created, &p.PasswordSet)...); err != nil {
			return nil, fmt.Errorf("postgres: list users: %w", err)
		}
		fill()
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: list users: %w", err)
	}
	return out, nil
}

// DeletePasswordUser deletes the user with username name: their password,
// their users row, and, as @auth/pg-adapter's deleteUser does, their
// sessions and accounts, in one transaction. It returns the deleted user,
// or [ErrNotFound]. Revocation records are not affected: revoke the
// user's JWT sessions (RevokeUser) with the returned ID.
func (s *Store) DeletePasswordUser(ctx context.Context, name string) (store.User, error) {
	var u store.User
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var id int32
		err := tx.QueryRow(ctx, `DELETE FROM authgo_credentials WHERE username = $1 RETURNING user_id`, name).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		dest, fill := userDest(&u)
		err = tx.QueryRow(ctx, `DELETE FROM users AS u WHERE u.id = $1 RETURNING `+userColumns, id).Scan(dest...)
		if errors.Is(err, pgx.ErrNoRows) {
			u.ID = formatID(id) // the users row was gone already
		} else if err != nil {
			return err
		} else {
			fill()
		}
		if _, err := tx.Exec(ctx, `DELETE FROM authgo_sessions WHERE session_token IN (SELECT "sessionToken" FROM sessions WHERE "userId" = $1)`, id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE "userId" = $1`, id); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM accounts WHERE "userId" = $1`, id)
		return err
	})
	if errors.Is(err, ErrNotFound) {
		return store.User{}, err
	}
	if err != nil {
		return store.User{}, fmt.Errorf("postgres: delete user: %w", err)
	}
	return u, nil
}
