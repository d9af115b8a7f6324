package backend_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
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
	"github.com/authgo/authgo/jwt"
	"github.com/authgo/authgo/provider"
	"github.com/authgo/authgo/providers/backend"
)

const (
	testSecret = "test-secret-0123456789abcdef0123456789abcdef"
	origin     = "http://localhost:3000"
	audience   = "api://orders"
)

// Two RSA keys for all tests: the back end's, and an attacker's.
var (
	keyOnce             sync.Once
	backendKey, evilKey *rsa.PrivateKey
)

func keys() (*rsa.PrivateKey, *rsa.PrivateKey) {
	keyOnce.Do(func() {
		var err error
		if backendKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if evilKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	})
	return backendKey, evilKey
}

type account struct{ password, sub, name, email string }

// fixture is the back end: it logs users in with RS256 JWT access tokens
// signed with a key the test holds, serves that key as a JWKS, rotates
// refresh tokens on every refresh and refuses one used twice, and answers
// introspection (RFC 7662, client authentication required) and userinfo
// for the access tokens it issued. It counts calls and can be told to fail.
type fixture struct {
	*httptest.Server
	key     *rsa.PrivateKey // signs the access tokens
	jwksKey *rsa.PrivateKey // whose public key the JWKS holds (kid k1)
	now     func() time.Time

	// Field names it speaks; defaults as the provider's.
	userField, passField, rtReqField string
	atField, rtField, expField       string
	expiresIn                        any // sent as the lifetime when not nil

	mu       sync.Mutex
	lifetime time.Duration
	users    map[string]account
	refresh  map[string]string // live refresh token → sub
	issued   map[string]string // access token → sub
	n        atomic.Int64

	// Failure switches.
	loginStatus   atomic.Int32 // status for logins, 0 = work
	refreshStatus atomic.Int32 // status for refreshes, 0 = work
	refreshBody   atomic.Value // body sent with refreshStatus
	noNewRT       atomic.Bool  // refresh answers keep the refresh token
	delay         atomic.Int64 // nanoseconds before answering login/refresh
	bigBody       atomic.Bool  // login answers more than 1 MiB
	jwksDown      atomic.Bool  // the JWKS answers 503

	logins, refreshes, jwksFetches, introspections, userinfos, redirected atomic.Int32
}

func newFixture(t testing.TB) *fixture {
	key, _ := keys()
	f := &fixture{
		key: key, jwksKey: key, now: time.Now, lifetime: 5 * time.Minute,
		userField: "username", passField: "password", rtReqField: "refreshToken",
		atField: "accessToken", rtField: "refreshToken", expField: "expiresIn",
		users: map[string]account{
			"alice": {"wonderland", "user-1", "Alice", "alice@example.com"},
			"bob":   {"builder", "user-2", "Bob", "bob@example.com"},
		},
		refresh: map[string]string{}, issued: map[string]string{},
	}
	f.refreshBody.Store("")
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

// claims returns the claims of an access token for sub, valid from now.
func (f *fixture) claims(sub string) map[string]any {
	now := f.now()
	c := map[string]any{
		"iss": f.URL, "aud": audience, "sub": sub, "iat": now.Unix(), "nbf": now.Unix(),
		"exp": now.Add(f.lifetime).Unix(), "jti": fmt.Sprint(f.n.Add(1)),
	}
	for _, a := range f.users {
		if a.sub == sub {
			c["name"], c["email"] = a.name, a.email
		}
	}
	return c
}

// issue makes tokens for sub; f.mu is held.
func (f *fixture) issue(sub string) (at, rt string) {
	at = sign(f.claims(sub), f.key, "k1", jose.RS256, nil)
	rt = "rt-" + rand.Text()
	f.refresh[rt] = sub
	f.issued[at] = sub
	return at, rt
}

func (f *fixture) answer(w http.ResponseWriter, at, rt string) {
	out := map[string]any{f.atField: at}
	if rt != "" {
		out[f.rtField] = rt
	}
	if f.expiresIn != nil {
		out[f.expField] = f.expiresIn
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}

func (f *fixture) serve(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/login":
		f.logins.Add(1)
		time.Sleep(time.Duration(f.delay.Load()))
		if s := f.loginStatus.Load(); s != 0 {
			w.WriteHeader(int(s))
			return
		}
		if f.bigBody.Load() {
			io.WriteString(w, `{"accessToken":"`+strings.Repeat("a", 2<<20)+`"}`)
			return
		}
		var in map[string]string
		if r.Header.Get("Content-Type") != "application/json" || json.NewDecoder(r.Body).Decode(&in) != nil {
			w.WriteHeader(400)
			return
		}
		f.mu.Lock()
		a, ok := f.users[in[f.userField]]
		if !ok || a.password != in[f.passField] {
			f.mu.Unlock()
			w.WriteHeader(401)
			io.WriteString(w, `{"message":"bad credentials"}`)
			return
		}
		at, rt := f.issue(a.sub)
		f.mu.Unlock()
		f.answer(w, at, rt)
	case "/refresh":
		f.refreshes.Add(1)
		time.Sleep(time.Duration(f.delay.Load()))
		if s := f.refreshStatus.Load(); s != 0 {
			w.WriteHeader(int(s))
			io.WriteString(w, f.refreshBody.Load().(string))
			return
		}
		var in map[string]string
		json.NewDecoder(r.Body).Decode(&in)
		f.mu.Lock()
		sub, ok := f.refresh[in[f.rtReqField]]
		delete(f.refresh, in[f.rtReqField]) // rotation: each refresh token works once
		var at, rt string
		if ok {
			at, rt = f.issue(sub)
			if f.noNewRT.Load() {
				delete(f.refresh, rt)
				f.refresh[in[f.rtReqField]] = sub
				rt = ""
			}
		}
		f.mu.Unlock()
		if !ok {
			w.WriteHeader(400)
			io.WriteString(w, `{"error":"invalid_grant"}`)
			return
		}
		f.answer(w, at, rt)
	case "/jwks":
		f.jwksFetches.Add(1)
		if f.jwksDown.Load() {
			w.WriteHeader(503)
			return
		}
		set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &f.jwksKey.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}}
		json.NewEncoder(w).Encode(set)
	case "/introspect":
		f.introspections.Add(1)
		if id, secret, ok := r.BasicAuth(); !ok || id != "authgo" || secret != "s3cret" {
			w.WriteHeader(401)
			return
		}
		r.ParseForm()
		f.mu.Lock()
		sub, ok := f.issued[r.PostForm.Get("token")]
		f.mu.Unlock()
		if !ok {
			io.WriteString(w, `{"active":false}`)
			return
		}
		c := f.claimsOf(r.PostForm.Get("token"))
		c["active"] = true
		c["sub"] = sub
		json.NewEncoder(w).Encode(c)
	case "/userinfo":
		f.userinfos.Add(1)
		at, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		f.mu.Lock()
		sub, known := f.issued[at]
		f.mu.Unlock()
		if !ok || !known {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			w.WriteHeader(401)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"sub": sub, "name": "From Userinfo", "email": "userinfo@example.com"})
	case "/moved":
		http.Redirect(w, r, "/target", http.StatusFound)
	case "/target":
		f.redirected.Add(1)
	default:
		http.NotFound(w, r)
	}
}

// claimsOf reads a token's payload (the fixture made it).
func (f *fixture) claimsOf(at string) map[string]any {
	var c map[string]any
	sig, err := jose.ParseSignedCompact(at, []jose.SignatureAlgorithm{jose.RS256})
	if err == nil {
		json.Unmarshal(sig.UnsafePayloadWithoutVerification(), &c)
	}
	if c == nil {
		c = map[string]any{}
	}
	return c
}

// sign makes a compact JWS of claims.
func sign(claims map[string]any, key any, kid string, alg jose.SignatureAlgorithm, mod func(*jose.SignerOptions)) string {
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if mod != nil {
		mod(opts)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: kid}}, opts)
	if err != nil {
		panic(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := s.Sign(payload)
	if err != nil {
		panic(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		panic(err)
	}
	return out
}

// options are the provider options for f, with mod applied.
func options(f *fixture, mod func(*backend.Options)) backend.Options {
	o := backend.Options{LoginURL: f.URL + "/login", RefreshURL: f.URL + "/refresh"}
	if mod != nil {
		mod(&o)
	}
	return o
}

func withJWKS(f *fixture) func(*backend.Options) {
	return func(o *backend.Options) {
		o.JWKSURL, o.Issuer, o.Audience = f.URL+"/jwks", f.URL, audience
	}
}

func newProvider(t testing.TB, o backend.Options) *backend.Provider {
	t.Helper()
	p, err := backend.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// site is authgo with the provider, on http://localhost:3000/auth.
func site(t testing.TB, p *backend.Provider, now func() time.Time) *authgo.Auth {
	t.Helper()
	a, err := authgo.New(authgo.Config{Secret: []string{testSecret}, URL: origin, Providers: []provider.Provider{p}, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// signIn does what next-auth/react's signIn("credentials", …) does: GET
// /auth/csrf, then POST the form with the token to
// /auth/callback/credentials. It returns where the answer redirects and
// the session cookie ("" when none was set).
func signIn(t testing.TB, h http.Handler, form url.Values) (location, session string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", origin+"/auth/csrf", nil))
	var v struct{ CsrfToken string }
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil || v.CsrfToken == "" {
		t.Fatalf("csrf: %d %q", rec.Code, rec.Body)
	}
	form.Set("csrfToken", v.CsrfToken)
	req := httptest.NewRequest("POST", origin+"/auth/callback/credentials", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, c := range rec.Result().Cookies() {
		req.AddCookie(c)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	for _, c := range rec.Result().Cookies() {
		if c.Name == "authjs.session-token" && c.Value != "" {
			session = c.Value
		}
	}
	return rec.Header().Get("Location"), session
}

// decode opens a session cookie with the test secret.
func decode(t testing.TB, cookie string) *jwt.Token {
	t.Helper()
	tok, err := jwt.Decode(jwt.DecodeParams{Token: cookie, Secrets: []string{testSecret}})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
