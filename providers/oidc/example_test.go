package oidc_test

import (
	"fmt"
	"log"

	"github.com/authgo/authgo/provider"
	"github.com/authgo/authgo/providers/oidc"
)

func ExampleNew() {
	p, err := oidc.New(oidc.Options{
		ID:           "corp",
		Name:         "Corp SSO",
		Issuer:       "https://sso.corp.example/realms/main",
		ClientID:     "authgo",
		ClientSecret: "client-secret",
		// Sign out at the IdP too (RP-initiated logout).
		SignOutAtProvider: true,
	})
	if err != nil {
		log.Fatal(err)
	}
	// Nothing has been fetched yet: discovery happens at the first
	// sign-in (or call p.Discover at startup to fail early).
	fmt.Println(p.ID(), p.Name(), p.Type(), p.UsesNonce(), p.Issuer())
	var _ provider.EndSessionProvider = p
	// Output: corp Corp SSO oidc true https://sso.corp.example/realms/main
}
