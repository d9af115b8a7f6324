package postgres_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/adapters/postgres"
)

// Migrate, then the Store as the session, user and revocation store. On a
// database Auth.js already uses, Migrate adds only authgo's tables and
// indexes, and both sides then see each other's users and sessions.
func ExampleMigrate() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("AUTH_DATABASE_URL")) // postgres://…
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	applied, err := postgres.Migrate(ctx, pool)
	if err != nil {
		log.Fatal(err)
	}
	for _, change := range applied {
		fmt.Println(change) // "created table authgo_sessions", …
	}
	s, err := postgres.New(pool)
	if err != nil {
		log.Fatal(err)
	}
	cfg := authgo.Config{
		Users: s,
		Session: authgo.SessionConfig{
			Strategy:    authgo.StrategyDatabase,
			Store:       s,
			Revocations: s,
		},
		// Secret, URL, Providers: …
	}
	_ = cfg
}
