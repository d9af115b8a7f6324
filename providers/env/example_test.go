package env_test

import (
	"fmt"
	"log"
	"net/http"
	"time"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/providers/env"
)

func ExampleFromEnv() {
	// A program passes os.Getenv; a map stands in for the environment here.
	vars := map[string]string{
		"AUTH_GITHUB_ID":     "Iv1.0123456789abcdef",
		"AUTH_GITHUB_SECRET": "github-secret",
		"AUTH_OIDC_ISSUER":   "https://sso.corp.example/realms/main",
		"AUTH_OIDC_ID":       "authgo",
		"AUTH_OIDC_SECRET":   "oidc-secret",
		"AUTH_OIDC_NAME":     "Corp SSO",
	}
	ps, err := env.FromEnv(func(k string) string { return vars[k] }, env.Options{
		HTTPClient: &http.Client{Timeout: 5 * time.Second},
	})
	if err != nil {
		log.Fatal(err)
	}
	a, err := authgo.New(authgo.Config{
		Secret:    []string{"a-secret-of-at-least-32-bytes-from-authgo-secret"},
		URL:       "https://app.example.com",
		Providers: ps,
	})
	if err != nil {
		log.Fatal(err)
	}
	_ = a
	for _, p := range ps {
		fmt.Println(p.ID(), p.Type(), p.Name())
	}
	// Output:
	// github oauth GitHub
	// oidc oidc Corp SSO
}
