package main

import (
	"context"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/authgo/authgo/internal/testidp"
	"github.com/authgo/authgo/internal/testkit"
	"github.com/authgo/authgo/jwt"
)

// pgPassword is put in the URLs the tests give authgo: the test server
// trusts its clients and never asks for it, so it may appear nowhere in
// authgo's output.
const pgPassword = "hunter2-not-in-any-output"

// freshPostgres creates a database of this test alone on the test server,
// drops it at the end, and returns its URL, with pgPassword in it.
// Without a server the test is skipped; under CI=true it fails.
func freshPostgres(t *testing.T) string {
	t.Helper()
	u, err := url.Parse(testkit.FreshPostgres(t))
	if err != nil {
		t.Fatal(err)
	}
	if u.User == nil || u.User.Username() == "" {
		t.Fatalf("AUTHGO_TEST_POSTGRES_URL %s names no user", u.Redacted())
	}
	u.User = url.UserPassword(u.User.Username(), pgPassword)
	return u.String()
}

// pgQuery runs a query on the database at dsn and returns its one row.
func pgQuery(t *testing.T, dsn, query string, dest ...any) {
	t.Helper()
	c, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	if err := c.QueryRow(t.Context(), query).Scan(dest...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// noPassword fails the test when out holds pgPassword.
func noPassword(t *testing.T, what, out string) {
	t.Helper()
	if strings.Contains(out, pgPassword) {
		t.Errorf("%s shows the database password:\n%s", what, out)
	}
}

// TestMigratePostgres: serve and the user commands refuse a database
// authgo migrate has not made, naming the command; migrate prints a line
// per change, then "up to date"; the password of the URL is in no output.
func TestMigratePostgres(t *testing.T) {
	dsn := freshPostgres(t)
	redacted := strings.Replace(dsn, pgPassword, "xxxxx", 1)
	e := env{"AUTH_SECRET": strings.Repeat("s", 40)}
	for _, args := range [][]string{
		{"serve", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--db", dsn},
		{"user", "list", "--data", t.TempDir(), "--db", dsn},
		{"user", "add", "--data", t.TempDir(), "--db", dsn, "alice"},
	} {
		code, stdout, stderr := runInEnvStdin(t, e, "password\n", args...)
		noPassword(t, "a refusal", stdout+stderr)
		if code != exitFail || !strings.Contains(stderr, "database "+redacted+" is not migrated (missing verification_token, accounts, sessions, users, authgo_sessions,") ||
			!strings.Contains(stderr, `run "authgo migrate --db `+redacted+`"`) {
			t.Errorf("%q on an empty database: exit %d\n%s", args[:2], code, stderr)
		}
	}

	code, stdout, stderr := runInEnv(t, env{}, "migrate", "--db", dsn)
	noPassword(t, "migrate", stdout+stderr)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	for _, want := range []string{"created Auth.js table users", "created table authgo_sessions", "created table authgo_credentials",
		"created table authgo_used", "created unique index authgo_sessions_token_key"} {
		if !slices.Contains(lines, want) {
			t.Errorf("migrate printed no line %q", want)
		}
	}
	if code != 0 || len(lines) < 10 || !strings.Contains(stderr, "migrated "+redacted) {
		t.Fatalf("migrate = %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	// AUTH_DATABASE_URL does what --db does.
	code, stdout, stderr = runInEnv(t, env{"AUTH_DATABASE_URL": dsn}, "migrate")
	noPassword(t, "migrate", stdout+stderr)
	if code != 0 || stdout != "up to date\n" {
		t.Fatalf("second migrate = %d %q %s", code, stdout, stderr)
	}

	// A database an older authgo migrated (without the password users'
	// table) is refused until migrated again.
	pgQuery(t, dsn, `WITH d AS (DELETE FROM authgo_migrations WHERE change = 'created table authgo_credentials') SELECT 1`, new(int))
	c, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(t.Context(), `DROP TABLE authgo_credentials`); err != nil {
		t.Fatal(err)
	}
	c.Close(t.Context())
	code, _, stderr = runInEnv(t, e, "serve", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--db", dsn)
	if code != exitFail || !strings.Contains(stderr, "is not migrated (missing authgo_credentials)") || !strings.Contains(stderr, "authgo migrate --db") {
		t.Fatalf("serve on an older schema: exit %d\n%s", code, stderr)
	}
	if code, stdout, _ := runInEnv(t, env{}, "migrate", "--db", dsn); code != 0 || stdout != "created table authgo_credentials\n" {
		t.Fatalf("migrate of the older schema = %d %q", code, stdout)
	}

	// Nobody answers: one line, no password.
	bad := "postgres://postgres:" + pgPassword + "@" + freeAddr(t) + "/authgo?connect_timeout=2"
	code, stdout, stderr = runInEnv(t, env{}, "user", "list", "--db", bad)
	noPassword(t, "a connection failure", stdout+stderr)
	if code != exitFail || !strings.Contains(stderr, "cannot connect") || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Fatalf("user list on an unreachable database: exit %d\n%s", code, stderr)
	}
}

// sessionSub returns the sub of the JWT session cookie in a Cookie header.
func sessionSub(t *testing.T, cookie, secret string) string {
	t.Helper()
	_, v, _ := strings.Cut(cookie, "=")
	tok, err := jwt.Decode(jwt.DecodeParams{Token: v, Secrets: []string{secret}})
	if err != nil {
		t.Fatalf("session cookie: %v", err)
	}
	return tok.Subject
}

// TestServePostgres: authgo serve --db postgres://… keeps everything in
// PostgreSQL. Under the JWT strategy, a password user's and an OIDC
// user's sub is their users row id (the SERIAL integer), with an accounts
// row for each sign-in; the user commands work on the database; under the
// database strategy a session is a row that survives a restart, that
// user sessions lists and user signout --session ends.
func TestServePostgres(t *testing.T) {
	dsn := freshPostgres(t)
	if code, _, stderr := runInEnv(t, env{}, "migrate", "--db", dsn); code != 0 {
		t.Fatalf("migrate: %s", stderr)
	}
	data := filepath.Join(t.TempDir(), "data")
	if code, _, stderr := runInEnvStdin(t, env{}, "alice-first\n", "user", "add", "--data", data, "--db", dsn, "--name", "Alice", "--email", "alice@example.com", "alice"); code != 0 ||
		!strings.Contains(stderr, `added user "alice" (id 1) to `+strings.Replace(dsn, pgPassword, "xxxxx", 1)) {
		t.Fatalf("user add: %d %s", code, stderr)
	}

	const secret = "postgres-test-secret-0123456789abcdef0123"
	idp := testidp.New(t, testidp.Options{Users: []testidp.User{{ID: "u-7", Username: "ida", Password: "secret", Email: "ida@example.com", EmailVerified: true, Name: "Ida"}}})
	e := env{"AUTH_SECRET": secret, "AUTH_DATABASE_URL": dsn,
		"AUTH_OIDC_ISSUER": idp.Issuer(), "AUTH_OIDC_ID": "authgo-serve", "AUTH_OIDC_SECRET": "client-secret"}
	srv := startServeEnv(t, e, false, "--addr", "127.0.0.1:0", "--data", data)
	idp.AddClient(testidp.Client{ID: "authgo-serve", Secret: "client-secret", RedirectURIs: []string{srv.origin + "/auth/callback/oidc"}})

	// A password user: sub is the users row id, and the sign-in is an
	// accounts row of type credentials.
	b := newBrowser(t, srv.origin)
	if res := b.signIn(b.csrfToken(), "alice", "alice-first"); res.status != http.StatusFound || strings.Contains(res.header.Get("Location"), "error") {
		t.Fatalf("sign-in: %d %s", res.status, res.header.Get("Location"))
	}
	if sub := sessionSub(t, b.sessionCookieOf(), secret); sub != "1" {
		t.Fatalf("alice's sub = %q, want her users row id 1", sub)
	}
	var accType, accID string
	pgQuery(t, dsn, `SELECT type, "providerAccountId" FROM accounts WHERE "userId" = 1 AND provider = 'credentials'`, &accType, &accID)
	if accType != "credentials" || accID != "1" {
		t.Fatalf("alice's accounts row: type %q, providerAccountId %q", accType, accID)
	}
	// An OIDC user: a new users row; sub is its id, not the provider's.
	ob := newBrowser(t, srv.origin)
	r := ob.postForm("/auth/signin/oidc", url.Values{"csrfToken": {ob.csrfToken()}, "callbackUrl": {"/"}})
	back, err := idp.Login(t.Context(), ob.Client, r.header.Get("Location"), "ida", "secret")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(back)
	if r := ob.get(u.RequestURI()); r.status != http.StatusFound || r.header.Get("Location") != srv.origin+"/" {
		t.Fatalf("OIDC callback: %d %q", r.status, r.header.Get("Location"))
	}
	if sub := sessionSub(t, ob.sessionCookieOf(), secret); sub != "2" {
		t.Fatalf("ida's sub = %q, want her users row id 2", sub)
	}
	var idaUser int
	pgQuery(t, dsn, `SELECT "userId" FROM accounts WHERE provider = 'oidc' AND "providerAccountId" = 'u-7'`, &idaUser)
	if idaUser != 2 {
		t.Fatalf("ida's accounts row belongs to user %d", idaUser)
	}
	// Ten wrong passwords lock bob out, in PostgreSQL: user list shows
	// it, user unlock ends it.
	if code, _, stderr := runInEnvStdin(t, env{}, "bob-password\n", "user", "add", "--db", dsn, "--data", data, "bob"); code != 0 {
		t.Fatalf("user add bob: %s", stderr)
	}
	for range userMaxFailures {
		b.signIn(b.csrfToken(), "bob", "wrong")
	}
	if res := b.signIn(b.csrfToken(), "bob", "bob-password"); !strings.Contains(res.header.Get("Location"), "code=rate_limited") {
		t.Fatalf("bob's sign-in after %d failures: %s", userMaxFailures, res.header.Get("Location"))
	}
	if _, out, _ := runInEnv(t, env{}, "user", "list", "--db", dsn, "--data", data); !regexp.MustCompile(`(?m)^bob\s+3\s.*locked for \d+ minutes \(authgo user unlock bob\)$`).MatchString(out) {
		t.Fatalf("user list does not show bob's lockout:\n%s", out)
	}
	if code, _, stderr := runInEnv(t, env{}, "user", "unlock", "--db", dsn, "--data", data, "bob"); code != 0 || !strings.Contains(stderr, `unlocked "bob"`) {
		t.Fatalf("user unlock = %d %s", code, stderr)
	}
	if res := b.signIn(b.csrfToken(), "bob", "bob-password"); res.status != http.StatusFound || strings.Contains(res.header.Get("Location"), "error") {
		t.Fatalf("bob's sign-in after unlock: %s", res.header.Get("Location"))
	}
	if code := srv.stop(t); code != 0 {
		t.Fatalf("serve exited %d", code)
	}
	noPassword(t, "serve's log", srv.stderr.String()+srv.stdout.String())

	// The user commands on PostgreSQL.
	code, out, _ := runInEnv(t, env{"AUTH_DATABASE_URL": dsn}, "user", "list", "--data", data)
	if code != 0 || !regexp.MustCompile(`(?m)^alice\s+1\s+Alice\s+alice@example\.com\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\s+ok$`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^bob\s+3\s+\S+\s+-\s.*\sok$`).MatchString(out) {
		t.Fatalf("user list = %d\n%s", code, out)
	}
	if code, out, stderr := runInEnv(t, env{}, "user", "sessions", "--db", dsn, "--data", data, "alice"); code != 0 || out != "ID  SIGNED IN  LAST SEEN  EXPIRES  CLIENT  USER AGENT\n" ||
		!strings.Contains(stderr, "Under the JWT strategy (serve's default) sessions live in the browsers' cookies") {
		t.Fatalf("user sessions under JWT = %d %q %s", code, out, stderr)
	}

	// The database strategy: a session is a row, kept across a restart,
	// listed by user sessions, ended by user signout --session.
	srv = startServeEnv(t, e, false, "--addr", "127.0.0.1:0", "--data", data, "--session-strategy", "database")
	b = newBrowser(t, srv.origin)
	if res := b.signIn(b.csrfToken(), "alice", "alice-first"); res.status != http.StatusFound || strings.Contains(res.header.Get("Location"), "error") {
		t.Fatalf("sign-in: %d %s", res.status, res.header.Get("Location"))
	}
	kept := b.sessionCookieOf()
	var rows int
	pgQuery(t, dsn, `SELECT count(*) FROM sessions WHERE "userId" = 1`, &rows)
	if rows != 1 {
		t.Fatalf("%d sessions rows for alice, want 1", rows)
	}
	srv.stop(t)
	srv = startServeEnv(t, e, false, "--addr", "127.0.0.1:0", "--data", data, "--session-strategy", "database")
	if body := replay(t, srv.origin, kept); !strings.Contains(body, `"name":"Alice","email":"alice@example.com"`) {
		t.Fatalf("the database session after a restart: %s", body)
	}
	other := newBrowser(t, srv.origin)
	if res := other.signIn(other.csrfToken(), "alice", "alice-first"); res.status != http.StatusFound || strings.Contains(res.header.Get("Location"), "error") {
		t.Fatalf("second sign-in: %d %s", res.status, res.header.Get("Location"))
	}
	code, out, stderr := runInEnv(t, env{}, "user", "sessions", "--db", dsn, "--data", data, "alice")
	listed := regexp.MustCompile(`(?m)^([A-Za-z0-9_-]{43})\s+\d{4}-\d\d-\d\dT\S+Z\s+\d{4}-\d\d-\d\dT\S+Z\s+\d{4}-\d\d-\d\dT\S+Z\s+127\.0\.0\.1\s+\S`).FindAllStringSubmatch(out, -1)
	if code != 0 || len(listed) != 2 {
		t.Fatalf("user sessions = %d\n%s%s", code, out, stderr)
	}
	// The one seen last (the second sign-in) comes first: end the other.
	id := listed[1][1]
	if code, _, stderr := runInEnv(t, env{}, "user", "signout", "--db", dsn, "--data", data, "--session", "not-"+id, "alice"); code != exitFail || !strings.Contains(stderr, "has no session") {
		t.Fatalf("user signout of an unknown session = %d %s", code, stderr)
	}
	if replay(t, srv.origin, kept) == "null" {
		t.Fatal("signing out an unknown session ended alice's")
	}
	if code, _, stderr := runInEnv(t, env{}, "user", "signout", "--db", dsn, "--data", data, "--session", id, "alice"); code != 0 || !strings.Contains(stderr, "ended session "+id) {
		t.Fatalf("user signout --session = %d %s", code, stderr)
	}
	if body, ended := replayEnded(t, srv.origin, kept); !ended {
		t.Fatalf("the session after user signout --session: %s", body)
	}
	otherCookie := other.sessionCookieOf()
	if body := replay(t, srv.origin, otherCookie); !strings.Contains(body, `"name":"Alice"`) {
		t.Fatalf("alice's other session after ending one: %s", body)
	}

	// passwd ends the other session too (its row is deleted) and changes
	// the password.
	if code, _, stderr := runInEnvStdin(t, env{}, "alice-second\n", "user", "passwd", "--db", dsn, "--data", data, "alice"); code != 0 {
		t.Fatalf("user passwd: %d %s", code, stderr)
	}
	if body, ended := replayEnded(t, srv.origin, otherCookie); !ended {
		t.Fatalf("a session after user passwd: %s", body)
	}
	pgQuery(t, dsn, `SELECT count(*) FROM sessions WHERE "userId" = 1`, &rows)
	if rows != 0 {
		t.Fatalf("%d sessions rows for alice after user passwd", rows)
	}
	b = newBrowser(t, srv.origin)
	if res := b.signIn(b.csrfToken(), "alice", "alice-first"); !strings.Contains(res.header.Get("Location"), "error=CredentialsSignin") {
		t.Fatalf("the old password still works: %s", res.header.Get("Location"))
	}
	if res := b.signIn(b.csrfToken(), "alice", "alice-second"); res.status != http.StatusFound || strings.Contains(res.header.Get("Location"), "error") {
		t.Fatalf("sign-in with the new password: %d %s", res.status, res.header.Get("Location"))
	}

	// delete: the user, their accounts and sessions are gone.
	if code, _, stderr := runInEnv(t, env{}, "user", "delete", "--db", dsn, "--data", data, "alice"); code != 0 {
		t.Fatalf("user delete: %d %s", code, stderr)
	}
	var left int
	pgQuery(t, dsn, `SELECT (SELECT count(*) FROM users WHERE id = 1) + (SELECT count(*) FROM accounts WHERE "userId" = 1)
		+ (SELECT count(*) FROM sessions WHERE "userId" = 1) + (SELECT count(*) FROM authgo_credentials WHERE user_id = 1)`, &left)
	if left != 0 {
		t.Fatalf("%d rows of alice left", left)
	}
	if code, _, stderr := runInEnv(t, env{}, "user", "sessions", "--db", dsn, "alice"); code != exitFail || !strings.Contains(stderr, `no user "alice" in postgres://`) {
		t.Fatalf("user sessions of a deleted user = %d %s", code, stderr)
	}
	if code := srv.stop(t); code != 0 {
		t.Fatalf("serve exited %d", code)
	}
	noPassword(t, "serve's log", srv.stderr.String())
}

// runInEnvStdin is runInEnv with stdin.
func runInEnvStdin(t *testing.T, e env, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, s strings.Builder
	code = run(t.Context(), args, strings.NewReader(stdin), &o, &s, e.get)
	return code, o.String(), s.String()
}
