package outbox_test

import (
	"context"
	"database/sql"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/adapters/outbox"
	"github.com/authgo/authgo/adapters/sqlite"
)

func ExampleNew() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "authgo-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	// The shared store: here SQLite; adapters/redis for several hosts.
	db, err := sql.Open("sqlite", sqlite.DSN(filepath.Join(dir, "authgo.db")))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	shared, err := sqlite.New(ctx, db)
	if err != nil {
		log.Fatal(err)
	}

	// The outbox: a journal on this instance's disk, beside (not inside)
	// the database, one per instance.
	journal, err := outbox.OpenFile(filepath.Join(dir, "authgo.outbox"))
	if err != nil {
		log.Fatal(err)
	}
	defer journal.Close()
	box, err := outbox.New(ctx, shared, journal, outbox.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer box.Close() // before journal.Close

	a, err := authgo.New(authgo.Config{
		Secret:  []string{"an example secret of at least 32 bytes, from AUTH_SECRET"},
		URL:     "https://example.com/auth",
		Session: authgo.SessionConfig{Revocations: box},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(a.BasePath())

	// With the database answering, revocations go straight through.
	box.RevokeSession(ctx, "session-1", time.Now().Add(time.Hour))
	revoked, _, err := shared.Check(ctx, "session-1", "")
	fmt.Println(revoked, err)
	recs, _ := journal.Records(ctx)
	fmt.Println(len(recs), "kept")
	// Output:
	// /auth
	// true <nil>
	// 0 kept
}
