package main

import (
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestServeProtectsRoot: `serve --protect` with a pattern that covers the
// home page guards / and /?x=1 (they were served signed out: README,
// Security), under the default base path and under AUTH_URL's /api/auth,
// while the sign-in page stays open and the home page opens after sign-in.
func TestServeProtectsRoot(t *testing.T) {
	for _, pattern := range []string{"/:path*", "/", "/((?!api|_next).*)", "/((?!auth).*)"} {
		for _, base := range []string{"/auth", "/api/auth"} {
			t.Run(pattern+" "+base, func(t *testing.T) {
				t.Parallel()
				e := env{}
				addr := "127.0.0.1:0"
				if base != "/auth" {
					addr = freeAddr(t)
					e["AUTH_URL"] = "http://" + addr + base
				}
				srv := startServeEnv(t, e, true, "--dev", "--addr", addr, "--data", t.TempDir(), "--protect", pattern)
				b := newBrowser(t, srv.origin)
				for _, target := range []string{"/", "/?x=1"} {
					res := b.get(target)
					want := srv.origin + base + "/signin?callbackUrl=" + url.QueryEscape(srv.origin+target)
					if res.status != http.StatusFound || res.header.Get("Location") != want {
						t.Errorf("GET %s signed out = %d Location %q, want 302 %q", target, res.status, res.header.Get("Location"), want)
					}
				}
				if res := b.get(base + "/signin"); res.status != http.StatusOK || !strings.Contains(res.body, `name="password"`) {
					t.Errorf("GET %s/signin = %d, want the sign-in page", base, res.status)
				}

				b.base = base
				if res := b.signIn(b.csrfToken(), "demo", srv.demoPassword); res.status != http.StatusFound || strings.Contains(res.header.Get("Location"), "error") {
					t.Fatalf("sign-in = %d Location %q\nstderr:\n%s", res.status, res.header.Get("Location"), srv.stderr)
				}
				for _, target := range []string{"/", "/?x=1"} {
					if res := b.get(target); res.status != http.StatusOK || !strings.Contains(res.body, signedInAsDemo) {
						t.Errorf("GET %s signed in = %d", target, res.status)
					}
				}
			})
		}
	}
}

// freeAddr returns a loopback address with a port free just now, for a
// server whose AUTH_URL must name its port before it starts.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestRedirectURI: the callback URL serve logs for registering at a
// provider keeps the base path, whatever the host is called.
func TestRedirectURI(t *testing.T) {
	for _, tc := range []struct{ url, base, want string }{
		{"http://127.0.0.1:3000", "/auth", "http://127.0.0.1:3000/auth/callback/github"},
		{"http://auth", "/auth", "http://auth/auth/callback/github"},
		{"https://myauth:8443/", "/auth", "https://myauth:8443/auth/callback/github"},
		{"https://example.com/api/auth", "/api/auth", "https://example.com/api/auth/callback/github"},
		{"https://example.com/api/auth/", "/api/auth", "https://example.com/api/auth/callback/github"},
		{"", "/auth", "/auth/callback/github"},
	} {
		if got := redirectURI(tc.url, tc.base, "github"); got != tc.want {
			t.Errorf("redirectURI(%q, %q) = %q, want %q", tc.url, tc.base, got, tc.want)
		}
	}
}
