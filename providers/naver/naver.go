// Package naver is the Naver Login provider (OAuth 2.0), Auth.js's Naver
// preset: authorization at nid.naver.com, the profile from
// https://openapi.naver.com/v1/nid/me.
//
// Register an application at https://developers.naver.com with the
// callback URL <origin><base>/callback/naver and pass its Client ID and
// Client Secret (AUTH_NAVER_ID and AUTH_NAVER_SECRET for cmd/authgo).
//
// Unlike Auth.js's preset, which uses the client_secret_basic default, the
// token request sends the credentials in the body (client_secret_post), as
// Naver's documentation describes its token endpoint. (Build an
// oauth.Provider with these endpoints to choose otherwise.)
package naver

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/provider"
	"github.com/authgo/authgo/providers/internal/oauthcore"
	"github.com/authgo/authgo/providers/oauth"
)

// Options configure the Naver provider. ClientID and ClientSecret are
// required.
type Options struct {
	ClientID     string
	ClientSecret string

	// ID is the provider id. Default "naver".
	ID string
	// Name is shown on the sign-in page. Default "Naver".
	Name string
	// AuthParams are added to the authorization request (e.g.
	// auth_type=reprompt).
	AuthParams url.Values
	// Profile maps the /v1/nid/me response to the user. Default:
	// response.id, response.nickname, response.email,
	// response.profile_image.
	Profile oauth.ProfileFunc

	// AuthBaseURL replaces https://nid.naver.com and APIBaseURL
	// https://openapi.naver.com, for tests.
	AuthBaseURL string
	APIBaseURL  string

	// AllowDangerousEmailAccountLinking: see package oauth.
	AllowDangerousEmailAccountLinking bool
	// HTTPClient and Timeout: see package oauth.
	HTTPClient *http.Client
	Timeout    time.Duration
}

// New returns the Naver provider, an *oauth.Provider. It makes no request.
func New(o Options) (*oauth.Provider, error) {
	auth := strings.TrimSuffix(o.AuthBaseURL, "/")
	if auth == "" {
		auth = "https://nid.naver.com"
	}
	api := strings.TrimSuffix(o.APIBaseURL, "/")
	if api == "" {
		api = "https://openapi.naver.com"
	}
	if o.ID == "" {
		o.ID = "naver"
	}
	if o.Name == "" {
		o.Name = "Naver"
	}
	if o.Profile == nil {
		o.Profile = profile
	}
	return oauth.New(oauth.Options{
		ID: o.ID, Name: o.Name,
		ClientID: o.ClientID, ClientSecret: o.ClientSecret, AuthStyle: oauth.AuthStylePost,
		AuthURL:                           auth + "/oauth2.0/authorize",
		TokenURL:                          auth + "/oauth2.0/token",
		UserinfoURL:                       api + "/v1/nid/me",
		AuthParams:                        o.AuthParams,
		Profile:                           o.Profile,
		AllowDangerousEmailAccountLinking: o.AllowDangerousEmailAccountLinking,
		HTTPClient:                        o.HTTPClient,
		Timeout:                           o.Timeout,
	})
}

func profile(_ context.Context, p map[string]any, _ provider.TokenSet) (*authgo.User, error) {
	r := oauthcore.Object(p, "response")
	u := &authgo.User{
		ID:    oauthcore.ID(r, "id"),
		Name:  oauthcore.String(r, "nickname"),
		Email: oauthcore.String(r, "email"),
		Image: oauthcore.String(r, "profile_image"),
	}
	if u.ID == "" {
		return nil, errors.New(`naver: the profile has no "response.id"`)
	}
	return u, nil
}
