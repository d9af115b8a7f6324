// Package github is the GitHub provider (OAuth 2.0), Auth.js's GitHub
// preset: the user signs in with their GitHub account, and authgo takes
// their id, name, email and avatar from GitHub's REST API.
//
// Register an OAuth app at https://github.com/settings/developers with the
// callback URL <origin><base>/callback/github, and pass its client id and
// secret (AUTH_GITHUB_ID and AUTH_GITHUB_SECRET for cmd/authgo).
//
// The account id (GitHub's numeric user id) is stable; the login and email
// are not: a user can rename themselves or change their address. When the
// profile shows no public email, the provider asks GET /user/emails (the
// user:email scope) and takes the primary address if it is verified, or
// else the first verified one; unverified addresses are never used. The
// profile's email_verified says whether the address is verified (for a
// public address, as GET /user/emails lists it; absent when that list
// cannot be read), and authgo records it in the session with the login as
// preferred_username.
package github

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

// Options configure the GitHub provider. ClientID and ClientSecret are
// required.
type Options struct {
	ClientID     string
	ClientSecret string

	// ID is the provider id. Default "github".
	ID string
	// Name is shown on the sign-in page. Default "GitHub".
	Name string
	// Scopes default to "read:user" and "user:email", as in Auth.js.
	Scopes []string
	// AuthParams are added to the authorization request (e.g.
	// allow_signup=false).
	AuthParams url.Values
	// Profile maps GitHub's /user response (with the email filled in as
	// described in the package doc) to the user. Default: id, name (login
	// when it has none), email, avatar_url.
	Profile oauth.ProfileFunc

	// BaseURL is GitHub's web origin. Default "https://github.com"; set it
	// for GitHub Enterprise Server.
	BaseURL string
	// APIURL is the REST API root. Default "https://api.github.com", or
	// BaseURL + "/api/v3" when BaseURL is set.
	APIURL string

	// AllowDangerousEmailAccountLinking: see the option of that name in
	// package oauth.
	AllowDangerousEmailAccountLinking bool
	// HTTPClient and Timeout: see package oauth.
	HTTPClient *http.Client
	Timeout    time.Duration
}

// New returns the GitHub provider, an *oauth.Provider. It makes no request.
func New(o Options) (*oauth.Provider, error) {
	base, api := strings.TrimSuffix(o.BaseURL, "/"), strings.TrimSuffix(o.APIURL, "/")
	if base == "" {
		base = "https://github.com"
		if api == "" {
			api = "https://api.github.com"
		}
	} else if api == "" {
		api = base + "/api/v3"
	}
	if err := oauthcore.ValidEndpoint(api); err != nil {
		return nil, errors.New("github: Options.APIURL: " + err.Error())
	}
	if o.ID == "" {
		o.ID = "github"
	}
	if o.Name == "" {
		o.Name = "GitHub"
	}
	if len(o.Scopes) == 0 {
		o.Scopes = []string{"read:user", "user:email"}
	}
	if o.Profile == nil {
		o.Profile = profile
	}
	return oauth.New(oauth.Options{
		ID: o.ID, Name: o.Name,
		ClientID: o.ClientID, ClientSecret: o.ClientSecret,
		AuthURL:  base + "/login/oauth/authorize",
		TokenURL: base + "/login/oauth/access_token",
		Issuer:   base + "/login/oauth",
		Scopes:   o.Scopes, AuthParams: o.AuthParams,
		Userinfo: func(ctx context.Context, c *http.Client, t provider.TokenSet) (map[string]any, error) {
			return userinfo(ctx, c, api, t.AccessToken)
		},
		Profile:                           o.Profile,
		AllowDangerousEmailAccountLinking: o.AllowDangerousEmailAccountLinking,
		HTTPClient:                        o.HTTPClient,
		Timeout:                           o.Timeout,
	})
}

var apiHeader = http.Header{
	"Accept":               {"application/vnd.github+json"},
	"User-Agent":           {"authgo"},
	"X-Github-Api-Version": {"2022-11-28"},
}

// email is an entry of GET /user/emails.
type email struct {
	Email    string `json:"email"`
	Primary  bool   `json:"primary"`
	Verified bool   `json:"verified"`
}

func userinfo(ctx context.Context, c *http.Client, api, accessToken string) (map[string]any, error) {
	p, err := oauthcore.GetJSON(ctx, c, api+"/user", accessToken, apiHeader)
	if err != nil {
		return nil, err
	}
	public := oauthcore.String(p, "email")
	var emails []email
	err = oauthcore.GetJSONInto(ctx, c, api+"/user/emails", accessToken, apiHeader, &emails)
	var se *oauthcore.StatusError
	switch {
	case errors.As(err, &se):
		return p, nil // no user:email scope, or a GitHub App without the permission
	case err != nil:
		if public != "" {
			return p, nil // the address is known; whether it is verified is not
		}
		return nil, err
	}
	if public != "" {
		// A public address is verified when the list says so.
		for _, e := range emails {
			if strings.EqualFold(e.Email, public) {
				p["email_verified"] = e.Verified
			}
		}
		return p, nil
	}
	if e := pickEmail(emails); e != "" {
		p["email"] = e
		p["email_verified"] = true
	}
	return p, nil
}

// pickEmail returns the primary address if it is verified, or else the
// first verified one, or "".
func pickEmail(emails []email) string {
	for _, e := range emails {
		if e.Primary && e.Verified && e.Email != "" {
			return e.Email
		}
	}
	for _, e := range emails {
		if e.Verified && e.Email != "" {
			return e.Email
		}
	}
	return ""
}

func profile(_ context.Context, p map[string]any, _ provider.TokenSet) (*authgo.User, error) {
	u := &authgo.User{
		ID:    oauthcore.ID(p, "id"),
		Name:  oauthcore.String(p, "name"),
		Email: oauthcore.String(p, "email"),
		Image: oauthcore.String(p, "avatar_url"),
	}
	if u.Name == "" {
		u.Name = oauthcore.String(p, "login")
	}
	if u.ID == "" {
		return nil, errors.New(`github: the profile has no "id"`)
	}
	return u, nil
}
