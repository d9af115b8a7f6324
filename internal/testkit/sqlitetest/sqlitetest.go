// Package sqlitetest gives tests an adapters/sqlite Store on a file of
// their own. It is apart from testkit because adapters/sqlite imports
// packages whose own tests use testkit.
package sqlitetest

import (
	"database/sql"
	"path/filepath"
	"testing"

	_ "modernc.org/sqlite" // the "sqlite" driver

	"github.com/authgo/authgo/adapters/sqlite"
)

// New is Open on authgo.db in a temporary directory of the test.
func New(t testing.TB) (*sqlite.Store, *sql.DB) {
	t.Helper()
	return Open(t, filepath.Join(t.TempDir(), "authgo.db"))
}

// Open opens the SQLite file at path (created if missing, sqlite.DSN's
// settings), migrates it and returns a Store on it with its handle,
// closed when the test ends.
func Open(t testing.TB, path string) (*sqlite.Store, *sql.DB) {
	t.Helper()
	db, err := sql.Open("sqlite", sqlite.DSN(path))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := sqlite.New(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	return s, db
}
