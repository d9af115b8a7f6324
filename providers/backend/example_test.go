package backend_test

import (
	"fmt"
	"log"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/provider"
	"github.com/authgo/authgo/providers/backend"
)

func ExampleNew() {
	p, err := backend.New(backend.Options{
		LoginURL:   "https://api.example.com/auth/login",
		RefreshURL: "https://api.example.com/auth/refresh",
		// Clients holding an access token may sign in with it; authgo
		// verifies it against the back end's keys first.
		JWKSURL:  "https://api.example.com/.well-known/jwks.json",
		Issuer:   "https://api.example.com",
		Audience: "https://api.example.com",
		// The back end answers {"token": …, "refresh": …, "ttl": 900}.
		AccessTokenField:  "token",
		RefreshTokenField: "refresh",
		ExpiresInField:    "ttl",
	})
	if err != nil {
		log.Fatal(err)
	}
	a, err := authgo.New(authgo.Config{
		Secret:    []string{"a-secret-of-at-least-32-bytes-from-authgo-secret"},
		URL:       "https://example.com",
		Providers: []provider.Provider{p},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p.ID(), p.Type(), a.BasePath())
	// Output: credentials credentials /auth
}

func ExampleFromEnv() {
	env := map[string]string{
		"AUTH_BACKEND_LOGIN_URL":   "https://api.example.com/auth/login",
		"AUTH_BACKEND_REFRESH_URL": "https://api.example.com/auth/refresh",
	}
	p, err := backend.FromEnv(func(k string) string { return env[k] })
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p.ID(), p.Name())

	// A program reads its own environment; without AUTH_BACKEND_LOGIN_URL
	// there is no provider.
	p, err = backend.FromEnv(func(string) string { return "" })
	fmt.Println(p == nil, err)
	// Output:
	// credentials Credentials
	// true <nil>
}
