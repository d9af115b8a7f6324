//go:build loadtest

package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authgo/authgo/internal/testkit"
)

// probe is one kind of request the load sends: a path and a Cookie header.
type probe struct {
	name, path, cookie string
	signedOut          bool   // the session was ended: never a signed-in answer
	api                bool   // through the proxy: sends X-CSRF: 1
	want               string // when set, every answer's body holds it
}

// tally counts the answers of a load and keeps the first problems.
type tally struct{ testkit.Tally }

func (tl *tally) add(p probe, status int) { tl.Count(fmt.Sprintf("%s %d", p.name, status)) }

// The only bodies a 5xx may have: the middleware's 503 and the home
// page's, both with Retry-After.
var documented503 = map[string]bool{
	`{"error":"session_unavailable"}`:                              true,
	"The session store is not answering; try again in a moment.\n": true,
}

// signedInAnswer reports whether an answer shows a session.
func signedInAnswer(p probe, status int, body string) bool {
	if strings.HasPrefix(p.path, "/auth/session") {
		return status == http.StatusOK && strings.TrimSpace(body) != "null"
	}
	return status == http.StatusOK && strings.Contains(body, "Signed in as")
}

// check judges one answer: a 5xx only as documented, nothing that names
// the store, and no session for a signed-out probe.
func (tl *tally) check(p probe, res *http.Response, body string) {
	tl.add(p, res.StatusCode)
	if res.StatusCode >= 500 && (res.StatusCode != http.StatusServiceUnavailable || !documented503[body] || res.Header.Get("Retry-After") == "") {
		tl.Problem("%s: %d %q (Retry-After %q)", p.name, res.StatusCode, body, res.Header.Get("Retry-After"))
	}
	for _, leak := range []string{"redis", "dial tcp", "connection refused", "EOF", "127.0.0.1:"} {
		if strings.Contains(strings.ToLower(body), strings.ToLower(leak)) && !strings.Contains(body, "<html") {
			tl.Problem("%s: %d body names %q: %q", p.name, res.StatusCode, leak, body)
		}
	}
	if p.want != "" && !strings.Contains(body, p.want) {
		tl.Problem("%s: %d %.200q lacks %q", p.name, res.StatusCode, body, p.want)
	}
	if p.signedOut && signedInAnswer(p, res.StatusCode, body) {
		tl.Problem("%s: signed-in answer for a signed-out session: %d %.200q", p.name, res.StatusCode, body)
	}
}

// runLoad sends the probes round-robin from workers goroutines until stop
// is closed.
func runLoad(origin string, probes []probe, workers int, tl *tally, stop <-chan struct{}) *sync.WaitGroup {
	c := testkit.LoadClient(workers)
	return testkit.Load(workers, stop, func(i int) {
		p := probes[i%len(probes)]
		req, _ := http.NewRequest(http.MethodGet, origin+p.path, nil)
		req.Header.Set("Cookie", p.cookie)
		if p.api {
			req.Header.Set("X-CSRF", "1")
		}
		t0 := time.Now()
		res, err := c.Do(req)
		tl.Took(time.Since(t0))
		if err != nil {
			tl.Problem("%s: %v", p.name, err)
			return
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		tl.check(p, res, string(b))
	})
}

// TestFaultRedis: authgo serve with Redis as its revocation store, locker
// and counter, under load from concurrent clients; Redis is killed, then
// restarted on the same port. Throughout: no 5xx but the documented 503
// (with Retry-After, without internals), and no signed-in answer for a
// session signed out on this instance or, from another process, in Redis.
// After the restart the signed-in session works again without restarting
// serve.
func TestFaultRedis(t *testing.T) {
	rd := testkit.StartRedis(t, true)
	dir := filepath.Join(t.TempDir(), "data")
	e := env{"AUTH_SECRET": strings.Repeat("f", 40), "AUTH_REDIS_URL": rd.URL(), "AUTH_ACCESS_LOG": "false"}
	for _, u := range []string{"alice", "bob"} {
		if code, _, stderr := userCmd(t, e, "add", "--data", dir, u); code != 0 {
			t.Fatalf("user add %s: %s", u, stderr)
		}
	}
	srv := startServeEnv(t, e, false, "--addr", "127.0.0.1:0", "--data", dir, "--protect", "/mypage/:path*")
	signedIn := func(user string) *browser {
		b := newBrowser(t, srv.origin)
		if res := b.signIn(b.csrfToken(), user, "new-password"); res.status != http.StatusFound || strings.Contains(res.header.Get("Location"), "error") {
			t.Fatalf("sign-in %s: %d %s", user, res.status, res.header.Get("Location"))
		}
		return b
	}
	alice := signedIn("alice")
	aliceOut := signedIn("alice") // signs out here: recorded locally and in Redis
	bob := signedIn("bob")        // signed out from another process: only in Redis
	kept := aliceOut.sessionCookieOf()
	if res := aliceOut.postForm("/auth/signout", url.Values{"csrfToken": {aliceOut.csrfToken()}}); res.status != http.StatusFound {
		t.Fatalf("sign-out: %d", res.status)
	}
	if code, _, stderr := userCmd(t, e, "signout", "--data", dir, "bob"); code != 0 {
		t.Fatalf("user signout bob: %s", stderr)
	}
	probes := []probe{
		{name: "alice /session", path: "/auth/session", cookie: alice.sessionCookieOf()},
		{name: "alice /mypage", path: "/mypage/x", cookie: alice.sessionCookieOf()},
		{name: "signed-out alice /session", path: "/auth/session", cookie: kept, signedOut: true},
		{name: "signed-out alice /mypage", path: "/mypage/x", cookie: kept, signedOut: true},
		{name: "signed-out bob /session", path: "/auth/session", cookie: bob.sessionCookieOf(), signedOut: true},
		{name: "signed-out bob /mypage", path: "/mypage/x", cookie: bob.sessionCookieOf(), signedOut: true},
	}
	// bob's sign-out reaches serve within its 2 s revocation cache.
	deadline := time.Now().Add(5 * time.Second)
	for replay(t, srv.origin, bob.sessionCookieOf()) != "null" {
		if time.Now().After(deadline) {
			t.Fatal("bob's sign-out through Redis never took effect")
		}
		time.Sleep(100 * time.Millisecond)
	}

	phase := func(name string, d time.Duration, during func()) *tally {
		tl := &tally{}
		stop := make(chan struct{})
		wg := runLoad(srv.origin, probes, 16, tl, stop)
		if during != nil {
			during()
		}
		time.Sleep(d)
		close(stop)
		wg.Wait()
		tl.Report(t, name)
		return tl
	}
	up := phase("Redis up", time.Second, nil)
	if up.Counts()["alice /session 200"] == 0 || up.Counts()["alice /mypage 200"] == 0 {
		t.Fatalf("alice was not signed in with Redis up: %v", up.Counts())
	}
	for k, n := range up.Counts() {
		if strings.HasSuffix(k, " 503") {
			t.Errorf("Redis up: %d × %s", n, k)
		}
	}

	// Longer than the revocation cache (2 s): every read reaches the
	// dead store.
	down := phase("Redis killed", 3*time.Second, rd.Kill)
	if down.Counts()["alice /mypage 503"] == 0 {
		t.Errorf("no 503 while Redis was down: %v", down.Counts())
	}

	// Restarted on the same port, with its append-only file: serve
	// reconnects by itself.
	rd.Restart()
	deadline = time.Now().Add(15 * time.Second)
	for !strings.Contains(replay(t, srv.origin, alice.sessionCookieOf()), `"name":"alice"`) {
		if time.Now().After(deadline) {
			t.Fatal("serve did not recover after Redis came back")
		}
		time.Sleep(100 * time.Millisecond)
	}
	again := phase("Redis restarted", 2*time.Second, nil)
	for k, n := range again.Counts() {
		if strings.HasSuffix(k, " 503") {
			t.Errorf("after the restart: %d × %s", n, k)
		}
	}
	if again.Counts()["alice /mypage 200"] == 0 {
		t.Errorf("alice's guarded page did not recover: %v", again.Counts())
	}
}
