package authgo_test

import (
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/authgo/authgo"
)

// TestHostileCookieNames: names that merely start like the session cookie
// and are no cookie tokens were not written by us; they neither poison the
// session nor turn a request into a 5xx.
func TestHostileCookieNames(t *testing.T) {
	for _, name := range []string{"authjs.session-token@", "authjs.session-token ", "authjs.session-token/", "authjs.session-token(", "authjs.session-tokenü"} {
		c := newClient(t, newAuth(t, nil))
		c.signIn(O, "alice", "wonderland")
		hdr := c.cookieHeader() + "; " + name + "=x"
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
	a := newAuth(t, func(c *authgo.Config) { c.URL = ""; c.TrustHost = true })
	c := newClient(t, a)
	tok := c.csrf("http://internal:3000")
	post := func(origin, site string) int {
		req, _ := http.NewRequest("POST", "http://internal:3000/auth/signout", strings.NewReader("csrfToken="+tok))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-Host", "app.example.com")
		req.Header.Set("X-Forwarded-Proto", "https")
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
	a := newAuth(t, func(c *authgo.Config) { c.URL = ""; c.TrustHost = true })
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
