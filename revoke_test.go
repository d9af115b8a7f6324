package authgo_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/adapters/adaptertest"
	"github.com/authgo/authgo/adapters/outbox"
	"github.com/authgo/authgo/jwt"
	"github.com/authgo/authgo/provider"
)

func TestMemoryRevocations(t *testing.T) {
	adaptertest.Revocations(t, func(*testing.T) authgo.RevocationStore { return authgo.NewMemoryRevocations() })
}

// revokeSite: the endpoints and a page behind the middleware that answers
// with the signed-in user's name.
func revokeSite(t *testing.T, mod func(*authgo.Config)) (*authgo.Auth, http.Handler) {
	a := newAuth(t, func(c *authgo.Config) {
		c.Matcher = []string{"/page"}
		if mod != nil {
			mod(c)
		}
	})
	mux := http.NewServeMux()
	mux.Handle("/auth/", a)
	mux.HandleFunc("/page", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, a.SessionFromContext(r.Context()).User.Name)
	})
	return a, a.Middleware(mux)
}

// signedIn reports what each way of reading the session sees with cookie.
func signedIn(t *testing.T, a *authgo.Auth, h http.Handler, cookie string) (session, page bool) {
	t.Helper()
	c := newClient(t, h)
	r := c.get(O+"/auth/session", "Cookie", cookie)
	session = r.body != "null"
	p := c.get(O+"/page", "Cookie", cookie)
	page = p.StatusCode == 200
	req, _ := http.NewRequest("GET", O+"/x", nil)
	req.Header.Set("Cookie", cookie)
	s, err := a.Session(req)
	if err != nil || (s != nil) != session {
		t.Fatalf("Session(r) = %v, %v; GET /session says %v", s, err, session)
	}
	return session, page
}

// TestSignOutRevokes: attacks.md T43 (a). A copy of the session cookie kept
// from before sign-out, and one re-issued since, open nothing afterwards:
// not GET /session, not the middleware, not Session(r).
func TestSignOutRevokes(t *testing.T) {
	clk := newClock()
	a, h := revokeSite(t, func(c *authgo.Config) { c.Now = clk.Now })
	c := newClient(t, h)
	c.signIn(O, "alice", "wonderland")
	kept := c.CookieHeader() // the attacker's copy
	clk.Add(time.Minute)
	c.get(O + "/auth/session") // re-issued: a new jti, the same session id
	if c.CookieHeader() == kept {
		t.Fatal("the cookie was not re-issued")
	}
	reissued := c.CookieHeader()
	if s, p := signedIn(t, a, h, kept); !s || !p {
		t.Fatalf("before sign-out the kept cookie works: %v %v", s, p)
	}
	// Bob's session is not touched by Alice's sign-out.
	cb := newClient(t, h)
	cb.signIn(O, "bob", "builder")

	r := c.postForm(O+"/auth/signout", map[string][]string{"csrfToken": {c.csrf(O)}})
	if r.StatusCode != 302 {
		t.Fatalf("sign-out: %d", r.StatusCode)
	}
	for name, cookie := range map[string]string{"kept": kept, "re-issued": reissued} {
		if s, p := signedIn(t, a, h, cookie); s || p {
			t.Errorf("%s cookie after sign-out: session %v, page %v", name, s, p)
		}
	}
	// A refused cookie is cleared, as a bad one is.
	res := newClient(t, h).get(O+"/auth/session", "Cookie", kept)
	if ck := res.setCook["authjs.session-token"]; ck == nil || ck.MaxAge >= 0 {
		t.Errorf("revoked cookie not cleared: %v", res.Header["Set-Cookie"])
	}
	if s, p := signedIn(t, a, h, cb.CookieHeader()); !s || !p {
		t.Errorf("bob was signed out too: %v %v", s, p)
	}
	// Signing in again makes a new session that works.
	c.signIn(O, "alice", "wonderland")
	if s, p := signedIn(t, a, h, c.CookieHeader()); !s || !p {
		t.Errorf("a new sign-in does not work: %v %v", s, p)
	}
}

// TestSignOutRevokesForeignToken: a cookie minted elsewhere (a Next.js
// app with the same secret) has no session id; sign-out revokes its jti.
func TestSignOutRevokesForeignToken(t *testing.T) {
	a, h := revokeSite(t, nil)
	tok, err := jwt.Encode(jwt.EncodeParams{Token: &jwt.Token{Subject: "user-9", Name: "Nina"}, Secrets: []string{testSecret}})
	if err != nil {
		t.Fatal(err)
	}
	cookie := "authjs.session-token=" + tok
	if s, p := signedIn(t, a, h, cookie); !s || !p {
		t.Fatalf("foreign cookie before sign-out: %v %v", s, p)
	}
	c := newClient(t, h)
	c.postForm(O+"/auth/signout", map[string][]string{"csrfToken": {c.csrf(O)}}, "Cookie", cookie+"; "+c.CookieHeader())
	if s, p := signedIn(t, a, h, cookie); s || p {
		t.Fatalf("foreign cookie after sign-out: %v %v", s, p)
	}
}

// TestRevokeUser: attacks.md T43 (b). "Sign out everywhere" ends every
// session of that user and no other; the next sign-in works.
func TestRevokeUser(t *testing.T) {
	clk := newClock()
	a, h := revokeSite(t, func(c *authgo.Config) { c.Now = clk.Now })
	phone, laptop, bob := newClient(t, h), newClient(t, h), newClient(t, h)
	phone.signIn(O, "alice", "wonderland")
	laptop.signIn(O, "alice", "wonderland")
	bob.signIn(O, "bob", "builder")
	clk.Add(time.Minute)
	if err := a.RevokeUser(context.Background(), "user-1"); err != nil {
		t.Fatal(err)
	}
	if err := a.RevokeUser(context.Background(), ""); err == nil {
		t.Fatal("RevokeUser accepted an empty subject")
	}
	for name, c := range map[string]*client{"phone": phone, "laptop": laptop} {
		if s, p := signedIn(t, a, h, c.CookieHeader()); s || p {
			t.Errorf("alice's %s after RevokeUser: %v %v", name, s, p)
		}
	}
	if s, p := signedIn(t, a, h, bob.CookieHeader()); !s || !p {
		t.Errorf("bob after alice's RevokeUser: %v %v", s, p)
	}
	clk.Add(time.Second)
	phone.signIn(O, "alice", "wonderland")
	if s, p := signedIn(t, a, h, phone.CookieHeader()); !s || !p {
		t.Errorf("alice signing in again: %v %v", s, p)
	}
}

// flakyRevocations plays a revocation store whose server goes away.
type flakyRevocations struct {
	authgo.RevocationStore
	down atomic.Bool
}

func (f *flakyRevocations) RevokeSession(ctx context.Context, id string, until time.Time) error {
	if f.down.Load() {
		return errors.New("connection refused")
	}
	return f.RevocationStore.RevokeSession(ctx, id, until)
}

func (f *flakyRevocations) RevokeUser(ctx context.Context, sub string, at, until time.Time) error {
	if f.down.Load() {
		return errors.New("connection refused")
	}
	return f.RevocationStore.RevokeUser(ctx, sub, at, until)
}

func (f *flakyRevocations) Check(ctx context.Context, id, sub string) (bool, time.Time, error) {
	if f.down.Load() {
		return false, time.Time{}, errors.New("connection refused")
	}
	return f.RevocationStore.Check(ctx, id, sub)
}

// TestRevocationStoreDown: while the store cannot answer, sessions are
// refused (fail closed) but their cookies are kept: GET /session answers
// null as Auth.js would for no session, a guarded page 503 with
// Retry-After (not a redirect to sign in), and Session(r)
// ErrSessionUnavailable; when it answers again, they work.
func TestRevocationStoreDown(t *testing.T) {
	store := &flakyRevocations{RevocationStore: authgo.NewMemoryRevocations()}
	a, h := revokeSite(t, func(c *authgo.Config) { c.Session.Revocations = store })
	c := newClient(t, h)
	c.signIn(O, "alice", "wonderland")
	cookie := c.CookieHeader()
	store.down.Store(true)
	for _, tt := range []struct {
		target string
		status int
	}{{O + "/auth/session", 200}, {O + "/page", 503}} {
		r := newClient(t, h).get(tt.target, "Cookie", cookie)
		if r.StatusCode != tt.status || r.Header.Get("Set-Cookie") != "" || tt.status == 200 && r.body != "null" ||
			tt.status == 503 && (r.Header.Get("Retry-After") == "" || r.Header.Get("Authgo-Error") != "session_unavailable") {
			t.Fatalf("%s with the store down: %d %q %v", tt.target, r.StatusCode, r.body, r.Header)
		}
	}
	req := httptest.NewRequest("GET", O+"/x", nil)
	req.Header.Set("Cookie", cookie)
	if s, err := a.Session(req); s != nil || !errors.Is(err, authgo.ErrSessionUnavailable) {
		t.Fatalf("Session with the store down = %v, %v; want ErrSessionUnavailable", s, err)
	}
	if _, err := a.AccessToken(req); !errors.Is(err, authgo.ErrSessionUnavailable) {
		t.Fatalf("AccessToken with the store down: %v; want ErrSessionUnavailable", err)
	}
	store.down.Store(false)
	if s, p := signedIn(t, a, h, cookie); !s || !p {
		t.Fatalf("after the store came back: %v %v", s, p)
	}
	if !strings.Contains(cookie, "authjs.session-token=") {
		t.Fatal(cookie)
	}
}

// TestRevocationCache: two instances share a store. A sign-out through one
// takes effect there at once and on the other within RevocationCache; with
// a negative RevocationCache, at once everywhere.
func TestRevocationCache(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cache time.Duration
		stale bool // the other instance still sees the session for a while
	}{{"default", 0, true}, {"off", -1, false}} {
		t.Run(tc.name, func(t *testing.T) {
			clk := newClock()
			shared := authgo.NewMemoryRevocations()
			mod := func(c *authgo.Config) {
				c.Now = clk.Now
				c.Session.Revocations = shared
				c.Session.RevocationCache = tc.cache
			}
			a1, h1 := revokeSite(t, mod)
			a2, h2 := revokeSite(t, mod)
			c := newClient(t, h1)
			c.signIn(O, "alice", "wonderland")
			kept := c.CookieHeader()
			if s, _ := signedIn(t, a2, h2, kept); !s {
				t.Fatal("the other instance does not see the session")
			}
			c.postForm(O+"/auth/signout", map[string][]string{"csrfToken": {c.csrf(O)}})
			if s, p := signedIn(t, a1, h1, kept); s || p {
				t.Fatalf("the instance that signed out still sees the session: %v %v", s, p)
			}
			if s, _ := signedIn(t, a2, h2, kept); s != tc.stale {
				t.Fatalf("the other instance at once: session %v, want %v", s, tc.stale)
			}
			clk.Add(authgo.DefaultRevocationCache + time.Second)
			if s, p := signedIn(t, a2, h2, kept); s || p {
				t.Fatalf("the other instance after the cache time: %v %v", s, p)
			}
		})
	}
}

// TestRevokeUserReissuedAfterCutoff: an instance that still trusts its
// cached "not revoked" re-issues a cookie just after another instance's
// RevokeUser; that cookie keeps the session's auth_time and stays refused.
func TestRevokeUserReissuedAfterCutoff(t *testing.T) {
	clk := newClock()
	shared := authgo.NewMemoryRevocations()
	mod := func(c *authgo.Config) { c.Now = clk.Now; c.Session.Revocations = shared }
	a1, h1 := revokeSite(t, mod)
	a2, h2 := revokeSite(t, mod)
	c := newClient(t, h1)
	c.signIn(O, "alice", "wonderland")
	if s, _ := signedIn(t, a2, h2, c.CookieHeader()); !s {
		t.Fatal("instance 2 does not see the session")
	}
	if err := a1.RevokeUser(context.Background(), "user-1"); err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Second)
	// Instance 2, inside its cache time, re-issues the cookie.
	c2 := newClient(t, h2)
	r := c2.get(O+"/auth/session", "Cookie", c.CookieHeader())
	fresh := r.setCook["authjs.session-token"]
	if fresh == nil || fresh.MaxAge < 0 {
		t.Fatalf("instance 2 did not re-issue: %v", r.Header["Set-Cookie"])
	}
	clk.Add(time.Hour)
	for i, ah := range []struct {
		a *authgo.Auth
		h http.Handler
	}{{a1, h1}, {a2, h2}} {
		if s, p := signedIn(t, ah.a, ah.h, "authjs.session-token="+fresh.Value); s || p {
			t.Errorf("instance %d: the cookie re-issued after RevokeUser works: %v %v", i+1, s, p)
		}
	}
}

// TestSignOutOutlivesReissuedCopies: the copy that signs out may be older
// than another copy re-issued since; the sign-out holds until that one
// expires too.
func TestSignOutOutlivesReissuedCopies(t *testing.T) {
	clk := newClock()
	a, h := revokeSite(t, func(c *authgo.Config) { c.Now = clk.Now })
	user := newClient(t, h)
	user.signIn(O, "alice", "wonderland")
	old := user.CookieHeader()
	clk.Add(10 * 24 * time.Hour)
	thief := newClient(t, h)
	r := thief.get(O+"/auth/session", "Cookie", old)
	later := r.setCook["authjs.session-token"]
	if later == nil || later.MaxAge < 0 {
		t.Fatal("not re-issued")
	}
	// The user signs out with the older cookie.
	user.postForm(O+"/auth/signout", map[string][]string{"csrfToken": {user.csrf(O)}})
	for _, d := range []time.Duration{0, 21 * 24 * time.Hour, 8 * 24 * time.Hour} { // to day 10, 31, 39
		clk.Add(d)
		if s, p := signedIn(t, a, h, "authjs.session-token="+later.Value); s || p {
			t.Fatalf("the re-issued copy works %v after sign-out: %v %v", d, s, p)
		}
	}
}

// TestSignInStoreDown: a credentials sign-in while the revocation store
// cannot answer would set a cookie that reads as signed out; it answers
// Unavailable instead (the error page, 503 with Retry-After, at the URL
// posted to; the error page's URL for X-Auth-Return-Redirect), sets no
// session cookie and does not run Authorize.
func TestSignInStoreDown(t *testing.T) {
	store := &flakyRevocations{RevocationStore: authgo.NewMemoryRevocations()}
	var calls atomic.Int32
	_, h := revokeSite(t, func(c *authgo.Config) {
		c.Session.Revocations = store
		p, err := credentialsProvider(func(context.Context, provider.Credentials, *http.Request) (*authgo.User, error) {
			calls.Add(1)
			return &authgo.User{ID: "user-1", Name: "Alice"}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		c.Providers = []provider.Provider{p}
	})
	store.down.Store(true)
	c := newClient(t, h)
	r := c.signIn(O, "alice", "wonderland")
	if r.StatusCode != 503 || r.Header.Get("Retry-After") == "" || !strings.Contains(r.body, "Try again shortly") {
		t.Fatalf("sign-in with the store down: %d %v %s", r.StatusCode, r.Header, r.body)
	}
	if r.setCook["authjs.session-token"] != nil {
		t.Fatal("a session cookie was set with the store down")
	}
	form := url.Values{"csrfToken": {c.csrf(O)}, "username": {"alice"}, "password": {"wonderland"}}
	r = c.postForm(O+"/auth/callback/credentials", form, "X-Auth-Return-Redirect", "1")
	if r.StatusCode != 200 || r.body != `{"url":"`+O+`/auth/error?error=Unavailable"}` || r.setCook["authjs.session-token"] != nil {
		t.Fatalf("sign-in with X-Auth-Return-Redirect and the store down: %d %s %v", r.StatusCode, r.body, r.setCook)
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("Authorize ran %d times with the store down", n)
	}
	store.down.Store(false)
	c.signIn(O, "alice", "wonderland")
	if c.session(O) == nil {
		t.Fatal("no session after the store came back")
	}
}

// TestSignOutOutbox: a sign-out while the shared store is down is kept in
// an outbox journal: the instance that took it refuses the kept copy at
// once (signed out, not 503), also after a restart; once the store is back
// the outbox delivers it and the other instance refuses the copy too.
func TestSignOutOutbox(t *testing.T) {
	shared := &flakyRevocations{RevocationStore: authgo.NewMemoryRevocations()}
	path := filepath.Join(t.TempDir(), "outbox")
	withOutbox := func(t *testing.T) (*authgo.Auth, http.Handler, *outbox.File, func()) {
		j, err := outbox.OpenFile(path)
		if err != nil {
			t.Fatal(err)
		}
		box, err := outbox.New(t.Context(), shared, j, outbox.Options{Retry: 10 * time.Millisecond, MaxRetry: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		stop := func() {
			box.Close()
			j.Close()
		}
		t.Cleanup(stop)
		a, h := revokeSite(t, func(c *authgo.Config) { c.Session.Revocations = box })
		return a, h, j, stop
	}
	a, h, j, stop := withOutbox(t)
	b, hb := revokeSite(t, func(c *authgo.Config) {
		c.Session.Revocations = shared
		c.Session.RevocationCache = -1
	})
	c := newClient(t, h)
	c.signIn(O, "alice", "wonderland")
	kept := c.CookieHeader()

	shared.down.Store(true)
	r := c.postForm(O+"/auth/signout", url.Values{"csrfToken": {c.csrf(O)}})
	if ck := r.setCook["authjs.session-token"]; r.StatusCode != 302 || ck == nil || ck.MaxAge >= 0 {
		t.Fatalf("sign-out with the store down: %d %v", r.StatusCode, r.setCook)
	}
	if recs, _ := j.Records(t.Context()); len(recs) != 1 {
		t.Fatalf("the outbox holds %d records", len(recs))
	}
	if s, p := signedIn(t, a, h, kept); s || p {
		t.Fatalf("the kept copy on the instance that signed out: %v %v", s, p)
	}

	// Restart while the store is down.
	stop()
	a, h, j, _ = withOutbox(t)
	if s, p := signedIn(t, a, h, kept); s || p {
		t.Fatalf("the kept copy after a restart: %v %v", s, p)
	}

	shared.down.Store(false)
	deadline := time.Now().Add(5 * time.Second)
	for recs, _ := j.Records(t.Context()); len(recs) > 0; recs, _ = j.Records(t.Context()) {
		if time.Now().After(deadline) {
			t.Fatal("the outbox was not delivered")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if s, p := signedIn(t, b, hb, kept); s || p {
		t.Fatalf("the kept copy on the other instance after delivery: %v %v", s, p)
	}
}
