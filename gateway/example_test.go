package gateway_test

import (
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"net/netip"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/gateway"
)

// An app on 127.0.0.1:8080 behind authgo: the home page and Next.js's
// assets are public, everything else needs a session, and only verified
// addresses at example.com get in.
func ExampleNew() {
	a, err := authgo.New(authgo.Config{
		Secret: []string{"an example secret of at least 32 bytes"},
		URL:    "https://app.example.com/auth",
		// Providers: github.New(…), …
	})
	if err != nil {
		log.Fatal(err)
	}
	g, err := gateway.New(a, gateway.Options{
		Upstream:     "http://127.0.0.1:8080",
		Public:       []string{"/", "/_next/:path*"},
		Allow:        gateway.Allow{Domains: []string{"example.com"}},
		PassIdentity: true,
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range []string{"/", "/_next/static/app.js", "/orders/7", "/_next/%2e%2e/orders/7"} {
		protected, bad := g.Protected(p)
		fmt.Println(p, "protected:", protected, "bad:", bad)
	}
	// g serves /auth/… (forward-auth included) and proxies the rest.
	_ = http.ListenAndServe // http.ListenAndServe(":3000", g)
	// Output:
	// / protected: false bad: false
	// /_next/static/app.js protected: false bad: false
	// /orders/7 protected: true bad: false
	// /_next/%2e%2e/orders/7 protected: true bad: true
}

// Forward-auth for nginx (auth_request) or Caddy and Traefik in front of
// an app: mount the handlers next to the auth endpoints, and trust the
// proxy's address for its forwarding headers.
func ExampleGateway_ForwardAuth() {
	a, err := authgo.New(authgo.Config{
		Secret:         []string{"an example secret of at least 32 bytes"},
		URL:            "https://app.example.com/auth",
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.2/32")}, // nginx
	})
	if err != nil {
		log.Fatal(err)
	}
	g, err := gateway.New(a, gateway.Options{Public: []string{"/"}, PassIdentity: true})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/auth/", a)
	mux.Handle("/auth/forward-auth", g.ForwardAuth())
	mux.Handle("/auth/forward-auth/redirect", g.ForwardAuthRedirect())

	// nginx asks about /orders/7 for a browser without a session.
	r := httptest.NewRequest("GET", "https://app.example.com/auth/forward-auth", nil)
	r.RemoteAddr = "10.0.0.2:51000"
	r.Header.Set("X-Original-URI", "/orders/7")
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, r)
	fmt.Println(w.Code)

	// Traefik asks the redirect endpoint.
	r = httptest.NewRequest("GET", "https://app.example.com/auth/forward-auth/redirect", nil)
	r.RemoteAddr = "10.0.0.2:51000"
	r.Header.Set("X-Forwarded-Uri", "/orders/7")
	r.Header.Set("X-Forwarded-Proto", "https")
	r.Header.Set("X-Forwarded-Host", "app.example.com")
	w = httptest.NewRecorder()
	mux.ServeHTTP(w, r)
	fmt.Println(w.Code, w.Header().Get("Location"))
	// Output:
	// 401
	// 302 https://app.example.com/auth/signin?callbackUrl=https%3A%2F%2Fapp.example.com%2Forders%2F7
}
