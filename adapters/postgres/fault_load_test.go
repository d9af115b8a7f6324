//go:build loadtest

package postgres_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/internal/testkit"
)

// outcome is how an answer under load reads.
type outcome int

const (
	signedIn outcome = iota // the session opened
	outage                  // the documented answer of a store that did not answer
	wrong                   // anything else: a problem
)

// probe is one kind of request of the load: a path, sent with a session
// cookie.
type probe struct {
	name, path string
	api        bool // through the proxy: sends X-CSRF: 1
}

var probes = []probe{
	{name: "/session", path: "/auth/session"},
	{name: "guarded page", path: "/mypage/x"},
	{name: "proxy", path: "/api/x", api: true},
}

// leaks are what no body may hold: the database's URL or address, the
// driver's name, SQL, or a stack trace. (The port and the session token
// are added per test.)
var leaks = []string{"postgres://", "postgres@", "pgx", "pgconn", "sqlstate", "select ", "insert ", "delete ",
	`"sessiontoken"`, "authgo_sessions", "goroutine ", "panic", ".go:", "dial tcp", "connection refused", "127.0.0.1"}

// judge reads one answer to p, and reports a problem for anything but a
// signed-in answer or the documented outage answer: /session's null with
// the cookie kept (as Auth.js answers when its adapter throws), and the
// guard's and the proxy's 503 with Retry-After. A signed-out answer (a
// cleared cookie, a redirect to sign in, a 401) is a problem: the store
// not answering is never a sign-out.
func judge(p probe, res *http.Response, body string, secret []string) (outcome, string) {
	lower := strings.ToLower(body)
	for _, l := range append(slices.Clone(leaks), secret...) {
		if strings.Contains(lower, strings.ToLower(l)) {
			return wrong, fmt.Sprintf("body names %q: %.300q", l, body)
		}
	}
	for _, c := range res.Cookies() {
		if strings.HasPrefix(c.Name, "authjs.session-token") && (c.MaxAge < 0 || c.Value == "") {
			return wrong, fmt.Sprintf("%d cleared the session cookie (%.200q)", res.StatusCode, body)
		}
	}
	switch {
	case p.path == "/auth/session" && res.StatusCode == http.StatusOK && strings.Contains(body, `"email":"alice@example.com"`):
		return signedIn, ""
	case p.path == "/auth/session" && res.StatusCode == http.StatusOK && strings.TrimSpace(body) == "null":
		return outage, ""
	case p.path == "/mypage/x" && res.StatusCode == http.StatusOK && body == "Signed in as Alice":
		return signedIn, ""
	case p.api && res.StatusCode == http.StatusOK && body == "upstream ok":
		return signedIn, ""
	case res.StatusCode == http.StatusServiceUnavailable && res.Header.Get("Retry-After") != "" &&
		body == `{"error":"session_unavailable"}` && res.Header.Get("Authgo-Error") == "session_unavailable":
		return outage, ""
	}
	return wrong, fmt.Sprintf("%d (Retry-After %q, Location %q) %.300q", res.StatusCode, res.Header.Get("Retry-After"), res.Header.Get("Location"), body)
}

// tally counts a phase's answers by probe and outcome, and keeps the
// first problems.
type tally struct{ testkit.Tally }

var outcomeNames = [...]string{signedIn: "signed-in", outage: "outage", wrong: "WRONG"}

func (tl *tally) add(p probe, o outcome, problem string, took time.Duration) {
	tl.Count(p.name + " " + outcomeNames[o])
	tl.Took(took)
	if problem != "" {
		tl.Problem("%s: %s", p.name, problem)
	}
}

// of returns the answers with outcome o, over every probe.
func (tl *tally) of(o outcome) int {
	n := 0
	for k, c := range tl.Counts() {
		if strings.HasSuffix(k, " "+outcomeNames[o]) {
			n += c
		}
	}
	return n
}

// TestFaultPostgres: the database strategy on a PostgreSQL of the test's
// own, through the library (authgo.New, a Store on a pgxpool, the
// middleware, the proxy, over HTTP), under load from concurrent clients.
// The server's connections are killed with pg_terminate_backend mid-load,
// then the server is stopped mid-load. Throughout, every answer is either
// signed in or the documented outage answer (/session's null with the
// cookie kept; the guard's and the proxy's 503 with Retry-After), never a
// sign-out, and no body names the database, the driver or SQL, or shows a
// stack trace. While the server is down every answer is the outage one,
// and a sign-out fails with Unavailable and keeps its cookie. Started
// again on the same port and data, the same cookies open again without
// restarting anything (the rows survived), the session whose sign-out
// failed included; its sign-out then works. No session token reaches the
// log.
func TestFaultPostgres(t *testing.T) {
	pg := testkit.StartPostgres(t)
	cfg, err := pgxpool.ParseConfig(pg.URL())
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 8
	cfg.ConnConfig.ConnectTimeout = 2 * time.Second
	pool, err := pgxpool.NewWithConfig(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	srv := httptest.NewUnstartedServer(nil)
	origin := "http://" + srv.Listener.Addr().String()
	s := newSite(t, pool, origin)
	srv.Config.Handler = s.handler
	srv.Start()
	t.Cleanup(srv.Close)

	alice := testkit.NewBrowser(t, origin)
	aliceTok := signIn(t, alice, "alice")
	bob := testkit.NewBrowser(t, origin) // signs out while the server is down
	bobTok := signIn(t, bob, "bob")
	bobCSRF := bob.CSRFToken("/auth/csrf")
	secret := []string{aliceTok, bobTok, ":" + strconv.Itoa(pg.Port())}

	client := testkit.LoadClient(16)
	phase := func(name string, d time.Duration, during func()) *tally {
		tl := &tally{}
		stop := make(chan struct{})
		wg := testkit.Load(16, stop, func(i int) {
			p := probes[i%len(probes)]
			req, _ := http.NewRequest(http.MethodGet, origin+p.path, nil)
			req.Header.Set("Cookie", "authjs.session-token="+aliceTok)
			if p.api {
				req.Header.Set("X-CSRF", "1")
			}
			t0 := time.Now()
			res, err := client.Do(req)
			if err != nil {
				tl.add(p, wrong, err.Error(), time.Since(t0))
				return
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			o, problem := judge(p, res, string(b), secret)
			tl.add(p, o, problem, time.Since(t0))
		})
		if during != nil {
			during()
		}
		time.Sleep(d)
		close(stop)
		wg.Wait()
		tl.Report(t, name)
		return tl
	}

	if up := phase("up", time.Second, nil); up.of(outage) != 0 || up.of(signedIn) == 0 {
		t.Fatalf("with the server up: %v", up.Counts())
	}

	terminated, killer := 0, make(chan struct{})
	phase("backends terminated", 2*time.Second, func() {
		go func() {
			defer close(killer)
			for range 6 {
				time.Sleep(250 * time.Millisecond)
				terminated += pg.TerminateBackends()
			}
		}()
	})
	<-killer
	t.Logf("pg_terminate_backend ended %d connections", terminated)
	if terminated == 0 {
		t.Error("pg_terminate_backend ended no connection under load")
	}

	// Sessions read just before the stop stay in the session cache for
	// up to its TTL (SessionConfig.StoreCache, documented staleness):
	// "stopped" begins once they are gone.
	phase("stopping", authgo.DefaultStoreCache+time.Second, pg.Stop)
	down := phase("stopped", 2*time.Second, nil)
	if down.of(signedIn) != 0 || down.of(outage) == 0 {
		t.Errorf("with the server stopped: %v", down.Counts())
	}
	r := bob.PostForm("/auth/signout", url.Values{"csrfToken": {bobCSRF}})
	if r.StatusCode != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" || bob.Cookie("authjs.session-token") != bobTok ||
		!strings.Contains(r.Text, "Try again shortly") { // the Unavailable page
		t.Errorf("sign-out with the server stopped: %d, Retry-After %q, Location %q, cookie kept %v",
			r.StatusCode, r.Header.Get("Retry-After"), r.Header.Get("Location"), bob.Cookie("authjs.session-token") == bobTok)
	}
	for _, l := range append(slices.Clone(leaks[:len(leaks)-1]), secret...) { // the page may name 127.0.0.1 (the site's origin)
		if strings.Contains(strings.ToLower(r.Text), strings.ToLower(l)) {
			t.Errorf("the sign-out's error page names %q", l)
		}
	}

	pg.Start()
	deadline := time.Now().Add(15 * time.Second)
	for {
		r := alice.Get("/auth/session")
		if strings.Contains(r.Text, `"email":"alice@example.com"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the session did not open again after the restart: %d %.200q", r.StatusCode, r.Text)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if again := phase("restarted", time.Second, nil); again.of(outage) != 0 || again.of(signedIn) == 0 {
		t.Errorf("after the restart: %v", again.Counts())
	}
	if r := bob.Get("/auth/session"); !strings.Contains(r.Text, `"email":"bob@example.com"`) {
		t.Errorf("bob's session, whose sign-out failed, after the restart: %d %.200q", r.StatusCode, r.Text)
	}
	if r := bob.PostForm("/auth/signout", url.Values{"csrfToken": {bobCSRF}}); r.StatusCode != http.StatusFound || bob.Cookie("authjs.session-token") != "" {
		t.Errorf("sign-out after the restart: %d, cookie %q", r.StatusCode, bob.Cookie("authjs.session-token"))
	}
	if r := bob.Send(http.MethodGet, "/auth/session", "", "", "Cookie", "authjs.session-token="+bobTok); strings.TrimSpace(r.Text) != "null" {
		t.Errorf("bob's signed-out session still opens: %.200q", r.Text)
	}

	logs := s.log.String()
	for _, tok := range []string{aliceTok, bobTok, "postgres://"} {
		if strings.Contains(logs, tok) {
			t.Errorf("the log holds %.12q…", tok)
		}
	}
	// Which store the outage reached first (the session or the users
	// store) decides which warning is logged; the others are rate-limited.
	if !strings.Contains(logs, " store unavailable; sessions are refused until it answers") {
		t.Errorf("the outage was not logged:\n%s", s.log.Tail(2000))
	}
}
