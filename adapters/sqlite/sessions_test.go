package sqlite_test

import (
	"crypto/sha256"
	"encoding/base64"
	"path/filepath"
	"testing"
	"time"

	"github.com/authgo/authgo/adapters/adaptertest"
	"github.com/authgo/authgo/adapters/sqlite"
	"github.com/authgo/authgo/store"
)

func TestSessionsConformance(t *testing.T) {
	t.Parallel()
	s, db := newStore(t)
	adaptertest.Sessions(t, func(t *testing.T) adaptertest.Database { return s })
	// Whatever the suite did, concurrent sign-outs everywhere included,
	// left no session without its authgo_sessions row, nor the reverse.
	var half int
	if err := db.QueryRowContext(t.Context(), `SELECT
		(SELECT COUNT(*) FROM sessions s WHERE NOT EXISTS (SELECT 1 FROM authgo_sessions a WHERE a.token_hash = s."sessionToken")) +
		(SELECT COUNT(*) FROM authgo_sessions a WHERE NOT EXISTS (SELECT 1 FROM sessions s WHERE s."sessionToken" = a.token_hash))`).Scan(&half); err != nil || half != 0 {
		t.Fatalf("%d half-written sessions, %v", half, err)
	}
}

// TestUserSessionsWithoutSideRow: a sessions row without its
// authgo_sessions row (written by another program) is listed last, with a
// zero Created and LastSeen, under the ID the table keeps.
func TestUserSessionsWithoutSideRow(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, db := newStore(t)
	u, err := s.CreateUser(ctx, store.User{Name: "a"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Truncate(time.Second)
	bare := store.SessionID("a token of another program")
	if _, err := db.ExecContext(ctx, `INSERT INTO sessions ("userId", expires, "sessionToken") VALUES (?, ?, ?)`, u.ID, now.Add(time.Hour).UnixMilli(), bare); err != nil {
		t.Fatal(err)
	}
	const tok = "bm90LWEtcmVhbC10b2tlbi1idXQtbG9uZy1lbm91Z2gtdG8tbG9vay1saWtlLW9uZQ"
	if err := s.CreateSession(ctx, store.Session{Token: tok, UserID: u.ID, Expires: now.Add(time.Hour), Created: now.Add(-time.Hour), LastSeen: now.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	list, err := s.UserSessions(ctx, u.ID)
	if err != nil || len(list) != 2 {
		t.Fatalf("UserSessions = %+v, %v", list, err)
	}
	if list[0].ID != store.SessionID(tok) || list[1].ID != bare || !list[1].Created.IsZero() || !list[1].LastSeen.IsZero() || list[1].Token != "" {
		t.Fatalf("UserSessions = %+v; want the session with a side row first", list)
	}
	if ok, err := s.DeleteUserSession(ctx, u.ID, bare); err != nil || !ok {
		t.Fatalf("DeleteUserSession(bare) = %v, %v", ok, err)
	}
}

// TestSessionTokenHashed: the sessions table holds the SHA-256 of the
// cookie value, never the value.
func TestSessionTokenHashed(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, db := newStore(t)
	u, err := s.CreateUser(ctx, store.User{Name: "a"})
	if err != nil {
		t.Fatal(err)
	}
	const tok = "bm90LWEtcmVhbC10b2tlbi1idXQtbG9uZy1lbm91Z2gtdG8tbG9vay1saWtlLW9uZQ"
	now := time.Now()
	if err := s.CreateSession(ctx, store.Session{Token: tok, UserID: u.ID, Expires: now.Add(time.Hour), Created: now, LastSeen: now}); err != nil {
		t.Fatal(err)
	}
	var stored string
	if err := db.QueryRowContext(ctx, `SELECT "sessionToken" FROM sessions`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256([]byte(tok))
	if want := base64.RawURLEncoding.EncodeToString(h[:]); stored != want {
		t.Fatalf(`"sessionToken" = %q, want the SHA-256 %q`, stored, want)
	}
	// The hash is not a token: presented as a cookie it opens nothing.
	if got, _, err := s.SessionAndUser(ctx, stored); err != nil || got != nil {
		t.Fatalf("SessionAndUser(hash) = %+v, %v", got, err)
	}
	if n, err := s.DeleteExpiredSessions(ctx, now.Add(2*time.Hour)); err != nil || n != 1 {
		t.Fatalf("DeleteExpiredSessions = %d, %v", n, err)
	}
	var left int
	if err := db.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM sessions) + (SELECT COUNT(*) FROM authgo_sessions)`).Scan(&left); err != nil || left != 0 {
		t.Fatalf("%d rows left, %v", left, err)
	}
}

// schemaV4 is the schema version 4 made (the release before database
// sessions), as it stands in a database file serve wrote.
var schemaV4 = []string{
	`CREATE TABLE authgo_migrations (version INTEGER NOT NULL PRIMARY KEY, applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))`,
	`CREATE TABLE users (id TEXT NOT NULL PRIMARY KEY, name TEXT, email TEXT UNIQUE, "emailVerified" TEXT, image TEXT)`,
	`CREATE TABLE authgo_credentials (user_id TEXT NOT NULL PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE, username TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL,
		created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')), updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))`,
	`CREATE TABLE authgo_revocations (kind TEXT NOT NULL CHECK (kind IN ('s', 'u')), key TEXT NOT NULL, revoked_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, PRIMARY KEY (kind, key)) WITHOUT ROWID`,
	`CREATE INDEX authgo_revocations_expires ON authgo_revocations (expires_at)`,
	`CREATE TABLE authgo_counters (key TEXT NOT NULL PRIMARY KEY, n INTEGER NOT NULL, ends_at INTEGER NOT NULL) WITHOUT ROWID`,
	`CREATE INDEX authgo_counters_ends ON authgo_counters (ends_at)`,
	`CREATE TABLE authgo_used (key TEXT NOT NULL PRIMARY KEY, expires_at INTEGER NOT NULL) WITHOUT ROWID`,
	`CREATE INDEX authgo_used_expires ON authgo_used (expires_at)`,
	`INSERT INTO authgo_migrations (version) VALUES (1), (2), (3), (4)`,
	`INSERT INTO users (id, name, email) VALUES ('u-1', 'alice', 'alice@example.com')`,
	`INSERT INTO authgo_credentials (user_id, username, password_hash) VALUES ('u-1', 'alice', '` + testHash + `')`,
	`INSERT INTO authgo_revocations (kind, key, revoked_at, expires_at) VALUES ('u', 'u-1', 1700000000, 4102444800)`,
}

// TestMigrateFromV4 opens a database made by the previous schema version:
// New migrates it forward, and its users and revocations are still there
// and usable with database sessions.
func TestMigrateFromV4(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "authgo.db")
	db := openDB(t, sqlite.DSN(path))
	for _, q := range schemaV4 {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	s, err := sqlite.New(ctx, db)
	if err != nil {
		t.Fatalf("New on a version 4 database: %v", err)
	}
	u, hash, err := s.PasswordUser(ctx, "alice")
	if err != nil || u.ID != "u-1" || hash != testHash {
		t.Fatalf("PasswordUser after migrating = %+v, %q, %v", u, hash, err)
	}
	_, cutoff, err := s.Check(ctx, "", "u-1")
	if err != nil || cutoff.Unix() != 1700000000 {
		t.Fatalf("revocation cutoff after migrating = %v, %v", cutoff, err)
	}
	now := time.Now()
	if err := s.CreateSession(ctx, store.Session{Token: "t", UserID: u.ID, Expires: now.Add(time.Hour), Created: now, LastSeen: now}); err != nil {
		t.Fatal(err)
	}
	if _, gu, err := s.SessionAndUser(ctx, "t"); err != nil || gu == nil || gu.Email != "alice@example.com" {
		t.Fatalf("session of the migrated user: %+v, %v", gu, err)
	}
	var v int
	if err := db.QueryRowContext(ctx, `SELECT MAX(version) FROM authgo_migrations`).Scan(&v); err != nil || v != 7 {
		t.Fatalf("schema version %d, %v; want 7", v, err)
	}
}
