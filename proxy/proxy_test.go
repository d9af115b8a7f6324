package proxy_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/proxy"
)

func TestMethodsBodiesQuery(t *testing.T) {
	s := newSite(t, siteOptions{})
	for _, m := range []string{"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"} {
		t.Run(m, func(t *testing.T) {
			body := ""
			if m != "GET" && m != "HEAD" {
				body = `{"item":"` + m + `"}`
			}
			r := s.req(m, "/api/items/7?a=1&b=two%20words&a=3", strings.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			rec := s.serve(r)
			if rec.Code != 200 {
				t.Fatalf("%d %s", rec.Code, rec.Body)
			}
			got := s.up.last(t)
			if got.Method != m || got.URI != "/v1/items/7?a=1&b=two%20words&a=3" || got.Body != body || got.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("upstream saw %+v", got)
			}
			if m != "HEAD" && rec.Body.String() != body {
				t.Fatalf("response body %q", rec.Body)
			}
		})
	}
}

// TestUpstreamPath: the upstream's path replaces the prefix; without one
// the request path is kept; escapes pass as sent.
func TestUpstreamPath(t *testing.T) {
	for _, tc := range []struct{ upstream, target, want string }{
		{"/v1", "/api/x", "/v1/x"},
		{"/v1", "/api", "/v1"},
		{"/v1", "/api/", "/v1/"},
		{"/v1/", "/api/x/y/", "/v1/x/y/"},
		{"/v1/base", "/api/x?q=1", "/v1/base/x?q=1"},
		{"none", "/api/x", "/api/x"},
		{"none", "/api", "/api"},
		{"/", "/api/x", "/x"},
		{"/", "/api", "/"},
		{"/v1", "/api/%41b%20c/%3F%23", "/v1/%41b%20c/%3F%23"},
		{"/v1", "/api/caf%C3%A9/…", "/v1/caf%C3%A9/%E2%80%A6"},
		{"/v1", "/api/@evil.example", "/v1/@evil.example"},
		{"/v1", "/api/x?url=https://evil.example/", "/v1/x?url=https://evil.example/"},
		{"/v1", "/api/.../x", "/v1/.../x"},
	} {
		t.Run(tc.upstream+tc.target, func(t *testing.T) {
			s := newSite(t, siteOptions{upstreamPath: tc.upstream})
			rec := s.serve(s.req("GET", tc.target, nil))
			if got := s.up.last(t); rec.Code != 200 || got.URI != tc.want || got.Host != strings.TrimPrefix(s.up.URL, "http://") {
				t.Fatalf("%d: upstream saw %s on %s, want %s", rec.Code, got.URI, got.Host, tc.want)
			}
		})
	}
}

func TestCSRF(t *testing.T) {
	s := newSite(t, siteOptions{})
	s.clk.Add(10 * time.Minute) // an expired token: a refresh would show
	for name, mod := range map[string]func(*http.Request){
		"missing":     func(r *http.Request) { r.Header.Del("X-CSRF") },
		"zero":        func(r *http.Request) { r.Header.Set("X-CSRF", "0") },
		"empty":       func(r *http.Request) { r.Header.Set("X-CSRF", "") },
		"padded":      func(r *http.Request) { r.Header.Set("X-CSRF", " 1") },
		"twice":       func(r *http.Request) { r.Header.Add("X-CSRF", "1") },
		"underscore":  func(r *http.Request) { r.Header.Del("X-CSRF"); r.Header["X_CSRF"] = []string{"1"} },
		"other name":  func(r *http.Request) { r.Header.Del("X-CSRF"); r.Header.Set("X-CSRF-Token", "1") },
		"origin only": func(r *http.Request) { r.Header.Del("X-CSRF"); r.Header.Set("Origin", O) },
	} {
		for _, m := range []string{"GET", "POST", "DELETE"} {
			t.Run(name+" "+m, func(t *testing.T) {
				r := s.req(m, "/api/x", strings.NewReader("body"))
				mod(r)
				rec := s.serve(r)
				wantError(t, rec, 403, "csrf")
				if rec.Header().Get("Set-Cookie") != "" {
					t.Fatalf("cookie set: %v", rec.Header())
				}
			})
		}
	}
	if s.up.hits() != 0 || s.b.Refreshes.Load() != 0 {
		t.Fatalf("upstream hits %d, refreshes %d", s.up.hits(), s.b.Refreshes.Load())
	}
	// Checked before the session: signed out, still 403.
	r := s.req("POST", "/api/x", nil)
	r.Header.Del("Cookie")
	r.Header.Del("X-CSRF")
	wantError(t, s.serve(r), 403, "csrf")
}

func TestCSRFExemptions(t *testing.T) {
	t.Run("safe methods", func(t *testing.T) {
		s := newSite(t, siteOptions{proxy: func(o *proxy.Options) { o.SafeMethodsWithoutCSRF = true }})
		for _, m := range []string{"GET", "HEAD"} {
			r := s.req(m, "/api/files/report.pdf", nil)
			r.Header.Del("X-CSRF")
			if rec := s.serve(r); rec.Code != 200 {
				t.Fatalf("%s: %d", m, rec.Code)
			}
		}
		for _, m := range []string{"POST", "PUT", "DELETE", "PATCH", "OPTIONS"} {
			r := s.req(m, "/api/files/report.pdf", nil)
			r.Header.Del("X-CSRF")
			wantError(t, s.serve(r), 403, "csrf")
		}
		// Still needs a session.
		r := httptest.NewRequest("GET", "/api/files/report.pdf", nil)
		wantError(t, s.serve(r), 401, "no_session")
	})
	t.Run("per route", func(t *testing.T) {
		var asked []string
		s := newSite(t, siteOptions{proxy: func(o *proxy.Options) {
			o.SkipCSRF = func(r *http.Request) bool {
				asked = append(asked, r.Method)
				return strings.HasPrefix(r.URL.Path, "/api/downloads/")
			}
		}})
		for _, tc := range []struct {
			method, path string
			want         int
		}{
			{"GET", "/api/downloads/a.zip", 200},
			{"HEAD", "/api/downloads/a.zip", 200},
			{"GET", "/api/orders", 403},
			{"POST", "/api/downloads/a.zip", 403},
			{"DELETE", "/api/downloads/a.zip", 403},
		} {
			r := s.req(tc.method, tc.path, nil)
			r.Header.Del("X-CSRF")
			if rec := s.serve(r); rec.Code != tc.want {
				t.Fatalf("%s %s: %d, want %d", tc.method, tc.path, rec.Code, tc.want)
			}
		}
		if strings.Join(asked, ",") != "GET,HEAD,GET" {
			t.Fatalf("SkipCSRF asked for %v", asked)
		}
	})
}

func TestNoSession(t *testing.T) {
	s := newSite(t, siteOptions{})
	for name, cookie := range map[string]string{
		"none":         "",
		"garbage":      "authjs.session-token=garbage",
		"other secret": "authjs.session-token=eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2Q0JDLUhTNTEyIn0..x.y.z",
		"unrelated":    "x=1",
	} {
		t.Run(name, func(t *testing.T) {
			r := s.req("GET", "/api/x", nil)
			r.Header.Set("Cookie", cookie)
			r.Header.Set("Accept", "text/html") // no redirect to the sign-in page either
			rec := s.serve(r)
			wantError(t, rec, 401, "no_session")
			for _, c := range rec.Result().Cookies() {
				if c.Value != "" && c.MaxAge >= 0 {
					t.Fatalf("cookie set: %v", c)
				}
			}
		})
	}
	if s.up.hits() != 0 {
		t.Fatalf("upstream hit %d times", s.up.hits())
	}
}

// TestRequestHeaders: attacks.md T48, T51, and P4/P5 of tokens-bff.md.
func TestRequestHeaders(t *testing.T) {
	s := newSite(t, siteOptions{})
	r := s.req("POST", "/api/x", strings.NewReader("hi"))
	r.Header["Authorization"] = []string{"Bearer attacker", "Basic YWRtaW46YWRtaW4="}
	r.Header.Set("Cookie", s.cookie+"; x=1; __Host-authjs.csrf-token=abc")
	r.Header.Add("Cookie", "y=2")
	r.Header.Add("X-CSRF", "") // replaced below: exactly one
	r.Header.Set("X-CSRF", "1")
	r.Header.Set("Connection", "Authorization, X-Forwarded-For, X-Keep")
	identity := []string{
		"X-Forwarded-User", "x-forwarded-user", "X_Forwarded_User", "x_forwarded_user", "X-FORWARDED-USER",
		"X-Forwarded-Email", "X-Forwarded-Groups", "X-Forwarded-Access-Token", "X-Forwarded-Preferred-Username",
		"X-Auth-Request-User", "X-Auth-Request-Email", "X_Auth_Request_Access_Token", "X-Auth-Request-Groups",
		"X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Forwarded-Port", "X-Forwarded-Prefix",
		"Forwarded", "X-Real-IP", "X_Real_Ip", "X-Original-URL", "X-Rewrite-URL", "X-Middleware-Subrequest",
		"X-Auth-Checked", "X-HTTP-Method-Override", "Proxy-Authorization", "DPoP", "Remote-User", "X-Remote-User",
		"X-Amzn-Oidc-Identity", "X-Ms-Client-Principal-Name",
		"Remote-Email", "Remote-Groups", "Remote-Name", "X-Webauth-User", "X-Auth-User", "X-Auth-Email",
		"X-Authentik-Username", "X-Pomerium-Jwt-Assertion", "Cf-Access-Authenticated-User-Email", "X-Vouch-User",
	}
	for _, h := range identity {
		r.Header[h] = []string{"admin"}
	}
	r.Header.Set("X-Request-Id", "abc")
	r.Header.Set("Accept", "application/json")
	rec := s.serve(r)
	if rec.Code != 200 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	got := s.up.last(t).Header
	if a := got["Authorization"]; len(a) != 1 || a[0] != "Bearer "+tokenOf(t, s.cookie) {
		t.Fatalf("Authorization %q", a)
	}
	if _, ok := got["Cookie"]; ok {
		t.Fatalf("Cookie forwarded: %q", got["Cookie"])
	}
	norm := func(k string) string { return strings.ReplaceAll(strings.ToLower(k), "_", "-") }
	for k, v := range got {
		for _, bad := range identity {
			if norm(k) == norm(bad) && !(k == "X-Forwarded-For" || k == "X-Forwarded-Host" || k == "X-Forwarded-Proto") {
				t.Errorf("%s: %q reached the upstream", k, v)
			}
		}
		if norm(k) == "x-csrf" {
			t.Errorf("X-CSRF reached the upstream")
		}
		for _, val := range v {
			if strings.Contains(val, "admin") || strings.Contains(val, "attacker") {
				t.Errorf("%s: %q reached the upstream", k, val)
			}
		}
	}
	if got.Get("X-Forwarded-For") != "203.0.113.7" || got.Get("X-Forwarded-Host") != "localhost:3000" || got.Get("X-Forwarded-Proto") != "http" {
		t.Errorf("forwarding headers %v", got)
	}
	if got.Get("X-Request-Id") != "abc" || got.Get("Accept") != "application/json" {
		t.Errorf("ordinary headers lost: %v", got)
	}
	if _, ok := got["X-Keep"]; ok {
		t.Errorf("a header named in Connection was forwarded")
	}
}

func TestCookiesPassedWhenAsked(t *testing.T) {
	s := newSite(t, siteOptions{proxy: func(o *proxy.Options) { o.PassCookies = true }})
	r := s.req("GET", "/api/cookies", nil)
	r.Header.Set("Cookie", s.cookie+"; x=1; __Host-authjs.csrf-token=abc; __SECURE-AUTHJS.SESSION-TOKEN.1=z")
	r.Header.Add("Cookie", "y=2")
	rec := s.serve(r)
	if got := s.up.last(t).Header["Cookie"]; len(got) != 1 || got[0] != "x=1; y=2" {
		t.Fatalf("Cookie %q", got)
	}
	if sc := rec.Header()["Set-Cookie"]; len(sc) != 1 || !strings.HasPrefix(sc[0], "x=y;") {
		t.Fatalf("Set-Cookie %q", sc)
	}
}

// TestResponseHeaders: upstream cookies, CORS headers, a forged
// Authgo-Error and a reflected token never reach the browser.
func TestResponseHeaders(t *testing.T) {
	s := newSite(t, siteOptions{})
	rec := s.serve(s.req("GET", "/api/cookies", nil))
	if rec.Code != 200 || len(rec.Header()["Set-Cookie"]) != 0 {
		t.Fatalf("%d Set-Cookie %q", rec.Code, rec.Header()["Set-Cookie"])
	}
	rec = s.serve(s.req("GET", "/api/reflect", nil))
	tok := tokenOf(t, s.cookie)
	for k, v := range rec.Header() {
		if strings.Contains(strings.Join(v, ","), tok) || strings.HasPrefix(k, "Access-Control-") {
			t.Fatalf("%s: %q reached the browser", k, v)
		}
	}
	if rec.Body.String() != "reflected" {
		t.Fatalf("body %q", rec.Body)
	}
}

// TestUpstream401: passed through as is, without Authgo-Error (even a
// forged one); the session is untouched.
func TestUpstream401(t *testing.T) {
	s := newSite(t, siteOptions{})
	rec := s.serve(s.req("GET", "/api/unauthorized", nil))
	if rec.Code != 401 || rec.Header().Get("WWW-Authenticate") != `Bearer error="invalid_token"` ||
		rec.Body.String() != `{"error":"invalid_token","detail":"from the api"}` {
		t.Fatalf("%d %v %s", rec.Code, rec.Header(), rec.Body)
	}
	if _, ok := rec.Header()["Authgo-Error"]; ok || rec.Header().Get("Set-Cookie") != "" {
		t.Fatalf("headers %v", rec.Header())
	}
	// The token was obtained moments ago: the refusal marks nothing.
	if rec := s.serve(s.req("GET", "/api/x", nil)); rec.Code != 200 || s.b.Refreshes.Load() != 0 {
		t.Fatalf("next request: %d, %d refreshes", rec.Code, s.b.Refreshes.Load())
	}
}

// TestUpstream401Refreshes: tokens-bff.md §6.6 and P8. An upstream 401
// with error="invalid_token" passes through untouched and makes the
// session's next request refresh, exactly once for that token; a 401
// without that error marks nothing.
func TestUpstream401Refreshes(t *testing.T) {
	s := newSite(t, siteOptions{})
	old := tokenOf(t, s.cookie)
	s.clk.Add(time.Minute) // well before expiry, past the 30 s grace
	if rec := s.serve(s.req("GET", "/api/denied", nil)); rec.Code != 401 {
		t.Fatalf("denied: %d", rec.Code)
	}
	if rec := s.serve(s.req("GET", "/api/x", nil)); rec.Code != 200 || s.b.Refreshes.Load() != 0 ||
		s.up.last(t).Header.Get("Authorization") != "Bearer "+old {
		t.Fatalf("a plain 401 marked the token: %d, %d refreshes", rec.Code, s.b.Refreshes.Load())
	}

	rec := s.serve(s.req("GET", "/api/unauthorized", nil))
	if rec.Code != 401 || rec.Header().Get("Set-Cookie") != "" || s.b.Refreshes.Load() != 0 {
		t.Fatalf("refused: %d %v, %d refreshes", rec.Code, rec.Header(), s.b.Refreshes.Load())
	}
	rec = s.serve(s.req("GET", "/api/x", nil))
	fresh := sessionCookies(rec.Result())
	if rec.Code != 200 || s.b.Refreshes.Load() != 1 || fresh == "" {
		t.Fatalf("after the refusal: %d, %d refreshes, cookie %q", rec.Code, s.b.Refreshes.Load(), fresh)
	}
	at := tokenOf(t, fresh)
	if at == old || s.up.last(t).Header.Get("Authorization") != "Bearer "+at {
		t.Fatalf("upstream saw %q", s.up.last(t).Header.Get("Authorization"))
	}
	// The old cookie again (a request already on its way): the new
	// tokens, no second refresh. The new cookie: no refresh either.
	for _, c := range []string{s.cookie, fresh} {
		r := s.req("GET", "/api/y", nil)
		r.Header.Set("Cookie", c)
		if rec := s.serve(r); rec.Code != 200 || s.b.Refreshes.Load() != 1 || s.up.last(t).Header.Get("Authorization") != "Bearer "+at {
			t.Fatalf("%d, %d refreshes, upstream saw %q", rec.Code, s.b.Refreshes.Load(), s.up.last(t).Header.Get("Authorization"))
		}
	}
	// The upstream refuses the new token at once too (it refuses every
	// token): no refresh per request.
	s.cookie = fresh
	for range 3 {
		s.serve(s.req("GET", "/api/unauthorized", nil))
		s.serve(s.req("GET", "/api/x", nil))
	}
	if n := s.b.Refreshes.Load(); n != 1 {
		t.Fatalf("%d refreshes for refusals of a token just obtained", n)
	}
}

// TestTraversal: attacks.md T50, T34, T36. Nothing escapes the upstream's
// base path, nothing reaches another host.
func TestTraversal(t *testing.T) {
	s := newSite(t, siteOptions{upstreamPath: "/v1/base"})
	for _, tc := range []struct {
		target string
		want   int
	}{
		{"/api/..%2f..%2finternal", 400},
		{"/api/..%2F..%2Finternal", 400},
		{"/api/%2e%2e/", 400},
		{"/api/%2E%2E/%2e%2e/admin", 400},
		{"/api/.%2e/x", 400},
		{"/api/%2e/x", 400},
		{"/api/../internal", 400},
		{"/api/x/../../internal", 400},
		{"/api/./x", 400},
		{"/api/x/..", 400},
		{"/api//evil.example/x", 400},
		{"/api/x//y", 400},
		{"/api/%2fevil.example", 400},
		{"/api/%5c..%5cadmin", 400},
		{"/api/..;/admin", 400},
		{"/api/x;jsessionid=1", 400},
		{"/api/x%3Bp", 400},
		{"/api/%252e%252e/admin", 400},
		{"/api/%00", 400},
		{"/api/%c0%ae%c0%ae/admin", 400},
		{"/api/%ff", 400},
		{"//evil", 404},
		{"//evil.example/api/x", 404},
		{"/apix", 404},
		{"/ap", 404},
		{"/", 404},
		{"/%61pi/x", 404},
		{"/API/x", 404},
		{"/internal", 404},
	} {
		t.Run(tc.target, func(t *testing.T) {
			rec := s.serve(s.req("GET", tc.target, nil))
			code := map[int]string{400: "bad_request", 404: "not_found"}[tc.want]
			wantError(t, rec, tc.want, code)
		})
	}
	if s.up.hits() != 0 {
		t.Fatalf("upstream got %+v", s.up.last(t))
	}

	// Over the wire, where no client library cleans anything.
	sink := newUpstream(t)
	sinkHost := strings.TrimPrefix(sink.URL, "http://")
	addr := strings.TrimPrefix(s.server().URL, "http://")
	hdr := "X-CSRF: 1\r\nCookie: " + s.cookie + "\r\nConnection: close\r\n\r\n"
	for _, tc := range []struct {
		req  string
		want int
	}{
		{"GET http://" + sinkHost + "/api/x HTTP/1.1\r\nHost: " + sinkHost + "\r\n", 400},
		{"GET http://" + sinkHost + "/api/x HTTP/1.1\r\nHost: localhost:3000\r\n", 400},
		{"GET https://localhost:3000/api/x HTTP/1.1\r\nHost: localhost:3000\r\n", 400},
		{"CONNECT " + sinkHost + " HTTP/1.1\r\nHost: " + sinkHost + "\r\n", 405},
		{"TRACE /api/x HTTP/1.1\r\nHost: localhost:3000\r\n", 405},
		{"GET /api/..%2f..%2finternal HTTP/1.1\r\nHost: localhost:3000\r\n", 400},
		{"GET /api/../../internal HTTP/1.1\r\nHost: localhost:3000\r\n", 400},
		{"GET /api/%2e%2e/ HTTP/1.1\r\nHost: localhost:3000\r\n", 400},
		{"GET //evil HTTP/1.1\r\nHost: localhost:3000\r\n", 404},
		{"GET /api/%zz HTTP/1.1\r\nHost: localhost:3000\r\n", 400},
		{"GET /api/% HTTP/1.1\r\nHost: localhost:3000\r\n", 400},
		{"GET /api/x#/../../internal HTTP/1.1\r\nHost: localhost:3000\r\n", 400},
		// Forwarded, but to the configured upstream only.
		{"GET /api/x HTTP/1.1\r\nHost: " + sinkHost + "\r\n", 200},
		{"GET http://localhost:3000/api/x HTTP/1.1\r\nHost: " + sinkHost + "\r\n", 200},
		{"GET /api/@" + sinkHost + "/x HTTP/1.1\r\nHost: localhost:3000\r\n", 200},
	} {
		res, body := raw(t, addr, tc.req+hdr)
		if res.StatusCode != tc.want {
			t.Errorf("%q: %d %s, want %d", tc.req, res.StatusCode, body, tc.want)
		}
	}
	if sink.hits() != 0 {
		t.Fatalf("the sinkhole got %+v", sink.last(t))
	}
	s.up.mu.Lock()
	defer s.up.mu.Unlock()
	for _, r := range s.up.reqs {
		if !strings.HasPrefix(r.URI, "/v1/base/") || strings.Contains(r.URI, "..") || r.Host != strings.TrimPrefix(s.up.URL, "http://") {
			t.Errorf("upstream got %s on %s", r.URI, r.Host)
		}
		if r.Header.Get("X-Forwarded-Host") != "localhost:3000" {
			t.Errorf("X-Forwarded-Host %q", r.Header.Get("X-Forwarded-Host"))
		}
	}
	if len(s.up.reqs) != 3 {
		t.Errorf("upstream got %d requests, want 3", len(s.up.reqs))
	}
}

// TestAuthEndpointsNotProxied: with the endpoints under the prefix
// (/api/auth, next-auth's default), their paths are never forwarded, even
// when the proxy is asked for them.
func TestAuthEndpointsNotProxied(t *testing.T) {
	s := newSite(t, siteOptions{config: func(c *authgo.Config) { c.BasePath = "/api/auth" }})
	for _, p := range []string{"/api/auth", "/api/auth/", "/api/auth/session", "/api/auth/callback/backend"} {
		rec := httptest.NewRecorder()
		s.p.ServeHTTP(rec, s.req("GET", p, nil))
		wantError(t, rec, 404, "not_found")
	}
	if s.up.hits() != 0 {
		t.Fatal("upstream contacted")
	}
	if rec := s.serve(s.req("GET", "/api/authors", nil)); rec.Code != 200 || s.up.last(t).URI != "/v1/authors" {
		t.Fatalf("%d", rec.Code)
	}
}

func TestMethodsRefused(t *testing.T) {
	s := newSite(t, siteOptions{})
	for _, m := range []string{"TRACE", "TRACK", "CONNECT"} {
		wantError(t, s.serve(s.req(m, "/api/x", nil)), 405, "method_not_allowed")
	}
	if s.up.hits() != 0 {
		t.Fatal("upstream contacted")
	}
}

// TestRefresh: an expired access token is refreshed before forwarding; the
// upstream sees the new token, and the response sets the new cookie.
func TestRefresh(t *testing.T) {
	s := newSite(t, siteOptions{})
	old := tokenOf(t, s.cookie)
	s.clk.Add(10 * time.Minute)
	rec := s.serve(s.req("GET", "/api/x", nil))
	if rec.Code != 200 || s.b.Refreshes.Load() != 1 {
		t.Fatalf("%d, %d refreshes", rec.Code, s.b.Refreshes.Load())
	}
	fresh := sessionCookies(rec.Result())
	if fresh == "" {
		t.Fatalf("no session cookie: %v", rec.Header())
	}
	at := tokenOf(t, fresh)
	if at == old || s.up.last(t).Header.Get("Authorization") != "Bearer "+at {
		t.Fatalf("upstream saw %q; old %q new %q", s.up.last(t).Header.Get("Authorization"), old, at)
	}
	if strings.Contains(rec.Body.String(), at) || strings.Contains(fmt.Sprint(rec.Header()), at) {
		t.Fatal("the token reached the browser")
	}
	// The new cookie: no refresh, same token.
	s.cookie = fresh
	rec = s.serve(s.req("GET", "/api/y", nil))
	if rec.Code != 200 || s.b.Refreshes.Load() != 1 || s.up.last(t).Header.Get("Authorization") != "Bearer "+at {
		t.Fatalf("%d, %d refreshes", rec.Code, s.b.Refreshes.Load())
	}
}

// TestRefreshBurst: 100 concurrent proxied requests with an expired token,
// one refresh, all forwarded with the same new token.
func TestRefreshBurst(t *testing.T) {
	s := newSite(t, siteOptions{})
	s.clk.Add(10 * time.Minute)
	var wg sync.WaitGroup
	codes := make([]int, 100)
	for i := range codes {
		wg.Go(func() { codes[i] = s.serve(s.req("POST", "/api/burst", strings.NewReader("x"))).Code })
	}
	wg.Wait()
	if n := s.b.Refreshes.Load(); n != 1 {
		t.Fatalf("%d refreshes", n)
	}
	seenTokens := map[string]bool{}
	s.up.mu.Lock()
	for _, r := range s.up.reqs {
		seenTokens[r.Header.Get("Authorization")] = true
	}
	s.up.mu.Unlock()
	if len(seenTokens) != 1 || len(s.up.reqs) != 100 {
		t.Fatalf("%d requests with %d tokens; codes %v", len(s.up.reqs), len(seenTokens), codes)
	}
}

func TestRefreshTokenError(t *testing.T) {
	s := newSite(t, siteOptions{})
	s.b.Forget()
	s.clk.Add(10 * time.Minute)
	rec := s.serve(s.req("GET", "/api/x", nil))
	wantError(t, rec, 401, authgo.RefreshTokenError)
	// The session now says so, and later requests make no refresh call.
	s.cookie = sessionCookies(rec.Result())
	if s.cookie == "" || tokenOf(t, s.cookie) != "" {
		t.Fatalf("cookie %q", s.cookie)
	}
	wantError(t, s.serve(s.req("GET", "/api/x", nil)), 401, authgo.RefreshTokenError)
	if s.up.hits() != 0 || s.b.Refreshes.Load() != 1 {
		t.Fatalf("upstream %d, refreshes %d", s.up.hits(), s.b.Refreshes.Load())
	}
}

func TestRefreshUnavailable(t *testing.T) {
	s := newSite(t, siteOptions{})
	s.b.Fail.Store(503)
	s.clk.Add(10 * time.Minute)
	rec := s.serve(s.req("GET", "/api/x", nil))
	wantError(t, rec, 503, "refresh_unavailable")
	if rec.Header().Get("Retry-After") == "" || sessionCookies(rec.Result()) != "" || s.up.hits() != 0 {
		t.Fatalf("%v, upstream %d", rec.Header(), s.up.hits())
	}
	s.b.Fail.Store(0)
	if rec := s.serve(s.req("GET", "/api/x", nil)); rec.Code != 200 || sessionCookies(rec.Result()) == "" {
		t.Fatalf("after recovery: %d", rec.Code)
	}
}

// TestBehindMiddleware: mounted behind a.Middleware with a matcher over
// the prefix, the guard runs once, the refreshed cookie still goes out.
func TestBehindMiddleware(t *testing.T) {
	s := newSite(t, siteOptions{
		config: func(c *authgo.Config) { c.Matcher = []string{"/api/:path*"}; c.APIPaths = []string{"/api/"} },
		mount: func(s *site) http.Handler {
			mux := http.NewServeMux()
			mux.Handle("/auth/", s.a)
			mux.Handle("/api/", s.p)
			return s.a.Middleware(mux)
		},
	})
	s.clk.Add(10 * time.Minute)
	rec := s.serve(s.req("GET", "/api/x", nil))
	fresh := sessionCookies(rec.Result())
	if rec.Code != 200 || fresh == "" || s.b.Refreshes.Load() != 1 || s.up.last(t).Header.Get("Authorization") != "Bearer "+tokenOf(t, fresh) {
		t.Fatalf("%d %v, %d refreshes", rec.Code, rec.Header(), s.b.Refreshes.Load())
	}
	r := s.req("GET", "/api/x", nil)
	r.Header.Del("Cookie")
	if rec := s.serve(r); rec.Code != 401 || s.up.hits() != 1 {
		t.Fatalf("signed out: %d", rec.Code)
	}
}

// TestStreaming: 20 MiB up and down through a real server without
// buffering, and a flushed response arrives piece by piece.
func TestStreaming(t *testing.T) {
	s := newSite(t, siteOptions{})
	srv := s.server()
	const size = 20 << 20
	do := func(r *http.Request) *http.Response {
		t.Helper()
		r.Header.Set("Cookie", s.cookie)
		r.Header.Set("X-CSRF", "1")
		res, err := srv.Client().Do(r)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	want := sha256.New()
	io.Copy(want, io.LimitReader(&pattern{}, size))
	wantSum := hex.EncodeToString(want.Sum(nil))

	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	// Upload, chunked (unknown length).
	req, _ := http.NewRequest("PUT", srv.URL+"/api/sum", io.NopCloser(io.LimitReader(&pattern{}, size)))
	res := do(req)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || string(body) != fmt.Sprintf("%d %s", size, wantSum) {
		t.Fatalf("upload: %d %s", res.StatusCode, body)
	}
	// Download.
	req, _ = http.NewRequest("GET", srv.URL+fmt.Sprintf("/api/big?n=%d", size), nil)
	res = do(req)
	got := sha256.New()
	n, _ := io.Copy(got, res.Body)
	res.Body.Close()
	if n != size || hex.EncodeToString(got.Sum(nil)) != wantSum || res.ContentLength != size {
		t.Fatalf("download: %d bytes, length %d", n, res.ContentLength)
	}
	runtime.ReadMemStats(&m1)
	// Both directions together allocate far less than one body: nothing
	// (client, proxy, upstream) holds a body in memory.
	if alloc := m1.TotalAlloc - m0.TotalAlloc; alloc > size/2 {
		t.Errorf("%d MiB allocated for 2×20 MiB streamed", alloc>>20)
	} else {
		t.Logf("%.1f MiB allocated for 2×20 MiB streamed", float64(alloc)/(1<<20))
	}

	// Incremental: the first line arrives while the upstream still waits;
	// and a refresh's cookie is on the streamed response.
	s.clk.Add(10 * time.Minute)
	req, _ = http.NewRequest("GET", srv.URL+"/api/stream", nil)
	res = do(req)
	defer res.Body.Close()
	if sessionCookies(res) == "" {
		t.Error("no refreshed cookie on a streamed response")
	}
	br := bufio.NewReader(res.Body)
	line, err := br.ReadString('\n')
	if line != "one\n" || err != nil || s.up.timedOut.Load() {
		t.Fatalf("first line %q %v; buffered: %v", line, err, s.up.timedOut.Load())
	}
	close(s.up.release)
	rest, _ := io.ReadAll(br)
	if string(rest) != "two\n" {
		t.Fatalf("rest %q", rest)
	}
}

// TestInformationalResponse: a 103 from the upstream does not swallow the
// refreshed session cookie.
func TestInformationalResponse(t *testing.T) {
	s := newSite(t, siteOptions{})
	s.clk.Add(10 * time.Minute)
	req, _ := http.NewRequest("GET", s.server().URL+"/api/early", nil)
	req.Header.Set("Cookie", s.cookie)
	req.Header.Set("X-CSRF", "1")
	res, err := s.server().Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || string(body) != "after hints" || sessionCookies(res) == "" {
		t.Fatalf("%d %q %v", res.StatusCode, body, res.Header)
	}
}

// TestUpgrades: attacks.md T52; tokens-bff.md P11, P12.
func TestUpgrades(t *testing.T) {
	s := newSite(t, siteOptions{})
	addr := strings.TrimPrefix(s.server().URL, "http://")
	ws := func(origin, cookie string) string {
		h := "GET /api/ws HTTP/1.1\r\nHost: localhost:3000\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
		if origin != "" {
			h += "Origin: " + origin + "\r\n"
		}
		if cookie != "" {
			h += "Cookie: " + cookie + "\r\n"
		}
		return h + "\r\n"
	}
	for _, tc := range []struct {
		name, req string
		want      int
	}{
		{"h2c", "GET /api/x HTTP/1.1\r\nHost: localhost:3000\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\nConnection: Upgrade, HTTP2-Settings\r\nX-CSRF: 1\r\nCookie: " + s.cookie + "\r\n\r\n", 400},
		{"h2c without Connection", "GET /api/x HTTP/1.1\r\nHost: localhost:3000\r\nUpgrade: h2c\r\nX-CSRF: 1\r\nCookie: " + s.cookie + "\r\n\r\n", 400},
		{"two protocols", "GET /api/ws HTTP/1.1\r\nHost: localhost:3000\r\nUpgrade: websocket, h2c\r\nConnection: Upgrade\r\nOrigin: " + O + "\r\nCookie: " + s.cookie + "\r\n\r\n", 400},
		{"ws bad origin", ws("https://evil.example", s.cookie), 403},
		{"ws sibling origin", ws("http://evil.localhost:3000", s.cookie), 403},
		{"ws other scheme", ws("https://localhost:3000", s.cookie), 403},
		{"ws null origin", ws("null", s.cookie), 403},
		{"ws no origin", ws("", s.cookie), 403},
		{"ws no session", ws(O, ""), 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := raw(t, addr, tc.req)
			if res.StatusCode != tc.want {
				t.Fatalf("%d %s", res.StatusCode, body)
			}
		})
	}
	if s.up.hits() != 0 {
		t.Fatalf("upstream got %+v", s.up.last(t))
	}

	// The right Origin and a session: 101, tunnelled, Bearer attached.
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(conn, ws(O, s.cookie))
	br := bufio.NewReader(conn)
	res, err := http.ReadResponse(br, nil)
	if err != nil || res.StatusCode != 101 || res.Header.Get("Set-Cookie") != "" {
		t.Fatalf("%v %v", res, err)
	}
	io.WriteString(conn, "ping")
	buf := make([]byte, 4)
	if _, err := io.ReadFull(br, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("echo %q %v", buf, err)
	}
	got := s.up.last(t)
	if got.Header.Get("Authorization") != "Bearer "+tokenOf(t, s.cookie) || got.Header.Get("Cookie") != "" || got.URI != "/v1/ws" {
		t.Fatalf("upstream saw %+v", got)
	}
}

func TestBodyLimit(t *testing.T) {
	s := newSite(t, siteOptions{proxy: func(o *proxy.Options) { o.MaxBodyBytes = 1024 }})
	wantError(t, s.serve(s.req("POST", "/api/x", strings.NewReader(strings.Repeat("a", 2048)))), 413, "too_large")
	if s.up.hits() != 0 {
		t.Fatal("upstream contacted for a body known to be too large")
	}
	// Unknown length: cut off while streaming.
	r := s.req("POST", "/api/x", io.NopCloser(strings.NewReader(strings.Repeat("a", 64<<10))))
	r.ContentLength = -1
	wantError(t, s.serve(r), 413, "too_large")
	// Within the limit.
	if rec := s.serve(s.req("POST", "/api/x", strings.NewReader(strings.Repeat("a", 1024)))); rec.Code != 200 {
		t.Fatalf("%d", rec.Code)
	}
}

func TestUpstreamFailures(t *testing.T) {
	t.Run("down", func(t *testing.T) {
		l, _ := net.Listen("tcp", "127.0.0.1:0")
		dead := "http://" + l.Addr().String()
		l.Close()
		s := newSite(t, siteOptions{proxy: func(o *proxy.Options) { o.Upstream = dead }})
		// Options.Logger is nil: the error reaches the default logger.
		var buf bytes.Buffer
		old := slog.Default()
		slog.SetDefault(slog.New(slog.NewTextHandler(&buf, nil)))
		defer slog.SetDefault(old)
		rec := s.serve(s.req("GET", "/api/x", nil))
		wantError(t, rec, 502, "bad_gateway")
		if !strings.Contains(buf.String(), `level=ERROR msg="proxy: the upstream failed"`) {
			t.Fatalf("default logger: %q", buf.String())
		}
	})
	t.Run("timeout", func(t *testing.T) {
		s := newSite(t, siteOptions{proxy: func(o *proxy.Options) {
			o.Transport = &http.Transport{ResponseHeaderTimeout: 100 * time.Millisecond}
		}})
		wantError(t, s.serve(s.req("GET", "/api/slow", nil)), 504, "upstream_timeout")
	})
}

func TestNewErrors(t *testing.T) {
	a, err := authgo.New(authgo.Config{Secret: []string{testSecret}, URL: O})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		o    proxy.Options
		want string
	}{
		{proxy.Options{Upstream: "http://b"}, "Prefix"},
		{proxy.Options{Prefix: "/", Upstream: "http://b"}, "Prefix"},
		{proxy.Options{Prefix: "api", Upstream: "http://b"}, "Prefix"},
		{proxy.Options{Prefix: "/api/../x", Upstream: "http://b"}, "Prefix"},
		{proxy.Options{Prefix: "/a%2Fb", Upstream: "http://b"}, "Prefix"},
		{proxy.Options{Prefix: "/a//b", Upstream: "http://b"}, "Prefix"},
		{proxy.Options{Prefix: "/auth", Upstream: "http://b"}, "auth endpoints"},
		{proxy.Options{Prefix: "/auth/api", Upstream: "http://b"}, "auth endpoints"},
		{proxy.Options{Prefix: "/api"}, "Upstream"},
		{proxy.Options{Prefix: "/api", Upstream: "backend:8080"}, "Upstream"},
		{proxy.Options{Prefix: "/api", Upstream: "ftp://b"}, "Upstream"},
		{proxy.Options{Prefix: "/api", Upstream: "http://u:p@b"}, "Upstream"},
		{proxy.Options{Prefix: "/api", Upstream: "http://b?x=1"}, "Upstream"},
		{proxy.Options{Prefix: "/api", Upstream: "http://b/v1/../x"}, "Upstream"},
		{proxy.Options{Prefix: "/api", Upstream: "http://b/a%2Fb"}, "Upstream"},
		{proxy.Options{Prefix: "/api", Upstream: "http://b", Origin: "https://a/x"}, "Origin"},
		{proxy.Options{Prefix: "/api", Upstream: "http://b", Origin: "a.example"}, "Origin"},
		{proxy.Options{Prefix: "/api", Upstream: "http://b", MaxBodyBytes: -1}, "MaxBodyBytes"},
	} {
		if _, err := proxy.New(a, tc.o); err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "proxy: ") {
			t.Errorf("%+v: %v", tc.o, err)
		}
	}
	if _, err := proxy.New(nil, proxy.Options{Prefix: "/api", Upstream: "http://b"}); err == nil {
		t.Error("nil Auth accepted")
	}
	if _, err := proxy.New(a, proxy.Options{Prefix: "/api/", Upstream: "https://b:8443/v1/"}); err != nil {
		t.Error(err)
	}
}

// TestPreflight: tokens-bff.md P10. A CORS preflight from another origin
// (which carries no X-CSRF and no cookie) is refused before the upstream
// and approves nothing, so no cross-origin script can send X-CSRF.
func TestPreflight(t *testing.T) {
	s := newSite(t, siteOptions{})
	r := httptest.NewRequest("OPTIONS", "/api/orders", nil)
	r.Header.Set("Origin", "https://evil.example")
	r.Header.Set("Access-Control-Request-Method", "POST")
	r.Header.Set("Access-Control-Request-Headers", "x-csrf")
	rec := s.serve(r)
	wantError(t, rec, 403, "csrf")
	for k := range rec.Header() {
		if strings.HasPrefix(k, "Access-Control-") {
			t.Errorf("preflight answer carries %s", k)
		}
	}
	if s.up.hits() != 0 {
		t.Fatal("the upstream saw the preflight")
	}
}

// TestRequestSmugglingRefused: attacks.md T52(c). Conflicting or doubled framing is
// refused, or read one way (Transfer-Encoding over Content-Length), and the
// proxy frames what it forwards itself: a request hidden in a body never
// reaches the upstream as a request, and nothing reaches it at all from a
// request the server refused.
func TestRequestSmugglingRefused(t *testing.T) {
	s := newSite(t, siteOptions{})
	addr := s.server().Listener.Addr().String()
	hidden := "GET /api/smuggled HTTP/1.1\r\nHost: localhost\r\n\r\n"
	head := "POST /api/x HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nX-CSRF: 1\r\nCookie: " + s.cookie + "\r\n"
	n := fmt.Sprint(len(hidden))
	for _, c := range []struct {
		name, text string
		status     int
	}{
		{"CL and TE", head + "Content-Length: " + n + "\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + hidden, 200},
		{"two CL", head + "Content-Length: 0\r\nContent-Length: " + n + "\r\n\r\n" + hidden, 400},
		{"TE chunked, identity", head + "Transfer-Encoding: chunked, identity\r\nContent-Length: " + n + "\r\n\r\n" + hidden, 501},
		{"TE with a space", head + "Transfer-Encoding : chunked\r\nContent-Length: " + n + "\r\n\r\n" + hidden, 400},
	} {
		res, _ := raw(t, addr, c.text)
		if res.StatusCode != c.status {
			t.Errorf("%s: %d, want %d", c.name, res.StatusCode, c.status)
		}
		s.up.mu.Lock()
		for _, r := range s.up.reqs {
			if strings.Contains(r.URI, "smuggled") || strings.Contains(r.Body, "smuggled") {
				t.Errorf("%s: the upstream received %s %s with body %q", c.name, r.Method, r.URI, r.Body)
			}
		}
		if c.status != 200 && len(s.up.reqs) > 0 {
			t.Errorf("%s: refused, yet the upstream was asked", c.name)
		}
		s.up.reqs = nil
		s.up.mu.Unlock()
	}
}

// TestEventStreamOutlivesWriteTimeout: a server with a write timeout (as
// authgo serve has) does not cut a proxied text/event-stream short.
func TestEventStreamOutlivesWriteTimeout(t *testing.T) {
	s := newSite(t, siteOptions{})
	srv := httptest.NewUnstartedServer(s.h)
	srv.Config.WriteTimeout = 300 * time.Millisecond
	srv.Start()
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL+"/api/events", nil)
	req.Header.Set("Cookie", s.cookie)
	req.Header.Set("X-CSRF", "1")
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if n := strings.Count(string(body), "data: "); n != 8 {
		t.Fatalf("%d of 8 events arrived: %q", n, body)
	}
}

// TestMaxLifetimeAtTheProxy: a session past Session.MaxLifetime calls no
// API: the proxy answers 401 and the upstream is not reached, though the
// cookie's own exp has not come.
func TestMaxLifetimeAtTheProxy(t *testing.T) {
	s := newSite(t, siteOptions{config: func(c *authgo.Config) {
		c.Session.MaxLifetime = time.Hour
		c.Session.MaxAge = 24 * time.Hour
	}})
	if rec := s.serve(s.req("GET", O+"/api/hello", nil)); rec.Code != 200 {
		t.Fatalf("within the lifetime: %d %s", rec.Code, rec.Body.String())
	}
	before := s.up.hits()
	s.clk.Add(time.Hour + time.Second)
	rec := s.serve(s.req("GET", O+"/api/hello", nil))
	if rec.Code != http.StatusUnauthorized || s.up.hits() != before {
		t.Fatalf("after the lifetime: %d %s, %d upstream hits", rec.Code, rec.Body.String(), s.up.hits()-before)
	}
	// The control: without the limit, the same hour later the proxy
	// refreshes the access token and calls the API.
	free := newSite(t, siteOptions{config: func(c *authgo.Config) { c.Session.MaxLifetime = -1 }})
	free.clk.Add(time.Hour + time.Second)
	if rec := free.serve(free.req("GET", O+"/api/hello", nil)); rec.Code != 200 {
		t.Fatalf("without MaxLifetime an hour later: %d %s", rec.Code, rec.Body.String())
	}
}
