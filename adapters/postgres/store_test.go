package postgres_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/adapters/adaptertest"
	"github.com/authgo/authgo/adapters/postgres"
	"github.com/authgo/authgo/internal/testkit"
	"github.com/authgo/authgo/store"
)

// newStore returns a Store over a fresh, migrated database.
func newStore(t *testing.T) (*postgres.Store, *pgxpool.Pool) {
	t.Helper()
	pool := freshDatabase(t)
	if _, err := postgres.Migrate(t.Context(), pool); err != nil {
		t.Fatal(err)
	}
	s, err := postgres.New(pool)
	if err != nil {
		t.Fatal(err)
	}
	return s, pool
}

func TestSessionsConformance(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	adaptertest.Sessions(t, func(t *testing.T) adaptertest.Database { return s })
}

// columns describes the Auth.js tables as information_schema sees them.
func columns(t *testing.T, pool *pgxpool.Pool) string {
	t.Helper()
	rows, err := pool.Query(t.Context(), `SELECT table_name, column_name, data_type, COALESCE(character_maximum_length, 0), is_nullable, COALESCE(column_default, '')
		FROM information_schema.columns
		WHERE table_schema = 'public' AND table_name IN ('users', 'accounts', 'sessions', 'verification_token')
		ORDER BY table_name, ordinal_position`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var table, col, typ, null, def string
		var n int
		if err := rows.Scan(&table, &col, &typ, &n, &null, &def); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s.%s %s(%d) %s %s\n", table, col, typ, n, null, def)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestSchemaIsPgAdapters: the tables Migrate creates are those
// pg-adapter's schema.sql creates, column for column.
func TestSchemaIsPgAdapters(t *testing.T) {
	t.Parallel()
	_, migrated := newStore(t)
	reference := freshDatabase(t)
	if _, err := reference.Exec(t.Context(), testkit.PGAdapterSchema); err != nil {
		t.Fatal(err)
	}
	got, want := columns(t, migrated), columns(t, reference)
	if got != want || !strings.Contains(want, `sessions.sessionToken character varying(255) NO`) {
		t.Fatalf("Migrate made\n%s\npg-adapter's schema.sql makes\n%s", got, want)
	}
}

// TestMigrateAdoptsAuthjsDatabase: a database pg-adapter's schema made,
// with Auth.js's rows in it, keeps them; the Store reads them.
func TestMigrateAdoptsAuthjsDatabase(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool := freshDatabase(t)
	if _, err := pool.Exec(ctx, testkit.PGAdapterSchema); err != nil {
		t.Fatal(err)
	}
	// What pg-adapter's createUser, linkAccount and createSession write.
	expires := time.Now().Add(time.Hour).Truncate(time.Millisecond)
	const tok = "6f1c2a4e-8b3d-4c5e-9f7a-0b1c2d3e4f50" // a UUID, as Auth.js mints
	if _, err := pool.Exec(ctx, `INSERT INTO users (name, email, "emailVerified", image) VALUES ('Ada', 'ada@example.com', NULL, NULL)`); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `insert into accounts ("userId", provider, type, "providerAccountId", access_token, expires_at, refresh_token, id_token, scope, session_state, token_type)
		values (1, 'github', 'oauth', '12345', 'gho_at', 1900000000, NULL, NULL, 'read:user', NULL, 'bearer')`); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `insert into sessions ("userId", expires, "sessionToken") values (1, $1, $2)`, expires, tok); err != nil {
		t.Fatal(err)
	}

	applied, err := postgres.Migrate(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("applied:\n%s", strings.Join(applied, "\n"))
	for _, name := range []string{"users", "accounts", "sessions", "verification_token"} {
		for _, line := range applied {
			if strings.HasSuffix(line, " "+name) {
				t.Errorf("Migrate touched the existing Auth.js table: %q", line)
			}
		}
	}
	for _, want := range []string{"created table authgo_sessions", "created unique index authgo_sessions_token_key", "created unique index authgo_accounts_provider_key"} {
		if !slices.Contains(applied, want) {
			t.Errorf("applied lacks %q", want)
		}
	}

	s, err := postgres.New(pool)
	if err != nil {
		t.Fatal(err)
	}
	sess, u, err := s.SessionAndUser(ctx, tok)
	if err != nil || sess == nil || u == nil {
		t.Fatalf("SessionAndUser(Auth.js's session) = %+v, %+v, %v", sess, u, err)
	}
	if sess.UserID != "1" || !sess.Expires.Equal(expires) || !sess.Created.IsZero() || u.ID != "1" || u.Name != "Ada" || u.Email != "ada@example.com" || u.Image != "" {
		t.Fatalf("SessionAndUser = %+v, %+v", sess, u)
	}
	if got, err := s.UserByAccount(ctx, "github", "12345"); err != nil || got == nil || got.ID != "1" {
		t.Fatalf("UserByAccount(Auth.js's account) = %+v, %v", got, err)
	}
	a, err := s.Account(ctx, "github", "12345")
	if err != nil || a == nil || a.AccessToken != "gho_at" || a.ExpiresAt != 1900000000 || a.Scope != "read:user" || a.RefreshToken != "" || a.UserID != "1" {
		t.Fatalf("Account = %+v, %v", a, err)
	}
	// First sight of Auth.js's session: recorded in authgo_sessions, the
	// Auth.js row keeps its columns.
	now := time.Now().Truncate(time.Millisecond)
	if err := s.UpdateSession(ctx, tok, expires.Add(time.Hour), now); err != nil {
		t.Fatal(err)
	}
	sess, _, err = s.SessionAndUser(ctx, tok)
	if err != nil || sess == nil || !sess.Created.Equal(now) || !sess.LastSeen.Equal(now) || !sess.Expires.Equal(expires.Add(time.Hour)) {
		t.Fatalf("after UpdateSession: %+v, %v", sess, err)
	}
	// A session authgo creates is a row Auth.js's getSessionAndUser finds:
	// the token raw in "sessionToken".
	mine := "bm90LWEtcmVhbC10b2tlbi1idXQtbG9uZy1lbm91Z2gtdG8tbG9vay1saWtlLW9uZQ"
	if err := s.CreateSession(ctx, store.Session{Token: mine, UserID: "1", Expires: expires, Created: now, LastSeen: now}); err != nil {
		t.Fatal(err)
	}
	var uid int
	if err := pool.QueryRow(ctx, `select "userId" from sessions where "sessionToken" = $1`, mine).Scan(&uid); err != nil || uid != 1 {
		t.Fatalf(`pg-adapter's lookup of authgo's session: "userId" %d, %v`, uid, err)
	}
	// Auth.js's sign-out (delete from sessions) ends it for authgo.
	if _, err := pool.Exec(ctx, `delete from sessions where "sessionToken" = $1`, mine); err != nil {
		t.Fatal(err)
	}
	if sess, _, err := s.SessionAndUser(ctx, mine); err != nil || sess != nil {
		t.Fatalf("session Auth.js deleted: %+v, %v", sess, err)
	}
	if n, err := s.DeleteExpiredSessions(ctx, time.Now()); err != nil || n != 0 {
		t.Fatalf("DeleteExpiredSessions = %d, %v", n, err)
	}
	var orphans int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM authgo_sessions WHERE session_token = $1`, mine).Scan(&orphans); err != nil || orphans != 0 {
		t.Fatalf("authgo_sessions row of a session Auth.js deleted: %d left, %v", orphans, err)
	}
}

// TestMigrateTwice: the second Migrate finds nothing to do.
func TestMigrateTwice(t *testing.T) {
	t.Parallel()
	pool := freshDatabase(t)
	first, err := postgres.Migrate(t.Context(), pool)
	if err != nil || len(first) == 0 {
		t.Fatalf("first Migrate = %q, %v", first, err)
	}
	second, err := postgres.Migrate(t.Context(), pool)
	if err != nil || len(second) != 0 {
		t.Fatalf("second Migrate = %q, %v; want nothing done", second, err)
	}
	var recorded int
	if err := pool.QueryRow(t.Context(), `SELECT count(*) FROM authgo_migrations`).Scan(&recorded); err != nil || recorded != len(first) {
		t.Fatalf("authgo_migrations has %d rows, %v; want %d", recorded, err, len(first))
	}
}

// TestMigrateConcurrently: instances starting together each migrate; one
// does the work, the others find it done.
func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	pool := freshDatabase(t)
	const n = 6
	results := make([][]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { results[i], errs[i] = postgres.Migrate(context.Background(), pool) })
	}
	wg.Wait()
	did := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("Migrate %d: %v", i, errs[i])
		}
		if len(results[i]) > 0 {
			did++
		}
	}
	if did != 1 {
		t.Fatalf("%d of %d concurrent Migrates applied changes, want 1: %q", did, n, results)
	}
}

// TestMigrateLeavesDuplicates: rows violating a unique index make Migrate
// skip that index, say so, and add it once they are gone.
func TestMigrateLeavesDuplicates(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool := freshDatabase(t)
	if _, err := pool.Exec(ctx, testkit.PGAdapterSchema); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO users (name) VALUES ('a');
		INSERT INTO accounts ("userId", type, provider, "providerAccountId") VALUES (1, 'oauth', 'github', '7'), (1, 'oauth', 'github', '7')`); err != nil {
		t.Fatal(err)
	}
	applied, err := postgres.Migrate(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	skipped := slices.IndexFunc(applied, func(s string) bool {
		return strings.HasPrefix(s, "skipped unique index authgo_accounts_provider_key")
	})
	if skipped < 0 || !slices.Contains(applied, "created unique index authgo_sessions_token_key") {
		t.Fatalf("applied = %q", applied)
	}
	t.Logf("%s", applied[skipped])
	// The store works without the index; linking the duplicated account
	// again is refused.
	s, _ := postgres.New(pool)
	if err := s.LinkAccount(ctx, store.Account{UserID: "1", Type: "oauth", Provider: "github", ProviderAccountID: "7"}); err == nil {
		t.Fatal("LinkAccount of a linked account succeeded")
	}
	if _, err := pool.Exec(ctx, `DELETE FROM accounts WHERE id = 2`); err != nil {
		t.Fatal(err)
	}
	applied, err = postgres.Migrate(ctx, pool)
	if err != nil || !slices.Equal(applied, []string{"created unique index authgo_accounts_provider_key"}) {
		t.Fatalf("Migrate after removing the duplicate = %q, %v", applied, err)
	}
}

func TestRevocationsConformance(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	adaptertest.Revocations(t, func(t *testing.T) authgo.RevocationStore { return s })
}

func TestCounterConformance(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	adaptertest.Counter(t, func(t *testing.T) authgo.Counter { return s.Counters() })
}

// TestSweeps: writes drop the revocations and counters that have ended.
func TestSweeps(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, pool := newStore(t)
	past := time.Now().Add(-time.Minute)
	if _, err := pool.Exec(ctx, `INSERT INTO authgo_revocations VALUES ('s', 'old', $1, $1), ('u', 'old', $1, $1)`, past); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO authgo_counters VALUES ('old', 3, $1)`, past); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeSession(ctx, "new", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Counters().Add(ctx, "new", time.Hour); err != nil {
		t.Fatal(err)
	}
	var left int
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM authgo_revocations WHERE key = 'old') + (SELECT count(*) FROM authgo_counters WHERE key = 'old')`).Scan(&left); err != nil || left != 0 {
		t.Fatalf("%d ended rows left, %v", left, err)
	}
}
