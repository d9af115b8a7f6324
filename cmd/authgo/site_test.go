package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"image"
	"image/png"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/provider"
	"github.com/authgo/authgo/providers/credentials"
)

// startSite serves newSite over an Auth with the user alice / wonderland,
// the --protect patterns and theme, and returns a browser for it.
func startSite(t *testing.T, patterns []string, theme authgo.Theme) *browser {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	origin := "http://" + srv.Listener.Addr().String()
	p, err := credentials.New(credentials.Options{
		Authorize: func(_ context.Context, c provider.Credentials, _ *http.Request) (*authgo.User, error) {
			if c["username"] == "alice" && c["password"] == "wonderland" {
				return &authgo.User{ID: "1", Name: "Alice", Email: "alice@example.com"}, nil
			}
			return nil, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	a, err := authgo.New(authgo.Config{
		Secret:    []string{"site-test-secret-0123456789abcdef0123456789"},
		URL:       origin,
		Providers: []provider.Provider{p},
		Matcher:   patterns,
		Theme:     theme,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = newSite(a, theme, patterns, slog.New(slog.DiscardHandler))
	srv.Start()
	t.Cleanup(srv.Close)
	return newBrowser(t, origin)
}

// getAccept fetches path with an Accept header ("" sends none).
func (b *browser) getAccept(method, path, accept string) response {
	b.t.Helper()
	req := b.NewRequest(method, b.origin+path, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	return b.do(req)
}

var styleElem = regexp.MustCompile(`(?s)<style>(.*?)</style>`)

// checkCSP fails unless res carries a policy whose style hash is that of
// the page's own <style> element.
func checkCSP(t *testing.T, res response) {
	t.Helper()
	m := styleElem.FindStringSubmatch(res.body)
	if m == nil {
		t.Fatal("no <style> element")
	}
	sum := sha256.Sum256([]byte(m[1]))
	csp := res.header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "style-src 'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'") || !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("policy %q does not allow the page's stylesheet", csp)
	}
}

const browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

func TestSiteNotFound(t *testing.T) {
	b := startSite(t, []string{"/mypage/:path*"}, authgo.Theme{Brand: "Acme", Color: "#0a7"})
	tests := []struct {
		name, method, path, accept string
		html                       bool
	}{
		{"browser", "GET", "/nothing/here", browserAccept, true},
		{"xhtml", "GET", "/x", "application/xhtml+xml", true},
		{"browser HEAD", "HEAD", "/x", browserAccept, true},
		{"curl", "GET", "/nothing", "*/*", false},
		{"no accept", "GET", "/nothing", "", false},
		{"json", "GET", "/api/thing", "application/json", false},
		{"favicon", "GET", "/favicon.ico", "image/avif,image/webp,*/*", false},
		{"not protected twin", "GET", "/mypagex", browserAccept, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := b.getAccept(tt.method, tt.path, tt.accept)
			if res.status != http.StatusNotFound {
				t.Fatalf("%s %s = %d, want 404", tt.method, tt.path, res.status)
			}
			ct := res.header.Get("Content-Type")
			if !tt.html {
				if !strings.HasPrefix(ct, "text/plain") || res.body != "404 page not found\n" {
					t.Errorf("Content-Type %q body %q, want net/http's plain 404", ct, res.body)
				}
				return
			}
			if ct != "text/html; charset=utf-8" || res.header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("headers %v", res.header)
			}
			if tt.method == "HEAD" {
				if res.body != "" {
					t.Errorf("HEAD body %q", res.body)
				}
				return
			}
			for _, w := range []string{"<h1>Page not found</h1>", "<title>Page not found · Acme</title>", `<span>Acme</span>`, ":root{--brand:#0a7}", `href="/"`} {
				if !strings.Contains(res.body, w) {
					t.Errorf("missing %q", w)
				}
			}
			if strings.Contains(res.body, tt.path) {
				t.Error("the page repeats the path")
			}
			checkCSP(t, res)
		})
	}
}

func TestSiteHome(t *testing.T) {
	var logo bytes.Buffer
	if err := png.Encode(&logo, image.NewGray(image.Rect(0, 0, 2, 2))); err != nil {
		t.Fatal(err)
	}
	t.Run("nothing protected", func(t *testing.T) {
		b := startSite(t, nil, authgo.Theme{})
		res := b.getAccept("GET", "/", browserAccept)
		if res.status != 200 || !strings.Contains(res.body, "You are not signed in") {
			t.Fatalf("GET / = %d\n%s", res.status, res.body)
		}
		if strings.Contains(strings.ToLower(res.body), "protect") {
			t.Errorf("speaks of protected parts:\n%s", res.body)
		}
		checkCSP(t, res)
	})
	t.Run("protected", func(t *testing.T) {
		b := startSite(t, []string{"/mypage/:path*"}, authgo.Theme{Brand: "Acme", Color: "#0a7", Logo: logo.Bytes()})
		res := b.getAccept("GET", "/", browserAccept)
		for _, w := range []string{"Sign in to reach the protected parts of this site.", "<code>/mypage/:path*</code>", "<span>Acme</span>", `<img class="logo" src="data:image/png;base64,`} {
			if !strings.Contains(res.body, w) {
				t.Errorf("GET / lacks %q", w)
			}
		}
		checkCSP(t, res)
		if res := b.signIn(b.csrfToken(), "alice", "wonderland"); res.status != http.StatusFound || strings.Contains(res.header.Get("Location"), "error") {
			t.Fatalf("sign-in = %d %q", res.status, res.header.Get("Location"))
		}
		res = b.getAccept("GET", "/", browserAccept)
		if !strings.Contains(res.body, "Signed in as Alice") || strings.Contains(res.body, "You asked for") {
			t.Errorf("GET / signed in:\n%s", res.body)
		}
		res = b.getAccept("GET", "/mypage/%3Cb%3E%22x%22?secret=1", browserAccept)
		want := `You asked for <code>/mypage/&lt;b&gt;&#34;x&#34;</code>, a protected path.`
		if res.status != 200 || !strings.Contains(res.body, want) || strings.Contains(res.body, "<b>") || strings.Contains(res.body, "secret=1") {
			t.Errorf("GET /mypage/<b>\"x\" = %d, want %q:\n%s", res.status, want, res.body)
		}
		checkCSP(t, res)
	})
}

// TestToUpstream: in front of an app, serve hands the app straight every
// clean path the mux would have given it, and leaves the base path, the
// mounted prefixes and unclean paths (which the mux redirects) to the mux.
func TestToUpstream(t *testing.T) {
	a, err := authgo.New(authgo.Config{Secret: []string{"site-test-secret-0123456789abcdef0123456789"}, URL: "http://127.0.0.1:3000"})
	if err != nil {
		t.Fatal(err)
	}
	s := &site{auth: a, mounted: []string{"/api"}}
	base := s.auth.BasePath()
	for p, want := range map[string]bool{
		"/": true, "/page": true, "/a/b/": true, "/apix": true, base + "x": true,
		base: false, base + "/": false, base + "/session": false, "/api": false, "/api/": false, "/api/x": false,
		"//x": false, "/a/../b": false, "/a/./b": false, "/a//b": false, "/.": false, "/a/..": false, "": false, "x": false,
	} {
		if got := s.toUpstream(p); got != want {
			t.Errorf("toUpstream(%q) = %v, want %v", p, got, want)
		}
	}
}
