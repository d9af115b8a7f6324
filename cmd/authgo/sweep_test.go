package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgo/authgo/adapters/sqlite"
	"github.com/authgo/authgo/internal/testkit"
	"github.com/authgo/authgo/internal/testkit/sqlitetest"
	"github.com/authgo/authgo/store"
)

// sweepFixture is a SQLite database file with a user and helpers to add
// sessions and count them.
type sweepFixture struct {
	t    *testing.T
	path string
	db   *sql.DB
	s    *sqlite.Store
	user string
}

func newSweepFixture(t *testing.T, dir string) *sweepFixture {
	t.Helper()
	path := filepath.Join(dir, "authgo.db")
	s, db := sqlitetest.Open(t, path)
	u, err := s.CreateUser(t.Context(), store.User{Name: "Sweep", Email: "sweep@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	return &sweepFixture{t: t, path: path, db: db, s: s, user: u.ID}
}

// session adds a session expiring at exp and returns its token.
func (f *sweepFixture) session(exp time.Time) string {
	f.t.Helper()
	tok := rand.Text()
	now := time.Now()
	if err := f.s.CreateSession(f.t.Context(), store.Session{Token: tok, UserID: f.user, Expires: exp, Created: now, LastSeen: now}); err != nil {
		f.t.Fatal(err)
	}
	return tok
}

// exists reports whether the session tok still has its rows.
func (f *sweepFixture) exists(tok string) bool {
	f.t.Helper()
	var n int
	if err := f.db.QueryRowContext(f.t.Context(), `SELECT (SELECT count(*) FROM sessions WHERE "sessionToken" = ?) + (SELECT count(*) FROM authgo_sessions WHERE token_hash = ?)`,
		store.SessionID(tok), store.SessionID(tok)).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n > 0
}

// gone waits up to 5 s for the session tok to be deleted.
func (f *sweepFixture) gone(tok string) bool {
	f.t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if !f.exists(tok) {
			return true
		}
	}
	return false
}

// countingSweeper counts the sweeps.
type countingSweeper struct {
	sessionSweeper
	n atomic.Int32
}

func (c *countingSweeper) DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error) {
	c.n.Add(1)
	return c.sessionSweeper.DeleteExpiredSessions(ctx, now)
}

// TestSessionSweep: the sweep deletes expired sessions at once, then on
// every tick (one that expired after the first sweep goes at a later
// one), never a live session; stop ends it.
func TestSessionSweep(t *testing.T) {
	f := newSweepFixture(t, t.TempDir())
	now := time.Now()
	expired, live := f.session(now.Add(-time.Minute)), f.session(now.Add(time.Hour))
	cs := &countingSweeper{sessionSweeper: f.s}
	var log testkit.Buffer
	stop := startSessionSweep(t.Context(), cs, 50*time.Millisecond, time.Now, slog.New(slog.NewTextHandler(&log, nil)))
	if !f.gone(expired) {
		t.Fatal("the sweep at start left an expired session")
	}
	later := f.session(time.Now().Add(100 * time.Millisecond))
	if !f.gone(later) {
		t.Fatal("a later sweep left a session that expired after the first")
	}
	stop()
	if !f.exists(live) {
		t.Fatal("the sweep deleted a live session")
	}
	n := cs.n.Load()
	if n < 2 {
		t.Fatalf("%d sweeps", n)
	}
	time.Sleep(150 * time.Millisecond)
	if cs.n.Load() != n {
		t.Fatal("the sweep went on after stop")
	}
	if !strings.Contains(log.String(), `msg="deleted expired sessions" sessions=1`) {
		t.Errorf("the sweep's log: %q", log.String())
	}
}

// TestServeSweepsSessions: authgo serve deletes the expired sessions of its
// database when it starts (then hourly).
func TestServeSweepsSessions(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	f := newSweepFixture(t, dir)
	expired, live := f.session(time.Now().Add(-time.Hour)), f.session(time.Now().Add(time.Hour))
	srv := startServe(t, false, "--dev", "--addr", "127.0.0.1:0", "--data", dir)
	if !f.gone(expired) {
		t.Fatalf("serve left an expired session; its log:\n%s", srv.stderr)
	}
	if !f.exists(live) {
		t.Fatal("serve's sweep deleted a live session")
	}
}

// TestSessionSweepDatabaseDown: while the database does not answer, each
// sweep logs a warning and the next one still comes; nothing exits.
func TestSessionSweepDatabaseDown(t *testing.T) {
	f := newSweepFixture(t, t.TempDir())
	if err := f.db.Close(); err != nil {
		t.Fatal(err)
	}
	cs := &countingSweeper{sessionSweeper: f.s}
	var log testkit.Buffer
	stop := startSessionSweep(t.Context(), cs, 20*time.Millisecond, time.Now, slog.New(slog.NewTextHandler(&log, nil)))
	defer stop()
	// Waits for the warnings, not the sweeps: a sweep counted when stop
	// cancels it fails by the cancel, and rightly logs nothing.
	warnings := func() int {
		return strings.Count(log.String(), `level=WARN msg="deleting expired sessions failed; trying again later"`)
	}
	for deadline := time.Now().Add(5 * time.Second); warnings() < 3; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d warnings for %d sweeps in 5 s with the database down; want a warning for each, and the sweep to go on; the log:\n%s", warnings(), cs.n.Load(), log.String())
		}
	}
	stop()
	if n := cs.n.Load(); n < 3 {
		t.Errorf("%d sweeps for 3 warnings", n)
	}
}
