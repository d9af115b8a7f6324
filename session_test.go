package authgo_test

import (
	"context"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/internal/backendtest"
	"github.com/authgo/authgo/jwt"
	"github.com/authgo/authgo/provider"
)

// TestSignedJWTRefused: a signed (not encrypted) token, whatever key
// signed it, or an unsecured one, opens no session: as a cookie, split
// into chunks, or as a bearer token.
func TestSignedJWTRefused(t *testing.T) {
	a := guarded(t, nil)
	h := routers(a)["ServeMux"]
	payload := `{"sub":"admin","name":"Admin","exp":9999999999}`
	// The session key itself, derived as Auth.js derives it.
	hkdfKey, err := hkdf.Key(sha256.New, []byte(testSecret), []byte("authjs.session-token"), "Auth.js Generated Encryption Key (authjs.session-token)", 64)
	if err != nil {
		t.Fatal(err)
	}
	tokens := map[string]string{
		"none":       base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`)) + "." + base64.RawURLEncoding.EncodeToString([]byte(payload)) + ".",
		"raw secret": signedJWT(payload, []byte(testSecret)),
		"hkdf key":   signedJWT(payload, hkdfKey),
	}
	for name, tok := range tokens {
		half := len(tok) / 2
		for form, hdr := range map[string][2]string{
			"cookie": {"Cookie", "authjs.session-token=" + tok},
			"chunks": {"Cookie", "authjs.session-token.0=" + tok[:half] + "; authjs.session-token.1=" + tok[half:]},
			"bearer": {"Authorization", "Bearer " + tok},
		} {
			c := newClient(t, h)
			if r := c.get(O+"/auth/session", hdr[0], hdr[1]); r.body != "null" {
				t.Errorf("%s as %s: session %s", name, form, r.body)
			}
			if r := c.get(O+"/mypage/a", hdr[0], hdr[1]); r.StatusCode != http.StatusFound || strings.Contains(r.body, secretPage) {
				t.Errorf("%s as %s: protected page %d", name, form, r.StatusCode)
			}
			req := httptest.NewRequest("GET", O+"/x", nil)
			req.Header.Set(hdr[0], hdr[1])
			if s, _ := a.Session(req); s != nil {
				t.Errorf("%s as %s: Session(r) = %v", name, form, s)
			}
		}
	}
}

// signedJWT makes an HS256 JWS with key.
func signedJWT(payload string, key []byte) string {
	enc := base64.RawURLEncoding.EncodeToString
	head := enc([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc([]byte(payload))
	m := hmac.New(sha256.New, key)
	m.Write([]byte(head))
	return head + "." + enc(m.Sum(nil))
}

// TestContextPerAuth: the session one Auth's middleware puts in the
// context is that Auth's; another Auth in the same process (another site,
// another secret) sees none, and WithSession is keyed the same way.
func TestContextPerAuth(t *testing.T) {
	a := newAuth(t, nil)
	b := newAuth(t, nil)
	var fromA, fromB *authgo.Session
	var sessB *authgo.Session
	var errB error
	h := a.RequireSession(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fromA = a.SessionFromContext(r.Context())
		fromB = b.SessionFromContext(r.Context())
		r2 := r.Clone(r.Context())
		r2.Header.Del("Cookie")
		sessB, errB = b.Session(r2)
	}))
	mux := http.NewServeMux()
	mux.Handle("/auth/", a)
	mux.Handle("/private/", h)
	c := newClient(t, mux)
	c.signIn(O, "alice", "wonderland")
	if r := c.get(O + "/private/x"); r.StatusCode != 200 {
		t.Fatalf("GET /private/x = %d", r.StatusCode)
	}
	if fromA == nil || fromA.User.Name != "Alice" {
		t.Fatalf("a.SessionFromContext = %+v", fromA)
	}
	if fromB != nil || sessB != nil || errB != nil {
		t.Fatalf("another Auth read a's session: %+v, %+v, %v", fromB, sessB, errB)
	}
	s := &authgo.Session{User: &authgo.SessionUser{Name: "Bob"}}
	ctx := b.WithSession(context.Background(), s)
	if b.SessionFromContext(ctx) != s || a.SessionFromContext(ctx) != nil {
		t.Fatal("WithSession is not keyed by its Auth")
	}
}

// TestToken: Token(r) is the cookie's token, checked (a signed-out or
// revoked request has none) without running callbacks; behind the
// middleware it is the token the request came in with.
func TestToken(t *testing.T) {
	calls := 0
	a := newAuth(t, func(c *authgo.Config) {
		c.Callbacks.JWT = func(ctx context.Context, p authgo.JWTParams) (*authgo.Token, error) {
			calls++
			return p.Token, nil
		}
	})
	c := newClient(t, a)
	c.signIn(O, "alice", "wonderland")
	cookie := c.CookieHeader()
	calls = 0
	req := httptest.NewRequest("GET", O+"/x", nil)
	if tok, err := a.Token(req); tok != nil || err != nil {
		t.Fatalf("signed out: %v, %v", tok, err)
	}
	req.Header.Set("Cookie", cookie)
	tok, err := a.Token(req)
	if err != nil || tok == nil || tok.Name != "Alice" || tok.StringClaim(authgo.ClaimSessionID) == "" {
		t.Fatalf("Token = %+v, %v", tok, err)
	}
	if calls != 0 {
		t.Fatalf("Token ran the JWT callback %d times", calls)
	}
	var behind *authgo.Token
	h := a.RequireSession(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		behind, _ = a.Token(r)
	}))
	h.ServeHTTP(httptest.NewRecorder(), req)
	if behind == nil || behind.StringClaim(authgo.ClaimSessionID) != tok.StringClaim(authgo.ClaimSessionID) {
		t.Fatalf("behind the middleware: %+v", behind)
	}
	if err := a.RevokeUser(context.Background(), tok.Subject); err != nil {
		t.Fatal(err)
	}
	if tok, err := a.Token(req); tok != nil || err != nil {
		t.Fatalf("revoked: %v, %v", tok, err)
	}
}

// lifetimeSite is an Auth on clk with MaxLifetime (0: the default) and a
// guarded /mypage.
func lifetimeSite(t *testing.T, clk interface{ Now() time.Time }, lifetime time.Duration) (*authgo.Auth, http.Handler) {
	a := newAuth(t, func(c *authgo.Config) {
		c.Now = clk.Now
		c.Session.MaxLifetime = lifetime
		c.Matcher = []string{"/mypage/:path*"}
	})
	mux := http.NewServeMux()
	mux.Handle("/auth/", a)
	mux.HandleFunc("/mypage/", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "my page") })
	return a, a.Middleware(mux)
}

// cookieClaims decodes c's session cookie.
func cookieClaims(t *testing.T, c *client, now func() time.Time) *jwt.Token {
	t.Helper()
	tok, err := jwt.Decode(jwt.DecodeParams{Token: c.Cookie("authjs.session-token"), Secrets: []string{testSecret}, Now: now})
	if err != nil {
		t.Fatalf("the session cookie does not decode: %v", err)
	}
	return tok
}

// TestMaxLifetime: a session used every 20 days slides past MaxAge, but
// not past MaxLifetime (90 days by default) from its sign-in: no re-issued
// cookie expires after it, and after it every read path refuses the
// session: the endpoint, the middleware, Session and AccessToken.
func TestMaxLifetime(t *testing.T) {
	clk := backendtest.NewClock()
	a, h := lifetimeSite(t, clk, 0)
	c := newClient(t, h)
	c.signIn(O, "alice", "wonderland")
	start := clk.Now()
	for day := 20; day <= 80; day += 20 {
		clk.Add(20 * 24 * time.Hour)
		if s := c.session(O); s == nil {
			t.Fatalf("day %d: signed out", day)
		}
		exp := cookieClaims(t, c, clk.Now).ExpiresAt
		if limit := start.Add(authgo.DefaultMaxLifetime).Unix(); exp > limit {
			t.Fatalf("day %d: the re-issued cookie expires %d, after the lifetime's end %d", day, exp, limit)
		}
		if day == 80 && exp != start.Add(authgo.DefaultMaxLifetime).Unix() {
			t.Fatalf("day 80: exp %d, want the lifetime's end %d (sooner than MaxAge)", exp, start.Add(authgo.DefaultMaxLifetime).Unix())
		}
	}
	cookie := c.CookieHeader()
	clk.Add(10*24*time.Hour + time.Second) // day 90 and a second
	req := httptest.NewRequest("GET", O+"/x", nil)
	req.Header.Set("Cookie", cookie)
	if s, err := a.Session(req); s != nil || err != nil {
		t.Fatalf("Session after the lifetime: %v, %v", s, err)
	}
	if _, err := a.AccessToken(req); !errors.Is(err, authgo.ErrNoAccessToken) {
		t.Fatalf("AccessToken after the lifetime: %v", err)
	}
	if r := newClient(t, h).get(O+"/mypage/x", "Cookie", cookie); r.StatusCode != http.StatusFound {
		t.Fatalf("guarded page after the lifetime: %d", r.StatusCode)
	}
	if r := newClient(t, h).get(O+"/auth/session", "Cookie", cookie); r.body != "null" || !strings.Contains(r.Header.Get("Set-Cookie"), "Max-Age=0") {
		t.Fatalf("/session after the lifetime: %q, Set-Cookie %q", r.body, r.Header.Get("Set-Cookie"))
	}
}

// TestMaxLifetimeOff: a negative MaxLifetime is Auth.js's unlimited
// sliding session.
func TestMaxLifetimeOff(t *testing.T) {
	clk := backendtest.NewClock()
	_, h := lifetimeSite(t, clk, -1)
	c := newClient(t, h)
	c.signIn(O, "alice", "wonderland")
	for day := 20; day <= 400; day += 20 {
		clk.Add(20 * 24 * time.Hour)
		if s := c.session(O); s == nil {
			t.Fatalf("day %d: signed out", day)
		}
	}
}

// TestForeignTokenIdentity: a cookie minted by a Next.js app (no auth_time,
// no session_id) keeps its session's start and identity when authgo
// re-issues it, so a sign-out with the re-issued copy ends the original
// too, and the lifetime counts from the original start.
func TestForeignTokenIdentity(t *testing.T) {
	clk := backendtest.NewClock()
	_, h := lifetimeSite(t, clk, 0)
	iat := clk.Now().Add(-time.Hour)
	original, err := jwt.Encode(jwt.EncodeParams{Secrets: []string{testSecret}, Now: func() time.Time { return iat },
		Token: &jwt.Token{Name: "Alice", Email: "alice@example.com", Subject: "user-1"}})
	if err != nil {
		t.Fatal(err)
	}
	orig, err := jwt.Decode(jwt.DecodeParams{Token: original, Secrets: []string{testSecret}, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, h)
	c.SetCookie("authjs.session-token", original)
	if s := c.session(O); s == nil {
		t.Fatal("the Next.js cookie does not open")
	}
	re := cookieClaims(t, c, clk.Now)
	if at, _ := re.Int(authgo.ClaimAuthTime); at != iat.Unix() {
		t.Fatalf("re-issued auth_time %d, want the original iat %d", at, iat.Unix())
	}
	if id := re.StringClaim(authgo.ClaimSessionID); id != "jti:"+orig.ID {
		t.Fatalf("re-issued session_id %q, want one derived from the original jti %q", id, orig.ID)
	}
	if re.ID == orig.ID {
		t.Fatal("the re-issued cookie kept the original jti")
	}
	if r := c.postForm(O+"/auth/signout", url.Values{"csrfToken": {c.csrf(O)}}); r.StatusCode != http.StatusFound {
		t.Fatalf("sign-out: %d", r.StatusCode)
	}
	if r := newClient(t, h).get(O+"/auth/session", "Cookie", "authjs.session-token="+original); r.body != "null" {
		t.Fatalf("the original copy opens the session after a sign-out with the re-issued one: %s", r.body)
	}
}

// TestAuthorizeUnavailable: an Authorize whose store did not answer
// (provider.ErrUnavailable) is the Unavailable page, 503 with Retry-After
// and no cookie; any other error stays a redirect to the Configuration
// error page.
func TestAuthorizeUnavailable(t *testing.T) {
	for _, tt := range []struct {
		err    error
		status int
		code   string
	}{
		{fmt.Errorf("users: %w", provider.ErrUnavailable), http.StatusServiceUnavailable, "Unavailable"},
		{errors.New("users: a bug"), http.StatusFound, "Configuration"}, // to the error page, which answers 500
	} {
		p, err := credentialsProvider(func(context.Context, provider.Credentials, *http.Request) (*authgo.User, error) {
			return nil, tt.err
		})
		if err != nil {
			t.Fatal(err)
		}
		a := newAuth(t, func(c *authgo.Config) { c.Providers = []provider.Provider{p} })
		c := newClient(t, a)
		r := c.signIn(O, "alice", "wonderland")
		if r.StatusCode != tt.status || r.setCook["authjs.session-token"] != nil {
			t.Errorf("%v: %d, cookies %v; want %d and no session", tt.err, r.StatusCode, r.setCook, tt.status)
		}
		if tt.status == http.StatusServiceUnavailable && r.Header.Get("Retry-After") == "" {
			t.Errorf("%v: no Retry-After", tt.err)
		}
		if tt.status == http.StatusFound && r.Header.Get("Location") != O+"/auth/error?error=Configuration" {
			t.Errorf("%v: Location %q", tt.err, r.Header.Get("Location"))
		}
		form := url.Values{"csrfToken": {c.csrf(O)}, "username": {"alice"}, "password": {"wonderland"}}
		r = c.postForm(O+"/auth/callback/credentials", form, "X-Auth-Return-Redirect", "1")
		if want := `{"url":"` + O + `/auth/error?error=` + tt.code + `"}`; r.body != want {
			t.Errorf("%v with X-Auth-Return-Redirect: %s, want %s", tt.err, r.body, want)
		}
	}
}

// TestSharedTokenUnchanged: the session read hands the decode cache's own
// token to readers that only read (jwt.Codec.DecodeShared), so nothing an
// application does to a token it is given may reach the next request
// with the same cookie: a JWT or Session callback changing its token in
// place, a handler changing what Token returns behind RequireSession or
// without it, the Session event's token.
func TestSharedTokenUnchanged(t *testing.T) {
	var mutate bool
	spoil := func(tok *authgo.Token) {
		if mutate && tok != nil {
			tok.Name = "Mallory"
			tok.Set(authgo.ClaimProvider, "spoiled")
		}
	}
	a := newAuth(t, func(c *authgo.Config) {
		c.Callbacks.Session = func(ctx context.Context, p authgo.SessionParams) (*authgo.Session, error) {
			spoil(p.Token)
			return p.Session, nil
		}
		c.Events.Session = func(ctx context.Context, e authgo.SessionEvent) { spoil(e.Token) }
	})
	c := newClient(t, a)
	c.signIn(O, "alice", "wonderland")
	req := httptest.NewRequest("GET", O+"/x", nil)
	req.Header.Set("Cookie", c.CookieHeader())
	check := func(when string) {
		t.Helper()
		mutate = false
		tok, err := a.Token(req)
		if err != nil || tok == nil || tok.Name != "Alice" || tok.StringClaim(authgo.ClaimProvider) != "credentials" {
			t.Fatalf("%s: the next read saw %+v, %v", when, tok, err)
		}
		mutate = true
	}
	check("first read")
	guarded := a.RequireSession(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, _ := a.Token(r)
		spoil(tok)
	}))
	for range 2 {
		guarded.ServeHTTP(httptest.NewRecorder(), req)
	}
	check("a Session callback and a handler behind RequireSession")
	for range 2 {
		tok, _ := a.Token(req)
		spoil(tok)
	}
	check("a caller of Token")
	sreq := httptest.NewRequest("GET", O+"/auth/session", nil)
	sreq.Header = req.Header.Clone()
	a.ServeHTTP(httptest.NewRecorder(), sreq)
	check("the Session event")

	b := newAuth(t, func(c *authgo.Config) {
		c.Callbacks.JWT = func(ctx context.Context, p authgo.JWTParams) (*authgo.Token, error) {
			spoil(p.Token)
			return p.Token, nil
		}
	})
	bc := newClient(t, b)
	mutate = false
	bc.signIn(O, "alice", "wonderland")
	breq := httptest.NewRequest("GET", O+"/x", nil)
	breq.Header.Set("Cookie", bc.CookieHeader())
	mutate = true
	var seen []string
	bg := b.RequireSession(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := b.Session(r)
		seen = append(seen, s.User.Name)
	}))
	for range 2 {
		bg.ServeHTTP(httptest.NewRecorder(), breq)
	}
	mutate = false
	if tok, _ := b.Token(breq); tok == nil || tok.Name != "Alice" || tok.StringClaim(authgo.ClaimProvider) != "credentials" {
		t.Fatalf("a JWT callback's change reached the next read: %+v", tok)
	}
	if fmt.Sprint(seen) != "[Mallory Mallory]" {
		t.Fatalf("the JWT callback's change should show in its own request's session: %v", seen)
	}
}
