package backend

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/authgo/authgo/providers/internal/oauthcore"
)

const (
	// maxKeys is the most keys a JWKS may hold.
	maxKeys = 100
	// refetchInterval is the least time between two fetches of the JWKS
	// once it has been fetched: tokens naming unknown kids make at most one
	// fetch per interval (tokens-bff.md §7.1).
	refetchInterval = 30 * time.Second
)

// keySet is the back end's JWKS: fetched at first use, cached, fetched
// again on an unknown kid at most once per refetchInterval, with
// concurrent fetches merged. Only public signing keys are kept; a failed
// fetch keeps the cached keys.
type keySet struct {
	url  string
	http *http.Client
	now  func() time.Time

	mu      sync.Mutex
	keys    []jose.JSONWebKey
	fetched time.Time // of keys; zero before the first success
	call    *keysCall
}

type keysCall struct {
	done chan struct{}
	keys []jose.JSONWebKey
	err  error
}

// verify returns the payload of jws (with exactly one signature, its
// algorithm already checked) when a key of the set verifies it.
func (k *keySet) verify(ctx context.Context, jws *jose.JSONWebSignature) ([]byte, error) {
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
		return nil, invalid("bad signature")
	}
	// Perhaps the back end rotated its keys.
	keys, err = k.get(ctx, true)
	if err != nil {
		return nil, err
	}
	if payload, _ := verifyWith(jws, hdr, keys); payload != nil {
		return payload, nil
	}
	return nil, invalid("no key of the JWKS verifies the signature (kid %.64q)", hdr.KeyID)
}

// verifyWith tries the keys that fit hdr's kid and algorithm; known
// reports whether a key had hdr's (non-empty) kid.
func verifyWith(jws *jose.JSONWebSignature, hdr jose.Header, keys []jose.JSONWebKey) (payload []byte, known bool) {
	for _, key := range keys {
		if hdr.KeyID != "" && key.KeyID != hdr.KeyID {
			continue
		}
		known = known || hdr.KeyID != ""
		if key.Algorithm != "" && key.Algorithm != hdr.Algorithm {
			continue
		}
		if p, err := jws.Verify(key.Key); err == nil {
			return p, known
		}
	}
	return nil, known
}

// get returns the cached keys, fetching them when there are none or, if
// refresh, when the last fetch is older than refetchInterval.
func (k *keySet) get(ctx context.Context, refresh bool) ([]jose.JSONWebKey, error) {
	k.mu.Lock()
	if k.keys != nil && (!refresh || k.now().Sub(k.fetched) < refetchInterval) {
		keys := k.keys
		k.mu.Unlock()
		return keys, nil
	}
	c := k.call
	if c == nil {
		c = &keysCall{done: make(chan struct{})}
		k.call = c
		// Detached, so that one caller going away does not fail the others.
		go func() {
			keys, err := k.fetch(context.WithoutCancel(ctx))
			k.mu.Lock()
			if err == nil {
				k.keys, k.fetched = keys, k.now()
			} else if k.keys != nil {
				keys, err = k.keys, nil // keep serving the cached set
				k.fetched = k.now()     // and wait before trying again
			}
			k.call = nil
			k.mu.Unlock()
			c.keys, c.err = keys, err
			close(c.done)
		}()
	}
	k.mu.Unlock()
	select {
	case <-c.done:
		return c.keys, c.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (k *keySet) fetch(ctx context.Context) ([]jose.JSONWebKey, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := oauthcore.GetJSONInto(ctx, k.http, k.url, "", http.Header{"Cache-Control": {"no-cache"}}, &set); err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	if len(set.Keys) > maxKeys {
		return nil, fmt.Errorf("jwks: %d keys, more than %d", len(set.Keys), maxKeys)
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
