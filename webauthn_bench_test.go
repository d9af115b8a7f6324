package authgo_test

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"testing"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/internal/testkit"
	"github.com/authgo/authgo/provider"
	"github.com/authgo/authgo/providers/passkey"
	"github.com/authgo/authgo/store"
)

// BenchmarkPasskeyVerify is the check of a passkey sign-in: the browser's
// credential JSON parsed, and the assertion verified (ES256 signature,
// challenge, origin, RP id, user verification, counter) against the stored
// credential, as the callback does before it writes the counter. The
// assertion is signed by a software authenticator. ecdsa-only is the
// signature check alone, the floor, for the ratio.
func BenchmarkPasskeyVerify(b *testing.B) {
	dev := testkit.NewSoftAuthenticator(b, pkOrigin, "localhost")
	stored := &store.Authenticator{
		CredentialID: base64.StdEncoding.EncodeToString(dev.ID), CredentialPublicKey: base64.StdEncoding.EncodeToString(dev.COSEKey()),
		CredentialDeviceType: "singleDevice",
	}
	var c [32]byte
	rand.Read(c[:])
	challenge := testkit.B64URL.EncodeToString(c[:])
	dev.Counter = 1
	data := []byte(dev.Assertion(b, dev.ClientData("webauthn.get", challenge)))
	verify, err := authgo.PasskeyVerifier(pkOrigin, passkey.New())
	if err != nil {
		b.Fatal(err)
	}
	if err := verify(challenge, stored, data); err != nil {
		b.Fatal(err)
	}
	b.Run("verify", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := verify(challenge, stored, data); err != nil {
				b.Fatal(err)
			}
		}
	})
	// The floor: the ES256 signature check alone, on the same message.
	b.Run("ecdsa-only", func(b *testing.B) {
		var a struct {
			Response struct {
				ClientDataJSON    string `json:"clientDataJSON"`
				AuthenticatorData string `json:"authenticatorData"`
				Signature         string `json:"signature"`
			} `json:"response"`
		}
		json.Unmarshal(data, &a)
		cd, _ := testkit.B64URL.DecodeString(a.Response.ClientDataJSON)
		ad, _ := testkit.B64URL.DecodeString(a.Response.AuthenticatorData)
		sig, _ := testkit.B64URL.DecodeString(a.Response.Signature)
		h := sha256.Sum256(cd)
		msg := sha256.Sum256(append(ad, h[:]...))
		b.ReportAllocs()
		for b.Loop() {
			if !ecdsa.VerifyASN1(&dev.Key.PublicKey, msg[:], sig) {
				b.Fatal("signature does not verify")
			}
		}
	})
}

// BenchmarkPasskeySignIn is a whole passkey sign-in through the handler,
// with adapters/sqlite on a file: GET webauthn-options (a challenge
// cookie), the software authenticator's assertion, POST callback (verify,
// counter raised in the store, the session cookie). The CSRF token is
// fetched once; the session cookie is dropped before each sign-in.
func BenchmarkPasskeySignIn(b *testing.B) {
	s, _ := newSQLiteStore(b)
	a := newAuth(b, func(c *authgo.Config) {
		c.Users = s
		c.Providers = []provider.Provider{passkey.New()}
	})
	c := newClient(b, a)
	dev := testkit.NewSoftAuthenticator(b, pkOrigin, "localhost")
	o := c.webauthnOptions("passkey", "email=bench@example.com")
	if r := c.webauthnCallback("passkey", "register", dev.Register(b, o.Options)); r.StatusCode != 302 || r.setCook["authjs.session-token"] == nil {
		b.Fatalf("register: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	c = newClient(b, a)
	csrf := c.csrf(pkOrigin)
	b.ReportAllocs()
	for b.Loop() {
		c.DeleteCookie("authjs.session-token") // signed out again
		o := c.webauthnOptions("passkey", "")
		form := url.Values{"action": {"authenticate"}, "data": {dev.Assert(b, o.Options)}, "csrfToken": {csrf}}
		if r := c.postForm(pkOrigin+"/auth/callback/passkey", form); r.StatusCode != 302 || r.setCook["authjs.session-token"] == nil {
			b.Fatalf("sign-in: %d %s", r.StatusCode, r.Header.Get("Location"))
		}
	}
}
