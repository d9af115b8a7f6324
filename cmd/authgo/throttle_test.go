package main

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/adapters/redis"
	"github.com/authgo/authgo/adapters/sqlite"
	"github.com/authgo/authgo/internal/password"
	"github.com/authgo/authgo/provider"
)

// newTestCredentials opens a fresh store with the users given (password
// "right") and returns serve's credentials provider over it.
func newTestCredentials(t *testing.T, behindProxy bool, users ...string) (*sqlite.Store, func(user, pw, addr string, xff ...string) (*authgo.User, error)) {
	t.Helper()
	ctx := t.Context()
	db, store, err := openStore(ctx, filepath.Join(t.TempDir(), "authgo.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	h, _ := password.Hash("right")
	for _, name := range users {
		if _, err := store.CreatePasswordUser(ctx, name, h, sqlite.User{}); err != nil {
			t.Fatal(err)
		}
	}
	var trusted []netip.Prefix
	if behindProxy {
		trusted = loopback
	}
	p, err := newCredentials(&sqliteDB{Store: store}, store.Counters(), slog.New(slog.NewTextHandler(io.Discard, nil)), trusted)
	if err != nil {
		t.Fatal(err)
	}
	return store, func(user, pw, addr string, xff ...string) (*authgo.User, error) {
		r := httptest.NewRequest("POST", "/auth/callback/credentials", nil)
		r.RemoteAddr = addr
		for _, v := range xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		return p.Authorize(ctx, provider.Credentials{"username": user, "password": pw}, r)
	}
}

// lockedFor returns the wait of a rate_limited refusal, failing the test
// for anything else.
func lockedFor(t *testing.T) func(*authgo.User, error) time.Duration {
	return func(u *authgo.User, err error) time.Duration {
		t.Helper()
		return rateLimited(t, u, err)
	}
}

func rateLimited(t *testing.T, u *authgo.User, err error) time.Duration {
	t.Helper()
	var ce *provider.CredentialsError
	if u != nil || !errors.As(err, &ce) || ce.Code != "rate_limited" {
		t.Fatalf("want a rate_limited refusal, got %v, %v", u, err)
	}
	return ce.RetryAfter
}

// TestSignInThrottled: ten wrong passwords lock the username (in any case
// or spacing) for the window, even for the right password; other users and
// other addresses are not affected by a per-user lockout.
func TestSignInThrottled(t *testing.T) {
	_, try := newTestCredentials(t, false, "alice", "bob")
	for i := 0; i < 10; i++ {
		user := []string{"alice", "ALICE", " alice "}[i%3]
		if u, err := try(user, "wrong", "203.0.113.7:4000"); u != nil || err != nil {
			t.Fatalf("attempt %d: %v %v", i, u, err)
		}
	}
	left := lockedFor(t)(try("alice", "right", "198.51.100.1:1"))
	if left <= 14*time.Minute || left > lockoutWindow {
		t.Fatalf("RetryAfter = %v, want just under %v", left, lockoutWindow)
	}
	if u, err := try("bob", "right", "203.0.113.7:4000"); u == nil || err != nil {
		t.Fatalf("bob locked out too: %v", err)
	}
}

// TestSignInLockoutNoEnumeration: a username that does not exist is
// counted and locked exactly like one that does, so the lockout tells an
// attacker nothing about which usernames exist.
func TestSignInLockoutNoEnumeration(t *testing.T) {
	_, try := newTestCredentials(t, false, "alice")
	start := time.Now()
	for i := range 10 {
		for _, user := range []string{"alice", "ghost"} {
			if u, err := try(user, "wrong", fmt.Sprintf("203.0.113.%d:1", i)); u != nil || err != nil {
				t.Fatalf("%s attempt %d: %v %v", user, i, u, err)
			}
		}
	}
	// Each window counts from its first failure, and alice's came one
	// password check before ghost's: on a loaded machine that is more than
	// a second, so the bound is the time the attempts took.
	took := time.Since(start)
	real := lockedFor(t)(try("alice", "right", "192.0.2.1:1"))
	ghost := lockedFor(t)(try("ghost", "right", "192.0.2.1:1"))
	if d := (real - ghost).Abs(); d > took+time.Second {
		t.Fatalf("waits differ by %v: real user %v, unknown user %v", d, real, ghost)
	}
	// A posted name no store key could hold is counted too.
	long := strings.Repeat("x", 10_000)
	for range 10 {
		if _, err := try(long, "wrong", "192.0.2.2:1"); err != nil {
			t.Fatal(err)
		}
	}
	lockedFor(t)(try(long, "wrong", "192.0.2.3:1"))
}

// TestSignInThrottledBehindProxy: behind a proxy every request comes from
// its address; the per-address limit counts the X-Forwarded-For entry the
// proxy appended, so one client's 100 failures do not lock out another.
func TestSignInThrottledBehindProxy(t *testing.T) {
	_, try := newTestCredentials(t, true, "victim")
	const proxy = "127.0.0.1:5000"
	// The attacker sprays 100 usernames; it forges a left-most entry, the
	// proxy appends its real address.
	for i := range 100 {
		if u, err := try(fmt.Sprint("user", i), "guess", proxy, "198.51.100.77, 203.0.113.9"); u != nil || err != nil {
			t.Fatalf("attempt %d: %v %v", i, u, err)
		}
	}
	lockedFor(t)(try("someone", "guess", proxy, "203.0.113.9"))
	if u, err := try("victim", "right", proxy, "192.0.2.10"); u == nil || err != nil {
		t.Fatalf("another client is locked out: %v %v", u, err)
	}
	// Without an X-Forwarded-For the proxy's own address counts.
	if got := clientAddr(httptest.NewRequest("GET", "/", nil), loopback); got != "192.0.2.1" {
		t.Fatalf("clientAddr without the header = %q", got)
	}
}

// signInMessage is the message the built-in sign-in page shows.
var signInMessage = regexp.MustCompile(`(?s)<div[^>]*role="alert"[^>]*>(.*?)</div>`)

// failTen makes ten wrong sign-ins for user and returns the page the
// eleventh (with password pw) lands on, and the redirect it followed.
func failTen(t *testing.T, b *browser, user, pw string) (location, message string) {
	t.Helper()
	for i := range 10 {
		res := b.signIn(b.csrfToken(), user, "wrong")
		if res.status != http.StatusFound || !strings.Contains(res.header.Get("Location"), "code=credentials") {
			t.Fatalf("wrong password #%d: %d %s", i+1, res.status, res.header.Get("Location"))
		}
	}
	return lockedPage(t, b, user, pw)
}

// lockedPage signs in once and expects the lockout message.
func lockedPage(t *testing.T, b *browser, user, pw string) (location, message string) {
	t.Helper()
	res := b.signIn(b.csrfToken(), user, pw)
	location = res.header.Get("Location")
	if res.status != http.StatusFound || !strings.Contains(location, "error=CredentialsSignin&code=rate_limited&retry_after=") {
		t.Fatalf("sign-in during the lockout: %d %s", res.status, location)
	}
	u, err := url.Parse(location)
	if err != nil {
		t.Fatal(err)
	}
	page := b.get(u.RequestURI())
	m := signInMessage.FindStringSubmatch(page.body)
	if page.status != 200 || m == nil {
		t.Fatalf("GET %s = %d without a message:\n%s", u.RequestURI(), page.status, page.body)
	}
	return location, strings.TrimSpace(html.UnescapeString(m[1]))
}

func userCmd(t *testing.T, e env, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), append([]string{"user"}, args...), strings.NewReader("new-password\n"), &stdout, &stderr, e.get)
	return code, stdout.String(), stderr.String()
}

// TestServeLockout: through authgo serve, the locked-out user is told to
// wait, in the same words as for a username that does not exist; the
// lockout holds on a second instance on the same database and after a
// restart; user list shows it and user unlock, from another process,
// ends it while serve runs.
func TestServeLockout(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	srv := startServe(t, true, "--dev", "--addr", "127.0.0.1:0", "--data", dir)
	b := newBrowser(t, srv.origin)
	_, msg := failTen(t, b, "demo", srv.demoPassword)
	if msg != "Too many attempts; try again in 15 minutes." {
		t.Fatalf("lockout message = %q", msg)
	}
	_, ghostMsg := failTen(t, newBrowser(t, srv.origin), "ghost", "anything")
	if ghostMsg != msg {
		t.Fatalf("an unknown user reads %q, a real one %q: the page tells them apart", ghostMsg, msg)
	}

	// A second instance on the same database.
	srv2 := startServe(t, false, "--dev", "--addr", "127.0.0.1:0", "--data", dir)
	lockedPage(t, newBrowser(t, srv2.origin), "demo", srv.demoPassword)
	srv2.stop(t)

	// user list shows the lockout.
	code, out, errOut := userCmd(t, nil, "list", "--data", dir)
	if code != 0 || !regexp.MustCompile(`(?m)^demo .*locked for 1[45] minutes \(authgo user unlock demo\)$`).MatchString(out) {
		t.Fatalf("user list = %d\n%s%s", code, out, errOut)
	}

	// A restart.
	if code := srv.stop(t); code != 0 {
		t.Fatalf("serve exited %d", code)
	}
	srv3 := startServe(t, false, "--dev", "--addr", "127.0.0.1:0", "--data", dir)
	b3 := newBrowser(t, srv3.origin)
	lockedPage(t, b3, "demo", srv.demoPassword)

	// user unlock from another process, while serve runs.
	if code, _, errOut := userCmd(t, nil, "unlock", "--data", dir, "demo"); code != 0 || !strings.Contains(errOut, `unlocked "demo"`) {
		t.Fatalf("user unlock = %d %s", code, errOut)
	}
	if res := b3.signIn(b3.csrfToken(), "demo", srv.demoPassword); res.status != http.StatusFound || strings.Contains(res.header.Get("Location"), "error=") {
		t.Fatalf("sign-in after unlock: %d %s", res.status, res.header.Get("Location"))
	}
	if code, _, errOut := userCmd(t, nil, "unlock", "--data", dir, "demo"); code != 0 || !strings.Contains(errOut, "was not locked out") {
		t.Fatalf("second unlock = %d %s", code, errOut)
	}
}

// TestServeLockoutRedis: with AUTH_REDIS_URL, two instances on separate
// databases share the lockout through Redis, and user unlock with the same
// variable ends it for both.
func TestServeLockoutRedis(t *testing.T) {
	if !redisUp(t) {
		t.Skip("no Redis on 127.0.0.1:6379")
	}
	e := env{"AUTH_REDIS_URL": "redis://127.0.0.1:6379/0"}
	user := fmt.Sprintf("lock%d", time.Now().UnixNano())
	var dirs []string
	for range 2 {
		dir := filepath.Join(t.TempDir(), "data")
		code := run(t.Context(), []string{"user", "add", "--data", dir, user}, strings.NewReader("right\n"), io.Discard, io.Discard, env{}.get)
		if code != 0 {
			t.Fatal("user add failed")
		}
		dirs = append(dirs, dir)
	}
	// Earlier runs' failures from this address must not count here.
	rdb, err := redis.Open(t.Context(), e["AUTH_REDIS_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	if err := redis.NewCounter(rdb, redis.CounterOptions{}).Reset(t.Context(), addrKeyPrefix+"127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	const secret = "lockout-redis-test-secret-0123456789abcdef"
	var origins []string
	for _, dir := range dirs {
		e := env{"AUTH_REDIS_URL": e["AUTH_REDIS_URL"], "AUTH_SECRET": secret}
		origins = append(origins, startServeEnv(t, e, false, "--addr", "127.0.0.1:0", "--data", dir).origin)
	}
	failTen(t, newBrowser(t, origins[0]), user, "right")
	b2 := newBrowser(t, origins[1])
	lockedPage(t, b2, user, "right")
	if code, _, errOut := userCmd(t, e, "unlock", "--data", dirs[1], user); code != 0 {
		t.Fatalf("user unlock = %d %s", code, errOut)
	}
	for _, o := range origins {
		b := newBrowser(t, o)
		if res := b.signIn(b.csrfToken(), user, "right"); res.status != http.StatusFound || strings.Contains(res.header.Get("Location"), "error=") {
			t.Fatalf("sign-in at %s after unlock: %d %s", o, res.status, res.header.Get("Location"))
		}
	}
}

// TestSignInLockoutStoreDown: while the store that counts failures does
// not answer (Redis down), sign-ins are refused with an error, the right
// password too: an outage must not switch the lockout off for a guesser.
func TestSignInLockoutStoreDown(t *testing.T) {
	ctx := t.Context()
	db, store, err := openStore(ctx, filepath.Join(t.TempDir(), "authgo.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	h, _ := password.Hash("right")
	if _, err := store.CreatePasswordUser(ctx, "alice", h, sqlite.User{}); err != nil {
		t.Fatal(err)
	}
	rdb := goredis.NewClient(&goredis.Options{Addr: freeAddr(t), MaxRetries: -1})
	defer rdb.Close()
	p, err := newCredentials(&sqliteDB{Store: store}, redis.NewCounter(rdb, redis.CounterOptions{}), slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("POST", "/auth/callback/credentials", nil)
	for _, pw := range []string{"right", "wrong"} {
		u, err := p.Authorize(ctx, provider.Credentials{"username": "alice", "password": pw}, r)
		var ce *provider.CredentialsError
		if u != nil || !errors.Is(err, provider.ErrUnavailable) || errors.As(err, &ce) || !strings.Contains(err.Error(), "sign-in lockout") {
			t.Fatalf("password %q with the counter down: %v, %v", pw, u, err)
		}
	}
}

// loopback trusts proxies on 127.0.0.0/8.
var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
