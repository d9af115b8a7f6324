package authgo_test

import (
	"context"
	"database/sql"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/adapters/sqlite"
	"github.com/authgo/authgo/internal/testkit/sqlitetest"
	"github.com/authgo/authgo/store"
)

// clock is a test clock that tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type dbFixture struct {
	a     *authgo.Auth
	store *sqlite.Store
	db    *sql.DB
	clk   *clock
	c     *client
}

// newDBAuth is an Auth with the database strategy on a fresh SQLite file.
func newDBAuth(t *testing.T, mod func(*authgo.Config)) *dbFixture {
	t.Helper()
	s, db := sqlitetest.New(t)
	clk := &clock{t: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
	a := newAuth(t, func(c *authgo.Config) {
		c.Session.Strategy = authgo.StrategyDatabase
		c.Session.Store = s
		c.Users = s
		c.Now = clk.now
		if mod != nil {
			mod(c)
		}
	})
	return &dbFixture{a: a, store: s, db: db, clk: clk, c: newClient(t, a)}
}

const origin = "http://localhost:3000"

func (f *dbFixture) rows(t *testing.T) (n int, expires int64) {
	t.Helper()
	if err := f.db.QueryRowContext(t.Context(), `SELECT COUNT(*), COALESCE(MAX(expires), 0) FROM sessions`).Scan(&n, &expires); err != nil {
		t.Fatal(err)
	}
	return n, expires
}

func TestDatabaseSignInAndSession(t *testing.T) {
	f := newDBAuth(t, nil)
	r := f.c.signIn(origin, "alice", "wonderland")
	if r.StatusCode != http.StatusFound {
		t.Fatalf("sign-in: %d %s", r.StatusCode, r.body)
	}
	ck := r.setCook["authjs.session-token"]
	if ck == nil {
		t.Fatal("no session cookie")
	}
	if raw, err := base64.RawURLEncoding.DecodeString(ck.Value); err != nil || len(raw) != 32 {
		t.Fatalf("session cookie %q is not 32 bytes base64url", ck.Value)
	}
	start := f.clk.now()
	if !ck.Expires.Equal(start.Add(authgo.DefaultMaxAge)) || !ck.HttpOnly {
		t.Errorf("cookie expires %v httpOnly %v", ck.Expires, ck.HttpOnly)
	}
	if n, exp := f.rows(t); n != 1 || exp != start.Add(authgo.DefaultMaxAge).UnixMilli() {
		t.Fatalf("sessions rows = %d, expires %d", n, exp)
	}
	// The credentials user got a users row and an accounts row.
	var accounts int
	if err := f.db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM accounts a JOIN users u ON u.id = a."userId"
		WHERE a.type = 'credentials' AND a.provider = 'credentials' AND a."providerAccountId" = 'user-1' AND u.email = 'alice@example.com'`).Scan(&accounts); err != nil || accounts != 1 {
		t.Fatalf("credentials accounts row: %d, %v", accounts, err)
	}

	s := f.c.session(origin)
	u := s["user"].(map[string]any)
	if u["name"] != "Alice" || u["email"] != "alice@example.com" || u["image"] != "https://example.com/alice.png" {
		t.Errorf("session user = %v", u)
	}
	if s["expires"] != start.Add(authgo.DefaultMaxAge).Format("2006-01-02T15:04:05.000Z") {
		t.Errorf("expires = %v", s["expires"])
	}

	// Within updateAge: the row is not rewritten, the cookie is.
	f.clk.add(time.Hour)
	r = f.c.get(origin + "/auth/session")
	if _, exp := f.rows(t); exp != start.Add(authgo.DefaultMaxAge).UnixMilli() {
		t.Errorf("row rewritten within updateAge")
	}
	if ck := r.setCook["authjs.session-token"]; ck == nil || !ck.Expires.Equal(f.clk.now().Add(authgo.DefaultMaxAge)) {
		t.Errorf("cookie not re-sent with now+maxAge: %v", ck)
	}

	// Past updateAge: rewritten once; the JSON shows the expiry read
	// before the rewrite, as Auth.js does, the cookie the new one.
	f.clk.add(authgo.DefaultUpdateAge)
	before := start.Add(authgo.DefaultMaxAge)
	r = f.c.get(origin + "/auth/session")
	if !strings.Contains(r.body, `"expires":"`+before.Format("2006-01-02T15:04:05.000Z")+`"`) {
		t.Errorf("JSON after the rewrite = %s; want the pre-update expires %v", r.body, before)
	}
	now := f.clk.now()
	if _, exp := f.rows(t); exp != now.Add(authgo.DefaultMaxAge).UnixMilli() {
		t.Errorf("row expires %d, want %d", exp, now.Add(authgo.DefaultMaxAge).UnixMilli())
	}
	if s := f.c.session(origin); s["expires"] != now.Add(authgo.DefaultMaxAge).Format("2006-01-02T15:04:05.000Z") {
		t.Errorf("next read expires = %v", s["expires"])
	}
	var created, seen int64
	if err := f.db.QueryRowContext(t.Context(), `SELECT created_at, last_seen_at FROM authgo_sessions`).Scan(&created, &seen); err != nil {
		t.Fatal(err)
	}
	if created != start.UnixMilli() || seen != now.UnixMilli() {
		t.Errorf("authgo_sessions created %d last seen %d; want %d, %d", created, seen, start.UnixMilli(), now.UnixMilli())
	}

	// Session(r) and the middleware read it too.
	req := httptest.NewRequest("GET", origin+"/", nil)
	req.Header.Set("Cookie", "authjs.session-token="+ck.Value)
	if sess, err := f.a.Session(req); err != nil || sess == nil || sess.User.Email != "alice@example.com" {
		t.Fatalf("Session(r) = %+v, %v", sess, err)
	}
	if tok, err := f.a.Token(req); err != nil || tok == nil || tok.Subject != "user-1" {
		t.Fatalf("Token(r) = %+v, %v", tok, err)
	}
	guarded := f.a.RequireSession(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := f.a.SessionFromContext(r.Context())
		w.Write([]byte(s.User.Email))
	}))
	w := httptest.NewRecorder()
	guarded.ServeHTTP(w, req)
	if w.Code != 200 || w.Body.String() != "alice@example.com" {
		t.Fatalf("guarded page: %d %s", w.Code, w.Body)
	}
}

func TestDatabaseSignOutDeletesRow(t *testing.T) {
	f := newDBAuth(t, nil)
	f.c.signIn(origin, "alice", "wonderland")
	kept := f.c.Cookie("authjs.session-token")
	r := f.c.postForm(origin+"/auth/signout", url.Values{"csrfToken": {f.c.csrf(origin)}})
	if r.StatusCode != http.StatusFound {
		t.Fatalf("sign-out: %d %s", r.StatusCode, r.body)
	}
	if ck := r.setCook["authjs.session-token"]; ck == nil || ck.MaxAge >= 0 && ck.Value != "" {
		t.Errorf("cookie not cleared: %v", ck)
	}
	if n, _ := f.rows(t); n != 0 {
		t.Fatalf("%d sessions rows after sign-out", n)
	}
	// A copy of the cookie opens nothing, and is cleared.
	f.c.SetCookie("authjs.session-token", kept)
	r = f.c.get(origin + "/auth/session")
	if r.body != "null" {
		t.Fatalf("kept cookie after sign-out: %s", r.body)
	}
	if ck := r.setCook["authjs.session-token"]; ck == nil || ck.Value != "" {
		t.Errorf("cookie naming no session not cleared: %v", ck)
	}
}

// TestDatabaseNoFixation: every sign-in mints a new token; one the browser
// brings, even a valid one, is never adopted.
func TestDatabaseNoFixation(t *testing.T) {
	f := newDBAuth(t, nil)
	f.c.signIn(origin, "bob", "builder")
	planted := f.c.Cookie("authjs.session-token")
	r := f.c.signIn(origin, "alice", "wonderland")
	got := r.setCook["authjs.session-token"]
	if got == nil || got.Value == planted || got.Value == "" {
		t.Fatalf("sign-in kept the token the browser brought: %v", got)
	}
	if s := f.c.session(origin); s["user"].(map[string]any)["email"] != "alice@example.com" {
		t.Fatalf("session after the second sign-in: %v", s)
	}
	// Also for a token the browser made up.
	f.c.SetCookie("authjs.session-token", "attacker-chosen-token")
	r = f.c.signIn(origin, "alice", "wonderland")
	if got := r.setCook["authjs.session-token"]; got == nil || got.Value == "attacker-chosen-token" {
		t.Fatalf("sign-in adopted a made-up token: %v", got)
	}
}

func TestDatabaseExpiredRowDeleted(t *testing.T) {
	f := newDBAuth(t, func(c *authgo.Config) { c.Session.MaxAge = time.Hour; c.Session.UpdateAge = time.Hour })
	f.c.signIn(origin, "alice", "wonderland")
	f.clk.add(time.Hour + time.Second)
	if r := f.c.get(origin + "/auth/session"); r.body != "null" {
		t.Fatalf("expired session: %s", r.body)
	}
	if n, _ := f.rows(t); n != 0 {
		t.Fatalf("expired row not deleted on read (%d rows)", n)
	}
}

func TestDatabaseMaxLifetime(t *testing.T) {
	f := newDBAuth(t, func(c *authgo.Config) {
		c.Session.MaxAge, c.Session.UpdateAge, c.Session.MaxLifetime = 2*time.Hour, time.Minute, 3*time.Hour
	})
	f.c.signIn(origin, "alice", "wonderland")
	for range 5 { // used every 50 minutes: the idle expiry slides
		f.clk.add(50 * time.Minute)
		if s := f.c.get(origin + "/auth/session"); s.body == "null" {
			if f.clk.now().Sub(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)) < 3*time.Hour {
				t.Fatalf("session ended before MaxLifetime at %v", f.clk.now())
			}
			break
		}
	}
	f.clk.add(time.Minute)
	if r := f.c.get(origin + "/auth/session"); r.body != "null" {
		t.Fatalf("session alive past MaxLifetime: %s", r.body)
	}
	if n, _ := f.rows(t); n != 0 {
		t.Fatalf("outlived row not deleted (%d rows)", n)
	}
}

// TestDatabaseStoreDown: a store that cannot answer is neither a sign-out
// nor a signed-in request.
func TestDatabaseStoreDown(t *testing.T) {
	f := newDBAuth(t, nil)
	f.c.signIn(origin, "alice", "wonderland")
	tok := f.c.Cookie("authjs.session-token")
	f.db.Close()
	r := f.c.get(origin + "/auth/session")
	if r.StatusCode != 200 || r.body != "null" {
		t.Fatalf("/session with the store down: %d %s", r.StatusCode, r.body)
	}
	if _, ok := r.setCook["authjs.session-token"]; ok {
		t.Fatalf("/session with the store down touched the cookie")
	}
	req := httptest.NewRequest("GET", origin+"/", nil)
	req.Header.Set("Cookie", "authjs.session-token="+tok)
	w := httptest.NewRecorder()
	f.a.RequireSession(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { t.Error("guarded handler ran") })).ServeHTTP(w, req)
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
		t.Fatalf("middleware with the store down: %d %v", w.Code, w.Header())
	}
	for _, bad := range []string{"sql", "database", "closed"} {
		if strings.Contains(strings.ToLower(w.Body.String()), bad) {
			t.Errorf("body leaks %q: %s", bad, w.Body)
		}
	}
	if _, err := f.a.Session(req); err != authgo.ErrSessionUnavailable {
		t.Errorf("Session(r) = %v, want ErrSessionUnavailable", err)
	}
	// Signing out cannot delete the row: refused, cookie kept.
	r = f.c.postForm(origin+"/auth/signout", url.Values{"csrfToken": {f.c.csrf(origin)}})
	if _, ok := r.setCook["authjs.session-token"]; ok {
		t.Errorf("sign-out with the store down cleared the cookie: %d %v", r.StatusCode, r.Header)
	}
}

func TestDatabaseStrategyNeedsStores(t *testing.T) {
	_, err := authgo.New(authgo.Config{Secret: []string{testSecret}, URL: origin, Session: authgo.SessionConfig{Strategy: authgo.StrategyDatabase}})
	if err == nil || !strings.Contains(err.Error(), "Session.Store") {
		t.Fatalf("New = %v", err)
	}
}

// TestUsersSignUp: the first sign-in creates the user (signUp, IsNewUser);
// later ones find it. Under the JWT strategy too.
func TestUsersSignUp(t *testing.T) {
	s, db := sqlitetest.New(t)
	var triggers []string
	a := newAuth(t, func(c *authgo.Config) {
		c.Users = s
		c.Callbacks.JWT = func(_ context.Context, p authgo.JWTParams) (*authgo.Token, error) {
			if p.Trigger != "" {
				triggers = append(triggers, string(p.Trigger)+map[bool]string{true: "+new"}[p.IsNewUser])
			}
			return p.Token, nil
		}
	})
	c := newClient(t, a)
	c.signIn(origin, "bob", "builder")
	c.signIn(origin, "bob", "builder")
	if strings.Join(triggers, ",") != "signUp+new,signIn" {
		t.Fatalf("triggers = %v", triggers)
	}
	if sub := c.session(origin); sub["user"].(map[string]any)["email"] != "bob@example.com" {
		t.Fatalf("session = %v", sub)
	}
	// An existing user with the same email but another id: not linked.
	if _, err := db.Exec(`UPDATE users SET email = 'alice@example.com' WHERE id = 'user-2'`); err != nil {
		t.Fatal(err)
	}
	r := c.signIn(origin, "alice", "wonderland")
	if loc := r.Header.Get("Location"); !strings.Contains(loc, "error=OAuthAccountNotLinked") {
		t.Fatalf("sign-in with a taken email: %d %s", r.StatusCode, loc)
	}
}

// TestDatabaseExpiresMilliseconds: a row's expiry keeps its milliseconds,
// as Auth.js writes and shows them: GET /session shows the row's (one
// Auth.js wrote, 123 ms past the second), and the rows authgo writes at
// sign-in and at the UpdateAge rewrite keep now's milliseconds.
func TestDatabaseExpiresMilliseconds(t *testing.T) {
	f := newDBAuth(t, func(c *authgo.Config) { c.Session.UpdateAge = time.Minute })
	f.clk.add(456 * time.Millisecond)
	ctx := t.Context()
	f.c.signIn(O, "alice", "wonderland")
	if _, exp := f.rows(t); exp != f.clk.now().Add(authgo.DefaultMaxAge).UnixMilli() {
		t.Fatalf("the row authgo wrote expires at %d ms, want %d", exp, f.clk.now().Add(authgo.DefaultMaxAge).UnixMilli())
	}
	if s := f.c.session(O); s == nil || s["expires"] != f.clk.now().Add(authgo.DefaultMaxAge).UTC().Format("2006-01-02T15:04:05.000Z") {
		t.Fatalf("session expires %v, want the row's milliseconds", s["expires"])
	}
	f.clk.add(2*time.Minute + 111*time.Millisecond)
	f.c.session(O) // rewrites the row
	if _, exp := f.rows(t); exp != f.clk.now().Add(authgo.DefaultMaxAge).UnixMilli() {
		t.Fatalf("the rewritten row expires at %d ms, want %d", exp, f.clk.now().Add(authgo.DefaultMaxAge).UnixMilli())
	}

	const tok = "5b0c1f0e-7a2d-4c3b-9e8f-1a2b3c4d5e6f"
	exp := f.clk.now().Add(20 * 24 * time.Hour).Truncate(time.Second).Add(123 * time.Millisecond)
	if _, err := f.db.ExecContext(ctx, `INSERT INTO sessions ("userId", expires, "sessionToken") VALUES ('user-1', ?, ?)`,
		exp.UnixMilli(), store.SessionID(tok)); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, f.a)
	c.SetCookie("authjs.session-token", tok)
	if s := c.session(O); s == nil || s["expires"] != exp.UTC().Format("2006-01-02T15:04:05.000Z") {
		t.Fatalf("an Auth.js row's expires shown as %v, want %s", s["expires"], exp.UTC().Format("2006-01-02T15:04:05.000Z"))
	}
}
