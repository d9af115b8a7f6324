package testidp

import (
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Alg is a JWS algorithm [IDP.SignIDToken] can produce.
type Alg string

// Algorithms for [SignOptions].
const (
	AlgRS256 Alg = "RS256" // the default
	AlgHS256 Alg = "HS256" // keyed with SignOptions.HMACKey
	AlgNone  Alg = "none"  // unsecured: empty signature (RFC 7519 §6)
)

// SignOptions choose how [IDP.SignIDToken] signs. The zero value signs with
// RS256 and the IdP's real key and kid, exactly as the op does.
type SignOptions struct {
	Alg Alg
	// KID is the kid header. Empty means the kid of the key used (the
	// IdP's published key, or "foreign" with ForeignKey); see OmitKID.
	KID string
	// OmitKID leaves the kid header out.
	OmitKID bool
	// ForeignKey signs RS256 with a key the IdP never publishes (the same
	// key for the life of the IDP; see [IDP.ForeignJWK]).
	ForeignKey bool
	// HMACKey keys HS256. Empty means the PEM encoding (PKIX, "PUBLIC KEY")
	// of the IdP's RSA public key: the classic RS256-to-HS256 confusion
	// (CVE-2015-9235).
	HMACKey []byte
	// Headers are set in the JOSE header last, so they may add fields
	// (jku, x5u, jwk, crit, ...) or override alg, kid and typ. A nil value
	// deletes the field.
	Headers map[string]any
}

// IDTokenClaims returns the claims of a valid ID token for clientID about
// subject: iss, sub, aud, azp, iat, auth_time, exp (now plus the
// IDTokenLifetime) and, if not empty, nonce. Change the map and pass it to
// [IDP.SignIDToken] to build a broken variant.
func (p *IDP) IDTokenClaims(clientID, subject, nonce string) map[string]any {
	now := time.Now().Unix()
	c := map[string]any{
		"iss":       p.issuer,
		"sub":       subject,
		"aud":       clientID,
		"azp":       clientID,
		"iat":       now,
		"auth_time": now,
		"exp":       now + int64(p.opts.IDTokenLifetime/time.Second),
	}
	if nonce != "" {
		c["nonce"] = nonce
	}
	return c
}

// SignIDToken returns a compact JWS of claims signed as o says. It exists to
// mint the ID tokens a correct op never would (attacks.md T26): serve one
// through the real flow with [IDP.NextIDToken]. It panics if claims or
// o.Headers cannot be marshalled to JSON.
func (p *IDP) SignIDToken(claims map[string]any, o SignOptions) string {
	alg := o.Alg
	if alg == "" {
		alg = AlgRS256
	}
	key, kid := p.store.key, p.store.keyID
	if o.ForeignKey {
		key, kid = p.foreignKey(), foreignKID
	}
	if o.KID != "" {
		kid = o.KID
	}
	hdr := map[string]any{"alg": string(alg), "typ": "JWT"}
	if !o.OmitKID && alg != AlgNone {
		hdr["kid"] = kid
	}
	for k, v := range o.Headers {
		if v == nil {
			delete(hdr, k)
		} else {
			hdr[k] = v
		}
	}
	input := b64JSON(hdr) + "." + b64JSON(claims)

	var sig []byte
	switch alg {
	case AlgNone:
	case AlgHS256:
		k := o.HMACKey
		if len(k) == 0 {
			k = p.PublicKeyPEM()
		}
		m := hmac.New(sha256.New, k)
		m.Write([]byte(input))
		sig = m.Sum(nil)
	case AlgRS256:
		sum := sha256.Sum256([]byte(input))
		var err error
		sig, err = rsa.SignPKCS1v15(nil, key, crypto.SHA256, sum[:])
		if err != nil {
			panic(fmt.Sprintf("testidp: sign: %v", err))
		}
	default:
		panic(fmt.Sprintf("testidp: unsupported alg %q", alg))
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// PublicKeyPEM returns the IdP's signing public key as a PEM "PUBLIC KEY"
// block, the bytes HS256 uses by default in [SignOptions].
func (p *IDP) PublicKeyPEM() []byte {
	der, err := x509.MarshalPKIXPublicKey(&p.store.key.PublicKey)
	if err != nil {
		panic(fmt.Sprintf("testidp: %v", err))
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// KeyID returns the kid of the IdP's signing key.
func (p *IDP) KeyID() string { return p.store.keyID }

const foreignKID = "foreign"

// ForeignJWK returns the public half of the ForeignKey of [SignOptions] as a
// JWK (kty, kid, alg, use, n, e), for a jwk header pointing at the
// attacker's key or a JWKS an attacker hosts.
func (p *IDP) ForeignJWK() map[string]any {
	pub := p.foreignKey().PublicKey
	return map[string]any{
		"kty": "RSA",
		"kid": foreignKID,
		"alg": "RS256",
		"use": "sig",
		"n":   base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		"e":   base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}
}

// PublishKey adds a key to the IdP's JWKS after its signing key. key is a
// public key (*rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey) or a
// []byte, which is published as a symmetric "oct" key with its k value, as
// a misconfigured IdP would. alg is the key's alg member, such as "RS256"
// or "HS256". p.PublishKey("foreign", "RS256", p.ForeignPublicKey()) makes
// tokens signed with [SignOptions.ForeignKey] verify.
func (p *IDP) PublishKey(kid, alg string, key any) {
	p.store.publish(&publicKey{id: kid, alg: jose.SignatureAlgorithm(alg), key: key})
}

// ForeignPublicKey returns the public half of [SignOptions.ForeignKey].
func (p *IDP) ForeignPublicKey() *rsa.PublicKey { return &p.foreignKey().PublicKey }

func (p *IDP) foreignKey() *rsa.PrivateKey {
	p.foreignOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(fmt.Sprintf("testidp: %v", err))
		}
		p.foreign = k
	})
	return p.foreign
}

func b64JSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("testidp: marshal: %v", err))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
