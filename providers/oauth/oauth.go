// Package oauth is the generic OAuth 2.0 provider (authorization code flow
// with PKCE), Auth.js's provider of type "oauth": the user signs in at an
// authorization server, authgo redeems the code at its token endpoint and
// asks its userinfo endpoint who that is.
//
// authgo runs the flow and its checks (state and PKCE S256 always, kept in
// encrypted cookies); this package only talks to the server. For OpenID
// Connect providers, which sign an ID token, use package oidc instead: a
// plain OAuth 2.0 provider trusts its userinfo endpoint, reached over TLS
// with the access token it just issued.
//
// # Outbound calls
//
// Every request this package makes (token, userinfo, revocation) goes
// through a copy of Options.HTTPClient that follows no redirects, gives up
// after Options.Timeout (10 seconds by default) and refuses a response body
// over 1 MiB, so a slow or hostile endpoint fails the sign-in quickly
// instead of holding it.
//
// # Errors
//
// Errors start with "oauth: ". An error response of the token endpoint
// (RFC 6749 §5.2) stays in the chain as *oauth2.RetrieveError, so a caller
// of [Provider.Refresh] can tell invalid_grant (the refresh token is dead:
// sign the user out) from a transient failure (try again later):
//
//	var re *oauth2.RetrieveError
//	if errors.As(err, &re) && re.ErrorCode == "invalid_grant" { … }
package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/provider"
	"github.com/authgo/authgo/providers/internal/oauthcore"
)

// AuthStyle is how the client authenticates at the token and revocation
// endpoints.
type AuthStyle int

// Client authentication methods.
const (
	// AuthStyleBasic sends the client id and secret in an HTTP Basic
	// Authorization header, each form-urlencoded first (RFC 6749 §2.3.1):
	// client_secret_basic, Auth.js's default. An id "client id+1" and secret
	// "s3cr3t/+" give "Basic Y2xpZW50K2lkJTJCMTpzM2NyM3QlMkYlMkI=".
	AuthStyleBasic AuthStyle = iota
	// AuthStylePost sends them as client_id and client_secret in the
	// request body: client_secret_post.
	AuthStylePost
	// AuthStyleNone sends only client_id in the body, for a public client
	// without a secret: "none".
	AuthStyleNone
)

func (s AuthStyle) oauth2() (oauth2.AuthStyle, error) {
	switch s {
	case AuthStyleBasic:
		return oauth2.AuthStyleInHeader, nil
	case AuthStylePost, AuthStyleNone:
		return oauth2.AuthStyleInParams, nil
	}
	return 0, fmt.Errorf("unknown AuthStyle %d", int(s))
}

// String returns the OAuth name of the method: "client_secret_basic",
// "client_secret_post" or "none".
func (s AuthStyle) String() string {
	switch s {
	case AuthStyleBasic:
		return "client_secret_basic"
	case AuthStylePost:
		return "client_secret_post"
	case AuthStyleNone:
		return "none"
	}
	return fmt.Sprintf("AuthStyle(%d)", int(s))
}

// ProfileFunc maps the provider's profile (the userinfo response, numbers
// as json.Number) to the user who signed in. User.ID must be the
// provider's stable id for them: it becomes the account's
// providerAccountId and the session's sub.
type ProfileFunc func(ctx context.Context, raw map[string]any, tokens provider.TokenSet) (*authgo.User, error)

// UserinfoFunc fetches the profile in place of a GET of UserinfoURL. client
// is the provider's HTTP client, with its limits; use it for every request.
type UserinfoFunc func(ctx context.Context, client *http.Client, tokens provider.TokenSet) (map[string]any, error)

// Options configure a generic OAuth 2.0 provider. Only ID, ClientID,
// AuthURL, TokenURL and either UserinfoURL or Userinfo are required.
type Options struct {
	// ID is the provider id, the last segment of <base>/signin/<id> and
	// <base>/callback/<id>: lowercase letters, digits, "-" and "_".
	// Required.
	ID string
	// Name is shown on the sign-in page. Default: ID.
	Name string

	// ClientID and ClientSecret are the client's credentials at the
	// authorization server. ClientID is required; ClientSecret too unless
	// AuthStyle is AuthStyleNone.
	ClientID     string
	ClientSecret string

	// AuthURL is the authorization endpoint. A query it carries is kept,
	// first in the authorization request.
	AuthURL string
	// TokenURL is the token endpoint.
	TokenURL string
	// UserinfoURL is fetched with the access token as a Bearer token after
	// the code is redeemed; its JSON object is the profile. Required unless
	// Userinfo is set.
	UserinfoURL string
	// RevocationURL, when set, is the RFC 7009 endpoint [Provider.Revoke]
	// posts to; authgo revokes the refresh token it holds at sign-out.
	RevocationURL string
	// Issuer is the authorization server's issuer identifier, if it has
	// one. When set and the callback carries an iss parameter (RFC 9207),
	// the two must be equal: a response from another server is refused.
	Issuer string

	// Scopes are sent space-separated as the scope parameter. Default:
	// none (the server's default).
	Scopes []string
	// AuthParams are added to the authorization request after the query of
	// AuthURL, e.g. access_type=offline or prompt=consent. A "scope" here
	// replaces Scopes. The parameters authgo sets (state, code_challenge,
	// code_challenge_method, nonce, redirect_uri, client_id, response_type,
	// response_mode, request, request_uri) cannot be given here.
	AuthParams url.Values
	// AuthStyle is the client authentication method. Default:
	// client_secret_basic, as in Auth.js.
	AuthStyle AuthStyle

	// Profile maps the profile to the user. Default: id from "sub" or "id"
	// (a number in integer form), name from "name", "nickname",
	// "preferred_username" or "login", email from "email", image from
	// "picture", "avatar_url" or "image". A profile without an id fails the
	// sign-in.
	Profile ProfileFunc
	// Userinfo, when set, fetches the profile instead of a GET of
	// UserinfoURL (Auth.js's userinfo.request).
	Userinfo UserinfoFunc

	// AllowDangerousEmailAccountLinking lets an adapter link this
	// provider's account to an existing user with the same email address
	// without asking, as Auth.js's option of that name does. Turn it on
	// only for providers that verify email addresses and never let a user
	// change theirs to someone else's: otherwise whoever controls an
	// account there can take over the matching account here. The provider
	// only stores it; see [Provider.AllowDangerousEmailAccountLinking].
	AllowDangerousEmailAccountLinking bool

	// HTTPClient is copied for the calls to the server (its Transport, Jar
	// and Timeout); see the package doc for the limits added. Default:
	// http.DefaultTransport.
	HTTPClient *http.Client
	// Timeout bounds each outbound request. Default: HTTPClient.Timeout if
	// set, otherwise 10 seconds.
	Timeout time.Duration
	// Now is the clock for token expiry. Default: time.Now.
	Now func() time.Time
}

// Provider is a generic OAuth 2.0 provider. It implements
// [provider.OAuthProvider], [provider.Refresher] and
// [provider.RevokingProvider]. It is immutable and safe for concurrent use.
type Provider struct {
	o      Options
	client *oauthcore.Client
}

// New returns an OAuth 2.0 provider. It checks the options: a valid id, a
// client id (and secret, unless AuthStyle is AuthStyleNone), https
// endpoints (plain http only on loopback hosts) and a way to get the
// profile. It makes no request.
func New(o Options) (*Provider, error) {
	if !oauthcore.ValidID(o.ID) {
		return nil, fmt.Errorf("oauth: provider id %q: want lowercase letters, digits, '-' and '_' (at most 64)", o.ID)
	}
	if o.Name == "" {
		o.Name = o.ID
	}
	if o.ClientID == "" {
		return nil, fmt.Errorf("oauth: %s: Options.ClientID is required", o.ID)
	}
	style, err := o.AuthStyle.oauth2()
	if err != nil {
		return nil, fmt.Errorf("oauth: %s: %w", o.ID, err)
	}
	switch {
	case o.AuthStyle == AuthStyleNone && o.ClientSecret != "":
		return nil, fmt.Errorf("oauth: %s: AuthStyleNone sends no client secret, but Options.ClientSecret is set", o.ID)
	case o.AuthStyle != AuthStyleNone && o.ClientSecret == "":
		return nil, fmt.Errorf("oauth: %s: Options.ClientSecret is required with %s", o.ID, o.AuthStyle)
	}
	for _, e := range []struct {
		name, url string
		required  bool
	}{
		{"AuthURL", o.AuthURL, true},
		{"TokenURL", o.TokenURL, true},
		{"UserinfoURL", o.UserinfoURL, o.Userinfo == nil},
		{"RevocationURL", o.RevocationURL, false},
	} {
		if e.url == "" {
			if e.required {
				return nil, fmt.Errorf("oauth: %s: Options.%s is required", o.ID, e.name)
			}
			continue
		}
		if err := oauthcore.ValidEndpoint(e.url); err != nil {
			return nil, fmt.Errorf("oauth: %s: Options.%s: %w", o.ID, e.name, err)
		}
	}
	au, _ := url.Parse(o.AuthURL)
	for k := range au.Query() {
		if oauthcore.Reserved[k] {
			return nil, fmt.Errorf("oauth: %s: Options.AuthURL may not set %q; authgo sets it", o.ID, k)
		}
	}
	for k := range o.AuthParams {
		if oauthcore.Reserved[k] {
			return nil, fmt.Errorf("oauth: %s: Options.AuthParams may not set %q; authgo sets it", o.ID, k)
		}
	}
	params := url.Values{}
	if len(o.Scopes) > 0 {
		params.Set("scope", strings.Join(o.Scopes, " "))
	}
	for k, vs := range o.AuthParams {
		params[k] = append([]string(nil), vs...)
	}
	o.AuthParams = params
	o.Scopes = append([]string(nil), o.Scopes...)
	if o.Profile == nil {
		o.Profile = func(_ context.Context, raw map[string]any, _ provider.TokenSet) (*authgo.User, error) {
			return oauthcore.DefaultUser(raw)
		}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	hc := oauthcore.NewClient(o.HTTPClient, o.Timeout)
	return &Provider{o: o, client: &oauthcore.Client{
		ClientID: o.ClientID, ClientSecret: o.ClientSecret, TokenURL: o.TokenURL,
		Style: style, HTTP: hc, Now: o.Now,
	}}, nil
}

// ID implements provider.Provider.
func (p *Provider) ID() string { return p.o.ID }

// Name implements provider.Provider.
func (p *Provider) Name() string { return p.o.Name }

// Type implements provider.Provider: provider.TypeOAuth.
func (p *Provider) Type() provider.Type { return provider.TypeOAuth }

// UsesNonce implements provider.OAuthProvider: false, a plain OAuth 2.0
// server issues no ID token to carry one.
func (p *Provider) UsesNonce() bool { return false }

// AllowDangerousEmailAccountLinking reports the option of that name.
func (p *Provider) AllowDangerousEmailAccountLinking() bool {
	return p.o.AllowDangerousEmailAccountLinking
}

// HTTPClient returns the client the provider makes its requests with: a
// copy of Options.HTTPClient with the limits described in the package doc.
func (p *Provider) HTTPClient() *http.Client { return p.client.HTTP }

// AuthCodeURL implements provider.OAuthProvider. The URL carries, in this
// order, the query of AuthURL and the configured parameters (scope,
// AuthParams), response_type=code, client_id and redirect_uri, then the
// sign-in request's parameters (c.Extra: prompt, login_hint, scope, …,
// which replace configured ones of the same name, as in Auth.js), then
// state, code_challenge and code_challenge_method=S256. Extra can never
// set state, code_challenge, code_challenge_method, nonce, redirect_uri,
// client_id, response_type, response_mode, request or request_uri.
func (p *Provider) AuthCodeURL(_ context.Context, c provider.AuthCodeParams) (string, error) {
	c.Nonce = ""
	u, err := oauthcore.AuthURL(oauthcore.AuthRequest{
		Endpoint: p.o.AuthURL, Params: p.o.AuthParams, ClientID: p.o.ClientID, P: c,
	})
	if err != nil {
		return "", fmt.Errorf("oauth: %w", err)
	}
	return u, nil
}

// Exchange implements provider.OAuthProvider: it checks the callback's iss
// parameter against Options.Issuer (RFC 9207), redeems the code with the
// PKCE verifier, fetches the profile and maps it to the user.
func (p *Provider) Exchange(ctx context.Context, e provider.ExchangeParams) (*provider.OAuthResult, error) {
	if err := oauthcore.CheckIssuerParam(e.Params, e.Callback, p.o.Issuer, false); err != nil {
		return nil, fmt.Errorf("oauth: %w", err)
	}
	_, ts, err := p.client.Exchange(ctx, e.Code, e.CodeVerifier, e.RedirectURI)
	if err != nil {
		return nil, fmt.Errorf("oauth: token request: %w", err)
	}
	var raw map[string]any
	if p.o.Userinfo != nil {
		raw, err = p.o.Userinfo(ctx, p.client.HTTP, ts)
	} else {
		raw, err = oauthcore.GetJSON(ctx, p.client.HTTP, p.o.UserinfoURL, ts.AccessToken, nil)
	}
	if err != nil {
		return nil, fmt.Errorf("oauth: userinfo: %w", err)
	}
	if raw == nil {
		return nil, errors.New("oauth: userinfo: no profile")
	}
	u, err := p.o.Profile(ctx, raw, ts)
	if err != nil {
		return nil, fmt.Errorf("oauth: profile: %w", err)
	}
	if u == nil || u.ID == "" {
		return nil, errors.New("oauth: profile: no user id")
	}
	return &provider.OAuthResult{User: u, Tokens: ts, Profile: raw}, nil
}

// Refresh implements provider.Refresher: a refresh_token grant at
// the token endpoint. The TokenSet carries the new refresh token when the
// server rotated it and the one given otherwise. A dead refresh token
// comes back as an error wrapping *oauth2.RetrieveError with ErrorCode
// "invalid_grant".
func (p *Provider) Refresh(ctx context.Context, refreshToken string) (*provider.TokenSet, error) {
	_, ts, err := p.client.Refresh(ctx, refreshToken)
	if err != nil {
		return nil, fmt.Errorf("oauth: refresh: %w", err)
	}
	return &ts, nil
}

// Revoke implements provider.RevokingProvider: an RFC 7009 request to
// Options.RevocationURL with the client's authentication. Without a
// RevocationURL it returns an error wrapping errors.ErrUnsupported and
// makes no request.
func (p *Provider) Revoke(ctx context.Context, token, tokenTypeHint string) error {
	if p.o.RevocationURL == "" {
		return fmt.Errorf("oauth: no revocation endpoint: %w", errors.ErrUnsupported)
	}
	if err := p.client.Revoke(ctx, p.o.RevocationURL, token, tokenTypeHint); err != nil {
		return fmt.Errorf("oauth: revoke: %w", err)
	}
	return nil
}

var (
	_ provider.OAuthProvider    = (*Provider)(nil)
	_ provider.Refresher        = (*Provider)(nil)
	_ provider.RevokingProvider = (*Provider)(nil)
)
