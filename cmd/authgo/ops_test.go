package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/adapters/redis"
	"github.com/authgo/authgo/internal/testidp"
	"github.com/authgo/authgo/internal/testkit"
	"github.com/authgo/authgo/store"
)

var metricsLine = regexp.MustCompile(`msg="serving metrics" url=(http://127\.0\.0\.1:[0-9]+)/metrics`)

// metricsOrigin is the metrics listener of s, from the line serve logs.
func metricsOrigin(t *testing.T, s *server) string {
	t.Helper()
	m := metricsLine.FindStringSubmatch(s.stderr.String())
	if m == nil {
		t.Fatalf("serve does not log its metrics address:\n%s", s.stderr)
	}
	return m[1]
}

// fetch GETs u and returns the status and body.
func fetch(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	if c == nil {
		c = http.DefaultClient
	}
	res, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(b)
}

// sample is the value of the sample of metric name whose labels are
// exactly labels ("k", "v", …) in a Prometheus text exposition; -1 when
// there is none.
func sample(exposition, name string, labels ...string) float64 {
	want := map[string]string{}
	for i := 0; i+1 < len(labels); i += 2 {
		want[labels[i]] = labels[i+1]
	}
	pair := regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"`)
	for line := range strings.SplitSeq(exposition, "\n") {
		rest, ok := strings.CutPrefix(line, name)
		if !ok || (rest != "" && rest[0] != '{' && rest[0] != ' ') {
			continue
		}
		got := map[string]string{}
		if rest[0] == '{' {
			end := strings.LastIndexByte(rest, '}')
			for _, m := range pair.FindAllStringSubmatch(rest[1:end], -1) {
				got[m[1]] = m[2]
			}
			rest = rest[end+1:]
		}
		if len(got) != len(want) {
			continue
		}
		same := true
		for k, v := range want {
			if got[k] != v {
				same = false
			}
		}
		if !same {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
		if err != nil {
			return -1
		}
		return v
	}
	return -1
}

// TestOpsMetrics: after a known sequence of requests (a sign-in that
// works, one with a wrong password, a session read, a 404, an API call
// that refreshes the access token, one whose refresh fails for now), the
// metrics listener counts each by route class and status class, the
// sign-ins by provider and outcome, the refreshes by outcome, and the
// upstream's answers; no label holds the user's name, a path or a token.
func TestOpsMetrics(t *testing.T) {
	var refreshFail atomic.Bool
	token := func(n int) string {
		claims, _ := json.Marshal(map[string]any{"sub": "be-alice", "name": "Alice", "exp": time.Now().Add(time.Hour).Unix(), "n": n})
		return "eyJhbGciOiJSUzI1NiJ9." + base64.RawURLEncoding.EncodeToString(claims) + ".c2ln"
	}
	var issued atomic.Int32
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/me":
			io.WriteString(w, "hello")
			return
		case "/refresh":
			if refreshFail.Load() {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
		case "/login":
			var in struct{ Username, Password string }
			json.NewDecoder(r.Body).Decode(&in)
			if in.Password != "pw" {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
		}
		// Access tokens that live one second: the next API call after
		// half of it refreshes.
		json.NewEncoder(w).Encode(map[string]any{"accessToken": token(int(issued.Add(1))), "refreshToken": "rt-" + strconv.Itoa(int(issued.Load())), "expiresIn": 1})
	}))
	defer be.Close()
	e := env{
		"AUTH_SECRET":              strings.Repeat("k", 40),
		"AUTH_BACKEND_LOGIN_URL":   be.URL + "/login",
		"AUTH_BACKEND_REFRESH_URL": be.URL + "/refresh",
	}
	s := startServeEnv(t, e, false, "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--api", "/api="+be.URL, "--metrics-addr", "127.0.0.1:0", "--protect", "/mypage/:path*")
	mo := metricsOrigin(t, s)
	b := newBrowser(t, s.origin)

	if r := b.signIn(b.csrfToken(), "alice", "pw"); r.status != http.StatusFound || strings.Contains(r.header.Get("Location"), "error") {
		t.Fatalf("sign-in: %d %q", r.status, r.header.Get("Location"))
	}
	if r := b.signIn(b.csrfToken(), "alice", "wrong"); !strings.Contains(r.header.Get("Location"), "error=CredentialsSignin") {
		t.Fatalf("wrong password: %q", r.header.Get("Location"))
	}
	if r := b.get("/auth/session"); r.status != http.StatusOK || !strings.Contains(r.body, "Alice") {
		t.Fatalf("session: %d %s", r.status, r.body)
	}
	if r := b.get("/no/such/page"); r.status != http.StatusNotFound {
		t.Fatalf("404: %d", r.status)
	}
	if r := b.get("/mypage/42"); r.status != http.StatusOK {
		t.Fatalf("protected page: %d", r.status)
	}
	api := func() response {
		req, _ := http.NewRequest("GET", s.origin+"/api/me", nil)
		req.Header.Set("X-CSRF", "1")
		return b.do(req)
	}
	time.Sleep(1100 * time.Millisecond) // the access token expires (no clock to move in a separate server)
	if r := api(); r.status != http.StatusOK || r.body != "hello" {
		t.Fatalf("api after a refresh: %d %q", r.status, r.body)
	}
	refreshFail.Store(true)
	time.Sleep(1100 * time.Millisecond)
	if r := api(); r.status != http.StatusServiceUnavailable {
		t.Fatalf("api with a failing refresh: %d %q", r.status, r.body)
	}

	code, body := fetch(t, nil, mo+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("metrics: %d", code)
	}
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"authgo_signins_total", []string{"provider", "credentials", "outcome", "success"}, 1},
		{"authgo_signins_total", []string{"provider", "credentials", "outcome", "CredentialsSignin"}, 1},
		{"authgo_http_requests_total", []string{"route", "callback", "code", "3xx"}, 2},
		{"authgo_http_requests_total", []string{"route", "csrf", "code", "2xx"}, 2},
		{"authgo_http_requests_total", []string{"route", "session", "code", "2xx"}, 1},
		{"authgo_http_requests_total", []string{"route", "other", "code", "4xx"}, 1},
		{"authgo_http_requests_total", []string{"route", "page", "code", "2xx"}, 1},
		{"authgo_http_requests_total", []string{"route", "api", "code", "2xx"}, 1},
		{"authgo_http_requests_total", []string{"route", "api", "code", "5xx"}, 1},
		{"authgo_http_request_duration_seconds_count", []string{"route", "session"}, 1},
		{"authgo_upstream_duration_seconds_count", []string{"proxy", "api", "code", "2xx"}, 1},
		{"authgo_http_requests_in_flight", nil, 0},
	} {
		if got := sample(body, c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v; want %v", c.name, c.labels, got, c.want)
		}
	}
	// Tokens that live a second are refreshed by whichever request comes
	// first (the session read may), so at least once; the failing refresh
	// exactly once, by the second API call. None was refused for good.
	if n := sample(body, "authgo_token_refreshes_total", "provider", "credentials", "outcome", "success"); n < 1 {
		t.Errorf("refreshes that worked: %v", n)
	}
	if n := sample(body, "authgo_token_refreshes_total", "provider", "credentials", "outcome", "transient"); n != 1 {
		t.Errorf("refreshes that failed for now: %v; want 1", n)
	}
	if n := sample(body, "authgo_token_refreshes_total", "provider", "credentials", "outcome", "terminal"); n != -1 {
		t.Errorf("refreshes refused for good: %v; want none", n)
	}
	// The Go and process collectors are there.
	for _, name := range []string{"go_goroutines", "process_resident_memory_bytes"} {
		if sample(body, name) < 0 {
			t.Errorf("no %s", name)
		}
	}
	// Nothing about the user, a path or a token in a label.
	for _, bad := range []string{"alice", "Alice", "be-alice", "/mypage", "/api/me", "42", "eyJ", "rt-"} {
		for line := range strings.SplitSeq(body, "\n") {
			if !strings.HasPrefix(line, "#") && strings.Contains(line, `"`+bad) {
				t.Errorf("a label holds %q: %s", bad, line)
			}
		}
	}
	// healthz and readyz answer on the metrics listener too, at the root
	// and under the base path.
	for _, p := range []string{"/healthz", "/readyz", "/auth/healthz", "/auth/readyz"} {
		if code, body := fetch(t, nil, mo+p); code != http.StatusOK || body != "ok\n" {
			t.Errorf("metrics listener %s: %d %q", p, code, body)
		}
	}
	if code, _ := fetch(t, nil, mo+"/auth/session"); code != http.StatusNotFound {
		t.Errorf("the metrics listener serves /auth/session: %d", code)
	}
	// The metrics are not on the public listener.
	if code, _ := fetch(t, nil, s.origin+"/metrics"); code != http.StatusNotFound {
		t.Errorf("/metrics on the public listener: %d", code)
	}
}

// TestOpsHealthNeverGuarded: healthz and readyz answer 200 without a
// session even when --protect covers every path, and other methods get
// 405.
func TestOpsHealthNeverGuarded(t *testing.T) {
	s := startServeEnv(t, env{"AUTH_SECRET": strings.Repeat("k", 40)}, false, "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--protect", "/:path*")
	for _, p := range []string{"/auth/healthz", "/auth/readyz"} {
		if code, body := fetch(t, nil, s.origin+p); code != http.StatusOK || body != "ok\n" {
			t.Errorf("%s: %d %q", p, code, body)
		}
		res, err := http.Post(s.origin+p, "text/plain", nil)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("POST %s: %d", p, res.StatusCode)
		}
	}
	// Without --metrics-addr no metrics listener is started.
	if strings.Contains(s.stderr.String(), "serving metrics") {
		t.Error("a metrics listener without --metrics-addr")
	}
}

// readyzUntil fetches readyz at u until it answers code (the answer is
// reused for up to a second, and a pool reconnects on its next use), and
// returns the last answer.
func readyzUntil(t *testing.T, u string, code int) (int, string) {
	t.Helper()
	var got int
	var body string
	for range 60 {
		if got, body = fetch(t, nil, u); got == code {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	return got, body
}

// TestOpsReadyzPostgres: readyz is 200 while the private PostgreSQL
// answers, 503 naming the database (and nothing of its URL or the
// error) while it is stopped, 200 again once it is back; a session read
// while it is down counts a store error.
func TestOpsReadyzPostgres(t *testing.T) {
	pg := testkit.StartPostgres(t)
	u, _ := url.Parse(pg.URL())
	u.User = url.UserPassword("postgres", pgPassword)
	dsn := u.String()
	if code, _, stderr := runInEnvStdin(t, env{}, "", "migrate", "--db", dsn); code != 0 {
		t.Fatalf("migrate: %s", stderr)
	}
	s := startServeEnv(t, env{"AUTH_SECRET": strings.Repeat("k", 40)}, false, "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--db", dsn, "--metrics-addr", "127.0.0.1:0", "--session-strategy", "database")
	mo := metricsOrigin(t, s)
	if code, body := fetch(t, nil, s.origin+"/auth/readyz"); code != http.StatusOK || body != "ok\n" {
		t.Fatalf("readyz with the database up: %d %q", code, body)
	}
	pg.Stop()
	for _, origin := range []string{s.origin + "/auth", mo} {
		code, body := readyzUntil(t, origin+"/readyz", http.StatusServiceUnavailable)
		if code != http.StatusServiceUnavailable || body != "not ready: database\n" {
			t.Fatalf("readyz with the database stopped: %d %q", code, body)
		}
	}
	if code, _ := fetch(t, nil, s.origin+"/auth/healthz"); code != http.StatusOK {
		t.Errorf("healthz with the database stopped: %d", code)
	}
	// A session read with a database-session cookie asks the database.
	req, _ := http.NewRequest("GET", s.origin+"/auth/session", nil)
	req.AddCookie(&http.Cookie{Name: "authjs.session-token", Value: "x" + strings.Repeat("0", 63)})
	if res, err := http.DefaultClient.Do(req); err == nil {
		res.Body.Close()
	}
	pg.Start()
	if code, body := readyzUntil(t, s.origin+"/auth/readyz", http.StatusOK); code != http.StatusOK || body != "ok\n" {
		t.Fatalf("readyz with the database back: %d %q", code, body)
	}
	_, metrics := fetch(t, nil, mo+"/metrics")
	if n := sample(metrics, "authgo_store_errors_total", "store", "database", "kind", "sessions"); n < 1 {
		t.Errorf("authgo_store_errors_total{store=database,kind=sessions} = %v; want ≥ 1", n)
	}
	log := s.stderr.String()
	noPassword(t, "the log", log)
	if !strings.Contains(log, `msg="not ready: a part does not answer" part=database`) || !strings.Contains(log, `msg="ready again" part=database`) {
		t.Errorf("the log does not tell the database's outage and return:\n%s", log)
	}
}

// TestOpsReadyzRedis: with AUTH_REDIS_URL, readyz is 503 naming Redis
// while the private Redis is down and 200 once it is back; session reads
// meanwhile count Redis errors (the sign-out store it could not ask).
func TestOpsReadyzRedis(t *testing.T) {
	rd := testkit.StartRedis(t, false)
	s := startServeEnv(t, env{"AUTH_REDIS_URL": rd.URL()}, true, "--dev", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--metrics-addr", "127.0.0.1:0")
	mo := metricsOrigin(t, s)
	b := newBrowser(t, s.origin)
	if r := b.signIn(b.csrfToken(), "demo", s.demoPassword); r.status != http.StatusFound || strings.Contains(r.header.Get("Location"), "error") {
		t.Fatalf("sign-in: %d %q", r.status, r.header.Get("Location"))
	}
	if code, body := fetch(t, nil, s.origin+"/auth/readyz"); code != http.StatusOK || body != "ok\n" {
		t.Fatalf("readyz with Redis up: %d %q", code, body)
	}
	rd.Kill()
	if code, body := readyzUntil(t, s.origin+"/auth/readyz", http.StatusServiceUnavailable); code != http.StatusServiceUnavailable || body != "not ready: redis\n" {
		t.Fatalf("readyz with Redis down: %d %q", code, body)
	}
	// Session reads ask Redis whether the session was ended (after the
	// revocation cache's two seconds); each failure is counted.
	var n float64
	for range 50 {
		b.get("/auth/session")
		_, metrics := fetch(t, nil, mo+"/metrics")
		if n = sample(metrics, "authgo_store_errors_total", "store", "redis", "kind", "revocations"); n >= 1 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n < 1 {
		t.Errorf("authgo_store_errors_total{store=redis,kind=revocations} = %v; want ≥ 1", n)
	}
	rd.Restart()
	if code, body := readyzUntil(t, s.origin+"/auth/readyz", http.StatusOK); code != http.StatusOK || body != "ok\n" {
		t.Fatalf("readyz with Redis back: %d %q", code, body)
	}
}

// TestOpsAccessLog: in JSON, one line per request with the route class,
// the path without its query, the status and the client; after a
// password sign-in and an OAuth callback, nothing in the whole log holds
// the password, the OAuth code or state, the CSRF token or the session
// cookie.
func TestOpsAccessLog(t *testing.T) {
	idp := testidp.New(t, testidp.Options{Users: []testidp.User{{ID: "u-7", Username: "ida", Password: "idp-password-x", Email: "ida@example.com", EmailVerified: true, Name: "Ida"}}})
	dir := filepath.Join(t.TempDir(), "data")
	e := env{
		"AUTH_SECRET":      strings.Repeat("k", 40),
		"AUTH_OIDC_ISSUER": idp.Issuer(),
		"AUTH_OIDC_ID":     "authgo-serve",
		"AUTH_OIDC_SECRET": "client-secret",
	}
	if code, _, stderr := runInEnvStdin(t, e, "local-password-y\n", "user", "add", "--data", dir, "lou"); code != 0 {
		t.Fatalf("user add: %s", stderr)
	}
	s := startServeEnv(t, e, false, "--addr", "127.0.0.1:0", "--data", dir, "--log-format", "json")
	idp.AddClient(testidp.Client{ID: "authgo-serve", Secret: "client-secret", RedirectURIs: []string{s.origin + "/auth/callback/oidc"}})

	b := newBrowser(t, s.origin)
	csrf := b.csrfToken()
	if r := b.signIn(csrf, "lou", "local-password-y"); r.status != http.StatusFound || strings.Contains(r.header.Get("Location"), "error") {
		t.Fatalf("password sign-in: %d %q", r.status, r.header.Get("Location"))
	}
	secrets := []string{"local-password-y", "idp-password-x", csrf, b.sessionCookieOf()}

	o := newBrowser(t, s.origin)
	r := o.postForm("/auth/signin/oidc", url.Values{"csrfToken": {o.csrfToken()}, "callbackUrl": {"/"}})
	back, err := idp.Login(t.Context(), o.Client, r.header.Get("Location"), "ida", "idp-password-x")
	if err != nil {
		t.Fatal(err)
	}
	cb, _ := url.Parse(back)
	q := cb.Query()
	if q.Get("code") == "" || q.Get("state") == "" {
		t.Fatalf("callback URL without code and state: %s", back)
	}
	if r := o.get(cb.RequestURI()); r.status != http.StatusFound || r.header.Get("Location") != s.origin+"/" {
		t.Fatalf("callback: %d %q", r.status, r.header.Get("Location"))
	}
	secrets = append(secrets, q.Get("code"), q.Get("state"), o.sessionCookieOf(), cb.RawQuery)
	o.get("/auth/session?x=query-not-logged")
	s.stop(t)

	log := s.stderr.String()
	for _, sec := range secrets {
		if sec == "" {
			t.Fatal("an empty secret to look for")
		}
		if strings.Contains(log, sec) {
			t.Errorf("the log holds %q", sec)
		}
	}
	for _, bad := range []string{"query-not-logged", "code=", "state=", "authjs."} {
		if strings.Contains(log, bad) {
			t.Errorf("the log holds %q", bad)
		}
	}
	var lines []map[string]any
	sc := bufio.NewScanner(strings.NewReader(log))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("not a JSON line: %q", sc.Text())
		}
		if m["msg"] == "request" {
			lines = append(lines, m)
		}
	}
	var callback, session map[string]any
	for _, l := range lines {
		switch l["path"] {
		case "/auth/callback/oidc":
			callback = l
		case "/auth/session":
			session = l
		}
	}
	if callback == nil || callback["route"] != "callback" || callback["status"] != float64(302) || callback["method"] != "GET" || callback["client"] != "127.0.0.1" {
		t.Errorf("the callback's line: %v", callback)
	}
	if session == nil || session["route"] != "session" || session["status"] != float64(200) || session["bytes"].(float64) < 10 {
		t.Errorf("the session read's line: %v", session)
	}
	for _, l := range lines {
		for _, k := range []string{"method", "route", "path", "status", "bytes", "duration", "client"} {
			if _, ok := l[k]; !ok {
				t.Errorf("access line without %s: %v", k, l)
			}
		}
	}
}

// TestOpsAccessLogOff: --access-log=false (or AUTH_ACCESS_LOG=false)
// writes no request lines; a bad --log-format is a usage error.
func TestOpsAccessLogOff(t *testing.T) {
	for _, c := range []struct {
		env  env
		args []string
	}{
		{env{}, []string{"--access-log=false"}},
		{env{"AUTH_ACCESS_LOG": "false"}, nil},
	} {
		c.env["AUTH_SECRET"] = strings.Repeat("k", 40)
		s := startServeEnv(t, c.env, false, append([]string{"--addr", "127.0.0.1:0", "--data", t.TempDir()}, c.args...)...)
		fetch(t, nil, s.origin+"/auth/session")
		s.stop(t)
		if strings.Contains(s.stderr.String(), "msg=request") {
			t.Errorf("%v %v: an access line:\n%s", c.env, c.args, s.stderr)
		}
	}
	code, _, stderr := runInEnvStdin(t, env{"AUTH_SECRET": strings.Repeat("k", 40)}, "", "serve", "--addr", "127.0.0.1:0", "--log-format", "xml")
	if code != exitUsage || !strings.Contains(stderr, `--log-format "xml": want text or json`) {
		t.Errorf("--log-format xml: %d %s", code, stderr)
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key into dir and
// returns their files and a pool that trusts it.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "authgo test"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestOpsTLS: --tls-cert and --tls-key serve HTTPS with HTTP/2; the
// startup line and the public URL say https, so the cookies get their
// __Host- and __Secure- names; the access log says HTTP/2.0. One file
// without the other, or a file that is not a certificate, is a usage
// error.
func TestOpsTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := selfSigned(t, dir)
	var stdout, stderr testkit.Buffer
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	sctx, stop := context.WithCancel(t.Context())
	defer stop()
	go func() {
		done <- run(sctx, []string{"serve", "--addr", "127.0.0.1:0", "--data", filepath.Join(dir, "data"), "--tls-cert", certFile, "--tls-key", keyFile},
			strings.NewReader(""), pw, &stderr, env{"AUTH_SECRET": strings.Repeat("k", 40)}.get)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	stdout.Write([]byte(line))
	go io.Copy(io.Discard, pr)
	m := regexp.MustCompile(`^authgo is running: open (https://127\.0\.0\.1:[0-9]+)/\n$`).FindStringSubmatch(line)
	if err != nil || m == nil {
		t.Fatalf("startup line %q (%v)\n%s", line, err, &stderr)
	}
	origin := m[1]
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	res, err := c.Get(origin + "/auth/csrf")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.ProtoMajor != 2 || res.StatusCode != http.StatusOK {
		t.Fatalf("GET /auth/csrf over TLS: %s %d", res.Proto, res.StatusCode)
	}
	if sc := res.Header.Get("Set-Cookie"); !strings.HasPrefix(sc, "__Host-authjs.csrf-token=") || !strings.Contains(sc, "Secure") {
		t.Errorf("csrf cookie over https: %q", sc)
	}
	if code, body := fetch(t, c, origin+"/auth/healthz"); code != http.StatusOK || body != "ok\n" {
		t.Errorf("healthz over TLS: %d %q", code, body)
	}
	// TLS 1.1 and older are refused, as the README says.
	old := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}}}
	if res, err := old.Get(origin + "/auth/healthz"); err == nil {
		res.Body.Close()
		t.Errorf("a TLS 1.1 client was served: %s", res.Proto)
	}
	stop()
	if code := <-done; code != exitOK {
		t.Fatalf("exit %d\n%s", code, &stderr)
	}
	if !strings.Contains(stderr.String(), "proto=HTTP/2.0") {
		t.Errorf("the access log does not say HTTP/2.0:\n%s", &stderr)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--tls-cert", certFile}, "--tls-cert needs --tls-key"},
		{[]string{"--tls-key", keyFile}, "--tls-key needs --tls-cert"},
		{[]string{"--tls-cert", keyFile, "--tls-key", keyFile}, "--tls-cert " + keyFile + " --tls-key " + keyFile + ":"},
	} {
		code, _, stderr := runInEnvStdin(t, env{"AUTH_SECRET": strings.Repeat("k", 40)}, "", append([]string{"serve", "--addr", "127.0.0.1:0", "--data", filepath.Join(dir, "data")}, c.args...)...)
		if code != exitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, %s", c.args, code, stderr)
		}
	}
}

// TestOpsShutdown runs the real binary: SIGTERM while a proxied request
// (through --api, or to the --upstream app) waits on a slow upstream lets
// that request finish with its whole body,
// refuses new connections, and serve exits 0; a request longer than
// --shutdown-grace is cut when the grace runs out, and serve still exits
// 0.
func TestOpsShutdown(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "authgo")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, c := range []struct {
		name     string
		grace    string
		complete bool
		upstream bool // the gateway's --upstream rather than --api
	}{
		{"finishes", "10s", true, false},
		{"grace runs out", "300ms", false, false},
		{"upstream finishes", "10s", true, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			arrived := make(chan struct{}, 1)
			release := make(chan struct{})
			up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/login" {
					claims, _ := json.Marshal(map[string]any{"sub": "be-alice", "name": "Alice", "exp": time.Now().Add(time.Hour).Unix()})
					json.NewEncoder(w).Encode(map[string]any{"accessToken": "eyJhbGciOiJSUzI1NiJ9." + base64.RawURLEncoding.EncodeToString(claims) + ".c2ln"})
					return
				}
				arrived <- struct{}{}
				select {
				case <-release:
				case <-r.Context().Done():
					return
				}
				io.WriteString(w, "slow answer, complete")
			}))
			defer up.Close()
			args := []string{"serve", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--shutdown-grace", c.grace}
			path := "/api/slow"
			if c.upstream {
				args = append(args, "--upstream", up.URL, "--public", "/:path*")
				path = "/slow"
			} else {
				args = append(args, "--api", "/api="+up.URL)
			}
			cmd := exec.Command(bin, args...)
			cmd.Env = append(os.Environ(), "AUTH_SECRET="+strings.Repeat("k", 40), "AUTH_BACKEND_LOGIN_URL="+up.URL+"/login")
			var stderr testkit.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan struct{})
			var waitErr error
			go func() { waitErr = cmd.Wait(); close(exited) }()
			t.Cleanup(func() {
				cmd.Process.Kill()
				<-exited
			})
			line, err := bufio.NewReader(out).ReadString('\n')
			m := runningLine.FindStringSubmatch(strings.TrimSuffix(line, "\n"))
			if err != nil || m == nil {
				t.Fatalf("startup line %q (%v)\n%s", line, err, &stderr)
			}
			origin := m[1]
			b := newBrowser(t, origin)
			if r := b.signIn(b.csrfToken(), "alice", "pw"); r.status != http.StatusFound || strings.Contains(r.header.Get("Location"), "error") {
				t.Fatalf("sign-in: %d %q", r.status, r.header.Get("Location"))
			}
			cookie := b.sessionCookieOf()
			type answer struct {
				status int
				body   string
				err    error
			}
			got := make(chan answer, 1)
			go func() {
				req, _ := http.NewRequest("GET", origin+path, nil)
				req.Header.Set("X-CSRF", "1")
				req.Header.Set("Cookie", cookie)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					got <- answer{err: err}
					return
				}
				defer res.Body.Close()
				body, err := io.ReadAll(res.Body)
				got <- answer{res.StatusCode, string(body), err}
			}()
			<-arrived
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			// Stopped accepting: a new connection is refused soon after.
			deadline := time.Now().Add(5 * time.Second)
			for {
				conn, err := net.DialTimeout("tcp", strings.TrimPrefix(origin, "http://"), time.Second)
				if err != nil {
					break
				}
				conn.Close()
				if time.Now().After(deadline) {
					t.Fatal("serve still accepts connections after SIGTERM")
				}
				time.Sleep(20 * time.Millisecond)
			}
			if c.complete {
				close(release)
				a := <-got
				if a.err != nil || a.status != http.StatusOK || a.body != "slow answer, complete" {
					t.Fatalf("the request in flight: %d %q %v", a.status, a.body, a.err)
				}
			} else {
				a := <-got
				if a.err == nil && a.body == "slow answer, complete" {
					t.Fatalf("a request longer than the grace was not cut: %d %q", a.status, a.body)
				}
			}
			select {
			case <-exited:
				if waitErr != nil {
					t.Fatalf("serve exited with %v\n%s", waitErr, &stderr)
				}
			case <-time.After(15 * time.Second):
				t.Fatalf("serve did not exit\n%s", &stderr)
			}
			log := stderr.String()
			if !strings.Contains(log, "shutting down") || !strings.Contains(log, "msg=stopped") {
				t.Errorf("the log does not tell the shutdown:\n%s", log)
			}
			if !c.complete && !strings.Contains(log, "the grace ran out") {
				t.Errorf("the log does not say the grace ran out:\n%s", log)
			}
		})
	}
}

// TestOpsUpstream: in front of an app (--upstream), its requests are
// counted under the upstream route class and timed, forward-auth under
// its own, and readyz names the upstream while it does not answer.
func TestOpsUpstream(t *testing.T) {
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "app page")
	}))
	defer app.Close()
	s := startServe(t, true, "--dev", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--metrics-addr", "127.0.0.1:0",
		"--upstream", app.URL, "--public", "/", "--public", "/pub/:path*")
	mo := metricsOrigin(t, s)
	if code, body := fetch(t, nil, s.origin+"/pub/7"); code != http.StatusOK || body != "app page" {
		t.Fatalf("public page: %d %q", code, body)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if code, _ := fetch(t, c, s.origin+"/private/7"); code != http.StatusFound {
		t.Fatalf("protected page signed out: %d", code)
	}
	if code, _ := fetch(t, nil, s.origin+"/auth/forward-auth"); code != http.StatusUnauthorized {
		t.Fatalf("forward-auth signed out: %d", code)
	}
	if code, body := fetch(t, nil, s.origin+"/auth/readyz"); code != http.StatusOK {
		t.Fatalf("readyz with the app up: %d %q", code, body)
	}
	_, body := fetch(t, nil, mo+"/metrics")
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"authgo_http_requests_total", []string{"route", "upstream", "code", "2xx"}, 1},
		{"authgo_http_requests_total", []string{"route", "upstream", "code", "3xx"}, 1},
		{"authgo_http_requests_total", []string{"route", "forward_auth", "code", "4xx"}, 1},
		{"authgo_upstream_duration_seconds_count", []string{"proxy", "upstream", "code", "2xx"}, 1},
	} {
		if got := sample(body, c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v; want %v", c.name, c.labels, got, c.want)
		}
	}
	app.Close()
	if code, body := readyzUntil(t, s.origin+"/auth/readyz", http.StatusServiceUnavailable); code != http.StatusServiceUnavailable || body != "not ready: upstream\n" {
		t.Fatalf("readyz with the app down: %d %q", code, body)
	}
	if strings.Contains(s.stderr.String(), "/pub/7?") {
		t.Error("a query in the log")
	}
}

// TestOpsShutdownWebSocket: a WebSocket proxied to the --upstream app
// outlives the start of a shutdown (which http.Server.Shutdown does not
// wait for, once the connection is hijacked): serve stops accepting, the
// socket still carries its message, and serve exits 0 as soon as it
// closes, before the grace runs out.
func TestOpsShutdownWebSocket(t *testing.T) {
	app := newEchoApp(t)
	s := startServeEnv(t, env{"AUTH_SECRET": strings.Repeat("k", 40)}, false, "--addr", "127.0.0.1:0", "--data", t.TempDir(),
		"--upstream", app.URL, "--public", "/:path*", "--shutdown-grace", "10s")
	u, _ := url.Parse(s.origin)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "GET /ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nOrigin: %s\r\n\r\n", u.Host, s.origin)
	br := bufio.NewReader(conn)
	res, err := http.ReadResponse(br, nil)
	if err != nil || res.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("handshake: %v %v", res, err)
	}
	s.cancel() // SIGTERM
	for {
		c, err := net.DialTimeout("tcp", u.Host, time.Second)
		if err != nil {
			break
		}
		c.Close()
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case <-s.done:
		t.Fatal("serve exited with a WebSocket open")
	case <-time.After(200 * time.Millisecond):
	}
	if err := writeFrame(conn, []byte("still here"), true); err != nil {
		t.Fatal(err)
	}
	if b, err := readFrame(br); err != nil || string(b) != "echo : still here" {
		t.Fatalf("the WebSocket after SIGTERM: %q %v", b, err)
	}
	conn.Close() // the app closed its side after the echo; now ours
	select {
	case <-s.done:
	case <-time.After(5 * time.Second): // well within the 10 s grace
		t.Fatal("serve did not exit once the WebSocket closed")
	}
	if s.code != exitOK {
		t.Fatalf("exit %d\n%s", s.code, s.stderr)
	}
}

// TestOpsAccessLogClient: the access log's client is the TCP peer, or
// behind a --trusted-proxy the right-most X-Forwarded-For address that is
// not a trusted proxy's; a client cannot choose it by sending the header.
func TestOpsAccessLogClient(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "client=127.0.0.1 "},
		{[]string{"--trusted-proxy", "127.0.0.1/32"}, "client=203.0.113.9 "},
	} {
		s := startServeEnv(t, env{"AUTH_SECRET": strings.Repeat("k", 40)}, false, append([]string{"--addr", "127.0.0.1:0", "--data", t.TempDir()}, c.args...)...)
		req, _ := http.NewRequest("GET", s.origin+"/auth/providers", nil)
		req.Header.Set("X-Forwarded-For", "198.51.100.1, 203.0.113.9")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		s.stop(t)
		var line string
		for l := range strings.SplitSeq(s.stderr.String(), "\n") {
			if strings.Contains(l, "path=/auth/providers") {
				line = l
			}
		}
		if !strings.Contains(line, c.want) || !strings.Contains(line, "route=providers") {
			t.Errorf("%v: access line %q; want %q", c.args, line, c.want)
		}
	}
}

// TestOpsReadinessShared: concurrent readyz requests share one round of
// checks, and its answer serves for a second: a flood of readyz is not a
// flood of pings.
func TestOpsReadinessShared(t *testing.T) {
	o := &ops{log: slog.New(slog.DiscardHandler)}
	var calls atomic.Int32
	o.addReady("database", func(ctx context.Context) error {
		calls.Add(1)
		time.Sleep(50 * time.Millisecond)
		return errors.New("down")
	})
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if down := o.readiness(); len(down) != 1 || down[0] != "database" {
				t.Errorf("readiness = %v", down)
			}
		})
	}
	wg.Wait()
	if n := calls.Load(); n != 1 {
		t.Fatalf("%d checks for 20 concurrent readyz; want 1", n)
	}
}

// TestInstrumentKeepsOptionalInterfaces: the metrics' store wrappers keep
// the optional interfaces the library finds by type assertion (the
// database's UseOnce and CreateUserWithAccount, Redis's UseOnce), so that
// turning metrics on changes no behaviour; and they count a failure.
func TestInstrumentKeepsOptionalInterfaces(t *testing.T) {
	ctx := t.Context()
	c := &cli{getenv: env{}.get}
	data := dataFlags{dir: t.TempDir()}
	db, err := c.openDatabase(ctx, &data)
	if err != nil {
		t.Fatal(err)
	}
	defer db.close()
	rd := testkit.StartRedis(t, false)
	rdb, err := redisClient(rd.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	for _, revs := range []authgo.RevocationStore{db, redis.NewRevocations(rdb, redis.RevocationsOptions{})} {
		m := newMetrics()
		cfg := authgo.Config{Users: db}
		cfg.Session.Revocations = revs
		cfg.Session.Store = db
		m.instrumentStores(&cfg, db.counter())
		if _, ok := cfg.Session.Revocations.(onceStore); !ok {
			t.Errorf("%T: the wrapped revocations lost UseOnce", revs)
		}
		if _, ok := cfg.Users.(store.UserWithAccountCreator); !ok {
			t.Error("the wrapped users store lost CreateUserWithAccount")
		}
		if _, ok := cfg.Users.(countedPasskeyUsers); !ok {
			t.Errorf("users not wrapped: %T", cfg.Users)
		}
		if _, ok := cfg.Users.(store.AuthenticatorStore); !ok {
			t.Error("the wrapped users store lost the authenticator methods (passkeys)")
		}
	}
	// A store without the optional methods does not gain them.
	m := newMetrics()
	cfg := authgo.Config{Users: struct{ store.UserStore }{db}}
	cfg.Session.Revocations = struct{ authgo.RevocationStore }{db}
	m.instrumentStores(&cfg, nil)
	if _, ok := cfg.Session.Revocations.(onceStore); ok {
		t.Error("UseOnce made up")
	}
	if _, ok := cfg.Users.(store.UserWithAccountCreator); ok {
		t.Error("CreateUserWithAccount made up")
	}
	if _, ok := cfg.Users.(store.AuthenticatorStore); ok {
		t.Error("authenticator methods made up")
	}
	// Failures are counted by store and kind; a caller that went away is not.
	rd.Kill()
	wrapped := authgo.Config{}
	wrapped.Session.Revocations = redis.NewRevocations(rdb, redis.RevocationsOptions{})
	m.instrumentStores(&wrapped, nil)
	if _, _, err := wrapped.Session.Revocations.Check(ctx, "id", "sub"); err == nil {
		t.Fatal("Check with Redis down: no error")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	wrapped.Session.Revocations.Check(cancelled, "id", "sub")
	if n := testutilCount(t, m, "authgo_store_errors_total", "store", "redis", "kind", "revocations"); n != 1 {
		t.Errorf("redis revocation errors = %v; want 1", n)
	}
}

// testutilCount reads one sample of m's registry.
func testutilCount(t *testing.T, m *metrics, name string, labels ...string) float64 {
	t.Helper()
	rec := httptest.NewRecorder()
	m.handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	return sample(rec.Body.String(), name, labels...)
}

// TestLogOutBatches: access-log lines wait (one write for many), any other
// line goes out at once after them, in order; the wait is bounded in time
// and in size, and Flush empties it.
func TestLogOutBatches(t *testing.T) {
	var mu sync.Mutex
	var writes []string
	w := writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		writes = append(writes, string(p))
		return len(p), nil
	})
	got := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), writes...)
	}
	o := &logOut{w: w}
	later := o.Later()
	later.Write([]byte("a1\n"))
	later.Write([]byte("a2\n"))
	if n := len(got()); n != 0 {
		t.Fatalf("access lines written at once: %q", got())
	}
	o.Write([]byte("error\n"))
	if g := got(); len(g) != 2 || g[0] != "a1\na2\n" || g[1] != "error\n" {
		t.Fatalf("writes %q, want the gathered lines then the error line", g)
	}
	later.Write([]byte("a3\n"))
	deadline := time.Now().Add(5 * time.Second)
	for len(got()) < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if g := got(); len(g) != 3 || g[2] != "a3\n" {
		t.Fatalf("a gathered line was not written after the delay: %q", g)
	}
	big := strings.Repeat("x", accessBufferSize)
	later.Write([]byte(big))
	if g := got(); len(g) != 4 || g[3] != big {
		t.Fatalf("a full buffer was not written at once: %d writes", len(g))
	}
	later.Write([]byte("a4\n"))
	o.Flush()
	if g := got(); len(g) != 5 || g[4] != "a4\n" {
		t.Fatalf("Flush: %q", g[len(g)-1])
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
