package redis_test

import (
	"context"
	"database/sql"
	"fmt"
	"log"
	"net/http"
	"os"
	"time"

	goredis "github.com/redis/go-redis/v9"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/adapters/redis"
	"github.com/authgo/authgo/adapters/sqlite"
)

func ExampleNewLocker() {
	// The caller builds the client and owns it (NewClient does not
	// connect). A cluster, ring or failover client works as well.
	rdb := goredis.NewClient(&goredis.Options{Addr: "localhost:6379"})
	defer rdb.Close()

	locker := redis.NewLocker(rdb, redis.LockerOptions{}) // prefix "authgo:rt:", 15 s lease
	a, err := authgo.New(authgo.Config{
		Secret: []string{"a-secret-of-at-least-32-bytes-from-authgo-secret"},
		URL:    "https://example.com/auth",
		// Every instance of the site uses the same secret and Redis: one
		// of them refreshes a session's tokens, the others use the result.
		Tokens: authgo.TokensConfig{Locker: locker},
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(a.BasePath()+"/", a)

	// authgo names a refresh token by its SHA-256, never by itself.
	key := "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	fmt.Println(locker.LockKey(key))
	fmt.Println(locker.ResultKey(key))
	// Output:
	// authgo:rt:lock:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
	// authgo:rt:next:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
}

func ExampleOpen() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// e.g. redis://:password@redis:6379/0, as authgo serve reads it.
	rdb, err := redis.Open(ctx, os.Getenv("AUTH_REDIS_URL"))
	if err != nil {
		log.Fatal(err) // the message shows the URL with its password masked
	}
	defer rdb.Close()

	cfg := authgo.Config{ /* … */ }
	cfg.Tokens.Locker = redis.NewLocker(rdb, redis.LockerOptions{})
}

func ExampleNewRevocations() {
	rdb := goredis.NewClient(&goredis.Options{Addr: "localhost:6379"})
	defer rdb.Close()

	cfg := authgo.Config{ /* … */ }
	// Sign-outs recorded in Redis: a copied cookie of a signed-out session
	// opens nothing on any instance (within Session.RevocationCache, 2 s,
	// on the instances other than the one that signed out).
	cfg.Session.Revocations = redis.NewRevocations(rdb, redis.RevocationsOptions{})
}

func ExampleNewSessions() {
	ctx := context.Background()
	rdb := goredis.NewClient(&goredis.Options{Addr: "localhost:6379"})
	defer rdb.Close()
	// Users and their accounts stay in SQL (here SQLite; adapters/postgres
	// works the same way).
	db, err := sql.Open("sqlite", sqlite.DSN("authgo.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	users, err := sqlite.New(ctx, db)
	if err != nil {
		log.Fatal(err)
	}

	cfg := authgo.Config{ /* … */ }
	cfg.Users = users
	cfg.Session.Strategy = authgo.StrategyDatabase
	// A key per session, <Prefix>s:<SHA-256 of the token>, expiring with
	// the session.
	cfg.Session.Store = redis.NewSessions(rdb, users, redis.SessionsOptions{Prefix: "myapp:sess:"})
}
