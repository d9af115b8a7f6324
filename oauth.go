package authgo

import (
	"context"
	"net/http"
	"net/url"
	"time"
)

// OAuthProvider signs users in through an OAuth 2.0 authorization server or
// an OpenID Connect provider (authorization code flow). The packages under
// providers/ (oauth, oidc, github, google, kakao, naver) build them.
//
// authgo runs the flow and its checks; the provider only talks to its
// server. State and PKCE (S256) are always used; a provider whose
// UsesNonce returns true also gets a nonce, which its Exchange must find
// in the ID token. The values travel in short-lived encrypted HttpOnly
// cookies bound to the provider id, named as Auth.js names them.
type OAuthProvider interface {
	Provider
	// AuthCodeURL returns the authorization endpoint URL to send the
	// browser to, with p's parameters. It may fetch discovery metadata.
	AuthCodeURL(ctx context.Context, p AuthCodeParams) (string, error)
	// Exchange redeems the authorization code at the token endpoint
	// (sending p.CodeVerifier), validates what it must (the ID token, its
	// nonce, iss and aud for OIDC), fetches the profile, and says who
	// signed in. An error fails the sign-in without a session.
	Exchange(ctx context.Context, p ExchangeParams) (*OAuthResult, error)
	// UsesNonce reports whether the flow carries a nonce (OIDC).
	UsesNonce() bool
}

// AuthCodeParams are the parameters of an authorization request. authgo
// fills State, CodeChallenge (S256), Nonce and RedirectURI; Extra holds the
// query parameters of the sign-in request (prompt, login_hint, …), which a
// provider adds after its own and never lets replace the ones above.
type AuthCodeParams struct {
	State         string
	CodeChallenge string // S256 of the PKCE verifier
	Nonce         string // "" unless UsesNonce
	RedirectURI   string // <origin><base>/callback/<id>
	Extra         url.Values
}

// ExchangeParams are what the callback brings back, checked by authgo: the
// state matched, so Code belongs to this flow.
type ExchangeParams struct {
	Code         string
	CodeVerifier string
	Nonce        string // the nonce sent, "" unless UsesNonce
	RedirectURI  string
	// Params are the callback's parameters, from the query or, for
	// response_mode=form_post, the body (RFC 9207's iss, for one).
	Params url.Values
	// Callback is the callback request.
	Callback *http.Request
}

// OAuthResult is who signed in and how.
type OAuthResult struct {
	// User is the provider's user: ID is the provider's stable id for them
	// (the OIDC sub, GitHub's numeric id), which becomes the token's sub.
	User *User
	// Tokens are what the token endpoint returned.
	Tokens TokenSet
	// Profile is the provider's raw profile (ID token claims or userinfo),
	// for the SignIn and JWT callbacks.
	Profile map[string]any
}

// TokenSet is a token endpoint response.
type TokenSet struct {
	AccessToken  string
	RefreshToken string
	IDToken      string
	TokenType    string
	Scope        string
	// Expiry is when the access token expires; zero when unknown.
	Expiry time.Time
}

// EndSessionProvider is an OAuthProvider that can sign the user out at the
// provider too (OpenID Connect RP-initiated logout). When one is configured
// for it, authgo keeps the ID token in the session token at sign-in and, on
// POST <base>/signout, redirects through EndSessionURL.
type EndSessionProvider interface {
	OAuthProvider
	// SignOutAtProvider reports whether the provider was configured to sign
	// the user out at its end too.
	SignOutAtProvider() bool
	// EndSessionURL returns the provider's logout URL for idToken, which
	// sends the browser back to postLogoutRedirect; "" when the provider
	// has no end_session_endpoint.
	EndSessionURL(ctx context.Context, idToken, postLogoutRedirect string) (string, error)
}

// RevokingProvider is an OAuthProvider that can revoke tokens (RFC 7009).
// authgo revokes the refresh token it holds for the session at sign-out.
type RevokingProvider interface {
	OAuthProvider
	Revoke(ctx context.Context, token, tokenTypeHint string) error
}

// RefreshingProvider is an OAuthProvider that can refresh an access token
// with a refresh token (the refresh_token grant). The new TokenSet carries
// the rotated refresh token when the provider rotates them.
type RefreshingProvider interface {
	OAuthProvider
	Refresh(ctx context.Context, refreshToken string) (*TokenSet, error)
}

// SubjectRefresher is a provider that checks, on refresh, that the answer
// still names the session's user (OpenID Connect Core §12.2); authgo
// prefers RefreshFor to Refresh when a provider has it.
type SubjectRefresher interface {
	RefreshFor(ctx context.Context, refreshToken, subject string) (*TokenSet, error)
}
