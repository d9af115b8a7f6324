package authgo_test

import (
	"strings"
	"testing"

	"github.com/authgo/authgo"
)

// TestCookieDomain: with CookieDomain every cookie carries the domain, and
// the CSRF cookie is __Secure- rather than __Host- over https; the
// session works across a sign-in; New refuses a domain that does not
// cover URL's host.
func TestCookieDomain(t *testing.T) {
	const S = "https://auth.example.com"
	a := newAuth(t, func(c *authgo.Config) { c.URL, c.CookieDomain = S, ".Example.com" })
	c := newClient(t, a)
	r := c.get(S + "/auth/csrf")
	ck := r.setCook["__Secure-authjs.csrf-token"]
	if ck == nil || ck.Domain != "example.com" || r.setCook["__Host-authjs.csrf-token"] != nil {
		t.Fatalf("csrf cookie: %v", r.Header.Values("Set-Cookie"))
	}
	r = c.signIn(S, "alice", "wonderland")
	sess := r.setCook["__Secure-authjs.session-token"]
	if sess == nil || sess.Domain != "example.com" || !sess.Secure {
		t.Fatalf("session cookie: %v", r.Header.Values("Set-Cookie"))
	}
	if s := c.session(S); s["user"] == nil {
		t.Fatalf("session after sign-in: %v", s)
	}
	for _, bad := range []struct{ url, domain string }{
		{S, "other.example"},
		{S, "xample.com"},
		{S, "example.com/x"},
		{S, "127.0.0.1"},
		{S, "com."},
		{"https://127.0.0.1:3000", "0.1"},
	} {
		_, err := authgo.New(authgo.Config{Secret: []string{testSecret}, URL: bad.url, CookieDomain: bad.domain})
		if err == nil || !strings.Contains(err.Error(), "CookieDomain") {
			t.Errorf("CookieDomain %q with URL %s: %v", bad.domain, bad.url, err)
		}
	}
}
