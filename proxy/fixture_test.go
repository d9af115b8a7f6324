package proxy_test

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/internal/backendtest"
	"github.com/authgo/authgo/jwt"
	"github.com/authgo/authgo/provider"
	"github.com/authgo/authgo/proxy"
)

const (
	testSecret = "test-secret-0123456789abcdef0123456789abcdef"
	O          = "http://localhost:3000" // the site's public origin
)

// The back end, its provider and the clock: internal/backendtest.
type (
	backend         = backendtest.Backend
	backendProvider = backendtest.Provider
	clock           = backendtest.Clock
)

type seen struct {
	Method, URI, Host string
	Header            http.Header
	Body              string // the first 64 KiB
	Len               int64
	Sum               string // SHA-256 of the whole body
}

// upstream is the API: an echo server that records what it receives.
// /v1/… routes do special things; anything else answers 200 with the
// request's body.
type upstream struct {
	*httptest.Server
	mu       sync.Mutex
	reqs     []seen
	release  chan struct{} // lets /stream finish
	timedOut atomic.Bool   // /stream waited in vain: the proxy buffered
}

func newUpstream(t testing.TB) *upstream {
	u := &upstream{release: make(chan struct{})}
	u.Server = httptest.NewServer(http.HandlerFunc(u.serve))
	t.Cleanup(u.Close)
	return u
}

func (u *upstream) hits() int { u.mu.Lock(); defer u.mu.Unlock(); return len(u.reqs) }

func (u *upstream) last(t testing.TB) seen {
	t.Helper()
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.reqs) == 0 {
		t.Fatal("the upstream received nothing")
	}
	return u.reqs[len(u.reqs)-1]
}

func (u *upstream) serve(w http.ResponseWriter, r *http.Request) {
	s := seen{Method: r.Method, URI: r.RequestURI, Host: r.Host, Header: r.Header.Clone()}
	if !strings.HasSuffix(r.URL.Path, "/ws") {
		h := sha256.New()
		var head strings.Builder
		n, _ := io.Copy(io.MultiWriter(h, &limitWriter{&head, 64 << 10}), r.Body)
		s.Body, s.Len, s.Sum = head.String(), n, hex.EncodeToString(h.Sum(nil))
	}
	u.mu.Lock()
	u.reqs = append(u.reqs, s)
	u.mu.Unlock()
	switch path.Base(r.URL.Path) {
	case "sum":
		fmt.Fprintf(w, "%d %s", s.Len, s.Sum)
	case "big":
		n, _ := strconv.ParseInt(r.URL.Query().Get("n"), 10, 64)
		w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
		io.Copy(w, io.LimitReader(&pattern{}, n))
	case "stream":
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "one\n")
		http.NewResponseController(w).Flush()
		select {
		case <-u.release:
		case <-time.After(5 * time.Second):
			u.timedOut.Store(true)
		}
		io.WriteString(w, "two\n")
	case "cookies":
		for _, c := range []string{
			"authjs.session-token=evil; Path=/",
			"__Secure-authjs.session-token=evil; Path=/; Secure",
			"__Secure-authjs.session-token.0=evil; Path=/; Secure",
			"__HOST-authjs.csrf-token=evil; Path=/; Secure",
			"authjs.callback-url=https://evil.example; Path=/",
			"=authjs.session-token=planted; Path=/", // nameless: stored under its value's name
			" authjs.csrf-token=x; Path=/",
			"x=y; Domain=.localhost; Path=/",
		} {
			w.Header().Add("Set-Cookie", c)
		}
		io.WriteString(w, "ok")
	case "unauthorized":
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		w.Header().Set("Authgo-Error", "forged")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(401)
		io.WriteString(w, `{"error":"invalid_token","detail":"from the api"}`)
	case "events":
		w.Header().Set("Content-Type", "text/event-stream")
		for i := range 8 {
			fmt.Fprintf(w, "data: %d\n\n", i)
			http.NewResponseController(w).Flush()
			time.Sleep(100 * time.Millisecond)
		}
	case "denied":
		w.Header().Set("WWW-Authenticate", `Bearer realm="api"`)
		w.WriteHeader(401)
	case "reflect":
		w.Header().Set("X-Debug-Auth", r.Header.Get("Authorization"))
		w.Header().Set("Access-Control-Allow-Origin", "https://evil.example")
		w.Header().Set("Access-Control-Allow-Credentials", "true")
		io.WriteString(w, "reflected")
	case "early":
		w.Header().Set("Link", "</app.css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		io.WriteString(w, "after hints")
	case "slow":
		select {
		case <-r.Context().Done():
		case <-time.After(2 * time.Second):
		}
	case "ws":
		if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			http.Error(w, "not a websocket", 400)
			return
		}
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSet-Cookie: authjs.session-token=evil\r\n\r\n")
		brw.Flush()
		io.Copy(conn, brw) // echo until the client closes
	default:
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, s.Body)
	}
}

type limitWriter struct {
	b *strings.Builder
	n int
}

func (w *limitWriter) Write(p []byte) (int, error) {
	if room := w.n - w.b.Len(); room > 0 {
		w.b.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

// pattern is an endless deterministic byte stream.
type pattern struct{ i int }

func (p *pattern) Read(b []byte) (int, error) {
	for j := range b {
		b[j] = byte(p.i % 251)
		p.i++
	}
	return len(b), nil
}

// site is the application: the auth endpoints under /auth/, and the proxy
// for everything else (so that the proxy sees every path).
type site struct {
	t      testing.TB
	a      *authgo.Auth
	p      *proxy.Proxy
	b      *backend
	up     *upstream
	clk    *clock
	h      http.Handler
	cookie string // alice's session cookie(s), as a Cookie header
	srv    *httptest.Server
}

type siteOptions struct {
	upstreamPath string // default "/v1"
	proxy        func(*proxy.Options)
	config       func(*authgo.Config)
	mount        func(s *site) http.Handler
}

func newSite(t testing.TB, so siteOptions) *site {
	t.Helper()
	s := &site{t: t, clk: backendtest.NewClock()}
	s.b = backendtest.New(t, 5*time.Minute, s.clk.Now)
	s.b.Delay = 20 * time.Millisecond // let concurrent requests pile up
	s.up = newUpstream(t)
	cfg := authgo.Config{
		Secret:    []string{testSecret},
		URL:       O,
		Providers: []provider.Provider{backendProvider{B: s.b}},
		Now:       s.clk.Now,
	}
	if so.config != nil {
		so.config(&cfg)
	}
	a, err := authgo.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.a = a
	up := so.upstreamPath
	if up == "" {
		up = "/v1"
	} else if up == "none" {
		up = ""
	}
	o := proxy.Options{Prefix: "/api", Upstream: s.up.URL + up, Origin: O}
	if so.proxy != nil {
		so.proxy(&o)
	}
	s.p, err = proxy.New(a, o)
	if err != nil {
		t.Fatal(err)
	}
	if so.mount != nil {
		s.h = so.mount(s)
	} else {
		s.h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, a.BasePath()+"/") {
				a.ServeHTTP(w, r)
				return
			}
			s.p.ServeHTTP(w, r)
		})
	}
	s.cookie = s.signIn("alice")
	return s
}

// signIn signs user in through the credentials callback and returns the
// session cookie(s) as a Cookie header.
func (s *site) signIn(user string) string {
	s.t.Helper()
	rec := httptest.NewRecorder()
	s.a.ServeHTTP(rec, httptest.NewRequest("GET", s.a.BasePath()+"/csrf", nil))
	var v struct{ CsrfToken string }
	json.Unmarshal(rec.Body.Bytes(), &v)
	var csrf string
	for _, c := range rec.Result().Cookies() {
		if c.Name == "authjs.csrf-token" {
			csrf = c.Name + "=" + c.Value
		}
	}
	form := url.Values{"csrfToken": {v.CsrfToken}, "username": {user}, "password": {"pw"}}
	req := httptest.NewRequest("POST", s.a.BasePath()+"/callback/backend", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Cookie", csrf)
	rec = httptest.NewRecorder()
	s.a.ServeHTTP(rec, req)
	cookie := sessionCookies(rec.Result())
	if cookie == "" {
		s.t.Fatalf("sign-in failed: %d %v", rec.Code, rec.Header())
	}
	return cookie
}

// sessionCookies returns the session cookies res sets, as a Cookie header.
func sessionCookies(res *http.Response) string {
	var parts []string
	for _, c := range res.Cookies() {
		if strings.HasPrefix(c.Name, "authjs.session-token") && c.Value != "" && c.MaxAge >= 0 {
			parts = append(parts, c.Name+"="+c.Value)
		}
	}
	return strings.Join(parts, "; ")
}

// tokenOf returns the access token in a session Cookie header.
func tokenOf(t testing.TB, cookie string) string {
	t.Helper()
	_, v, _ := strings.Cut(cookie, "=")
	tok, err := jwt.Decode(jwt.DecodeParams{Token: v, Secrets: []string{testSecret}, Now: func() time.Time { return time.Now().Add(time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	return tok.StringClaim("access_token")
}

// req is a request from alice's browser: her cookie and X-CSRF: 1.
func (s *site) req(method, target string, body io.Reader) *http.Request {
	r := httptest.NewRequest(method, target, body)
	r.RemoteAddr = "203.0.113.7:4444"
	r.Header.Set("Cookie", s.cookie)
	r.Header.Set("X-CSRF", "1")
	return r
}

func (s *site) serve(r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, r)
	return rec
}

func (s *site) server() *httptest.Server {
	if s.srv == nil {
		s.srv = httptest.NewServer(s.h)
		s.t.Cleanup(s.srv.Close)
	}
	return s.srv
}

// raw sends text on a new connection to addr and reads one response.
func raw(t testing.TB, addr, text string) (*http.Response, string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(conn, text)
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("%q: %v", text, err)
	}
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// wantError checks one of the proxy's own error answers.
func wantError(t testing.TB, rec *httptest.ResponseRecorder, status int, code string) {
	t.Helper()
	if rec.Code != status || rec.Header().Get("Authgo-Error") != code || rec.Body.String() != `{"error":"`+code+`"}` ||
		rec.Header().Get("Content-Type") != "application/json" || rec.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("got %d %v %q, want %d %s", rec.Code, rec.Header(), rec.Body.String(), status, code)
	}
}
