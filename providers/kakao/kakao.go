// Package kakao is the Kakao Login provider (OAuth 2.0), Auth.js's Kakao
// preset: authorization at kauth.kakao.com, the profile from
// https://kapi.kakao.com/v2/user/me, client_secret_post.
//
// Register an app at https://developers.kakao.com with the redirect URI
// <origin><base>/callback/kakao, turn on its client secret, and pass the
// REST API key and the secret (AUTH_KAKAO_ID and AUTH_KAKAO_SECRET for
// cmd/authgo).
//
// The user's id is Kakao's numeric member id. Name, email and image come
// from kakao_account and need the user's consent; the profile keeps
// kakao_account.is_email_verified for a SignIn callback to check.
package kakao

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

// Options configure the Kakao provider. ClientID (the REST API key) and
// ClientSecret are required.
type Options struct {
	ClientID     string
	ClientSecret string

	// ID is the provider id. Default "kakao".
	ID string
	// Name is shown on the sign-in page. Default "Kakao".
	Name string
	// Scopes are the consent items to ask for (e.g. "profile_nickname",
	// "profile_image", "account_email"), sent comma-separated as Kakao
	// expects. Default: none, the ones set up for the app.
	Scopes []string
	// AuthParams are added to the authorization request (e.g. prompt=login).
	// A "scope" here replaces Scopes.
	AuthParams url.Values
	// Profile maps the /v2/user/me response to the user. Default: id,
	// kakao_account.profile.nickname, kakao_account.email,
	// kakao_account.profile.profile_image_url.
	Profile oauth.ProfileFunc

	// AuthBaseURL replaces https://kauth.kakao.com and APIBaseURL
	// https://kapi.kakao.com, for tests.
	AuthBaseURL string
	APIBaseURL  string

	// AllowDangerousEmailAccountLinking: see package oauth.
	AllowDangerousEmailAccountLinking bool
	// HTTPClient and Timeout: see package oauth.
	HTTPClient *http.Client
	Timeout    time.Duration
}

// New returns the Kakao provider, an *oauth.Provider. It makes no request.
func New(o Options) (*oauth.Provider, error) {
	auth := strings.TrimSuffix(o.AuthBaseURL, "/")
	if auth == "" {
		auth = "https://kauth.kakao.com"
	}
	api := strings.TrimSuffix(o.APIBaseURL, "/")
	if api == "" {
		api = "https://kapi.kakao.com"
	}
	if o.ID == "" {
		o.ID = "kakao"
	}
	if o.Name == "" {
		o.Name = "Kakao"
	}
	if o.Profile == nil {
		o.Profile = profile
	}
	params := url.Values{}
	if len(o.Scopes) > 0 {
		params.Set("scope", strings.Join(o.Scopes, ","))
	}
	for k, vs := range o.AuthParams {
		params[k] = vs
	}
	return oauth.New(oauth.Options{
		ID: o.ID, Name: o.Name,
		ClientID: o.ClientID, ClientSecret: o.ClientSecret,
		AuthStyle:                         oauth.AuthStylePost,
		AuthURL:                           auth + "/oauth/authorize",
		TokenURL:                          auth + "/oauth/token",
		UserinfoURL:                       api + "/v2/user/me",
		AuthParams:                        params,
		Profile:                           o.Profile,
		AllowDangerousEmailAccountLinking: o.AllowDangerousEmailAccountLinking,
		HTTPClient:                        o.HTTPClient,
		Timeout:                           o.Timeout,
	})
}

func profile(_ context.Context, p map[string]any, _ provider.TokenSet) (*authgo.User, error) {
	account := oauthcore.Object(p, "kakao_account")
	prof := oauthcore.Object(account, "profile")
	u := &authgo.User{
		ID:    oauthcore.ID(p, "id"),
		Name:  oauthcore.String(prof, "nickname"),
		Email: oauthcore.String(account, "email"),
		Image: oauthcore.String(prof, "profile_image_url"),
	}
	if u.ID == "" {
		return nil, errors.New(`kakao: the profile has no "id"`)
	}
	return u, nil
}
