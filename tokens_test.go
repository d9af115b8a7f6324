package authgo_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/internal/backendtest"
	"github.com/authgo/authgo/jwt"
	"github.com/authgo/authgo/provider"
)

// The back end, its provider and the clock: internal/backendtest, shared
// with the proxy and Redis adapter tests.
type (
	backend         = backendtest.Backend
	backendProvider = backendtest.Provider
)

var (
	newBackend = backendtest.New
	newClock   = backendtest.NewClock
)

func tokenOf(t testing.TB, v string) *jwt.Token {
	tok, err := jwt.Decode(jwt.DecodeParams{Token: v, Secrets: []string{testSecret}, Now: func() time.Time { return time.Now().Add(time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// tokenSite: the auth endpoints and a guarded /api/ handler that reports
// the access token it would send.
func tokenSite(t testing.TB, b *backend, clk *backendtest.Clock, mods ...func(*authgo.Config)) (*authgo.Auth, http.Handler) {
	a := newAuth(t, func(c *authgo.Config) {
		c.Providers = []provider.Provider{backendProvider{B: b}}
		c.Matcher = []string{"/api/:path*"}
		c.Now = clk.Now
		for _, mod := range mods {
			mod(c)
		}
	})
	mux := http.NewServeMux()
	mux.Handle("/auth/", a)
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		at, err := a.AccessToken(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusConflict)
			return
		}
		io.WriteString(w, at)
	})
	return a, a.Middleware(mux)
}

func signInBackend(t testing.TB, c *client) {
	t.Helper()
	r := c.postForm(O+"/auth/callback/backend", map[string][]string{"csrfToken": {c.csrf(O)}, "username": {"alice"}, "password": {"pw"}})
	if r.setCook["authjs.session-token"] == nil {
		t.Fatalf("sign-in failed: %q", r.Header.Get("Location"))
	}
}

func TestTokensKeptServerSide(t *testing.T) {
	clk := newClock()
	b := newBackend(t, 5*time.Minute, clk.Now)
	_, h := tokenSite(t, b, clk)
	c := newClient(t, h)
	signInBackend(t, c)
	tok := tokenOf(t, c.Cookie("authjs.session-token"))
	exp, _ := tok.Int("expires_at")
	if !strings.HasPrefix(tok.StringClaim("access_token"), "eyJ") || tok.StringClaim("refresh_token") == "" || exp != clk.Now().Add(5*time.Minute).Unix() || tok.StringClaim("provider") != "backend" {
		t.Fatalf("token state: %+v", tok.Extra)
	}
	if r := c.get(O + "/auth/session"); strings.Contains(r.body, "eyJhbGciOiJIUzI1NiJ9") || strings.Contains(r.body, "rt-") {
		t.Fatalf("tokens reached the session JSON: %s", r.body)
	}
	if r := c.get(O + "/api/x"); r.body != tok.StringClaim("access_token") || b.Refreshes.Load() != 0 {
		t.Fatalf("api: %s", r.body)
	}
}

// TestRefreshBurst: 200 concurrent requests with an expired access token
// make exactly one refresh call, and all of them get the new token.
func TestRefreshBurst(t *testing.T) {
	clk := newClock()
	b := newBackend(t, 5*time.Minute, clk.Now)
	b.Delay = 50 * time.Millisecond
	_, h := tokenSite(t, b, clk)
	c := newClient(t, h)
	signInBackend(t, c)
	old := tokenOf(t, c.Cookie("authjs.session-token")).StringClaim("access_token")
	clk.Add(10 * time.Minute)
	cookie := c.CookieHeader()
	var wg sync.WaitGroup
	bodies := make([]string, 200)
	setCookie := make([]bool, 200)
	for i := range bodies {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			req := httptest.NewRequest("GET", O+"/api/orders", nil)
			req.Header.Set("Cookie", cookie)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			bodies[i] = rec.Body.String()
			setCookie[i] = strings.Contains(rec.Header().Get("Set-Cookie"), "authjs.session-token=")
		}(i)
	}
	wg.Wait()
	if n := b.Refreshes.Load(); n != 1 {
		t.Fatalf("%d refresh calls, want 1", n)
	}
	for i, body := range bodies {
		if body == old || !strings.HasPrefix(body, "eyJ") || body != bodies[0] || !setCookie[i] {
			t.Fatalf("request %d: %q (set cookie %v)", i, body, setCookie[i])
		}
	}
	// A request that still carries the pre-refresh cookie later gets the
	// new tokens, not a second refresh (the successor cache).
	req := httptest.NewRequest("GET", O+"/api/late", nil)
	req.Header.Set("Cookie", cookie)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Body.String() != bodies[0] || b.Refreshes.Load() != 1 {
		t.Fatalf("stale cookie: %q, %d refreshes", rec.Body.String(), b.Refreshes.Load())
	}
}

func TestRefreshTerminalFailure(t *testing.T) {
	clk := newClock()
	b := newBackend(t, 5*time.Minute, clk.Now)
	_, h := tokenSite(t, b, clk)
	c := newClient(t, h)
	signInBackend(t, c)
	// The back end forgets the refresh token (revoked, reused elsewhere).
	b.Forget()
	clk.Add(10 * time.Minute)
	r := c.get(O + "/api/x")
	if r.StatusCode != 409 || !strings.Contains(r.body, "no access token") {
		t.Fatalf("%d %s", r.StatusCode, r.body)
	}
	tok := tokenOf(t, c.Cookie("authjs.session-token"))
	if tok.StringClaim("error") != authgo.RefreshTokenError || tok.StringClaim("access_token") != "" || tok.StringClaim("refresh_token") != "" {
		t.Fatalf("after a refused refresh: %+v", tok.Extra)
	}
	if s := c.session(O); s["error"] != authgo.RefreshTokenError {
		t.Fatalf("session %v", s)
	}
	if b.Refreshes.Load() != 1 {
		t.Fatalf("%d refreshes", b.Refreshes.Load())
	}
}

func TestRefreshTransientFailure(t *testing.T) {
	clk := newClock()
	b := newBackend(t, 5*time.Minute, clk.Now)
	_, h := tokenSite(t, b, clk)
	c := newClient(t, h)
	signInBackend(t, c)
	old := tokenOf(t, c.Cookie("authjs.session-token")).StringClaim("access_token")
	b.Fail.Store(503)
	// Inside the refresh window the old token is still good: used.
	clk.Add(4*time.Minute + 30*time.Second)
	if r := c.get(O + "/api/x"); r.StatusCode != 200 || r.body != old {
		t.Fatalf("in window: %d %s", r.StatusCode, r.body)
	}
	// Expired: 503 with Retry-After, the session untouched.
	clk.Add(time.Minute)
	r := c.get(O + "/api/x")
	if r.StatusCode != 503 || r.Header.Get("Retry-After") == "" || r.setCook["authjs.session-token"] != nil {
		t.Fatalf("expired: %d %v", r.StatusCode, r.Header)
	}
	// The back end recovers: the next request refreshes.
	b.Fail.Store(0)
	if r := c.get(O + "/api/x"); r.StatusCode != 200 || r.body == old {
		t.Fatalf("after recovery: %d %s", r.StatusCode, r.body)
	}
}

// TestRefreshLateInHandler: a handler that refreshes after writing its
// response cannot set the cookie, and the next request with the old
// cookie still does not refresh again.
func TestRefreshLateInHandler(t *testing.T) {
	clk := newClock()
	b := newBackend(t, 5*time.Minute, clk.Now)
	a := newAuth(t, func(c *authgo.Config) {
		c.Providers = []provider.Provider{backendProvider{B: b}}
		c.Now = clk.Now
	})
	var got string
	h := a.RequireSession(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "streaming…")
		http.NewResponseController(w).Flush()
		got, _ = a.AccessToken(r)
	}))
	c := newClient(t, a)
	signInBackend(t, c)
	tok := tokenOf(t, c.Cookie("authjs.session-token"))
	// Within the refresh window but not expired: the middleware lets the
	// request through, the handler refreshes late.
	clk.Add(4*time.Minute + 30*time.Second)
	_ = tok
	for i := 0; i < 2; i++ {
		req := httptest.NewRequest("GET", O+"/page", nil)
		req.Header.Set("Cookie", c.CookieHeader())
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
	}
	if b.Refreshes.Load() != 1 || got == "" {
		t.Fatalf("%d refreshes, token %q", b.Refreshes.Load(), got)
	}
}

func TestAccessTokenClient(t *testing.T) {
	clk := newClock()
	b := newBackend(t, 5*time.Minute, clk.Now)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.Header.Get("Authorization"))
	}))
	defer api.Close()
	a := newAuth(t, func(c *authgo.Config) { c.Providers = []provider.Provider{backendProvider{B: b}}; c.Now = clk.Now })
	c := newClient(t, a)
	signInBackend(t, c)
	req := httptest.NewRequest("GET", O+"/page", nil)
	req.Header.Set("Cookie", c.CookieHeader())
	res, err := a.Client(req, nil).Get(api.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.HasPrefix(string(body), "Bearer eyJ") {
		t.Fatalf("%q", body)
	}
	// Signed out: no request goes out.
	if _, err := a.Client(httptest.NewRequest("GET", O+"/", nil), nil).Get(api.URL); !errors.Is(err, authgo.ErrNoAccessToken) {
		t.Fatalf("%v", err)
	}
}

// TestRefreshOncePerRequestWithSkewedClocks: when the back end's tokens
// look expired on arrival (its clock behind ours), one request still makes
// one refresh call, not one per pass.
func TestRefreshOncePerRequestWithSkewedClocks(t *testing.T) {
	backendClock := newClock()
	b := newBackend(t, 5*time.Minute, backendClock.Now)
	ours := newClock()
	_, h := tokenSite(t, b, ours)
	c := newClient(t, h)
	signInBackend(t, c)
	ours.Add(10 * time.Minute) // every token the back end issues is already old here
	c.get(O + "/api/x")
	if n := b.Refreshes.Load(); n != 1 {
		t.Fatalf("%d refresh calls for one request", n)
	}
}

// TestClientRejectedToken: an API that answers 401 error="invalid_token"
// to the token Client sent (revoked before its expiry) makes the session's
// next request refresh, once; the refusal itself is the handler's answer.
func TestClientRejectedToken(t *testing.T) {
	clk := newClock()
	b := newBackend(t, 10*time.Minute, clk.Now)
	var mu sync.Mutex
	revoked := map[string]bool{}
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		bad := revoked[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
		mu.Unlock()
		if bad {
			w.Header().Set("WWW-Authenticate", `Bearer realm="api", error="invalid_token"`)
			w.WriteHeader(401)
			return
		}
		io.WriteString(w, r.Header.Get("Authorization"))
	}))
	defer api.Close()
	a := newAuth(t, func(c *authgo.Config) {
		c.Providers = []provider.Provider{backendProvider{B: b}}
		c.Matcher = []string{"/page"}
		c.Now = clk.Now
	})
	c := newClient(t, clientPage(a, api.URL))
	signInBackend(t, c)
	first := tokenOf(t, c.Cookie("authjs.session-token")).StringClaim(authgo.ClaimAccessToken)

	clk.Add(2 * time.Minute)
	mu.Lock()
	revoked[first] = true
	mu.Unlock()
	if r := c.get(O + "/page"); r.StatusCode != 401 || b.Refreshes.Load() != 0 || r.setCook["authjs.session-token"] != nil {
		t.Fatalf("refused call: %d, %d refreshes", r.StatusCode, b.Refreshes.Load())
	}
	r := c.get(O + "/page")
	second := tokenOf(t, c.Cookie("authjs.session-token")).StringClaim(authgo.ClaimAccessToken)
	if r.StatusCode != 200 || b.Refreshes.Load() != 1 || second == first || r.body != "Bearer "+second {
		t.Fatalf("next request: %d %q, %d refreshes", r.StatusCode, r.body, b.Refreshes.Load())
	}
	if r := c.get(O + "/page"); r.StatusCode != 200 || b.Refreshes.Load() != 1 {
		t.Fatalf("third request: %d, %d refreshes", r.StatusCode, b.Refreshes.Load())
	}
}

// TestRefreshThatHangs: tokens-bff.md C10. A Tokens.Refresh that ignores
// its context holds no request past the budget (RefreshTimeout plus as
// much slack, here 400 ms): 503, the session kept. When it finally
// succeeds, the old cookie gets its tokens without another call.
func TestRefreshThatHangs(t *testing.T) {
	clk := newClock()
	b := newBackend(t, 5*time.Minute, clk.Now)
	release := make(chan struct{})
	var calls atomic.Int32
	_, h := tokenSite(t, b, clk, func(c *authgo.Config) {
		c.Tokens.RefreshTimeout = 200 * time.Millisecond
		c.Tokens.Refresh = func(ctx context.Context, tok *authgo.Token) (*provider.TokenSet, error) {
			calls.Add(1)
			<-release // deaf to ctx
			return &provider.TokenSet{AccessToken: "fresh", RefreshToken: "rt-2", Expiry: clk.Now().Add(time.Hour)}, nil
		}
	})
	c := newClient(t, h)
	signInBackend(t, c)
	clk.Add(10 * time.Minute)

	var wg sync.WaitGroup
	codes := make([]int, 5)
	start := time.Now()
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := httptest.NewRequest("GET", O+"/api/x", nil)
			req.Header.Set("Cookie", c.CookieHeader())
			rec := httptest.NewRecorder()
			c.h.ServeHTTP(rec, req)
			codes[i] = rec.Code
			if rec.Header().Get("Set-Cookie") != "" {
				t.Errorf("a cookie was written: %v", rec.Header()["Set-Cookie"])
			}
		}()
	}
	wg.Wait()
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("requests waited %v", took)
	}
	for _, code := range codes {
		if code != http.StatusServiceUnavailable {
			t.Fatalf("answers %v, want 503 each", codes)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("%d calls for one refresh token", n)
	}
	close(release)
	deadline := time.Now().Add(2 * time.Second)
	for {
		r := c.get(O + "/api/x")
		if r.StatusCode == 200 {
			if r.body != "fresh" || calls.Load() != 1 {
				t.Fatalf("after the late success: %q, %d calls", r.body, calls.Load())
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the late success: %d %s", r.StatusCode, r.body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// apiGet sends one request with cookie to h and returns the recorder.
func apiGet(h http.Handler, cookie string, ctx context.Context) *httptest.ResponseRecorder {
	req := httptest.NewRequest("GET", O+"/api/x", nil).WithContext(ctx)
	req.Header.Set("Cookie", cookie)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// TestRefreshSkewClamped: tokens-bff.md E6. With a 30 s token and the
// default 60 s skew, the window is half the lifetime: no refresh in the
// first 15 s, one after.
func TestRefreshSkewClamped(t *testing.T) {
	clk := newClock()
	b := newBackend(t, 30*time.Second, clk.Now)
	_, h := tokenSite(t, b, clk)
	c := newClient(t, h)
	signInBackend(t, c)
	cookie := c.CookieHeader()
	for i := range 14 {
		clk.Add(time.Second)
		if rec := apiGet(h, cookie, context.Background()); rec.Code != 200 || b.Refreshes.Load() != 0 {
			t.Fatalf("at +%d s: %d, %d refreshes", i+1, rec.Code, b.Refreshes.Load())
		}
	}
	clk.Add(2 * time.Second)
	if rec := apiGet(h, cookie, context.Background()); rec.Code != 200 || b.Refreshes.Load() != 1 {
		t.Fatalf("at +16 s: %d, %d refreshes", rec.Code, b.Refreshes.Load())
	}
}

// TestRefreshOutlivesClient: tokens-bff.md R8. The browser goes away 100
// ms into a slow refresh; the refresh finishes and is kept, so the next
// request with the old cookie makes no call.
func TestRefreshOutlivesClient(t *testing.T) {
	clk := newClock()
	b := newBackend(t, 5*time.Minute, clk.Now)
	b.Delay = 500 * time.Millisecond
	_, h := tokenSite(t, b, clk)
	c := newClient(t, h)
	signInBackend(t, c)
	cookie := c.CookieHeader()
	clk.Add(10 * time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if rec := apiGet(h, cookie, ctx); rec.Code == 200 {
		t.Fatalf("the request that left got %d", rec.Code)
	}
	// No wait: a request now either joins the refresh still running or
	// gets its kept outcome; had the refresh died with the request that
	// left, this one would make a second call.
	rec := apiGet(h, cookie, context.Background())
	if rec.Code != 200 || b.Refreshes.Load() != 1 || !strings.HasPrefix(rec.Body.String(), "eyJ") {
		t.Fatalf("next request: %d %q, %d refreshes", rec.Code, rec.Body.String(), b.Refreshes.Load())
	}
}

// TestRefreshPanics: tokens-bff.md C11. A refresh function that panics
// crashes nothing: every waiting request gets 503, the session is kept.
func TestRefreshPanics(t *testing.T) {
	clk := newClock()
	b := newBackend(t, 5*time.Minute, clk.Now)
	a := newAuth(t, func(c *authgo.Config) {
		c.Providers = []provider.Provider{backendProvider{B: b}}
		c.Matcher = []string{"/api/:path*"}
		c.Now = clk.Now
		c.Tokens.Refresh = func(context.Context, *authgo.Token) (*provider.TokenSet, error) { panic("boom") }
	})
	mux := http.NewServeMux()
	mux.Handle("/auth/", a)
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	h := a.Middleware(mux)
	c := newClient(t, h)
	signInBackend(t, c)
	clk.Add(10 * time.Minute)
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if rec := apiGet(h, c.CookieHeader(), context.Background()); rec.Code != 503 || rec.Header().Get("Set-Cookie") != "" {
				t.Errorf("%d %v", rec.Code, rec.Header())
			}
		}()
	}
	wg.Wait()
}

// TestOldCookieAfterSuccessorCache: tokens-bff.md C4 documents the
// residual window. A cookie from before a rotation, replayed after the
// successor cache (120 s) forgot it, presents a dead refresh token: the
// back end refuses it and that copy of the session ends with
// RefreshTokenError. The browser's current cookie is unaffected.
func TestOldCookieAfterSuccessorCache(t *testing.T) {
	clk := newClock()
	b := newBackend(t, 5*time.Minute, clk.Now)
	_, h := tokenSite(t, b, clk)
	c := newClient(t, h)
	signInBackend(t, c)
	old := c.CookieHeader()
	clk.Add(10 * time.Minute)
	c.get(O + "/api/x") // refreshes; the client keeps the new cookie
	if b.Refreshes.Load() != 1 {
		t.Fatal("no refresh")
	}
	clk.Add(130 * time.Second)
	rec := apiGet(h, old, context.Background())
	if b.Refreshes.Load() != 2 || rec.Code == 200 {
		t.Fatalf("old cookie after the cache: %d, %d refreshes", rec.Code, b.Refreshes.Load())
	}
	if r := c.get(O + "/api/x"); r.StatusCode != 200 {
		t.Fatalf("the current cookie: %d", r.StatusCode)
	}
}

// opaqueProvider signs in with opaque access tokens and no lifetime.
type opaqueProvider struct{ refreshes *atomic.Int32 }

func (p opaqueProvider) ID() string               { return "opaque" }
func (p opaqueProvider) Name() string             { return "Opaque" }
func (p opaqueProvider) Type() provider.Type      { return provider.TypeCredentials }
func (p opaqueProvider) Fields() []provider.Field { return nil }
func (p opaqueProvider) Authorize(ctx context.Context, c provider.Credentials, r *http.Request) (*authgo.User, error) {
	u, _, err := p.AuthorizeWithTokens(ctx, c, r)
	return u, err
}
func (p opaqueProvider) AuthorizeWithTokens(context.Context, provider.Credentials, *http.Request) (*authgo.User, *provider.TokenSet, error) {
	return &authgo.User{ID: "u-1", Name: "Olga"}, &provider.TokenSet{AccessToken: "opaque-0", RefreshToken: "ort-0"}, nil
}
func (p opaqueProvider) Refresh(ctx context.Context, rt string) (*provider.TokenSet, error) {
	n := p.refreshes.Add(1)
	return &provider.TokenSet{AccessToken: fmt.Sprint("opaque-", n), RefreshToken: fmt.Sprint("ort-", n)}, nil
}

// TestUnknownLifetime: tokens-bff.md E5. An opaque access token without
// expires_in has no known expiry: one log line at sign-in, no refresh
// however much time passes, and a refresh once an API refuses it.
func TestUnknownLifetime(t *testing.T) {
	clk := newClock()
	var logs strings.Builder
	var mu sync.Mutex
	var refreshes atomic.Int32
	a := newAuth(t, func(c *authgo.Config) {
		c.Providers = []provider.Provider{opaqueProvider{&refreshes}}
		c.Matcher = []string{"/page"}
		c.Now = clk.Now
		c.Logger = slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, nil))
	})
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "Bearer opaque-0" {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			w.WriteHeader(401)
			return
		}
		io.WriteString(w, r.Header.Get("Authorization"))
	}))
	defer api.Close()
	c := newClient(t, clientPage(a, api.URL))
	r := c.postForm(O+"/auth/callback/opaque", map[string][]string{"csrfToken": {c.csrf(O)}})
	if r.setCook["authjs.session-token"] == nil {
		t.Fatalf("sign-in: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	mu.Lock()
	n := strings.Count(logs.String(), "lifetime is unknown")
	mu.Unlock()
	if n != 1 {
		t.Fatalf("%d log lines about the unknown lifetime:\n%s", n, logs.String())
	}
	clk.Add(30 * 24 * time.Hour / 2) // half the session's life: still no refresh
	if r := c.get(O + "/page"); r.StatusCode != 401 || refreshes.Load() != 0 {
		t.Fatalf("refused call: %d, %d refreshes", r.StatusCode, refreshes.Load())
	}
	if r := c.get(O + "/page"); r.StatusCode != 200 || r.body != "Bearer opaque-1" || refreshes.Load() != 1 {
		t.Fatalf("after the refusal: %d %q, %d refreshes", r.StatusCode, r.body, refreshes.Load())
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// TestClientRedirects: a redirect from the API to another host (or a
// downgrade) is not followed, so the bearer token stays with the API; a
// redirect on the API's own origin is followed with the token.
func TestClientRedirects(t *testing.T) {
	clk := newClock()
	b := newBackend(t, 5*time.Minute, clk.Now)
	var evilHits atomic.Int32
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		evilHits.Add(1)
		io.WriteString(w, r.Header.Get("Authorization"))
	}))
	defer evil.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/away":
			http.Redirect(w, r, evil.URL+"/steal", http.StatusFound)
		case "/moved":
			http.Redirect(w, r, "/here", http.StatusMovedPermanently)
		default:
			io.WriteString(w, r.Header.Get("Authorization"))
		}
	}))
	defer api.Close()
	a := newAuth(t, func(c *authgo.Config) { c.Providers = []provider.Provider{backendProvider{B: b}}; c.Now = clk.Now })
	c := newClient(t, a)
	signInBackend(t, c)
	req := httptest.NewRequest("GET", O+"/page", nil)
	req.Header.Set("Cookie", c.CookieHeader())

	res, err := a.Client(req, nil).Get(api.URL + "/away")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound || evilHits.Load() != 0 {
		t.Fatalf("cross-host redirect: %d, the other host was asked %d times", res.StatusCode, evilHits.Load())
	}
	res, err = a.Client(req, nil).Get(api.URL + "/moved")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.HasPrefix(string(body), "Bearer eyJ") {
		t.Fatalf("same-origin redirect: %d %q", res.StatusCode, body)
	}
}

// TestRejectedWithoutRotation: a provider that keeps the refresh token
// (no rotation) leaves the refresh's cached outcome under the same key; an
// access token an API refuses is still refreshed on the next request, not
// served again from that cache.
func TestRejectedWithoutRotation(t *testing.T) {
	clk := newClock()
	var n atomic.Int32
	var refused sync.Map
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		at := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		if _, bad := refused.Load(at); bad {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			w.WriteHeader(401)
			return
		}
		io.WriteString(w, at)
	}))
	defer api.Close()
	b := newBackend(t, 5*time.Minute, clk.Now)
	a := newAuth(t, func(c *authgo.Config) {
		c.Providers = []provider.Provider{backendProvider{B: b}}
		c.Matcher = []string{"/page"}
		c.Now = clk.Now
		c.Tokens.Refresh = func(ctx context.Context, tok *authgo.Token) (*provider.TokenSet, error) {
			// A new access token, the same refresh token.
			return &provider.TokenSet{AccessToken: fmt.Sprint("at-", n.Add(1)), Expiry: clk.Now().Add(time.Hour)}, nil
		}
	})
	c := newClient(t, clientPage(a, api.URL))
	signInBackend(t, c)
	clk.Add(10 * time.Minute) // expired: refreshed to at-1
	if r := c.get(O + "/page"); r.body != "at-1" {
		t.Fatalf("first refresh: %d %q", r.StatusCode, r.body)
	}
	clk.Add(time.Minute) // past the 30 s grace, inside the successor cache
	refused.Store("at-1", true)
	if r := c.get(O + "/page"); r.StatusCode != 401 {
		t.Fatalf("refused: %d", r.StatusCode)
	}
	if r := c.get(O + "/page"); r.StatusCode != 200 || r.body != "at-2" || n.Load() != 2 {
		t.Fatalf("after the refusal: %d %q, %d refreshes", r.StatusCode, r.body, n.Load())
	}
}

// clientPage is a site whose guarded /page calls apiURL through a.Client
// and answers with the API's status and body.
func clientPage(a *authgo.Auth, apiURL string) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/auth/", a)
	mux.HandleFunc("/page", func(w http.ResponseWriter, r *http.Request) {
		res, err := a.Client(r, nil).Get(apiURL)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		defer res.Body.Close()
		w.WriteHeader(res.StatusCode)
		io.Copy(w, res.Body)
	})
	return a.Middleware(mux)
}

// TestOneRefreshAttemptPerRequest: when the middleware's refresh fails for
// now while the access token is still valid, the handler's AccessToken
// does not try again in the same request: one request, one call.
func TestOneRefreshAttemptPerRequest(t *testing.T) {
	clk := newClock()
	b := newBackend(t, 5*time.Minute, clk.Now)
	_, h := tokenSite(t, b, clk)
	c := newClient(t, h)
	signInBackend(t, c)
	clk.Add(4*time.Minute + 30*time.Second) // inside the refresh window, not expired
	b.Fail.Store(503)
	r := c.get(O + "/api/x")
	if r.StatusCode != 200 || !strings.HasPrefix(r.body, "eyJ") {
		t.Fatalf("GET /api/x = %d %q; want the still-valid token", r.StatusCode, r.body)
	}
	if n := b.Refreshes.Load(); n != 1 {
		t.Fatalf("%d refresh calls for one request, want 1", n)
	}
}
