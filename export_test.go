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

// VerifyPasskeyAssertion runs the check of a passkey sign-in on data (the
// browser's credential JSON) for the relying party of originURL
// (scheme://host[:port]): the parse, the signature, challenge, origin, RP
// id, flags and counter, as the callback does before it writes the
// counter. For the benchmark of that path.
func VerifyPasskeyAssertion(originURL string, wp provider.WebAuthnProvider, challenge string, stored *store.Authenticator, data []byte) error {
	scheme, host, _ := strings.Cut(originURL, "://")
	wa, err := relyingParty(newOrigin(scheme, host), wp)
	if err != nil {
		return err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(data)
	if err != nil {
		return err
	}
	_, err = verifyAssertion(wa, wp, challenge, stored, parsed)
	return err
}
