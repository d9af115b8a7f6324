// Package provider is what a sign-in provider implements for authgo: the
// interfaces authgo looks for (Provider, then CredentialsProvider,
// OAuthProvider and the optional EndSessionProvider, RevokingProvider,
// Refresher and SubjectRefresher) and the values that cross between them.
// It sits beside the root package as database/sql/driver sits beside
// database/sql: applications configure providers from providers/...;
// provider authors implement these.
package provider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// User is who signed in, as a provider describes them: Auth.js's User.
type User struct {
	ID    string `json:"id,omitempty"`
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
	Image string `json:"image,omitempty"`
	// Extra carries whatever else a provider knows about the sign-in, such
	// as the access token a back end returned. It reaches the JWT callback
	// (JWTParams.User) and goes no further unless that callback copies it
	// into the token.
	Extra map[string]any `json:"-"`
}

// Type is the kind of a provider, as GET <base>/providers reports it.
type Type string

// Provider types.
const (
	TypeCredentials Type = "credentials"
	TypeOAuth       Type = "oauth"
	TypeOIDC        Type = "oidc"
	TypeEmail       Type = "email"
	TypeWebAuthn    Type = "webauthn"
)

// WebAuthnProvider signs users in with WebAuthn credentials: passkeys and
// security keys. authgo runs the ceremonies (Auth.js's
// <base>/webauthn-options/<id> and <base>/callback/<id>) and keeps the
// credentials in Config.Users, which must be a store.AuthenticatorStore;
// the provider only says what the ceremonies require. providers/passkey
// builds the two Auth.js has, passkey and webauthn.
type WebAuthnProvider interface {
	Provider
	// WebAuthn returns what registrations and sign-ins require.
	WebAuthn() WebAuthnOptions
}

// WebAuthnOptions are the requirements of a [WebAuthnProvider].
type WebAuthnOptions struct {
	// ResidentKey: a new credential must be discoverable (a passkey,
	// found by the browser without a user name); otherwise it is
	// preferred.
	ResidentKey bool
	// UserVerification: the authenticator must verify the user (a PIN,
	// a fingerprint), at registration and at every sign-in; otherwise it
	// is preferred and not checked.
	UserVerification bool
}

// Provider is a way to sign in. What it can do beyond naming itself is
// discovered by type assertion: a [CredentialsProvider] checks a form.
type Provider interface {
	// ID is the provider's URL segment: <base>/signin/<id>. Lowercase
	// letters, digits, "-" and "_".
	ID() string
	// Name is shown on the sign-in page.
	Name() string
	// Type is reported by GET <base>/providers.
	Type() Type
}

// Field describes one input of a credentials form on the built-in sign-in
// page.
type Field struct {
	Name         string // form field name, e.g. "username"
	Label        string // shown to the user; Name when empty
	Type         string // "text", "password", "email", …
	Placeholder  string
	Autocomplete string
}

// Credentials are the fields posted to <base>/callback/<id>, without
// csrfToken and callbackUrl. A field posted twice, or posted as JSON that
// is not a string, makes the sign-in fail before Authorize is called.
type Credentials map[string]string

// CredentialsProvider checks posted credentials. The providers/credentials
// package builds one from a function.
type CredentialsProvider interface {
	Provider
	// Fields describe the form on the built-in sign-in page.
	Fields() []Field
	// Authorize returns the user the credentials belong to, or (nil, nil)
	// when they are wrong. Returning a *[CredentialsError] picks the code
	// the sign-in page gets; any other error is logged and answered as a
	// configuration error.
	Authorize(ctx context.Context, c Credentials, r *http.Request) (*User, error)
}

// TokenCredentialsProvider is a CredentialsProvider whose sign-in also
// yields tokens: a back end that answers a login with an access token and
// a refresh token. authgo keeps them in the session token (never in the
// session page scripts see) and refreshes them through the provider's
// Refresh method when it has one.
type TokenCredentialsProvider interface {
	CredentialsProvider
	AuthorizeWithTokens(ctx context.Context, c Credentials, r *http.Request) (*User, *TokenSet, error)
}

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

// SubjectRefresher is a provider that checks, on refresh, that the answer
// still names the session's user (OpenID Connect Core §12.2); authgo
// prefers RefreshFor to Refresh when a provider has it.
type SubjectRefresher interface {
	RefreshFor(ctx context.Context, refreshToken, subject string) (*TokenSet, error)
}

// RefreshError is a failed refresh, as a provider (or Tokens.Refresh)
// reports it. Terminal failures (invalid_grant, invalid_client, … or a
// back end's 400/401) end the session's tokens; others leave the session
// alone. A refresh that fails with any other error counts as transient.
type RefreshError struct {
	Code     string // "invalid_grant", "http_503", …
	Terminal bool
	Err      error
}

func (e *RefreshError) Error() string {
	kind := "transient"
	if e.Terminal {
		kind = "terminal"
	}
	if e.Err != nil {
		return fmt.Sprintf("authgo: refresh failed (%s, %s): %v", e.Code, kind, e.Err)
	}
	return fmt.Sprintf("authgo: refresh failed (%s, %s)", e.Code, kind)
}

func (e *RefreshError) Unwrap() error { return e.Err }

// IsTerminalRefreshCode reports whether an RFC 6749 error code from a token
// endpoint means the refresh token will never work again.
func IsTerminalRefreshCode(code string) bool {
	switch code {
	case "invalid_grant", "invalid_client", "unauthorized_client", "invalid_scope", "unsupported_grant_type", "invalid_request":
		return true
	}
	return false
}

// Refresher is a provider that can refresh an access token with a
// refresh token (an OAuth provider's refresh_token grant, or a back end's
// refresh endpoint). The new TokenSet carries the rotated refresh token
// when the provider rotates them. authgo refreshes a session's tokens
// through the provider that issued them, when it has this method.
type Refresher interface {
	Refresh(ctx context.Context, refreshToken string) (*TokenSet, error)
}

// ErrUnavailable, wrapped in the error Authorize returns, says that a
// store the provider needs could not answer (a database, a rate-limit
// counter): the sign-in fails with the Unavailable error page, 503 and
// Retry-After, rather than the Configuration page's 500; the user may
// retry shortly.
var ErrUnavailable = errors.New("a store the sign-in needs did not answer")

// CredentialsError, returned by a credentials provider's Authorize, fails
// the sign-in with ?error=CredentialsSignin&code=<Code>. A nil user with a
// nil error means the code "credentials".
//
// Code "rate_limited" with RetryAfter set tells the user to wait: the
// redirect then carries &retry_after=<seconds>, and the built-in page says
// "Too many attempts; try again in N minutes".
type CredentialsError struct {
	Code       string        // short, URL-safe, e.g. "bad_otp"
	Err        error         // the cause, logged and never shown
	RetryAfter time.Duration // how long until another attempt may succeed; 0 when unknown
}

func (e *CredentialsError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("authgo: credentials sign-in failed (%s): %v", e.Code, e.Err)
	}
	return "authgo: credentials sign-in failed (" + e.Code + ")"
}

func (e *CredentialsError) Unwrap() error { return e.Err }

// EmailProvider signs users in with a link sent by email, as Auth.js's
// nodemailer and email providers do: POST <base>/signin/<id> with an
// address sends a link to <base>/callback/<id>, which signs in whoever
// opens it. authgo makes the token, keeps its hash in the verification
// token store and checks it; the provider only normalises addresses and
// delivers the mail. Package providers/email builds one (SMTP, or a
// function of the application's).
type EmailProvider interface {
	Provider
	// NormalizeIdentifier turns the posted address into the identifier
	// the link is sent to and the user is found by. An error refuses the
	// request (400) before anything is counted, stored or sent.
	NormalizeIdentifier(email string) (string, error)
	// MaxAge is how long a link stays valid.
	MaxAge() time.Duration
	// SendVerificationRequest delivers the link. An error wrapping
	// [ErrUndeliverable] (the mail server refused the recipient for good)
	// is logged and answered as a sent link; one wrapping [ErrUnavailable]
	// (the mail server did not answer) fails the request with the
	// Unavailable page, 503 and Retry-After; any other with the
	// Configuration page. None is shown.
	SendVerificationRequest(ctx context.Context, req VerificationRequest) error
}

// ErrUndeliverable, wrapped in the error SendVerificationRequest returns,
// says that the mail server refused the recipient for good (SMTP 5xx to
// RCPT TO): the request is answered as if the link were sent, since that
// answer must not tell which addresses exist.
var ErrUndeliverable = errors.New("the mail server refused the recipient")

// VerificationRequest is one sign-in link to deliver.
type VerificationRequest struct {
	// Identifier is the normalised address to send it to.
	Identifier string
	// URL is the link: <origin><base>/callback/<id>?callbackUrl=…&token=…&email=….
	// It signs in whoever opens it: never log it.
	URL string
	// Expires is when the link stops working.
	Expires time.Time
	// Host is the public host name (and port) of the site, for the
	// subject line: "Sign in to <Host>".
	Host string
	// Brand and Color are the theme of the built-in pages (authgo's
	// Config.Theme), for a mail that looks like them.
	Brand, Color string
}
