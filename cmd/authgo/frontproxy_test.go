package main

// End-to-end tests of authgo's forward-auth behind the real reverse
// proxies, run with the configurations in examples/ as written (only ports
// and the site address changed): Debian's nginx (auth_request to
// <base>/forward-auth) and Caddy (forward_auth to
// <base>/forward-auth/redirect), an echo app as the upstream, authgo serve
// in process, and a browser signing in through the proxy (testkit's, and
// Chromium through nginx).

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/authgo/authgo/internal/testkit"
	"github.com/authgo/authgo/jwt"
)

const (
	nginxBin = "/usr/sbin/nginx"
	caddyBin = "/usr/bin/caddy"
	// fpSecret is AUTH_SECRET of the serve behind the proxies.
	fpSecret = "frontproxy-secret-0123456789abcdef0123456789"
)

// fpNeed returns the path of a proxy binary; without it the test skips,
// or fails under CI=true.
func fpNeed(t *testing.T, path, pkg string) string {
	t.Helper()
	if _, err := os.Stat(path); err == nil {
		return path
	}
	msg := fmt.Sprintf("%s is missing: install Debian's %s (apt-get install -y %s)", path, pkg, pkg)
	testkit.Missing(t, "%s", msg)
	return ""
}

// fpEcho is the upstream app: it answers every request with the path and
// headers it received, as JSON.
type fpEcho struct {
	Path    string              `json:"path"`
	Headers map[string][]string `json:"headers"`
}

func startEchoApp(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(fpEcho{Path: r.URL.RequestURI(), Headers: r.Header})
	}))
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

// fpExample reads examples/NAME and applies the replacements (old, new
// pairs); each old string must occur in it, so a changed example fails
// here rather than running untested.
func fpExample(t *testing.T, name string, repl ...string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "examples", name))
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	for i := 0; i+1 < len(repl); i += 2 {
		if !strings.Contains(s, repl[i]) {
			t.Fatalf("examples/%s no longer contains %q", name, repl[i])
		}
		s = strings.ReplaceAll(s, repl[i], repl[i+1])
	}
	return s
}

// fpStack is authgo serve behind a proxy, in front of the echo app.
type fpStack struct {
	origin string // the proxy, as the browser sees it: http://127.0.0.1:port
	authgo string // serve's listening address, host:port
	app    string // the echo app's address
	srv    *server
	// reissues: a session cookie re-issued by forward-auth reaches the
	// browser through this proxy (nginx's add_header Set-Cookie).
	reissues bool
}

// startFPServe starts the echo app and authgo serve (a user alice /
// wonderland in its store, /public/:path* public, identity passed,
// forwarded headers believed from 127.0.0.1 only) for a proxy that will
// listen on proxyAddr.
func startFPServe(t *testing.T, proxyAddr string) *fpStack {
	t.Helper()
	data := filepath.Join(t.TempDir(), "data")
	if code, _, stderr := runInEnvStdin(t, env{}, "wonderland\n", "user", "add", "--data", data,
		"--name", "Alice", "--email", "alice@example.com", "alice"); code != 0 {
		t.Fatalf("user add: %d\n%s", code, stderr)
	}
	st := &fpStack{origin: "http://" + proxyAddr, authgo: freeAddr(t), app: startEchoApp(t)}
	st.srv = startServeEnv(t, env{"AUTH_SECRET": fpSecret, "AUTH_URL": st.origin + "/auth"}, false,
		"--addr", st.authgo, "--data", data, "--trusted-proxy", "127.0.0.1/32",
		"--pass-identity", "--public", "/public/:path*")
	return st
}

// startProxy runs cmd until the test ends (SIGTERM, then SIGKILL after 5 s)
// and waits until origin answers HTTP.
func startProxy(t *testing.T, cmd *exec.Cmd, origin string, logs func() string) {
	t.Helper()
	out := &testkit.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", cmd.Path, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
		}
		if t.Failed() {
			t.Logf("%s output:\n%s\n%s", filepath.Base(cmd.Path), out.Tail(3000), logs())
		}
	})
	c := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case err := <-exited:
			t.Fatalf("%s exited: %v\n%s\n%s", cmd.Path, err, out.Tail(3000), logs())
		default:
		}
		if res, err := c.Get(origin + "/public/ready"); err == nil {
			res.Body.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never answered at %s\n%s\n%s", cmd.Path, origin, out.Tail(3000), logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// startNginx runs Debian's nginx with examples/nginx/authgo.conf in front
// of a fresh stack.
func startNginx(t *testing.T) *fpStack {
	t.Helper()
	bin := fpNeed(t, nginxBin, "nginx")
	proxyAddr := freeAddr(t)
	st := startFPServe(t, proxyAddr)
	dir := t.TempDir()
	// Worker processes run as nobody when nginx starts as root; they write
	// under tmp/ only.
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(filepath.Join(dir, "tmp"), 0o777)
	os.Chmod(dir, 0o755)
	site := fpExample(t, "nginx/authgo.conf",
		"server 127.0.0.1:3000;", "server "+st.authgo+";",
		"server 127.0.0.1:8080;", "server "+st.app+";",
		"listen 80;", "listen "+proxyAddr+";")
	if err := os.WriteFile(filepath.Join(dir, "authgo.conf"), []byte(site), 0o644); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(dir, "tmp")
	conf := fmt.Sprintf(`daemon off;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log info;
events { worker_connections 128; }
http {
    access_log %[1]s/access.log;
    client_body_temp_path %[2]s/body;
    proxy_temp_path %[2]s/proxy;
    fastcgi_temp_path %[2]s/fastcgi;
    uwsgi_temp_path %[2]s/uwsgi;
    scgi_temp_path %[2]s/scgi;
    include %[1]s/authgo.conf;
}
`, dir, tmp)
	if err := os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), bin, "-p", dir, "-c", filepath.Join(dir, "nginx.conf"), "-e", filepath.Join(dir, "error.log"))
	startProxy(t, cmd, st.origin, func() string {
		b, _ := os.ReadFile(filepath.Join(dir, "error.log"))
		if len(b) > 3000 {
			b = b[len(b)-3000:]
		}
		return "error.log:\n" + string(b) + "\nauthgo serve:\n" + st.srv.stderr.Tail(3000)
	})
	st.reissues = true
	return st
}

// startCaddy runs Debian's Caddy with examples/caddy/Caddyfile in front of
// a fresh stack.
func startCaddy(t *testing.T) *fpStack {
	t.Helper()
	bin := fpNeed(t, caddyBin, "caddy")
	proxyAddr := freeAddr(t)
	st := startFPServe(t, proxyAddr)
	dir := t.TempDir()
	site := fpExample(t, "caddy/Caddyfile",
		"app.example.com {", "http://"+proxyAddr+" {",
		"reverse_proxy 127.0.0.1:3000", "reverse_proxy "+st.authgo,
		"forward_auth 127.0.0.1:3000", "forward_auth "+st.authgo,
		"reverse_proxy 127.0.0.1:8080", "reverse_proxy "+st.app)
	// No admin endpoint (it would take port 2019), nothing persisted.
	site = "{\n\tadmin off\n}\n\n" + site
	file := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(file, []byte(site), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), bin, "run", "--config", file, "--adapter", "caddyfile")
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_CONFIG_HOME="+dir, "XDG_DATA_HOME="+dir)
	startProxy(t, cmd, st.origin, func() string { return "authgo serve:\n" + st.srv.stderr.Tail(3000) })
	return st
}

// TestNginxForwardAuth: nginx auth_request with examples/nginx/authgo.conf.
func TestNginxForwardAuth(t *testing.T) {
	st := startNginx(t)
	checkForwardAuth(t, st)
	t.Run("chromium", func(t *testing.T) { chromiumSignIn(t, st) })
}

// TestCaddyForwardAuth: Caddy forward_auth with examples/caddy/Caddyfile.
func TestCaddyForwardAuth(t *testing.T) {
	st := startCaddy(t)
	checkForwardAuth(t, st)
}

// fpSpoofed are identity headers a client sends to name someone else: every
// spelling (case, "_" for "-", repeated).
var fpSpoofed = [][2]string{
	{"X-Auth-Request-User", "mallory"},
	{"X-Auth-Request-User", "mallory-2"},
	{"x-auth-request-email", "mallory@example.net"},
	{"X-AUTH-REQUEST-PREFERRED-USERNAME", "mallory"},
	{"X_Auth_Request_User", "mallory"},
	{"X_AUTH_REQUEST_EMAIL", "mallory@example.net"},
	{"x_auth_request_preferred_username", "mallory"},
	{"X-Forwarded-Access-Token", "mallory-token"},
}

// fpGet sends GET path through the proxy with the fpSpoofed identity
// headers and the extra header pairs, written as given (no
// canonicalization).
func fpGet(b *browser, path string, hdr ...string) response {
	b.t.Helper()
	req := b.NewRequest(http.MethodGet, b.origin+path, nil)
	for _, h := range fpSpoofed {
		req.Header[h[0]] = append(req.Header[h[0]], h[1])
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header[hdr[i]] = append(req.Header[hdr[i]], hdr[i+1])
	}
	return b.do(req)
}

// echoed decodes the echo app's answer; it fails the test for anything
// else.
func echoed(t *testing.T, what string, res response) fpEcho {
	t.Helper()
	var e fpEcho
	if res.status != http.StatusOK || json.Unmarshal([]byte(res.body), &e) != nil || e.Headers == nil {
		t.Fatalf("%s = %d, want the echo app's answer\n%s", what, res.status, res.body)
	}
	return e
}

// identity returns the identity headers the app received, by lowercased
// name with "_" read as "-".
func (e fpEcho) identity() map[string][]string {
	id := map[string][]string{}
	for k, v := range e.Headers {
		n := strings.ReplaceAll(strings.ToLower(k), "_", "-")
		if strings.HasPrefix(n, "x-auth-request-") || n == "x-forwarded-access-token" {
			id[n] = append(id[n], v...)
		}
	}
	return id
}

// checkSignInRedirect checks a refused request: a 302 to authgo's sign-in
// page on the proxy's origin, whose callbackUrl brings the browser back to
// path.
func checkSignInRedirect(t *testing.T, st *fpStack, what string, res response, path string) {
	t.Helper()
	if res.status != http.StatusFound {
		t.Fatalf("%s = %d, want 302 to the sign-in page\n%s", what, res.status, res.body)
	}
	loc, err := url.Parse(res.header.Get("Location"))
	if err != nil || loc.Scheme+"://"+loc.Host != st.origin || loc.Path != "/auth/signin" {
		t.Fatalf("%s: Location %q, want %s/auth/signin?callbackUrl=…", what, res.header.Get("Location"), st.origin)
	}
	if cb := loc.Query().Get("callbackUrl"); cb != st.origin+path && cb != path {
		t.Errorf("%s: callbackUrl %q, want %q", what, cb, st.origin+path)
	}
}

// checkForwardAuth runs the scenarios every proxy must pass.
func checkForwardAuth(t *testing.T, st *fpStack) {
	b := newBrowser(t, st.origin)

	// Signed out: public paths reach the app without identity, protected
	// ones are refused before the app sees them, whatever the client
	// claims about itself or the URL.
	e := echoed(t, "GET /public/page signed out", fpGet(b, "/public/page?x=1"))
	if e.Path != "/public/page?x=1" {
		t.Errorf("the app got %q, want /public/page?x=1", e.Path)
	}
	if id := e.identity(); len(id) != 0 {
		t.Errorf("signed out, the app got identity headers %v", id)
	}
	checkSignInRedirect(t, st, "GET /private/page signed out", fpGet(b, "/private/page?q=1"), "/private/page?q=1")
	checkSignInRedirect(t, st, "GET /private/page signed out, claiming a public URI",
		fpGet(b, "/private/page?q=1", "X-Forwarded-Uri", "/public/page", "X-Original-URI", "/public/page",
			"X-Forwarded-Host", "evil.example", "X-Forwarded-Proto", "https"), "/private/page?q=1")
	checkSignInRedirect(t, st, "GET / signed out", fpGet(b, "/"), "/")

	// Sign in through the proxy, as a browser on the app's origin does.
	res := b.signIn(b.csrfToken(), "alice", "wonderland")
	if res.status != http.StatusFound || b.Cookie("authjs.session-token") == "" {
		t.Fatalf("sign-in through the proxy = %d, Location %q, cookies %v\n%s", res.status, res.header.Get("Location"), b.Cookies(), res.body)
	}
	var sess struct {
		User struct{ Email string } `json:"user"`
	}
	if res = b.get("/auth/session"); json.Unmarshal([]byte(res.body), &sess) != nil || sess.User.Email != "alice@example.com" {
		t.Fatalf("GET /auth/session through the proxy = %d %s", res.status, res.body)
	}

	// Signed in: the app gets alice's identity and only hers.
	for _, p := range []string{"/private/page?q=1", "/", "/public/page"} {
		e = echoed(t, "GET "+p+" signed in", fpGet(b, p))
		if e.Path != p {
			t.Errorf("GET %s: the app got %q", p, e.Path)
		}
		id := e.identity()
		if p == "/public/page" && len(id) == 0 {
			continue // identity on public paths is the gateway's choice
		}
		user := id["x-auth-request-user"]
		if len(user) != 1 || user[0] == "" || strings.Contains(user[0], "mallory") {
			t.Errorf("GET %s: X-Auth-Request-User %q, want alice's sub alone", p, user)
		}
		if got := id["x-auth-request-email"]; len(got) != 1 || got[0] != "alice@example.com" {
			t.Errorf("GET %s: X-Auth-Request-Email %q, want alice@example.com alone", p, got)
		}
		if got := id["x-auth-request-preferred-username"]; len(got) != 1 || got[0] != "alice" {
			t.Errorf("GET %s: X-Auth-Request-Preferred-Username %q, want alice alone", p, got)
		}
		if got := id["x-forwarded-access-token"]; len(got) != 0 {
			t.Errorf("GET %s: the client's X-Forwarded-Access-Token reached the app: %q", p, got)
		}
		for k, v := range e.Headers {
			if strings.Contains(k, "_") || strings.Contains(strings.Join(v, ","), "mallory") {
				t.Errorf("GET %s: a fpSpoofed header reached the app: %s: %q", p, k, v)
			}
		}
		for k, v := range id {
			// Caddy 2.6's copy_headers writes a missing header as the
			// text of its placeholder; the example removes those.
			if strings.Contains(strings.Join(v, ","), "{") {
				t.Errorf("GET %s: the app got %s: %q", p, k, v)
			}
		}
	}

	if st.reissues {
		checkReissue(t, st, b.Cookie("authjs.session-token"))
	}
	// What serve logged about all this holds no secret.
	if log := st.srv.stderr.String(); strings.Contains(log, b.Cookie("authjs.session-token")) || strings.Contains(log, "wonderland") {
		t.Errorf("serve's log shows the session cookie or the password:\n%s", log)
	}

	// Signed out through the proxy, the protected path is refused again
	// (the copy of the cookie the browser kept opens nothing).
	kept := b.Cookie("authjs.session-token")
	if res = b.postForm("/auth/signout", url.Values{"csrfToken": {b.csrfToken()}, "callbackUrl": {"/"}}); res.status != http.StatusFound {
		t.Fatalf("POST /auth/signout through the proxy = %d\n%s", res.status, res.body)
	}
	checkSignInRedirect(t, st, "GET /private/page after signing out", fpGet(b, "/private/page?q=1"), "/private/page?q=1")
	replayed := b.NewRequest(http.MethodGet, st.origin+"/private/page", nil)
	replayed.Header.Set("Cookie", "authjs.session-token="+kept)
	if res = b.do(replayed); res.status == http.StatusOK {
		t.Errorf("the signed-out session's cookie still opens /private/page: %s", res.body)
	}

	// A client that reaches authgo itself, from an address that is not a
	// trusted proxy, cannot open a protected path by claiming a public URI:
	// the forwarded URL is ignored and a session is required.
	claim := []string{"X-Original-URI", "/public/page", "X-Forwarded-Uri", "/public/page",
		"X-Forwarded-Host", strings.TrimPrefix(st.origin, "http://"), "X-Forwarded-Proto", "http"}
	for _, ep := range []string{"/auth/forward-auth", "/auth/forward-auth/redirect"} {
		// From the trusted address the claim is believed (so the check
		// below can fail)…
		if code := fpDirect(t, "127.0.0.1", st.authgo, ep, claim...); code < 200 || code > 299 {
			t.Errorf("GET %s from the trusted proxy's address for a public URI = %d, want 2xx", ep, code)
		}
		// …from another, it is not.
		if code := fpDirect(t, "127.0.0.2", st.authgo, ep, claim...); code >= 200 && code <= 299 {
			t.Errorf("GET %s from an untrusted address, signed out, claiming a public URI = %d, want it refused", ep, code)
		}
	}
}

// checkReissue: the signed-in session's cookie, as it would be two days
// after the sign-in (past serve's 24 h update age), opens the protected
// page through the proxy, and the answer carries a re-issued cookie that
// is fresh.
func checkReissue(t *testing.T, st *fpStack, cookie string) {
	t.Helper()
	tok, err := jwt.Decode(jwt.DecodeParams{Token: cookie, Secrets: []string{fpSecret}})
	if err != nil {
		t.Fatalf("the session cookie: %v", err)
	}
	issued := time.Now().Add(-48 * time.Hour)
	old, err := jwt.Encode(jwt.EncodeParams{Token: tok, Secrets: []string{fpSecret}, Now: func() time.Time { return issued }})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, st.origin+"/private/page", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Cookie", "authjs.session-token="+old)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /private/page with a two-day-old session cookie = %d", res.StatusCode)
	}
	for _, c := range res.Cookies() {
		if c.Name != "authjs.session-token" {
			continue
		}
		fresh, err := jwt.Decode(jwt.DecodeParams{Token: c.Value, Secrets: []string{fpSecret}})
		if err != nil || fresh.Subject != tok.Subject || time.Since(time.Unix(fresh.IssuedAt, 0)) > time.Hour {
			t.Fatalf("the re-issued cookie: %v, sub %q, issued %v", err, fresh.Subject, time.Unix(fresh.IssuedAt, 0))
		}
		return
	}
	t.Errorf("no re-issued session cookie reached the browser: Set-Cookie %q", res.Header.Values("Set-Cookie"))
}

// fpDirect sends GET path to authgo at addr from the local address from,
// without a session, and returns the status.
func fpDirect(t *testing.T, from, addr, path string, hdr ...string) int {
	t.Helper()
	c := &http.Client{
		Timeout:       5 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport: &http.Transport{DialContext: (&net.Dialer{
			LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)},
		}).DialContext},
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://"+addr+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s from %s: %v", path, from, err)
	}
	res.Body.Close()
	return res.StatusCode
}

// chromiumSignIn: Chromium opens a protected page through the proxy,
// lands on authgo's sign-in page, signs in, and is brought back to the
// page, which the app serves with alice's identity.
func chromiumSignIn(t *testing.T, st *fpStack) {
	exe := testkit.Chromium(t)
	opts := testkit.ChromiumOptions(exe)
	budget, cancelBudget := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancelBudget()
	alloc, cancelAlloc := chromedp.NewExecAllocator(budget, opts...)
	defer cancelAlloc()
	tab, cancelTab := chromedp.NewContext(alloc)
	defer cancelTab()
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("starting %s: %v", exe, err)
	}
	step := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		ctx, cancel := context.WithTimeout(tab, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	eval := func(expr string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(tab, 10*time.Second)
		defer cancel()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
		if err != nil {
			t.Fatalf("evaluate %s: %v", expr, err)
		}
		return v
	}
	waitFor := func(what, cond string) {
		t.Helper()
		expr := `(() => { try { return (document.readyState === "complete" && !!(` + cond + `)) ? "yes" : ""; } catch (e) { return ""; } })()`
		for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			ctx, cancel := context.WithTimeout(tab, 2*time.Second)
			v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
			cancel()
			if err == nil && v == "yes" {
				return
			}
		}
		t.Fatalf("waited for %s; the tab is at %s", what, eval("location.href"))
	}

	step("open the protected page", chromedp.Navigate(st.origin+"/private/report?week=2"))
	waitFor("authgo's sign-in page", `location.pathname === "/auth/signin" && document.querySelector('input[name="username"]')`)
	if got := eval("location.origin"); got != st.origin {
		t.Fatalf("the sign-in page is on %s, want the app's origin %s", got, st.origin)
	}
	step("sign in",
		chromedp.SendKeys(chromedp.CSS(`input[name="username"]`), "alice"),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), "wonderland"),
		chromedp.Click(chromedp.CSS(`form[action$="/auth/callback/credentials"] button`)))
	waitFor("the protected page", `location.pathname === "/private/report" && document.body.innerText.includes("alice@example.com")`)
	var e fpEcho
	if err := json.Unmarshal([]byte(eval("document.body.innerText")), &e); err != nil {
		t.Fatalf("the page is not the echo app's: %v", err)
	}
	id := e.identity()
	if e.Path != "/private/report?week=2" || len(id["x-auth-request-user"]) != 1 || id["x-auth-request-email"][0] != "alice@example.com" {
		t.Errorf("the app got %s with identity %v", e.Path, id)
	}
	if got := eval(`document.cookie`); strings.Contains(got, "authjs.session-token") {
		t.Errorf("the session cookie is readable by scripts: %q", got)
	}
}
