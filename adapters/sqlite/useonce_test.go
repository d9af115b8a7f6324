package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/authgo/authgo/adapters/adaptertest"
	"github.com/authgo/authgo/adapters/sqlite"
)

// TestUseOnce: the contract, each store a new handle on one file (as
// another process would open it), and a replayed OAuth callback refused on
// a second authgo instance sharing the file.
func TestUseOnce(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "authgo.db")
	adaptertest.UseOnce(t, func(t *testing.T) adaptertest.OnceStore {
		s, err := sqlite.New(t.Context(), openDB(t, sqlite.DSN(path)))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
