package gateway_test

import (
	"fmt"
	"log"
	"net/http"

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
