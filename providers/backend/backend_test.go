package backend_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/provider"
	"github.com/authgo/authgo/providers/backend"
)

func TestSignIn(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name             string
		mod              func(f *fixture) func(*backend.Options)
		wantName, wantEm string
	}{
		{"claims read unverified", func(*fixture) func(*backend.Options) { return nil }, "Alice", "alice@example.com"},
		{"claims verified with the JWKS", withJWKS, "Alice", "alice@example.com"},
		{"userinfo", func(f *fixture) func(*backend.Options) {
			return func(o *backend.Options) { o.UserinfoURL = f.URL + "/userinfo" }
		}, "From Userinfo", "userinfo@example.com"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			a := site(t, newProvider(t, options(f, tc.mod(f))), nil)
			loc, cookie := signIn(t, a, url.Values{"username": {"alice"}, "password": {"wonderland"}})
			if cookie == "" {
				t.Fatalf("no session; redirected to %s", loc)
			}
			tok := decode(t, cookie)
			at := tok.StringClaim(authgo.ClaimAccessToken)
			claims := f.claimsOf(at)
			exp, _ := tok.Int(authgo.ClaimExpiresAt)
			wantExp, _ := claims["exp"].(float64)
			if at == "" || tok.StringClaim(authgo.ClaimRefreshToken) == "" || exp != int64(wantExp) {
				t.Fatalf("token state %v (want expires_at %v)", tok.Extra, wantExp)
			}
			if tok.Subject != "user-1" || tok.Name != tc.wantName || tok.Email != tc.wantEm {
				t.Fatalf("sub %q name %q email %q", tok.Subject, tok.Name, tok.Email)
			}
			// The tokens stay in the cookie; the session scripts read has none.
			req := httptest.NewRequest("GET", origin+"/auth/session", nil)
			req.AddCookie(&http.Cookie{Name: "authjs.session-token", Value: cookie})
			rec := httptest.NewRecorder()
			a.ServeHTTP(rec, req)
			if !strings.Contains(rec.Body.String(), `"user"`) || strings.Contains(rec.Body.String(), at) {
				t.Fatalf("session: %s", rec.Body)
			}
		})
	}
}

func TestWrongCredentials(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a := site(t, newProvider(t, options(f, nil)), nil)
	for _, form := range []url.Values{
		{"username": {"alice"}, "password": {"nope"}},
		{"username": {"mallory"}, "password": {"wonderland"}},
		{"username": {"alice"}},
	} {
		loc, cookie := signIn(t, a, form)
		if cookie != "" || !strings.Contains(loc, "error=CredentialsSignin") {
			t.Fatalf("%v: %s (session %v)", form, loc, cookie != "")
		}
	}
	if n := f.logins.Load(); n != 2 {
		t.Fatalf("%d logins, want 2 (none without a password)", n)
	}
	for _, status := range []int32{400, 403} {
		f.loginStatus.Store(status)
		if loc, _ := signIn(t, a, url.Values{"username": {"alice"}, "password": {"wonderland"}}); !strings.Contains(loc, "error=CredentialsSignin") {
			t.Fatalf("%d: %s", status, loc)
		}
	}
}

// TestLoginFailures: a back end that fails is a server error, not a wrong
// password.
func TestLoginFailures(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		setup func(*fixture, *backend.Options)
	}{
		{"500", func(f *fixture, _ *backend.Options) { f.loginStatus.Store(500) }},
		{"404", func(f *fixture, _ *backend.Options) { f.loginStatus.Store(404) }},
		{"timeout", func(f *fixture, o *backend.Options) {
			f.delay.Store(int64(time.Second))
			o.Timeout = 50 * time.Millisecond
		}},
		{"body over 1 MiB", func(f *fixture, _ *backend.Options) { f.bigBody.Store(true) }},
		{"redirect not followed", func(f *fixture, o *backend.Options) { o.LoginURL = f.URL + "/moved" }},
		{"no access token", func(f *fixture, o *backend.Options) { f.atField = "token" }},
		{"token does not verify", func(f *fixture, o *backend.Options) {
			withJWKS(f)(o)
			_, evil := keys()
			f.key = evil
		}},
		{"opaque token without userinfo", func(f *fixture, o *backend.Options) { o.AccessTokenField = "refreshToken" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			o := options(f, nil)
			tc.setup(f, &o)
			a := site(t, newProvider(t, o), nil)
			loc, cookie := signIn(t, a, url.Values{"username": {"alice"}, "password": {"wonderland"}})
			if cookie != "" || !strings.Contains(loc, "error=Configuration") {
				t.Fatalf("%s (session %v)", loc, cookie != "")
			}
			if f.redirected.Load() != 0 {
				t.Fatal("the redirect was followed")
			}
		})
	}
}

func TestRefresh(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	p := newProvider(t, options(f, withJWKS(f)))
	_, set, err := p.AuthorizeWithTokens(t.Context(), provider.Credentials{"username": "alice", "password": "wonderland"}, nil)
	if err != nil || set == nil || set.RefreshToken == "" {
		t.Fatal(set, err)
	}
	next, err := p.Refresh(t.Context(), set.RefreshToken)
	if err != nil || next.AccessToken == set.AccessToken || next.RefreshToken == "" || next.RefreshToken == set.RefreshToken {
		t.Fatalf("rotation: %+v %v", next, err)
	}
	// The spent refresh token is refused: terminal.
	_, err = p.Refresh(t.Context(), set.RefreshToken)
	var re *provider.RefreshError
	if !errors.As(err, &re) || !re.Terminal || re.Code != "invalid_grant" {
		t.Fatalf("reuse: %v", err)
	}
	// No new refresh token in the answer: the set has none (authgo keeps the old one).
	f.noNewRT.Store(true)
	again, err := p.Refresh(t.Context(), next.RefreshToken)
	if err != nil || again.RefreshToken != "" || again.AccessToken == "" {
		t.Fatalf("no rotation: %+v %v", again, err)
	}
	if _, err := p.Refresh(t.Context(), next.RefreshToken); err != nil {
		t.Fatalf("the kept refresh token: %v", err)
	}
}

func TestRefreshClassification(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		status   int32
		body     string
		setup    func(*fixture, *backend.Options)
		terminal bool
		code     string
	}{
		{name: "400 invalid_grant", status: 400, body: `{"error":"invalid_grant"}`, terminal: true, code: "invalid_grant"},
		{name: "400 without a body", status: 400, terminal: true, code: "http_400"},
		{name: "401", status: 401, terminal: true, code: "http_401"},
		{name: "401 invalid_client", status: 401, body: `{"error":"invalid_client"}`, terminal: true, code: "invalid_client"},
		{name: "200 with error invalid_grant", status: 200, body: `{"error":"invalid_grant"}`, terminal: true, code: "invalid_grant"},
		{name: "400 temporarily_unavailable", status: 400, body: `{"error":"temporarily_unavailable"}`, code: "temporarily_unavailable"},
		{name: "500", status: 500, code: "http_500"},
		{name: "503 invalid_grant", status: 503, body: `{"error":"invalid_grant"}`, code: "http_503"},
		{name: "429", status: 429, code: "http_429"},
		{name: "403", status: 403, code: "http_403"},
		{name: "302", status: 302, code: "http_302"},
		{name: "200 not JSON", status: 200, body: `<html>maintenance</html>`, code: "bad_response"},
		{name: "200 without access token", status: 200, body: `{"refreshToken":"x"}`, code: "bad_response"},
		{name: "timeout", setup: func(f *fixture, o *backend.Options) {
			f.delay.Store(int64(time.Second))
			o.Timeout = 50 * time.Millisecond
		}, code: "unreachable"},
		{name: "unreachable", setup: func(f *fixture, o *backend.Options) { o.RefreshURL = "http://127.0.0.1:1/refresh" }, code: "unreachable"},
		{name: "answer's token does not verify", setup: func(f *fixture, o *backend.Options) {
			withJWKS(f)(o)
			_, f.key = keys()
		}, terminal: true, code: "invalid_access_token"},
		{name: "no refresh URL", setup: func(f *fixture, o *backend.Options) { o.RefreshURL = "" }, terminal: true, code: "no_refresh_url"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			o := options(f, nil)
			if tc.setup != nil {
				tc.setup(f, &o)
			}
			f.refreshStatus.Store(tc.status)
			f.refreshBody.Store(tc.body)
			p := newProvider(t, o)
			f.mu.Lock()
			_, rt := f.issue("user-1")
			f.mu.Unlock()
			set, err := p.Refresh(t.Context(), rt)
			var re *provider.RefreshError
			if set != nil || !errors.As(err, &re) || re.Terminal != tc.terminal || re.Code != tc.code {
				t.Fatalf("got %+v, %v; want terminal=%v code %s", set, err, tc.terminal, tc.code)
			}
			if strings.Contains(err.Error(), rt) {
				t.Fatal("the error carries the refresh token")
			}
		})
	}
}

// TestRefreshThroughAuthgo: authgo refreshes an expired access token once
// through the provider, storing the rotated refresh token.
func TestRefreshThroughAuthgo(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	f.now = clock
	a := site(t, newProvider(t, options(f, func(o *backend.Options) { withJWKS(f)(o); o.Now = clock })), clock)
	_, cookie := signIn(t, a, url.Values{"username": {"alice"}, "password": {"wonderland"}})
	old := decode(t, cookie).StringClaim(authgo.ClaimAccessToken)
	mu.Lock()
	now = now.Add(10 * time.Minute)
	mu.Unlock()
	req := httptest.NewRequest("GET", origin+"/orders", nil)
	req.AddCookie(&http.Cookie{Name: "authjs.session-token", Value: cookie})
	at, err := a.AccessToken(req)
	if err != nil || at == old || f.claimsOf(at)["sub"] != "user-1" || f.refreshes.Load() != 1 {
		t.Fatalf("%v; new token %v; %d refreshes", err, at != old, f.refreshes.Load())
	}
}

// TestFieldNames: every field name can be changed, and a lifetime shorter
// than the JWT's exp wins.
func TestFieldNames(t *testing.T) {
	t.Parallel()
	for _, expiresIn := range []any{60, "60"} {
		f := newFixture(t)
		f.userField, f.passField, f.rtReqField = "email", "pass", "refresh_token"
		f.atField, f.rtField, f.expField = "token", "refresh_token", "ttl"
		f.expiresIn = expiresIn
		p := newProvider(t, options(f, func(o *backend.Options) {
			o.UsernameField, o.PasswordField = "email", "pass"
			o.AccessTokenField, o.RefreshTokenField, o.ExpiresInField = "token", "refresh_token", "ttl"
		}))
		a := site(t, p, nil)
		before := time.Now()
		_, cookie := signIn(t, a, url.Values{"username": {"alice"}, "password": {"wonderland"}})
		if cookie == "" {
			t.Fatal("no session")
		}
		tok := decode(t, cookie)
		exp, _ := tok.Int(authgo.ClaimExpiresAt)
		if d := time.Unix(exp, 0).Sub(before); d < 58*time.Second || d > 62*time.Second {
			t.Fatalf("expires_at %v from now, want 60 s", d)
		}
		set, err := p.Refresh(t.Context(), tok.StringClaim(authgo.ClaimRefreshToken))
		if err != nil || set.AccessToken == "" || set.RefreshToken == "" || set.Expiry.IsZero() {
			t.Fatalf("refresh: %+v %v", set, err)
		}
	}
}

// TestNoRefreshURL: without a refresh endpoint no refresh token is kept.
func TestNoRefreshURL(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a := site(t, newProvider(t, backend.Options{LoginURL: f.URL + "/login"}), nil)
	_, cookie := signIn(t, a, url.Values{"username": {"alice"}, "password": {"wonderland"}})
	if tok := decode(t, cookie); tok.StringClaim(authgo.ClaimAccessToken) == "" || tok.StringClaim(authgo.ClaimRefreshToken) != "" {
		t.Fatalf("%v", tok.Extra)
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	const u = "https://api.example.com"
	for _, tc := range []struct {
		name string
		o    backend.Options
	}{
		{"no login URL", backend.Options{}},
		{"http login URL", backend.Options{LoginURL: "http://api.example.com/login"}},
		{"relative URL", backend.Options{LoginURL: "/login"}},
		{"bad id", backend.Options{LoginURL: u, ID: "Back End"}},
		{"JWKS without issuer", backend.Options{LoginURL: u, JWKSURL: u + "/jwks"}},
		{"introspection without client", backend.Options{LoginURL: u, IntrospectionURL: u + "/introspect"}},
		{"introspection without secret", backend.Options{LoginURL: u, IntrospectionURL: u + "/introspect", ClientID: "a"}},
		{"client without introspection", backend.Options{LoginURL: u, ClientID: "a", ClientSecret: "b"}},
		{"issuer alone", backend.Options{LoginURL: u, Issuer: u}},
		{"audience alone", backend.Options{LoginURL: u, Audience: "x"}},
		{"HS256", backend.Options{LoginURL: u, JWKSURL: u, Issuer: u, Algorithms: []string{"HS256"}}},
		{"none", backend.Options{LoginURL: u, JWKSURL: u, Issuer: u, Algorithms: []string{"none"}}},
		{"algorithms without JWKS", backend.Options{LoginURL: u, Algorithms: []string{"RS256"}}},
		{"negative leeway", backend.Options{LoginURL: u, Leeway: -time.Second}},
		{"same request fields", backend.Options{LoginURL: u, UsernameField: "x", PasswordField: "x"}},
	} {
		if p, err := backend.New(tc.o); err == nil || p != nil {
			t.Errorf("%s: no error", tc.name)
		} else if !strings.HasPrefix(err.Error(), "backend: ") {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	p, err := backend.New(backend.Options{LoginURL: u, JWKSURL: u, Issuer: u, Algorithms: []string{string(jose.ES256)}})
	if err != nil || p.ID() != "credentials" || p.Name() != "Credentials" || p.Type() != provider.TypeCredentials || len(p.Fields()) != 2 {
		t.Fatal(p, err)
	}
	var _ provider.TokenCredentialsProvider = p
}

// TestProfile: a Profile function maps the claims; an empty ID is the sub.
func TestProfile(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	p := newProvider(t, options(f, func(o *backend.Options) {
		o.Profile = func(c map[string]any) (*authgo.User, error) {
			return &authgo.User{Name: "Dr " + c["name"].(string), Extra: map[string]any{"jti": c["jti"]}}, nil
		}
	}))
	u, _, err := p.AuthorizeWithTokens(t.Context(), provider.Credentials{"username": "bob", "password": "builder"}, nil)
	if err != nil || u.ID != "user-2" || u.Name != "Dr Bob" || u.Extra["jti"] == nil {
		t.Fatalf("%+v %v", u, err)
	}
}
