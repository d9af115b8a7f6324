package jwe

import (
	"strings"

	jose "github.com/go-jose/go-jose/v4"
)

// JoseOpener opens tokens with github.com/go-jose/go-jose/v4 under the same
// rules as [Keyring.Open]. It is slower and exists as the reference that the
// differential tests and fuzz targets hold the standard-library path to. It
// lives in a _test.go file so that go-jose is compiled only by this
// package's tests, never into a program that imports authgo.
type JoseOpener struct{ Keys *Keyring }

// Open implements [Opener].
func (o JoseOpener) Open(token string) ([]byte, error) {
	if len(token) > MaxTokenLen {
		return nil, ErrTooLarge
	}
	if strings.Count(token, ".") != 4 {
		return nil, ErrMalformed
	}
	p, _ := split(token)
	if p.ek != "" {
		return nil, ErrUnsupported
	}
	// go-jose decodes base64url leniently (stray trailing bits pass); one
	// token must have one spelling, so that policy is ours too.
	for _, seg := range []string{p.iv, p.ct, p.tag} {
		if _, err := b64.DecodeString(seg); err != nil {
			return nil, ErrMalformed
		}
	}
	// go-jose is more permissive about header members than Auth.js needs
	// (it would inflate zip, for one); the header policy is ours.
	h, err := parseHeader(p.header)
	if err != nil {
		return nil, err
	}
	obj, err := jose.ParseEncryptedCompact(token,
		[]jose.KeyAlgorithm{jose.DIRECT},
		[]jose.ContentEncryption{jose.A256CBC_HS512, jose.A256GCM})
	if err != nil {
		return nil, ErrMalformed
	}
	ring := o.Keys.cbc
	if h.enc == EncA256GCM {
		ring = o.Keys.gcm
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
	pt, err := obj.Decrypt(k.raw)
	if err != nil {
		return nil, ErrDecrypt
	}
	return pt, nil
}
