package proxy

import (
	"net/url"
	"path"
	"strings"
	"testing"

	"github.com/authgo/authgo"
)

// FuzzRoute: whatever the client sends, a forwarded path stays under the
// upstream's base path, decodes, and has nothing to resolve.
func FuzzRoute(f *testing.F) {
	for _, s := range []string{
		"/api/x", "/api", "/api/", "/api/..%2f..%2finternal", "/api/%2e%2e/", "/api/.%2E/x", "//evil",
		"/api/%252e", "/api/a%2Fb", "/api/..;/x", "/api/caf%C3%A9", "/api/%c0%ae", "/api/x/..", "/api//x",
	} {
		f.Add(s)
	}
	a, err := authgo.New(authgo.Config{Secret: []string{"test-secret-0123456789abcdef0123456789abcdef"}, URL: "http://localhost:3000"})
	if err != nil {
		f.Fatal(err)
	}
	p, err := New(a, Options{Prefix: "/api", Upstream: "http://up/v1/base"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, esc string) {
		out, status := p.route(esc)
		if status != 0 {
			if out != "" {
				t.Fatalf("%q: refused with a path", esc)
			}
			return
		}
		if out != "/v1/base" && !strings.HasPrefix(out, "/v1/base/") {
			t.Fatalf("%q → %q: outside the base", esc, out)
		}
		dec, err := url.PathUnescape(out)
		if err != nil {
			t.Fatalf("%q → %q: %v", esc, out, err)
		}
		clean := path.Clean(dec)
		if strings.HasSuffix(dec, "/") && clean != "/" {
			clean += "/"
		}
		if clean != dec || strings.ContainsAny(dec, "\\;\x00") || strings.Contains(strings.ToLower(out), "%2f") {
			t.Fatalf("%q → %q (decoded %q, clean %q)", esc, out, dec, clean)
		}
	})
}
