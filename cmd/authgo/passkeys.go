package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"

	"github.com/authgo/authgo"
)

// passkeysURL checks that --passkeys has a host name for its relying party
// id: AUTH_URL's, which must not be an IP address, or, without AUTH_URL,
// localhost for a loopback --addr (serve then uses http://localhost:PORT).
func passkeysURL(authURL string, trustHost bool, addrHost string) error {
	if authURL != "" {
		u, err := url.Parse(authURL)
		if err != nil {
			return nil // New reports it
		}
		if net.ParseIP(u.Hostname()) != nil {
			return fmt.Errorf("--passkeys needs a host name in AUTH_URL: %s is an IP address, which cannot be a passkey's relying party id (use a name, such as localhost or auth.example.com)", u.Hostname())
		}
		return nil
	}
	if trustHost {
		return errors.New("--passkeys needs AUTH_URL naming the host (the passkeys' relying party id): AUTH_TRUST_HOST takes the host from each request")
	}
	if ip := net.ParseIP(addrHost); addrHost != "localhost" && (ip == nil || !ip.IsLoopback()) {
		what := addrHost + " is not a loopback address"
		if addrHost == "" {
			what = "without a host listens on all interfaces"
		}
		return fmt.Errorf("--passkeys needs AUTH_URL naming the host (the passkeys' relying party id): --addr %s, and serve uses http://localhost:PORT only for a loopback one", what)
	}
	return nil
}

// passkeySignUps is the SignIn callback of serve with --passkeys: a new
// user signing up with a passkey (SignInParams.User has no ID) must have
// an address the gateway's allow-list lets in (--allow-email,
// --allow-email-domain, --allow-any; with no list, any address under
// --dev), as an email link must; otherwise no user, account or credential
// is kept and the sign-up ends with AccessDenied. Passkey sign-ins of
// existing users, a signed-in user adding a passkey, and everything else
// go to next.
func passkeySignUps(next func(context.Context, authgo.SignInParams) error, allow *emailAllowList) func(context.Context, authgo.SignInParams) error {
	return func(ctx context.Context, p authgo.SignInParams) error {
		if p.Account != nil && p.Account.Type == "webauthn" && p.User != nil && p.User.ID == "" && !allow.allows(p.User.Email) {
			allow.log.Info("passkey sign-up refused: the address is not on the allow-list (--allow-email, --allow-email-domain, --allow-any)")
			return authgo.ErrAccessDenied
		}
		if next != nil {
			return next(ctx, p)
		}
		return nil
	}
}
