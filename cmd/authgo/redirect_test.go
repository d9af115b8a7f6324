package main

import (
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
)

// TestRedirectCallbackAttacks: a callbackUrl goes to the public origin or
// exactly to a --redirect-allow host; lookalikes go to the origin.
func TestRedirectCallbackAttacks(t *testing.T) {
	const base = "https://app.example.com"
	cb := redirectCallback([]string{"shop.example.com", "link.example.com", "API.example.com:8443"})
	for _, tc := range []struct{ in, want string }{
		{"/x?y=1", base + "/x?y=1"},
		{"https://app.example.com/x", "https://app.example.com/x"},
		{"https://APP.example.com/x", "https://APP.example.com/x"},
		{"https://shop.example.com/a", "https://shop.example.com/a"},
		{"https://SHOP.EXAMPLE.COM/a", "https://SHOP.EXAMPLE.COM/a"},
		{"https://api.example.com:8443/a", "https://api.example.com:8443/a"},
		{"//evil.example", base},
		{"/\\evil.example", base},
		{"\\\\evil.example", base},
		{"https://evil.example/", base},
		{"https://shop.example.com.evil.com/", base},
		{"https://app.example.com.evil.com/", base},
		{"https://evil-shop.example.com/", base},
		{"https://shop.example.com@evil.com/", base},
		{"https://evil.com\\@shop.example.com/", base},
		{"https://evil.com#@shop.example.com/", base},
		{"https://shop.example.com./", base},
		{"https://shop.example.com:444/", base},
		{"https://api.example.com/", base},
		{"http://shop.example.com/", base}, // https origin: no downgrade
		{"javascript:alert(1)//shop.example.com", base},
		{"data:text/html,x", base},
		{"https:shop.example.com", base},
		{"https:/evil.example", base},
		{"https://\u212Aevil.example/", base},
		{"https://sh\u212Fp.example.com/", base},
		{"https://shop.example.\u212Aom/", base},
		{"https://L\u0130NK.example.com/", base}, // İ lowercases to i in Go, not in a browser
		{"https://link.example.com/", "https://link.example.com/"},
		{"https://l\u0131nk.example.com/", base},
		{"", base},
		{"https://shop.example.com\t.evil.com/", base},
	} {
		got, err := cb(t.Context(), tc.in, base)
		if err != nil || got != tc.want {
			t.Errorf("redirect(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

// TestServeRedirectAllow: through serve, a sign-in's callbackUrl goes to
// a --redirect-allow host, and a lookalike of it goes to the origin.
func TestServeRedirectAllow(t *testing.T) {
	srv := startServe(t, true, "--dev", "--addr", "127.0.0.1:0", "--data", filepath.Join(t.TempDir(), "data"),
		"--redirect-allow", "shop.example.com")
	for _, tc := range []struct{ cb, want string }{
		{"https://shop.example.com/cart", "https://shop.example.com/cart"},
		{"https://shop.example.com.evil.example/cart", srv.origin},
		{"https://SH\u0130P.example.com/cart", srv.origin},
		{"//evil.example/x", srv.origin},
	} {
		b := newBrowser(t, srv.origin)
		res := b.postForm("/auth/callback/credentials", url.Values{"username": {"demo"}, "password": {srv.demoPassword},
			"csrfToken": {b.csrfToken()}, "callbackUrl": {tc.cb}})
		if loc := res.header.Get("Location"); res.status != http.StatusFound || strings.TrimSuffix(loc, "/") != tc.want {
			t.Errorf("callbackUrl %q: %d Location %q, want %q", tc.cb, res.status, loc, tc.want)
		}
	}
}
