package oidc_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// fixture is an OpenID provider the test controls completely: it serves
// discovery, a JWKS and a token endpoint that returns whatever ID token the
// test mints, signed with keys the test holds. It plays the world's part
// for the ID token matrix, which a real OP cannot be made to break.
type fixture struct {
	*httptest.Server
	t   *testing.T
	key *rsa.PrivateKey
	kid string
	now time.Time

	mu        sync.Mutex
	meta      map[string]any            // discovery overrides (nil value deletes)
	jwks      func() any                // default: the public key
	idToken   func(nonce string) string // default: valid claims signed with key
	tokenBody map[string]any            // extra members of the token response
	discover  func(w http.ResponseWriter) bool
	userinfo  map[string]any
	lastNonce string
	revoked   url.Values

	discoveryHits, jwksHits, tokenHits atomic.Int32
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, key: key, kid: "key-1", now: clock}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		f.discoveryHits.Add(1)
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.discover != nil && f.discover(w) {
			return
		}
		m := map[string]any{
			"issuer":                                f.URL,
			"authorization_endpoint":                f.URL + "/authorize",
			"token_endpoint":                        f.URL + "/token",
			"userinfo_endpoint":                     f.URL + "/userinfo",
			"jwks_uri":                              f.URL + "/jwks",
			"end_session_endpoint":                  f.URL + "/logout",
			"revocation_endpoint":                   f.URL + "/revoke",
			"response_types_supported":              []string{"code"},
			"id_token_signing_alg_values_supported": []string{"RS256", "HS256", "none"},
		}
		for k, v := range f.meta {
			if v == nil {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		writeJSON(w, 200, m)
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		f.jwksHits.Add(1)
		f.mu.Lock()
		fn := f.jwks
		f.mu.Unlock()
		if fn != nil {
			writeJSON(w, 200, fn())
			return
		}
		writeJSON(w, 200, f.publicJWKS())
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		f.tokenHits.Add(1)
		r.ParseForm()
		f.mu.Lock()
		defer f.mu.Unlock()
		var id string
		if f.idToken != nil {
			id = f.idToken(f.lastNonce)
		} else {
			id = f.sign(f.claims(f.lastNonce))
		}
		m := map[string]any{"access_token": "at-1", "token_type": "Bearer", "expires_in": 300, "refresh_token": "rt-1"}
		if id != "" {
			m["id_token"] = id
		}
		for k, v := range f.tokenBody {
			m[k] = v
		}
		writeJSON(w, 200, m)
	})
	mux.HandleFunc("GET /userinfo", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer at-1" {
			w.WriteHeader(401)
			return
		}
		writeJSON(w, 200, f.userinfo)
	})
	mux.HandleFunc("POST /revoke", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		f.mu.Lock()
		f.revoked = r.PostForm
		f.mu.Unlock()
	})
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

// setNonce is what the authorization request would have carried.
func (f *fixture) setNonce(n string) {
	f.mu.Lock()
	f.lastNonce = n
	f.mu.Unlock()
}

func (f *fixture) set(fn func(f *fixture)) {
	f.mu.Lock()
	fn(f)
	f.mu.Unlock()
}

func (f *fixture) publicJWKS() any {
	return jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &f.key.PublicKey, KeyID: f.kid, Algorithm: "RS256", Use: "sig"}}}
}

// claims are valid ID token claims for the client "client-1".
func (f *fixture) claims(nonce string) map[string]any {
	m := map[string]any{
		"iss": f.URL, "sub": "user-123", "aud": "client-1",
		"exp": f.now.Add(5 * time.Minute).Unix(), "iat": f.now.Unix(),
		"email": "alice@example.com", "name": "Alice", "picture": "https://example.com/a.png",
	}
	if nonce != "" {
		m["nonce"] = nonce
	}
	return m
}

func (f *fixture) sign(claims map[string]any) string {
	return signWith(f.t, jose.RS256, f.key, f.kid, claims, nil)
}

func signWith(t *testing.T, alg jose.SignatureAlgorithm, key any, kid string, claims map[string]any, extraHeaders map[jose.HeaderKey]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	for k, v := range extraHeaders {
		opts = opts.WithHeader(k, v)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := s.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func unsigned(claims map[string]any) string {
	h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
	p, _ := json.Marshal(claims)
	return h + "." + base64.RawURLEncoding.EncodeToString(p) + "."
}

func atHash(accessToken string) string {
	sum := sha256.Sum256([]byte(accessToken))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
