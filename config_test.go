package authgo_test

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/provider"
)

func TestNewValidates(t *testing.T) {
	p := testProvider(t)
	good := func() authgo.Config {
		return authgo.Config{Secret: []string{testSecret}, URL: "http://localhost:3000", Providers: []provider.Provider{p}}
	}
	cases := []struct {
		name string
		mod  func(*authgo.Config)
		want string // part of the error; "" means New succeeds
	}{
		{"ok", func(c *authgo.Config) {}, ""},
		{"no secret", func(c *authgo.Config) { c.Secret = nil }, "authgo secret"},
		{"short secret", func(c *authgo.Config) { c.Secret = []string{"short"} }, "at least 32"},
		{"short old secret", func(c *authgo.Config) { c.Secret = []string{testSecret, "x"} }, "AUTH_SECRET_1"},
		{"no origin", func(c *authgo.Config) { c.URL = "" }, "TrustHost"},
		{"trust host", func(c *authgo.Config) {
			c.URL, c.TrustHost = "", true
			c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0")}
		}, ""},
		{"trust host without proxies", func(c *authgo.Config) { c.URL = ""; c.TrustHost = true }, "TrustedProxies"},
		{"relative URL", func(c *authgo.Config) { c.URL = "/auth" }, "absolute"},
		{"ftp URL", func(c *authgo.Config) { c.URL = "ftp://x" }, "absolute"},
		{"URL with query", func(c *authgo.Config) { c.URL = "https://x/auth?a=1" }, "query"},
		{"URL with user", func(c *authgo.Config) { c.URL = "https://u@x/auth" }, "user info"},
		{"URL bad port", func(c *authgo.Config) { c.URL = "https://x:99999" }, "port"},
		{"URL path sets base", func(c *authgo.Config) { c.URL = "https://site/api/auth" }, ""},
		{"base path agrees", func(c *authgo.Config) { c.URL = "https://site/api/auth"; c.BasePath = "/api/auth" }, ""},
		{"base path disagrees", func(c *authgo.Config) { c.URL = "https://site/auth"; c.BasePath = "/api/auth" }, "disagrees"},
		{"base path relative", func(c *authgo.Config) { c.BasePath = "auth" }, "base path"},
		{"base path dots", func(c *authgo.Config) { c.BasePath = "/a/../b" }, "base path"},
		{"base path root", func(c *authgo.Config) { c.BasePath = "/" }, ""}, // "/" trims to "" → default
		{"base path query", func(c *authgo.Config) { c.BasePath = "/auth?x" }, "base path"},
		{"negative max age", func(c *authgo.Config) { c.Session.MaxAge = -time.Second }, "negative"},
		{"duplicate provider", func(c *authgo.Config) { c.Providers = []provider.Provider{p, p} }, "two providers"},
		{"nil provider", func(c *authgo.Config) { c.Providers = []provider.Provider{nil} }, "nil"},
		{"bad page", func(c *authgo.Config) { c.Pages.SignIn = "https://evil.example/login" }, "Pages.SignIn"},
		{"protocol-relative page", func(c *authgo.Config) { c.Pages.Error = "//evil.example" }, "Pages.Error"},
		{"bad color", func(c *authgo.Config) { c.Theme.Color = "red;}" }, "Theme.Color"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := good()
			tc.mod(&cfg)
			a, err := authgo.New(cfg)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q (auth %v)", err, tc.want, a)
			}
			if !strings.HasPrefix(err.Error(), "authgo: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

// TestSecretErrorNamesVariable: a short secret is reported by the setting
// and the variable it comes from, not by an index people have to decode.
func TestSecretErrorNamesVariable(t *testing.T) {
	for _, tc := range []struct {
		secret []string
		want   string
	}{
		{[]string{"short"}, "authgo: Config.Secret[0] (AUTH_SECRET) is 5 bytes; at least 32 are needed"},
		{[]string{testSecret, "short"}, "authgo: Config.Secret[1] (AUTH_SECRET_1) is 5 bytes; at least 32 are needed"},
	} {
		_, err := authgo.New(authgo.Config{Secret: tc.secret, URL: "http://localhost:3000"})
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Fatalf("err = %v, want it to start %q", err, tc.want)
		}
		if strings.Contains(strings.ToLower(err.Error()), "secret 0") {
			t.Fatalf("err = %v still numbers the secret", err)
		}
	}
}

func TestBasePathFromURL(t *testing.T) {
	a := newAuth(t, func(c *authgo.Config) { c.URL = "https://app.example.com/api/auth/" })
	if a.BasePath() != "/api/auth" {
		t.Fatalf("%q", a.BasePath())
	}
	r := newClient(t, a).get("https://app.example.com/api/auth/providers")
	if !strings.Contains(r.body, `"signinUrl":"https://app.example.com/api/auth/signin/credentials"`) {
		t.Fatalf("%s", r.body)
	}
}

// FuzzDefaultRedirect: whatever a client posts as callbackUrl, the redirect
// stays on the origin: it is the origin or starts with origin + "/", and
// Go's parser agrees about the host.
func FuzzDefaultRedirect(f *testing.F) {
	for _, s := range []string{"/x", "//evil.com", "/\\evil.com", "https:evil.com", "http://localhost:3000@evil.com",
		"http://evil.com\\@localhost:3000/", "HTTP://LOCALHOST:3000/a", "%2F%2Fevil", "javascript:alert(1)", "http://localhost:3000/%2e%2e/"} {
		f.Add(s)
	}
	const base = "http://localhost:3000"
	f.Fuzz(func(t *testing.T, in string) {
		out := authgo.DefaultRedirect(in, base)
		if out != base && !strings.HasPrefix(out, base+"/") {
			t.Fatalf("%q → %q leaves the origin", in, out)
		}
		for i := 0; i < len(out); i++ {
			if out[i] < 0x20 || out[i] == 0x7f {
				t.Fatalf("%q → %q carries a control character", in, out)
			}
		}
	})
}
