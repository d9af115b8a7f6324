package credentials_test

import (
	"context"
	"crypto/subtle"
	"fmt"
	"log"
	"net/http"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/provider"
	"github.com/authgo/authgo/providers/credentials"
)

func ExampleNew() {
	p, err := credentials.New(credentials.Options{
		Name: "Email and password",
		Fields: []provider.Field{
			{Name: "email", Label: "Email", Type: "email"},
			{Name: "password", Label: "Password", Type: "password"},
		},
		Authorize: func(ctx context.Context, c provider.Credentials, r *http.Request) (*authgo.User, error) {
			// Look the user up and verify a password hash in constant time;
			// spend the same time on unknown users.
			if subtle.ConstantTimeCompare([]byte(c["password"]), []byte("correct horse")) == 1 && c["email"] == "alice@example.com" {
				return &authgo.User{ID: "user-1", Email: c["email"]}, nil
			}
			return nil, nil
		},
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
