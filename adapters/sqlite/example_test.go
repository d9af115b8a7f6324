package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/authgo/authgo/adapters/sqlite"
	"github.com/authgo/authgo/internal/password"
)

func ExampleNew() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "authgo-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	// The caller picks the driver and owns the pool.
	db, err := sql.Open("sqlite", sqlite.DSN(filepath.Join(dir, "authgo.db")))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	store, err := sqlite.New(ctx, db) // creates or migrates the schema
	if err != nil {
		log.Fatal(err)
	}

	// authgo user add alice
	hash, err := password.Hash("correct horse battery staple")
	if err != nil {
		log.Fatal(err)
	}
	_, err = store.CreatePasswordUser(ctx, "alice", hash, sqlite.User{ID: "user-1", Name: "Alice"})
	if err != nil {
		log.Fatal(err)
	}
	_, err = store.CreatePasswordUser(ctx, "alice", hash, sqlite.User{})
	fmt.Println(errors.Is(err, sqlite.ErrUserExists))

	// Sign-in.
	u, stored, err := store.PasswordUser(ctx, "alice")
	if err != nil {
		log.Fatal(err)
	}
	ok, err := password.Verify("correct horse battery staple", stored)
	fmt.Println(u.ID, u.Name, ok, err)

	_, _, err = store.PasswordUser(ctx, "mallory")
	fmt.Println(errors.Is(err, sqlite.ErrNotFound))

	n, err := store.CountUsers(ctx)
	fmt.Println(n, err)
	// Output:
	// true
	// user-1 Alice true <nil>
	// true
	// 1 <nil>
}

func ExampleDSN() {
	fmt.Println(sqlite.DSN("/var/lib/authgo/authgo.db"))
	// Output: file:///var/lib/authgo/authgo.db?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_txlock=immediate
}
