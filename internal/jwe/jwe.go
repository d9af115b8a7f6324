// Package jwe seals and opens the JWE compact tokens that Auth.js uses for
// its session cookie and its OAuth check cookies: "alg":"dir" with
// "enc":"A256CBC-HS512" (and, on open only, "A256GCM"), keys derived from a
// secret with HKDF-SHA256, and a "kid" that is the RFC 7638 thumbprint of the
// derived key.
//
// The hot path (open a token whose protected header is exactly the one
// Auth.js emits) is built from the standard library: crypto/aes,
// crypto/cipher, crypto/hmac and crypto/sha512, with the tag checked in
// constant time before the padding is looked at. The tests' JoseOpener does
// the same job with github.com/go-jose/go-jose/v4 and is the oracle the
// differential tests and fuzz targets compare against; it is test code, so
// go-jose is not compiled into programs. Both satisfy [Opener].
package jwe

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"strings"
	"sync"
)

// Content-encryption algorithms, as they appear in the "enc" header.
const (
	EncA256CBCHS512 = "A256CBC-HS512"
	EncA256GCM      = "A256GCM"
)

// Limits on untrusted input. A token longer than MaxTokenLen, or a protected
// header longer than maxHeaderLen, is refused before any decoding.
const (
	// MaxTokenLen is eight Auth.js cookie chunks of 3936 characters.
	MaxTokenLen  = 8 * 3936
	maxHeaderLen = 1024
)

// Errors returned by Open. They are deliberately coarse: the caller treats
// every one of them as "no session".
var (
	ErrMalformed   = errors.New("jwe: malformed token")
	ErrTooLarge    = errors.New("jwe: token too large")
	ErrUnsupported = errors.New("jwe: unsupported header")
	ErrNoKey       = errors.New("jwe: no matching decryption secret")
	ErrDecrypt     = errors.New("jwe: decryption failed")
)

// Opener opens a compact JWE and returns its plaintext. It is the one
// interface the session decoder depends on.
type Opener interface {
	Open(token string) ([]byte, error)
}

var b64 = base64.RawURLEncoding.Strict()

// DeriveKey returns the Auth.js key for secret and salt: HKDF-SHA256 with
// info "Auth.js Generated Encryption Key (<salt>)", size bytes long (64 for
// A256CBC-HS512, 32 for A256GCM).
func DeriveKey(secret, salt string, size int) ([]byte, error) {
	if secret == "" {
		return nil, errors.New("jwe: empty secret")
	}
	return hkdf.Key(sha256.New, []byte(secret), []byte(salt), "Auth.js Generated Encryption Key ("+salt+")", size)
}

// Thumbprint returns the RFC 7638 thumbprint of a symmetric JWK holding key:
// SHA-512 for a 64-byte key and SHA-256 for a 32-byte key, as Auth.js
// computes its "kid".
func Thumbprint(key []byte) string {
	jwk := `{"k":"` + base64.RawURLEncoding.EncodeToString(key) + `","kty":"oct"}`
	if len(key) == 32 {
		sum := sha256.Sum256([]byte(jwk))
		return base64.RawURLEncoding.EncodeToString(sum[:])
	}
	sum := sha512.Sum512([]byte(jwk))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// key is one derived key with everything the hot path needs precomputed.
type key struct {
	raw    []byte
	kid    string
	header string // base64url of the exact protected header Auth.js emits (CBC only)
	aad    []byte // header as bytes: the AAD of every token with that header
	block  cipher.Block
	state  *sync.Pool // of *cbcState (CBC only)
	aead   cipher.AEAD
}

// cbcState is what one CBC seal or open needs, kept in a pool so that the
// hot path allocates neither the HMAC nor the block modes.
type cbcState struct {
	mac      hash.Hash // HMAC-SHA-512 keyed with raw[:32]
	enc, dec cipher.BlockMode
	sum      [64]byte
	ct, b64  []byte // Seal's scratch: the ciphertext, a segment in base64
}

// maxScratch bounds the scratch a pooled state keeps between Seals.
const maxScratch = 16 << 10

type ivSetter interface{ SetIV([]byte) }

func newCBCKey(raw []byte) (*key, error) {
	block, err := aes.NewCipher(raw[32:])
	if err != nil {
		return nil, fmt.Errorf("jwe: %w", err)
	}
	macKey := raw[:32]
	k := &key{raw: raw, kid: Thumbprint(raw), block: block}
	var zeroIV [aes.BlockSize]byte
	k.state = &sync.Pool{New: func() any {
		st := &cbcState{mac: hmac.New(sha512.New, macKey)}
		// The standard library's CBC modes can take a new IV; when one
		// cannot, seal and open make a fresh mode each time.
		if enc := cipher.NewCBCEncrypter(block, zeroIV[:]); isIVSetter(enc) {
			st.enc = enc
		}
		if dec := cipher.NewCBCDecrypter(block, zeroIV[:]); isIVSetter(dec) {
			st.dec = dec
		}
		return st
	}}
	k.header = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"dir","enc":"A256CBC-HS512","kid":"` + k.kid + `"}`))
	k.aad = []byte(k.header)
	return k, nil
}

func newGCMKey(raw []byte) (*key, error) {
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, fmt.Errorf("jwe: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("jwe: %w", err)
	}
	return &key{raw: raw, kid: Thumbprint(raw), aead: aead}, nil
}

// Keyring holds the keys derived from a list of secrets (newest first) for
// one salt. The first secret seals; every secret opens. A Keyring is
// immutable and safe for concurrent use.
type Keyring struct {
	salt string
	cbc  []*key // one per secret, same order
	gcm  []*key
}

// NewKeyring derives the keys for secrets and salt once. It refuses an empty
// list and empty secrets.
func NewKeyring(secrets []string, salt string) (*Keyring, error) {
	if len(secrets) == 0 {
		return nil, errors.New("jwe: no secret")
	}
	kr := &Keyring{salt: salt}
	for i, s := range secrets {
		if s == "" {
			return nil, fmt.Errorf("jwe: secret %d is empty", i)
		}
		raw, err := DeriveKey(s, salt, 64)
		if err != nil {
			return nil, err
		}
		k, err := newCBCKey(raw)
		if err != nil {
			return nil, err
		}
		kr.cbc = append(kr.cbc, k)
		g, err := newGCMKey(raw[:32]) // HKDF with L=32 is a prefix of L=64
		if err != nil {
			return nil, err
		}
		kr.gcm = append(kr.gcm, g)
	}
	return kr, nil
}

// Salt returns the salt the keys were derived with.
func (kr *Keyring) Salt() string { return kr.salt }

// KeyID returns the "kid" of the sealing key.
func (kr *Keyring) KeyID() string { return kr.cbc[0].kid }

// Seal encrypts plaintext with the first secret's key as Auth.js does:
// alg dir, enc A256CBC-HS512, a random 16-byte IV, and the kid in the
// protected header.
func (kr *Keyring) Seal(plaintext []byte) (string, error) {
	k := kr.cbc[0]
	var iv [16]byte
	if _, err := rand.Read(iv[:]); err != nil {
		return "", fmt.Errorf("jwe: %w", err)
	}
	st := k.state.Get().(*cbcState)
	defer func() {
		if cap(st.ct) > maxScratch || cap(st.b64) > maxScratch {
			st.ct, st.b64 = nil, nil
		}
		k.state.Put(st)
	}()
	pad := aes.BlockSize - len(plaintext)%aes.BlockSize
	ct := append(append(st.ct[:0], plaintext...), make([]byte, pad)...)
	for i := len(plaintext); i < len(ct); i++ {
		ct[i] = byte(pad)
	}
	st.ct = ct
	k.encrypter(st, iv[:]).CryptBlocks(ct, ct)
	tag := st.tag(k.aad, iv[:], ct)

	// One allocation: the token itself. Each segment is encoded into the
	// state's scratch, then copied in.
	enc := base64.RawURLEncoding
	var sb strings.Builder
	sb.Grow(len(k.header) + 3 + enc.EncodedLen(16) + enc.EncodedLen(len(ct)) + enc.EncodedLen(32) + 1)
	sb.WriteString(k.header)
	sb.WriteString("..")
	for i, seg := range [...][]byte{iv[:], ct, tag} {
		if i > 0 {
			sb.WriteByte('.')
		}
		st.b64 = enc.AppendEncode(st.b64[:0], seg)
		sb.Write(st.b64)
	}
	return sb.String(), nil
}

func isIVSetter(m cipher.BlockMode) bool { _, ok := m.(ivSetter); return ok }

func (k *key) encrypter(st *cbcState, iv []byte) cipher.BlockMode {
	if st.enc == nil {
		return cipher.NewCBCEncrypter(k.block, iv)
	}
	st.enc.(ivSetter).SetIV(iv)
	return st.enc
}

func (k *key) decrypter(st *cbcState, iv []byte) cipher.BlockMode {
	if st.dec == nil {
		return cipher.NewCBCDecrypter(k.block, iv)
	}
	st.dec.(ivSetter).SetIV(iv)
	return st.dec
}

// tag computes the HMAC-SHA-512 of RFC 7518 §5.2.2.1 and returns its first
// 32 bytes, the authentication tag. The slice is st's and valid until st
// goes back to the pool.
func (st *cbcState) tag(aad, iv, ct []byte) []byte {
	m := st.mac
	m.Reset()
	m.Write(aad)
	m.Write(iv)
	m.Write(ct)
	var al [8]byte
	binary.BigEndian.PutUint64(al[:], uint64(len(aad))*8)
	m.Write(al[:])
	return m.Sum(st.sum[:0])[:32]
}

// parts splits a compact JWE into its five segments without allocating and
// without scanning past the fifth.
type parts struct{ header, ek, iv, ct, tag string }

func split(token string) (parts, error) {
	if len(token) > MaxTokenLen {
		return parts{}, ErrTooLarge
	}
	var seg [5]string
	rest := token
	for i := 0; i < 4; i++ {
		j := strings.IndexByte(rest, '.')
		if j < 0 {
			return parts{}, ErrMalformed
		}
		seg[i], rest = rest[:j], rest[j+1:]
	}
	if strings.IndexByte(rest, '.') >= 0 {
		return parts{}, ErrMalformed
	}
	seg[4] = rest
	return parts{seg[0], seg[1], seg[2], seg[3], seg[4]}, nil
}

// Open decrypts token. It accepts alg dir with enc A256CBC-HS512 or A256GCM,
// chooses the key by kid (or the first secret when there is no kid, as
// Auth.js does), and refuses everything else: other algorithms, a non-empty
// encrypted key, zip, crit, unknown header members, duplicate members,
// non-canonical base64url, and oversized input.
func (kr *Keyring) Open(token string) ([]byte, error) {
	p, err := split(token)
	if err != nil {
		return nil, err
	}
	if p.ek != "" {
		return nil, ErrUnsupported
	}
	// Fast path: the exact header Auth.js (and authgo) emit.
	for _, k := range kr.cbc {
		if p.header == k.header {
			return k.openCBC(p)
		}
	}
	h, err := parseHeader(p.header)
	if err != nil {
		return nil, err
	}
	ring := kr.cbc
	if h.enc == EncA256GCM {
		ring = kr.gcm
	}
	var k *key
	if h.kid == nil {
		k = ring[0]
	} else {
		for _, c := range ring {
			if c.kid == *h.kid {
				k = c
				break
			}
		}
	}
	if k == nil {
		return nil, ErrNoKey
	}
	if h.enc == EncA256GCM {
		return k.openGCM(p)
	}
	return k.openCBC(p)
}

func (k *key) openCBC(p parts) ([]byte, error) {
	if len(p.iv) != 22 || len(p.tag) != 43 || len(p.ct) == 0 {
		return nil, ErrMalformed
	}
	var iv [16]byte
	var tag [32]byte
	if n, err := b64.Decode(iv[:], []byte(p.iv)); err != nil || n != 16 {
		return nil, ErrMalformed
	}
	if n, err := b64.Decode(tag[:], []byte(p.tag)); err != nil || n != 32 {
		return nil, ErrMalformed
	}
	ct, err := b64.DecodeString(p.ct)
	if err != nil || len(ct)%aes.BlockSize != 0 || len(ct) == 0 {
		return nil, ErrMalformed
	}
	st := k.state.Get().(*cbcState)
	defer k.state.Put(st)
	aad := k.aad
	if p.header != k.header {
		aad = []byte(p.header) // a header spelled differently: still its own AAD
	}
	if subtle.ConstantTimeCompare(st.tag(aad, iv[:], ct), tag[:]) != 1 {
		return nil, ErrDecrypt
	}
	k.decrypter(st, iv[:]).CryptBlocks(ct, ct)
	pad := int(ct[len(ct)-1])
	if pad == 0 || pad > aes.BlockSize {
		return nil, ErrDecrypt
	}
	for _, b := range ct[len(ct)-pad:] {
		if int(b) != pad {
			return nil, ErrDecrypt
		}
	}
	return ct[:len(ct)-pad], nil
}

func (k *key) openGCM(p parts) ([]byte, error) {
	iv, err := b64.DecodeString(p.iv)
	if err != nil || len(iv) != k.aead.NonceSize() {
		return nil, ErrMalformed
	}
	ct, err := b64.DecodeString(p.ct)
	if err != nil {
		return nil, ErrMalformed
	}
	tag, err := b64.DecodeString(p.tag)
	if err != nil || len(tag) != k.aead.Overhead() {
		return nil, ErrMalformed
	}
	pt, err := k.aead.Open(nil, iv, append(ct, tag...), []byte(p.header))
	if err != nil {
		return nil, ErrDecrypt
	}
	return pt, nil
}

type header struct {
	enc string
	kid *string
}

// parseHeader decodes a protected header strictly: a JSON object with no
// duplicate members, "alg":"dir", an allowed "enc", an optional string
// "kid", and nothing else but the informational "typ" and "cty".
func parseHeader(seg string) (header, error) {
	if len(seg) > maxHeaderLen {
		return header{}, ErrTooLarge
	}
	raw, err := b64.DecodeString(seg)
	if err != nil {
		return header{}, ErrMalformed
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return header{}, ErrMalformed
	}
	var h header
	var alg *string
	seen := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return header{}, ErrMalformed
		}
		name, _ := t.(string)
		if seen[name] {
			return header{}, ErrUnsupported
		}
		seen[name] = true
		v, err := dec.Token()
		if err != nil {
			return header{}, ErrMalformed
		}
		s, isString := v.(string)
		switch name {
		case "alg":
			if !isString {
				return header{}, ErrUnsupported
			}
			alg = &s
		case "enc":
			if !isString {
				return header{}, ErrUnsupported
			}
			h.enc = s
		case "kid":
			if !isString {
				return header{}, ErrUnsupported
			}
			h.kid = &s
		case "typ", "cty":
			if !isString {
				return header{}, ErrUnsupported
			}
		default:
			// zip, crit, jku, jwk, x5u, epk, p2c, … and anything unknown.
			return header{}, ErrUnsupported
		}
	}
	if t, err := dec.Token(); err != nil || t != json.Delim('}') {
		return header{}, ErrMalformed
	}
	if dec.More() {
		return header{}, ErrMalformed
	}
	if _, err := dec.Token(); err == nil {
		return header{}, ErrMalformed // trailing data after the object
	}
	if alg == nil || *alg != "dir" {
		return header{}, ErrUnsupported
	}
	if h.enc != EncA256CBCHS512 && h.enc != EncA256GCM {
		return header{}, ErrUnsupported
	}
	return h, nil
}
