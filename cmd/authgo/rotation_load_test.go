//go:build loadtest

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// pool is the set of instances a load balancer sends to: one slot each,
// "" while the instance is out of rotation.
type pool struct {
	mu      sync.Mutex
	origins []string
	next    int
}

// pick returns an instance in rotation, or "" when there is none.
func (p *pool) pick() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	for range p.origins {
		p.next++
		if o := p.origins[p.next%len(p.origins)]; o != "" {
			return o
		}
	}
	return ""
}

// set puts origin in slot i; "" takes the instance out of rotation.
func (p *pool) set(i int, origin string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.origins[i] = origin
}

// TestRotationUnderLoad: two authgo serve instances on one database, a
// secret rotated in two phases, each instance restarted in turn: first
// every instance learns the new secret as AUTH_SECRET_1, then it becomes
// AUTH_SECRET and the old one AUTH_SECRET_1. Clients signed in before the
// rotation keep polling both instances (GET /auth/session, and POST
// /auth/session with the CSRF token they got before the rotation): nobody
// is signed out, no CSRF token is refused or replaced.
func TestRotationUnderLoad(t *testing.T) {
	const oldSecret, newSecret = "old-secret-0123456789abcdef0123456789", "new-secret-0123456789abcdef0123456789"
	dir := filepath.Join(t.TempDir(), "data")
	if code, _, stderr := userCmd(t, env{}, "add", "--data", dir, "alice"); code != 0 {
		t.Fatalf("user add: %s", stderr)
	}
	start := func(secrets ...string) *server {
		e := env{"AUTH_SECRET": secrets[0], "AUTH_ACCESS_LOG": "false"}
		if len(secrets) > 1 {
			e["AUTH_SECRET_1"] = secrets[1]
		}
		return startServeEnv(t, e, false, "--addr", "127.0.0.1:0", "--data", dir)
	}
	servers := []*server{start(oldSecret), start(oldSecret)}
	lb := &pool{origins: []string{servers[0].origin, servers[1].origin}}

	type client struct {
		c    *http.Client
		csrf string
	}
	const nClients = 6
	clients := make([]*client, nClients)
	for i := range clients {
		b := newBrowser(t, servers[i%2].origin)
		if res := b.signIn(b.csrfToken(), "alice", "new-password"); res.status != http.StatusFound || strings.Contains(res.header.Get("Location"), "error") {
			t.Fatalf("sign-in: %d %s", res.status, res.header.Get("Location"))
		}
		clients[i] = &client{c: b.Client, csrf: b.csrfToken()}
	}

	var (
		mu       sync.Mutex
		problems []string
		counts   = map[string]int{}
	)
	problem := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		if len(problems) < 10 {
			problems = append(problems, fmt.Sprintf(format, args...))
		}
	}
	// do sends one request to an instance in rotation; a connection cut
	// by an instance that is draining is retried on another, as a load
	// balancer would.
	do := func(cl *client, method, path string, body []byte) (int, string, bool) {
		for try := 0; try < 5; try++ {
			origin := lb.pick()
			if origin == "" {
				continue
			}
			req, _ := http.NewRequest(method, origin+path, bytes.NewReader(body))
			if body != nil {
				req.Header.Set("Content-Type", "application/json")
			}
			res, err := cl.c.Do(req)
			if err != nil {
				mu.Lock()
				counts["retried after a connection error"]++
				mu.Unlock()
				time.Sleep(10 * time.Millisecond)
				continue
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			return res.StatusCode, string(b), true
		}
		problem("%s %s: no instance answered", method, path)
		return 0, "", false
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, cl := range clients {
		wg.Go(func() {
			post, _ := json.Marshal(map[string]string{"csrfToken": cl.csrf})
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				var status int
				var body string
				var ok bool
				var what string
				switch i % 3 {
				case 0:
					what = "GET /auth/session"
					status, body, ok = do(cl, http.MethodGet, "/auth/session", nil)
					if ok && (status != 200 || !strings.Contains(body, `"name":"alice"`)) {
						problem("%s: %d %.200q", what, status, body)
					}
				case 1:
					what = "POST /auth/session"
					status, body, ok = do(cl, http.MethodPost, "/auth/session", post)
					if ok && (status != 200 || !strings.Contains(body, `"name":"alice"`)) {
						problem("%s with the CSRF token from before the rotation: %d %.200q", what, status, body)
					}
				case 2:
					what = "GET /auth/csrf"
					status, body, ok = do(cl, http.MethodGet, "/auth/csrf", nil)
					if ok && (status != 200 || !strings.Contains(body, cl.csrf)) {
						problem("%s: the token changed (the cookie was refused): %d %.200q", what, status, body)
					}
				}
				if ok {
					mu.Lock()
					counts[fmt.Sprintf("%s %d", what, status)]++
					mu.Unlock()
				}
			}
		})
	}
	restart := func(i int, secrets ...string) {
		lb.set(i, "")
		time.Sleep(200 * time.Millisecond) // drain
		if code := servers[i].stop(t); code != 0 {
			t.Errorf("instance %d exited %d", i, code)
		}
		servers[i] = start(secrets...)
		lb.set(i, servers[i].origin)
		time.Sleep(700 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)
	// Phase 1: the new secret is accepted everywhere, not yet used.
	restart(0, oldSecret, newSecret)
	restart(1, oldSecret, newSecret)
	// Phase 2: the new secret encrypts and mints; the old one is accepted.
	restart(0, newSecret, oldSecret)
	restart(1, newSecret, oldSecret)
	close(stop)
	wg.Wait()
	t.Logf("answers: %v", counts)
	for _, p := range problems {
		t.Error(p)
	}
	for _, k := range []string{"GET /auth/session 200", "POST /auth/session 200", "GET /auth/csrf 200"} {
		if counts[k] == 0 {
			t.Errorf("no %q during the rotation: %v", k, counts)
		}
	}
}
