package oidc_test

import (
	"slices"
	"testing"

	"github.com/authgo/authgo/providers/oidc"
)

// TestDefaultSigningAlgorithmsCopy: the allowlist cannot be changed from
// outside the package: each call hands out a fresh copy.
func TestDefaultSigningAlgorithmsCopy(t *testing.T) {
	algs := oidc.DefaultSigningAlgorithms()
	if !slices.Contains(algs, "RS256") || slices.Contains(algs, "HS256") || slices.Contains(algs, "none") {
		t.Fatalf("DefaultSigningAlgorithms() = %v", algs)
	}
	algs[0] = "none"
	if got := oidc.DefaultSigningAlgorithms(); got[0] == "none" {
		t.Fatal("changing the returned slice changed the allowlist")
	}
}
