package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/adapters/postgres"
	"github.com/authgo/authgo/adapters/sqlite"
	"github.com/authgo/authgo/store"
)

// database is what serve and the user commands need of the database that
// --db or AUTH_DATABASE_URL names: a SQLite file (sqliteDB) or PostgreSQL
// (postgresDB). Both keep the same things: users and their accounts,
// password users, database sessions, sign-outs (revocations), sign-in
// lockout counters and the OAuth states used once. The commands are
// written once, against this interface.
type database interface {
	authgo.RevocationStore
	store.SessionStore
	store.UserStore
	// The links of email sign-in.
	store.VerificationTokenStore
	// UseOnce is the optional method of authgo.RevocationStore that
	// makes an OAuth callback usable once across instances.
	UseOnce(ctx context.Context, key string, until time.Time) (first bool, err error)
	CountUsers(ctx context.Context) (int, error)
	// DeleteExpiredSessions removes the sessions that expired before
	// now (serve sweeps them: sweep.go).
	DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error)

	counter() authgo.Counter
	// The password users. Errors: errUserExists (wrapped, saying what
	// is taken) and errNoUser.
	createPasswordUser(ctx context.Context, username, passwordHash string, u store.User) (store.User, error)
	passwordUser(ctx context.Context, username string) (store.User, string, error)
	setPassword(ctx context.Context, username, passwordHash string) error
	listPasswordUsers(ctx context.Context) ([]passwordUser, error)
	deletePasswordUser(ctx context.Context, username string) (store.User, error)

	// where names the database in messages and logs: the file, or the
	// URL with its password replaced by xxxxx.
	where() string
	// ping reports whether the database answers a query now (readyz).
	ping(ctx context.Context) error
	// outbox is the file of the sign-outs kept while the revocation
	// store is down: beside a SQLite file, in the data directory for
	// PostgreSQL. It is always a local file.
	outbox(data *dataFlags) (string, error)
	close()
}

var (
	errNoUser     = errors.New("no such user")
	errUserExists = errors.New("user already exists")
)

// passwordUser is one password user as user list shows it.
type passwordUser struct {
	store.User
	Username    string
	PasswordSet string // RFC 3339, UTC, milliseconds
}

// isPostgres reports whether the --db value is a PostgreSQL URL rather
// than a SQLite file.
func isPostgres(dsn string) bool {
	l := strings.ToLower(dsn)
	return strings.HasPrefix(l, "postgres://") || strings.HasPrefix(l, "postgresql://")
}

// openDatabase opens the database of data: SQLite (created, mode 0600,
// and migrated when needed) or PostgreSQL, which must have been migrated
// (authgo migrate): serve and the user commands refuse an unmigrated or
// older schema, naming the command. The user commands first take serve's
// configuration file (useConfigFile); config check gets a database it
// cannot change (checkDatabase).
func (c *cli) openDatabase(ctx context.Context, data *dataFlags) (database, error) {
	if err := c.useConfigFile(data); err != nil {
		return nil, err
	}
	if c.check {
		return c.checkDatabase(ctx, data)
	}
	dsn := data.source(c.getenv)
	if isPostgres(dsn) {
		p, err := openPostgres(ctx, dsn)
		if err != nil {
			return nil, err
		}
		if err := postgres.Check(ctx, p.pool); err != nil {
			p.close()
			if errors.Is(err, postgres.ErrNotMigrated) {
				return nil, fmt.Errorf("database %s is not migrated (%s): run \"authgo migrate --db %s\" (with the real password) first",
					p.url, strings.TrimPrefix(strings.TrimPrefix(err.Error(), postgres.ErrNotMigrated.Error()), ": "), p.url)
			}
			return nil, fmt.Errorf("database %s: %s", p.url, p.redact(err))
		}
		return p, nil
	}
	path, err := data.dbPath()
	if err != nil {
		return nil, err
	}
	db, s, err := openStore(ctx, path)
	if err != nil {
		return nil, err
	}
	return &sqliteDB{Store: s, db: db, path: path}, nil
}

// sqliteDB is the database in a SQLite file.
type sqliteDB struct {
	*sqlite.Store
	db   *sql.DB
	path string
}

func (s *sqliteDB) counter() authgo.Counter { return s.Counters() }
func (s *sqliteDB) where() string           { return s.path }
func (s *sqliteDB) close()                  { s.db.Close() }

func (s *sqliteDB) ping(ctx context.Context) error {
	var n int
	return s.db.QueryRowContext(ctx, "SELECT 1").Scan(&n)
}

func (s *sqliteDB) outbox(*dataFlags) (string, error) { return outboxPath(s.path), nil }

func fromSQLite(u sqlite.User) store.User {
	return store.User{ID: u.ID, Name: u.Name, Email: u.Email, Image: u.Image}
}

func (s *sqliteDB) createPasswordUser(ctx context.Context, username, hash string, u store.User) (store.User, error) {
	got, err := s.CreatePasswordUser(ctx, username, hash, sqlite.User{Name: u.Name, Email: u.Email, Image: u.Image})
	if errors.Is(err, sqlite.ErrUserExists) {
		return store.User{}, fmt.Errorf("%w%s", errUserExists, strings.TrimPrefix(err.Error(), sqlite.ErrUserExists.Error()))
	}
	return fromSQLite(got), err
}

func (s *sqliteDB) passwordUser(ctx context.Context, username string) (store.User, string, error) {
	u, hash, err := s.PasswordUser(ctx, username)
	if errors.Is(err, sqlite.ErrNotFound) {
		return store.User{}, "", errNoUser
	}
	return fromSQLite(u), hash, err
}

func (s *sqliteDB) setPassword(ctx context.Context, username, hash string) error {
	err := s.SetPassword(ctx, username, hash)
	if errors.Is(err, sqlite.ErrNotFound) {
		return errNoUser
	}
	return err
}

func (s *sqliteDB) listPasswordUsers(ctx context.Context) ([]passwordUser, error) {
	users, err := s.ListPasswordUsers(ctx)
	out := make([]passwordUser, len(users))
	for i, u := range users {
		out[i] = passwordUser{User: fromSQLite(u.User), Username: u.Username, PasswordSet: u.UpdatedAt}
	}
	return out, err
}

func (s *sqliteDB) deletePasswordUser(ctx context.Context, username string) (store.User, error) {
	u, err := s.DeletePasswordUser(ctx, username)
	if errors.Is(err, sqlite.ErrNotFound) {
		return store.User{}, errNoUser
	}
	return fromSQLite(u), err
}

// postgresTimeout bounds the first contact with PostgreSQL.
const postgresTimeout = 10 * time.Second

// postgresDB is the database in PostgreSQL, shared with Auth.js's
// @auth/pg-adapter.
type postgresDB struct {
	*postgres.Store
	pool    *pgxpool.Pool
	url     string   // the URL without its password
	secrets []string // what to scrub from error messages
}

// openPostgres connects to the database at rawURL, within postgresTimeout,
// without checking its schema.
func openPostgres(ctx context.Context, rawURL string) (*postgresDB, error) {
	p := &postgresDB{}
	p.url, p.secrets = redactURL(rawURL)
	cfg, err := pgxpool.ParseConfig(rawURL)
	if err != nil {
		return nil, fmt.Errorf("database %s: %s", p.url, p.redact(err))
	}
	ctx, cancel := context.WithTimeout(ctx, postgresTimeout)
	defer cancel()
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err == nil {
		err = pool.Ping(ctx)
		if err != nil {
			pool.Close()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("database %s: cannot connect: %s", p.url, p.redact(err))
	}
	p.pool = pool
	p.Store, err = postgres.New(pool)
	if err != nil {
		pool.Close()
		return nil, err
	}
	return p, nil
}

// redact returns err's message without any password of the URL, on one
// line: pgx gives a line per address it tried, often the same one twice
// (with and without TLS).
func (p *postgresDB) redact(err error) string {
	msg := err.Error()
	for _, s := range p.secrets {
		msg = strings.ReplaceAll(msg, s, "xxxxx")
	}
	var lines []string
	for _, l := range strings.Split(msg, "\n") {
		if l = strings.TrimSpace(l); l != "" && !slices.Contains(lines, l) {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, " ")
}

// redactURL returns rawURL with its password, in the user information or
// in a query parameter whose name holds "password", replaced by xxxxx,
// and the passwords it replaced. A URL it cannot parse is shown by its
// scheme alone.
func redactURL(rawURL string) (string, []string) {
	u, err := url.Parse(rawURL)
	if err != nil {
		scheme, _, _ := strings.Cut(rawURL, ":")
		return scheme + "://(a URL that does not parse)", nil
	}
	var secrets []string
	if pw, ok := u.User.Password(); ok && pw != "" {
		secrets = append(secrets, pw)
		// And as written, perhaps percent-encoded: the user information
		// ends at the last "@" before the path.
		rest := strings.TrimPrefix(rawURL, rawURL[:len(u.Scheme)]+"://")
		if i := strings.IndexAny(rest, "/?#"); i >= 0 {
			rest = rest[:i]
		}
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			if _, written, ok := strings.Cut(rest[:at], ":"); ok && written != pw {
				secrets = append(secrets, written)
			}
		}
	}
	q := u.Query()
	for k, vs := range q {
		if strings.Contains(strings.ToLower(k), "password") {
			for i, v := range vs {
				if v != "" {
					secrets = append(secrets, v, url.QueryEscape(v))
				}
				vs[i] = "xxxxx"
			}
		}
	}
	if len(u.RawQuery) > 0 {
		u.RawQuery = q.Encode()
	}
	// Longest first, so that no part of a password is left.
	slices.SortFunc(secrets, func(a, b string) int { return len(b) - len(a) })
	return u.Redacted(), secrets
}

func (p *postgresDB) counter() authgo.Counter { return p.Counters() }
func (p *postgresDB) where() string           { return p.url }
func (p *postgresDB) close()                  { p.pool.Close() }

func (p *postgresDB) ping(ctx context.Context) error {
	if err := p.pool.Ping(ctx); err != nil {
		return errors.New(p.redact(err))
	}
	return nil
}

func (p *postgresDB) outbox(data *dataFlags) (string, error) {
	if err := data.ensureDir(); err != nil {
		return "", err
	}
	return filepath.Join(data.dir, "authgo.outbox"), nil
}

func (p *postgresDB) createPasswordUser(ctx context.Context, username, hash string, u store.User) (store.User, error) {
	got, err := p.CreatePasswordUser(ctx, username, hash, u)
	if errors.Is(err, postgres.ErrUserExists) {
		return store.User{}, fmt.Errorf("%w%s", errUserExists, strings.TrimPrefix(err.Error(), postgres.ErrUserExists.Error()))
	}
	return got, err
}

func (p *postgresDB) passwordUser(ctx context.Context, username string) (store.User, string, error) {
	u, hash, err := p.PasswordUser(ctx, username)
	if errors.Is(err, postgres.ErrNotFound) {
		return store.User{}, "", errNoUser
	}
	return u, hash, err
}

func (p *postgresDB) setPassword(ctx context.Context, username, hash string) error {
	err := p.SetPassword(ctx, username, hash)
	if errors.Is(err, postgres.ErrNotFound) {
		return errNoUser
	}
	return err
}

func (p *postgresDB) listPasswordUsers(ctx context.Context) ([]passwordUser, error) {
	users, err := p.ListPasswordUsers(ctx)
	out := make([]passwordUser, len(users))
	for i, u := range users {
		// As SQLite writes its times.
		out[i] = passwordUser{User: u.User, Username: u.Username, PasswordSet: u.PasswordSet.UTC().Format("2006-01-02T15:04:05.000Z")}
	}
	return out, err
}

func (p *postgresDB) deletePasswordUser(ctx context.Context, username string) (store.User, error) {
	u, err := p.DeletePasswordUser(ctx, username)
	if errors.Is(err, postgres.ErrNotFound) {
		return store.User{}, errNoUser
	}
	return u, err
}

// migrateDatabase creates or upgrades the schema of the database of data
// and returns what it did, one line a change, and where it is.
func (c *cli) migrateDatabase(ctx context.Context, data *dataFlags) (applied []string, where string, err error) {
	if err := c.useConfigFile(data); err != nil {
		return nil, "", err
	}
	dsn := data.source(c.getenv)
	if isPostgres(dsn) {
		p, err := openPostgres(ctx, dsn)
		if err != nil {
			return nil, "", err
		}
		defer p.close()
		applied, err := postgres.Migrate(ctx, p.pool)
		if err != nil {
			return nil, p.url, fmt.Errorf("database %s: %s", p.url, p.redact(err))
		}
		return applied, p.url, nil
	}
	path, err := data.dbPath()
	if err != nil {
		return nil, "", err
	}
	db, err := openSQLiteFile(path)
	if err != nil {
		return nil, path, err
	}
	defer db.Close()
	applied, err = sqlite.Migrate(ctx, db)
	if err != nil {
		return nil, path, fmt.Errorf("database %s: %w", path, err)
	}
	return applied, path, nil
}
