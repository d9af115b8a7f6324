package authgo

import (
	"errors"
	"net/http"
)

// The Auth.js error codes authgo sends, as they appear in ?error= on the
// sign-in and error pages (and so to Pages.SignIn and Pages.Error).
const (
	CodeConfiguration         = "Configuration"
	CodeAccessDenied          = "AccessDenied"
	CodeVerification          = "Verification"
	CodeCredentialsSignin     = "CredentialsSignin"
	CodeMissingCSRF           = "MissingCSRF"
	CodeOAuthCallback         = "OAuthCallbackError"
	CodeOAuthAccountNotLinked = "OAuthAccountNotLinked"
	CodeSessionRequired       = "SessionRequired"
	CodeUnavailable           = "Unavailable"
)

// errorCode is one of the codes above.
type errorCode string

// signInPageCodes are the codes Auth.js sends to the sign-in page rather
// than the error page.
func (c errorCode) onSignInPage() bool {
	switch c {
	case CodeCredentialsSignin, CodeMissingCSRF, CodeOAuthCallback, CodeOAuthAccountNotLinked, "AccountNotLinked":
		return true
	}
	return false
}

// Errors.
var (
	// ErrAccessDenied, returned by a SignIn callback, refuses the sign-in;
	// the user lands on the error page with ?error=AccessDenied. Any other
	// error from SignIn does the same and is logged.
	ErrAccessDenied = errors.New("authgo: access denied")

	// ErrSessionUnavailable is returned by Session, Token, AccessToken and
	// Client when the store that records ended sessions
	// (Session.Revocations) cannot answer: the request may or may not be
	// signed in. The middleware answers it with 503 and Retry-After; the
	// session cookie is kept.
	ErrSessionUnavailable = errors.New("authgo: the session store did not answer; try again shortly")

	// ErrRefreshUnavailable reports that an access token is needed, the
	// one in the session has expired, and refreshing it failed for a
	// reason that may pass (a timeout, a 5xx). The session is unchanged;
	// the middleware and the proxy answer 503 with Retry-After.
	ErrRefreshUnavailable = errors.New("authgo: the access token expired and could not be refreshed now")

	// ErrNoAccessToken reports a session without an access token (signed
	// out, signed in with a provider that gave none, or after a
	// RefreshTokenError).
	ErrNoAccessToken = errors.New("authgo: no access token in the session")
)

// SignInRedirect, returned by a SignIn callback, stops the sign-in without
// a session and sends the user to URL (checked by the Redirect callback),
// as returning a string from Auth.js's signIn callback does.
type SignInRedirect struct{ URL string }

func (e *SignInRedirect) Error() string { return "authgo: sign-in redirected to " + e.URL }

// authError is a failure inside an action: the code decides where the user
// lands; the cause is logged.
type authError struct {
	code    errorCode
	query   string // extra query, e.g. "&code=credentials"
	cause   error
	cookies []*http.Cookie // set even on this error path (check-cookie deletions)
}

func (e *authError) Error() string {
	if e.cause != nil {
		return string(e.code) + ": " + e.cause.Error()
	}
	return string(e.code)
}

func (e *authError) Unwrap() error { return e.cause }

func fail(code errorCode, cause error) *authError { return &authError{code: code, cause: cause} }
