package oauth_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/url"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/provider"
	"github.com/authgo/authgo/providers/oauth"
)

func ExampleNew() {
	p, err := oauth.New(oauth.Options{
		ID:           "acme",
		Name:         "Acme",
		ClientID:     "acme-client",
		ClientSecret: "acme-secret",
		AuthURL:      "https://login.acme.example/oauth/authorize",
		TokenURL:     "https://login.acme.example/oauth/token",
		UserinfoURL:  "https://api.acme.example/me",
		Scopes:       []string{"profile", "email"},
		AuthParams:   url.Values{"prompt": {"consent"}},
		// Acme's profile keeps its numeric user id in "user_id". Numbers
		// arrive as json.Number, so large ids keep every digit.
		Profile: func(ctx context.Context, raw map[string]any, _ provider.TokenSet) (*authgo.User, error) {
			id, _ := raw["user_id"].(json.Number)
			if id == "" {
				return nil, errors.New("no user_id")
			}
			email, _ := raw["email"].(string)
			return &authgo.User{ID: id.String(), Email: email}, nil
		},
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
	fmt.Println(p.ID(), p.Name(), p.Type(), a.BasePath())
	u, _ := p.AuthCodeURL(context.Background(), provider.AuthCodeParams{
		State: "STATE", CodeChallenge: "CHALLENGE", RedirectURI: "https://app.example.com/auth/callback/acme",
	})
	fmt.Println(u)
	// Output:
	// acme Acme oauth /auth
	// https://login.acme.example/oauth/authorize?prompt=consent&scope=profile+email&response_type=code&client_id=acme-client&redirect_uri=https%3A%2F%2Fapp.example.com%2Fauth%2Fcallback%2Facme&state=STATE&code_challenge=CHALLENGE&code_challenge_method=S256
}
