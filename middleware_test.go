package authgo_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/jwt"
)

const secretPage = "the protected page"

// routers returns the same site on http.ServeMux and on chi: the auth
// endpoints, a protected /mypage subtree, /home/{id}/review/..., a public
// page, all behind a.Middleware.
func routers(a *authgo.Auth) map[string]http.Handler {
	protected := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := a.SessionFromContext(r.Context())
		if s == nil {
			io.WriteString(w, "BUG: "+secretPage+" without a session")
			return
		}
		io.WriteString(w, secretPage+" for "+s.User.Name)
	})
	public := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "public") })

	mux := http.NewServeMux()
	mux.Handle("/auth/", a)
	mux.Handle("/mypage", protected)
	mux.Handle("/mypage/", protected)
	mux.Handle("/home/{id}/review/", protected)
	mux.Handle("/public/", public)
	mux.Handle("/api/", protected)

	r := chi.NewRouter()
	r.Use(a.Middleware)
	r.Handle("/auth/*", a)
	r.Handle("/mypage", protected)
	r.Handle("/mypage/*", protected)
	r.Handle("/home/{id}/review/*", protected)
	r.Handle("/public/*", public)
	r.Handle("/api/*", protected)
	return map[string]http.Handler{"ServeMux": a.Middleware(mux), "chi": r}
}

func guarded(t testing.TB, mod func(*authgo.Config)) *authgo.Auth {
	return newAuth(t, func(c *authgo.Config) {
		c.Matcher = []string{"/mypage/:path*", "/home/:stadiumId/review/:path*", "/api/:path*"}
		if mod != nil {
			mod(c)
		}
	})
}

func TestMiddlewareBypassList(t *testing.T) {
	a := guarded(t, nil)
	targets := []string{
		"/mypage", "/mypage/", "/mypage/x", "/mypage/a/b/c", "/mypage//a", "/mypage?x=1",
		"/mypage/../mypage/x", "//mypage/x", "/mypage%2Fx", "/%6Dypage/x", "/mypage/x/",
		"/./mypage/x", "/public/../mypage/x", "/public/%2e%2e/mypage/x", "/public/.%2e/mypage/x",
		"/public/%2E%2E%2Fmypage/x", "/public//../mypage/x", "/mypage;x=y/a", "/public;/../mypage/a",
		"/public/..;/mypage/a", "/home/4/review/x", "/home/4%2F2/review", "/home/4/review",
		"/mypage/%2e%2e/mypage", "/mypage\\x", "/%2fmypage/x",
		// Dot-segments towards the endpoints: chi serves these from its
		// /mypage/* route without cleaning them.
		"/mypage/../auth/x", "/mypage/a/../../auth/signin", "/mypage/%2e%2e/auth/csrf", "/mypage//../auth/x",
	}
	for name, h := range routers(a) {
		for _, target := range targets {
			req := httptest.NewRequest("GET", target, nil)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if strings.Contains(rec.Body.String(), secretPage) {
				t.Errorf("%s: %s reached the protected handler unauthenticated (%d)", name, target, rec.Code)
			}
		}
	}
	// And over a real connection, with raw request targets the Go client
	// would clean.
	for name, h := range routers(a) {
		srv := httptest.NewServer(h)
		for _, target := range targets {
			body := rawGet(t, srv.Listener.Addr().String(), target)
			if strings.Contains(body, secretPage) {
				t.Errorf("%s over TCP: %s reached the protected handler", name, target)
			}
		}
		srv.Close()
	}
}

func rawGet(t *testing.T, addr, target string) string {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: localhost:3000\r\nConnection: close\r\n\r\n", target)
	b, _ := io.ReadAll(conn)
	return string(b)
}

func TestMiddlewareFlow(t *testing.T) {
	a := guarded(t, func(c *authgo.Config) { c.APIPaths = []string{"/api/"} })
	for name, h := range routers(a) {
		t.Run(name, func(t *testing.T) {
			c := newClient(t, h)
			r := c.get(O + "/mypage/x?tab=2")
			want := O + "/auth/signin?callbackUrl=" + url.QueryEscape(O+"/mypage/x?tab=2")
			if r.StatusCode != 302 || r.Header.Get("Location") != want {
				t.Fatalf("page: %d %q", r.StatusCode, r.Header.Get("Location"))
			}
			req, _ := http.NewRequest("POST", O+"/mypage/x", nil)
			if r := c.do(req); r.StatusCode != 303 {
				t.Fatalf("POST: %d", r.StatusCode)
			}
			if r := c.get(O+"/mypage/x", "Accept", "application/json"); r.StatusCode != 401 || !strings.Contains(r.body, `"error":"unauthenticated"`) {
				t.Fatalf("JSON: %d %s", r.StatusCode, r.body)
			}
			if r := c.get(O+"/api/orders", "Accept", "text/html"); r.StatusCode != 401 {
				t.Fatalf("API path: %d", r.StatusCode)
			}
			if r := c.get(O + "/public/x"); r.StatusCode != 200 || r.body != "public" {
				t.Fatalf("public: %d %s", r.StatusCode, r.body)
			}
			if r := c.get(O + "/mypage%2Fx"); r.StatusCode != 400 {
				t.Fatalf("ambiguous path: %d", r.StatusCode)
			}
			// Follow the redirect: the sign-in page, the sign-in, back.
			c.get(want)
			r = c.postForm(O+"/auth/callback/credentials", url.Values{"csrfToken": {c.csrf(O)}, "username": {"alice"}, "password": {"wonderland"}})
			if r.Header.Get("Location") != O+"/mypage/x?tab=2" {
				t.Fatalf("after sign-in: %q", r.Header.Get("Location"))
			}
			r = c.get(O + "/mypage/x?tab=2")
			if r.StatusCode != 200 || r.body != secretPage+" for Alice" {
				t.Fatalf("signed in: %d %s", r.StatusCode, r.body)
			}
			if len(r.setCook) != 0 {
				t.Fatalf("a fresh cookie was re-issued: %v", r.setCook)
			}
			if r := c.get(O + "/home/7/review/a/b"); r.body != secretPage+" for Alice" {
				t.Fatalf("stadium review: %s", r.body)
			}
		})
	}
}

func TestMiddlewareReissue(t *testing.T) {
	now := time.Now()
	clock := func() time.Time { return now }
	a := guarded(t, func(c *authgo.Config) { c.Now = clock })
	h := routers(a)["ServeMux"]
	c := newClient(t, h)
	c.signIn(O, "alice", "wonderland")
	if r := c.get(O + "/mypage/x"); len(r.setCook) != 0 {
		t.Fatal("re-issued a fresh cookie")
	}
	now = now.Add(25 * time.Hour) // older than UpdateAge (24 h)
	r := c.get(O + "/mypage/x")
	ck := r.setCook["authjs.session-token"]
	if ck == nil || ck.Expires.Before(now.Add(29*24*time.Hour)) {
		t.Fatalf("old cookie not re-issued with a slid expiry: %v", ck)
	}
	if r := c.get(O + "/mypage/x"); len(r.setCook) != 0 {
		t.Fatal("re-issued again right after")
	}

	// A JWT callback that changes the token makes the middleware re-issue.
	calls := 0
	b := guarded(t, func(c *authgo.Config) {
		c.Callbacks.JWT = func(ctx context.Context, p authgo.JWTParams) (*authgo.Token, error) {
			if p.Trigger == "" {
				calls++
				p.Token.Set("reads", float64(calls))
			}
			return p.Token, nil
		}
	})
	c2 := newClient(t, routers(b)["ServeMux"])
	c2.signIn(O, "alice", "wonderland")
	r = c2.get(O + "/mypage/x")
	tok, err := jwt.Decode(jwt.DecodeParams{Token: r.setCook["authjs.session-token"].Value, Secrets: []string{testSecret}})
	if err != nil || tok.Extra["reads"] != float64(1) {
		t.Fatalf("changed token not re-issued: %v %v", tok, err)
	}

	// An invalid cookie on a guarded path is deleted.
	c3 := newClient(t, h)
	r = c3.get(O+"/mypage/x", "Cookie", "authjs.session-token=garbage")
	if ck := r.setCook["authjs.session-token"]; ck == nil || ck.MaxAge >= 0 || r.StatusCode != 302 {
		t.Fatalf("%d %v", r.StatusCode, r.setCook)
	}
}

func TestMiddlewareAuthorized(t *testing.T) {
	a := guarded(t, func(c *authgo.Config) {
		c.Callbacks.Authorized = func(ctx context.Context, r *http.Request, s *authgo.Session) bool {
			if strings.HasPrefix(r.URL.Path, "/mypage/open") {
				return true // signed out is fine here
			}
			return s != nil && s.User.Email == "alice@example.com"
		}
	})
	h := routers(a)["ServeMux"]
	bob := newClient(t, h)
	bob.signIn(O, "bob", "builder")
	if r := bob.get(O + "/mypage/x"); r.StatusCode != 302 {
		t.Fatalf("bob: %d", r.StatusCode)
	}
	alice := newClient(t, h)
	alice.signIn(O, "alice", "wonderland")
	if r := alice.get(O + "/mypage/x"); r.StatusCode != 200 {
		t.Fatalf("alice: %d", r.StatusCode)
	}
	if r := newClient(t, h).get(O + "/mypage/open"); r.StatusCode != 200 || !strings.Contains(r.body, "BUG") {
		// Authorized let it through without a session: the handler sees none.
		t.Fatalf("open: %d %s", r.StatusCode, r.body)
	}
}

func TestMiddlewareConfig(t *testing.T) {
	_, err := authgo.New(authgo.Config{Secret: []string{testSecret}, URL: O, Matcher: []string{"/ok/:path*", "/bad/:path(", "nope"}})
	if err == nil || !strings.Contains(err.Error(), "/bad/:path(") {
		t.Fatalf("err = %v", err)
	}
	// A custom sign-in page inside the protected tree is not guarded.
	a := guarded(t, func(c *authgo.Config) { c.Pages.SignIn = "/mypage/login" })
	r := newClient(t, routers(a)["ServeMux"]).get(O + "/mypage/login")
	if r.StatusCode != 200 {
		t.Fatalf("custom sign-in page guarded: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
}

// BenchmarkMiddleware: what a.Middleware adds to a request on a protected
// path with a valid cookie that needs no re-issue, next to one session
// token decode.
func BenchmarkMiddleware(b *testing.B) {
	a := guarded(b, nil)
	c := newClient(b, a)
	c.signIn(O, "alice", "wonderland")
	cookie := c.CookieHeader()
	noop := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	h := a.Middleware(noop)
	req := httptest.NewRequest("GET", O+"/mypage/x", nil)
	req.Header.Set("Cookie", cookie)
	w := discard{}
	b.Run("bare", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			noop.ServeHTTP(w, req)
		}
	})
	b.Run("middleware", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			h.ServeHTTP(w, req)
		}
	})
	b.Run("middleware-revocations", func(b *testing.B) {
		// The same, with 10,000 sign-outs recorded in the default store,
		// so that every request really asks it.
		store := authgo.NewMemoryRevocations()
		for i := range 10000 {
			store.RevokeSession(context.Background(), fmt.Sprint("s", i), time.Now().Add(time.Hour))
		}
		ra := guarded(b, func(c *authgo.Config) { c.Session.Revocations = store })
		rc := newClient(b, ra)
		rc.signIn(O, "alice", "wonderland")
		rreq := httptest.NewRequest("GET", O+"/mypage/x", nil)
		rreq.Header.Set("Cookie", rc.CookieHeader())
		hr := ra.Middleware(noop)
		b.ReportAllocs()
		for b.Loop() {
			hr.ServeHTTP(w, rreq)
		}
	})
	b.Run("middleware-shared-store", func(b *testing.B) {
		// A shared store (adapters/sqlite, adapters/redis) behind the
		// RevocationCache: a map lookup per request, one store call per
		// session every 2 s. The store here counts its calls.
		store := &countingRevocations{RevocationStore: authgo.NewMemoryRevocations()}
		sa := guarded(b, func(c *authgo.Config) { c.Session.Revocations = store })
		sc := newClient(b, sa)
		sc.signIn(O, "alice", "wonderland")
		sreq := httptest.NewRequest("GET", O+"/mypage/x", nil)
		sreq.Header.Set("Cookie", sc.CookieHeader())
		hs := sa.Middleware(noop)
		b.ReportAllocs()
		for b.Loop() {
			hs.ServeHTTP(w, sreq)
		}
		b.ReportMetric(float64(store.calls.Load())/float64(b.N), "store-calls/op")
	})
	b.Run("middleware-uncached", func(b *testing.B) {
		// Every request a cookie the codec has not seen: what the first
		// request after a sign-in or re-issue costs.
		fresh := guarded(b, nil)
		codec, err := jwt.NewCodec(jwt.Options{Secrets: []string{testSecret}})
		if err != nil {
			b.Fatal(err)
		}
		toks := make([]string, 4096)
		for i := range toks {
			toks[i], _ = codec.Encode(jwt.CookieName, &jwt.Token{Subject: "user-1", Name: "Alice", Email: "alice@example.com"}, 0)
		}
		hf := fresh.Middleware(noop)
		reqs := make([]*http.Request, len(toks))
		for i, t := range toks {
			reqs[i] = httptest.NewRequest("GET", O+"/mypage/x", nil)
			reqs[i].Header.Set("Cookie", "authjs.session-token="+t)
		}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			hf.ServeHTTP(w, reqs[i%len(reqs)])
			i++
		}
	})
	b.Run("decode", func(b *testing.B) {
		// One real decode, for scale: a Codec with its cache off.
		b.ReportAllocs()
		codec, _ := jwt.NewCodec(jwt.Options{Secrets: []string{testSecret}, CacheSize: -1})
		raw := c.Cookie("authjs.session-token")
		for b.Loop() {
			if _, err := codec.Decode(jwt.CookieName, raw); err != nil {
				b.Fatal(err)
			}
		}
	})
}

type discard struct{}

func (discard) Header() http.Header         { return http.Header{} }
func (discard) Write(b []byte) (int, error) { return len(b), nil }
func (discard) WriteHeader(int)             {}

// TestMiddlewareBasePathTraversal: a path that only looks like an endpoint
// is judged on its cleaned form.
func TestMiddlewareBasePathTraversal(t *testing.T) {
	a := guarded(t, nil)
	for _, target := range []string{"/auth/../mypage/a", "/auth/..%2Fmypage/a", "/auth/%2e%2e/mypage/a"} {
		rec := httptest.NewRecorder()
		pass := false
		a.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { pass = true })).ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
		if pass {
			t.Errorf("%s passed unauthenticated (%d)", target, rec.Code)
		}
	}
}

// TestReissueWithEmptyHandler: a handler that writes nothing still gets
// the re-issued cookie, once.
func TestReissueWithEmptyHandler(t *testing.T) {
	now := time.Now()
	a := guarded(t, func(c *authgo.Config) { c.Now = func() time.Time { return now } })
	c := newClient(t, a)
	c.signIn(O, "alice", "wonderland")
	now = now.Add(25 * time.Hour)
	srv := httptest.NewServer(a.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})))
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL+"/mypage/x", nil)
	req.Header.Set("Cookie", c.CookieHeader())
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if n := len(res.Header.Values("Set-Cookie")); n != 1 || !strings.HasPrefix(res.Header.Get("Set-Cookie"), "authjs.session-token=eyJ") {
		t.Fatalf("%d Set-Cookie: %v", n, res.Header.Values("Set-Cookie"))
	}
}

type countingRevocations struct {
	authgo.RevocationStore
	calls atomic.Int64
}

func (c *countingRevocations) Check(ctx context.Context, id, sub string) (bool, time.Time, error) {
	c.calls.Add(1)
	return c.RevocationStore.Check(ctx, id, sub)
}

// TestReissueNotCacheable: attacks.md T11. A response that re-issues the
// session cookie is never cacheable, even when the handler said it was.
func TestReissueNotCacheable(t *testing.T) {
	now := time.Now()
	a := guarded(t, func(c *authgo.Config) { c.Now = func() time.Time { return now } })
	h := a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=300")
		w.Header().Set("ETag", `"v1"`)
		io.WriteString(w, "page")
	}))
	c := newClient(t, a)
	c.signIn(O, "alice", "wonderland")
	req := httptest.NewRequest("GET", O+"/mypage/x", nil)
	req.Header.Set("Cookie", c.CookieHeader())
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Header().Get("Set-Cookie") != "" || rec.Header().Get("Cache-Control") != "public, max-age=300" {
		t.Fatalf("no re-issue: the handler's caching stands: %v", rec.Header())
	}
	now = now.Add(25 * time.Hour) // older than UpdateAge: re-issued
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if !strings.Contains(rec.Header().Get("Set-Cookie"), "authjs.session-token=") ||
		rec.Header().Get("Cache-Control") != "private, no-cache, no-store" || rec.Header().Get("ETag") != "" {
		t.Fatalf("re-issued on a cacheable response: %v", rec.Header())
	}
}

// TestMiddlewareRefusesEveryMethod: on a protected path every method is refused
// without a session, TRACE-like methods are refused for everyone, and
// headers that other stacks read as routing or identity change nothing.
func TestMiddlewareRefusesEveryMethod(t *testing.T) {
	a := guarded(t, nil)
	for name, h := range routers(a) {
		anon := newClient(t, h)
		for _, m := range []string{"HEAD", "OPTIONS", "PROPFIND", "get", "FOO", "DELETE"} {
			req := httptest.NewRequest(m, O+"/mypage/a", nil)
			if r := anon.do(req); r.StatusCode < 300 || r.StatusCode >= 500 || strings.Contains(r.body, secretPage) {
				t.Errorf("%s: %s signed out: %d", name, m, r.StatusCode)
			}
		}
		user := newClient(t, h)
		user.signIn(O, "alice", "wonderland")
		for _, m := range []string{"TRACE", "TRACK"} {
			for _, c := range []*client{anon, user} {
				req := httptest.NewRequest(m, O+"/mypage/a", nil)
				if r := c.do(req); r.StatusCode != http.StatusMethodNotAllowed || strings.Contains(r.body, "authjs") {
					t.Errorf("%s: %s: %d %q", name, m, r.StatusCode, r.body)
				}
			}
		}
		for _, hdr := range [][2]string{
			{"X-Middleware-Subrequest", "middleware:middleware:middleware:middleware:middleware"},
			{"X-Original-URL", "/public/x"}, {"X-Rewrite-URL", "/public/x"},
			{"X-Forwarded-User", "alice"}, {"X-Forwarded-Prefix", "/public"}, {"X-Forwarded-Host", "evil.example"},
		} {
			if r := anon.get(O+"/mypage/a", hdr[0], hdr[1]); r.StatusCode != http.StatusFound || strings.Contains(r.body, secretPage) {
				t.Errorf("%s: %s: %d", name, hdr[0], r.StatusCode)
			}
		}
	}
}
