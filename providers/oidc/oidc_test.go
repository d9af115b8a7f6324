package oidc_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"

	"github.com/authgo/authgo/provider"
	"github.com/authgo/authgo/providers/oauth"
	"github.com/authgo/authgo/providers/oidc"
)

var clock = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func (f *fixture) options() oidc.Options {
	return oidc.Options{
		Issuer:       f.URL,
		ClientID:     "client-1",
		ClientSecret: "secret-1",
		HTTPClient:   f.Client(),
		Now:          func() time.Time { return f.now },
	}
}

func (f *fixture) provider(o oidc.Options) *oidc.Provider {
	f.t.Helper()
	p, err := oidc.New(o)
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"

// signIn runs AuthCodeURL and Exchange with nonce as the fixture's OP
// would see it.
func (f *fixture) signIn(p *oidc.Provider, nonce string, callbackQuery string) (*provider.OAuthResult, error) {
	f.t.Helper()
	if _, err := p.AuthCodeURL(f.t.Context(), provider.AuthCodeParams{
		State: "st", CodeChallenge: "ch", Nonce: nonce, RedirectURI: "http://localhost/cb",
	}); err != nil {
		return nil, err
	}
	f.setNonce(nonce)
	return p.Exchange(f.t.Context(), provider.ExchangeParams{
		Code: "code", CodeVerifier: verifier, Nonce: nonce, RedirectURI: "http://localhost/cb",
		Callback: httptest.NewRequest("GET", "http://localhost/cb?code=code&state=st"+callbackQuery, nil),
	})
}

func TestFixtureSignIn(t *testing.T) {
	f := newFixture(t)
	p := f.provider(f.options())
	res, err := f.signIn(p, "n-1", "")
	if err != nil {
		t.Fatal(err)
	}
	u := res.User
	if u.ID != "user-123" || u.Email != "alice@example.com" || u.Name != "Alice" || u.Image != "https://example.com/a.png" {
		t.Errorf("user = %+v", u)
	}
	if res.Tokens.IDToken == "" || res.Tokens.RefreshToken != "rt-1" || !res.Tokens.Expiry.Equal(clock.Add(5*time.Minute)) {
		t.Errorf("tokens = %+v", res.Tokens)
	}
	if res.Profile["iss"] != f.URL {
		t.Errorf("profile = %v", res.Profile)
	}
}

func TestDiscoveryIsLazyAndKept(t *testing.T) {
	f := newFixture(t)
	p := f.provider(f.options())
	if n := f.discoveryHits.Load(); n != 0 {
		t.Fatalf("New made %d discovery requests", n)
	}
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if _, err := p.AuthCodeURL(t.Context(), provider.AuthCodeParams{State: "s", CodeChallenge: "c", Nonce: "n", RedirectURI: "http://localhost/cb"}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := f.discoveryHits.Load(); n != 1 {
		t.Errorf("%d discovery requests, want 1", n)
	}
}

func TestDiscoveryFailureIsRetried(t *testing.T) {
	f := newFixture(t)
	failures := 1
	f.set(func(f *fixture) {
		f.discover = func(w http.ResponseWriter) bool {
			if failures > 0 {
				failures--
				w.WriteHeader(http.StatusServiceUnavailable)
				return true
			}
			return false
		}
	})
	p := f.provider(f.options())
	params := provider.AuthCodeParams{State: "s", CodeChallenge: "c", Nonce: "n", RedirectURI: "http://localhost/cb"}
	if _, err := p.AuthCodeURL(t.Context(), params); err == nil || !strings.HasPrefix(err.Error(), "oidc: discovery") {
		t.Fatalf("first AuthCodeURL: %v", err)
	}
	if _, err := p.AuthCodeURL(t.Context(), params); err != nil {
		t.Fatalf("second AuthCodeURL: %v", err)
	}
	if n := f.discoveryHits.Load(); n != 2 {
		t.Errorf("%d discovery requests, want 2", n)
	}
}

func TestEagerDiscovery(t *testing.T) {
	f := newFixture(t)
	o := f.options()
	o.EagerDiscovery = true
	f.provider(o)
	if n := f.discoveryHits.Load(); n != 1 {
		t.Errorf("%d discovery requests, want 1", n)
	}
	o.Issuer = f.URL + "/nowhere"
	if _, err := oidc.New(o); err == nil {
		t.Error("eager discovery of a missing document succeeded")
	}
}

func TestDiscoveryChecks(t *testing.T) {
	for name, meta := range map[string]map[string]any{
		"issuer mismatch":          {"issuer": "https://evil.example"},
		"issuer with slash":        {"issuer": "ISSUER/"},
		"no jwks_uri":              {"jwks_uri": nil},
		"no token endpoint":        {"token_endpoint": nil},
		"http token endpoint":      {"token_endpoint": "http://as.example/token"},
		"only symmetric algs":      {"id_token_signing_alg_values_supported": []string{"HS256", "none"}},
		"no code response type":    {"response_types_supported": []string{"id_token"}},
		"javascript end_session":   {"end_session_endpoint": "javascript:alert(1)"},
		"http revocation endpoint": {"revocation_endpoint": "http://as.example/revoke"},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			if v, ok := meta["issuer"].(string); ok && strings.HasPrefix(v, "ISSUER") {
				meta["issuer"] = f.URL + "/"
			}
			f.set(func(f *fixture) { f.meta = meta })
			p := f.provider(f.options())
			if err := p.Discover(t.Context()); err == nil {
				t.Fatal("discovery succeeded")
			} else {
				t.Log(err)
			}
		})
	}
}

func TestAuthCodeURL(t *testing.T) {
	f := newFixture(t)
	o := f.options()
	o.AuthParams = url.Values{"access_type": {"offline"}}
	p := f.provider(o)
	raw, err := p.AuthCodeURL(t.Context(), provider.AuthCodeParams{
		State: "st", CodeChallenge: "ch", Nonce: "no", RedirectURI: "http://localhost/cb",
		Extra: url.Values{"prompt": {"consent"}, "nonce": {"evil"}, "state": {"evil"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := f.URL + "/authorize?access_type=offline&scope=openid+profile+email&response_type=code&client_id=client-1&redirect_uri=http%3A%2F%2Flocalhost%2Fcb&prompt=consent&state=st&code_challenge=ch&code_challenge_method=S256&nonce=no"
	if raw != want {
		t.Errorf("\n got %s\nwant %s", raw, want)
	}
	raw, _ = p.AuthCodeURL(t.Context(), provider.AuthCodeParams{
		State: "st", CodeChallenge: "ch", Nonce: "no", RedirectURI: "http://localhost/cb",
		Extra: url.Values{"scope": {"email"}},
	})
	if u, _ := url.Parse(raw); u.Query().Get("scope") != "openid email" {
		t.Errorf("scope from the sign-in request should keep openid: %s", raw)
	}
	if _, err := p.AuthCodeURL(t.Context(), provider.AuthCodeParams{State: "st", CodeChallenge: "ch", RedirectURI: "http://localhost/cb"}); err == nil {
		t.Error("AuthCodeURL without a nonce succeeded")
	}
}

// TestIDTokenMatrix is attacks.md T26 against tokens the test mints.
func TestIDTokenMatrix(t *testing.T) {
	foreign, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	// refused names the check that refuses the token: a part of the error
	// text; "" for a token that is accepted.
	const (
		accepted  = ""
		issuer    = "oidc: id token: oidc: id token issued by a different provider"
		audience  = `oidc: id token: oidc: expected audience "client-1"`
		expired   = "exp" // a *gooidc.TokenExpiredError
		signature = "oidc: id token: failed to verify signature: jwks: no key verifies the signature"
	)
	badAlg := func(alg string) string {
		return `oidc: id token: oidc: malformed jwt: unexpected signature algorithm "` + alg + `"`
	}
	for _, c := range []struct {
		name    string
		tok     func(f *fixture, nonce string) string
		refused string
	}{
		{"valid", func(f *fixture, n string) string { return f.sign(f.claims(n)) }, accepted},
		{"wrong iss", func(f *fixture, n string) string { return f.sign(with(f.claims(n), "iss", "https://evil.example")) }, issuer},
		{"iss with trailing slash", func(f *fixture, n string) string { return f.sign(with(f.claims(n), "iss", f.URL+"/")) }, issuer},
		{"aud without client", func(f *fixture, n string) string { return f.sign(with(f.claims(n), "aud", "other")) }, audience},
		{"aud several without azp", func(f *fixture, n string) string {
			return f.sign(with(f.claims(n), "aud", []string{"client-1", "other"}))
		}, `oidc: id token: azp "" is not the client id`},
		{"aud several with azp", func(f *fixture, n string) string {
			return f.sign(with(with(f.claims(n), "aud", []string{"client-1", "other"}), "azp", "client-1"))
		}, accepted},
		{"azp not client", func(f *fixture, n string) string { return f.sign(with(f.claims(n), "azp", "other")) }, `oidc: id token: azp "other" is not the client id`},
		{"expired past skew", func(f *fixture, n string) string {
			return f.sign(with(f.claims(n), "exp", f.now.Add(-31*time.Second).Unix()))
		}, expired},
		{"expired within skew", func(f *fixture, n string) string {
			return f.sign(with(f.claims(n), "exp", f.now.Add(-20*time.Second).Unix()))
		}, accepted},
		{"iat a day ahead", func(f *fixture, n string) string {
			return f.sign(with(f.claims(n), "iat", f.now.Add(24*time.Hour).Unix()))
		}, "oidc: id token: issued in the future"},
		{"no iat", func(f *fixture, n string) string { return f.sign(without(f.claims(n), "iat")) }, "oidc: id token: no iat"},
		{"no sub", func(f *fixture, n string) string { return f.sign(without(f.claims(n), "sub")) }, "oidc: id token: no sub"},
		{"no nonce", func(f *fixture, n string) string { return f.sign(without(f.claims(n), "nonce")) }, "oidc: id token: nonce mismatch"},
		{"wrong nonce", func(f *fixture, n string) string { return f.sign(f.claims("other-nonce")) }, "oidc: id token: nonce mismatch"},
		{"at_hash matches", func(f *fixture, n string) string { return f.sign(with(f.claims(n), "at_hash", atHash("at-1"))) }, accepted},
		{"at_hash mismatch", func(f *fixture, n string) string { return f.sign(with(f.claims(n), "at_hash", atHash("other"))) }, "oidc: id token: access token hash does not match"},
		{"alg none", func(f *fixture, n string) string { return unsigned(f.claims(n)) }, badAlg("none")},
		{"HS256 keyed with the public key", func(f *fixture, n string) string {
			der, _ := x509.MarshalPKIXPublicKey(&f.key.PublicKey)
			return signWith(t, jose.HS256, der, f.kid, f.claims(n), nil)
		}, badAlg("HS256")},
		{"foreign key, known kid", func(f *fixture, n string) string {
			return signWith(t, jose.RS256, foreign, f.kid, f.claims(n), nil)
		}, signature},
		{"foreign key, unknown kid", func(f *fixture, n string) string {
			return signWith(t, jose.RS256, foreign, "attacker", f.claims(n), nil)
		}, signature},
		{"foreign key, no kid", func(f *fixture, n string) string {
			return signWith(t, jose.RS256, foreign, "", f.claims(n), nil)
		}, signature},
		{"foreign key in jwk header", func(f *fixture, n string) string {
			return signWith(t, jose.RS256, foreign, "", f.claims(n), map[jose.HeaderKey]any{
				"jwk": jose.JSONWebKey{Key: &foreign.PublicKey, Algorithm: "RS256"},
			})
		}, signature},
		{"jku header", func(f *fixture, n string) string {
			return signWith(t, jose.RS256, foreign, "attacker", f.claims(n), map[jose.HeaderKey]any{"jku": "https://evil.example/jwks"})
		}, signature},
		{"ES256 not advertised", func(f *fixture, n string) string {
			return signWith(t, jose.ES256, ecKey, f.kid, f.claims(n), nil)
		}, badAlg("ES256")},
		{"no id_token", func(f *fixture, n string) string { return "" }, "oidc: the token response has no id_token"},
		{"garbage", func(f *fixture, n string) string { return "a.b.c" }, "oidc: id token: oidc: malformed jwt"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			f.set(func(f *fixture) {
				f.idToken = func(n string) string { return c.tok(f, n) }
			})
			res, err := f.signIn(f.provider(f.options()), "nonce-1", "")
			var expiredErr *gooidc.TokenExpiredError
			switch {
			case c.refused == accepted && err != nil:
				t.Fatalf("refused: %v", err)
			case c.refused == accepted:
			case err == nil:
				t.Fatalf("accepted: %+v", res.User)
			case c.refused == expired:
				if !errors.As(err, &expiredErr) {
					t.Fatalf("refused with %v, want a TokenExpiredError", err)
				}
			case !strings.HasPrefix(err.Error(), c.refused):
				t.Fatalf("refused with %v, want %q", err, c.refused)
			}
		})
	}
}

func with(m map[string]any, k string, v any) map[string]any { m[k] = v; return m }

func without(m map[string]any, k string) map[string]any { delete(m, k); return m }

func TestJWKSLimits(t *testing.T) {
	oct := map[string]any{"kty": "oct", "kid": "key-1", "k": base64.RawURLEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))}
	// Each set is refused when the token's signature is checked; the error
	// names why.
	const noKey = "oidc: id token: failed to verify signature: jwks: no usable signing key"
	wants := map[string]string{
		"only an oct key":   noKey,
		"10000 keys":        "oidc: id token: failed to verify signature: jwks: 10000 keys, more than 100",
		"16384-bit modulus": noKey,
		"encryption key":    noKey,
		"private key only":  noKey,
		"not json":          "oidc: id token: failed to verify signature: jwks: json: cannot unmarshal string",
	}
	for name, jwks := range map[string]func(f *fixture) any{
		"only an oct key": func(f *fixture) any { return map[string]any{"keys": []any{oct}} },
		"10000 keys": func(f *fixture) any {
			keys := make([]any, 10000)
			for i := range keys {
				keys[i] = map[string]any{"kty": "RSA", "kid": fmt.Sprint(i), "n": "AQAB", "e": "AQAB"}
			}
			return map[string]any{"keys": keys}
		},
		"16384-bit modulus": func(f *fixture) any {
			n := make([]byte, 2048)
			n[0] = 0xc1
			n[len(n)-1] = 1
			return map[string]any{"keys": []any{map[string]any{
				"kty": "RSA", "kid": "key-1", "n": base64.RawURLEncoding.EncodeToString(n), "e": "AQAB",
			}}}
		},
		"encryption key": func(f *fixture) any {
			return jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &f.key.PublicKey, KeyID: f.kid, Use: "enc"}}}
		},
		"private key only": func(f *fixture) any {
			return jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: f.key, KeyID: f.kid}}}
		},
		"not json": func(f *fixture) any { return "keys" },
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			f.set(func(f *fixture) { f.jwks = func() any { return jwks(f) } })
			if res, err := f.signIn(f.provider(f.options()), "n", ""); err == nil {
				t.Fatalf("accepted: %+v", res.User)
			} else if !strings.HasPrefix(err.Error(), wants[name]) {
				t.Fatalf("refused with %v, want %q", err, wants[name])
			}
		})
	}
}

// An unknown kid makes the JWKS be fetched again at most once a minute
// (T60 e).
func TestUnknownKidRefetchIsRateLimited(t *testing.T) {
	f := newFixture(t)
	foreign, _ := rsa.GenerateKey(rand.Reader, 2048)
	p := f.provider(f.options())
	if _, err := f.signIn(p, "n", ""); err != nil {
		t.Fatal(err)
	}
	if n := f.jwksHits.Load(); n != 1 {
		t.Fatalf("%d JWKS fetches after one sign-in", n)
	}
	f.set(func(f *fixture) {
		f.idToken = func(n string) string {
			return signWith(t, jose.RS256, foreign, fmt.Sprintf("random-%d", f.tokenHits.Load()), f.claims(n), nil)
		}
	})
	for range 50 {
		if _, err := f.signIn(p, "n", ""); err == nil {
			t.Fatal("a token with an unknown kid was accepted")
		}
	}
	if n := f.jwksHits.Load(); n > 1 {
		t.Errorf("%d JWKS fetches, want 1: fetched again within a minute", n)
	}
	f.set(func(f *fixture) { f.now = f.now.Add(61 * time.Second) })
	for range 50 {
		f.signIn(p, "n", "")
	}
	if n := f.jwksHits.Load(); n != 2 {
		t.Errorf("%d JWKS fetches after a minute, want 2", n)
	}

	// Key rotation: a new kid published by the OP is picked up (after the
	// interval).
	newKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	f.set(func(f *fixture) {
		f.now = f.now.Add(61 * time.Second)
		f.key, f.kid, f.idToken = newKey, "key-2", nil
	})
	if _, err := f.signIn(p, "n", ""); err != nil {
		t.Errorf("after rotation: %v", err)
	}
}

func TestUserinfo(t *testing.T) {
	f := newFixture(t)
	o := f.options()
	o.FetchUserinfo = true
	p := f.provider(o)
	f.set(func(f *fixture) {
		f.userinfo = map[string]any{"sub": "user-123", "name": "Alice Liddell", "groups": []string{"a"}}
	})
	res, err := f.signIn(p, "n", "")
	if err != nil {
		t.Fatal(err)
	}
	if res.User.Name != "Alice Liddell" || res.Profile["groups"] == nil || res.User.ID != "user-123" {
		t.Errorf("user %+v, profile %v", res.User, res.Profile)
	}
	// T27(c): a userinfo sub other than the ID token's fails the sign-in.
	f.set(func(f *fixture) { f.userinfo = map[string]any{"sub": "999", "email": "alice@example.com"} })
	if res, err := f.signIn(p, "n", ""); err == nil {
		t.Fatalf("accepted: %+v", res.User)
	} else if want := `oidc: userinfo sub "999" is not the ID token's "user-123"`; err.Error() != want {
		t.Fatalf("refused with %v, want %q", err, want)
	}
	f.set(func(f *fixture) { f.userinfo = map[string]any{"email": "alice@example.com"} })
	if _, err := f.signIn(p, "n", ""); err == nil {
		t.Fatal("a userinfo response without sub was accepted")
	} else if want := `oidc: userinfo sub "" is not the ID token's "user-123"`; err.Error() != want {
		t.Fatalf("refused with %v, want %q", err, want)
	}
}

func TestIssuerParameter(t *testing.T) {
	f := newFixture(t)
	p := f.provider(f.options())
	if _, err := f.signIn(p, "n", "&iss="+url.QueryEscape(f.URL)); err != nil {
		t.Errorf("matching iss: %v", err)
	}
	if _, err := f.signIn(p, "n", ""); err != nil {
		t.Errorf("no iss, not advertised: %v", err)
	}
	before := f.tokenHits.Load()
	if _, err := f.signIn(p, "n", "&iss=https%3A%2F%2Fevil.example"); err == nil {
		t.Error("a response from another issuer was accepted")
	} else if want := `oidc: the authorization response came from issuer "https://evil.example"`; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("a response from another issuer: %v, want %q", err, want)
	}
	if f.tokenHits.Load() != before {
		t.Error("the code was redeemed")
	}

	f2 := newFixture(t)
	f2.set(func(f *fixture) { f.meta = map[string]any{"authorization_response_iss_parameter_supported": true} })
	p2 := f2.provider(f2.options())
	if _, err := f2.signIn(p2, "n", ""); err == nil {
		t.Error("no iss although the OP advertises it: accepted")
	} else if want := "oidc: the authorization response has no iss parameter"; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("no iss although the OP advertises it: %v, want %q", err, want)
	}
	if _, err := f2.signIn(p2, "n", "&iss="+url.QueryEscape(f2.URL)); err != nil {
		t.Errorf("iss advertised and sent: %v", err)
	}
}

func TestRefreshVerifiesNewIDToken(t *testing.T) {
	f := newFixture(t)
	p := f.provider(f.options())
	f.set(func(f *fixture) { f.tokenBody = map[string]any{"refresh_token": "rt-2"} })
	ts, err := p.Refresh(t.Context(), "rt-1")
	if err != nil {
		t.Fatal(err)
	}
	if ts.RefreshToken != "rt-2" || ts.IDToken == "" {
		t.Errorf("tokens = %+v", ts)
	}
	f.set(func(f *fixture) {
		f.idToken = func(string) string { return f.sign(with(f.claims(""), "aud", "other")) }
	})
	var re *provider.RefreshError
	if _, err := p.Refresh(t.Context(), "rt-2"); err == nil {
		t.Error("a refresh with a bad ID token succeeded")
	} else if !errors.As(err, &re) || re.Code != "invalid_id_token" || !re.Terminal || !strings.Contains(err.Error(), `expected audience "client-1"`) {
		t.Errorf("a refresh with an ID token for another audience: %v, want a terminal invalid_id_token naming the audience", err)
	}
	f.set(func(f *fixture) { f.idToken = func(string) string { return "" } })
	ts, err = p.Refresh(t.Context(), "rt-2")
	if err != nil || ts.IDToken != "" {
		t.Errorf("refresh without an ID token: %+v, %v", ts, err)
	}
}

func TestEndSessionAndRevoke(t *testing.T) {
	f := newFixture(t)
	o := f.options()
	o.SignOutAtProvider = true
	p := f.provider(o)
	if !p.SignOutAtProvider() {
		t.Error("SignOutAtProvider = false")
	}
	got, err := p.EndSessionURL(t.Context(), "id.tok.en", "https://app.example/bye?x=1")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(got)
	q := u.Query()
	if !strings.HasPrefix(got, f.URL+"/logout?") || q.Get("id_token_hint") != "id.tok.en" ||
		q.Get("post_logout_redirect_uri") != "https://app.example/bye?x=1" || q.Get("client_id") != "client-1" {
		t.Errorf("EndSessionURL = %s", got)
	}
	if err := p.Revoke(t.Context(), "rt-1", "refresh_token"); err != nil {
		t.Fatal(err)
	}
	if f.revoked.Get("token") != "rt-1" || f.revoked.Get("token_type_hint") != "refresh_token" {
		t.Errorf("revocation form %v", f.revoked)
	}

	f2 := newFixture(t)
	f2.set(func(f *fixture) { f.meta = map[string]any{"end_session_endpoint": nil, "revocation_endpoint": nil} })
	p2 := f2.provider(f2.options())
	if got, err := p2.EndSessionURL(t.Context(), "x", "https://app.example/"); got != "" || err != nil {
		t.Errorf("EndSessionURL without an endpoint = %q, %v", got, err)
	}
	if err := p2.Revoke(t.Context(), "rt-1", ""); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Revoke without an endpoint: %v", err)
	}
}

func TestSlowDiscoveryRespectsContext(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(block)
	p, err := oidc.New(oidc.Options{Issuer: srv.URL, ClientID: "c", ClientSecret: "s", HTTPClient: srv.Client(), Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if err := p.Discover(ctx); err == nil {
		t.Fatal("discovery succeeded")
	}
	if err := p.Discover(t.Context()); err == nil {
		t.Fatal("discovery succeeded")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestNewValidates(t *testing.T) {
	ok := oidc.Options{Issuer: "https://op.example", ClientID: "c", ClientSecret: "s"}
	p, err := oidc.New(ok)
	if err != nil {
		t.Fatal(err)
	}
	if p.ID() != "oidc" || p.Name() != "OpenID Connect" || p.Type() != provider.TypeOIDC || !p.UsesNonce() {
		t.Errorf("defaults: %s %s %s %v", p.ID(), p.Name(), p.Type(), p.UsesNonce())
	}
	for name, mod := range map[string]func(*oidc.Options){
		"bad id":          func(o *oidc.Options) { o.ID = "OIDC!" },
		"no issuer":       func(o *oidc.Options) { o.Issuer = "" },
		"http issuer":     func(o *oidc.Options) { o.Issuer = "http://op.example" },
		"issuer query":    func(o *oidc.Options) { o.Issuer = "https://op.example/?tenant=x" },
		"no client id":    func(o *oidc.Options) { o.ClientID = "" },
		"no secret":       func(o *oidc.Options) { o.ClientSecret = "" },
		"none and secret": func(o *oidc.Options) { o.AuthStyle = oauth.AuthStyleNone },
		"bad style":       func(o *oidc.Options) { o.AuthStyle = 7 },
		"reserved param":  func(o *oidc.Options) { o.AuthParams = url.Values{"nonce": {"fixed"}} },
		"HS256 allowed":   func(o *oidc.Options) { o.SigningAlgorithms = []string{"RS256", "HS256"} },
		"none allowed":    func(o *oidc.Options) { o.SigningAlgorithms = []string{"none"} },
	} {
		o := ok
		mod(&o)
		if _, err := oidc.New(o); err == nil {
			t.Errorf("%s: New succeeded", name)
		} else if !strings.HasPrefix(err.Error(), "oidc: ") {
			t.Errorf("%s: error %q lacks the prefix", name, err)
		}
	}
}
