// Package interop_test checks authgo against the real Auth.js (@auth/core
// 0.41.3, installed in this directory by `npm ci`): session tokens and CSRF
// hashes through jwt.mjs, and live servers through server.mjs.
package interop_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
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

// usersProvider is the Credentials provider of users, as server.mjs's.
func usersProvider(t testing.TB) *credentials.Provider {
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
	return p
}

// startAuthgo serves authgo on its own httptest server, configured as
// server.mjs is: basePath /auth, the same users, the given secrets.
func startAuthgo(t testing.TB, secrets []string, mod func(*authgo.Config)) string {
	t.Helper()
	p := usersProvider(t)
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

// browser is a testkit.Browser on one server (base), which keeps the
// cookies it sets by name, in the order first seen, and sends them back.
type browser struct {
	*testkit.Browser
	t    testing.TB
	base string
}

func newBrowser(t testing.TB, base string) *browser {
	return &browser{Browser: testkit.NewBrowser(t, base), t: t, base: base}
}

// sessionCookies returns the session cookie(s) held, bare or chunked.
func (b *browser) sessionCookies() map[string]string {
	m := map[string]string{}
	for _, c := range b.Cookies() {
		if strings.HasPrefix(c.Name, "authjs.session-token") {
			m[c.Name] = c.Value
		}
	}
	return m
}

// do sends method path (relative to base) with body and header pairs; a
// "Cookie" header in hdr replaces the browser's.
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
	return replyOf(b.Send(method, path, ctype, body, hdr...))
}

func replyOf(r *testkit.Response) *reply {
	return &reply{status: r.StatusCode, header: r.Header, body: r.Text, cookies: r.Cookies()}
}

func (b *browser) get(path string, hdr ...string) *reply {
	b.t.Helper()
	return replyOf(b.Get(path, hdr...))
}

func (b *browser) post(path string, form url.Values, hdr ...string) *reply {
	b.t.Helper()
	return replyOf(b.PostForm(path, form, hdr...))
}

func (b *browser) postJSON(path string, v any, hdr ...string) *reply {
	b.t.Helper()
	return replyOf(b.PostJSON(path, v, hdr...))
}

// csrf fetches the CSRF token from GET /auth/csrf.
func (b *browser) csrf() string {
	b.t.Helper()
	return b.CSRFToken("/auth/csrf")
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
