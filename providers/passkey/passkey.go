// Package passkey holds the WebAuthn providers of Auth.js: [New] is its
// Passkey provider (id "passkey": a discoverable credential, the user
// verified), [NewWebAuthn] its WebAuthn provider (id "webauthn": any
// credential, user verification preferred).
//
// authgo runs the ceremonies: GET <base>/webauthn-options/<id> gives the
// browser the options and keeps the challenge in a sealed cookie, and
// POST <base>/callback/<id> checks the credential it made or signed with.
// The credentials are kept in Config.Users, which must also be a
// store.AuthenticatorStore (adapters/sqlite and adapters/postgres are).
// The built-in sign-in page offers a passkey button and the browser's
// passkey autofill, with a script authgo serves itself.
package passkey

import "github.com/authgo/authgo/provider"

// Provider is a WebAuthn provider. Make one with [New] or [NewWebAuthn].
type Provider struct {
	id, name string
	opts     provider.WebAuthnOptions
}

// New returns Auth.js's Passkey provider: id "passkey", name "Passkey";
// credentials must be discoverable and the user verified.
func New() *Provider {
	return &Provider{id: "passkey", name: "Passkey", opts: provider.WebAuthnOptions{ResidentKey: true, UserVerification: true}}
}

// NewWebAuthn returns Auth.js's WebAuthn provider: id "webauthn", name
// "WebAuthn"; discoverable credentials and user verification are
// preferred, not required.
func NewWebAuthn() *Provider {
	return &Provider{id: "webauthn", name: "WebAuthn"}
}

// ID returns the provider id.
func (p *Provider) ID() string { return p.id }

// Name returns the name shown on the sign-in page.
func (p *Provider) Name() string { return p.name }

// Type returns provider.TypeWebAuthn.
func (p *Provider) Type() provider.Type { return provider.TypeWebAuthn }

// WebAuthn returns what the ceremonies require.
func (p *Provider) WebAuthn() provider.WebAuthnOptions { return p.opts }
