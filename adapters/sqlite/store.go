package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/authgo/authgo/internal/username"
)

var (
	// ErrNotFound is returned when the requested user does not exist.
	ErrNotFound = errors.New("sqlite: user not found")

	// ErrUserExists is returned, possibly wrapped, by
	// [Store.CreatePasswordUser] when the username, the email or the ID is
	// already taken.
	ErrUserExists = errors.New("sqlite: user already exists")

	// ErrInvalidUsername is returned, wrapped, for a username that
	// [ValidateUsername] rejects.
	ErrInvalidUsername = errors.New("sqlite: invalid username")
)

// MaxUsernameLength is the longest username, in characters (runes), that
// [ValidateUsername] accepts.
const MaxUsernameLength = username.MaxLength

// User is a row of the Auth.js users table. An empty string stands for SQL
// NULL.
type User struct {
	ID    string
	Name  string
	Email string
	Image string
}

// Store is the user store over a SQLite database. It is safe for concurrent
// use by multiple goroutines. The caller owns the *sql.DB and closes it.
type Store struct {
	db *sql.DB
	w  writeLock // taken by every write; see writeLock
}

// DSN returns the recommended modernc.org/sqlite data source name for the
// database file at path: a busy timeout of 5 seconds, WAL journal mode,
// foreign keys enforced on every connection, and immediate transactions. See
// the package documentation for why each matters.
//
// Characters that SQLite URIs reserve ('%', '?' and '#') are escaped, so any
// file name works.
func DSN(path string) string {
	var b strings.Builder
	b.WriteString("file:")
	if strings.HasPrefix(path, "/") {
		// An empty authority, so that a path starting with "//" is not
		// taken for a host name.
		b.WriteString("//")
	}
	for i := 0; i < len(path); i++ {
		switch c := path[i]; c {
		case '%', '?', '#':
			fmt.Fprintf(&b, "%%%02X", c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteString("?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_txlock=immediate")
	return b.String()
}

// New returns a Store over db, first bringing the schema up to date. It also
// sets PRAGMA foreign_keys=ON, but that reaches only one connection of the
// pool: open db with the pragma in its DSN (see [DSN]).
//
// Writes through the Store are queued in this process (see the package
// documentation, Concurrency): make one Store for db and share it.
//
// The caller keeps ownership of db and closes it after the last use of the
// Store.
func New(ctx context.Context, db *sql.DB) (*Store, error) {
	if db == nil {
		return nil, errors.New("sqlite: nil *sql.DB")
	}
	if _, err := db.ExecContext(ctx, `PRAGMA foreign_keys = ON`); err != nil {
		return nil, fmt.Errorf("sqlite: enable foreign keys: %w", err)
	}
	if _, err := migrate(ctx, db); err != nil {
		return nil, err
	}
	return &Store{db: db, w: newWriteLock()}, nil
}

// ValidateUsername reports whether username is acceptable for
// [Store.CreatePasswordUser]: valid UTF-8 of 1 to [MaxUsernameLength]
// characters, with no white space, control characters or invisible
// formatting characters (such as zero-width spaces and bidirectional
// overrides, which make different names look alike). The error wraps
// [ErrInvalidUsername].
//
// Usernames are stored as given and matched exactly: "Alice" and "alice"
// are different users. Normalise before calling if that is not wanted.
func ValidateUsername(name string) error {
	if err := username.Validate(name); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidUsername, err)
	}
	return nil
}

// CreatePasswordUser adds a user who signs in with username and a password,
// stored as passwordHash (the output of a password hashing function such as
// argon2id; this package stores it as given and never sees the password).
//
// u gives the users row; when u.ID is empty, a random UUID (version 4) is
// generated. Empty Name, Email and Image are stored as NULL. The returned
// User is u with its ID.
//
// It returns an error wrapping [ErrInvalidUsername] for a bad username, and
// one wrapping [ErrUserExists] when the username, u.Email or u.ID is already
// taken, including when another CreatePasswordUser with the same username
// wins a race.
func (s *Store) CreatePasswordUser(ctx context.Context, username, passwordHash string, u User) (User, error) {
	if err := ValidateUsername(username); err != nil {
		return User{}, err
	}
	if passwordHash == "" {
		return User{}, errors.New("sqlite: create password user: empty password hash")
	}
	if u.ID == "" {
		u.ID = newID()
	}
	err := s.createPasswordUser(ctx, username, passwordHash, u)
	if err != nil && !errors.Is(err, ErrUserExists) {
		// The insert may have failed on a unique constraint, for
		// example under a driver or DSN whose transactions do not wait
		// for one another. Without depending on the driver's error
		// type, check whether the username is now taken.
		if taken, cerr := s.usernameTaken(ctx, username); cerr == nil && taken {
			return User{}, ErrUserExists
		}
		return User{}, fmt.Errorf("sqlite: create password user: %w", err)
	}
	if err != nil {
		return User{}, err
	}
	return u, nil
}

func (s *Store) createPasswordUser(ctx context.Context, username, passwordHash string, u User) error {
	tx, err := s.w.begin(ctx, s.db)
	if err != nil {
		return err
	}
	defer tx.Rollback() // returns sql.ErrTxDone, ignored, after Commit

	// The first statement writes, so it takes SQLite's write lock before it
	// reads: the checks and the insert see the latest data, and concurrent
	// creators are serialised by busy_timeout, whatever the transaction
	// mode.
	res, err := tx.ExecContext(ctx, `INSERT INTO users (id, name, email, image)
		SELECT ?, ?, ?, ?
		WHERE NOT EXISTS (SELECT 1 FROM authgo_credentials WHERE username = ?)
		  AND NOT EXISTS (SELECT 1 FROM users WHERE id = ? OR email = ?)`,
		u.ID, nullString(u.Name), nullString(u.Email), nullString(u.Image),
		username, u.ID, nullString(u.Email))
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return existsReason(ctx, tx.Tx, username, u)
	}
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO authgo_credentials (user_id, username, password_hash) VALUES (?, ?, ?)`,
		u.ID, username, passwordHash); err != nil {
		return err
	}
	return tx.Commit()
}

// existsReason returns ErrUserExists, wrapped with what is taken.
func existsReason(ctx context.Context, tx *sql.Tx, username string, u User) error {
	checks := []struct {
		what, query string
		arg         any
	}{
		{"username", `SELECT EXISTS (SELECT 1 FROM authgo_credentials WHERE username = ?)`, username},
		{"email", `SELECT EXISTS (SELECT 1 FROM users WHERE email = ?)`, nullString(u.Email)},
		{"id", `SELECT EXISTS (SELECT 1 FROM users WHERE id = ?)`, u.ID},
	}
	for _, c := range checks {
		var found bool
		if err := tx.QueryRowContext(ctx, c.query, c.arg).Scan(&found); err != nil {
			return err
		}
		if found {
			return fmt.Errorf("%w: %s taken", ErrUserExists, c.what)
		}
	}
	return ErrUserExists
}

func (s *Store) usernameTaken(ctx context.Context, username string) (bool, error) {
	var found bool
	err := s.db.QueryRowContext(ctx,
		`SELECT EXISTS (SELECT 1 FROM authgo_credentials WHERE username = ?)`, username).Scan(&found)
	return found, err
}

// PasswordUser returns the user whose username is exactly username, and
// their password hash. It returns [ErrNotFound] when there is none.
//
// When the user is not found, a sign-in handler should still spend the
// time of a password verification (see internal/password.VerifyDummy), so
// that response times do not reveal which usernames exist.
func (s *Store) PasswordUser(ctx context.Context, username string) (User, string, error) {
	if ValidateUsername(username) != nil {
		// No such user can have been created.
		return User{}, "", ErrNotFound
	}
	var (
		u                  User
		name, email, image sql.NullString
		hash               string
	)
	err := s.db.QueryRowContext(ctx, `SELECT u.id, u.name, u.email, u.image, c.password_hash
		FROM authgo_credentials c JOIN users u ON u.id = c.user_id
		WHERE c.username = ?`, username).Scan(&u.ID, &name, &email, &image, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, "", ErrNotFound
	}
	if err != nil {
		return User{}, "", fmt.Errorf("sqlite: password user: %w", err)
	}
	u.Name, u.Email, u.Image = name.String, email.String, image.String
	return u, hash, nil
}

// SetPassword replaces the password hash of the user with username. It
// returns [ErrNotFound] when there is no such user.
//
// Sessions the user already has are not affected; revoke them separately
// when the password changes because of a compromise.
func (s *Store) SetPassword(ctx context.Context, username, passwordHash string) error {
	if passwordHash == "" {
		return errors.New("sqlite: set password: empty password hash")
	}
	res, err := s.w.exec(ctx, s.db, `UPDATE authgo_credentials
		SET password_hash = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
		WHERE username = ?`, passwordHash, username)
	if err != nil {
		return fmt.Errorf("sqlite: set password: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqlite: set password: %w", err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// CountUsers returns the number of rows in the users table, password users
// or not.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: count users: %w", err)
	}
	return n, nil
}

// nullString maps "" to SQL NULL.
func nullString(s string) sql.NullString {
	return sql.NullString{String: s, Valid: s != ""}
}

// newID returns a random (version 4) UUID, as Auth.js uses for user IDs.
func newID() string {
	var b [16]byte
	// crypto/rand.Read never returns an error.
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // variant 10
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// PasswordUserInfo is one password user as ListPasswordUsers returns it.
type PasswordUserInfo struct {
	User
	Username  string
	CreatedAt string // RFC 3339, UTC
	UpdatedAt string // when the password last changed
}

// ListPasswordUsers returns every password user, by username.
func (s *Store) ListPasswordUsers(ctx context.Context) ([]PasswordUserInfo, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT u.id, u.name, u.email, u.image, c.username, c.created_at, c.updated_at
		FROM authgo_credentials c JOIN users u ON u.id = c.user_id ORDER BY c.username`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list users: %w", err)
	}
	defer rows.Close()
	var out []PasswordUserInfo
	for rows.Next() {
		var p PasswordUserInfo
		var name, email, image sql.NullString
		if err := rows.Scan(&p.ID, &name, &email, &image, &p.Username, &p.CreatedAt, &p.UpdatedAt); err != nil {
			return nil, fmt.Errorf("sqlite: list users: %w", err)
		}
		p.Name, p.Email, p.Image = name.String, email.String, image.String
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list users: %w", err)
	}
	return out, nil
}

// DeletePasswordUser deletes the user with username, their password and
// their row in the users table, and returns the deleted user. It returns
// [ErrNotFound] when there is no such user. Their sessions are not
// affected: revoke them (RevokeUser) with the returned ID.
func (s *Store) DeletePasswordUser(ctx context.Context, username string) (User, error) {
	u, _, err := s.PasswordUser(ctx, username)
	if err != nil {
		return User{}, err
	}
	// Both rows explicitly, so that a connection without foreign_keys
	// leaves no password behind.
	tx, err := s.w.begin(ctx, s.db)
	if err != nil {
		return User{}, fmt.Errorf("sqlite: delete user: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `DELETE FROM authgo_credentials WHERE user_id = ?`, u.ID)
	if err != nil {
		return User{}, fmt.Errorf("sqlite: delete user: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return User{}, fmt.Errorf("sqlite: delete user: %w", err)
	} else if n == 0 {
		return User{}, ErrNotFound // deleted by someone else just now
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM users WHERE id = ?`, u.ID); err != nil {
		return User{}, fmt.Errorf("sqlite: delete user: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return User{}, fmt.Errorf("sqlite: delete user: %w", err)
	}
	return u, nil
}
