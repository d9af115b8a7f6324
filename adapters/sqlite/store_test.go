package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/adapters/adaptertest"
	"github.com/authgo/authgo/adapters/sqlite"
)

// A well-formed hash; the store treats it as an opaque string.
const testHash = "$argon2id$v=19$m=19456,t=2,p=1$YXV0aGdvLXZlY3Rvci1zYWx0$5KJn7q6DyTLUh+Ll11oVubCGPK5IcMZuTXD6Jj55U5M"

// openDB opens a database file at path with dsn(path) and closes it at the
// end of the test.
func openDB(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return db
}

// newStore returns a Store over a fresh database file and its *sql.DB.
func newStore(t *testing.T) (*sqlite.Store, *sql.DB) {
	t.Helper()
	db := openDB(t, sqlite.DSN(filepath.Join(t.TempDir(), "authgo.db")))
	s, err := sqlite.New(t.Context(), db)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s, db
}

func columns(t *testing.T, db *sql.DB, table string) []string {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), `SELECT name FROM pragma_table_info(?) ORDER BY cid`, table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			t.Fatal(err)
		}
		cols = append(cols, c)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return cols
}

func TestSchema(t *testing.T) {
	t.Parallel()
	_, db := newStore(t)
	tests := []struct {
		table string
		want  []string
	}{
		// The names @auth/pg-adapter uses, case included.
		{"users", []string{"id", "name", "email", "emailVerified", "image"}},
		{"authgo_credentials", []string{"user_id", "username", "password_hash", "created_at", "updated_at"}},
		{"authgo_migrations", []string{"version", "applied_at"}},
		{"authgo_revocations", []string{"kind", "key", "revoked_at", "expires_at"}},
		{"authgo_used", []string{"key", "expires_at"}},
		{"accounts", []string{"id", "userId", "type", "provider", "providerAccountId", "refresh_token", "access_token", "expires_at", "id_token", "scope", "session_state", "token_type"}},
		{"sessions", []string{"id", "userId", "expires", "sessionToken"}},
		{"verification_token", []string{"identifier", "expires", "token"}},
		{"authgo_sessions", []string{"token_hash", "created_at", "last_seen_at", "user_agent", "client_addr", "provider", "provider_account_id"}},
	}
	for _, tt := range tests {
		t.Run(tt.table, func(t *testing.T) {
			if got := columns(t, db, tt.table); !slices.Equal(got, tt.want) {
				t.Errorf("columns = %q, want %q", got, tt.want)
			}
		})
	}
	t.Run("no other tables", func(t *testing.T) {
		rows, err := db.QueryContext(t.Context(), `SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var got []string
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				t.Fatal(err)
			}
			got = append(got, n)
		}
		if want := []string{"accounts", "authgo_authenticators", "authgo_counters", "authgo_credentials", "authgo_migrations", "authgo_revocations", "authgo_sessions", "authgo_used", "sessions", "users", "verification_token"}; !slices.Equal(got, want) {
			t.Errorf("tables = %q, want %q", got, want)
		}
	})
}

func TestMigrationsIdempotent(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "authgo.db")
	ctx := t.Context()

	db := openDB(t, sqlite.DSN(path))
	s, err := sqlite.New(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreatePasswordUser(ctx, "alice", testHash, sqlite.User{}); err != nil {
		t.Fatal(err)
	}
	// Again on the same handle.
	if _, err := sqlite.New(ctx, db); err != nil {
		t.Fatalf("second New: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	// And after reopening the file: the data is kept, no version is
	// applied twice.
	db = openDB(t, sqlite.DSN(path))
	s, err = sqlite.New(ctx, db)
	if err != nil {
		t.Fatalf("New after reopen: %v", err)
	}
	if _, _, err := s.PasswordUser(ctx, "alice"); err != nil {
		t.Errorf("PasswordUser after reopen: %v", err)
	}
	var versions, maxVersion int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*), MAX(version) FROM authgo_migrations`).Scan(&versions, &maxVersion); err != nil {
		t.Fatal(err)
	}
	if versions != maxVersion || versions < 1 {
		t.Errorf("authgo_migrations has %d rows, max version %d", versions, maxVersion)
	}
}

// TestMigrateConcurrently migrates one empty database from several pools at
// once, as several processes starting together would.
func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "authgo.db")
	const n = 8
	dbs := make([]*sql.DB, n)
	for i := range dbs {
		dbs[i] = openDB(t, sqlite.DSN(path))
	}
	// Create the file and switch it to WAL first. Connections racing to
	// switch a brand-new file to WAL can fail with SQLITE_BUSY without
	// waiting (SQLite skips the busy handler where waiting could deadlock);
	// that is a one-off at creation, outside the migrations tested here.
	if err := dbs[0].PingContext(t.Context()); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i, db := range dbs {
		wg.Go(func() {
			_, errs[i] = sqlite.New(t.Context(), db)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("New #%d: %v", i, err)
		}
	}
}

func TestNewRefusesNewerSchema(t *testing.T) {
	t.Parallel()
	_, db := newStore(t)
	if _, err := db.ExecContext(t.Context(), `INSERT INTO authgo_migrations (version) VALUES (1000)`); err != nil {
		t.Fatal(err)
	}
	_, err := sqlite.New(t.Context(), db)
	if err == nil || !strings.HasPrefix(err.Error(), "sqlite: ") || !strings.Contains(err.Error(), "newer") {
		t.Errorf("New = %v, want a sqlite: ... newer ... error", err)
	}
}

func TestNewErrors(t *testing.T) {
	t.Parallel()
	if _, err := sqlite.New(t.Context(), nil); err == nil {
		t.Error("New(nil) succeeded")
	}
	db := openDB(t, sqlite.DSN(filepath.Join(t.TempDir(), "authgo.db")))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := sqlite.New(ctx, db); !errors.Is(err, context.Canceled) {
		t.Errorf("New(cancelled) = %v, want context.Canceled", err)
	}
}

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestCreateAndLookup(t *testing.T) {
	t.Parallel()
	s, db := newStore(t)
	ctx := t.Context()

	tests := []struct {
		name     string
		username string
		in       sqlite.User
	}{
		{"generated id", "alice", sqlite.User{Name: "Alice", Email: "alice@example.com", Image: "https://example.com/a.png"}},
		{"given id", "bob", sqlite.User{ID: "user-bob", Name: "Bob"}},
		{"no email", "carol", sqlite.User{}},
		{"second user without email", "dave", sqlite.User{}},
		{"unicode username", "Zoë_日本", sqlite.User{}},
		{"case differs from alice", "Alice", sqlite.User{}},
		{"max length", strings.Repeat("é", sqlite.MaxUsernameLength), sqlite.User{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hash := testHash + "/" + tt.username
			got, err := s.CreatePasswordUser(ctx, tt.username, hash, tt.in)
			if err != nil {
				t.Fatalf("CreatePasswordUser: %v", err)
			}
			want := tt.in
			if want.ID == "" {
				if !uuidV4.MatchString(got.ID) {
					t.Errorf("generated ID %q is not a UUIDv4", got.ID)
				}
				want.ID = got.ID
			}
			if got != want {
				t.Errorf("CreatePasswordUser = %+v, want %+v", got, want)
			}
			u, h, err := s.PasswordUser(ctx, tt.username)
			if err != nil {
				t.Fatalf("PasswordUser: %v", err)
			}
			if u != want || h != hash {
				t.Errorf("PasswordUser = %+v, %q; want %+v, %q", u, h, want, hash)
			}
		})
	}

	t.Run("empty fields are NULL", func(t *testing.T) {
		var nulls int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE email IS NULL AND name IS NULL AND image IS NULL AND "emailVerified" IS NULL`).Scan(&nulls); err != nil {
			t.Fatal(err)
		}
		if nulls != 5 {
			t.Errorf("%d users with all-NULL optional columns, want 5", nulls)
		}
	})

	t.Run("count", func(t *testing.T) {
		n, err := s.CountUsers(ctx)
		if err != nil || n != len(tests) {
			t.Errorf("CountUsers = %d, %v; want %d", n, err, len(tests))
		}
	})

	t.Run("timestamps", func(t *testing.T) {
		var created, updated string
		if err := db.QueryRowContext(ctx, `SELECT created_at, updated_at FROM authgo_credentials WHERE username = 'alice'`).Scan(&created, &updated); err != nil {
			t.Fatal(err)
		}
		ts := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)
		if !ts.MatchString(created) || !ts.MatchString(updated) {
			t.Errorf("created_at %q, updated_at %q; want RFC 3339 UTC", created, updated)
		}
	})
}

func TestPasswordUserNotFound(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := t.Context()
	if _, err := s.CreatePasswordUser(ctx, "alice", testHash, sqlite.User{}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"bob", "Alice", "alice ", " alice", "alic", "alice\x00", "", strings.Repeat("a", 10000)} {
		t.Run(fmt.Sprintf("%q", name[:min(len(name), 10)]), func(t *testing.T) {
			u, h, err := s.PasswordUser(ctx, name)
			if !errors.Is(err, sqlite.ErrNotFound) || u != (sqlite.User{}) || h != "" {
				t.Errorf("PasswordUser = %+v, %q, %v; want ErrNotFound", u, h, err)
			}
		})
	}
}

func TestCreateDuplicates(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := t.Context()
	if _, err := s.CreatePasswordUser(ctx, "alice", testHash, sqlite.User{ID: "id-alice", Email: "alice@example.com"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		username string
		u        sqlite.User
	}{
		{"same username", "alice", sqlite.User{}},
		{"same username other fields", "alice", sqlite.User{ID: "other", Email: "other@example.com"}},
		{"same email", "alice2", sqlite.User{Email: "alice@example.com"}},
		{"same id", "alice3", sqlite.User{ID: "id-alice"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.CreatePasswordUser(ctx, tt.username, testHash, tt.u)
			if !errors.Is(err, sqlite.ErrUserExists) {
				t.Errorf("CreatePasswordUser = %v, want ErrUserExists", err)
			}
		})
	}
	if n, err := s.CountUsers(ctx); err != nil || n != 1 {
		t.Errorf("CountUsers = %d, %v; want 1 (nothing half-created)", n, err)
	}
}

// TestCreateConcurrently races many creators of one username: exactly one
// wins and the others get ErrUserExists. It runs both with the recommended
// DSN and with deferred transactions, which the store must handle too.
func TestCreateConcurrently(t *testing.T) {
	t.Parallel()
	dsns := map[string]func(string) string{
		"recommended DSN": sqlite.DSN,
		"deferred transactions": func(path string) string {
			return "file://" + path + "?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)"
		},
	}
	for name, dsn := range dsns {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			db := openDB(t, dsn(filepath.Join(t.TempDir(), "authgo.db")))
			s, err := sqlite.New(t.Context(), db)
			if err != nil {
				t.Fatal(err)
			}
			const n = 16
			var wg sync.WaitGroup
			errs := make([]error, n)
			for i := range n {
				wg.Go(func() {
					_, errs[i] = s.CreatePasswordUser(t.Context(), "racer", testHash,
						sqlite.User{Email: fmt.Sprintf("racer%d@example.com", i)})
				})
			}
			wg.Wait()
			wins := 0
			for i, err := range errs {
				switch {
				case err == nil:
					wins++
				case !errors.Is(err, sqlite.ErrUserExists):
					t.Errorf("creator %d: %v, want nil or ErrUserExists", i, err)
				}
			}
			if wins != 1 {
				t.Errorf("%d creators won, want exactly 1", wins)
			}
			if c, err := s.CountUsers(t.Context()); err != nil || c != 1 {
				t.Errorf("CountUsers = %d, %v; want 1", c, err)
			}
		})
	}
}

func TestValidateUsername(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		username string
		ok       bool
	}{
		{"simple", "alice", true},
		{"email-like", "alice@example.com", true},
		{"punctuation", "a.b-c_d+e", true},
		{"single char", "a", true},
		{"64 ascii", strings.Repeat("a", 64), true},
		{"64 multibyte", strings.Repeat("日", 64), true},
		{"empty", "", false},
		{"65 chars", strings.Repeat("a", 65), false},
		{"space", "al ice", false},
		{"leading space", " alice", false},
		{"tab", "al\tice", false},
		{"newline", "alice\n", false},
		{"nul", "al\x00ice", false},
		{"del", "al\x7fice", false},
		{"c1 control", "al\u0085ice", false},
		{"no-break space", "al\u00a0ice", false},
		{"ideographic space", "al\u3000ice", false},
		{"zero-width space", "al\u200bice", false},
		{"zero-width joiner", "al\u200dice", false},
		{"right-to-left override", "al\u202eice", false},
		{"byte order mark", "\ufeffalice", false},
		{"invalid utf-8", "al\xffice", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := sqlite.ValidateUsername(tt.username)
			if tt.ok != (err == nil) {
				t.Fatalf("ValidateUsername(%q) = %v, want ok=%v", tt.username, err, tt.ok)
			}
			if err != nil && !errors.Is(err, sqlite.ErrInvalidUsername) {
				t.Errorf("error %v does not wrap ErrInvalidUsername", err)
			}
		})
	}
}

func TestCreateRejects(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := t.Context()
	if _, err := s.CreatePasswordUser(ctx, "bad name", testHash, sqlite.User{}); !errors.Is(err, sqlite.ErrInvalidUsername) {
		t.Errorf("bad username: %v, want ErrInvalidUsername", err)
	}
	if _, err := s.CreatePasswordUser(ctx, "alice", "", sqlite.User{}); err == nil || !strings.HasPrefix(err.Error(), "sqlite: ") {
		t.Errorf("empty hash: %v, want a sqlite: error", err)
	}
	if n, err := s.CountUsers(ctx); err != nil || n != 0 {
		t.Errorf("CountUsers = %d, %v; want 0", n, err)
	}
}

func TestSetPassword(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := t.Context()
	want, err := s.CreatePasswordUser(ctx, "alice", "old-hash", sqlite.User{Name: "Alice"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetPassword(ctx, "alice", "new-hash"); err != nil {
		t.Fatalf("SetPassword: %v", err)
	}
	u, h, err := s.PasswordUser(ctx, "alice")
	if err != nil || u != want || h != "new-hash" {
		t.Errorf("PasswordUser = %+v, %q, %v; want %+v, new-hash", u, h, err, want)
	}
	if err := s.SetPassword(ctx, "Alice", "x"); !errors.Is(err, sqlite.ErrNotFound) {
		t.Errorf("SetPassword(unknown) = %v, want ErrNotFound", err)
	}
	if err := s.SetPassword(ctx, "alice", ""); err == nil {
		t.Error("SetPassword(empty hash) succeeded")
	}
}

// TestDeleteCascades checks that the DSN enforces foreign keys on every
// pooled connection, so deleting a user deletes the credentials.
func TestDeleteCascades(t *testing.T) {
	t.Parallel()
	s, db := newStore(t)
	ctx := t.Context()
	u, err := s.CreatePasswordUser(ctx, "alice", testHash, sqlite.User{})
	if err != nil {
		t.Fatal(err)
	}
	// Hold several connections at once, so the pool must open new ones.
	conns := make([]*sql.Conn, 3)
	for i := range conns {
		if conns[i], err = db.Conn(ctx); err != nil {
			t.Fatal(err)
		}
		defer conns[i].Close()
		var fk int
		if err := conns[i].QueryRowContext(ctx, `PRAGMA foreign_keys`).Scan(&fk); err != nil || fk != 1 {
			t.Errorf("connection %d: foreign_keys = %d, %v; want 1", i, fk, err)
		}
	}
	if _, err := conns[2].ExecContext(ctx, `DELETE FROM users WHERE id = ?`, u.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.PasswordUser(ctx, "alice"); !errors.Is(err, sqlite.ErrNotFound) {
		t.Errorf("PasswordUser after delete = %v, want ErrNotFound", err)
	}
	var left int
	if err := conns[0].QueryRowContext(ctx, `SELECT COUNT(*) FROM authgo_credentials`).Scan(&left); err != nil || left != 0 {
		t.Errorf("%d credentials left, %v; want 0", left, err)
	}
}

func TestDSN(t *testing.T) {
	t.Parallel()
	const params = "?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_txlock=immediate"
	tests := []struct{ path, want string }{
		{"/var/lib/authgo/authgo.db", "file:///var/lib/authgo/authgo.db" + params},
		{"authgo.db", "file:authgo.db" + params},
		{"data/a b.db", "file:data/a b.db" + params},
		{"/tmp/100%?#.db", "file:///tmp/100%25%3F%23.db" + params},
		{"//server/share.db", "file:////server/share.db" + params},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			if got := sqlite.DSN(tt.path); got != tt.want {
				t.Errorf("DSN(%q) = %q, want %q", tt.path, got, tt.want)
			}
		})
	}

	// Reserved characters in a real file name reach the right file.
	t.Run("opens the named file", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "odd 100%?#name.db")
		db := openDB(t, sqlite.DSN(path))
		if _, err := sqlite.New(t.Context(), db); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(path); err != nil {
			t.Errorf("database file not at %q: %v", path, err)
		}
		var mode string
		if err := db.QueryRowContext(t.Context(), `PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
			t.Errorf("journal_mode = %q, %v; want wal", mode, err)
		}
	})
}

func TestRevocations(t *testing.T) {
	t.Parallel()
	adaptertest.Revocations(t, func(t *testing.T) authgo.RevocationStore {
		s, _ := newStore(t)
		return s
	})
}

// BenchmarkCheck: what the revocation check costs a session read, with
// 10,000 sign-outs recorded.
func BenchmarkCheck(b *testing.B) {
	db, err := sql.Open("sqlite", sqlite.DSN(filepath.Join(b.TempDir(), "bench.db")))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	s, err := sqlite.New(b.Context(), db)
	if err != nil {
		b.Fatal(err)
	}
	for i := range 10000 {
		s.RevokeSession(b.Context(), fmt.Sprint("s", i), time.Now().Add(time.Hour))
	}
	b.ReportAllocs()
	for b.Loop() {
		if revoked, _, err := s.Check(b.Context(), "live-session", "user-1"); err != nil || revoked {
			b.Fatal(revoked, err)
		}
	}
}

func TestCounter(t *testing.T) {
	t.Parallel()
	adaptertest.Counter(t, func(t *testing.T) authgo.Counter {
		s, _ := newStore(t)
		return s.Counters()
	})
}

// TestCounterShared: two handles on one file (two authgo processes) count
// into the same window, and concurrent Adds from both are all counted.
func TestCounterShared(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "authgo.db")
	var ctrs []*sqlite.Counters
	for range 2 {
		s, err := sqlite.New(t.Context(), openDB(t, sqlite.DSN(path)))
		if err != nil {
			t.Fatal(err)
		}
		ctrs = append(ctrs, s.Counters())
	}
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Go(func() {
			if _, _, err := ctrs[i%2].Add(t.Context(), "signin:user:alice", time.Hour); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for i, c := range ctrs {
		if n, _, err := c.Count(t.Context(), "signin:user:alice"); err != nil || n != 30 {
			t.Fatalf("handle %d counts %d, %v; want 30", i, n, err)
		}
	}
	got, err := ctrs[0].CountersWithPrefix(t.Context(), "signin:user:")
	if err != nil || len(got) != 1 || got["signin:user:alice"].N != 30 {
		t.Fatalf("CountersWithPrefix = %v, %v", got, err)
	}
}

// BenchmarkCounterAdd: what counting one failed sign-in costs (an upsert
// and the cleanup of ended windows), against a password hash's ~50 ms.
func BenchmarkCounterAdd(b *testing.B) {
	db, err := sql.Open("sqlite", sqlite.DSN(filepath.Join(b.TempDir(), "bench.db")))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	s, err := sqlite.New(b.Context(), db)
	if err != nil {
		b.Fatal(err)
	}
	c := s.Counters()
	i := 0
	for b.Loop() {
		if _, _, err := c.Add(b.Context(), fmt.Sprint("signin:user:u", i%1000), time.Hour); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
