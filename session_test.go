package authgo_test

import (
	"context"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/authgo/authgo"
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
