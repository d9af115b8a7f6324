// Package google is the Google provider (OpenID Connect), Auth.js's Google
// preset: issuer https://accounts.google.com, the user's sub, name, email
// and picture from the verified ID token.
//
// Create an OAuth client ID of type "Web application" in the Google Cloud
// console with the redirect URI <origin><base>/callback/google, and pass
// its id and secret (AUTH_GOOGLE_ID and AUTH_GOOGLE_SECRET for
// cmd/authgo).
//
// Google issues a refresh token only when asked: set AuthParams to
// access_type=offline and prompt=consent. The ID token's email_verified
// and hd (Workspace domain) claims are in the profile for a SignIn
// callback that restricts who may sign in.
package google

import (
	"net/http"
	"net/url"
	"time"

	"github.com/authgo/authgo/providers/oidc"
)

// Issuer is Google's issuer identifier.
const Issuer = "https://accounts.google.com"

// Options configure the Google provider. ClientID and ClientSecret are
// required.
type Options struct {
	ClientID     string
	ClientSecret string

	// ID is the provider id. Default "google".
	ID string
	// Name is shown on the sign-in page. Default "Google".
	Name string
	// Scopes default to "openid profile email".
	Scopes []string
	// AuthParams are added to the authorization request, e.g.
	// access_type=offline, prompt=consent, hd=example.com (a hint only:
	// check the hd claim in a SignIn callback).
	AuthParams url.Values
	// Profile maps the ID token's claims to the user. Default: sub, name,
	// email, picture.
	Profile oidc.ProfileFunc

	// Issuer replaces Google's issuer, for tests. Default Issuer.
	Issuer string

	// AllowDangerousEmailAccountLinking: see package oidc.
	AllowDangerousEmailAccountLinking bool
	// HTTPClient, Timeout and Now: see package oidc.
	HTTPClient *http.Client
	Timeout    time.Duration
	Now        func() time.Time
}

// New returns the Google provider, an *oidc.Provider. It makes no request:
// Google's discovery document is read at the first sign-in.
func New(o Options) (*oidc.Provider, error) {
	if o.ID == "" {
		o.ID = "google"
	}
	if o.Name == "" {
		o.Name = "Google"
	}
	if o.Issuer == "" {
		o.Issuer = Issuer
	}
	return oidc.New(oidc.Options{
		ID: o.ID, Name: o.Name, Issuer: o.Issuer,
		ClientID: o.ClientID, ClientSecret: o.ClientSecret,
		Scopes: o.Scopes, AuthParams: o.AuthParams, Profile: o.Profile,
		AllowDangerousEmailAccountLinking: o.AllowDangerousEmailAccountLinking,
		HTTPClient:                        o.HTTPClient, Timeout: o.Timeout, Now: o.Now,
	})
}
