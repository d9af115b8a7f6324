package main

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/authgo/authgo/internal/testkit"
	"github.com/authgo/authgo/store"
)

// TestServeRedisSessions: AUTH_SESSION_STORE=redis through the binary.
// A sign-in writes one key in Redis, named by the SHA-256 of the token
// (never the token), for the user of the SQLite database; a sign-out
// deletes it; `authgo user signout` deletes the sessions of the user.
func TestServeRedisSessions(t *testing.T) {
	rds := testkit.StartRedis(t, false)
	rdb := goredis.NewClient(&goredis.Options{Addr: rds.Addr()})
	t.Cleanup(func() { rdb.Close() })
	ctx := t.Context()
	e := env{"AUTH_REDIS_URL": rds.URL(), "AUTH_SESSION_STORE": "redis"}
	dir := filepath.Join(t.TempDir(), "data")
	srv := startServeEnv(t, e, true, "--dev", "--addr", "127.0.0.1:0", "--data", dir, "--session-strategy", "database")
	if !strings.Contains(srv.stderr.String(), "database sessions are kept in Redis") {
		t.Errorf("serve does not say where sessions are kept:\n%s", srv.stderr)
	}
	sessionKeys := func() []string {
		t.Helper()
		keys, err := rdb.Keys(ctx, "authgo:sess:s:*").Result()
		if err != nil {
			t.Fatal(err)
		}
		return keys
	}

	b := newBrowser(t, srv.origin)
	if res := b.signIn(b.csrfToken(), "demo", srv.demoPassword); res.status != http.StatusFound || strings.Contains(res.header.Get("Location"), "error=") {
		t.Fatalf("sign-in: %d %s", res.status, res.header.Get("Location"))
	}
	kept := b.sessionCookieOf()
	_, tok, _ := strings.Cut(kept, "=")
	if keys := sessionKeys(); len(keys) != 1 || keys[0] != "authgo:sess:s:"+store.SessionID(tok) {
		t.Fatalf("session keys after sign-in: %q; want the one of the token's SHA-256", keys)
	}
	all, err := rdb.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range all {
		if strings.Contains(k, tok) {
			t.Fatalf("Redis key %q holds the token", k)
		}
	}
	if res := b.get("/auth/session"); !strings.Contains(res.body, `"name":"demo"`) {
		t.Fatalf("/auth/session: %s", res.body)
	}
	if res := b.postForm("/auth/signout", url.Values{"csrfToken": {b.csrfToken()}}); res.status != http.StatusFound {
		t.Fatalf("sign-out: %d", res.status)
	}
	if keys := sessionKeys(); len(keys) != 0 {
		t.Fatalf("session keys after sign-out: %q", keys)
	}
	if body := replay(t, srv.origin, kept); body != "null" {
		t.Fatalf("kept cookie after sign-out: %s", body)
	}

	// Two sessions, ended by `authgo user signout` from another process.
	for range 2 {
		b := newBrowser(t, srv.origin)
		if res := b.signIn(b.csrfToken(), "demo", srv.demoPassword); res.status != http.StatusFound {
			t.Fatalf("sign-in: %d", res.status)
		}
		kept = b.sessionCookieOf()
	}
	if keys := sessionKeys(); len(keys) != 2 {
		t.Fatalf("session keys after two sign-ins: %q", keys)
	}
	var stderr strings.Builder
	if code := run(context.Background(), []string{"user", "signout", "--data", dir, "demo"}, strings.NewReader(""), io.Discard, &stderr, e.get); code != 0 {
		t.Fatalf("user signout: %d %s", code, stderr.String())
	}
	if keys := sessionKeys(); len(keys) != 0 {
		t.Fatalf("session keys after user signout: %q", keys)
	}
	if body := replay(t, srv.origin, kept); body != "null" {
		t.Fatalf("after user signout: %s", body)
	}
	// Users stayed in SQLite: Redis holds nothing else of them.
	if keys, _ := rdb.Keys(ctx, "authgo:sess:*").Result(); len(keys) != 0 {
		t.Fatalf("keys left under authgo:sess: %q", keys)
	}
}

// TestServeSessionStoreRefused: --session-store redis without what it
// needs stops serve before it starts, saying what to add.
func TestServeSessionStoreRefused(t *testing.T) {
	for _, tc := range []struct {
		env  env
		args []string
		want string
	}{
		{env{"AUTH_REDIS_URL": "redis://127.0.0.1:1/0"}, []string{"--session-store", "redis"}, "--session-strategy database"},
		{env{}, []string{"--session-store", "redis", "--session-strategy", "database"}, "needs AUTH_REDIS_URL"},
		{env{"AUTH_SESSION_STORE": "memcached"}, nil, `--session-store "memcached": want db or redis`},
	} {
		args := append([]string{"serve", "--dev", "--addr", "127.0.0.1:0", "--data", t.TempDir()}, tc.args...)
		code, _, stderr := runInEnv(t, tc.env, args...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v %v: code %d, stderr %q; want %d and %q", tc.env, tc.args, code, stderr, exitUsage, tc.want)
		}
	}
	code, _, stderr := runInEnv(t, env{"AUTH_SESSION_STORE": "redis"}, "user", "signout", "--data", t.TempDir(), "nobody")
	if code == 0 || !strings.Contains(stderr, "AUTH_SESSION_STORE=redis needs AUTH_REDIS_URL") {
		t.Errorf("user signout with AUTH_SESSION_STORE=redis and no Redis: code %d, stderr %q", code, stderr)
	}
}
