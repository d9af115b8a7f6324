package oauthcore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/sync/singleflight"
)

// MaxJWKSKeys is the most keys a JWKS may hold.
const MaxJWKSKeys = 100

// ErrSignature reports a token no key of the JWKS verifies; other errors
// from KeySet.Verify are failures to fetch the JWKS.
var ErrSignature = errors.New("jwks: no key verifies the signature")

// KeySet is a JWKS fetched from URL at first use and cached. A token
// naming a kid the set does not have makes it fetch again, at most once
// per RefetchInterval, with concurrent fetches merged; a failed refetch
// keeps serving the cached keys. It holds at most MaxJWKSKeys keys (and
// go-jose caps RSA moduli), public signing keys only. Set the fields
// before first use.
type KeySet struct {
	URL             string
	HTTP            *http.Client
	Now             func() time.Time // nil: time.Now
	RefetchInterval time.Duration

	mu      sync.Mutex
	keys    []jose.JSONWebKey
	fetched time.Time          // of keys; zero before the first success
	fetches singleflight.Group // one fetch at a time
}

// Verify returns the payload of jws, which carries exactly one signature
// whose algorithm the caller has checked, when a key of the set verifies
// it. The error wraps ErrSignature when none does.
func (k *KeySet) Verify(ctx context.Context, jws *jose.JSONWebSignature) ([]byte, error) {
	hdr := jws.Signatures[0].Header
	keys, err := k.get(ctx, false)
	if err != nil {
		return nil, err
	}
	payload, known := verifyWith(jws, hdr, keys)
	if payload != nil {
		return payload, nil
	}
	if known {
		// A key with this kid is there and the signature is not its.
		return nil, fmt.Errorf("%w (kid %.64q)", ErrSignature, hdr.KeyID)
	}
	// Perhaps the keys were rotated.
	if keys, err = k.get(ctx, true); err != nil {
		return nil, err
	}
	if payload, _ := verifyWith(jws, hdr, keys); payload != nil {
		return payload, nil
	}
	return nil, fmt.Errorf("%w (kid %.64q)", ErrSignature, hdr.KeyID)
}

// verifyWith tries the keys that match hdr's kid and algorithm; known
// reports whether a key had hdr's (non-empty) kid.
func verifyWith(jws *jose.JSONWebSignature, hdr jose.Header, keys []jose.JSONWebKey) (payload []byte, known bool) {
	for _, key := range keys {
		if hdr.KeyID != "" && key.KeyID != hdr.KeyID {
			continue
		}
		known = hdr.KeyID != ""
		if key.Algorithm != "" && key.Algorithm != hdr.Algorithm {
			continue
		}
		if p, err := jws.Verify(key.Key); err == nil {
			return p, known
		}
	}
	return nil, known
}

func (k *KeySet) now() time.Time {
	if k.Now != nil {
		return k.Now()
	}
	return time.Now()
}

// get returns the cached keys, fetching them when there are none or, if
// refresh, when the last fetch is older than RefetchInterval.
func (k *KeySet) get(ctx context.Context, refresh bool) ([]jose.JSONWebKey, error) {
	if keys := k.cached(refresh); keys != nil {
		return keys, nil
	}
	// Detached, so that one caller going away does not fail the others.
	detached := context.WithoutCancel(ctx)
	ch := k.fetches.DoChan("", func() (any, error) {
		if keys := k.cached(refresh); keys != nil {
			return keys, nil // a fetch finished since cached was called
		}
		keys, err := k.fetch(detached)
		k.mu.Lock()
		defer k.mu.Unlock()
		if err == nil {
			k.keys, k.fetched = keys, k.now()
		} else if k.keys != nil {
			keys, err = k.keys, nil // keep serving the cached set
			k.fetched = k.now()     // and wait before trying again
		}
		return keys, err
	})
	select {
	case r := <-ch:
		keys, _ := r.Val.([]jose.JSONWebKey)
		return keys, r.Err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// cached returns the keys when they need no fetch: there are some and, if
// refresh, the last fetch is more recent than RefetchInterval.
func (k *KeySet) cached(refresh bool) []jose.JSONWebKey {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.keys != nil && (!refresh || k.now().Sub(k.fetched) < k.RefetchInterval) {
		return k.keys
	}
	return nil
}

func (k *KeySet) fetch(ctx context.Context) ([]jose.JSONWebKey, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := GetJSONInto(ctx, k.HTTP, k.URL, "", http.Header{"Cache-Control": {"no-cache"}}, &set); err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	if len(set.Keys) > MaxJWKSKeys {
		return nil, fmt.Errorf("jwks: %d keys, more than %d", len(set.Keys), MaxJWKSKeys)
	}
	keys := []jose.JSONWebKey{}
	for _, raw := range set.Keys {
		var key jose.JSONWebKey
		if err := json.Unmarshal(raw, &key); err != nil {
			continue // an unsupported type, curve or size
		}
		if !key.Valid() || !key.IsPublic() || (key.Use != "" && key.Use != "sig") {
			continue // symmetric ("oct") and private keys, encryption keys
		}
		keys = append(keys, key)
	}
	if len(keys) == 0 {
		return nil, errors.New("jwks: no usable signing key")
	}
	return keys, nil
}
