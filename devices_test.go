package authgo_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/store"
)

// signInFrom signs c in as user through the credentials callback, as a
// browser with user agent ua whose request reached the server from the TCP
// peer remote, carrying the X-Forwarded-For lines xff.
func signInFrom(t *testing.T, c *client, user, password, ua, remote string, xff ...string) {
	t.Helper()
	form := url.Values{"csrfToken": {c.csrf(O)}, "username": {user}, "password": {password}}
	req := c.NewRequest(http.MethodPost, O+"/auth/callback/credentials", strings.NewReader(form.Encode()),
		"Content-Type", "application/x-www-form-urlencoded", "User-Agent", ua)
	req.RemoteAddr = remote
	for _, v := range xff {
		req.Header.Add("X-Forwarded-For", v)
	}
	if r := c.do(req); r.StatusCode != http.StatusFound || r.setCook["authjs.session-token"] == nil {
		t.Fatalf("sign-in: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
}

// requestWith is a GET carrying c's cookies.
func requestWith(c *client) *http.Request {
	r := httptest.NewRequest(http.MethodGet, O+"/", nil)
	r.Header.Set("Cookie", c.CookieHeader())
	return r
}

// sessionIDOf is the session_id claim of c's session.
func sessionIDOf(t *testing.T, a *authgo.Auth, c *client) string {
	t.Helper()
	tok, err := a.Token(requestWith(c))
	if err != nil || tok == nil {
		t.Fatalf("Token = %v, %v", tok, err)
	}
	return tok.StringClaim(authgo.ClaimSessionID)
}

// opens reports whether c's cookie opens a session.
func opens(t *testing.T, a *authgo.Auth, c *client) bool {
	t.Helper()
	s, err := a.Session(requestWith(c))
	if err != nil {
		t.Fatal(err)
	}
	return s != nil
}

// TestDatabaseSessionsAndRevokeSession is a "your devices" page: the
// user's sessions listed with what each browser was, the current one
// recognised by its session_id, another ended by its ID.
func TestDatabaseSessionsAndRevokeSession(t *testing.T) {
	f := newDBAuth(t, nil)
	ctx := t.Context()
	laptop, phone, bobs := newClient(t, f.a), newClient(t, f.a), newClient(t, f.a)
	signInFrom(t, laptop, "alice", "wonderland", "Laptop/1", "198.51.100.7:4242")
	start := f.clk.now()
	f.clk.add(time.Minute)
	signInFrom(t, phone, "alice", "wonderland", "Phone/2", "[2001:db8::9]:443")
	signInFrom(t, bobs, "bob", "builder", "Bob/1", "192.0.2.5:1")

	list, err := f.a.Sessions(ctx, "user-1")
	if err != nil || len(list) != 2 {
		t.Fatalf("Sessions = %+v, %v", list, err)
	}
	// The most recently seen first; each ID the session_id of its token
	// and the store.SessionID of its cookie; no token shown.
	for i, w := range []struct {
		c        *client
		ua, addr string
		at       time.Time
	}{{phone, "Phone/2", "2001:db8::9", start.Add(time.Minute)}, {laptop, "Laptop/1", "198.51.100.7", start}} {
		s := list[i]
		if s.ID != sessionIDOf(t, f.a, w.c) || s.ID != store.SessionID(w.c.Cookie("authjs.session-token")) || s.Token != "" ||
			s.UserAgent != w.ua || s.ClientAddr != w.addr || !s.Created.Equal(w.at) || !s.LastSeen.Equal(w.at) || s.UserID != "user-1" {
			t.Fatalf("Sessions[%d] = %+v; want %s from %s at %v", i, s, w.ua, w.addr, w.at)
		}
	}

	// Another user's id for the session: nothing happens.
	if err := f.a.RevokeSession(ctx, "user-2", list[1].ID); err != nil {
		t.Fatal(err)
	}
	if !opens(t, f.a, laptop) {
		t.Fatal("RevokeSession of another user's session ended it")
	}
	// The laptop ends the phone's session.
	if err := f.a.RevokeSession(ctx, "user-1", list[0].ID); err != nil {
		t.Fatal(err)
	}
	if opens(t, f.a, phone) || !opens(t, f.a, laptop) || !opens(t, f.a, bobs) {
		t.Fatal("RevokeSession ended the wrong sessions")
	}
	if r := phone.get(O + "/auth/session"); r.body != "null" {
		t.Fatalf("/session of the revoked phone: %s", r.body)
	}
	if list, err := f.a.Sessions(ctx, "user-1"); err != nil || len(list) != 1 || list[0].UserAgent != "Laptop/1" {
		t.Fatalf("Sessions after RevokeSession = %+v, %v", list, err)
	}
	if list, err := f.a.Sessions(ctx, "nobody"); err != nil || len(list) != 0 {
		t.Fatalf("Sessions(nobody) = %+v, %v", list, err)
	}
	if _, err := f.a.Sessions(ctx, ""); err == nil {
		t.Fatal("Sessions(\"\") = nil error")
	}
	if err := f.a.RevokeSession(ctx, "user-1", ""); err == nil {
		t.Fatal("RevokeSession with no id = nil error")
	}
}

// TestDatabaseSessionsLeaveOutEnded: Sessions does not list a session past
// its expiry on authgo's clock, whose row nobody has read and deleted yet
// (past MaxLifetime: TestDatabaseAuthjsSessionFirstSight).
func TestDatabaseSessionsLeaveOutEnded(t *testing.T) {
	f := newDBAuth(t, func(c *authgo.Config) {
		c.Session.MaxAge = 2 * time.Hour
	})
	old, fresh := newClient(t, f.a), newClient(t, f.a)
	old.signIn(O, "alice", "wonderland")
	f.clk.add(90 * time.Minute)
	fresh.signIn(O, "alice", "wonderland")
	f.clk.add(time.Hour) // old: idle past MaxAge, its row still there
	if n, _ := f.rows(t); n != 2 {
		t.Fatalf("%d rows", n)
	}
	if list, err := f.a.Sessions(t.Context(), "user-1"); err != nil || len(list) != 1 || list[0].ID != sessionIDOf(t, f.a, fresh) {
		t.Fatalf("Sessions = %+v, %v; want only the fresh one", list, err)
	}
}

// TestDatabaseRevokeUserDeletesRows: RevokeUser deletes the user's rows
// (and records the cutoff, as under JWT); other users keep theirs, and the
// user can sign in again.
func TestDatabaseRevokeUserDeletesRows(t *testing.T) {
	f := newDBAuth(t, nil)
	a1, a2, b := newClient(t, f.a), newClient(t, f.a), newClient(t, f.a)
	a1.signIn(O, "alice", "wonderland")
	a2.signIn(O, "alice", "wonderland")
	b.signIn(O, "bob", "builder")
	if err := f.a.RevokeUser(t.Context(), "user-1"); err != nil {
		t.Fatal(err)
	}
	var alices int
	if err := f.db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM sessions WHERE "userId" = 'user-1'`).Scan(&alices); err != nil || alices != 0 {
		t.Fatalf("%d of alice's rows left, %v", alices, err)
	}
	if opens(t, f.a, a1) || opens(t, f.a, a2) || !opens(t, f.a, b) {
		t.Fatal("RevokeUser ended the wrong sessions")
	}
	f.clk.add(time.Second)
	a1.signIn(O, "alice", "wonderland")
	if !opens(t, f.a, a1) {
		t.Fatal("no sign-in after RevokeUser")
	}
}

// TestJWTSessionsUnsupported: under the JWT strategy there is no list, and
// the error says why; RevokeSession ends one session by its session_id,
// as its sign-out would, and leaves the user's others.
func TestJWTSessionsUnsupported(t *testing.T) {
	a := newAuth(t, nil)
	_, err := a.Sessions(t.Context(), "user-1")
	if !errors.Is(err, errors.ErrUnsupported) || !strings.Contains(err.Error(), "cookies") || !strings.Contains(err.Error(), "RevokeUser") {
		t.Fatalf("Sessions under JWT = %v", err)
	}
	one, two := newClient(t, a), newClient(t, a)
	one.signIn(O, "alice", "wonderland")
	two.signIn(O, "alice", "wonderland")
	kept := one.Cookie("authjs.session-token")
	id := sessionIDOf(t, a, one)
	if err := a.RevokeSession(t.Context(), "user-1", id); err != nil {
		t.Fatal(err)
	}
	if opens(t, a, one) || !opens(t, a, two) {
		t.Fatal("RevokeSession under JWT ended the wrong sessions")
	}
	// A copy of the cookie, re-sent: refused too.
	one.SetCookie("authjs.session-token", kept)
	if r := one.get(O + "/auth/session"); r.body != "null" {
		t.Fatalf("copy of the revoked cookie: %s", r.body)
	}
}

// TestDatabaseAuthjsSessionFirstSight: a session Auth.js made (no
// authgo_sessions row) counts its MaxLifetime from the first time authgo
// reads it, not from when Auth.js last wrote it; that first read records
// it, and later reads write nothing.
func TestDatabaseAuthjsSessionFirstSight(t *testing.T) {
	f := newDBAuth(t, func(c *authgo.Config) {
		c.Session.MaxAge, c.Session.MaxLifetime = 30*24*time.Hour, 2*time.Hour
	})
	ctx := t.Context()
	f.c.signIn(O, "alice", "wonderland") // the users row
	if _, err := f.store.DeleteUserSessions(ctx, "user-1"); err != nil {
		t.Fatal(err)
	}
	// Written by Auth.js a day ago: expires 29 days from now, no side row.
	const tok = "5b0c1f0e-7a2d-4c3b-9e8f-1a2b3c4d5e6f"
	sightAt := f.clk.now()
	if _, err := f.db.ExecContext(ctx, `INSERT INTO sessions ("userId", expires, "sessionToken") VALUES ('user-1', ?, ?)`,
		sightAt.Add(29*24*time.Hour).UnixMilli(), store.SessionID(tok)); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, f.a)
	c.SetCookie("authjs.session-token", tok)
	if !opens(t, f.a, c) {
		t.Fatal("the Auth.js session did not open (its lifetime counted from Auth.js's write?)")
	}
	side := func() (created, seen int64, n int) {
		t.Helper()
		if err := f.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(created_at), 0), COALESCE(MAX(last_seen_at), 0), COUNT(*) FROM authgo_sessions WHERE token_hash = ?`,
			store.SessionID(tok)).Scan(&created, &seen, &n); err != nil {
			t.Fatal(err)
		}
		return
	}
	if created, seen, n := side(); n != 1 || created != sightAt.UnixMilli() || seen != sightAt.UnixMilli() {
		t.Fatalf("first sight recorded as created %d, seen %d (%d rows); want %d", created, seen, n, sightAt.UnixMilli())
	}
	if _, exp := f.rows(t); exp != sightAt.Add(29*24*time.Hour).UnixMilli() {
		t.Fatalf("the first sight changed the row's expiry to %d", exp)
	}
	tk, err := f.a.Token(requestWith(c))
	if err != nil || tk == nil {
		t.Fatal(err)
	}
	if at, _ := tk.Int(authgo.ClaimAuthTime); at != sightAt.Unix() {
		t.Fatalf("auth_time = %d, want the first sight %d", at, sightAt.Unix())
	}
	// Read again an hour later: nothing rewritten.
	f.clk.add(time.Hour)
	if !opens(t, f.a, c) {
		t.Fatal("session ended within MaxLifetime of its first sight")
	}
	if created, seen, _ := side(); created != sightAt.UnixMilli() || seen != sightAt.UnixMilli() {
		t.Fatalf("a later read rewrote the side row: created %d, seen %d", created, seen)
	}
	if list, err := f.a.Sessions(ctx, "user-1"); err != nil || len(list) != 1 || !list[0].Created.Equal(sightAt) {
		t.Fatalf("Sessions = %+v, %v", list, err)
	}
	// MaxLifetime after the first sight: no longer listed (though its row
	// expires in 29 days), ended, and the row deleted.
	f.clk.add(time.Hour)
	if list, err := f.a.Sessions(ctx, "user-1"); err != nil || len(list) != 0 {
		t.Fatalf("Sessions past MaxLifetime = %+v, %v", list, err)
	}
	if opens(t, f.a, c) {
		t.Fatal("session alive MaxLifetime after its first sight")
	}
	if n, _ := f.rows(t); n != 0 {
		t.Fatalf("outlived row not deleted (%d rows)", n)
	}
}

// TestDatabaseClientAddrTrustedProxies: the ClientAddr recorded with a
// session is the TCP peer unless the peer is a trusted proxy, whatever
// X-Forwarded-For a client sends.
func TestDatabaseClientAddrTrustedProxies(t *testing.T) {
	f := newDBAuth(t, func(c *authgo.Config) {
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	})
	for _, c := range []struct {
		name, remote string
		xff          []string
		want         string
	}{
		{"direct client spoofing", "203.0.113.9:5555", []string{"198.51.100.1"}, "203.0.113.9"},
		{"behind the proxy", "10.0.0.1:80", []string{"6.6.6.6, 198.51.100.1"}, "198.51.100.1"},
		{"two proxies", "10.0.0.1:80", []string{"198.51.100.2, 10.0.0.9"}, "198.51.100.2"},
		{"garbage", "10.0.0.1:80", []string{"198.51.100.3, <script>"}, "10.0.0.1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cl := newClient(t, f.a)
			signInFrom(t, cl, "alice", "wonderland", "ua/"+c.name, c.remote, c.xff...)
			list, err := f.a.Sessions(t.Context(), "user-1")
			if err != nil {
				t.Fatal(err)
			}
			id := sessionIDOf(t, f.a, cl)
			for _, s := range list {
				if s.ID == id {
					if s.ClientAddr != c.want {
						t.Fatalf("ClientAddr = %q, want %q", s.ClientAddr, c.want)
					}
					return
				}
			}
			t.Fatalf("session not listed: %+v", list)
		})
	}
}

func TestTrustedProxiesInvalid(t *testing.T) {
	_, err := authgo.New(authgo.Config{Secret: []string{testSecret}, URL: O, TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), {}}})
	if err == nil || !strings.Contains(err.Error(), "TrustedProxies") || !strings.Contains(err.Error(), "entry 1") {
		t.Fatalf("New = %v", err)
	}
}
