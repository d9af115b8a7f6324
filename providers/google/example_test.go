package google_test

import (
	"fmt"
	"log"
	"net/url"

	"github.com/authgo/authgo/providers/google"
)

func ExampleNew() {
	p, err := google.New(google.Options{
		ClientID:     "1234567890-abc.apps.googleusercontent.com",
		ClientSecret: "GOCSPX-example",
		// Ask for a refresh token.
		AuthParams: url.Values{"access_type": {"offline"}, "prompt": {"consent"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p.ID(), p.Name(), p.Type(), p.Issuer())
	// Output: google Google oidc https://accounts.google.com
}
