// Package interop_test checks authgo against the real Auth.js (@auth/core
// 0.41.3, installed in this directory by `npm ci`): session tokens and CSRF
// hashes through jwt.mjs, and live servers through server.mjs.
package interop_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/internal/testkit"
	"github.com/authgo/authgo/provider"
	"github.com/authgo/authgo/providers/credentials"
)

// nodeAvailable skips the test when node or the installed @auth/core is
// missing, or fails it under CI=true, where nothing may be skipped.
func nodeAvailable(t testing.TB) {
	t.Helper()
	var msg string
	if _, err := exec.LookPath("node"); err != nil {
		msg = "node is not on PATH: install Node >= 20, then run `npm ci` in interop/"
	} else if _, err := os.Stat("node_modules/@auth/core/package.json"); err != nil {
		msg = "interop/node_modules/@auth/core is missing: run `npm ci` in interop/"
	}
	if msg == "" {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// op is one operation for jwt.mjs. Secret is a string or a []string (newest
// first); Token is a claims object for "encode" and a string otherwise.
type op struct {
	Op     string `json:"op"`
	Secret any    `json:"secret"`
	Salt   string `json:"salt,omitempty"`
	MaxAge *int64 `json:"maxAge,omitempty"`
	Token  any    `json:"token"`
}

// result is jwt.mjs's answer to one op.
type result struct {
	OK      bool           `json:"ok"`
	Token   string         `json:"token"`
	Payload map[string]any `json:"payload"`
	Error   string         `json:"error"`
	Code    string         `json:"code"`
	Hash    string         `json:"hash"`
	Cookie  string         `json:"cookie"`
}

// runJWT runs one batch of operations through a single `node jwt.mjs`.
func runJWT(t testing.TB, ops []op) []result {
	t.Helper()
	if len(ops) == 0 {
		return nil
	}
	in, err := json.Marshal(ops)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "jwt.mjs")
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node jwt.mjs: %v\n%s", err, stderr.String())
	}
	var out []result
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("node jwt.mjs output: %v\n%.500s", err, stdout.String())
	}
	if len(out) != len(ops) {
		t.Fatalf("node jwt.mjs: %d results for %d ops", len(out), len(ops))
	}
	return out
}

// startAuthJS starts `node server.mjs` with env (AUTH_SECRET, …; PORT
// defaults to 0, AUTH_QUIET to 1), waits for its "listening" line and
// returns its base URL. The process is killed when the test ends.
func startAuthJS(t testing.TB, env map[string]string) string {
	t.Helper()
	cmd := exec.Command("node", "server.mjs")
	cmd.Env = os.Environ()
	defaults := map[string]string{"PORT": "0", "AUTH_QUIET": "1"}
	for k, v := range defaults {
		if _, ok := env[k]; !ok {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stderr := new(testkit.Buffer)
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start node server.mjs: %v", err)
	}
	done := make(chan struct{})
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
		if t.Failed() {
			if s := stderr.String(); s != "" {
				t.Logf("server.mjs stderr:\n%s", s)
			}
		}
	})
	lines := make(chan string, 1)
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stdout)
		first := true
		for sc.Scan() {
			if first {
				lines <- sc.Text()
				first = false
			}
		}
		if first {
			close(lines)
		}
		cmd.Wait()
	}()
	select {
	case line, ok := <-lines:
		base, found := strings.CutPrefix(line, "listening ")
		if !ok || !found || !strings.HasPrefix(base, "http://127.0.0.1:") {
			t.Fatalf("server.mjs did not start: first line %q\n%s", line, stderr.String())
		}
		return base
	case <-time.After(15 * time.Second):
		t.Fatalf("server.mjs: no listening line after 15s\n%s", stderr.String())
	}
	return ""
}

// The users of server.mjs, mirrored for authgo.
var users = map[string]struct {
	password string
	user     authgo.User
}{
	"alice": {"wonderland", authgo.User{ID: "user-1", Name: "Alice", Email: "alice@example.com", Image: "https://example.com/alice.png"}},
	"bob":   {"builder", authgo.User{ID: "user-2", Name: "Bob Builder", Email: "bob@example.com"}},
	"big":   {"big", authgo.User{ID: "user-big", Name: strings.Repeat("x", 5000), Email: "big@example.com"}},
}

// startAuthgo serves authgo on its own httptest server, configured as
// server.mjs is: basePath /auth, the same users, the given secrets.
func startAuthgo(t testing.TB, secrets []string, mod func(*authgo.Config)) string {
	t.Helper()
	p, err := credentials.New(credentials.Options{
		Authorize: func(ctx context.Context, c provider.Credentials, r *http.Request) (*authgo.User, error) {
			u, ok := users[c["username"]]
			if !ok || u.password != c["password"] {
				return nil, nil
			}
			user := u.user
			return &user, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	cfg := authgo.Config{Secret: secrets, URL: base, Providers: []provider.Provider{p}}
	if mod != nil {
		mod(&cfg)
	}
	a, err := authgo.New(cfg)
	if err != nil {
		srv.Close()
		t.Fatal(err)
	}
	srv.Config.Handler = a
	srv.Start()
	t.Cleanup(srv.Close)
	return base
}

// httpClient never follows redirects and never uses a proxy.
var httpClient = &http.Client{
	Transport: &http.Transport{
		Proxy:       nil,
		DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
	},
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Timeout:       10 * time.Second,
}

// reply is one HTTP response, read in full.
type reply struct {
	status  int
	header  http.Header
	body    string
	cookies []*http.Cookie
}

func (r *reply) cookie(name string) *http.Cookie {
	for _, c := range r.cookies {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// browser keeps the cookies one server set, by name, in the order first
// seen, and sends them back to that server.
type browser struct {
	t     testing.TB
	base  string
	jar   map[string]string
	order []string
}

func newBrowser(t testing.TB, base string) *browser {
	return &browser{t: t, base: base, jar: map[string]string{}}
}

func (b *browser) set(name, value string) {
	if _, ok := b.jar[name]; !ok {
		b.order = append(b.order, name)
	}
	b.jar[name] = value
}

func (b *browser) del(name string) {
	delete(b.jar, name)
	b.order = slices.DeleteFunc(b.order, func(n string) bool { return n == name })
}

func (b *browser) header() string {
	var parts []string
	for _, n := range b.order {
		parts = append(parts, n+"="+b.jar[n])
	}
	return strings.Join(parts, "; ")
}

// sessionCookies returns the session cookie(s) held, bare or chunked.
func (b *browser) sessionCookies() map[string]string {
	m := map[string]string{}
	for n, v := range b.jar {
		if strings.HasPrefix(n, "authjs.session-token") {
			m[n] = v
		}
	}
	return m
}

// do sends method path (relative to base) with body and header pairs; a
// "Cookie" header in hdr replaces the jar's.
func (b *browser) do(method, path string, body url.Values, hdr ...string) *reply {
	b.t.Helper()
	if body == nil {
		return b.send(method, path, "", "", hdr...)
	}
	return b.send(method, path, "application/x-www-form-urlencoded", body.Encode(), hdr...)
}

// send is do with a raw body of the given type ("" for none).
func (b *browser) send(method, path, ctype, body string, hdr ...string) *reply {
	b.t.Helper()
	var rd io.Reader
	if ctype != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, b.base+path, rd)
	if err != nil {
		b.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if h := b.header(); h != "" {
		req.Header.Set("Cookie", h)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := httpClient.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, b.base+path, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		b.t.Fatalf("%s %s: body: %v", method, b.base+path, err)
	}
	r := &reply{status: res.StatusCode, header: res.Header, body: string(data), cookies: res.Cookies()}
	for _, c := range r.cookies {
		if c.MaxAge < 0 || c.Value == "" {
			b.del(c.Name)
		} else {
			b.set(c.Name, c.Value)
		}
	}
	return r
}

func (b *browser) get(path string, hdr ...string) *reply {
	b.t.Helper()
	return b.do("GET", path, nil, hdr...)
}

func (b *browser) post(path string, form url.Values, hdr ...string) *reply {
	b.t.Helper()
	return b.do("POST", path, form, hdr...)
}

func (b *browser) postJSON(path string, v any, hdr ...string) *reply {
	b.t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.send("POST", path, "application/json", string(data), hdr...)
}

// csrf fetches the CSRF token from GET /auth/csrf.
func (b *browser) csrf() string {
	b.t.Helper()
	r := b.get("/auth/csrf")
	var v struct {
		CsrfToken string `json:"csrfToken"`
	}
	if err := json.Unmarshal([]byte(r.body), &v); err != nil || len(v.CsrfToken) != 64 {
		b.t.Fatalf("%s/auth/csrf: %d %q", b.base, r.status, r.body)
	}
	return v.CsrfToken
}

// signIn signs in through the credentials callback and fails the test
// unless a session cookie comes back.
func (b *browser) signIn(user, password string, extra ...string) *reply {
	b.t.Helper()
	form := url.Values{"csrfToken": {b.csrf()}, "username": {user}, "password": {password}}
	for i := 0; i+1 < len(extra); i += 2 {
		form.Set(extra[i], extra[i+1])
	}
	r := b.post("/auth/callback/credentials", form)
	if r.status != http.StatusFound || len(b.sessionCookies()) == 0 {
		b.t.Fatalf("%s sign-in as %s: %d %q, cookies %v", b.base, user, r.status, r.header.Get("Location"), r.cookies)
	}
	return r
}
