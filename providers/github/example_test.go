package github_test

import (
	"fmt"
	"log"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/provider"
	"github.com/authgo/authgo/providers/github"
)

func ExampleNew() {
	p, err := github.New(github.Options{
		// In a program: os.Getenv("AUTH_GITHUB_ID") and os.Getenv("AUTH_GITHUB_SECRET").
		ClientID:     "Iv1.0123456789abcdef",
		ClientSecret: "github-client-secret",
	})
	if err != nil {
		log.Fatal(err)
	}
	a, err := authgo.New(authgo.Config{
		Secret:    []string{"a-secret-of-at-least-32-bytes-from-authgo-secret"},
		URL:       "https://app.example.com",
		Providers: []provider.Provider{p},
	})
	if err != nil {
		log.Fatal(err)
	}
	// The OAuth app's callback URL is <URL><base>/callback/github.
	fmt.Println(p.ID(), p.Name(), p.Type(), a.BasePath()+"/callback/"+p.ID())
	// Output: github GitHub oauth /auth/callback/github
}
