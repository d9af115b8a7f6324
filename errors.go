package authgo

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// ErrorCode is an Auth.js error type, as it appears in ?error= on the
// sign-in and error pages.
type ErrorCode string

// The Auth.js error codes authgo sends.
const (
	CodeConfiguration       ErrorCode = "Configuration"
	CodeAccessDenied    ErrorCode = "AccessDenied"
	CodeVerification        ErrorCode = "Verification"
	CodeCredentialsSignin   ErrorCode = "CredentialsSignin"
	CodeMissingCSRF         ErrorCode = "MissingCSRF"
	CodeOAuthCallback       ErrorCode = "OAuthCallbackError"
	CodeOAuthAccountNotLinked ErrorCode = "OAuthAccountNotLinked"
	CodeSessionRequired     ErrorCode = "SessionRequired"
)

// signInPageCodes are the codes Auth.js sends to the sign-in page rather
// than the error page.
func (c ErrorCode) onSignInPage() bool {
	switch c {
	case CodeCredentialsSignin, CodeMissingCSRF, CodeOAuthCallback, CodeOAuthAccountNotLinked, "AccountNotLinked":
		return true
	}
	return false
}

// ErrAccessDenied, returned by a SignIn callback, refuses the sign-in; the
// user lands on the error page with ?error=AccessDenied. Any other error
// from SignIn does the same and is logged.
var ErrAccessDenied = errors.New("authgo: access denied")

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

// SignInRedirect, returned by a SignIn callback, stops the sign-in without
// a session and sends the user to URL (checked by the Redirect callback),
// as returning a string from Auth.js's signIn callback does.
type SignInRedirect struct{ URL string }

func (e *SignInRedirect) Error() string { return "authgo: sign-in redirected to " + e.URL }

// authError is a failure inside an action: the code decides where the user
// lands; the cause is logged.
type authError struct {
	code    ErrorCode
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

func fail(code ErrorCode, cause error) *authError { return &authError{code: code, cause: cause} }
