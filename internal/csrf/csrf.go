// Package csrf implements the Auth.js double-submit CSRF token: a random
// token, and a cookie holding "token|hash" where hash is the hex SHA-256 of
// the token followed by the secret string. The client reads the token from
// GET <base>/csrf and posts it back in the body as csrfToken.
package csrf

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"strings"
)

// Secret is the string Auth.js hashes with: its configured secrets joined
// with commas, which is what JavaScript's String(["new","old"]) gives.
func Secret(secrets []string) string { return strings.Join(secrets, ",") }

// New returns a fresh token (32 random bytes as 64 lowercase hex digits) and
// the cookie value "token|hash" that vouches for it.
func New(secret string) (token, cookieValue string) {
	var b [32]byte
	rand.Read(b[:])
	token = hex.EncodeToString(b[:])
	return token, token + "|" + hash(token, secret)
}

func hash(token, secret string) string {
	h := hashHex(token, secret)
	return string(h[:])
}

// hashHex is the lowercase hex SHA-256 of token+secret, made without
// allocating for the lengths authgo uses.
func hashHex(token, secret string) [2 * sha256.Size]byte {
	var buf [256]byte
	in := append(append(buf[:0], token...), secret...)
	sum := sha256.Sum256(in)
	var out [2 * sha256.Size]byte
	hex.Encode(out[:], sum[:])
	return out
}

// maxCookie bounds the work spent on a forged cookie.
const maxCookie = 256

// Verify checks a cookie value (already percent-decoded) and returns the
// token it vouches for. ok is false for a missing, malformed or forged
// cookie; the caller then mints a new one.
func Verify(cookieValue, secret string) (token string, ok bool) {
	if len(cookieValue) > maxCookie {
		return "", false
	}
	token, h, found := strings.Cut(cookieValue, "|")
	if !found || token == "" {
		return "", false
	}
	// Auth.js splits on every "|" and compares the second part only; a
	// third part makes the cookie forged here.
	if strings.IndexByte(h, '|') >= 0 {
		return "", false
	}
	want := hashHex(token, secret)
	if len(h) != len(want) {
		return "", false
	}
	// Constant time over the posted bytes, without converting h.
	var diff byte
	for i := range want {
		diff |= h[i] ^ want[i]
	}
	if subtle.ConstantTimeByteEq(diff, 0) != 1 {
		return "", false
	}
	return token, true
}

// Equal compares two secrets in constant time (for equal lengths). Every
// token, state, nonce and verifier comparison in authgo goes through it.
func Equal(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
