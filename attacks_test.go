package authgo_test

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/authgo/authgo"
)

// Tests named after ../shared/spec/attacks.md entries that other files do
// not already cover.

// TestT15NoCORS: the endpoints that reveal the CSRF token or the session
// never approve another origin, "null" included, nor a preflight.
func TestT15NoCORS(t *testing.T) {
	a := newAuth(t, nil)
	c := newClient(t, a)
	c.signIn(O, "alice", "wonderland")
	for _, origin := range []string{"https://evil.example", "null", "http://localhost:3000.evil.example"} {
		for _, target := range []string{"/auth/csrf", "/auth/session", "/auth/providers"} {
			r := c.get(O+target, "Origin", origin)
			for k := range r.Header {
				if strings.HasPrefix(k, "Access-Control-") {
					t.Errorf("GET %s from %s: %s: %q", target, origin, k, r.Header.Get(k))
				}
			}
		}
		req := httptest.NewRequest("OPTIONS", O+"/auth/session", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "content-type")
		r := c.do(req)
		if r.StatusCode < 400 || r.StatusCode >= 500 {
			t.Errorf("preflight from %s: %d", origin, r.StatusCode)
		}
		for k := range r.Header {
			if strings.HasPrefix(k, "Access-Control-") {
				t.Errorf("preflight from %s: %s", origin, k)
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

// TestT03SignedJWTRefused: a signed (not encrypted) token, whatever key
// signed it, or an unsecured one, opens no session: as a cookie, split
// into chunks, or as a bearer token.
func TestT03SignedJWTRefused(t *testing.T) {
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

// TestT23StateExpires: a callback with check cookies older than their 15
// minutes fails, reaches no provider, and clears every check cookie.
func TestT23StateExpires(t *testing.T) {
	now := time.Now()
	idp := &stubIdP{id: "stub", nonce: true}
	a := newAuth(t, func(c *authgo.Config) {
		c.Providers = append(c.Providers, idp)
		c.Now = func() time.Time { return now }
	})
	c := newClient(t, a)
	u := startFlow(t, c, "stub", "")
	now = now.Add(16 * time.Minute)
	r := c.get(O + "/auth/callback/stub?code=c&state=" + url.QueryEscape(u.Query().Get("state")))
	if r.StatusCode != 302 || !strings.Contains(r.Header.Get("Location"), "error=") || idp.exchange.Code != "" {
		t.Fatalf("stale state: %d %q, exchange %+v", r.StatusCode, r.Header.Get("Location"), idp.exchange)
	}
	if r.setCook["authjs.session-token"] != nil && r.setCook["authjs.session-token"].MaxAge >= 0 {
		t.Fatal("a session was set")
	}
	for _, n := range []string{"authjs.state", "authjs.pkce.code_verifier", "authjs.nonce"} {
		if ck := r.setCook[n]; ck == nil || ck.MaxAge >= 0 {
			t.Errorf("%s not cleared", n)
		}
	}
}

// TestT37T38Middleware: on a protected path every method is refused
// without a session, TRACE-like methods are refused for everyone, and
// headers that other stacks read as routing or identity change nothing.
func TestT37T38Middleware(t *testing.T) {
	a := guarded(t, nil)
	for name, h := range routers(a) {
		anon := newClient(t, h)
		for _, m := range []string{"HEAD", "OPTIONS", "PROPFIND", "get", "FOO", "DELETE"} {
			req := httptest.NewRequest(m, O+"/mypage/a", nil)
			if r := anon.do(req); r.StatusCode < 300 || r.StatusCode >= 500 || strings.Contains(r.body, secretPage) {
				t.Errorf("%s: %s signed out: %d", name, m, r.StatusCode)
			}
		}
		user := newClient(t, h)
		user.signIn(O, "alice", "wonderland")
		for _, m := range []string{"TRACE", "TRACK"} {
			for _, c := range []*client{anon, user} {
				req := httptest.NewRequest(m, O+"/mypage/a", nil)
				if r := c.do(req); r.StatusCode != http.StatusMethodNotAllowed || strings.Contains(r.body, "authjs") {
					t.Errorf("%s: %s: %d %q", name, m, r.StatusCode, r.body)
				}
			}
		}
		for _, hdr := range [][2]string{
			{"X-Middleware-Subrequest", "middleware:middleware:middleware:middleware:middleware"},
			{"X-Original-URL", "/public/x"}, {"X-Rewrite-URL", "/public/x"},
			{"X-Forwarded-User", "alice"}, {"X-Forwarded-Prefix", "/public"}, {"X-Forwarded-Host", "evil.example"},
		} {
			if r := anon.get(O+"/mypage/a", hdr[0], hdr[1]); r.StatusCode != http.StatusFound || strings.Contains(r.body, secretPage) {
				t.Errorf("%s: %s: %d", name, hdr[0], r.StatusCode)
			}
		}
	}
}
