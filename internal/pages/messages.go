package pages

import (
	"fmt"
	"net/http"
	"time"
)

// signInMessages maps the Auth.js sign-in page error codes to messages.
var signInMessages = map[string]string{
	"Signin":                "Try signing in with a different account.",
	"OAuthSignin":           "We could not start signing in with that provider. Try again, or choose another way to sign in.",
	"OAuthCallbackError":    "The provider could not complete your sign-in. Try again, or choose another way to sign in.",
	"OAuthCreateAccount":    "We could not create an account with that provider. Choose another way to sign in.",
	"EmailCreateAccount":    "We could not create an account for that email address. Choose another way to sign in.",
	"Callback":              "Something went wrong while finishing your sign-in. Please try again.",
	"OAuthAccountNotLinked": "This email address already belongs to an account that signs in another way. To confirm it is you, sign in the way you used before.",
	"EmailSignin":           "We could not send the sign-in email. Check the address and try again.",
	"CredentialsSignin":     "Sign in failed. Check that the details you entered are correct.",
	"SessionRequired":       "Please sign in to see this page.",
	"MissingCSRF":           "Your session form expired, please try again.",
}

const signInDefault = "We could not sign you in. Please try again."

// signInMessage returns the message for a sign-in page error code: "" for no
// code, the default message for an unknown one. A credentials sign-in
// refused as rate_limited says how long to wait (retry, rounded up to
// minutes, or "later" when unknown); it reads the same whether or not the
// username exists.
func signInMessage(code, detail string, retry time.Duration) string {
	if code == "" {
		return ""
	}
	if code == "EmailSignin" && detail == "invalid_email" {
		return "That is not an email address we can send a link to. Check it and try again."
	}
	if (code == "CredentialsSignin" || code == "EmailSignin") && detail == "rate_limited" {
		switch m := int64((retry + time.Minute - 1) / time.Minute); {
		case retry <= 0 || m > 24*60:
			return "Too many attempts; try again later."
		case m == 1:
			return "Too many attempts; try again in 1 minute."
		default:
			return fmt.Sprintf("Too many attempts; try again in %d minutes.", m)
		}
	}
	if m, ok := signInMessages[code]; ok {
		return m
	}
	return signInDefault
}

type errorPage struct {
	Heading, Message string
	SignIn           bool // link to the sign-in page
}

var errorPages = map[string]errorPage{
	"Configuration":             {"Server error", "There is a problem with the server configuration. Check the server logs for details.", false},
	"AccessDenied":              {"Access denied", "You do not have permission to sign in.", true},
	"Verification":              {"Unable to sign in", "The sign in link is no longer valid. It may have been used already, or it may have expired.", true},
	"Unavailable":               {"Try again shortly", "Signing in is not possible at the moment. Please try again in a few seconds.", false},
	"WebAuthnVerificationError": {"Unable to sign in", "The passkey could not be verified. Try again, or choose another way to sign in.", true},
}

var errorDefault = errorPage{"Something went wrong", "An unexpected error stopped this request. Please try again later.", false}

func errorMessage(code string) errorPage {
	if p, ok := errorPages[code]; ok {
		return p
	}
	return errorDefault
}

// ErrorStatus returns the HTTP status of the error page for an Auth.js error
// code, as Auth.js answers it: 500 for Configuration, 403 for AccessDenied
// and Verification, 400 for WebAuthnVerificationError (a passkey that did
// not verify), and 200 for anything else, including "". authgo's own
// Unavailable (a store did not answer) is 503.
func ErrorStatus(code string) int {
	switch code {
	case "Configuration":
		return http.StatusInternalServerError
	case "Unavailable":
		return http.StatusServiceUnavailable
	case "AccessDenied", "Verification":
		return http.StatusForbidden
	case "WebAuthnVerificationError":
		return http.StatusBadRequest
	default:
		return http.StatusOK
	}
}
