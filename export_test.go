package authgo

import (
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"

	"github.com/authgo/authgo/provider"
	"github.com/authgo/authgo/store"
)

// NewMemoryRevocations is the default in-memory RevocationStore, for the
// tests that share one between instances or wrap it.
func NewMemoryRevocations() RevocationStore { return newMemoryRevocations(time.Now) }

// PasskeyVerifier returns the check of a passkey sign-in for the relying
// party of originURL (scheme://host[:port]), made once as New makes it for
// a fixed URL: it parses data (the browser's credential JSON) and checks
// the signature, challenge, origin, RP id, flags and counter, as the
// callback does before it writes the counter. For the benchmark of that
// path.
func PasskeyVerifier(originURL string, wp provider.WebAuthnProvider) (func(challenge string, stored *store.Authenticator, data []byte) error, error) {
	scheme, host, _ := strings.Cut(originURL, "://")
	wa, err := relyingParty(newOrigin(scheme, host), wp)
	if err != nil {
		return nil, err
	}
	return func(challenge string, stored *store.Authenticator, data []byte) error {
		parsed, err := protocol.ParseCredentialRequestResponseBytes(data)
		if err != nil {
			return err
		}
		_, err = verifyAssertion(wa, wp, challenge, stored, parsed)
		return err
	}, nil
}
