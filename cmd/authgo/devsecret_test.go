package main

import (
	"path/filepath"
	"sync"
	"testing"
)

// TestDevSecretConcurrent: serves started at once on one data directory
// (two authgo serve --dev on the same --data) all get the same secret,
// and none reads the file while another is still writing it.
func TestDevSecretConcurrent(t *testing.T) {
	for round := range 20 {
		file := filepath.Join(t.TempDir(), "dev-secret")
		const n = 8
		secrets, errs := make([]string, n), make([]error, n)
		created := make([]bool, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { secrets[i], created[i], errs[i] = devSecret(file) })
		}
		wg.Wait()
		made := 0
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("round %d: devSecret %d: %v", round, i, errs[i])
			}
			if secrets[i] != secrets[0] {
				t.Fatalf("round %d: two secrets for one data directory", round)
			}
			if created[i] {
				made++
			}
		}
		if made != 1 {
			t.Fatalf("round %d: %d callers say they made the secret, want 1", round, made)
		}
	}
}
