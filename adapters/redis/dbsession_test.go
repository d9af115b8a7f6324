package redis_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/adapters/redis"
	"github.com/authgo/authgo/internal/testkit"
	"github.com/authgo/authgo/provider"
	"github.com/authgo/authgo/providers/credentials"
	"github.com/authgo/authgo/store"
)

// commands counts the commands a client sends (a pipeline as one round
// trip).
type commands struct{ n atomic.Int64 }

func (c *commands) DialHook(next goredis.DialHook) goredis.DialHook { return next }
func (c *commands) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		c.n.Add(1)
		return next(ctx, cmd)
	}
}
func (c *commands) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		c.n.Add(1)
		return next(ctx, cmds)
	}
}

// TestDatabaseStrategyOnRedis: the library with the database strategy,
// sessions in Redis and users in SQLite. A credentials sign-in writes a
// session key (named by the token's SHA-256) whose user is the SQLite
// row, expiring at the sign-in plus MaxAge; a read past UpdateAge moves
// that expiry; /session and a guarded page read it, the guarded page with
// one Redis command; sign-out deletes the key and its index, and a kept copy
// of the cookie opens nothing.
func TestDatabaseStrategyOnRedis(t *testing.T) {
	shared := testRedis(t)
	prefix := testPrefix(t, shared)
	rdb := goredis.NewClient(&goredis.Options{Addr: shared.Options().Addr, ContextTimeoutEnabled: true})
	t.Cleanup(func() { rdb.Close() })
	var sent commands
	rdb.AddHook(&sent)
	users := newUsers(t)
	clk := newClock()
	sessions := redis.NewSessions(rdb, users, redis.SessionsOptions{Prefix: prefix})

	creds, err := credentials.New(credentials.Options{
		Authorize: func(_ context.Context, c provider.Credentials, _ *http.Request) (*authgo.User, error) {
			if c["username"] != "ada" || c["password"] != "engine" {
				return nil, nil
			}
			return &authgo.User{ID: "ada-1", Name: "Ada", Email: "ada@example.com"}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	a, err := authgo.New(authgo.Config{
		Secret:    []string{"redis-test-secret-0123456789abcdef0123456789"},
		URL:       "http://localhost:3000/auth",
		Providers: []provider.Provider{creds},
		Session:   authgo.SessionConfig{Strategy: authgo.StrategyDatabase, Store: sessions},
		Users:     users,
		Now:       clk.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/auth/", a)
	mux.Handle("/page", a.RequireSession(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("hello " + a.SessionFromContext(r.Context()).User.Email))
	})))
	b := testkit.NewHandlerBrowser(t, mux)
	const origin = "http://localhost:3000"
	ctx := t.Context()

	r := b.PostForm(origin+"/auth/callback/credentials", url.Values{"csrfToken": {b.CSRFToken(origin + "/auth/csrf")}, "username": {"ada"}, "password": {"engine"}})
	if r.StatusCode != http.StatusFound {
		t.Fatalf("sign-in: %d %s", r.StatusCode, r.Text)
	}
	tok := b.Cookie("authjs.session-token")
	if len(tok) != 43 {
		t.Fatalf("session cookie %q is not an opaque token", tok)
	}
	u, err := users.UserByEmail(ctx, "ada@example.com")
	if err != nil || u == nil {
		t.Fatalf("the credentials user has no users row: %+v, %v", u, err)
	}
	key := prefix + "s:" + store.SessionID(tok)
	if got, err := rdb.HGet(ctx, key, "user").Result(); err != nil || got != u.ID {
		t.Fatalf("session key %s: user %q, %v; want %q", key, got, err, u.ID)
	}
	if ids, err := rdb.ZRange(ctx, prefix+"u:"+u.ID, 0, -1).Result(); err != nil || len(ids) != 1 || ids[0] != store.SessionID(tok) {
		t.Fatalf("user index = %q, %v", ids, err)
	}

	r = b.Get(origin + "/auth/session")
	if r.StatusCode != http.StatusOK || !strings.Contains(r.Text, `"email":"ada@example.com"`) || !strings.Contains(r.Text, `"name":"Ada"`) {
		t.Fatalf("/auth/session: %d %s", r.StatusCode, r.Text)
	}
	expireTime := func() time.Time {
		t.Helper()
		d, err := rdb.PExpireTime(ctx, key).Result()
		if err != nil || d <= 0 {
			t.Fatalf("PEXPIRETIME = %v, %v", d, err)
		}
		return time.UnixMilli(d.Milliseconds())
	}
	signedIn := clk.Now()
	if got := expireTime(); !got.Equal(signedIn.Add(authgo.DefaultMaxAge)) {
		t.Fatalf("the session key expires at %v, want sign-in + MaxAge %v", got, signedIn.Add(authgo.DefaultMaxAge))
	}
	// Past UpdateAge a read rewrites the row: the key's expiry moves.
	clk.Add(authgo.DefaultUpdateAge + time.Minute)
	if r = b.Get(origin + "/auth/session"); r.StatusCode != http.StatusOK || !strings.Contains(r.Text, `"email":"ada@example.com"`) {
		t.Fatalf("/auth/session after UpdateAge: %d %s", r.StatusCode, r.Text)
	}
	if got := expireTime(); !got.Equal(clk.Now().Add(authgo.DefaultMaxAge)) {
		t.Fatalf("after UpdateAge the key expires at %v, want %v", got, clk.Now().Add(authgo.DefaultMaxAge))
	}

	before := sent.n.Load()
	r = b.Get(origin + "/page")
	if r.StatusCode != http.StatusOK || r.Text != "hello ada@example.com" {
		t.Fatalf("guarded page: %d %s", r.StatusCode, r.Text)
	}
	if n := sent.n.Load() - before; n != 1 {
		t.Errorf("a guarded page sent %d Redis commands; want 1", n)
	}

	r = b.PostForm(origin+"/auth/signout", url.Values{"csrfToken": {b.CSRFToken(origin + "/auth/csrf")}})
	if r.StatusCode != http.StatusFound {
		t.Fatalf("sign-out: %d %s", r.StatusCode, r.Text)
	}
	if keys, err := scan(ctx, shared, prefix); err != nil || len(keys) != 0 {
		t.Fatalf("keys after sign-out: %q, %v", keys, err)
	}
	b.SetCookie("authjs.session-token", tok)
	if r = b.Get(origin + "/auth/session"); r.Text != "null" {
		t.Fatalf("a kept cookie after sign-out: %s", r.Text)
	}
	if r = b.Get(origin + "/page"); r.StatusCode == http.StatusOK {
		t.Fatalf("a kept cookie opens the guarded page after sign-out: %d", r.StatusCode)
	}
}
