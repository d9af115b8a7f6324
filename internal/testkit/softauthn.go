package testkit

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"testing"
)

// SoftAuthenticator plays a WebAuthn authenticator and the browser around
// it, in software: a P-256 key, attestation "none", the flags and counter
// a test asks for. It signs what a real one would sign; the server's
// checks (go-webauthn's) are the real ones.
type SoftAuthenticator struct {
	Key     *ecdsa.PrivateKey
	ID      []byte // the credential id
	Handle  []byte // the user.id given at registration
	Counter uint32 // the signature counter, raised by Assert
	Flags   byte   // added to every authenticator data: FlagUV (the default), FlagBE, FlagBS
	Origin  string // the origin the browser puts in the client data
	RPID    string // whose hash the authenticator data carries
}

// Authenticator data flags.
const (
	FlagUP = 0x01
	FlagUV = 0x04
	FlagBE = 0x08
	FlagBS = 0x10
	FlagAT = 0x40
)

// NewSoftAuthenticator returns a software authenticator for the relying
// party rpID, used from origin, with a new key and a credential id whose
// standard base64 has '+', '/' and padding.
func NewSoftAuthenticator(t testing.TB, origin, rpID string) *SoftAuthenticator {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 32)
	rand.Read(id)
	id[0], id[1] = 0xfb, 0xff // '+' and '/' in standard base64
	return &SoftAuthenticator{Key: k, ID: id, Flags: FlagUV, Origin: origin, RPID: rpID}
}

// B64URL is base64url without padding, WebAuthn's JSON encoding.
var B64URL = base64.RawURLEncoding

// cborHead is the head of a CBOR item of major type major and length n.
func cborHead(major byte, n int) []byte {
	switch {
	case n < 24:
		return []byte{major<<5 | byte(n)}
	case n < 256:
		return []byte{major<<5 | 24, byte(n)}
	default:
		return []byte{major<<5 | 25, byte(n >> 8), byte(n)}
	}
}

func cborText(s string) []byte  { return append(cborHead(3, len(s)), s...) }
func cborBytes(b []byte) []byte { return append(cborHead(2, len(b)), b...) }

// COSEKey is the COSE_Key of the public key: EC2, ES256, P-256.
func (a *SoftAuthenticator) COSEKey() []byte {
	pub, _ := a.Key.PublicKey.Bytes() // 0x04 || x || y
	out := []byte{0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01}
	out = append(append(out, 0x21), cborBytes(pub[1:33])...)
	out = append(append(out, 0x22), cborBytes(pub[33:65])...)
	return out
}

func (a *SoftAuthenticator) authData(attested bool) []byte {
	h := sha256.Sum256([]byte(a.RPID))
	flags := FlagUP | a.Flags
	if attested {
		flags |= FlagAT
	}
	out := append(h[:], flags)
	out = binary.BigEndian.AppendUint32(out, a.Counter)
	if attested {
		out = append(out, make([]byte, 16)...) // AAGUID
		out = binary.BigEndian.AppendUint16(out, uint16(len(a.ID)))
		out = append(out, a.ID...)
		out = append(out, a.COSEKey()...)
	}
	return out
}

// ClientData is the client data JSON the browser makes for a ceremony
// of type typ ("webauthn.create", "webauthn.get").
func (a *SoftAuthenticator) ClientData(typ, challenge string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": a.Origin, "crossOrigin": false})
	return b
}

// Register answers registration options (the "options" member of
// webauthn-options) with the credential JSON the browser would post.
func (a *SoftAuthenticator) Register(t testing.TB, options json.RawMessage) string {
	t.Helper()
	var o struct {
		Challenge string `json:"challenge"`
		User      struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	if err := json.Unmarshal(options, &o); err != nil || o.Challenge == "" {
		t.Fatalf("registration options %s: %v", options, err)
	}
	a.Handle, _ = B64URL.DecodeString(o.User.ID)
	att := []byte{0xa3}
	att = append(att, cborText("fmt")...)
	att = append(att, cborText("none")...)
	att = append(att, cborText("attStmt")...)
	att = append(att, 0xa0)
	att = append(att, cborText("authData")...)
	att = append(att, cborBytes(a.authData(true))...)
	b, _ := json.Marshal(map[string]any{
		"id": B64URL.EncodeToString(a.ID), "rawId": B64URL.EncodeToString(a.ID), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON":    B64URL.EncodeToString(a.ClientData("webauthn.create", o.Challenge)),
			"attestationObject": B64URL.EncodeToString(att),
			"transports":        []string{"internal"},
		},
		"clientExtensionResults": map[string]any{}, "authenticatorAttachment": "platform",
	})
	return string(b)
}

// Assert signs the challenge of authentication options, counter first
// raised by one, and returns the credential JSON the browser would post.
func (a *SoftAuthenticator) Assert(t testing.TB, options json.RawMessage) string {
	t.Helper()
	var o struct {
		Challenge string `json:"challenge"`
	}
	if err := json.Unmarshal(options, &o); err != nil || o.Challenge == "" {
		t.Fatalf("authentication options %s: %v", options, err)
	}
	a.Counter++
	return a.Assertion(t, a.ClientData("webauthn.get", o.Challenge))
}

// Assertion signs the client data cd with the counter as it is and
// returns the credential JSON the browser would post.
func (a *SoftAuthenticator) Assertion(t testing.TB, cd []byte) string {
	t.Helper()
	ad := a.authData(false)
	h := sha256.Sum256(cd)
	sum := sha256.Sum256(append(append([]byte{}, ad...), h[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, a.Key, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	resp := map[string]any{
		"clientDataJSON":    B64URL.EncodeToString(cd),
		"authenticatorData": B64URL.EncodeToString(ad),
		"signature":         B64URL.EncodeToString(sig),
	}
	if a.Handle != nil {
		resp["userHandle"] = B64URL.EncodeToString(a.Handle)
	}
	b, _ := json.Marshal(map[string]any{
		"id": B64URL.EncodeToString(a.ID), "rawId": B64URL.EncodeToString(a.ID), "type": "public-key",
		"response": resp, "clientExtensionResults": map[string]any{},
	})
	return string(b)
}
