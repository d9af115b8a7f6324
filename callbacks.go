package authgo

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/authgo/authgo/jwt"
	"github.com/authgo/authgo/provider"
	"github.com/authgo/authgo/store"
)

// Trigger says why the JWT callback runs.
type Trigger string

// Triggers of the JWT callback. A plain session read has no trigger.
const (
	TriggerSignIn Trigger = "signIn"
	TriggerSignUp Trigger = "signUp"
	TriggerUpdate Trigger = "update"
)

// Callbacks let the application decide. A nil callback has the Auth.js
// default. They run on the request's goroutine and get its context.
type Callbacks struct {
	// SignIn decides whether a user who proved who they are may sign in.
	// Return nil to allow, an error (ErrAccessDenied or any other) to
	// refuse with AccessDenied, or a *SignInRedirect to send them
	// elsewhere without a session. Default: allow.
	SignIn func(ctx context.Context, p SignInParams) error

	// Redirect decides where a callbackUrl may send the user. baseURL is
	// the origin (scheme://host[:port], no path). Default: a URL starting
	// with "/" is resolved against baseURL; an absolute URL on baseURL's
	// origin is kept; anything else becomes baseURL.
	Redirect func(ctx context.Context, url, baseURL string) (string, error)

	// JWT shapes the token kept in the session cookie. It runs at sign-in
	// (Trigger signIn, with User and Account), on every session read (no
	// trigger) and on POST <base>/session (Trigger update, with the posted
	// data). Returning a nil token signs the user out. Default: return
	// p.Token unchanged.
	//
	// Data posted to <base>/session comes from the browser: merge only the
	// fields you mean to let the user change, never claims such as sub or
	// a role.
	JWT func(ctx context.Context, p JWTParams) (*Token, error)

	// Session shapes what GET <base>/session and Auth.Session return.
	// Default: p.Session (name, email and image of the token's user).
	// Whatever it adds reaches page scripts; keep access tokens out unless
	// the page needs them.
	Session func(ctx context.Context, p SessionParams) (*Session, error)

	// Authorized decides whether a request to a path Middleware protects
	// (or one behind RequireSession) may go on. s is nil when the request
	// is signed out. Default: s != nil. Returning false answers with a
	// redirect to the sign-in page or a 401, as for a signed-out request.
	Authorized func(ctx context.Context, r *http.Request, s *Session) bool
}

// SignInParams are the arguments of the SignIn callback.
type SignInParams struct {
	User        *User                // who signed in, as the provider describes them
	Account     *Account             // how: the provider and its tokens
	Profile     map[string]any       // the provider's profile; OAuth sign-in only
	Credentials provider.Credentials // the posted fields; credentials sign-in only
	Request     *http.Request        // the sign-in request
	// VerificationRequest is true when an email sign-in asks for a link
	// (Auth.js's email.verificationRequest): the callback decides whether
	// it is sent. Refusing sends nothing, and the answer is the same as
	// when a link was sent. It is false when the link is opened.
	VerificationRequest bool
}

// JWTParams are the arguments of the JWT callback.
type JWTParams struct {
	// Token holds the claims so far: at sign-in name, email, picture and
	// sub from the user; afterwards the decoded cookie.
	Token   *Token
	User    *User          // sign-in only
	Account *Account       // sign-in only; for OAuth, with the provider's tokens
	Profile map[string]any // OAuth sign-in only: the provider's profile
	Trigger Trigger
	// Data is the "data" member posted to <base>/session (Trigger update),
	// as JSON; nil when none was posted.
	Data json.RawMessage
	// IsNewUser is true when the sign-in created the user's row in
	// Config.Users (never without one); Trigger is then signUp.
	IsNewUser bool
}

// SessionParams are the arguments of the Session callback.
type SessionParams struct {
	// Session is the default session: the token's name, email and picture
	// as user name, email and image, and the new expiry.
	Session *Session
	Token   *Token
}

// Events are told what happened after the fact. They run synchronously, on
// the request's goroutine, and cannot change the response: an event that
// panics is logged (Auth.js's EventError) and the request goes on. Nil
// events are skipped.
type Events struct {
	// SignIn runs after a successful sign-in, once the cookie is set.
	SignIn func(ctx context.Context, e SignInEvent)
	// SignOut runs on POST <base>/signout when the request had a session
	// cookie.
	SignOut func(ctx context.Context, e SignOutEvent)
	// Session runs after every successful GET or POST <base>/session.
	Session func(ctx context.Context, e SessionEvent)

	// CreateUser runs when a sign-in has created the user's row in
	// Config.Users (a first sign-in), with the row as the store returned
	// it. Unlike Auth.js, it does not run when
	// AllowDangerousEmailAccountLinking links to an existing user.
	CreateUser func(ctx context.Context, u store.User)
	// UpdateUser runs when a sign-in has rewritten the user's row, with
	// the row as written: a credentials sign-in whose Authorize returned
	// another name, email or image than the row had.
	UpdateUser func(ctx context.Context, u store.User)
	// LinkAccount runs when a sign-in has linked a provider account to a
	// user (a new user's first account, or another provider a signed-in
	// user signed in with), with the user's row and the accounts row. The
	// accounts row holds the provider's tokens: keep them out of logs.
	LinkAccount func(ctx context.Context, u store.User, a store.Account)

	// SignInError runs when a sign-in fails: POST <base>/signin/<id> or
	// <base>/callback/<id> answered with an Auth.js error code instead of
	// a session (a wrong password, a refused or broken OAuth callback, a
	// missing CSRF token, a store that did not answer). It is authgo's own
	// addition, for counting failures; Auth.js has no such event.
	SignInError func(ctx context.Context, e SignInErrorEvent)
	// Refresh runs after each refresh of a session's access token at its
	// provider (or Tokens.Refresh), successful or not: once per call to
	// the provider, so requests that shared one refresh (in this process,
	// or through Tokens.Locker) make one event, in the process that
	// called. authgo's own addition.
	Refresh func(ctx context.Context, e RefreshEvent)
}

// SignInErrorEvent describes a failed sign-in. It holds nothing the user
// typed: no password, no OAuth code.
type SignInErrorEvent struct {
	// Provider is the id of the provider the request named, "" when it
	// named none that is configured (so the set of values is bounded by
	// Config.Providers).
	Provider string
	// Code is the Auth.js error code the user is sent to the sign-in or
	// error page with: CodeCredentialsSignin, CodeOAuthCallback,
	// CodeAccessDenied, CodeMissingCSRF, CodeUnavailable,
	// CodeConfiguration, ….
	Code string
	// Err is the cause, as logged; nil when there is none (a wrong
	// password). It may hold a provider's error message: keep it out of
	// metric labels.
	Err error
}

// RefreshEvent describes one refresh of an access token.
type RefreshEvent struct {
	// Provider is the id of the provider that signed the session in.
	Provider string
	// Err is nil when the provider gave a new access token.
	Err error
	// Terminal reports a failure that is final: the refresh token was
	// refused, and the session now carries RefreshTokenError. Otherwise a
	// failure may pass (a timeout, a 5xx): the session keeps its tokens.
	Terminal bool
}

// event runs an Events function f: a panic in it is logged and does not
// fail the request, as Auth.js logs an event's exception as EventError.
func (a *Auth) event(ctx context.Context, name string, f func()) {
	defer func() {
		if p := recover(); p != nil {
			a.log.ErrorContext(ctx, "authgo: the "+name+" event panicked (EventError); the request goes on", "panic", fmt.Sprint(p))
		}
	}()
	f()
}

// SignInEvent describes a successful sign-in.
type SignInEvent struct {
	User      *User
	Account   *Account
	Profile   map[string]any // OAuth sign-in only
	IsNewUser bool           // see JWTParams.IsNewUser
}

// SignOutEvent describes a sign-out. Token is nil when the cookie could not
// be decoded.
type SignOutEvent struct{ Token *Token }

// SessionEvent describes a session read through <base>/session.
type SessionEvent struct {
	Session *Session // what the response carries
	Token   *Token   // what the re-issued cookie carries
}

// Token is the claims set kept in the session cookie. See [jwt.Token].
type Token = jwt.Token

// User is the user a provider returns and the callbacks receive (the
// Auth.js User): provider.User, named here for applications.
type User = provider.User

// Account is how a user signed in: the provider and, for OAuth providers,
// the tokens it returned. Auth.js's Account.
type Account struct {
	Provider          string `json:"provider"`
	Type              string `json:"type"`
	ProviderAccountID string `json:"providerAccountId"`
	AccessToken       string `json:"access_token,omitempty"`
	RefreshToken      string `json:"refresh_token,omitempty"`
	IDToken           string `json:"id_token,omitempty"`
	TokenType         string `json:"token_type,omitempty"`
	Scope             string `json:"scope,omitempty"`
	ExpiresAt         int64  `json:"expires_at,omitempty"` // Unix seconds
}
