package main

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
)

// TestSQLitePoolKeepsIdleConns: the pool serve opens on its SQLite file
// keeps sqliteIdleConns connections open after a burst of concurrent
// reads, rather than database/sql's two, and the store on it works.
func TestSQLitePoolKeepsIdleConns(t *testing.T) {
	t.Parallel()
	db, s, err := openStore(t.Context(), filepath.Join(t.TempDir(), "authgo.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// Hold sqliteIdleConns connections at once, then give them back.
	var conns []*sql.Conn
	for range sqliteIdleConns {
		c, err := db.Conn(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if err := c.PingContext(context.Background()); err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	for _, c := range conns {
		c.Close()
	}
	if st := db.Stats(); st.Idle != sqliteIdleConns || st.MaxIdleClosed != 0 {
		t.Fatalf("after the burst: %d idle, %d closed for want of room; want %d and 0", st.Idle, st.MaxIdleClosed, sqliteIdleConns)
	}
	if n, err := s.CountUsers(t.Context()); err != nil || n != 0 {
		t.Fatalf("CountUsers = %d, %v", n, err)
	}
}
