package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/authgo/authgo/adapters/adaptertest"
	"github.com/authgo/authgo/adapters/sqlite"
	"github.com/authgo/authgo/store"
)

// TestVerificationTokens: the contract, each store a new handle on one
// file, as another process would open it.
func TestVerificationTokens(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "authgo.db")
	adaptertest.VerificationTokens(t, func(t *testing.T) store.VerificationTokenStore {
		s, err := sqlite.New(t.Context(), openDB(t, sqlite.DSN(path)))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// TestAuthenticators: the WebAuthn credentials contract, each store a new
// handle on one file.
func TestAuthenticators(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "authgo.db")
	adaptertest.Authenticators(t, func(t *testing.T) adaptertest.AuthenticatorDatabase {
		s, err := sqlite.New(t.Context(), openDB(t, sqlite.DSN(path)))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
