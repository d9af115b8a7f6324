// Command dbserver serves GET /auth/session and a small page behind
// a.Middleware (/mypage/x) with the session strategy -store names, for
// bench/db.sh to load side by side: jwt (the cookie is the session), or
// the database strategy on sqlite (a file), postgres (-db, a migrated or
// empty database) or redis (-redis; users in a SQLite file; built with
// -tags benchredis). For the database strategies it first makes the user
// Alice and one session of hers in the store, with the token -token when
// given (bench/db.sh gives Auth.js the same row), then prints the session
// cookie as a "Cookie: " line and serves. -store-cache sets
// SessionConfig.StoreCache (negative: no cache).
package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	_ "modernc.org/sqlite"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/adapters/postgres"
	"github.com/authgo/authgo/adapters/sqlite"
	"github.com/authgo/authgo/jwt"
	"github.com/authgo/authgo/store"
)

const secret = "bench-secret-0123456789abcdef0123456789abcdef"

// stores holds the database strategy's stores: -store → open.
var stores = map[string]func(ctx context.Context) (sessions store.SessionStore, users store.UserStore, err error){
	"sqlite":   openSQLite,
	"postgres": openPostgres,
}

var dbFlag = flag.String("db", "", "sqlite (and redis's users): the database file (default: a temporary one); postgres: its postgres:// URL")

func main() {
	addr := flag.String("addr", "127.0.0.1:3300", "listen address")
	kind := flag.String("store", "jwt", "jwt, or the database strategy's store: "+strings.Join(storeNames(), ", "))
	token := flag.String("token", "", "the database session's token (default: 32 random bytes, base64url)")
	storeCache := flag.Duration("store-cache", 0, "SessionConfig.StoreCache: 0 for the default (2 s), negative to read the stores on every request")
	flag.Parse()
	ctx := context.Background()

	cfg := authgo.Config{
		Secret:  []string{secret},
		URL:     "http://" + *addr + "/auth",
		Matcher: []string{"/mypage/:path*"},
	}
	var cookie string
	if *kind == "jwt" {
		c, err := jwt.Encode(jwt.EncodeParams{Secrets: []string{secret}, Token: &jwt.Token{Subject: "user-1", Name: "Alice", Email: "alice@example.com"}})
		if err != nil {
			log.Fatal(err)
		}
		cookie = c
	} else {
		open, ok := stores[*kind]
		if !ok {
			log.Fatalf("dbserver: -store %q: want jwt or one of %s", *kind, strings.Join(storeNames(), ", "))
		}
		sessions, users, err := open(ctx)
		if err != nil {
			log.Fatalf("dbserver: %s: %v", *kind, err)
		}
		cfg.Session = authgo.SessionConfig{Strategy: authgo.StrategyDatabase, Store: sessions, StoreCache: *storeCache}
		cfg.Users = users
		if cookie, err = newSession(ctx, sessions, users, *token); err != nil {
			log.Fatalf("dbserver: %s: %v", *kind, err)
		}
	}
	a, err := authgo.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("Cookie: authjs.session-token=%s\n", cookie)

	mux := http.NewServeMux()
	mux.Handle("/auth/", a)
	mux.HandleFunc("/mypage/", func(w http.ResponseWriter, r *http.Request) {
		name := "guest"
		if s := a.SessionFromContext(r.Context()); s != nil && s.User != nil {
			name = s.User.Name
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "Signed in as "+name+"\n")
	})
	srv := &http.Server{Addr: *addr, Handler: a.Middleware(mux), ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ListenAndServe())
}

func storeNames() []string {
	var names []string
	for n := range stores {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// newSession makes the user Alice and a session of hers that expires in
// 30 days (nothing to rewrite within a run: updateAge is a day), and
// returns its token.
func newSession(ctx context.Context, sessions store.SessionStore, users store.UserStore, token string) (string, error) {
	u, err := users.CreateUser(ctx, store.User{Name: "Alice", Email: "alice@example.com"})
	if err != nil {
		return "", err
	}
	if token == "" {
		token = rand.Text()
	}
	now := time.Now().Truncate(time.Second)
	err = sessions.CreateSession(ctx, store.Session{
		Token: token, UserID: u.ID, Expires: now.Add(authgo.DefaultMaxAge),
		Created: now, LastSeen: now, UserAgent: "bench/db.sh", ClientAddr: "127.0.0.1",
	})
	return token, err
}

func openSQLite(ctx context.Context) (store.SessionStore, store.UserStore, error) {
	st, err := sqliteStore(ctx)
	return st, st, err
}

// sqliteStore opens -db, or a new file in a temporary directory.
func sqliteStore(ctx context.Context) (*sqlite.Store, error) {
	path := *dbFlag
	if path == "" {
		dir, err := os.MkdirTemp("", "dbserver-")
		if err != nil {
			return nil, err
		}
		path = filepath.Join(dir, "authgo.db")
	}
	db, err := sql.Open("sqlite", sqlite.DSN(path))
	if err != nil {
		return nil, err
	}
	return sqlite.New(ctx, db)
}

func openPostgres(ctx context.Context) (store.SessionStore, store.UserStore, error) {
	if *dbFlag == "" {
		return nil, nil, fmt.Errorf("-db postgres://… is required")
	}
	pool, err := pgxpool.New(ctx, *dbFlag)
	if err != nil {
		return nil, nil, err
	}
	if _, err := postgres.Migrate(ctx, pool); err != nil {
		return nil, nil, err
	}
	st, err := postgres.New(pool)
	return st, st, err
}
