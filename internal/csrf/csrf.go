// Package csrf implements the Auth.js double-submit CSRF token: a random
// token, and a cookie holding "token|hash" where hash is the hex SHA-256 of
// the token followed by a secret string. The client reads the token from
// GET <base>/csrf and posts it back in the body as csrfToken.
//
// # Key rotation
//
// @auth/core hashes with String(secret): with several secrets, all of them
// joined by commas, so adding a secret changes the hash and every
// outstanding token breaks. next-auth with AUTH_SECRET set hashes with
// that one secret. authgo mints with the newest secret alone and accepts a
// hash made with any one of its secrets or with the joined list, so a
// rotation (first the new secret added as an older one, then made the
// newest) keeps every token working, and cookies made by Auth.js with
// either rule verify.
package csrf

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"strings"
)

// Key is what tokens are hashed with: the configured secrets, newest
// first. The zero Key has no secret and verifies nothing.
type Key struct {
	// accept are the strings a hash may be made with: each secret, newest
	// first, then (with more than one) all of them joined by commas, which
	// is what JavaScript's String(["new","old"]) gives.
	accept []string
}

// Secret returns the Key for secrets, newest first.
func Secret(secrets []string) Key {
	k := Key{accept: append([]string(nil), secrets...)}
	if len(secrets) > 1 {
		k.accept = append(k.accept, strings.Join(secrets, ","))
	}
	return k
}

// New returns a fresh token (32 random bytes as 64 lowercase hex digits) and
// the cookie value "token|hash" that vouches for it, hashed with the newest
// secret.
func New(k Key) (token, cookieValue string) {
	var b [32]byte
	rand.Read(b[:])
	token = hex.EncodeToString(b[:])
	return token, token + "|" + k.Hash(token)
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

// Hash returns the hex SHA-256 of token followed by k's newest secret:
// what New puts in the cookie, and what Auth.js stores of an email link's
// token.
func (k Key) Hash(token string) string {
	var secret string
	if len(k.accept) > 0 {
		secret = k.accept[0]
	}
	return hash(token, secret)
}

// Hashes returns every hash Verify accepts for token under k: made with
// each secret, newest first, then with all of them joined. A store lookup
// by hash (an email link's token) tries them in turn.
func (k Key) Hashes(token string) []string {
	out := make([]string, len(k.accept))
	for i, secret := range k.accept {
		out[i] = hash(token, secret)
	}
	return out
}

// maxCookie bounds the work spent on a forged cookie.
const maxCookie = 256

// Verify checks a cookie value (already percent-decoded) and returns the
// token it vouches for: its hash was made with one of k's secrets or with
// all of them joined. ok is false for a missing, malformed or forged
// cookie; the caller then mints a new one. Every candidate is compared, in
// constant time, so the time taken says nothing about which one matched.
func Verify(cookieValue string, k Key) (token string, ok bool) {
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
	if len(h) != 2*sha256.Size || len(k.accept) == 0 {
		return "", false
	}
	match := 0
	for _, secret := range k.accept {
		want := hashHex(token, secret)
		// Constant time over the posted bytes, without converting h.
		var diff byte
		for i := range want {
			diff |= h[i] ^ want[i]
		}
		match |= subtle.ConstantTimeByteEq(diff, 0)
	}
	if match != 1 {
		return "", false
	}
	return token, true
}

// Equal compares two secrets in constant time (for equal lengths). Every
// token, state, nonce and verifier comparison in authgo goes through it.
func Equal(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
