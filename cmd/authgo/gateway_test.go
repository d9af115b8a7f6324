package main

import (
	"bufio"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/authgo/authgo/internal/fwd"
	"github.com/authgo/authgo/internal/testidp"
	"github.com/authgo/authgo/provider"
)

// echoApp is the app behind authgo serve --upstream in the tests: it
// answers every path with what it received, as JSON; /ws is a WebSocket
// echo and /sse an event stream whose second event waits for sseGo.
type echoApp struct {
	*httptest.Server
	sseGo chan struct{}
}

// seen is what the echo app received.
type seen struct {
	Method string              `json:"method"`
	Path   string              `json:"path"`
	Host   string              `json:"host"`
	Header map[string][]string `json:"header"`
}

func newEchoApp(t *testing.T) *echoApp {
	app := &echoApp{sseGo: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("/ws", wsEcho)
	mux.HandleFunc("/sse", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprintf(w, "data: one user=%s\n\n", r.Header.Get("X-Auth-Request-User"))
		w.(http.Flusher).Flush()
		select {
		case <-app.sseGo:
		case <-r.Context().Done():
			return
		case <-time.After(10 * time.Second):
		}
		fmt.Fprint(w, "data: two\n\n")
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		// The app tries to set authgo's cookie and one of its own.
		w.Header().Add("Set-Cookie", "authjs.session-token=forged; Path=/")
		w.Header().Add("Set-Cookie", "app=2; Path=/")
		json.NewEncoder(w).Encode(seen{r.Method, r.URL.RequestURI(), r.Host, r.Header})
	})
	app.Server = httptest.NewServer(mux)
	t.Cleanup(app.Close)
	return app
}

const wsGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// wsEcho answers a WebSocket handshake and echoes one text frame, prefixed
// with the user the gateway named.
func wsEcho(w http.ResponseWriter, r *http.Request) {
	key := r.Header.Get("Sec-Websocket-Key")
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") || key == "" {
		http.Error(w, "not a websocket handshake", http.StatusBadRequest)
		return
	}
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	sum := sha1.Sum([]byte(key + wsGUID))
	fmt.Fprintf(brw, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n", base64.StdEncoding.EncodeToString(sum[:]))
	brw.Flush()
	msg, err := readFrame(brw.Reader)
	if err != nil {
		return
	}
	writeFrame(conn, []byte("echo "+r.Header.Get("X-Auth-Request-User")+": "+string(msg)), false)
}

// readFrame reads one short WebSocket frame, unmasking it.
func readFrame(r *bufio.Reader) ([]byte, error) {
	var h [2]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, err
	}
	n := int(h[1] & 0x7f)
	if n > 125 {
		return nil, fmt.Errorf("frame too long for the test: %d", n)
	}
	var mask [4]byte
	masked := h[1]&0x80 != 0
	if masked {
		if _, err := io.ReadFull(r, mask[:]); err != nil {
			return nil, err
		}
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, err
	}
	if masked {
		for i := range b {
			b[i] ^= mask[i%4]
		}
	}
	return b, nil
}

// writeFrame writes one short text frame, masked as a client must.
func writeFrame(w io.Writer, b []byte, mask bool) error {
	h := []byte{0x81, byte(len(b))}
	if mask {
		key := [4]byte{1, 2, 3, 4}
		h[1] |= 0x80
		h = append(h, key[:]...)
		m := make([]byte, len(b))
		for i := range b {
			m[i] = b[i] ^ key[i%4]
		}
		b = m
	}
	_, err := w.Write(append(h, b...))
	return err
}

// wsDial does a WebSocket handshake for path on the server at origin with
// cookie, and when it succeeds sends msg and returns the answer.
func wsDial(t *testing.T, origin, path, cookie, msg string) (status int, answer string) {
	t.Helper()
	u, _ := url.Parse(origin)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nOrigin: %s\r\nCookie: %s\r\n\r\n", path, u.Host, origin, cookie)
	br := bufio.NewReader(conn)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusSwitchingProtocols {
		return res.StatusCode, ""
	}
	if err := writeFrame(conn, []byte(msg), true); err != nil {
		t.Fatal(err)
	}
	b, err := readFrame(br)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(b)
}

// spoofedHeaders are the identity headers a client forges, in every spelling.
var spoofedHeaders = [][2]string{
	{"X-Auth-Request-User", "admin"},
	{"X-Auth-Request-User", "root"}, // repeated
	{"x-auth-request-email", "boss@example.com"},
	{"X_Auth_Request_User", "admin"},
	{"X-AUTH-REQUEST-PREFERRED-USERNAME", "admin"},
	{"X_Auth_Request_Preferred_Username", "admin"},
	{"X-Forwarded-Access-Token", "forged"},
	{"x_forwarded_access_token", "forged"},
	{"X-Forwarded-User", "admin"},
	{"X-Forwarded-For", "6.6.6.6"},
	{"X-Forwarded-Host", "evil.example"},
	{"X-Remote-User", "admin"},
}

// getSpoofed fetches path through b with the spoofedHeaders headers and returns
// the response and what the app saw (zero when the app was not reached).
func getSpoofed(t *testing.T, b *browser, path string) (response, seen) {
	t.Helper()
	req := b.NewRequest(http.MethodGet, b.origin+path, nil)
	for _, h := range spoofedHeaders {
		req.Header[h[0]] = append(req.Header[h[0]], h[1])
	}
	res := b.do(req)
	var s seen
	if res.status == http.StatusOK {
		if err := json.Unmarshal([]byte(res.body), &s); err != nil {
			t.Fatalf("GET %s: %v\n%s", path, err, res.body)
		}
	}
	return res, s
}

// identity returns the values the app got under each name that reads as
// an identity header, whatever its spelling.
func (s seen) identity() map[string][]string {
	out := map[string][]string{}
	for k, v := range s.Header {
		switch n := fwd.Normalize(k); n {
		case "x-auth-request-user", "x-auth-request-email", "x-auth-request-preferred-username", "x-forwarded-access-token", "x-forwarded-user", "x-remote-user":
			out[n] = append(out[n], v...)
		}
	}
	return out
}

// TestServeUpstream: authgo serve --upstream in front of a real app:
// public and protected paths, sign-in, the identity headers only when
// signed in and never the client's, no session cookie upstream, WebSocket
// and server-sent events through.
func TestServeUpstream(t *testing.T) {
	app := newEchoApp(t)
	srv := startServe(t, true, "--dev", "--addr", "127.0.0.1:0", "--data", filepath.Join(t.TempDir(), "data"),
		"--upstream", app.URL, "--public", "/", "--public", "/pub/:path*", "--protect", "/pub/secret/:path*",
		"--pass-identity")
	b := newBrowser(t, srv.origin)
	b.SetCookie("app", "1")

	// Signed out: public paths reach the app without any identity.
	for _, p := range []string{"/", "/pub/x?q=1"} {
		res, s := getSpoofed(t, b, p)
		if res.status != 200 || s.Path != p {
			t.Fatalf("GET %s signed out = %d %q\n%s", p, res.status, s.Path, res.body)
		}
		if id := s.identity(); len(id) > 0 {
			t.Errorf("GET %s signed out: the app got identity headers %v", p, id)
		}
		if got := s.Header["X-Forwarded-For"]; len(got) != 1 || got[0] != "127.0.0.1" {
			t.Errorf("X-Forwarded-For at the app = %q, want the peer only", got)
		}
		if got := s.Header["X-Forwarded-Host"]; len(got) != 1 || "http://"+got[0] != srv.origin {
			t.Errorf("X-Forwarded-Host at the app = %q", got)
		}
		if sc := res.header.Values("Set-Cookie"); len(sc) != 1 || !strings.HasPrefix(sc[0], "app=2") {
			t.Errorf("Set-Cookie from the app = %q, want only its own cookie", sc)
		}
	}
	// Protected paths: refused before the app is asked.
	for _, p := range []string{"/private", "/pub/secret/x", "/pub/secret"} {
		res := b.get(p)
		want := srv.origin + "/auth/signin?callbackUrl=" + url.QueryEscape(srv.origin+p)
		if res.status != http.StatusFound || res.header.Get("Location") != want {
			t.Errorf("GET %s signed out = %d %q, want 302 %q", p, res.status, res.header.Get("Location"), want)
		}
	}
	if res := b.do(b.NewRequest("GET", srv.origin+"/private", nil, "Accept", "application/json")); res.status != 401 || !strings.Contains(res.body, `"unauthenticated"`) {
		t.Errorf("GET /private as JSON signed out = %d %s", res.status, res.body)
	}
	for _, p := range []string{"/pub/%2e%2e/private", "/pub/x%2F..%2Fprivate", "/pub/secret%2Fx"} {
		if res := b.get(p); res.status != http.StatusBadRequest {
			t.Errorf("GET %s = %d, want 400", p, res.status)
		}
	}
	if st, _ := wsDial(t, srv.origin, "/ws", b.CookieHeader(), "hi"); st == http.StatusSwitchingProtocols {
		t.Error("WebSocket on a protected path opened without a session")
	}

	// Sign in as demo.
	if res := b.signIn(b.csrfToken(), "demo", srv.demoPassword); res.status != http.StatusFound {
		t.Fatalf("sign-in = %d", res.status)
	}
	res, s := getSpoofed(t, b, "/private/page?x=1")
	if res.status != 200 || s.Path != "/private/page?x=1" {
		t.Fatalf("GET /private/page signed in = %d\n%s", res.status, res.body)
	}
	id := s.identity()
	user := id["x-auth-request-user"]
	if len(user) != 1 || user[0] == "" || user[0] == "admin" || user[0] == "root" {
		t.Errorf("X-Auth-Request-User at the app = %q, want the session's sub only", user)
	}
	if got := id["x-auth-request-preferred-username"]; len(got) != 1 || got[0] != "demo" {
		t.Errorf("X-Auth-Request-Preferred-Username at the app = %q, want demo", got)
	}
	for _, n := range []string{"x-auth-request-email", "x-forwarded-access-token", "x-forwarded-user", "x-remote-user"} {
		if len(id[n]) > 0 {
			t.Errorf("%s reached the app: %q", n, id[n])
		}
	}
	cookies := strings.Join(s.Header["Cookie"], "; ")
	if strings.Contains(cookies, "authjs.") || !strings.Contains(cookies, "app=") {
		t.Errorf("Cookie at the app = %q, want the app's cookie and no authgo cookie", cookies)
	}
	if res, s := getSpoofed(t, b, "/pub/secret/x"); res.status != 200 || len(s.identity()["x-auth-request-user"]) != 1 {
		t.Errorf("GET /pub/secret/x signed in = %d, identity %v", res.status, s.identity())
	}
	// On a public path the signed-in user is named too.
	if _, s := getSpoofed(t, b, "/pub/x"); fmt.Sprint(s.identity()["x-auth-request-user"]) != fmt.Sprint(user) {
		t.Errorf("public path signed in: identity %v", s.identity())
	}
	// The session cookie the app tried to set did not reach the browser.
	if v := b.Cookie("authjs.session-token"); v == "forged" || v == "" {
		t.Errorf("session cookie after the app's Set-Cookie: %q", v)
	}

	// WebSocket through, with the identity.
	st, answer := wsDial(t, srv.origin, "/ws", b.CookieHeader(), "hello")
	if st != http.StatusSwitchingProtocols || answer != "echo "+user[0]+": hello" {
		t.Errorf("WebSocket: %d %q", st, answer)
	}

	// Server-sent events: the first event arrives while the app still
	// holds the second back.
	req := b.NewRequest("GET", srv.origin+"/sse", nil, "Accept", "text/event-stream")
	sres, err := b.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer sres.Body.Close()
	br := bufio.NewReader(sres.Body)
	line, err := br.ReadString('\n')
	if err != nil || line != "data: one user="+user[0]+"\n" {
		t.Fatalf("first event: %q %v (status %d)", line, err, sres.StatusCode)
	}
	close(app.sseGo)
	rest, _ := io.ReadAll(br)
	if !strings.Contains(string(rest), "data: two") {
		t.Errorf("second event: %q", rest)
	}
}

// TestServeForwardAuth: GET /auth/forward-auth and .../redirect, from a
// trusted proxy and from any other peer.
func TestServeForwardAuth(t *testing.T) {
	run := func(t *testing.T, trusted bool) (*server, *browser) {
		args := []string{"--dev", "--addr", "127.0.0.1:0", "--data", filepath.Join(t.TempDir(), "data"),
			"--public", "/", "--public", "/pub/:path*", "--protect", "/pub/secret/:path*", "--pass-identity"}
		if trusted {
			args = append(args, "--trusted-proxy", "127.0.0.1/32")
		} else {
			args = append(args, "--trusted-proxy", "10.9.9.9")
		}
		srv := startServe(t, true, args...)
		return srv, newBrowser(t, srv.origin)
	}
	fa := func(b *browser, path string, hdr ...string) response {
		return b.do(b.NewRequest("GET", b.origin+path, nil, hdr...))
	}

	t.Run("trusted proxy", func(t *testing.T) {
		srv, b := run(t, true)
		for _, tc := range []struct {
			hdr  []string
			want int
		}{
			{[]string{"X-Forwarded-Uri", "/pub/x"}, 200},
			{[]string{"X-Original-URI", "/pub/x?y=1"}, 200},
			{[]string{"X-Forwarded-Uri", "/"}, 200},
			{[]string{"X-Forwarded-Uri", "/private"}, 401},
			{[]string{"X-Forwarded-Uri", "/pub/secret/a"}, 401},
			{[]string{"X-Forwarded-Uri", "/pub/%2e%2e/private"}, 401},
			{[]string{"X-Forwarded-Uri", "/pub/x", "X-Original-URI", "/private"}, 401}, // both checked
			{nil, 401}, // the original path unknown
		} {
			res := fa(b, "/auth/forward-auth", tc.hdr...)
			if res.status != tc.want || res.header.Get("Location") != "" || res.header.Get("X-Auth-Request-User") != "" {
				t.Errorf("forward-auth %v signed out = %d Location %q", tc.hdr, res.status, res.header.Get("Location"))
			}
		}
		res := fa(b, "/auth/forward-auth/redirect", "X-Forwarded-Uri", "/private?a=1", "X-Forwarded-Host", "app.example.com", "X-Forwarded-Proto", "https")
		want := srv.origin + "/auth/signin?callbackUrl=" + url.QueryEscape("https://app.example.com/private?a=1")
		if res.status != http.StatusFound || res.header.Get("Location") != want {
			t.Errorf("forward-auth/redirect = %d %q, want 302 %q", res.status, res.header.Get("Location"), want)
		}
		if res := fa(b, "/auth/forward-auth/redirect", "X-Forwarded-Uri", "/pub/x"); res.status != 200 {
			t.Errorf("forward-auth/redirect on a public path = %d", res.status)
		}

		if res := b.signIn(b.csrfToken(), "demo", srv.demoPassword); res.status != http.StatusFound {
			t.Fatalf("sign-in = %d", res.status)
		}
		for _, p := range []string{"/private", "/pub/x"} {
			res := fa(b, "/auth/forward-auth", "X-Forwarded-Uri", p, "X-Auth-Request-User", "admin")
			if res.status != 200 || res.header.Get("X-Auth-Request-User") == "" || res.header.Get("X-Auth-Request-User") == "admin" ||
				res.header.Get("X-Auth-Request-Preferred-Username") != "demo" {
				t.Errorf("forward-auth %s signed in = %d %v", p, res.status, res.header)
			}
		}
	})

	t.Run("untrusted peer", func(t *testing.T) {
		srv, b := run(t, false)
		// A spoofedHeaders X-Forwarded-Uri from a peer that is not a trusted
		// proxy opens nothing.
		for _, path := range []string{"/auth/forward-auth", "/auth/forward-auth/redirect"} {
			res := fa(b, path, "X-Forwarded-Uri", "/pub/x", "X-Original-URI", "/")
			if res.status == 200 {
				t.Errorf("%s with a spoofedHeaders public X-Forwarded-Uri = 200", path)
			}
		}
		if res := fa(b, "/auth/forward-auth/redirect", "X-Forwarded-Uri", "/x", "X-Forwarded-Host", "evil.example"); res.status != http.StatusFound ||
			strings.Contains(res.header.Get("Location"), "evil.example") {
			t.Errorf("redirect from an untrusted peer = %d %q", res.status, res.header.Get("Location"))
		}
		if !strings.Contains(srv.stderr.String(), "not a trusted proxy") {
			t.Errorf("no log line says why the headers were ignored:\n%s", srv.stderr)
		}
		if res := b.signIn(b.csrfToken(), "demo", srv.demoPassword); res.status != http.StatusFound {
			t.Fatalf("sign-in = %d", res.status)
		}
		if res := fa(b, "/auth/forward-auth", "X-Forwarded-Uri", "/private"); res.status != 200 || res.header.Get("X-Auth-Request-User") == "" {
			t.Errorf("forward-auth signed in from an untrusted peer = %d", res.status)
		}
	})
}

// TestServeUpstreamAllowList: users of a public provider (OIDC here) pass
// only with a verified address the allow-list names; others get 403.
func TestServeUpstreamAllowList(t *testing.T) {
	for _, strategy := range []string{"jwt", "database"} {
		t.Run(strategy, func(t *testing.T) { testUpstreamAllowList(t, strategy) })
	}
}

// testUpstreamAllowList is TestServeUpstreamAllowList under a session
// strategy: under the database one, whether the address is verified comes
// from the users row, which the sign-in marked.
func testUpstreamAllowList(t *testing.T, strategy string) {
	app := newEchoApp(t)
	idp := testidp.New(t, testidp.Options{Users: []testidp.User{
		{ID: "u-1", Username: "ann", Password: "pw", Email: "ann@allowed.example", EmailVerified: true, Name: "Ann"},
		{ID: "u-2", Username: "bob", Password: "pw", Email: "bob@other.example", EmailVerified: true, Name: "Bob"},
		{ID: "u-3", Username: "eve", Password: "pw", Email: "eve@allowed.example", EmailVerified: false, Name: "Eve"},
	}})
	srv := startServeEnv(t, env{
		"AUTH_SECRET":      strings.Repeat("k", 40),
		"AUTH_OIDC_ISSUER": idp.Issuer(),
		"AUTH_OIDC_ID":     "authgo-serve",
		"AUTH_OIDC_SECRET": "client-secret",
	}, false, "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--upstream", app.URL, "--public", "/",
		"--allow-email-domain", "allowed.example", "--pass-identity", "--session-strategy", strategy)
	idp.AddClient(testidp.Client{ID: "authgo-serve", Secret: "client-secret", RedirectURIs: []string{srv.origin + "/auth/callback/oidc"}})

	for _, tc := range []struct {
		user string
		want int
	}{{"ann", 200}, {"bob", 403}, {"eve", 403}} {
		t.Run(tc.user, func(t *testing.T) {
			b := newBrowser(t, srv.origin)
			r := b.postForm("/auth/signin/oidc", url.Values{"csrfToken": {b.csrfToken()}, "callbackUrl": {"/private"}})
			back, err := idp.Login(t.Context(), b.Client, r.header.Get("Location"), tc.user, "pw")
			if err != nil {
				t.Fatal(err)
			}
			u, _ := url.Parse(back)
			if r := b.get(u.RequestURI()); r.status != http.StatusFound {
				t.Fatalf("callback = %d", r.status)
			}
			res, s := getSpoofed(t, b, "/private")
			if res.status != tc.want {
				t.Fatalf("GET /private as %s = %d, want %d\n%s", tc.user, res.status, tc.want, res.body)
			}
			if tc.want == 200 {
				if got := s.identity()["x-auth-request-email"]; len(got) != 1 || got[0] != tc.user+"@allowed.example" {
					t.Errorf("X-Auth-Request-Email = %q", got)
				}
				// A database session is rebuilt from the users row, which
				// keeps no username.
				if got := s.identity()["x-auth-request-preferred-username"]; strategy == "jwt" && (len(got) != 1 || got[0] != tc.user) {
					t.Errorf("X-Auth-Request-Preferred-Username = %q", got)
				}
			} else if !strings.Contains(res.body, "may not use this site") || !strings.Contains(res.body, tc.user+"@") ||
				!strings.Contains(res.body, `href="/auth/signout"`) || !strings.Contains(res.header.Get("Content-Security-Policy"), "default-src 'none'") {
				t.Errorf("403 page: %v\n%s", res.header, res.body)
			}
			// The public home page is still open, without identity.
			if res, s := getSpoofed(t, b, "/"); res.status != 200 || (tc.want != 200 && len(s.identity()) > 0) {
				t.Errorf("GET / as %s = %d, identity %v", tc.user, res.status, s.identity())
			}
		})
	}
}

// TestServeUpstreamDatabaseSessions: under the database strategy a
// session does not show the provider it signed in with; serve's own users
// still pass (found through their credentials accounts row), with their
// identity.
func TestServeUpstreamDatabaseSessions(t *testing.T) {
	app := newEchoApp(t)
	srv := startServe(t, true, "--dev", "--addr", "127.0.0.1:0", "--data", filepath.Join(t.TempDir(), "data"),
		"--session-strategy", "database", "--upstream", app.URL, "--public", "/", "--pass-identity")
	b := newBrowser(t, srv.origin)
	if res := b.get("/private"); res.status != http.StatusFound {
		t.Fatalf("GET /private signed out = %d", res.status)
	}
	if res := b.signIn(b.csrfToken(), "demo", srv.demoPassword); res.status != http.StatusFound {
		t.Fatalf("sign-in = %d", res.status)
	}
	res, s := getSpoofed(t, b, "/private")
	if res.status != 200 {
		t.Fatalf("GET /private signed in = %d\n%s", res.status, res.body)
	}
	if u := s.identity()["x-auth-request-user"]; len(u) != 1 || u[0] == "admin" || u[0] == "" {
		t.Errorf("X-Auth-Request-User = %q", u)
	}
}

// TestWarnAllowList: with public providers and no allow flag, serve says
// which flag to set; with one, or without public providers, it says
// nothing.
func TestWarnAllowList(t *testing.T) {
	gh := &namedProvider{"github"}
	for _, tc := range []struct {
		o    gatewayOptions
		ps   []provider.Provider
		warn bool
	}{
		{gatewayOptions{}, []provider.Provider{gh}, true},
		{gatewayOptions{}, nil, false},
		{gatewayOptions{allowAny: true}, []provider.Provider{gh}, false},
		{gatewayOptions{allowDomains: listFlag{"example.com"}}, []provider.Provider{gh}, false},
		{gatewayOptions{allowEmails: listFlag{"a@example.com"}}, []provider.Provider{gh}, false},
	} {
		var buf strings.Builder
		warnAllowList(&tc.o, tc.ps, slog.New(slog.NewTextHandler(&buf, nil)))
		got := buf.String()
		if tc.warn != (got != "") || tc.warn && (!strings.Contains(got, "github") || !strings.Contains(got, "--allow-email-domain") || !strings.Contains(got, "--allow-any")) {
			t.Errorf("%+v: %q", tc.o, got)
		}
	}
}

type namedProvider struct{ id string }

func (p *namedProvider) ID() string          { return p.id }
func (p *namedProvider) Name() string        { return p.id }
func (p *namedProvider) Type() provider.Type { return provider.TypeOAuth }
