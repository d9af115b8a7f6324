package authgo

import "testing"

// TestUsedKeysUnchanged: the UseOnce keys of OAuth states and WebAuthn
// challenges are what earlier releases stored (a shared store keeps them
// across a restart and an upgrade, and another instance reads them), and
// the two kinds never meet: the same value used as a state and as a
// challenge gets two keys.
func TestUsedKeysUnchanged(t *testing.T) {
	const v = "xH3kq9"
	// sha256("xH3kq9"), base64url without padding.
	const sum = "5u-KPOJJH4LXHWnFP41N3hRTH1fq-TcimxY6sg6VeFY"
	for kind, want := range map[string]string{usedOAuthState: "oauth-state:" + sum, usedWebAuthnChallenge: "webauthn-challenge:" + sum} {
		if got := usedKey(kind, v); got != want {
			t.Errorf("usedKey(%q, %q) = %q, want %q", kind, v, got, want)
		}
	}
	if usedKey(usedOAuthState, "") == usedKey(usedWebAuthnChallenge, "") {
		t.Error("an empty state and an empty challenge share a key")
	}
}
