package authgo_test

import (
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/internal/testkit"
)

// debugLogger returns a logger that keeps every record, Debug included.
func debugLogger() (*slog.Logger, *testkit.Buffer) {
	buf := new(testkit.Buffer)
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

// setDefaultLogger points slog.Default at a text handler over a buffer, at
// level, until the test ends.
func setDefaultLogger(t *testing.T, level slog.Level) *testkit.Buffer {
	buf := new(testkit.Buffer)
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: level})))
	t.Cleanup(func() { slog.SetDefault(old) })
	return buf
}

// TestNilLoggerSendsErrorsToDefault: with Config.Logger nil an error (a
// sign-out that could not be revoked: the store went down after the
// sign-in) reaches slog.Default, set after New, and a warning (the store
// down on a session read) does not. With a Logger
// both reach it, so the warning path is really taken.
func TestNilLoggerSendsErrorsToDefault(t *testing.T) {
	const errMsg, warnMsg = "the session could not be revoked", "revocation store unavailable"
	run := func(logger *slog.Logger) {
		t.Helper()
		store := &flakyRevocations{RevocationStore: authgo.NewMemoryRevocations()}
		a := newAuth(t, func(c *authgo.Config) {
			c.Logger = logger
			c.Session.Revocations = store
		})
		c := newClient(t, a)
		c.signIn(O, "alice", "wonderland")
		store.down.Store(true)
		if r := c.get(O + "/auth/session"); r.body != "null" {
			t.Fatalf("session with the store down: %s", r.body)
		}
		if r := c.postForm(O+"/auth/signout", url.Values{"csrfToken": {c.csrf(O)}}); r.StatusCode != 302 {
			t.Fatalf("sign-out: %d", r.StatusCode)
		}
	}

	def := setDefaultLogger(t, slog.LevelDebug) // after New would do too: see logs.Fallback
	run(nil)
	got := def.String()
	if !strings.Contains(got, "level=ERROR msg=\"authgo: "+errMsg) {
		t.Errorf("the default logger lacks the error:\n%s", got)
	}
	if strings.Contains(got, warnMsg) || strings.Contains(got, "level=WARN") || strings.Contains(got, "level=INFO") {
		t.Errorf("the default logger got more than errors:\n%s", got)
	}

	l, buf := debugLogger()
	run(l)
	if got := buf.String(); !strings.Contains(got, errMsg) || !strings.Contains(got, warnMsg) {
		t.Errorf("Config.Logger lacks the error or the warning:\n%s", got)
	}
	if strings.Contains(def.String(), warnMsg) || strings.Count(def.String(), errMsg) != 1 {
		t.Errorf("with a Logger set, the default logger got records:\n%s", def.String())
	}
}

// TestDebugNilLogger: Debug with Logger nil hands debug lines to
// slog.Default even though its handler drops debug records itself.
func TestDebugNilLogger(t *testing.T) {
	def := setDefaultLogger(t, slog.LevelInfo)
	a := newAuth(t, func(c *authgo.Config) { c.Debug = true })
	newClient(t, a).get(O + "/auth/session")
	if got := def.String(); !strings.Contains(got, "level=DEBUG") || !strings.Contains(got, "state=absent") {
		t.Fatalf("default logger:\n%s", got)
	}
}

// TestDebugLog: with Config.Debug a sign-in, a session read, a refresh and
// a refused page each log the decision taken, and nothing the log holds is
// a secret: no cookie value, no Config.Secret, no password, no access or
// refresh token, no CSRF token.
func TestDebugLog(t *testing.T) {
	l, buf := debugLogger()
	clk := newClock()
	b := newBackend(t, 5*time.Minute, clk.Now)
	_, h := tokenSite(t, b, clk, func(c *authgo.Config) {
		c.Logger, c.Debug = l, true
		c.Providers = append(c.Providers, testProvider(t))
	})

	var secrets []string
	keep := func(c *client) {
		for _, ck := range c.Cookies() {
			secrets = append(secrets, ck.Value)
		}
	}
	c := newClient(t, h)
	signInBackend(t, c)
	keep(c)
	tok := tokenOf(t, c.Cookie("authjs.session-token"))
	secrets = append(secrets, tok.StringClaim("access_token"), tok.StringClaim("refresh_token"))
	if s := c.session(O); s["user"] == nil {
		t.Fatalf("session %v", s)
	}
	clk.Add(10 * time.Minute)
	if r := c.get(O + "/api/x"); r.StatusCode != 200 || r.body == secrets[len(secrets)-2] {
		t.Fatalf("api after expiry: %d %s", r.StatusCode, r.body)
	}
	keep(c)
	tok = tokenOf(t, c.Cookie("authjs.session-token"))
	secrets = append(secrets, tok.StringClaim("access_token"), tok.StringClaim("refresh_token"))
	if r := newClient(t, h).get(O + "/api/x"); r.StatusCode != 302 {
		t.Fatalf("signed out: %d", r.StatusCode)
	}
	if r := c.postForm(O+"/auth/signout", url.Values{"csrfToken": {"forged"}}); r.StatusCode != 302 {
		t.Fatalf("forged sign-out: %d", r.StatusCode)
	}
	alice := newClient(t, h)
	alice.signIn(O, "alice", "wonderland")
	keep(alice)

	got := buf.String()
	for _, want := range []string{
		`msg="authgo: CSRF check" request.method=POST request.path=/auth/callback/backend result=passed`,
		`msg="authgo: credentials accepted" provider=backend tokens=true`,
		`msg="authgo: signed in: session cookie set" provider=backend provider_tokens=true`,
		`msg="authgo: endpoint answered" request.method=POST request.path=/auth/callback/backend action=callback provider=backend status=302`,
		`msg="authgo: session" request.method=GET request.path=/auth/session state=found`,
		`msg="authgo: middleware: session" request.method=GET request.path=/api/x state=found`,
		`msg="authgo: refresh attempted: new access token"`,
		`msg="authgo: middleware: allowed" request.method=GET request.path=/api/x why="signed in" cookie_reissued=true`,
		`msg="authgo: middleware: session" request.method=GET request.path=/api/x state=absent`,
		`msg="authgo: middleware: redirected to the sign-in page" request.method=GET request.path=/api/x why="no session" status=302`,
		`result="failed: the posted csrfToken does not match the cookie"`,
		`msg="authgo: endpoint refused the request" request.method=POST request.path=/auth/signout action=signout provider="" code=MissingCSRF`,
		`msg="authgo: credentials accepted" provider=credentials tokens=false`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the debug log lacks %s", want)
		}
	}
	secrets = append(secrets, testSecret, "wonderland", "pw")
	for _, s := range secrets {
		if s == "" {
			t.Fatal("a secret to look for is empty")
		}
		if strings.Contains(got, s) {
			t.Errorf("the debug log holds a secret: %.20q…", s)
		}
	}
	if t.Failed() {
		t.Logf("log:\n%s", got)
	}
}
