package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver

	"github.com/authgo/authgo/adapters/redis"
	"github.com/authgo/authgo/adapters/sqlite"
)

// defaultDataDir holds the database and the --dev secret.
const defaultDataDir = ".authgo"

// keywordDSN matches a libpq key=value connection string ("host=db
// user=app password=…").
var keywordDSN = regexp.MustCompile(`^\s*[A-Za-z_]+\s*=\s*('(\\.|[^'\\])*'|\S*)(\s+[A-Za-z_]+\s*=\s*('(\\.|[^'\\])*'|\S*))*\s*$`)

// dataFlags are the --data and --db flags shared by serve, migrate and
// the user commands.
type dataFlags struct {
	dir string
	db  string // a SQLite file or a postgres:// URL

	// For the commands other than serve (register): serve's configuration
	// file (--config, AUTH_CONFIG), which useConfigFile applies.
	command    bool
	config     string
	dirGiven   bool
	configRead bool
}

func (d *dataFlags) register(fs *flag.FlagSet) {
	d.command = true
	d.dir = "./" + defaultDataDir
	fs.Var(givenString{&d.dir, &d.dirGiven}, "data", "data `directory`, created (mode 0700) when missing; holds authgo.db and the --dev secret")
	fs.StringVar(&d.db, "db", "", "the database: a SQLite `file` or a postgres:// URL (default $AUTH_DATABASE_URL, else <data>/authgo.db)")
	fs.StringVar(&d.config, "config", "", "serve's configuration `file` (default $AUTH_CONFIG): its data, db, redis-url and session-store apply here too, under the flags and the environment")
}

// givenString is a string flag that records whether it was given.
type givenString struct {
	p     *string
	given *bool
}

func (g givenString) String() string {
	if g.p == nil {
		return ""
	}
	return *g.p
}

func (g givenString) Set(v string) error {
	*g.p, *g.given = v, true
	return nil
}

// source is the database to open: --db, else AUTH_DATABASE_URL (a SQLite
// file or a postgres:// URL), else "" for <data>/authgo.db. It also sets
// d.db, so that dbPath sees it.
func (d *dataFlags) source(getenv func(string) string) string {
	if d.db == "" {
		d.db = getenv("AUTH_DATABASE_URL")
	}
	return d.db
}

// ensureDir creates the data directory, mode 0700, when it is missing.
func (d *dataFlags) ensureDir() error {
	if d.dir == "" {
		return errors.New("--data must not be empty")
	}
	if err := os.MkdirAll(d.dir, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	return nil
}

// dbPath returns the database file, creating the data directory first when
// the file lives there.
func (d *dataFlags) dbPath() (string, error) {
	if d.db != "" {
		if err := d.checkDBFile(); err != nil {
			return "", err
		}
		return d.db, nil
	}
	if err := d.ensureDir(); err != nil {
		return "", err
	}
	return filepath.Join(d.dir, "authgo.db"), nil
}

// checkDBFile refuses a --db value (not a PostgreSQL URL) that is not a
// SQLite file in a directory that exists.
func (d *dataFlags) checkDBFile() error {
	// Not echoed: either may hold a password.
	if keywordDSN.MatchString(d.db) {
		return errors.New("--db: a key=value connection string (host=… password=…) is not read, and would become a SQLite file of that name: write it as a URL, postgres://user:password@host:port/db")
	}
	if scheme, _, ok := strings.Cut(d.db, "://"); ok && !strings.ContainsAny(scheme, `/\`) {
		return fmt.Errorf("--db: a %s:// URL is not a database authgo opens: want a SQLite file or a postgres:// URL", scheme)
	}
	dir := filepath.Dir(d.db)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return fmt.Errorf("--db %s: directory %s does not exist", d.db, dir)
	}
	return nil
}

// sqliteIdleConns is how many idle connections the SQLite pool keeps,
// against database/sql's default of two.
const sqliteIdleConns = 8

// openStore opens (creating it, mode 0600, when missing) and migrates the
// SQLite user store at path. The caller closes the returned *sql.DB.
func openStore(ctx context.Context, path string) (*sql.DB, *sqlite.Store, error) {
	db, err := openSQLiteFile(path)
	if err != nil {
		return nil, nil, err
	}
	store, err := sqlite.New(ctx, db)
	if err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("database %s: %w", path, err)
	}
	return db, store, nil
}

// openSQLiteFile opens the SQLite file at path, creating it, mode 0600,
// when missing, without touching its schema.
func openSQLiteFile(path string) (*sql.DB, error) {
	// Create the file ourselves so password hashes are not world-readable;
	// SQLite gives its -wal and -shm files the same permissions.
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("database %s: %w", path, err)
		}
		if f != nil {
			f.Close()
		}
	}
	db, err := sql.Open("sqlite", sqlite.DSN(path))
	if err != nil {
		return nil, fmt.Errorf("database %s: %w", path, err)
	}
	// Keep connections for concurrent reads open between bursts: a new
	// one parses the schema and runs the DSN's PRAGMAs first
	// (BenchmarkSessionsConcurrent in adapters/sqlite).
	db.SetMaxIdleConns(sqliteIdleConns)
	return db, nil
}

// redisTimeout bounds the first contact with AUTH_REDIS_URL.
const redisTimeout = 5 * time.Second

// openRedis connects to AUTH_REDIS_URL, failing within redisTimeout with
// one line that names the variable. go-redis's own messages (a line per
// failed dial, printed to stderr by default) go to log at debug level,
// or nowhere when log is nil: the error says what matters once.
func openRedis(ctx context.Context, rawURL string, log *slog.Logger) (*goredis.Client, error) {
	goredis.SetLogger(redisLogger{log})
	ctx, cancel := context.WithTimeout(ctx, redisTimeout)
	defer cancel()
	rdb, err := redis.Open(ctx, rawURL)
	if err != nil {
		return nil, fmt.Errorf("AUTH_REDIS_URL: %v", strings.TrimPrefix(err.Error(), "redis: "))
	}
	return rdb, nil
}

// redisClient returns a client for AUTH_REDIS_URL without contacting
// Redis, as redis.Open builds it.
func redisClient(rawURL string) (*goredis.Client, error) {
	o, err := goredis.ParseURL(rawURL)
	if err != nil {
		return nil, errors.New("AUTH_REDIS_URL: invalid URL")
	}
	o.ContextTimeoutEnabled = true
	return goredis.NewClient(o), nil
}

// redisLogger hands go-redis's messages to slog at debug level.
type redisLogger struct{ log *slog.Logger }

func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	if l.log != nil {
		l.log.DebugContext(ctx, "redis: "+strings.TrimPrefix(fmt.Sprintf(format, v...), "redis: "))
	}
}
