package oidc

import (
	"context"
	"errors"
	"fmt"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/authgo/authgo/providers/internal/oauthcore"
)

// refetchInterval is the least time between two fetches of the JWKS once
// it has been fetched: an ID token naming an unknown kid makes at most one
// fetch a minute.
const refetchInterval = time.Minute

// keySet is the provider's JWKS as an oidc.KeySet. Unlike go-oidc's
// RemoteKeySet it caps the number of keys (and go-jose the RSA modulus
// size), keeps only public signing keys, and fetches again on an unknown
// kid at most once a minute (oauthcore.KeySet).
type keySet struct {
	*oauthcore.KeySet
	algs []jose.SignatureAlgorithm
}

// VerifySignature implements oidc.KeySet. The verifier has checked the
// algorithm against the allowlist before calling it.
func (k keySet) VerifySignature(ctx context.Context, raw string) ([]byte, error) {
	jws, err := jose.ParseSignedCompact(raw, k.algs)
	if err != nil {
		return nil, fmt.Errorf("malformed jwt: %w", err)
	}
	if len(jws.Signatures) != 1 {
		return nil, errors.New("want exactly one signature")
	}
	return k.Verify(ctx, jws)
}
