package gateway_test

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authgo/authgo/gateway"
	"github.com/authgo/authgo/jwt"
)

// recorder is an upstream app that records every request it gets.
type recorder struct {
	mu   sync.Mutex
	reqs []*http.Request
	srv  *httptest.Server
}

func newRecorder(t *testing.T) *recorder {
	rec := &recorder{}
	rec.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, r.Clone(r.Context()))
		rec.mu.Unlock()
		if r.Header.Get("Upgrade") != "" {
			c, brw, err := http.NewResponseController(w).Hijack()
			if err != nil {
				return
			}
			defer c.Close()
			brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSet-Cookie: authjs.session-token=from-app; Path=/\r\n\r\n")
			brw.Flush()
			return
		}
		io.WriteString(w, "app:"+r.RequestURI)
	}))
	t.Cleanup(rec.srv.Close)
	return rec
}

func (rec *recorder) take() []*http.Request {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	r := rec.reqs
	rec.reqs = nil
	return r
}

// TestAttackUpstreamPaths: signed out, no spelling of a protected path
// reaches the app through a public pattern.
func TestAttackUpstreamPaths(t *testing.T) {
	app := newRecorder(t)
	a := newAuth(t, nil)
	for _, cfg := range []struct {
		name            string
		public, protect []string
		paths           []string
	}{
		{"public prefix, the rest protected", []string{"/", "/public/:path*"}, nil, []string{
			"/public/..%2fadmin", "/public/..%2Fadmin", "/public/%2e%2e/admin", "/public/%2E%2E/admin", "/public/.%2e/admin",
			"/public/%2e%2e%2fadmin", "//admin", "/public//admin", "/public/../admin", "/public/./../admin",
			"/admin;x", "/public;x/../admin", "/public/..;/admin", "/public/%2e%2e;/admin", "/ADMIN", "/Admin",
			"/public/%252e%252e/admin", "/public/%252e%252e%252fadmin", "/public/%25252e%25252e/admin",
			`/public\..\admin`, "/public/%5c..%5cadmin", "/public%5c..%5cadmin", "/%2fadmin", "/%2Fadmin",
			"/public/%c0%ae%c0%ae/admin", "/public/%u002e%u002e/admin", "/public/..%00/admin", "/public/%00/../admin",
			"/public/..%0d%0a/admin", "/public/%e2%80%a8/../admin", "/%61dmin", "/public%2f..%2fadmin",
		}},
		{"everything public but /admin", []string{"/:path*"}, []string{"/admin/:path*"}, []string{
			"/admin", "/admin/", "/admin/x", "/%61dmin/x", "/%61%64%6d%69%6e", "/admin;x", "/admin;x/y", "/admin%3bx/y",
			"/x/../admin", "/./admin", "//admin", "/x/%2e%2e/admin", "/x/..%2fadmin", "/admin%2fx", "/admin%2Fx",
			"/x/%252e%252e/admin", `/x\..\admin`, "/x/..;/admin", "/admin%00",
			// Left: "/admin%20/x" and "/admin./x" reach the app, which a
			// server that trims a segment's trailing spaces and dots (a
			// Windows file system) reads as /admin/x. The matcher's
			// documentation asks for a case-sensitive, exact upstream.
		}},
	} {
		t.Run(cfg.name, func(t *testing.T) {
			g, err := gateway.New(a, gateway.Options{Upstream: app.srv.URL, Public: cfg.public, Protect: cfg.protect})
			if err != nil {
				t.Fatal(err)
			}
			send := rawGateway(t, g)
			for _, p := range cfg.paths {
				status := send("GET " + p + " HTTP/1.1\r\nHost: app.example\r\n\r\n")
				got := app.take()
				if !strings.HasPrefix(status, "HTTP/1.1 ") || strings.Contains(status, " 5") || len(got) > 0 {
					var at []string
					for _, g := range got {
						at = append(at, g.RequestURI)
					}
					t.Errorf("%s: %s, the app got %q", p, status, at)
				}
			}
		})
	}
}

// rawGateway serves g on a real listener and returns a function that
// sends a raw HTTP/1.1 request and returns the status line.
func rawGateway(t *testing.T, g http.Handler) func(req string) string {
	head := rawGatewayHead(t, g)
	return func(req string) string {
		line, _, _ := strings.Cut(head(req), "\r\n")
		return line
	}
}

// rawGatewayHead is rawGateway answering the response's status line and
// headers, up to the blank line.
func rawGatewayHead(t *testing.T, g http.Handler) func(req string) string {
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	return func(req string) string {
		c, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(c, req)
		br := bufio.NewReader(c)
		var head strings.Builder
		for {
			line, err := br.ReadString('\n')
			if strings.TrimSpace(line) == "" || err != nil {
				break
			}
			head.WriteString(strings.TrimRight(line, "\r\n") + "\r\n")
		}
		return strings.TrimSuffix(head.String(), "\r\n")
	}
}

// TestAttackIdentitySpoofing: no client spelling of an identity header
// reaches the app, signed out or signed in, and the gateway's own values
// survive hop-by-hop tricks.
func TestAttackIdentitySpoofing(t *testing.T) {
	app := newRecorder(t)
	a := newAuth(t, nil)
	g, err := gateway.New(a, gateway.Options{Upstream: app.srv.URL, Public: []string{"/pub/:path*"}, PassIdentity: true, PassAccessToken: true})
	if err != nil {
		t.Fatal(err)
	}
	own := cookie(t, &jwt.Token{Subject: "u-own", Email: "own@example.com", Extra: map[string]any{"provider": "credentials"}})
	send := rawGateway(t, g)
	spoofs := []string{
		"Connection: X-Auth-Request-User, X-Forwarded-For\r\nX-Auth-Request-User: admin\r\n",
		"Connection: close, X-Auth-Request-Email\r\nX-Auth-Request-Email: boss@example.com\r\n",
		"X-Foo: a\r\n X-Auth-Request-User: admin\r\n", // obs-fold
		"X-Foo: a\r\n\tX-Auth-Request-Email: boss@example.com\r\n",
		"X-Auth-Request-User : admin\r\n", // space before the colon
		"X-Auth-Request-User\t: admin\r\n",
		" X-Auth-Request-User: admin\r\n", // leading space
		"x-auth-request-user: admin\r\n",
		"X_AUTH_REQUEST_USER: admin\r\n",
		"X-Auth-Request-User_: admin\r\n",
		"X-Auth_Request-Email: boss@example.com\r\n",
		"X-Forwarded-Access-Token: forged\r\n",
		"X-FORWARDED-ACCESS_TOKEN: forged\r\n",
		"X-Auth-Request-Preferred-Username: root\r\n",
		"Upgrade: websocket\r\nConnection: Upgrade\r\nX-Auth-Request-Email: boss@example.com\r\n",
		"Upgrade: websocket\r\nConnection: Upgrade, X-Auth-Request-User\r\nX_Auth_Request_User: admin\r\n",
	}
	reached := 0
	for _, signedIn := range []bool{false, true} {
		for _, sp := range spoofs {
			for _, path := range []string{"/pub/x", "/private"} {
				req := "GET " + path + " HTTP/1.1\r\nHost: app.example\r\n" + sp
				if signedIn {
					req += "Cookie: " + own + "\r\n"
				}
				status := send(req + "\r\n")
				got := app.take()
				reached += len(got)
				if strings.Contains(status, " 5") {
					t.Errorf("%q signed in %v: %s", sp, signedIn, status)
				}
				for _, r := range got {
					for k, v := range r.Header {
						n := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(k), "_", "-"))
						if !strings.HasPrefix(n, "x-auth-request-") && !strings.HasPrefix(n, "x-forwarded-access") && !strings.HasPrefix(n, "x-auth-request") {
							if n == "x-foo" && strings.Contains(strings.ToLower(strings.Join(v, "")), "x-auth-request") {
								continue // folded into another header's value: harmless
							}
							continue
						}
						want := ""
						if signedIn {
							switch n {
							case "x-auth-request-user":
								want = "u-own"
							case "x-auth-request-email":
								want = "own@example.com"
							}
						}
						if k != http.CanonicalHeaderKey(n) || len(v) != 1 || v[0] != want {
							t.Errorf("%q %s signed in %v: the app got %s: %q", sp, path, signedIn, k, v)
						}
					}
					if signedIn && r.Header.Get("X-Auth-Request-User") != "u-own" {
						t.Errorf("%q %s: the app did not get the user: %v", sp, path, r.Header)
					}
					if c := r.Header.Get("Cookie"); strings.Contains(c, "authjs") {
						t.Errorf("%q: the session cookie reached the app", sp)
					}
				}
			}
		}
	}
	// Signed out, the public path and the WebSocket cases pass; signed in,
	// both paths: the spoofs were tried, not refused wholesale.
	if reached < 3*len(spoofs)/2 {
		t.Errorf("the app got only %d of the spoofed requests", reached)
	}
}

// TestAttackForwardAuthURI: forward-auth reads the original URL only from
// a trusted proxy, and no spelling of it opens a protected path.
func TestAttackForwardAuthURI(t *testing.T) {
	a := newAuth(t, nil)
	g, err := gateway.New(a, gateway.Options{Public: []string{"/", "/pub/:path*"}, PassIdentity: true})
	if err != nil {
		t.Fatal(err)
	}
	const proxy, client = "10.0.0.1:4000", "192.0.2.9:5000"
	for _, uri := range []string{
		"http://evil/admin", "http://evil/pub/x", "https://app.example/pub/../admin", "//evil/pub/x", "", " ", "/pub/x\t",
		strings.Repeat("/pub", 20000) + "/../admin", "/pub/" + strings.Repeat("a", 1<<20),
		"/pub/..%2fadmin", "/pub/%2e%2e/admin", "/pub/..;/admin", "/pub;/../admin", "/pub/x#/../../admin",
		"/admin#/pub/x", "/admin?/pub/x", "/admin?x=/pub/x", "/pub/%252e%252e/admin", `/pub\..\admin`, "*", "pub/x",
		"/pub/x, /admin", "/admin, /pub/x",
	} {
		for _, peer := range []string{proxy, client} {
			w := forwardAuth(g, "/auth/forward-auth", peer, "X-Forwarded-Uri", uri)
			if w.Code != http.StatusUnauthorized {
				t.Errorf("X-Forwarded-Uri %.60q from %s: %d, want 401", uri, peer, w.Code)
			}
			w = forwardAuth(g, "/auth/forward-auth", peer, "X-Original-URI", "/pub/x", "X-Forwarded-Uri", uri)
			if w.Code != http.StatusUnauthorized {
				t.Errorf("X-Forwarded-Uri %.60q with a public X-Original-URI from %s: %d, want 401", uri, peer, w.Code)
			}
		}
	}
	// From an untrusted peer no forwarding header makes it trusted.
	for _, h := range [][]string{
		{"X-Forwarded-For", "10.0.0.1"}, {"X-Real-IP", "10.0.0.1"}, {"Forwarded", "for=10.0.0.1;host=app.example;proto=https"},
		{"X-Forwarded-For", "192.0.2.9, 10.0.0.1"}, {"True-Client-IP", "10.0.0.1"},
	} {
		w := forwardAuth(g, "/auth/forward-auth", client, h[0], h[1], "X-Forwarded-Uri", "/pub/x")
		if w.Code != http.StatusUnauthorized {
			t.Errorf("%s: %s from an untrusted peer: %d, want 401", h[0], h[1], w.Code)
		}
	}
}

// TestAttackForwardAuthRedirect: the redirect answer's Location is always
// the sign-in page on the public origin; the callbackUrl goes where a
// trusted proxy said, an untrusted peer's headers are ignored.
func TestAttackForwardAuthRedirect(t *testing.T) {
	a := newAuth(t, nil)
	g, err := gateway.New(a, gateway.Options{Public: []string{"/pub/:path*"}})
	if err != nil {
		t.Fatal(err)
	}
	const proxy, client = "10.0.0.1:4000", "192.0.2.9:5000"
	signin := origin + "/auth/signin?callbackUrl="
	for _, tc := range []struct {
		peer string
		hdr  []string
		cb   string // the callbackUrl wanted
	}{
		{client, []string{"X-Forwarded-Host", "evil.example", "X-Forwarded-Uri", "/admin"}, origin + "/"},
		{client, []string{"X-Forwarded-Host", "evil.example", "X-Forwarded-Proto", "https", "X-Forwarded-Uri", "//evil.example/x"}, origin + "/"},
		{proxy, []string{"X-Forwarded-Uri", "//evil.example/x"}, origin + "/"},
		{proxy, []string{"X-Forwarded-Uri", "http://evil.example/x"}, origin + "/"},
		{proxy, []string{"X-Forwarded-Uri", `/\evil.example/x`}, origin + `/\evil.example/x`},
		{proxy, []string{"X-Forwarded-Host", "evil.example/x", "X-Forwarded-Uri", "/a"}, origin + "/a"},
		{proxy, []string{"X-Forwarded-Host", "app.example@evil.example", "X-Forwarded-Uri", "/a"}, origin + "/a"},
		{proxy, []string{"X-Forwarded-Host", "app.example", "X-Forwarded-Proto", "javascript", "X-Forwarded-Uri", "/a"}, origin + "/a"},
		{proxy, []string{"X-Forwarded-Host", "app.example, evil.example", "X-Forwarded-Uri", "/a"}, "http://evil.example/a"},
	} {
		w := forwardAuth(g, "/auth/forward-auth/redirect", tc.peer, tc.hdr...)
		loc := w.Header().Get("Location")
		if w.Code != http.StatusFound || loc != signin+url.QueryEscape(tc.cb) {
			t.Errorf("%s %q: %d %q, want the callbackUrl %q", tc.peer, tc.hdr, w.Code, loc, tc.cb)
		}
	}
}

// TestAttackUpstreamFailures: an upstream that is down, or answers
// garbage, gets 502 with no detail of the error.
func TestAttackUpstreamFailures(t *testing.T) {
	a := newAuth(t, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	bad := ln.Addr().String()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				bufio.NewReader(c).ReadString('\n')
				io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 7\r\nX: \x00\r\n\r\nhello")
			}()
		}
	}()
	defer ln.Close()
	down, _ := net.Listen("tcp", "127.0.0.1:0")
	downAddr := down.Addr().String()
	down.Close()
	own := cookie(t, &jwt.Token{Subject: "u-own", Extra: map[string]any{"provider": "credentials"}})
	for _, up := range []string{"http://" + bad, "http://" + downAddr} {
		var logged strings.Builder
		g, err := gateway.New(a, gateway.Options{Upstream: up, Public: []string{"/pub/:path*"}, PassSessionCookie: true,
			Logger: slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelDebug}))})
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{"/pub/x?token=SECRET-Q", "/private?token=SECRET-Q"} {
			w := httptest.NewRecorder()
			r := httptest.NewRequest("GET", path, nil)
			r.Header.Set("Cookie", own)
			g.ServeHTTP(w, r)
			body := w.Body.String()
			if w.Code != http.StatusBadGateway || strings.Contains(body, "127.0.0.1") || strings.Contains(body, "dial") || strings.Contains(body, "malformed") {
				t.Errorf("%s %s: %d %q", up, path, w.Code, body)
			}
		}
		if l := logged.String(); l == "" || strings.Contains(l, "SECRET-Q") || strings.Contains(l, "authjs") || strings.Contains(l, own[len(own)-20:]) {
			t.Errorf("%s: the log says %q", up, l)
		}
	}
}

// TestAttackAllowList: only a verified address that is exactly on the
// list, or exactly in a listed domain, passes; lookalikes do not.
func TestAttackAllowList(t *testing.T) {
	a := newAuth(t, nil)
	g, err := gateway.New(a, gateway.Options{Allow: gateway.Allow{Emails: []string{"boss@kakao.com"}, Domains: []string{"example.com", "link.example"}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		email    string
		verified any
		want     bool
	}{
		{"ann@example.com", true, true},
		{"ANN@EXAMPLE.COM", true, true},
		{"Boss@Kakao.Com", true, true},
		{"ann@example.com", false, false},
		{"ann@example.com", "true", false},
		{"ann@example.com", 1.0, false},
		{"ann@evil-example.com", true, false},
		{"ann@sub.example.com", true, false},
		{"ann@example.com.evil.com", true, false},
		{"ann@example.com.", true, false},
		{"ann@example.com ", true, false},
		{" ann@example.com", true, true}, // the local part is not checked: still example.com's
		{"ann@exаmple.com", true, false}, // Cyrillic а
		{"ann@example.com\x00", true, false},
		{"ann@evil.com@example.com", true, false},
		{"ann@example.com@evil.com", true, false},
		{"ann@\u212Aakao.com", true, false},    // KELVIN SIGN, which ToLower turns into k
		{"boss@\u212Aakao.com", true, false},   // the listed address, spelled with it
		{"ann@l\u0130nk.example", true, false}, // İ, which ToLower turns into i
		{"ann@example.\u212Aom", true, false},
		{"ann@EXAMPLE.COM", true, true},
	} {
		tok := &jwt.Token{Subject: "u", Email: tc.email, Extra: map[string]any{"provider": "github", "email_verified": tc.verified}}
		if got := g.Allowed(t.Context(), tok); got != tc.want {
			t.Errorf("Allowed(%q, verified %v) = %v, want %v", tc.email, tc.verified, got, tc.want)
		}
	}
}

// TestAttackCrossOriginWebSocket: a WebSocket handshake from another
// origin (a page elsewhere, riding on the browser's cookie) never reaches
// the app with the user's identity or cookie: on a protected path it gets
// 403, on a public one it goes through as anonymous.
func TestAttackCrossOriginWebSocket(t *testing.T) {
	app := newRecorder(t)
	a := newAuth(t, nil)
	g, err := gateway.New(a, gateway.Options{Upstream: app.srv.URL, Public: []string{"/pub/:path*"}, PassIdentity: true, PassSessionCookie: true})
	if err != nil {
		t.Fatal(err)
	}
	own := cookie(t, &jwt.Token{Subject: "u-own", Email: "own@example.com", Extra: map[string]any{"provider": "credentials"}})
	send := rawGatewayHead(t, g)
	for _, tc := range []struct {
		path, origin string
		status       string
		identity     bool
	}{
		{"/ws", "http://app.example", "101", true},
		{"/ws", "http://APP.example:80", "101", true},
		{"/ws", "", "101", true}, // not a browser
		{"/ws", "http://evil.example", "403", false},
		{"/ws", "null", "403", false},
		{"/ws", "https://app.example", "403", false},
		{"/ws", "http://app.example.evil.example", "403", false},
		{"/ws", "http://app.example:8080", "403", false},
		{"/pub/ws", "http://app.example", "101", true},
		{"/pub/ws", "http://evil.example", "101", false},
	} {
		req := "GET " + tc.path + " HTTP/1.1\r\nHost: app.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nCookie: " + own + "\r\n"
		if tc.origin != "" {
			req += "Origin: " + tc.origin + "\r\n"
		}
		status := send(req + "\r\n")
		got := app.take()
		if !strings.Contains(status, " "+tc.status+" ") {
			t.Errorf("%s from %q: %s, want %s", tc.path, tc.origin, status, tc.status)
		}
		for _, r := range got {
			if has := r.Header.Get("X-Auth-Request-User") != "" || strings.Contains(r.Header.Get("Cookie"), "authjs"); has != tc.identity {
				t.Errorf("%s from %q: the app got identity or cookie %v, want %v", tc.path, tc.origin, has, tc.identity)
			}
		}
		// The app's Set-Cookie for authgo's cookie (PassSessionCookie)
		// comes back only to the user's own origin: an anonymous handshake
		// must not let the app set the browser's session.
		if strings.Contains(status, " 101 ") {
			if set := strings.Contains(status, "authjs.session-token"); set != tc.identity {
				t.Errorf("%s from %q: the app's authjs Set-Cookie came back %v, want %v", tc.path, tc.origin, set, tc.identity)
			}
		}
	}
}
