package redis_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/adapters/redis"
	"github.com/authgo/authgo/internal/backendtest"
	"github.com/authgo/authgo/provider"
)

const (
	origin     = "http://localhost:3000"
	testSecret = "test-secret-0123456789abcdef0123456789abcdef"
)

// site is one authgo instance: the auth endpoints and a guarded /api/
// handler that answers with the access token it would send upstream.
func site(t *testing.T, b *backend, clk *backendtest.Clock, locker authgo.RefreshLocker) http.Handler {
	t.Helper()
	a, err := authgo.New(authgo.Config{
		Secret:    []string{testSecret},
		URL:       origin,
		Providers: []provider.Provider{backendProvider{B: b}},
		Matcher:   []string{"/api/:path*"},
		Now:       clk.Now,
		Tokens:    authgo.TokensConfig{Locker: locker},
	})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/auth/", a)
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		at, err := a.AccessToken(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusConflict)
			return
		}
		io.WriteString(w, at)
	})
	return a.Middleware(mux)
}

// signIn signs alice in through h's credentials form and returns the
// Cookie header a browser would then send.
func signIn(t *testing.T, h http.Handler) string {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", origin+"/auth/csrf", nil))
	var csrf struct{ CsrfToken string }
	if err := json.Unmarshal(rec.Body.Bytes(), &csrf); err != nil {
		t.Fatal(err)
	}
	jar := map[string]string{}
	var order []string
	keep := func(res *http.Response) {
		for _, c := range res.Cookies() {
			if _, ok := jar[c.Name]; !ok {
				order = append(order, c.Name)
			}
			jar[c.Name] = c.Value
		}
	}
	header := func() string {
		var parts []string
		for _, n := range order {
			if jar[n] != "" {
				parts = append(parts, n+"="+jar[n])
			}
		}
		return strings.Join(parts, "; ")
	}
	keep(rec.Result())
	form := url.Values{"csrfToken": {csrf.CsrfToken}, "username": {"alice"}, "password": {"pw"}}
	req := httptest.NewRequest("POST", origin+"/auth/callback/backend", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Cookie", header())
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	keep(rec.Result())
	if jar["authjs.session-token"] == "" {
		t.Fatalf("sign-in failed: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	return header()
}

type answer struct {
	code      int
	body      string
	setCookie bool
}

// get sends GET /api/<path> with cookie to h.
func get(h http.Handler, path, cookie string) answer {
	req := httptest.NewRequest("GET", origin+"/api/"+path, nil)
	req.Header.Set("Cookie", cookie)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return answer{rec.Code, rec.Body.String(), strings.Contains(rec.Header().Get("Set-Cookie"), "authjs.session-token=")}
}

// burst sends n concurrent requests with cookie, spread over hs in turn.
func burst(hs []http.Handler, cookie string, n int) []answer {
	out := make([]answer, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range out {
		wg.Go(func() {
			<-start
			out[i] = get(hs[i%len(hs)], "orders", cookie)
		})
	}
	close(start)
	wg.Wait()
	return out
}

// checkAllNew: every answer is 200 with the same new access token and sets
// the new session cookie.
func checkAllNew(t *testing.T, as []answer, old string) string {
	t.Helper()
	for i, a := range as {
		if a.code != 200 || a.body == old || !strings.HasPrefix(a.body, "eyJ") || a.body != as[0].body || !a.setCookie {
			t.Fatalf("request %d: %d %q (set cookie %v); request 0: %q", i, a.code, a.body, a.setCookie, as[0].body)
		}
	}
	return as[0].body
}

// TestTwoInstancesOneRefresh: two authgo instances sharing Redis receive
// 200 concurrent requests with the same expired cookie: the back end sees
// one refresh, and every request gets the same new token (spec C5, issue 5).
func TestTwoInstancesOneRefresh(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		lease time.Duration
		delay time.Duration
	}{
		{"fast back end", 0, 50 * time.Millisecond},
		// The refresh outlasts the lease several times over: renewal keeps
		// the other instance out (spec C6, oauth2-proxy #1992).
		{"slow back end, short lease", 300 * time.Millisecond, time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := testRedis(t)
			p := testPrefix(t, c)
			clk := newClock()
			b := newBackend(t, 5*time.Minute, clk.Now)
			b.Delay = tc.delay
			o := redis.LockerOptions{Prefix: p, Lease: tc.lease}
			// Each instance has its own client, as separate processes would.
			c2 := goredis.NewClient(&goredis.Options{Addr: c.Options().Addr})
			t.Cleanup(func() { c2.Close() })
			one := site(t, b, clk, redis.NewLocker(c, o))
			two := site(t, b, clk, redis.NewLocker(c2, o))

			cookie := signIn(t, one)
			old := get(two, "x", cookie)
			if old.code != 200 || !strings.HasPrefix(old.body, "eyJ") || b.Refreshes.Load() != 0 {
				t.Fatalf("before expiry: %+v, %d refreshes", old, b.Refreshes.Load())
			}
			clk.Add(10 * time.Minute)

			fresh := checkAllNew(t, burst([]http.Handler{one, two}, cookie, 200), old.body)
			if n, r := b.Refreshes.Load(), b.Refused.Load(); n != 1 || r != 0 {
				t.Fatalf("%d refresh calls (%d refused), want 1", n, r)
			}
			// The outcome is in Redis for the stragglers, and the lock is gone.
			keys, _ := scan(t.Context(), c, p)
			if len(keys) != 1 || !strings.Contains(keys[0], ":next:") {
				t.Fatalf("keys after the refresh: %q", keys)
			}
			// Requests that still carry the old cookie get the new tokens
			// from either instance, without a second refresh.
			for _, h := range []http.Handler{one, two} {
				if a := get(h, "late", cookie); a.body != fresh {
					t.Fatalf("stale cookie: %+v", a)
				}
			}
			if n := b.Refreshes.Load(); n != 1 {
				t.Fatalf("%d refresh calls after stale cookies, want 1", n)
			}
		})
	}
}

// TestSharedOutcomeAcrossInstances: a refresh made by one instance serves
// a request with the old cookie at another instance that has not seen it
// in-process: the result record, not the successor cache, answers.
func TestSharedOutcomeAcrossInstances(t *testing.T) {
	t.Parallel()
	c := testRedis(t)
	p := testPrefix(t, c)
	clk := newClock()
	b := newBackend(t, 5*time.Minute, clk.Now)
	o := redis.LockerOptions{Prefix: p}
	one := site(t, b, clk, redis.NewLocker(c, o))
	two := site(t, b, clk, redis.NewLocker(c, o))
	cookie := signIn(t, one)
	clk.Add(10 * time.Minute)
	first := get(one, "x", cookie)
	second := get(two, "x", cookie)
	if first.code != 200 || second.body != first.body || !second.setCookie || b.Refreshes.Load() != 1 || b.Refused.Load() != 0 {
		t.Fatalf("one %+v, two %+v, %d refreshes", first, second, b.Refreshes.Load())
	}
}

// TestRedisUnreachable: with Redis down or hanging, the refresh still
// happens, coalesced within the process, and nothing panics (spec C9).
func TestRedisUnreachable(t *testing.T) {
	t.Parallel()
	for name, addr := range map[string]string{"closed port": closedAddr(t), "no answer": blackHole(t)} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			rdb := goredis.NewClient(&goredis.Options{Addr: addr})
			t.Cleanup(func() { rdb.Close() })
			clk := newClock()
			b := newBackend(t, 5*time.Minute, clk.Now)
			b.Delay = 50 * time.Millisecond
			h := site(t, b, clk, redis.NewLocker(rdb, redis.LockerOptions{OpTimeout: 100 * time.Millisecond}))
			cookie := signIn(t, h)
			old := get(h, "x", cookie)
			clk.Add(10 * time.Minute)
			start := time.Now()
			checkAllNew(t, burst([]http.Handler{h}, cookie, 50), old.body)
			if n := b.Refreshes.Load(); n != 1 {
				t.Fatalf("%d refresh calls, want 1", n)
			}
			// Two Redis calls (the result, the lock) at most OpTimeout
			// each, then the refresh itself.
			if took := time.Since(start); took > 2*time.Second {
				t.Fatalf("the burst took %v", took)
			}
		})
	}
}
