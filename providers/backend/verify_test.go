package backend_test

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/internal/testkit"
	"github.com/authgo/authgo/provider"
	"github.com/authgo/authgo/providers/backend"
)

// logged is site with authgo's log kept.
func logged(t testing.TB, p *backend.Provider) (*authgo.Auth, *testkit.Buffer) {
	t.Helper()
	logs := &testkit.Buffer{}
	a, err := authgo.New(authgo.Config{Secret: []string{testSecret}, URL: origin, Providers: []provider.Provider{p},
		Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return a, logs
}

// fixedClock is a settable clock.
type fixedClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fixedClock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fixedClock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func b64JSON(v any) string {
	b, _ := json.Marshal(v)
	return b64(b)
}

// hs256 signs claims with HMAC-SHA256 under secret, as an attacker holding
// the public key would.
func hs256(hdr, claims map[string]any, secret []byte) string {
	in := b64JSON(hdr) + "." + b64JSON(claims)
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(in))
	return in + "." + b64(m.Sum(nil))
}

// TestAccessTokenSignIn: a client posts an access token as the credentials
// field accessToken; only a token that verifies against the JWKS signs in.
func TestAccessTokenSignIn(t *testing.T) {
	t.Parallel()
	backendKey, evil := keys()
	der, _ := x509.MarshalPKIXPublicKey(&backendKey.PublicKey)
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})

	// An attacker's JWKS, which a jku header names: it must never be asked.
	var evilHits atomic.Int32
	evilSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		evilHits.Add(1)
		json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &evil.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	}))
	t.Cleanup(evilSrv.Close)

	type tokenFunc func(f *fixture, c map[string]any) string
	good := func(f *fixture, c map[string]any) string { return sign(c, f.key, "k1", jose.RS256, nil) }
	with := func(mod func(c map[string]any)) tokenFunc {
		return func(f *fixture, c map[string]any) string { mod(c); return good(f, c) }
	}
	for _, tc := range []struct {
		name  string
		token tokenFunc
		mod   func(*backend.Options)
		ok    bool
	}{
		{name: "valid", token: good, ok: true},
		{name: "aud array", token: with(func(c map[string]any) { c["aud"] = []string{"other", audience} }), ok: true},
		{name: "exp 29 s ago", token: with(func(c map[string]any) { c["exp"] = c["iat"].(int64) - 29 }), ok: true},
		{name: "at+jwt required and given", token: func(f *fixture, c map[string]any) string {
			return sign(c, f.key, "k1", jose.RS256, func(o *jose.SignerOptions) { o.WithType("at+jwt") })
		}, mod: func(o *backend.Options) { o.TokenType = "application/at+jwt" }, ok: true},

		{name: "wrong iss", token: with(func(c map[string]any) { c["iss"] = "https://evil.example" })},
		{name: "wrong aud", token: with(func(c map[string]any) { c["aud"] = "api://other" })},
		{name: "no aud", token: with(func(c map[string]any) { delete(c, "aud") })},
		{name: "expired 31 s ago", token: with(func(c map[string]any) { c["exp"] = c["iat"].(int64) - 31 })},
		{name: "nbf 31 s ahead", token: with(func(c map[string]any) { c["nbf"] = c["iat"].(int64) + 31 })},
		{name: "iat 31 s ahead", token: with(func(c map[string]any) { c["iat"] = c["iat"].(int64) + 31 })},
		{name: "no exp", token: with(func(c map[string]any) { delete(c, "exp") })},
		{name: "exp a string", token: with(func(c map[string]any) { c["exp"] = "9999999999" })},
		{name: "no sub", token: with(func(c map[string]any) { delete(c, "sub") })},
		{name: "alg none", token: func(f *fixture, c map[string]any) string {
			return b64JSON(map[string]any{"alg": "none", "typ": "JWT"}) + "." + b64JSON(c) + "."
		}},
		{name: "HS256 keyed with the public key (DER)", token: func(f *fixture, c map[string]any) string {
			return hs256(map[string]any{"alg": "HS256", "kid": "k1"}, c, der)
		}},
		{name: "HS256 keyed with the public key (PEM)", token: func(f *fixture, c map[string]any) string {
			return hs256(map[string]any{"alg": "HS256", "kid": "k1"}, c, pemKey)
		}},
		{name: "algorithm outside the list", token: func(f *fixture, c map[string]any) string {
			return sign(c, f.key, "k1", jose.RS512, nil)
		}, mod: func(o *backend.Options) { o.Algorithms = []string{"RS256"} }},
		{name: "ID token where at+jwt is required", token: good, mod: func(o *backend.Options) { o.TokenType = "at+jwt" }},
		{name: "unknown kid", token: func(f *fixture, c map[string]any) string { return sign(c, evil, "k2", jose.RS256, nil) }},
		{name: "known kid, other key", token: func(f *fixture, c map[string]any) string { return sign(c, evil, "k1", jose.RS256, nil) }},
		{name: "no kid, other key", token: func(f *fixture, c map[string]any) string { return sign(c, evil, "", jose.RS256, nil) }},
		{name: "jku to the attacker's JWKS", token: func(f *fixture, c map[string]any) string {
			return sign(c, evil, "k1", jose.RS256, func(o *jose.SignerOptions) { o.WithHeader("jku", evilSrv.URL) })
		}},
		{name: "embedded jwk", token: func(f *fixture, c map[string]any) string {
			return sign(c, evil, "k1", jose.RS256, func(o *jose.SignerOptions) { o.EmbedJWK = true })
		}},
		{name: "crit header", token: func(f *fixture, c map[string]any) string {
			return sign(c, f.key, "k1", jose.RS256, func(o *jose.SignerOptions) { o.WithCritical("exp") })
		}},
		{name: "tampered payload", token: func(f *fixture, c map[string]any) string {
			parts := strings.Split(good(f, c), ".")
			c["sub"] = "user-2"
			return parts[0] + "." + b64JSON(c) + "." + parts[2]
		}},
		{name: "garbage", token: func(*fixture, map[string]any) string { return "not-a-token" }},
		{name: "five parts (JWE)", token: func(*fixture, map[string]any) string { return "a.b.c.d.e" }},
		{name: "too long", token: with(func(c map[string]any) { c["pad"] = strings.Repeat("x", 9000) })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clk := &fixedClock{t: time.Now().Truncate(time.Second)}
			f := newFixture(t)
			f.now = clk.now
			p := newProvider(t, options(f, func(o *backend.Options) {
				withJWKS(f)(o)
				o.Now = clk.now
				if tc.mod != nil {
					tc.mod(o)
				}
			}))
			a, logs := logged(t, p)
			c := f.claims("user-1")
			at := tc.token(f, c)
			loc, cookie := signIn(t, a, url.Values{"accessToken": {at}})
			if !tc.ok {
				if cookie != "" || !strings.Contains(loc, "error=CredentialsSignin") {
					t.Fatalf("accepted: %s (session %v)", loc, cookie != "")
				}
				if !strings.Contains(logs.String(), "access token refused") || strings.Contains(logs.String(), at) {
					t.Fatalf("log: %s", logs)
				}
				if evilHits.Load() != 0 {
					t.Fatal("the jku URL was fetched")
				}
				return
			}
			if cookie == "" {
				t.Fatalf("refused: %s\n%s", loc, logs)
			}
			tok := decode(t, cookie)
			exp, _ := tok.Int(authgo.ClaimExpiresAt)
			if tok.Subject != "user-1" || tok.Name != "Alice" || tok.StringClaim(authgo.ClaimAccessToken) != at ||
				tok.StringClaim(authgo.ClaimRefreshToken) != "" || exp != c["exp"].(int64) {
				t.Fatalf("session token: sub %q, %v", tok.Subject, tok.Extra)
			}
		})
	}
}

// TestAccessTokenWithPassword: a token posted next to a password is
// refused before anything is asked.
func TestAccessTokenWithPassword(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	p := newProvider(t, options(f, withJWKS(f)))
	f.mu.Lock()
	at, _ := f.issue("user-1")
	f.mu.Unlock()
	u, set, err := p.AuthorizeWithTokens(t.Context(), provider.Credentials{"accessToken": at, "username": "alice", "password": "wonderland"}, nil)
	var ce *provider.CredentialsError
	if u != nil || set != nil || !errors.As(err, &ce) || f.logins.Load() != 0 || f.jwksFetches.Load() != 0 {
		t.Fatal(u, set, err)
	}
}

// TestJWKSFetches: keys are cached; an unknown kid fetches the JWKS again
// at most once per 30 s, however many tokens name one (V7).
func TestJWKSFetches(t *testing.T) {
	t.Parallel()
	_, evil := keys()
	clk := &fixedClock{t: time.Now().Truncate(time.Second)}
	f := newFixture(t)
	f.now = clk.now
	p := newProvider(t, options(f, func(o *backend.Options) { withJWKS(f)(o); o.Now = clk.now }))
	try := func(at string) error {
		_, _, err := p.AuthorizeWithTokens(t.Context(), provider.Credentials{"accessToken": at}, nil)
		return err
	}
	for range 3 {
		if err := try(sign(f.claims("user-1"), f.key, "k1", jose.RS256, nil)); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.jwksFetches.Load(); n != 1 {
		t.Fatalf("%d fetches for three good tokens, want 1", n)
	}
	var wg sync.WaitGroup
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var ce *provider.CredentialsError
			if err := try(sign(f.claims("user-1"), evil, rand.Text(), jose.RS256, nil)); !errors.As(err, &ce) {
				t.Error("random kid:", err)
			}
		}()
	}
	wg.Wait()
	if n := f.jwksFetches.Load(); n > 2 {
		t.Fatalf("%d fetches after 100 random kids, want at most 2", n)
	}
	clk.add(31 * time.Second)
	try(sign(f.claims("user-1"), evil, rand.Text(), jose.RS256, nil))
	if n := f.jwksFetches.Load(); n > 3 {
		t.Fatalf("%d fetches, want at most 3", n)
	}
	// The JWKS going away: the cached keys still verify.
	f.jwksDown.Store(true)
	clk.add(31 * time.Second)
	try(sign(f.claims("user-1"), evil, "k9", jose.RS256, nil))
	if err := try(sign(f.claims("user-1"), f.key, "k1", jose.RS256, nil)); err != nil {
		t.Fatal("cached key after a failed fetch:", err)
	}
}

// TestVerifierDown: a JWKS, introspection or userinfo endpoint that cannot
// answer is a server error, never a sign-in.
func TestVerifierDown(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.mu.Lock()
	at, _ := f.issue("user-1")
	f.mu.Unlock()
	for name, mod := range map[string]func(*backend.Options){
		"jwks 404": func(o *backend.Options) { withJWKS(f)(o); o.JWKSURL = f.URL + "/nope" },
		"introspection 404": func(o *backend.Options) {
			o.IntrospectionURL, o.ClientID, o.ClientSecret = f.URL+"/nope", "authgo", "s3cret"
		},
		"introspection refuses": func(o *backend.Options) {
			o.IntrospectionURL, o.ClientID, o.ClientSecret = f.URL+"/introspect", "authgo", "wrong"
		},
		"userinfo down": func(o *backend.Options) { o.UserinfoURL = "http://127.0.0.1:1/userinfo" },
	} {
		a := site(t, newProvider(t, options(f, mod)), nil)
		if loc, cookie := signIn(t, a, url.Values{"accessToken": {at}}); cookie != "" || !strings.Contains(loc, "error=Configuration") {
			t.Errorf("%s: %s", name, loc)
		}
	}
}

func TestIntrospection(t *testing.T) {
	t.Parallel()
	clk := &fixedClock{t: time.Now().Truncate(time.Second)}
	f := newFixture(t)
	f.now = clk.now
	mk := func(mod func(*backend.Options)) *authgo.Auth {
		return site(t, newProvider(t, options(f, func(o *backend.Options) {
			o.IntrospectionURL, o.ClientID, o.ClientSecret = f.URL+"/introspect", "authgo", "s3cret"
			o.Now = clk.now
			if mod != nil {
				mod(o)
			}
		})), nil)
	}
	f.mu.Lock()
	at, _ := f.issue("user-2")
	f.mu.Unlock()

	loc, cookie := signIn(t, mk(nil), url.Values{"accessToken": {at}})
	if cookie == "" {
		t.Fatalf("active token refused: %s", loc)
	}
	tok := decode(t, cookie)
	exp, _ := tok.Int(authgo.ClaimExpiresAt)
	if tok.Subject != "user-2" || exp != int64(f.claimsOf(at)["exp"].(float64)) || tok.StringClaim(authgo.ClaimRefreshToken) != "" {
		t.Fatalf("%q %v", tok.Subject, tok.Extra)
	}
	if _, cookie := signIn(t, mk(func(o *backend.Options) { o.Issuer, o.Audience = f.URL, audience }), url.Values{"accessToken": {at}}); cookie == "" {
		t.Fatal("matching iss and aud refused")
	}

	for name, tc := range map[string]struct {
		token string
		mod   func(*backend.Options)
	}{
		"inactive":  {token: "opaque-" + rand.Text()},
		"wrong iss": {token: at, mod: func(o *backend.Options) { o.Issuer = "https://other.example" }},
		"wrong aud": {token: at, mod: func(o *backend.Options) { o.Audience = "api://other" }},
		"expired": {token: at, mod: func(o *backend.Options) {
			o.Now = func() time.Time { return clk.now().Add(6 * time.Minute) }
		}},
	} {
		loc, cookie := signIn(t, mk(tc.mod), url.Values{"accessToken": {tc.token}})
		if cookie != "" || !strings.Contains(loc, "error=CredentialsSignin") {
			t.Errorf("%s: %s", name, loc)
		}
	}
}

func TestUserinfoVerification(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a := site(t, newProvider(t, options(f, func(o *backend.Options) { o.UserinfoURL = f.URL + "/userinfo" })), nil)
	f.mu.Lock()
	at, _ := f.issue("user-1")
	f.mu.Unlock()
	_, cookie := signIn(t, a, url.Values{"accessToken": {at}})
	if tok := decode(t, cookie); tok.Subject != "user-1" || tok.Name != "From Userinfo" {
		t.Fatalf("%q %q", tok.Subject, tok.Name)
	}
	if loc, cookie := signIn(t, a, url.Values{"accessToken": {"made-up"}}); cookie != "" || !strings.Contains(loc, "error=CredentialsSignin") {
		t.Fatalf("unknown token: %s", loc)
	}
}

// TestAccessTokenSignInOff: without a JWKS, introspection or userinfo
// endpoint, a posted access token is refused unread.
func TestAccessTokenSignInOff(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a, logs := logged(t, newProvider(t, options(f, nil)))
	f.mu.Lock()
	at, _ := f.issue("user-1")
	f.mu.Unlock()
	loc, cookie := signIn(t, a, url.Values{"accessToken": {at}})
	if cookie != "" || !strings.Contains(loc, "error=CredentialsSignin") || !strings.Contains(logs.String(), "is off") {
		t.Fatalf("%s\n%s", loc, logs)
	}
	if n := f.logins.Load() + f.userinfos.Load() + f.introspections.Load() + f.jwksFetches.Load(); n != 0 {
		t.Fatalf("%d calls to the back end", n)
	}
}
