package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/internal/testkit"
)

// server is a running `authgo serve`.
type server struct {
	origin       string // http://127.0.0.1:port
	demoPassword string // "" when none was printed
	stdout       *testkit.Buffer
	stderr       *testkit.Buffer
	cancel       context.CancelFunc
	done         chan struct{} // closed when run has returned code
	code         int
	drained      chan struct{}
}

var (
	runningLine = regexp.MustCompile(`^authgo is running: open (http://(?:127\.0\.0\.1|localhost):[0-9]+)/$`)
	demoLine    = regexp.MustCompile(`^sign in as demo / ([A-Z2-7]{26})$`)
)

// startServe runs `authgo serve` in process with args and waits for the
// lines it prints on start: the URL and, when wantDemo, the demo password.
func startServe(t *testing.T, wantDemo bool, args ...string) *server {
	t.Helper()
	return startServeEnv(t, env{}, wantDemo, args...)
}

// startServeEnv is startServe with environment variables.
func startServeEnv(t *testing.T, e env, wantDemo bool, args ...string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	s := &server{stdout: &testkit.Buffer{}, stderr: &testkit.Buffer{}, cancel: cancel, done: make(chan struct{}), drained: make(chan struct{})}
	go func() {
		s.code = run(ctx, append([]string{"serve"}, args...), strings.NewReader(""), pw, s.stderr, e.get)
		pw.Close()
		close(s.done)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.done:
		case <-time.After(15 * time.Second):
			t.Error("authgo serve did not stop")
		}
	})
	br := bufio.NewReader(pr)
	for s.origin == "" || (wantDemo && s.demoPassword == "") {
		line, err := br.ReadString('\n')
		s.stdout.Write([]byte(line))
		if err != nil {
			t.Fatalf("authgo serve stopped before printing its URL: %v\nstdout:\n%s\nstderr:\n%s", err, s.stdout, s.stderr)
		}
		line = strings.TrimSuffix(line, "\n")
		if m := runningLine.FindStringSubmatch(line); m != nil {
			s.origin = m[1]
		} else if m := demoLine.FindStringSubmatch(line); m != nil {
			if s.origin == "" {
				t.Errorf("the demo password came before the URL")
			}
			s.demoPassword = m[1]
		} else {
			t.Fatalf("unexpected line on stdout: %q", line)
		}
	}
	go func() {
		io.Copy(s.stdout, br)
		close(s.drained)
	}()
	return s
}

// stop cancels the server's context and returns its exit status.
func (s *server) stop(t *testing.T) int {
	t.Helper()
	s.cancel()
	select {
	case <-s.done:
		<-s.drained
		return s.code
	case <-time.After(15 * time.Second):
		t.Fatal("authgo serve did not stop")
		return -1
	}
}

// browser is a testkit.Browser on a running authgo serve at origin. Its
// cookies go through a net/http/cookiejar, which judges them as a browser
// does (Domain, Path, Secure, expiry): the program's users meet serve's
// cookies that way.
type browser struct {
	*testkit.Browser
	t      *testing.T
	origin string
	base   string // the endpoints' base path: /auth unless set
}

func newBrowser(t *testing.T, origin string) *browser {
	return &browser{Browser: testkit.NewJarBrowser(t, origin), t: t, origin: origin, base: "/auth"}
}

type response struct {
	status int
	header http.Header
	body   string
}

func (b *browser) do(req *http.Request) response {
	b.t.Helper()
	r := b.Do(req)
	return response{r.StatusCode, r.Header, r.Text}
}

// get fetches origin+rawPath, sent as written.
func (b *browser) get(rawPath string) response {
	b.t.Helper()
	return b.do(b.NewRequest(http.MethodGet, b.origin+rawPath, nil))
}

func (b *browser) postForm(path string, form url.Values) response {
	b.t.Helper()
	r := b.PostForm(b.origin+path, form)
	return response{r.StatusCode, r.Header, r.Text}
}

func (b *browser) csrfToken() string {
	b.t.Helper()
	return b.CSRFToken(b.base + "/csrf")
}

func (b *browser) signIn(csrf, user, pw string) response {
	b.t.Helper()
	return b.postForm(b.base+"/callback/credentials", url.Values{"username": {user}, "password": {pw}, "csrfToken": {csrf}})
}

const signedInAsDemo = "Signed in as demo"

var expiresText = regexp.MustCompile(`Your session expires on [0-9]{1,2} [A-Z][a-z]{2} [0-9]{4} at [0-9]{2}:[0-9]{2} UTC\.`)

func TestServe(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	srv := startServe(t, true, "--dev", "--addr", "127.0.0.1:0", "--data", dir, "--protect", "/mypage/:path*", "--protect", "/exact")
	b := newBrowser(t, srv.origin)

	// Signed out.
	res := b.get("/")
	if res.status != 200 || !strings.Contains(res.body, "You are not signed in") || !strings.Contains(res.body, `href="/auth/signin"`) {
		t.Fatalf("GET / signed out = %d\n%s", res.status, res.body)
	}
	if csp := res.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("GET / Content-Security-Policy = %q", csp)
	}
	for _, p := range []string{"/mypage/x", "/mypage", "/mypage/x/y?q=1", "/exact"} {
		res = b.get(p)
		want := srv.origin + "/auth/signin?callbackUrl=" + url.QueryEscape(srv.origin+p)
		if res.status != http.StatusFound || res.header.Get("Location") != want {
			t.Errorf("GET %s signed out = %d Location %q, want 302 %q", p, res.status, res.header.Get("Location"), want)
		}
	}
	// Paths that must not reach a protected page, nor the home page by a
	// detour.
	for _, p := range []string{
		"/mypage%2Fx", "/mypage%2fx", "//mypage/x", "/public/../mypage/x", "/%2E%2E/mypage/x",
		"/public/%2e%2e/mypage/x", "/mypage%5Cx", "/mypage/./x", "/./mypage/x", "/exact/", "/exact%2F",
	} {
		res = b.get(p)
		if res.status == 200 || strings.Contains(res.body, "Signed in") {
			t.Errorf("GET %s signed out = %d, want no page", p, res.status)
		}
	}
	for _, p := range []string{"/other", "/MYPAGE/x", "/mypagex", "/exact/x", "/favicon.ico"} {
		if res = b.get(p); res.status != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", p, res.status)
		}
	}
	if res = b.postForm("/", nil); res.status != http.StatusMethodNotAllowed {
		t.Errorf("POST / = %d, want 405", res.status)
	}

	// Sign in as demo.
	csrf := b.csrfToken()
	for _, bad := range [][2]string{{"demo", "wrong password"}, {"nobody", srv.demoPassword}, {"demo", ""}} {
		res = b.signIn(csrf, bad[0], bad[1])
		if res.status != http.StatusFound || !strings.Contains(res.header.Get("Location"), "error=CredentialsSignin") {
			t.Errorf("sign-in as %q/%q = %d Location %q, want CredentialsSignin", bad[0], bad[1], res.status, res.header.Get("Location"))
		}
		if strings.Contains(strings.Join(res.header.Values("Set-Cookie"), "\n"), "authjs.session-token=") {
			t.Errorf("sign-in as %q/%q set a session cookie", bad[0], bad[1])
		}
	}
	res = b.signIn(csrf, "demo", srv.demoPassword)
	if res.status != http.StatusFound || strings.Contains(res.header.Get("Location"), "error") {
		t.Fatalf("sign-in as demo = %d Location %q\nstderr:\n%s", res.status, res.header.Get("Location"), srv.stderr)
	}
	var session *http.Cookie
	for _, c := range res.header.Values("Set-Cookie") {
		if hc, err := http.ParseSetCookie(c); err == nil && hc.Name == "authjs.session-token" {
			session = hc
		}
	}
	if session == nil || session.Value == "" || !session.HttpOnly {
		t.Fatalf("sign-in set no HttpOnly session cookie: %q", res.header.Values("Set-Cookie"))
	}

	// Signed in: the home page and the protected paths show who.
	res = b.get("/")
	page := html.UnescapeString(res.body)
	if res.status != 200 || !strings.Contains(page, signedInAsDemo) || !expiresText.MatchString(page) {
		t.Fatalf("GET / signed in = %d\n%s", res.status, res.body)
	}
	if !strings.Contains(page, `"name": "demo"`) || !strings.Contains(page, `"expires": "`) {
		t.Errorf("GET / does not show the session JSON:\n%s", page)
	}
	if !strings.Contains(page, "/mypage/:path*") {
		t.Errorf("GET / does not list the protected paths")
	}
	pageCSRF := regexp.MustCompile(`name="csrfToken" value="([0-9a-f]{64})"`).FindStringSubmatch(res.body)
	if pageCSRF == nil || pageCSRF[1] != csrf {
		t.Errorf("GET / sign-out form csrfToken = %v, want %s", pageCSRF, csrf)
	}
	for _, p := range []string{"/mypage/x", "/mypage", "/exact"} {
		res = b.get(p)
		if res.status != 200 || !strings.Contains(res.body, signedInAsDemo) {
			t.Errorf("GET %s signed in = %d\n%s", p, res.status, res.body)
		}
	}
	res = b.get("/auth/session")
	var sess struct {
		User    struct{ Name string } `json:"user"`
		Expires time.Time             `json:"expires"`
	}
	if err := json.Unmarshal([]byte(res.body), &sess); err != nil || res.status != 200 || sess.User.Name != "demo" || sess.Expires.IsZero() {
		t.Errorf("GET /auth/session = %d %s (%v)", res.status, res.body, err)
	}

	// The home page's sign-out form works.
	res = b.postForm("/auth/signout", url.Values{"csrfToken": {csrf}, "callbackUrl": {"/"}})
	if res.status != http.StatusFound || res.header.Get("Location") != srv.origin+"/" {
		t.Errorf("POST /auth/signout = %d Location %q", res.status, res.header.Get("Location"))
	}
	if res = b.get("/"); !strings.Contains(res.body, "You are not signed in") {
		t.Errorf("GET / after sign-out:\n%s", res.body)
	}
	// Sign-out revoked that session (TestServeRevocation); a new one is
	// taken across the restart below.
	nb := newBrowser(t, srv.origin)
	if res := nb.signIn(nb.csrfToken(), "demo", srv.demoPassword); res.status != http.StatusFound {
		t.Fatalf("second sign-in: %d", res.status)
	}
	for _, hc := range nb.Cookies() {
		if hc.Name == "authjs.session-token" {
			session = hc
		}
	}

	if code := srv.stop(t); code != 0 {
		t.Fatalf("serve exit status %d, want 0\nstderr:\n%s", code, srv.stderr)
	}
	if err := srv.stderr.String(); !strings.Contains(err, "development mode") {
		t.Errorf("stderr has no dev-mode warning:\n%s", err)
	}
	if strings.Contains(srv.stderr.String(), srv.demoPassword) {
		t.Errorf("the demo password was logged")
	}

	// The data directory and the dev secret are private.
	for name, want := range map[string]os.FileMode{dir: 0o700 | os.ModeDir, filepath.Join(dir, "dev-secret"): 0o600, filepath.Join(dir, "authgo.db"): 0o600} {
		if st, err := os.Stat(name); err != nil || st.Mode() != want {
			t.Errorf("%s: mode %v (%v), want %v", name, st.Mode(), err, want)
		}
	}

	// A second run keeps the secret, so the session cookie still works,
	// and does not print a demo password again.
	srv2 := startServe(t, false, "--dev", "--addr", "127.0.0.1:0", "--data", dir)
	b2 := newBrowser(t, srv2.origin)
	req, _ := http.NewRequest(http.MethodGet, srv2.origin+"/auth/session", nil)
	req.AddCookie(&http.Cookie{Name: session.Name, Value: session.Value})
	res = b2.do(req)
	if !strings.Contains(res.body, `"name":"demo"`) {
		t.Errorf("after a restart GET /auth/session = %d %s", res.status, res.body)
	}
	if code := srv2.stop(t); code != 0 {
		t.Fatalf("second serve exit status %d\nstderr:\n%s", code, srv2.stderr)
	}
	if out := srv2.stdout.String(); strings.Contains(out, "sign in as") {
		t.Errorf("second run printed a demo password:\n%s", out)
	}
}

// Without --dev a missing secret is fatal, even when a dev secret exists.
func TestServeNeedsSecretWithoutDev(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := devSecret(filepath.Join(dir, "dev-secret")); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	if code := run(t.Context(), []string{"serve", "--data", dir, "--addr", "127.0.0.1:0"}, strings.NewReader(""), io.Discard, &stderr, env{}.get); code != 2 {
		t.Fatalf("exit status %d, want 2", code)
	}
	if !strings.Contains(stderr.String(), "--dev") {
		t.Errorf("stderr does not mention --dev:\n%s", stderr.String())
	}
}

// AUTH_URL sets the origin and the base path; older secrets still open
// cookies.
func TestServeAuthURL(t *testing.T) {
	const (
		newSecret = "new-secret-0123456789abcdef0123456789abcdef"
		oldSecret = "old-secret-0123456789abcdef0123456789abcdef"
	)
	dir := t.TempDir()
	var stderr testkit.Buffer
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan int, 1)
	e := env{"AUTH_SECRET": newSecret, "AUTH_SECRET_2": oldSecret, "AUTH_URL": "https://auth.example.com/api/auth"}
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--data", dir}, strings.NewReader(""), pw, &stderr, e.get)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil || line != "authgo is running: open https://auth.example.com/\n" {
		cancel()
		t.Fatalf("first line %q (%v)\nstderr:\n%s", line, err, stderr.String())
	}
	go io.Copy(io.Discard, pr)
	addr := regexp.MustCompile(`addr=(127\.0\.0\.1:[0-9]+)`).FindStringSubmatch(stderr.String())
	if addr == nil {
		cancel()
		t.Fatalf("no listen address in the log:\n%s", stderr.String())
	}

	// A token made with the old secret for the https cookie name opens.
	var tok bytes.Buffer
	if code := run(t.Context(), []string{"token", "encode", "--secret", oldSecret, "--salt", "__Secure-authjs.session-token"},
		strings.NewReader(`{"name":"Old Timer","sub":"u-1"}`), &tok, io.Discard, env{}.get); code != 0 {
		t.Fatal("token encode failed")
	}
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr[1]+"/api/auth/session", nil)
	req.AddCookie(&http.Cookie{Name: "__Secure-authjs.session-token", Value: strings.TrimSpace(tok.String())})
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(body), `"name":"Old Timer"`) {
		t.Errorf("GET /api/auth/session = %d %s", res.StatusCode, body)
	}
	// The renewed cookie is made with the new secret.
	var renewed string
	for _, c := range res.Header.Values("Set-Cookie") {
		if hc, err := http.ParseSetCookie(c); err == nil && hc.Name == "__Secure-authjs.session-token" {
			renewed = hc.Value
			if !hc.Secure {
				t.Errorf("renewed cookie is not Secure")
			}
		}
	}
	var out, errOut bytes.Buffer
	if code := run(t.Context(), []string{"token", "decode", "--secret", newSecret, renewed}, strings.NewReader(""), &out, &errOut, env{}.get); code != 0 {
		t.Errorf("the renewed cookie does not open with the new secret alone: %s", errOut.String())
	}

	cancel()
	if code := <-done; code != 0 {
		t.Errorf("exit status %d\nstderr:\n%s", code, stderr.String())
	}
}

// sessionCookieOf returns the session cookies the browser holds for its
// origin, as a Cookie header.
func (b *browser) sessionCookieOf() string {
	var parts []string
	for _, c := range b.Cookies() {
		if strings.HasPrefix(c.Name, "authjs.session-token") {
			parts = append(parts, c.Name+"="+c.Value)
		}
	}
	return strings.Join(parts, "; ")
}

// replay asks for the session with a kept Cookie header, as an attacker
// who copied it would.
func replay(t *testing.T, origin, cookie string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, origin+"/auth/session", nil)
	req.Header.Set("Cookie", cookie)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

// replayEnded reports whether the kept cookie opens no session on origin
// within the stores' caches (SessionConfig.StoreCache and RevocationCache,
// 2 s each by default): a session ended by another process (authgo user
// signout) may still open on a serve that read it just before, until its
// cached rows expire. It returns the last body.
func replayEnded(t *testing.T, origin, cookie string) (string, bool) {
	t.Helper()
	deadline := time.Now().Add(authgo.DefaultStoreCache + time.Second)
	for {
		body := replay(t, origin, cookie)
		if body == "null" {
			return body, true
		}
		if time.Now().After(deadline) {
			return body, false
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestServeRevocation: attacks.md T43 through the binary. A cookie copied
// before sign-out opens nothing afterwards, also after a restart (the
// sign-out is in the database); `authgo user signout` ends every session
// of a user from another process.
func TestServeRevocation(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	srv := startServe(t, true, "--dev", "--addr", "127.0.0.1:0", "--data", dir)
	demo := srv.demoPassword
	b := newBrowser(t, srv.origin)
	if res := b.signIn(b.csrfToken(), "demo", demo); res.status != http.StatusFound {
		t.Fatalf("sign-in: %d", res.status)
	}
	kept := b.sessionCookieOf()
	if body := replay(t, srv.origin, kept); !strings.Contains(body, `"name":"demo"`) {
		t.Fatalf("kept cookie before sign-out: %s", body)
	}
	if res := b.postForm("/auth/signout", url.Values{"csrfToken": {b.csrfToken()}}); res.status != http.StatusFound {
		t.Fatalf("sign-out: %d", res.status)
	}
	if body := replay(t, srv.origin, kept); body != "null" {
		t.Fatalf("kept cookie after sign-out: %s", body)
	}
	if code := srv.stop(t); code != 0 {
		t.Fatalf("serve exited %d", code)
	}

	srv = startServe(t, false, "--dev", "--addr", "127.0.0.1:0", "--data", dir)
	if body := replay(t, srv.origin, kept); body != "null" {
		t.Fatalf("kept cookie after a restart: %s", body)
	}
	phone, laptop := newBrowser(t, srv.origin), newBrowser(t, srv.origin)
	for _, br := range []*browser{phone, laptop} {
		if res := br.signIn(br.csrfToken(), "demo", demo); res.status != http.StatusFound {
			t.Fatalf("sign-in: %d", res.status)
		}
	}
	var stderr bytes.Buffer
	if code := run(t.Context(), []string{"user", "signout", "--data", dir, "demo"}, strings.NewReader(""), io.Discard, &stderr, env{}.get); code != 0 {
		t.Fatalf("user signout: %d %s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), `signed out every session of "demo"`) {
		t.Errorf("user signout said %q", stderr.String())
	}
	for name, br := range map[string]*browser{"phone": phone, "laptop": laptop} {
		if body := replay(t, srv.origin, br.sessionCookieOf()); body != "null" {
			t.Errorf("%s after user signout: %s", name, body)
		}
	}
	time.Sleep(1100 * time.Millisecond) // cutoffs have one-second resolution
	if res := phone.signIn(phone.csrfToken(), "demo", demo); res.status != http.StatusFound {
		t.Fatalf("sign-in again: %d", res.status)
	}
	if body := replay(t, srv.origin, phone.sessionCookieOf()); !strings.Contains(body, `"name":"demo"`) {
		t.Fatalf("signing in again after user signout: %s", body)
	}
	var stderr2 bytes.Buffer
	if code := run(t.Context(), []string{"user", "signout", "--data", dir, "nobody"}, strings.NewReader(""), io.Discard, &stderr2, env{}.get); code != 1 || !strings.Contains(stderr2.String(), `no user "nobody"`) {
		t.Errorf("user signout nobody: %d %s", code, stderr2.String())
	}
}

// TestServeRevocationRedis: with AUTH_REDIS_URL, sign-outs live in Redis;
// `authgo user signout` with the same variable reaches the running serve.
func TestServeRevocationRedis(t *testing.T) {
	if !redisUp(t) {
		t.Skip("no Redis on 127.0.0.1:6379")
	}
	e := env{"AUTH_REDIS_URL": "redis://127.0.0.1:6379/0"}
	dir := filepath.Join(t.TempDir(), "data")
	srv := startServeEnv(t, e, true, "--dev", "--addr", "127.0.0.1:0", "--data", dir)
	b := newBrowser(t, srv.origin)
	if res := b.signIn(b.csrfToken(), "demo", srv.demoPassword); res.status != http.StatusFound {
		t.Fatalf("sign-in: %d", res.status)
	}
	kept := b.sessionCookieOf()
	var stderr bytes.Buffer
	if code := run(t.Context(), []string{"user", "signout", "--data", dir, "demo"}, strings.NewReader(""), io.Discard, &stderr, e.get); code != 0 {
		t.Fatalf("user signout: %d %s", code, stderr.String())
	}
	if strings.Contains(stderr.String(), "note:") {
		t.Errorf("the Redis note was printed although AUTH_REDIS_URL was set: %s", stderr.String())
	}
	// serve caches "not revoked" for up to 2 s per session.
	deadline := time.Now().Add(5 * time.Second)
	for replay(t, srv.origin, kept) != "null" {
		if time.Now().After(deadline) {
			t.Fatal("the session survived user signout through Redis")
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestServeSlowAndLargeHeaders: attacks.md T57 and T58. A client that
// sends its headers slowly is cut off after the header timeout, and one
// that sends too many header bytes gets 431; neither holds the server.
func TestServeSlowAndLargeHeaders(t *testing.T) {
	old := readHeaderTimeout
	readHeaderTimeout = 300 * time.Millisecond
	defer func() { readHeaderTimeout = old }()
	srv := startServe(t, true, "--dev", "--addr", "127.0.0.1:0", "--data", filepath.Join(t.TempDir(), "data"))
	addr := strings.TrimPrefix(srv.origin, "http://")

	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "GET /auth/session HTTP/1.1\r\nHost: "+addr+"\r\nX-Slow: ")
	start := time.Now()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	io.Copy(io.Discard, conn) // returns when the server closes
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("a slow client held the connection %v", took)
	}

	big, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer big.Close()
	big.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(big, "GET /auth/session HTTP/1.1\r\nHost: "+addr+"\r\nX-Big: "+strings.Repeat("a", 80<<10)+"\r\n\r\n")
	res, err := http.ReadResponse(bufio.NewReader(big), nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("80 KiB of headers: %d", res.StatusCode)
	}
	// The server still serves.
	if body := replay(t, srv.origin, ""); body != "null" {
		t.Fatalf("after both: %q", body)
	}
}
