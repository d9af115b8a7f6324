package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/authgo/authgo/internal/testkit"
)

// guarded is the status of GET /mypage/x with cookie: 200 signed in, 302
// to the sign-in page signed out, 503 when the session cannot be read.
func guarded(t *testing.T, origin, cookie string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, origin+"/mypage/x", nil)
	req.Header.Set("Cookie", cookie)
	res, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

// TestServeSignOutOutage: issue 11 part 3 through the binary. Two
// instances share a Redis that this test kills: a sign-out on A is
// answered as usual and kept in A's journal (<data>/authgo.outbox); A
// refuses the kept copy of the cookie at once and after a restart while
// Redis is down; a credentials sign-in during the outage answers
// Unavailable without a cookie; when Redis is back (empty: no
// persistence), A delivers the sign-out and B refuses the copy too.
func TestServeSignOutOutage(t *testing.T) {
	old := outboxMaxRetry
	outboxMaxRetry = 200 * time.Millisecond
	t.Cleanup(func() { outboxMaxRetry = old })

	rds := testkit.StartRedis(t, false)
	const secret = "outbox-test-secret-0123456789abcdef-0123"
	e := env{"AUTH_REDIS_URL": "redis://" + rds.Addr() + "/0", "AUTH_SECRET": secret}
	user := "carol"
	var dirs []string
	for range 2 {
		dir := filepath.Join(t.TempDir(), "data")
		if code := run(t.Context(), []string{"user", "add", "--data", dir, user}, strings.NewReader("right\n"), io.Discard, io.Discard, env{}.get); code != 0 {
			t.Fatal("user add failed")
		}
		dirs = append(dirs, dir)
	}
	start := func(dir string) *server {
		return startServeEnv(t, e, false, "--addr", "127.0.0.1:0", "--data", dir, "--protect", "/mypage/:path*")
	}
	a, b := start(dirs[0]), start(dirs[1])

	ba := newBrowser(t, a.origin)
	if res := ba.signIn(ba.csrfToken(), user, "right"); res.status != http.StatusFound || strings.Contains(res.header.Get("Location"), "error=") {
		t.Fatalf("sign-in on A: %d %s", res.status, res.header.Get("Location"))
	}
	kept := ba.sessionCookieOf()
	if s := guarded(t, b.origin, kept); s != http.StatusOK {
		t.Fatalf("the cookie on B before the outage: %d", s)
	}

	rds.Kill()
	res := ba.postForm("/auth/signout", url.Values{"csrfToken": {ba.csrfToken()}})
	if res.status != http.StatusFound || !strings.Contains(strings.Join(res.header.Values("Set-Cookie"), "\n"), "authjs.session-token=;") {
		t.Fatalf("sign-out on A with Redis down: %d %v", res.status, res.header.Values("Set-Cookie"))
	}
	if ba.sessionCookieOf() != "" {
		t.Fatal("the browser kept its session cookie after sign-out")
	}
	journal := filepath.Join(dirs[0], "authgo.outbox")
	if j, err := os.ReadFile(journal); err != nil || strings.Count(string(j), "\n") != 1 || !strings.Contains(string(j), `"session":`) {
		t.Fatalf("A's journal after the sign-out: %q, %v", j, err)
	}
	if s := guarded(t, a.origin, kept); s != http.StatusFound {
		t.Fatalf("the kept copy on A with Redis down: %d, want 302 (signed out)", s)
	}

	// A restart of A while Redis is still down.
	if code := a.stop(t); code != 0 {
		t.Fatalf("A exited %d", code)
	}
	a = start(dirs[0])
	if s := guarded(t, a.origin, kept); s != http.StatusFound {
		t.Fatalf("the kept copy on A after a restart with Redis down: %d, want 302 (signed out)", s)
	}

	// A credentials sign-in during the outage sets no cookie.
	bc := newBrowser(t, a.origin)
	res = bc.signIn(bc.csrfToken(), user, "right")
	if res.status != http.StatusServiceUnavailable || res.header.Get("Retry-After") == "" || !strings.Contains(res.body, "Try again shortly") || bc.sessionCookieOf() != "" {
		t.Fatalf("sign-in with Redis down: %d, Retry-After %q, cookie %q", res.status, res.header.Get("Retry-After"), bc.sessionCookieOf())
	}
	req, _ := http.NewRequest(http.MethodPost, a.origin+"/auth/callback/credentials", strings.NewReader(url.Values{"username": {user}, "password": {"right"}, "csrfToken": {bc.csrfToken()}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Auth-Return-Redirect", "1")
	res = bc.do(req)
	var v struct{ URL string }
	if json.Unmarshal([]byte(res.body), &v); res.status != http.StatusOK || v.URL != a.origin+"/auth/error?error=Unavailable" || bc.sessionCookieOf() != "" {
		t.Fatalf("sign-in with X-Auth-Return-Redirect and Redis down: %d %s", res.status, res.body)
	}

	// Redis is back, empty: A's outbox delivers the sign-out.
	rds.Restart()
	deadline := time.Now().Add(15 * time.Second)
	for {
		st, err := os.Stat(journal)
		if err == nil && st.Size() == 0 {
			break
		}
		if time.Now().After(deadline) {
			j, _ := os.ReadFile(journal)
			t.Fatalf("A's journal was not delivered: %q\nA's log:\n%s", j, a.stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// B trusts a "not revoked" for up to 2 s (RevocationCache).
	deadline = time.Now().Add(5 * time.Second)
	for s := guarded(t, b.origin, kept); s != http.StatusFound; s = guarded(t, b.origin, kept) {
		if time.Now().After(deadline) {
			t.Fatalf("the kept copy on B after Redis came back: %d, want 302 (signed out)", s)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if body := replay(t, b.origin, kept); body != "null" {
		t.Fatalf("GET /auth/session on B with the kept copy: %s", body)
	}
	if s := guarded(t, a.origin, kept); s != http.StatusFound {
		t.Fatalf("the kept copy on A after delivery: %d", s)
	}
	if !strings.Contains(a.stderr.String(), "kept in the outbox") && !strings.Contains(a.stderr.String(), "loaded") {
		t.Errorf("A's log does not mention the outbox:\n%s", a.stderr)
	}
}
