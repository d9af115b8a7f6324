package authgo_test

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

// softAuthenticator plays a WebAuthn authenticator and the browser around
// it, in software: a P-256 key, attestation "none", the flags and counter
// a test asks for. It signs what a real one would sign; the server's
// checks (go-webauthn's) are the real ones.
type softAuthenticator struct {
	key     *ecdsa.PrivateKey
	id      []byte
	handle  []byte // the user.id given at registration
	counter uint32
	flags   byte // added to every authenticator data: flagUV, flagBE, flagBS
	origin  string
	rpID    string
}

const (
	flagUP = 0x01
	flagUV = 0x04
	flagBE = 0x08
	flagBS = 0x10
	flagAT = 0x40
)

func newSoftAuthenticator(t testing.TB, origin, rpID string) *softAuthenticator {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 32)
	rand.Read(id)
	id[0], id[1] = 0xfb, 0xff // '+' and '/' in standard base64
	return &softAuthenticator{key: k, id: id, flags: flagUV, origin: origin, rpID: rpID}
}

var b64u = base64.RawURLEncoding

// cborBytes is a CBOR byte string header for n bytes.
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

// coseKey is the COSE_Key of the public key: EC2, ES256, P-256.
func (a *softAuthenticator) coseKey() []byte {
	pub, _ := a.key.PublicKey.Bytes() // 0x04 || x || y
	out := []byte{0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01}
	out = append(append(out, 0x21), cborBytes(pub[1:33])...)
	out = append(append(out, 0x22), cborBytes(pub[33:65])...)
	return out
}

func (a *softAuthenticator) authData(attested bool) []byte {
	h := sha256.Sum256([]byte(a.rpID))
	flags := flagUP | a.flags
	if attested {
		flags |= flagAT
	}
	out := append(h[:], flags)
	out = binary.BigEndian.AppendUint32(out, a.counter)
	if attested {
		out = append(out, make([]byte, 16)...) // AAGUID
		out = binary.BigEndian.AppendUint16(out, uint16(len(a.id)))
		out = append(out, a.id...)
		out = append(out, a.coseKey()...)
	}
	return out
}

func (a *softAuthenticator) clientData(typ, challenge string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": a.origin, "crossOrigin": false})
	return b
}

// register answers registration options (the "options" member of
// webauthn-options) with the credential JSON the browser would post.
func (a *softAuthenticator) register(t testing.TB, options json.RawMessage) string {
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
	a.handle, _ = b64u.DecodeString(o.User.ID)
	att := []byte{0xa3}
	att = append(att, cborText("fmt")...)
	att = append(att, cborText("none")...)
	att = append(att, cborText("attStmt")...)
	att = append(att, 0xa0)
	att = append(att, cborText("authData")...)
	att = append(att, cborBytes(a.authData(true))...)
	b, _ := json.Marshal(map[string]any{
		"id": b64u.EncodeToString(a.id), "rawId": b64u.EncodeToString(a.id), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON":    b64u.EncodeToString(a.clientData("webauthn.create", o.Challenge)),
			"attestationObject": b64u.EncodeToString(att),
			"transports":        []string{"internal"},
		},
		"clientExtensionResults": map[string]any{}, "authenticatorAttachment": "platform",
	})
	return string(b)
}

// assert signs the challenge of authentication options, counter first
// raised by one, and returns the credential JSON the browser would post.
func (a *softAuthenticator) assert(t testing.TB, options json.RawMessage) string {
	t.Helper()
	var o struct {
		Challenge string `json:"challenge"`
	}
	if err := json.Unmarshal(options, &o); err != nil || o.Challenge == "" {
		t.Fatalf("authentication options %s: %v", options, err)
	}
	a.counter++
	return a.assertion(t, a.clientData("webauthn.get", o.Challenge))
}

func (a *softAuthenticator) assertion(t testing.TB, cd []byte) string {
	t.Helper()
	ad := a.authData(false)
	h := sha256.Sum256(cd)
	sum := sha256.Sum256(append(append([]byte{}, ad...), h[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, a.key, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	resp := map[string]any{
		"clientDataJSON":    b64u.EncodeToString(cd),
		"authenticatorData": b64u.EncodeToString(ad),
		"signature":         b64u.EncodeToString(sig),
	}
	if a.handle != nil {
		resp["userHandle"] = b64u.EncodeToString(a.handle)
	}
	b, _ := json.Marshal(map[string]any{
		"id": b64u.EncodeToString(a.id), "rawId": b64u.EncodeToString(a.id), "type": "public-key",
		"response": resp, "clientExtensionResults": map[string]any{},
	})
	return string(b)
}
