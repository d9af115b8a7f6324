package authgo_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/jwt"
	"github.com/authgo/authgo/provider"
)

const O = "http://localhost:3000"

func checkAttrs(t *testing.T, ck *http.Cookie, secure bool) {
	t.Helper()
	if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Domain != "" || ck.Secure != secure {
		t.Errorf("cookie %s attributes: HttpOnly=%v SameSite=%v Path=%q Domain=%q Secure=%v (want secure=%v)",
			ck.Name, ck.HttpOnly, ck.SameSite, ck.Path, ck.Domain, ck.Secure, secure)
	}
}

func TestCSRFEndpoint(t *testing.T) {
	c := newClient(t, newAuth(t, nil))
	r := c.get(O + "/auth/csrf")
	if r.StatusCode != 200 || r.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d type %q", r.StatusCode, r.Header.Get("Content-Type"))
	}
	for k, v := range map[string]string{"Cache-Control": "private, no-cache, no-store", "Expires": "0", "Pragma": "no-cache"} {
		if got := r.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if !regexp.MustCompile(`^\{"csrfToken":"[0-9a-f]{64}"\}$`).MatchString(r.body) {
		t.Fatalf("body %s", r.body)
	}
	ck := r.setCook["authjs.csrf-token"]
	if ck == nil || !regexp.MustCompile(`^[0-9a-f]{64}%7C[0-9a-f]{64}$`).MatchString(ck.Value) {
		t.Fatalf("csrf cookie %v", ck)
	}
	checkAttrs(t, ck, false)
	if !ck.Expires.IsZero() || ck.MaxAge != 0 {
		t.Error("csrf cookie is not a browser-session cookie")
	}
	if cb := r.setCook["authjs.callback-url"]; cb == nil || cb.Value != "http%3A%2F%2Flocalhost%3A3000" {
		t.Fatalf("callback-url cookie %v", cb)
	}
	// A second call with the cookies keeps the token and sets nothing.
	r2 := c.get(O + "/auth/csrf")
	if r2.body != r.body || len(r2.setCook) != 0 {
		t.Fatalf("second call: %s, %d cookies", r2.body, len(r2.setCook))
	}
}

func TestProvidersEndpoint(t *testing.T) {
	c := newClient(t, newAuth(t, nil))
	r := c.get(O + "/auth/providers")
	want := `{"credentials":{"id":"credentials","name":"Credentials","type":"credentials","signinUrl":"http://localhost:3000/auth/signin/credentials","callbackUrl":"http://localhost:3000/auth/callback/credentials"}}`
	if r.StatusCode != 200 || r.body != want {
		t.Fatalf("%d %s", r.StatusCode, r.body)
	}
	if r.Header.Get("Cache-Control") != "" || len(r.setCook) != 0 {
		t.Errorf("providers: Cache-Control %q, %d cookies; Auth.js sends neither", r.Header.Get("Cache-Control"), len(r.setCook))
	}
}

func TestCredentialsSignInAndSession(t *testing.T) {
	a := newAuth(t, nil)
	c := newClient(t, a)
	r := c.signIn(O, "alice", "wonderland", "callbackUrl", "/dashboard")
	if r.StatusCode != 302 || r.Header.Get("Location") != O+"/dashboard" {
		t.Fatalf("sign-in: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	sc := r.setCook["authjs.session-token"]
	if sc == nil || !strings.HasPrefix(sc.Value, "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2Q0JDLUhTNTEyIiwia2lkIjoi") {
		t.Fatalf("session cookie %v", sc)
	}
	checkAttrs(t, sc, false)
	if d := time.Until(sc.Expires); d < 29*24*time.Hour || d > 30*24*time.Hour+time.Minute {
		t.Errorf("session cookie expires in %v", d)
	}
	if cb := r.setCook["authjs.callback-url"]; cb == nil || cb.Value != url.QueryEscape(O+"/dashboard") {
		t.Errorf("callback-url cookie %v", cb)
	}
	// The cookie decodes to the Auth.js default claims.
	tok, err := jwt.Decode(jwt.DecodeParams{Token: sc.Value, Secrets: []string{testSecret}})
	if err != nil {
		t.Fatal(err)
	}
	if tok.Name != "Alice" || tok.Email != "alice@example.com" || tok.Picture != "https://example.com/alice.png" || tok.Subject != "user-1" {
		t.Fatalf("claims %+v", tok)
	}

	s := c.get(O + "/auth/session")
	if s.StatusCode != 200 || s.Header.Get("Cache-Control") != "private, no-cache, no-store" {
		t.Fatalf("session %d %v", s.StatusCode, s.Header)
	}
	if !regexp.MustCompile(`^\{"user":\{"name":"Alice","email":"alice@example.com","image":"https://example.com/alice.png"\},"expires":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"\}$`).MatchString(s.body) {
		t.Fatalf("session body %s", s.body)
	}
	again := s.setCook["authjs.session-token"]
	if again == nil || again.Value == sc.Value {
		t.Fatal("GET /session did not re-issue the cookie")
	}
	// Server side, the same session.
	req, _ := http.NewRequest("GET", O+"/anything", nil)
	req.Header.Set("Cookie", c.CookieHeader())
	sess, err := a.Session(req)
	if err != nil || sess == nil || sess.User.Email != "alice@example.com" {
		t.Fatalf("Session(r) = %+v, %v", sess, err)
	}
}

func TestReturnRedirectHeader(t *testing.T) {
	c := newClient(t, newAuth(t, nil))
	csrf := c.csrf(O)
	form := url.Values{"csrfToken": {csrf}, "username": {"alice"}, "password": {"wonderland"}, "callbackUrl": {O + "/welcome?x=1"}}
	r := c.postForm(O+"/auth/callback/credentials", form, "X-Auth-Return-Redirect", "1")
	if r.StatusCode != 200 || r.body != `{"url":"http://localhost:3000/welcome?x=1"}` || r.Header.Get("Location") != O+"/welcome?x=1" {
		t.Fatalf("%d %s %q", r.StatusCode, r.body, r.Header.Get("Location"))
	}
	if r.setCook["authjs.session-token"] == nil {
		t.Fatal("no session cookie with X-Auth-Return-Redirect")
	}
	// Errors: 200 {url} and no cookies.
	form.Set("password", "wrong")
	r = c.postForm(O+"/auth/callback/credentials", form, "X-Auth-Return-Redirect", "1")
	if r.StatusCode != 200 || r.body != `{"url":"http://localhost:3000/auth/signin?error=CredentialsSignin\u0026code=credentials"}` || len(r.setCook) != 0 {
		t.Fatalf("error: %d %s %d cookies", r.StatusCode, r.body, len(r.setCook))
	}
}

func TestSignInFailures(t *testing.T) {
	cases := []struct {
		name    string
		form    func(csrf string) url.Values
		wantLoc string
	}{
		{"wrong password", func(c string) url.Values {
			return url.Values{"csrfToken": {c}, "username": {"alice"}, "password": {"nope"}}
		}, O + "/auth/signin?error=CredentialsSignin&code=credentials"},
		{"unknown user", func(c string) url.Values {
			return url.Values{"csrfToken": {c}, "username": {"mallory"}, "password": {"nope"}}
		}, O + "/auth/signin?error=CredentialsSignin&code=credentials"},
		{"custom code", func(c string) url.Values {
			return url.Values{"csrfToken": {c}, "username": {"alice"}, "password": {"otp"}}
		}, O + "/auth/signin?error=CredentialsSignin&code=bad_otp"},
		{"no csrf token", func(c string) url.Values {
			return url.Values{"username": {"alice"}, "password": {"wonderland"}}
		}, O + "/auth/signin?error=MissingCSRF"},
		{"wrong csrf token", func(c string) url.Values {
			return url.Values{"csrfToken": {strings.Repeat("0", 64)}, "username": {"alice"}, "password": {"wonderland"}}
		}, O + "/auth/signin?error=MissingCSRF"},
		{"username twice", func(c string) url.Values {
			return url.Values{"csrfToken": {c}, "username": {"mallory", "alice"}, "password": {"wonderland"}}
		}, O + "/auth/signin?error=CredentialsSignin&code=credentials"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, newAuth(t, nil))
			r := c.postForm(O+"/auth/callback/credentials", tc.form(c.csrf(O)))
			if r.StatusCode != 302 || r.Header.Get("Location") != tc.wantLoc {
				t.Fatalf("%d %q", r.StatusCode, r.Header.Get("Location"))
			}
			// As in Auth.js, the error response sets no cookie, except
			// authgo's own keeping the username for the sign-in page
			// (signinform_test.go).
			for name := range r.setCook {
				if name != "authgo.signin-form" {
					t.Fatalf("error response set cookies: %v", r.setCook)
				}
			}
		})
	}
	t.Run("token only in the query", func(t *testing.T) {
		c := newClient(t, newAuth(t, nil))
		tok := c.csrf(O)
		r := c.postForm(O+"/auth/callback/credentials?csrfToken="+tok, url.Values{"username": {"alice"}, "password": {"wonderland"}})
		if r.Header.Get("Location") != O+"/auth/signin?error=MissingCSRF" {
			t.Fatalf("%q", r.Header.Get("Location"))
		}
	})
	t.Run("forged csrf cookie", func(t *testing.T) {
		c := newClient(t, newAuth(t, nil))
		r := c.postForm(O+"/auth/callback/credentials", url.Values{"csrfToken": {"aaaa"}, "username": {"alice"}, "password": {"wonderland"}},
			"Cookie", "authjs.csrf-token=aaaa%7C61be55a8e2f6b4e172338bddf184d6dbee29c98853e0a0485ecee7f27b9af0b4")
		if r.Header.Get("Location") != O+"/auth/signin?error=MissingCSRF" || r.setCook["authjs.session-token"] != nil {
			t.Fatalf("%q", r.Header.Get("Location"))
		}
	})
	t.Run("GET callback", func(t *testing.T) {
		c := newClient(t, newAuth(t, nil))
		r := c.get(O + "/auth/callback/credentials")
		if r.StatusCode != 302 || r.Header.Get("Location") != O+"/auth/error?error=Configuration" {
			t.Fatalf("%d %q", r.StatusCode, r.Header.Get("Location"))
		}
	})
	t.Run("json body with non-string field", func(t *testing.T) {
		c := newClient(t, newAuth(t, nil))
		r := c.postJSON(O+"/auth/callback/credentials", map[string]any{"csrfToken": c.csrf(O), "username": []string{"a", "b"}, "password": map[string]any{"$ne": nil}})
		if r.Header.Get("Location") != O+"/auth/signin?error=CredentialsSignin&code=credentials" {
			t.Fatalf("%q", r.Header.Get("Location"))
		}
	})
}

func TestCallbackURLRules(t *testing.T) {
	cases := map[string]string{
		"/dashboard":                        O + "/dashboard",
		O + "/x?y=1#z":                      O + "/x?y=1#z",
		"HTTP://LOCALHOST:3000/Upper":       O + "/Upper",
		"http://localhost:3000:80/x":        O,
		"https://evil.example/x":            O,
		"//evil.com":                        O + "//evil.com",
		"/\\evil.com":                       O + "/\\evil.com",
		"https:evil.com":                    O,
		"http:\\\\evil.com":                 O,
		"javascript:alert(1)":               O,
		"%2F%2Fevil.com":                    O,
		"http://localhost:3000@evil.com/":   O,
		"http://evil.com\\@localhost:3000/": O,
		"http://evil.com#@localhost:3000":   O,
		"http://localhost:3000.evil.com/":   O,
		"https://localhost:3000/":           O,
		"foo":                               O,
		"":                                  O,
		"/\t/evil.com":                      O,
		"http://localhost:3000/\r\nSet-Cookie: x=y": O,
		"http://localhost:3000?x":                   O + "/?x",
		"http://localhost:3000":                     O,
		"http://localhost:3000/":                    O + "/",
	}
	for in, want := range cases {
		t.Run(in, func(t *testing.T) {
			if got := authgo.DefaultRedirect(in, O); got != want {
				t.Fatalf("DefaultRedirect(%q) = %q, want %q", in, got, want)
			}
		})
	}
	// Through a real sign-in, in the body.
	for _, in := range []string{"https://evil.example/x", "//evil.com", "javascript:alert(1)"} {
		c := newClient(t, newAuth(t, nil))
		r := c.signIn(O, "alice", "wonderland", "callbackUrl", in)
		loc := r.Header.Get("Location")
		if loc != O && !strings.HasPrefix(loc, O+"/") {
			t.Errorf("callbackUrl %q: Location %q leaves the origin", in, loc)
		}
	}
	// In the query: a non-http URL is refused with 400 (Auth.js: 500).
	c := newClient(t, newAuth(t, nil))
	for _, in := range []string{"javascript:alert(1)", "foo", "%zz", "http://[::1"} {
		r := c.get(O + "/auth/signin?callbackUrl=" + url.QueryEscape(in))
		if r.StatusCode != 400 {
			t.Errorf("query callbackUrl %q: status %d", in, r.StatusCode)
		}
	}
}

func TestSessionEndpointEdgeCases(t *testing.T) {
	t.Run("signed out", func(t *testing.T) {
		c := newClient(t, newAuth(t, nil))
		r := c.get(O + "/auth/session")
		if r.StatusCode != 200 || r.body != "null" || r.setCook["authjs.session-token"] != nil {
			t.Fatalf("%d %s", r.StatusCode, r.body)
		}
	})
	t.Run("tampered", func(t *testing.T) {
		c := newClient(t, newAuth(t, nil))
		c.signIn(O, "alice", "wonderland")
		v := c.Cookie("authjs.session-token")
		c.SetCookie("authjs.session-token", v[:len(v)-3]+"AAA")
		r := c.get(O + "/auth/session")
		del := r.setCook["authjs.session-token"]
		if r.body != "null" || del == nil || del.MaxAge >= 0 {
			t.Fatalf("%s %v", r.body, del)
		}
	})
	t.Run("expired", func(t *testing.T) {
		now := time.Now()
		a := newAuth(t, func(c *authgo.Config) { c.Now = fixedClock(now.Add(-31 * 24 * time.Hour)) })
		c := newClient(t, a)
		c.signIn(O, "alice", "wonderland")
		r := newClient(t, newAuth(t, nil)).get(O+"/auth/session", "Cookie", c.CookieHeader())
		if r.body != "null" {
			t.Fatalf("expired token accepted: %s", r.body)
		}
	})
	t.Run("update", func(t *testing.T) {
		var got authgo.JWTParams
		a := newAuth(t, func(c *authgo.Config) {
			c.Callbacks.JWT = func(ctx context.Context, p authgo.JWTParams) (*authgo.Token, error) {
				if p.Trigger == authgo.TriggerUpdate {
					got = p
					var d struct{ Name string }
					json.Unmarshal(p.Data, &d)
					p.Token.Name = d.Name
				}
				return p.Token, nil
			}
		})
		c := newClient(t, a)
		c.signIn(O, "alice", "wonderland")
		r := c.postJSON(O+"/auth/session", map[string]any{"csrfToken": c.csrf(O), "data": map[string]string{"name": "Alicia"}})
		if r.StatusCode != 200 || !strings.Contains(r.body, `"name":"Alicia"`) || string(got.Data) != `{"name":"Alicia"}` {
			t.Fatalf("%d %s %s", r.StatusCode, r.body, got.Data)
		}
		if r.Header.Get("Cache-Control") != "private, no-cache, no-store" {
			t.Error("update response may be cached")
		}
		if s := c.session(O); s["user"].(map[string]any)["name"] != "Alicia" {
			t.Fatalf("update not kept: %v", s)
		}
		// Without the CSRF token: 400 null, nothing changes.
		r = c.postJSON(O+"/auth/session", map[string]any{"data": map[string]string{"name": "Mallory"}})
		if r.StatusCode != 400 || r.body != "null" || len(r.setCook) != 0 {
			t.Fatalf("%d %s", r.StatusCode, r.body)
		}
	})
	t.Run("default jwt callback ignores update data", func(t *testing.T) {
		c := newClient(t, newAuth(t, nil))
		c.signIn(O, "alice", "wonderland")
		r := c.postJSON(O+"/auth/session", map[string]any{"csrfToken": c.csrf(O), "data": map[string]any{"sub": "bob", "email": "boss@corp.example", "exp": 9999999999}})
		if !strings.Contains(r.body, `"email":"alice@example.com"`) {
			t.Fatalf("update escalated: %s", r.body)
		}
		tok, _ := jwt.Decode(jwt.DecodeParams{Token: c.Cookie("authjs.session-token"), Secrets: []string{testSecret}})
		if tok.Subject != "user-1" || tok.ExpiresAt > time.Now().Add(31*24*time.Hour).Unix() {
			t.Fatalf("claims changed: %+v", tok)
		}
	})
	t.Run("no cookie post", func(t *testing.T) {
		c := newClient(t, newAuth(t, nil))
		r := c.postJSON(O+"/auth/session", map[string]any{"csrfToken": c.csrf(O)})
		if r.StatusCode != 200 || r.body != "null" {
			t.Fatalf("%d %s", r.StatusCode, r.body)
		}
	})
}

func TestChunkedSession(t *testing.T) {
	c := newClient(t, newAuth(t, nil))
	r := c.signIn(O, "big", "big")
	c0, c1 := r.setCook["authjs.session-token.0"], r.setCook["authjs.session-token.1"]
	if c0 == nil || c1 == nil || len(c0.Value) != 3936 || r.setCook["authjs.session-token"] != nil {
		t.Fatalf("not chunked: %v", r.setCook)
	}
	checkAttrs(t, c0, false)
	for n, ck := range r.setCook {
		if len(n)+len(ck.Value) > 4096 {
			t.Errorf("%s is %d bytes", n, len(n)+len(ck.Value))
		}
	}
	s := c.session(O)
	if len(s["user"].(map[string]any)["name"].(string)) != 5000 {
		t.Fatal("chunked session lost the name")
	}
	// Signing in as a small user while holding chunks deletes them.
	r = c.signIn(O, "alice", "wonderland")
	for _, n := range []string{"authjs.session-token.0", "authjs.session-token.1"} {
		if ck := r.setCook[n]; ck == nil || ck.MaxAge >= 0 {
			t.Errorf("%s not deleted: %v", n, ck)
		}
	}
	if r.setCook["authjs.session-token"] == nil {
		t.Fatal("no new cookie")
	}
	// Sign out clears every chunk.
	c2 := newClient(t, newAuth(t, nil))
	c2.signIn(O, "big", "big")
	r = c2.postForm(O+"/auth/signout", url.Values{"csrfToken": {c2.csrf(O)}})
	for _, n := range []string{"authjs.session-token.0", "authjs.session-token.1"} {
		if ck := r.setCook[n]; ck == nil || ck.MaxAge >= 0 {
			t.Errorf("sign-out left %s", n)
		}
	}
	// A stale bare cookie beside chunks: null, and everything deleted.
	c3 := newClient(t, newAuth(t, nil))
	c3.signIn(O, "big", "big")
	c3.SetCookie("authjs.session-token", "stale")
	r = c3.get(O + "/auth/session")
	if r.body != "null" || len(r.setCook) < 3 {
		t.Fatalf("%s %v", r.body, r.setCook)
	}
}

func TestSignOut(t *testing.T) {
	var signedOut *authgo.Token
	a := newAuth(t, func(c *authgo.Config) {
		c.Events.SignOut = func(ctx context.Context, e authgo.SignOutEvent) { signedOut = e.Token }
	})
	c := newClient(t, a)
	c.signIn(O, "alice", "wonderland", "callbackUrl", "/after")

	page := c.get(O + "/auth/signout")
	if page.StatusCode != 200 || !strings.Contains(page.Header.Get("Content-Type"), "text/html") || page.setCook["authjs.session-token"] != nil {
		t.Fatalf("GET signout: %d", page.StatusCode)
	}
	// Without a token nothing happens.
	r := c.postForm(O+"/auth/signout", url.Values{})
	if r.Header.Get("Location") != O+"/auth/signin?error=MissingCSRF" || r.setCook["authjs.session-token"] != nil {
		t.Fatalf("%q", r.Header.Get("Location"))
	}
	if c.session(O) == nil {
		t.Fatal("session lost after refused sign-out")
	}
	// With a token and no callbackUrl: back to the remembered one.
	r = c.postForm(O+"/auth/signout", url.Values{"csrfToken": {c.csrf(O)}})
	if r.StatusCode != 302 || r.Header.Get("Location") != O+"/after" {
		t.Fatalf("%d %q", r.StatusCode, r.Header.Get("Location"))
	}
	if ck := r.setCook["authjs.session-token"]; ck == nil || ck.MaxAge >= 0 {
		t.Fatal("session cookie not deleted")
	}
	if signedOut == nil || signedOut.Subject != "user-1" {
		t.Fatal("signOut event did not get the token")
	}
	if r := c.get(O + "/auth/session"); r.body != "null" {
		t.Fatal("still signed in")
	}
	// Off-origin callbackUrl.
	r = c.postForm(O+"/auth/signout", url.Values{"csrfToken": {c.csrf(O)}, "callbackUrl": {"https://evil.example"}})
	if r.Header.Get("Location") != O {
		t.Fatalf("%q", r.Header.Get("Location"))
	}
}

func TestRouting(t *testing.T) {
	c := newClient(t, newAuth(t, nil))
	for _, tc := range []struct {
		method, path string
		status       int
		loc          string
	}{
		{"PUT", "/auth/session", 400, ""},
		{"HEAD", "/auth/session", 400, ""},
		{"OPTIONS", "/auth/session", 400, ""},
		{"DELETE", "/auth/session", 400, ""},
		{"GET", "/auth/nope", 400, ""},
		{"GET", "/auth", 400, ""},
		{"GET", "/auth/", 400, ""},
		{"GET", "/AUTH/session", 400, ""},
		{"GET", "/api/auth/session", 400, ""},
		{"GET", "/auth/session/x", 400, ""},
		{"GET", "/auth/signin/a/b", 400, ""},
		{"GET", "/auth/session/", 200, ""},
		{"GET", "/auth//session", 200, ""},
		{"POST", "/auth/csrf", 302, O + "/auth/error?error=Configuration"},
		{"GET", "/auth/signin/credentials", 302, O + "/auth/error?error=Configuration"},
		{"GET", "/auth/callback/nope", 302, O + "/auth/error?error=Configuration"},
	} {
		req, _ := http.NewRequest(tc.method, O+tc.path, nil)
		r := c.do(req)
		if r.StatusCode != tc.status || r.Header.Get("Location") != tc.loc {
			t.Errorf("%s %s: %d %q", tc.method, tc.path, r.StatusCode, r.Header.Get("Location"))
		}
		if r.StatusCode == 400 && r.body != `"Bad request."` {
			t.Errorf("%s %s: body %q", tc.method, tc.path, r.body)
		}
	}
}

func TestErrorAndSignInPages(t *testing.T) {
	c := newClient(t, newAuth(t, nil))
	for code, status := range map[string]int{"Configuration": 500, "AccessDenied": 403, "Verification": 403, "": 200, "<script>": 200} {
		r := c.get(O + "/auth/error?error=" + url.QueryEscape(code))
		if r.StatusCode != status || strings.Contains(r.body, "<script>") {
			t.Errorf("error=%q: %d", code, r.StatusCode)
		}
		if r.Header.Get("Content-Security-Policy") == "" {
			t.Errorf("error page without CSP")
		}
	}
	r := c.get(O + "/auth/signin?callbackUrl=%2Fdash&error=CredentialsSignin")
	if r.StatusCode != 200 || !strings.Contains(r.body, `action="http://localhost:3000/auth/callback/credentials"`) || !strings.Contains(r.body, c.csrf(O)) {
		t.Fatalf("sign-in page: %d", r.StatusCode)
	}
	// Custom pages.
	c2 := newClient(t, newAuth(t, func(c *authgo.Config) {
		c.Pages = authgo.Pages{SignIn: "/login", Error: "/oops", SignOut: "/bye"}
	}))
	if r := c2.get(O + "/auth/signin?callbackUrl=%2Fx"); r.Header.Get("Location") != "/login?callbackUrl="+url.QueryEscape(O+"/x") {
		t.Errorf("pages.signIn: %q", r.Header.Get("Location"))
	}
	if r := c2.get(O + "/auth/error?error=AccessDenied"); r.Header.Get("Location") != "/oops?error=AccessDenied" {
		t.Errorf("pages.error: %q", r.Header.Get("Location"))
	}
	if r := c2.signIn(O, "alice", "wrong"); r.Header.Get("Location") != O+"/login?error=CredentialsSignin&code=credentials" {
		t.Errorf("error to custom sign-in: %q", r.Header.Get("Location"))
	}
}

func TestHTTPSCookies(t *testing.T) {
	const S = "https://app.example.com"
	c := newClient(t, newAuth(t, func(c *authgo.Config) { c.URL = S }))
	r := c.get(S + "/auth/csrf")
	if ck := r.setCook["__Host-authjs.csrf-token"]; ck == nil {
		t.Fatalf("no __Host- csrf cookie: %v", r.setCook)
	} else {
		checkAttrs(t, ck, true)
	}
	if ck := r.setCook["__Secure-authjs.callback-url"]; ck == nil || ck.Value != url.QueryEscape(S) {
		t.Fatalf("callback cookie %v", ck)
	}
	r = c.signIn(S, "alice", "wonderland")
	sc := r.setCook["__Secure-authjs.session-token"]
	if sc == nil {
		t.Fatalf("no secure session cookie: %v", r.setCook)
	}
	checkAttrs(t, sc, true)
	if _, err := jwt.Decode(jwt.DecodeParams{Token: sc.Value, Secrets: []string{testSecret}, Salt: jwt.SecureCookieName}); err != nil {
		t.Fatalf("salt is not the secure name: %v", err)
	}
	// The http cookie name is not read over https.
	tok, _ := jwt.Encode(jwt.EncodeParams{Token: &jwt.Token{Subject: "u"}, Secrets: []string{testSecret}})
	if r := newClient(t, newAuth(t, func(c *authgo.Config) { c.URL = S })).get(S+"/auth/session", "Cookie", "authjs.session-token="+tok); r.body != "null" {
		t.Fatal("http cookie accepted over https")
	}
}

func TestTrustHost(t *testing.T) {
	a := newAuth(t, func(c *authgo.Config) { c.URL = ""; c.TrustHost = true; c.TrustedProxies = testProxies })
	c := newClient(t, a)
	r := c.get("http://internal:3000/auth/providers", "X-Forwarded-Host", "app.example.com", "X-Forwarded-Proto", "https")
	if !strings.Contains(r.body, `"signinUrl":"https://app.example.com/auth/signin/credentials"`) {
		t.Fatalf("%s", r.body)
	}
	r = newClient(t, a).get("http://internal:3000/auth/csrf", "X-Forwarded-Host", "app.example.com", "X-Forwarded-Proto", "https")
	if r.setCook["__Host-authjs.csrf-token"] == nil {
		t.Fatal("forwarded https did not switch cookie names")
	}
	for _, bad := range []string{"evil.example/x", "a@b", "x y", "[::1", ":80"} {
		if r := c.get("http://internal:3000/auth/csrf", "X-Forwarded-Host", bad); r.StatusCode != 400 {
			t.Errorf("X-Forwarded-Host %q: %d", bad, r.StatusCode)
		}
	}
	if r := c.get("http://internal:3000/auth/csrf", "X-Forwarded-Proto", "gopher"); r.StatusCode != 400 {
		t.Errorf("bad proto: %d", r.StatusCode)
	}
	// With a fixed URL the headers are ignored.
	c2 := newClient(t, newAuth(t, nil))
	r = c2.get(O+"/auth/providers", "X-Forwarded-Host", "evil.example", "X-Forwarded-Proto", "https")
	if strings.Contains(r.body, "evil") {
		t.Fatalf("forwarded headers trusted without TrustHost: %s", r.body)
	}
}

func TestCallbacksAndEvents(t *testing.T) {
	t.Run("signIn denies", func(t *testing.T) {
		c := newClient(t, newAuth(t, func(c *authgo.Config) {
			c.Callbacks.SignIn = func(ctx context.Context, p authgo.SignInParams) error {
				if p.User.ID == "user-2" {
					return authgo.ErrAccessDenied
				}
				return nil
			}
		}))
		r := c.signIn(O, "bob", "builder")
		if r.Header.Get("Location") != O+"/auth/error?error=AccessDenied" || len(r.setCook) != 0 {
			t.Fatalf("%q", r.Header.Get("Location"))
		}
		if r := c.signIn(O, "alice", "wonderland"); r.setCook["authjs.session-token"] == nil {
			t.Fatal("alice refused")
		}
	})
	t.Run("signIn redirects", func(t *testing.T) {
		c := newClient(t, newAuth(t, func(c *authgo.Config) {
			c.Callbacks.SignIn = func(ctx context.Context, p authgo.SignInParams) error {
				return &authgo.SignInRedirect{URL: "/verify"}
			}
		}))
		r := c.signIn(O, "alice", "wonderland")
		if r.Header.Get("Location") != O+"/verify" || r.setCook["authjs.session-token"] != nil {
			t.Fatalf("%q", r.Header.Get("Location"))
		}
	})
	t.Run("jwt returns nil at sign-in", func(t *testing.T) {
		c := newClient(t, newAuth(t, func(c *authgo.Config) {
			c.Callbacks.JWT = func(ctx context.Context, p authgo.JWTParams) (*authgo.Token, error) { return nil, nil }
		}))
		r := c.signIn(O, "alice", "wonderland", "callbackUrl", "/x")
		if r.Header.Get("Location") != O+"/x" || r.setCook["authjs.session-token"] != nil {
			t.Fatalf("%q %v", r.Header.Get("Location"), r.setCook)
		}
	})
	t.Run("authorize error is a configuration error", func(t *testing.T) {
		p, _ := credentialsWith(func() (*authgo.User, error) { return nil, errors.New("backend down") })
		c := newClient(t, newAuth(t, func(c *authgo.Config) { c.Providers = []provider.Provider{p} }))
		r := c.signIn(O, "alice", "wonderland")
		if r.Header.Get("Location") != O+"/auth/error?error=Configuration" {
			t.Fatalf("%q", r.Header.Get("Location"))
		}
	})
	t.Run("events and session callback", func(t *testing.T) {
		var in *authgo.SignInEvent
		var sessions int
		c := newClient(t, newAuth(t, func(c *authgo.Config) {
			c.Events.SignIn = func(ctx context.Context, e authgo.SignInEvent) { in = &e }
			c.Events.Session = func(ctx context.Context, e authgo.SessionEvent) { sessions++ }
			c.Callbacks.Session = func(ctx context.Context, p authgo.SessionParams) (*authgo.Session, error) {
				p.Session.User.ID = p.Token.Subject
				p.Session.Extra = map[string]any{"role": "reader"}
				return p.Session, nil
			}
		}))
		c.signIn(O, "alice", "wonderland")
		if in == nil || in.User.ID != "user-1" || in.Account.Provider != "credentials" || in.Account.Type != "credentials" {
			t.Fatalf("signIn event %+v", in)
		}
		r := c.get(O + "/auth/session")
		if !strings.HasPrefix(r.body, `{"user":{"id":"user-1","name":"Alice"`) || !strings.HasSuffix(r.body, `,"role":"reader"}`) || sessions != 1 {
			t.Fatalf("%s (%d session events)", r.body, sessions)
		}
	})
}

func TestBadBodies(t *testing.T) {
	c := newClient(t, newAuth(t, nil))
	tok := c.csrf(O)
	big := strings.NewReader("csrfToken=" + tok + "&password=" + strings.Repeat("x", 1<<20))
	req, _ := http.NewRequest("POST", O+"/auth/callback/credentials", big)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if r := c.do(req); r.StatusCode != 413 {
		t.Errorf("1 MB body: %d", r.StatusCode)
	}
	for _, b := range []string{`{"csrfToken":`, `[1,2]`, strings.Repeat("[", 20000)} {
		req, _ := http.NewRequest("POST", O+"/auth/callback/credentials", strings.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		if r := c.do(req); r.StatusCode != 400 {
			t.Errorf("body %.20q: %d", b, r.StatusCode)
		}
	}
	// Cross-site form post refused by the second layer.
	req, _ = http.NewRequest("POST", O+"/auth/signout", strings.NewReader("csrfToken="+tok))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Origin", "https://evil.example")
	if r := c.do(req); r.StatusCode != 403 {
		t.Errorf("cross-site post: %d", r.StatusCode)
	}
}

func TestKeyRotation(t *testing.T) {
	old := "old-secret-0123456789abcdef0123456789abcdef"
	c := newClient(t, newAuth(t, func(c *authgo.Config) { c.Secret = []string{old} }))
	c.signIn(O, "alice", "wonderland")
	tokOld := c.Cookie("authjs.session-token")

	rotated := newAuth(t, func(c *authgo.Config) { c.Secret = []string{testSecret, old} })
	r := newClient(t, rotated).get(O+"/auth/session", "Cookie", "authjs.session-token="+tokOld)
	if !strings.Contains(r.body, "alice@example.com") {
		t.Fatalf("old-secret token refused: %s", r.body)
	}
	reissued := r.setCook["authjs.session-token"].Value
	if _, err := jwt.Decode(jwt.DecodeParams{Token: reissued, Secrets: []string{testSecret}}); err != nil {
		t.Fatalf("re-issued token not under the new secret: %v", err)
	}
	dropped := newAuth(t, nil)
	if r := newClient(t, dropped).get(O+"/auth/session", "Cookie", "authjs.session-token="+tokOld); r.body != "null" {
		t.Fatal("token accepted after its secret was removed")
	}
}

func TestRequireSession(t *testing.T) {
	a := newAuth(t, nil)
	var seen *authgo.Session
	h := a.RequireSession(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = a.SessionFromContext(r.Context())
		s, _ := a.Session(r)
		if s != seen {
			t.Error("Session(r) decoded again behind the middleware")
		}
		w.Write([]byte("secret page"))
	}))
	mux := http.NewServeMux()
	mux.Handle("/auth/", a)
	mux.Handle("/private/", h)
	c := newClient(t, mux)

	r := c.get(O + "/private/page?x=1")
	if r.StatusCode != 302 || r.Header.Get("Location") != O+"/auth/signin?callbackUrl="+url.QueryEscape(O+"/private/page?x=1") {
		t.Fatalf("%d %q", r.StatusCode, r.Header.Get("Location"))
	}
	if r := c.get(O+"/private/page", "Accept", "application/json"); r.StatusCode != 401 || !strings.Contains(r.body, "unauthenticated") {
		t.Fatalf("json: %d %s", r.StatusCode, r.body)
	}
	req, _ := http.NewRequest("POST", O+"/private/page", nil)
	if r := c.do(req); r.StatusCode != 303 {
		t.Fatalf("post: %d", r.StatusCode)
	}
	c.signIn(O, "alice", "wonderland")
	r = c.get(O + "/private/page")
	if r.StatusCode != 200 || r.body != "secret page" || seen == nil || seen.User.Name != "Alice" {
		t.Fatalf("%d %s", r.StatusCode, r.body)
	}
}

func credentialsWith(f func() (*authgo.User, error)) (provider.Provider, error) {
	return credentialsProvider(func(context.Context, provider.Credentials, *http.Request) (*authgo.User, error) { return f() })
}

func TestCSRFTokenAccessor(t *testing.T) {
	a := newAuth(t, nil)
	c := newClient(t, a)
	rec := httptest.NewRecorder()
	tok, err := a.CSRFToken(rec, httptest.NewRequest("GET", O+"/page", nil))
	if err != nil || len(tok) != 64 {
		t.Fatalf("%q %v", tok, err)
	}
	ck := rec.Result().Cookies()
	if len(ck) != 1 || ck[0].Name != "authjs.csrf-token" {
		t.Fatalf("cookies %v", ck)
	}
	// The minted pair is accepted by the endpoints.
	c.SetCookie(ck[0].Name, ck[0].Value)
	c.signIn(O, "alice", "wonderland")
	r := c.postForm(O+"/auth/signout", url.Values{"csrfToken": {tok}})
	if r.StatusCode != 302 || r.Header.Get("Location") != O {
		t.Fatalf("%d %q", r.StatusCode, r.Header.Get("Location"))
	}
	// With a valid cookie it returns the same token and sets nothing.
	req := httptest.NewRequest("GET", O+"/page", nil)
	req.Header.Set("Cookie", "authjs.csrf-token="+ck[0].Value)
	rec = httptest.NewRecorder()
	if again, _ := a.CSRFToken(rec, req); again != tok || len(rec.Result().Cookies()) != 0 {
		t.Fatalf("%q, %d cookies", again, len(rec.Result().Cookies()))
	}
}

func TestClientJSServed(t *testing.T) {
	for _, base := range []string{"/auth", "/api/auth"} {
		a := newAuth(t, func(c *authgo.Config) { c.BasePath = base })
		r := newClient(t, a).get(O + base + "/client.js")
		if r.StatusCode != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/javascript") || !strings.Contains(r.body, "export function createAuthClient") {
			t.Fatalf("%s: %d %q", base, r.StatusCode, r.Header.Get("Content-Type"))
		}
	}
}

// TestEndpointsNoCORS: the endpoints that reveal the CSRF token or the session
// never approve another origin, "null" included, nor a preflight.
func TestEndpointsNoCORS(t *testing.T) {
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

// TestHostileCookieNames: names that merely start like the session cookie
// and are no cookie tokens were not written by us; they neither poison the
// session nor turn a request into a 5xx.
func TestHostileCookieNames(t *testing.T) {
	for _, name := range []string{"authjs.session-token@", "authjs.session-token ", "authjs.session-token/", "authjs.session-token(", "authjs.session-tokenü"} {
		c := newClient(t, newAuth(t, nil))
		c.signIn(O, "alice", "wonderland")
		hdr := c.CookieHeader() + "; " + name + "=x"
		for _, r := range []*result{
			c.get(O+"/auth/session", "Cookie", hdr),
			c.postForm(O+"/auth/signout", url.Values{"csrfToken": {c.csrf(O)}}, "Cookie", hdr),
		} {
			if r.StatusCode >= 500 {
				t.Fatalf("%q: %d %s", name, r.StatusCode, r.body)
			}
		}
	}
}

func TestSessionWriteFailures(t *testing.T) {
	t.Run("claim that is not JSON", func(t *testing.T) {
		c := newClient(t, newAuth(t, func(c *authgo.Config) {
			c.Callbacks.JWT = func(ctx context.Context, p authgo.JWTParams) (*authgo.Token, error) {
				if p.Trigger == "" {
					p.Token.Set("x", math.Inf(1))
				}
				return p.Token, nil
			}
		}))
		c.signIn(O, "alice", "wonderland")
		r := c.get(O + "/auth/session")
		if r.StatusCode != 200 || r.body != "null" || r.setCook["authjs.session-token"] == nil || r.setCook["authjs.session-token"].MaxAge >= 0 {
			t.Fatalf("%d %s %v", r.StatusCode, r.body, r.setCook)
		}
	})
	t.Run("token too large to read back", func(t *testing.T) {
		c := newClient(t, newAuth(t, func(c *authgo.Config) {
			c.Callbacks.JWT = func(ctx context.Context, p authgo.JWTParams) (*authgo.Token, error) {
				p.Token.Set("groups", strings.Repeat("g", 40<<10))
				return p.Token, nil
			}
		}))
		r := c.signIn(O, "alice", "wonderland")
		if r.Header.Get("Location") != O+"/auth/error?error=Configuration" || len(r.setCook) != 0 {
			t.Fatalf("%q, %d cookies", r.Header.Get("Location"), len(r.setCook))
		}
	})
}

func TestCrossOriginBehindProxy(t *testing.T) {
	a := newAuth(t, func(c *authgo.Config) { c.URL = ""; c.TrustHost = true; c.TrustedProxies = testProxies })
	c := newClient(t, a)
	tok := c.csrf("http://internal:3000")
	post := func(origin, site string) int {
		req, _ := http.NewRequest("POST", "http://internal:3000/auth/signout", strings.NewReader("csrfToken="+tok))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-Host", "app.example.com")
		req.Header.Set("X-Forwarded-Proto", "https")
		req.RemoteAddr = "192.0.2.1:1234" // a trusted proxy
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		if site != "" {
			req.Header.Set("Sec-Fetch-Site", site)
		}
		return c.do(req).StatusCode
	}
	for _, tc := range []struct {
		origin, site string
		refused      bool
	}{
		{"https://app.example.com", "", false}, // Host was rewritten by the proxy; the public origin matches
		{"https://evil.example", "", true},
		{"null", "", true},
		{"https://app.example.com.evil.example", "", true},
		{"", "cross-site", true},
		{"", "same-site", true},
		{"", "same-origin", false},
		{"", "", false},
	} {
		if got := post(tc.origin, tc.site) == 403; got != tc.refused {
			t.Errorf("Origin %q Sec-Fetch-Site %q: refused=%v", tc.origin, tc.site, got)
		}
	}
}

func TestForwardedHeadersRightmost(t *testing.T) {
	a := newAuth(t, func(c *authgo.Config) { c.URL = ""; c.TrustHost = true; c.TrustedProxies = testProxies })
	r := newClient(t, a).get("http://internal/auth/providers", "X-Forwarded-Host", "evil.example, app.example.com", "X-Forwarded-Proto", "http, https")
	if !strings.Contains(r.body, `"https://app.example.com/auth/signin/credentials"`) {
		t.Fatalf("%s", r.body)
	}
	// A proxy that appends a line rather than a value: its line counts,
	// not the client's first one.
	req := httptest.NewRequest("GET", "http://internal/auth/providers", nil)
	req.Header.Add("X-Forwarded-Host", "evil.example")
	req.Header.Add("X-Forwarded-Host", "app.example.com")
	req.Header.Add("X-Forwarded-Proto", "http")
	req.Header.Add("X-Forwarded-Proto", "https")
	if r := newClient(t, a).do(req); !strings.Contains(r.body, `"https://app.example.com/auth/signin/credentials"`) {
		t.Fatalf("two header lines: %s", r.body)
	}
}

func TestRememberedCallbackRefused(t *testing.T) {
	a := newAuth(t, func(c *authgo.Config) {
		c.Callbacks.Redirect = func(ctx context.Context, u, base string) (string, error) {
			if strings.Contains(u, "old") {
				return "", context.Canceled
			}
			return authgo.DefaultRedirect(u, base), nil
		}
	})
	r := newClient(t, a).get(O+"/auth/error", "Cookie", "authjs.callback-url=%2Fold")
	if r.StatusCode != 200 || r.setCook["authjs.callback-url"] == nil || r.setCook["authjs.callback-url"].Value != url.QueryEscape(O) {
		t.Fatalf("%d %v", r.StatusCode, r.setCook)
	}
}

func TestPagesNotCached(t *testing.T) {
	c := newClient(t, newAuth(t, nil))
	c.csrf(O) // cookies in place, so the pages set none
	for _, p := range []string{"/auth/signin", "/auth/signout", "/auth/error", "/auth/verify-request"} {
		r := c.get(O + p)
		if !strings.Contains(r.Header.Get("Cache-Control"), "no-store") {
			t.Errorf("%s: Cache-Control %q", p, r.Header.Get("Cache-Control"))
		}
	}
}

// FuzzHandler sends arbitrary requests: no panic, no 5xx except the error
// page asked for Configuration, and every Location stays on the origin.
func FuzzHandler(f *testing.F) {
	f.Add("GET", "/auth/session", "authjs.session-token=x", "", "")
	f.Add("POST", "/auth/callback/credentials", "authjs.csrf-token=a%7Cb; authjs.session-token.0=x", "csrfToken=a&username=alice&callbackUrl=//evil", "application/x-www-form-urlencoded")
	f.Add("POST", "/auth/session", "authjs.session-token@=1", `{"csrfToken":"x","data":{"a":1}}`, "application/json")
	f.Add("GET", "/auth/signin?callbackUrl=%2F%2Fevil&error=<x>", "authjs.callback-url=javascript:x", "", "")
	a := newAuth(f, nil)
	f.Fuzz(func(t *testing.T, method, target, cookie, body, ctype string) {
		if !strings.HasPrefix(target, "/") || strings.ContainsAny(target, " \r\n\t#") {
			return
		}
		req, err := http.NewRequest(method, O+target, strings.NewReader(body))
		if err != nil {
			return
		}
		req.Header.Set("Cookie", cookie)
		req.Header.Set("Content-Type", ctype)
		r := newClient(t, a).do(req)
		if r.StatusCode >= 500 && !strings.Contains(target, "error") {
			t.Fatalf("%s %s: %d %s", method, target, r.StatusCode, r.body)
		}
		if loc := r.Header.Get("Location"); loc != "" && loc != O && !strings.HasPrefix(loc, O+"/") {
			t.Fatalf("Location %q leaves the origin", loc)
		}
	})
}

// testProxies trust httptest.NewRequest's peer (192.0.2.1).
var testProxies = []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}

func TestTrustHostNeedsTrustedProxies(t *testing.T) {
	_, err := authgo.New(authgo.Config{Secret: []string{testSecret}, TrustHost: true})
	if err == nil || !strings.Contains(err.Error(), "TrustedProxies") || !strings.Contains(err.Error(), "0.0.0.0/0") || !strings.Contains(err.Error(), "::/0") {
		t.Fatalf("New with TrustHost alone: %v", err)
	}
	// From a peer that is not a trusted proxy the forwarding headers are
	// ignored.
	a := newAuth(t, func(c *authgo.Config) {
		c.URL, c.TrustHost = "", true
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	})
	r := newClient(t, a).get("http://internal:3000/auth/providers", "X-Forwarded-Host", "evil.example", "X-Forwarded-Proto", "https")
	if strings.Contains(r.body, "evil.example") || !strings.Contains(r.body, `"http://internal:3000/auth/signin/credentials"`) {
		t.Fatalf("untrusted peer's forwarding headers believed: %s", r.body)
	}
}
