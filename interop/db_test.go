package interop_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/authgo/authgo/adapters/postgres"
	"github.com/authgo/authgo/internal/testidp"
	"github.com/authgo/authgo/internal/testkit"
)

// The shared-database tests: authgo (adapters/postgres, the database
// strategy) and the real Auth.js (@auth/core with @auth/pg-adapter, also
// the database strategy) on one fresh PostgreSQL database each, signing in
// through one in-process OP (internal/testidp) as provider "oidc". Each
// side's sessions must open on the other, end on the other, and find the
// other's users and accounts.

// base64url43 is authgo's session token: 32 random bytes, base64url.
var base64url43 = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

// sessionBody is the JSON of GET /auth/session.
type sessionBody struct {
	User    map[string]any `json:"user"`
	Expires string         `json:"expires"`
}

// readSession sends the session cookie token to base's GET /auth/session
// from a browser of its own and returns the answer, and its body parsed
// (nil for null).
func readSession(t *testing.T, base, token string) (*reply, *sessionBody) {
	t.Helper()
	r := newBrowser(t, base).get("/auth/session", "Cookie", "authjs.session-token="+token)
	if r.status != http.StatusOK {
		t.Fatalf("%s: GET /auth/session: %d %.300s", base, r.status, r.body)
	}
	if strings.TrimSpace(r.body) == "null" {
		return r, nil
	}
	var s sessionBody
	if err := json.Unmarshal([]byte(r.body), &s); err != nil {
		t.Fatalf("%s: session body %.300q: %v", base, r.body, err)
	}
	return r, &s
}

// whoami returns the sub authgo's server code sees for the session token,
// or "" when it sees none.
func whoami(t *testing.T, ag, token string) string {
	t.Helper()
	r := newBrowser(t, ag).get("/whoami", "Cookie", "authjs.session-token="+token)
	switch r.status {
	case http.StatusOK:
		return r.body
	case http.StatusUnauthorized:
		return ""
	}
	t.Fatalf("authgo /whoami: %d %.200s", r.status, r.body)
	return ""
}

// sessionRow reads the sessions row of token: its user id and expiry; ok
// is false when there is none.
func sessionRow(t *testing.T, pool *pgxpool.Pool, token string) (userID int, expires time.Time, ok bool) {
	t.Helper()
	err := pool.QueryRow(t.Context(), `SELECT "userId", expires FROM sessions WHERE "sessionToken" = $1`, token).Scan(&userID, &expires)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, time.Time{}, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return userID, expires, true
}

// count runs a SELECT count(*) query.
func count(t *testing.T, pool *pgxpool.Pool, query string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(t.Context(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// userRow is a users row.
type userRow struct {
	ID            int
	Name          *string
	Email         *string
	EmailVerified *time.Time
	Image         *string
}

// userByEmail reads the one users row with email.
func userByEmail(t *testing.T, pool *pgxpool.Pool, email string) userRow {
	t.Helper()
	var u userRow
	if n := count(t, pool, `SELECT count(*) FROM users WHERE email = $1`, email); n != 1 {
		t.Fatalf("%d users rows for %s, want 1", n, email)
	}
	err := pool.QueryRow(t.Context(), `SELECT id, name, email, "emailVerified", image FROM users WHERE email = $1`, email).
		Scan(&u.ID, &u.Name, &u.Email, &u.EmailVerified, &u.Image)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func strp(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}

// wantUser is the session JSON's user for a users row.
func (u userRow) json() map[string]any {
	return map[string]any{"name": strp(u.Name), "email": strp(u.Email), "image": strp(u.Image)}
}

// jsISO is a time as JavaScript's toISOString writes it.
func jsISO(tm time.Time) string { return tm.UTC().Format("2006-01-02T15:04:05.000Z") }

// sameExpires reports whether shown, the expires of a session body, is
// the row's expiry exp, to the millisecond, on both sides: authgo shows
// the row's milliseconds as Auth.js does, and writes its own rows with
// them.
func sameExpires(shown string, exp time.Time) bool {
	return shown == jsISO(exp)
}

// near fails unless got is within a minute of want.
func near(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if d := got.Sub(want); d < -time.Minute || d > time.Minute {
		t.Errorf("%s = %v, want about %v (off by %v)", what, got, want, d)
	}
}

// checkSession checks that both servers open the session token as the
// users row u, with the same body, the row's expiry as expires, and that
// authgo's server code sees sub u.ID.
func checkSession(t *testing.T, pool *pgxpool.Pool, js, ag, token string, u userRow) {
	t.Helper()
	uid, exp, ok := sessionRow(t, pool, token)
	if !ok || uid != u.ID {
		t.Fatalf("sessions row of the token: user %d (found %v), want %d", uid, ok, u.ID)
	}
	var bodies []sessionBody
	for _, s := range []struct{ name, base string }{{"Auth.js", js}, {"authgo", ag}} {
		_, b := readSession(t, s.base, token)
		if b == nil {
			t.Fatalf("%s does not open the session", s.name)
		}
		if !reflect.DeepEqual(b.User, u.json()) {
			t.Errorf("%s: session user %v, want %v", s.name, b.User, u.json())
		}
		if !sameExpires(b.Expires, exp) {
			t.Errorf("%s: session expires %q, want the row's %q", s.name, b.Expires, jsISO(exp))
		}
		b.Expires = "" // compared above
		bodies = append(bodies, *b)
	}
	if !reflect.DeepEqual(bodies[0], bodies[1]) {
		t.Errorf("session bodies differ\nAuth.js: %+v\n authgo: %+v", bodies[0], bodies[1])
	}
	if sub := whoami(t, ag, token); sub != strconv.Itoa(u.ID) {
		t.Errorf("authgo's sub for the session: %q, want %d", sub, u.ID)
	}
}

// newSharedDB starts the OP (carol, dave), a fresh database whose schema
// schema makes, Auth.js on it, and authgo after migrate (which runs first
// when the schema is not authgo's).
type sharedDB struct {
	pool   *pgxpool.Pool
	dsn    string
	idp    *testidp.IDP
	js, ag string
}

func newSharedDB(t *testing.T, jsEnv map[string]string) *sharedDB {
	t.Helper()
	pgAdapterAvailable(t)
	pool, dsn := freshDatabase(t)
	if _, err := postgres.Migrate(t.Context(), pool); err != nil {
		t.Fatal(err)
	}
	idp := testidp.New(t, testidp.Options{Users: []testidp.User{carol, dave}})
	return &sharedDB{pool: pool, dsn: dsn, idp: idp,
		js: startAuthJSDB(t, dsn, idp, jsEnv), ag: startAuthgoDB(t, pool, idp)}
}

// TestSharedDBMigratedSchema: on a schema postgres.Migrate made, Auth.js
// with pg-adapter signs carol in through the OP, and its users, accounts
// and sessions rows are those pg-adapter writes; the session opens on both.
func TestSharedDBMigratedSchema(t *testing.T) {
	t.Parallel()
	db := newSharedDB(t, nil)
	start := time.Now()
	bj := newBrowser(t, db.js)
	oidcSignIn(t, bj, db.idp, carol)
	tok := bj.Cookie("authjs.session-token")
	if !uuidV4.MatchString(tok) {
		t.Errorf("Auth.js's session token %q is not a UUID v4", tok)
	}

	u := userByEmail(t, db.pool, carol.Email)
	if strp(u.Name) != carol.Name || strp(u.Image) != carol.Picture || u.EmailVerified != nil {
		t.Errorf("users row %+v, want name %q, image %q, emailVerified NULL", u.json(), carol.Name, carol.Picture)
	}
	var (
		uid                                     int
		typ, prov, provID, access, idTok, tType string
		expiresAt                               int64
	)
	err := db.pool.QueryRow(t.Context(), `SELECT "userId", type, provider, "providerAccountId", access_token, id_token, token_type, expires_at FROM accounts`).
		Scan(&uid, &typ, &prov, &provID, &access, &idTok, &tType, &expiresAt)
	if err != nil {
		t.Fatalf("the accounts row: %v", err)
	}
	if uid != u.ID || typ != "oidc" || prov != "oidc" || provID != carol.ID || access == "" || idTok == "" {
		t.Errorf("accounts row: user %d type %q provider %q id %q, access token %d bytes, ID token %d bytes; want user %d oidc oidc %q",
			uid, typ, prov, provID, len(access), len(idTok), u.ID, carol.ID)
	}
	near(t, "accounts.expires_at", time.Unix(expiresAt, 0), start.Add(5*time.Minute)) // the OP's access tokens last 5 minutes

	_, exp, ok := sessionRow(t, db.pool, tok)
	if !ok {
		t.Fatal("no sessions row holds Auth.js's token raw")
	}
	near(t, "sessions.expires", exp, start.Add(30*24*time.Hour))
	if n := count(t, db.pool, `SELECT count(*) FROM sessions`); n != 1 {
		t.Errorf("%d sessions rows, want 1", n)
	}
	s := adapterSessionOf(t, db.dsn, tok)
	if s == nil || s.User.ID != u.ID || s.Session.SessionToken != tok {
		t.Errorf("pg-adapter's getSessionAndUser: %+v", s)
	}
	checkSession(t, db.pool, db.js, db.ag, tok, u)
}

// TestSharedDBAdoptsPgAdapterSchema: a database whose schema pg-adapter's
// schema.sql made, with Auth.js's rows in it, is adopted by Migrate (its
// own tables and indexes only), then Auth.js's session opens on authgo,
// authgo's on Auth.js, and a second Migrate has nothing to do.
func TestSharedDBAdoptsPgAdapterSchema(t *testing.T) {
	t.Parallel()
	pgAdapterAvailable(t)
	pool, dsn := freshDatabase(t)
	if _, err := pool.Exec(t.Context(), testkit.PGAdapterSchema); err != nil {
		t.Fatal(err)
	}
	idp := testidp.New(t, testidp.Options{Users: []testidp.User{carol, dave}})
	js := startAuthJSDB(t, dsn, idp, nil)
	bj := newBrowser(t, js)
	oidcSignIn(t, bj, idp, carol)
	jsTok := bj.Cookie("authjs.session-token")

	applied, err := postgres.Migrate(t.Context(), pool)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"created table authgo_sessions", "created unique index authgo_sessions_token_key", "created unique index authgo_accounts_provider_key"} {
		if !slices.Contains(applied, want) {
			t.Errorf("Migrate did not say %q: %q", want, applied)
		}
	}
	for _, line := range applied {
		if strings.Contains(line, "Auth.js table") || strings.HasPrefix(line, "skipped") {
			t.Errorf("Migrate on pg-adapter's schema: %q", line)
		}
	}
	if again, err := postgres.Migrate(t.Context(), pool); err != nil || len(again) != 0 {
		t.Errorf("a second Migrate: %q, %v", again, err)
	}

	ag := startAuthgoDB(t, pool, idp)
	carolRow := userByEmail(t, pool, carol.Email)
	checkSession(t, pool, js, ag, jsTok, carolRow)

	// Both sides sign in on the adopted schema: authgo's OIDC sign-in finds
	// Auth.js's user; dave is new to both.
	bg := newBrowser(t, ag)
	oidcSignIn(t, bg, idp, carol)
	checkSession(t, pool, js, ag, bg.Cookie("authjs.session-token"), carolRow)
	bg2 := newBrowser(t, ag)
	oidcSignIn(t, bg2, idp, dave)
	checkSession(t, pool, js, ag, bg2.Cookie("authjs.session-token"), userByEmail(t, pool, dave.Email))
	bj2 := newBrowser(t, js)
	oidcSignIn(t, bj2, idp, dave)
	checkSession(t, pool, js, ag, bj2.Cookie("authjs.session-token"), userByEmail(t, pool, dave.Email))
	if n := count(t, pool, `SELECT count(*) FROM users`); n != 2 {
		t.Errorf("%d users rows, want 2", n)
	}
}

// TestSharedDBAuthgoSessionsOpenInAuthJS: authgo's credentials and OIDC
// sign-ins write sessions whose cookie (authgo's 43-character token, raw in
// "sessionToken") opens in Auth.js's GET /auth/session as the same user.
func TestSharedDBAuthgoSessionsOpenInAuthJS(t *testing.T) {
	t.Parallel()
	db := newSharedDB(t, nil)
	start := time.Now()

	t.Run("credentials", func(t *testing.T) {
		bg := newBrowser(t, db.ag)
		bg.signIn("alice", "wonderland")
		tok := bg.Cookie("authjs.session-token")
		if !base64url43.MatchString(tok) {
			t.Fatalf("authgo's session token %q is not 43 base64url characters", tok)
		}
		u := userByEmail(t, db.pool, "alice@example.com")
		if strp(u.Name) != "Alice" || strp(u.Image) != "https://example.com/alice.png" {
			t.Errorf("alice's users row: %+v", u.json())
		}
		if n := count(t, db.pool, `SELECT count(*) FROM accounts WHERE "userId" = $1 AND type = 'credentials' AND provider = 'credentials' AND "providerAccountId" = 'user-1'`, u.ID); n != 1 {
			t.Errorf("%d credentials accounts rows for alice, want 1", n)
		}
		_, exp, _ := sessionRow(t, db.pool, tok)
		near(t, "sessions.expires", exp, start.Add(30*24*time.Hour))
		checkSession(t, db.pool, db.js, db.ag, tok, u)
		s := adapterSessionOf(t, db.dsn, tok)
		if s == nil || s.User.ID != u.ID || s.Session.UserID != u.ID || s.Session.Expires != jsISO(exp) {
			t.Errorf("pg-adapter's getSessionAndUser of authgo's token: %+v", s)
		}
	})

	t.Run("oidc", func(t *testing.T) {
		bg := newBrowser(t, db.ag)
		oidcSignIn(t, bg, db.idp, dave)
		tok := bg.Cookie("authjs.session-token")
		if !base64url43.MatchString(tok) {
			t.Fatalf("authgo's session token %q is not 43 base64url characters", tok)
		}
		u := userByEmail(t, db.pool, dave.Email)
		// Auth.js leaves emailVerified NULL after an OAuth sign-in; authgo
		// records there that the provider verified the address (dave's
		// is), so that database sessions know it (README compatibility
		// table).
		if strp(u.Name) != dave.Name || u.Image != nil || u.EmailVerified == nil {
			t.Errorf("dave's users row: %+v, emailVerified %v (want image NULL, as Auth.js writes it, and emailVerified set: the provider verified the address)", u.json(), u.EmailVerified)
		}
		if n := count(t, db.pool, `SELECT count(*) FROM accounts WHERE "userId" = $1 AND type = 'oidc' AND provider = 'oidc' AND "providerAccountId" = $2`, u.ID, dave.ID); n != 1 {
			t.Errorf("%d oidc accounts rows for dave, want 1", n)
		}
		checkSession(t, db.pool, db.js, db.ag, tok, u) // image null on both
	})
}

// TestSharedDBAuthJSSessionsOpenInAuthgo: Auth.js's OIDC sign-in through
// the OP, and sessions pg-adapter's own createSession wrote (a UUID and a
// token of another shape), open in authgo as the same user.
func TestSharedDBAuthJSSessionsOpenInAuthgo(t *testing.T) {
	t.Parallel()
	db := newSharedDB(t, nil)
	bj := newBrowser(t, db.js)
	oidcSignIn(t, bj, db.idp, carol)
	tok := bj.Cookie("authjs.session-token")
	if !uuidV4.MatchString(tok) {
		t.Errorf("Auth.js's token %q is not a UUID v4", tok)
	}
	u := userByEmail(t, db.pool, carol.Email)
	checkSession(t, db.pool, db.js, db.ag, tok, u)

	// Through the adapter's own methods: a user and two sessions, written
	// two hours ago (not due for a rewrite: TestSharedDBExpires has those).
	exp := time.Now().Add(30*24*time.Hour - 2*time.Hour).Truncate(time.Millisecond)
	res := runAdapter(t, db.dsn, adapterOp{Op: "createUser", Args: []any{map[string]any{
		"name": "Erin", "email": "erin@example.com", "emailVerified": nil, "image": nil}}})
	var made struct{ ID int }
	if err := json.Unmarshal(res[0], &made); err != nil || made.ID == 0 {
		t.Fatalf("createUser: %s", res[0])
	}
	for _, token := range []string{"5f0c1a3e-8d2b-4c7e-9a61-2b3c4d5e6f70", strings.Repeat("opaque.token-", 10)} {
		runAdapter(t, db.dsn, adapterOp{Op: "createSession", Args: []any{map[string]any{
			"sessionToken": token, "userId": made.ID, "expires": exp.Format(time.RFC3339Nano)}}})
		erin := userByEmail(t, db.pool, "erin@example.com")
		if erin.ID != made.ID {
			t.Fatalf("erin's id %d, createUser said %d", erin.ID, made.ID)
		}
		checkSession(t, db.pool, db.js, db.ag, token, erin)
	}
}

// TestSharedDBSignOut: a sign-out (POST /auth/signout with the CSRF token)
// on either side deletes the row, and the other side then refuses the
// cookie.
func TestSharedDBSignOut(t *testing.T) {
	t.Parallel()
	db := newSharedDB(t, nil)
	signOut := func(t *testing.T, base, token string) {
		t.Helper()
		b := newBrowser(t, base)
		b.SetCookie("authjs.session-token", token)
		r := b.post("/auth/signout", url.Values{"csrfToken": {b.csrf()}, "callbackUrl": {base + "/bye"}})
		if r.status != http.StatusFound || r.header.Get("Location") != base+"/bye" {
			t.Fatalf("%s: sign-out: %d %q", base, r.status, r.header.Get("Location"))
		}
		if c := r.cookie("authjs.session-token"); c == nil || c.MaxAge >= 0 {
			t.Errorf("%s: sign-out did not clear the session cookie: %v", base, r.cookies)
		}
	}
	ended := func(t *testing.T, token string) {
		t.Helper()
		if _, _, ok := sessionRow(t, db.pool, token); ok {
			t.Error("the sessions row outlived the sign-out")
		}
		for _, s := range []struct{ name, base string }{{"Auth.js", db.js}, {"authgo", db.ag}} {
			r, b := readSession(t, s.base, token)
			if b != nil {
				t.Errorf("%s still opens the session after sign-out: %s", s.name, r.body)
			}
			if c := r.cookie("authjs.session-token"); c == nil || c.MaxAge >= 0 {
				t.Errorf("%s kept the cookie of an ended session: %v", s.name, r.cookies)
			}
		}
		if sub := whoami(t, db.ag, token); sub != "" {
			t.Errorf("authgo's server code still sees %q", sub)
		}
		if s := adapterSessionOf(t, db.dsn, token); s != nil {
			t.Errorf("pg-adapter still finds the session: %+v", s)
		}
	}

	t.Run("authgo's session, Auth.js signs out", func(t *testing.T) {
		bg := newBrowser(t, db.ag)
		bg.signIn("alice", "wonderland")
		tok := bg.Cookie("authjs.session-token")
		checkSession(t, db.pool, db.js, db.ag, tok, userByEmail(t, db.pool, "alice@example.com"))
		signOut(t, db.js, tok)
		ended(t, tok)
		// Auth.js deletes only its own table's row; authgo's side row
		// goes with the next sweep.
		if n := count(t, db.pool, `SELECT count(*) FROM authgo_sessions WHERE session_token = $1`, tok); n != 1 {
			t.Errorf("%d authgo_sessions rows after Auth.js's sign-out, want 1 (left for the sweep)", n)
		}
		s, _ := postgres.New(db.pool)
		if _, err := s.DeleteExpiredSessions(t.Context(), time.Now()); err != nil {
			t.Fatal(err)
		}
		if n := count(t, db.pool, `SELECT count(*) FROM authgo_sessions WHERE session_token = $1`, tok); n != 0 {
			t.Errorf("the sweep left the side row of the ended session")
		}
	})

	t.Run("Auth.js's session, authgo signs out", func(t *testing.T) {
		bj := newBrowser(t, db.js)
		oidcSignIn(t, bj, db.idp, carol)
		tok := bj.Cookie("authjs.session-token")
		checkSession(t, db.pool, db.js, db.ag, tok, userByEmail(t, db.pool, carol.Email))
		signOut(t, db.ag, tok)
		ended(t, tok)
		if n := count(t, db.pool, `SELECT count(*) FROM authgo_sessions WHERE session_token = $1`, tok); n != 0 {
			t.Errorf("authgo's sign-out left %d authgo_sessions rows", n)
		}
	})
}

// TestSharedDBSignOutStoreCache: with authgo's session cache on
// (SessionConfig.StoreCache), a sign-out in Auth.js is seen by authgo
// within the cache's lifetime, as documented: the cached session still
// opens just after (the read costs no round trip), and no longer once the
// entry expired; authgo's own sign-out ends it on authgo at once.
func TestSharedDBSignOutStoreCache(t *testing.T) {
	t.Parallel()
	pgAdapterAvailable(t)
	pool, dsn := freshDatabase(t)
	if _, err := postgres.Migrate(t.Context(), pool); err != nil {
		t.Fatal(err)
	}
	idp := testidp.New(t, testidp.Options{Users: []testidp.User{carol, dave}})
	const ttl = 1500 * time.Millisecond
	js, ag := startAuthJSDB(t, dsn, idp, nil), startAuthgoDBCache(t, pool, idp, ttl)

	// Auth.js signs out a session authgo has just read.
	bg := newBrowser(t, ag)
	bg.signIn("alice", "wonderland")
	tok := bg.Cookie("authjs.session-token")
	if sub := whoami(t, ag, tok); sub == "" {
		t.Fatal("authgo does not open its new session")
	}
	b := newBrowser(t, js)
	b.SetCookie("authjs.session-token", tok)
	read := time.Now()
	if r := b.post("/auth/signout", url.Values{"csrfToken": {b.csrf()}, "callbackUrl": {js + "/bye"}}); r.status != http.StatusFound {
		t.Fatalf("Auth.js sign-out: %d", r.status)
	}
	if _, _, ok := sessionRow(t, pool, tok); ok {
		t.Fatal("Auth.js's sign-out left the sessions row")
	}
	stale := whoami(t, ag, tok)
	if time.Since(read) < ttl && stale == "" {
		t.Error("authgo read the store again within StoreCache: the cache kept nothing")
	}
	time.Sleep(time.Until(read.Add(ttl + 100*time.Millisecond)))
	if sub := whoami(t, ag, tok); sub != "" {
		t.Errorf("authgo still opens the session %v after Auth.js's sign-out (StoreCache %v)", time.Since(read), ttl)
	}
	if _, s := readSession(t, ag, tok); s != nil {
		t.Errorf("authgo's /auth/session still shows the ended session: %+v", s)
	}

	// authgo's own sign-out is seen by authgo at once, cache or not.
	bg = newBrowser(t, ag)
	bg.signIn("alice", "wonderland")
	tok = bg.Cookie("authjs.session-token")
	if sub := whoami(t, ag, tok); sub == "" {
		t.Fatal("authgo does not open its new session")
	}
	if r := bg.post("/auth/signout", url.Values{"csrfToken": {bg.csrf()}, "callbackUrl": {ag + "/bye"}}); r.status != http.StatusFound {
		t.Fatalf("authgo sign-out: %d", r.status)
	}
	if sub := whoami(t, ag, tok); sub != "" {
		t.Errorf("authgo opens its own signed-out session from its cache: %q", sub)
	}
}

// TestSharedDBAccountLinking: an account one side linked is found by the
// other's sign-in with the same provider account: same user id, no
// OAuthAccountNotLinked, no second users or accounts row.
func TestSharedDBAccountLinking(t *testing.T) {
	t.Parallel()
	db := newSharedDB(t, nil)
	accounts := func(u testidp.User) int {
		return count(t, db.pool, `SELECT count(*) FROM accounts WHERE provider = 'oidc' AND "providerAccountId" = $1`, u.ID)
	}

	t.Run("Auth.js linked, authgo signs in", func(t *testing.T) {
		bj := newBrowser(t, db.js)
		oidcSignIn(t, bj, db.idp, carol)
		u := userByEmail(t, db.pool, carol.Email)
		var jsAccess string
		db.pool.QueryRow(t.Context(), `SELECT access_token FROM accounts WHERE "providerAccountId" = $1`, carol.ID).Scan(&jsAccess)

		bg := newBrowser(t, db.ag)
		oidcSignIn(t, bg, db.idp, carol) // fails on a redirect to ?error=OAuthAccountNotLinked
		tok := bg.Cookie("authjs.session-token")
		if sub := whoami(t, db.ag, tok); sub != strconv.Itoa(u.ID) {
			t.Errorf("authgo signed carol in as %q, Auth.js's user is %d", sub, u.ID)
		}
		if again := userByEmail(t, db.pool, carol.Email); again.ID != u.ID {
			t.Errorf("carol's users row changed id: %d → %d", u.ID, again.ID)
		}
		if n := accounts(carol); n != 1 {
			t.Errorf("%d accounts rows for carol, want 1", n)
		}
		var access string
		db.pool.QueryRow(t.Context(), `SELECT access_token FROM accounts WHERE "providerAccountId" = $1`, carol.ID).Scan(&access)
		if access == "" || access == jsAccess {
			t.Errorf("authgo's sign-in did not store its new access token in the linked row")
		}
		checkSession(t, db.pool, db.js, db.ag, tok, u)
	})

	t.Run("authgo linked, Auth.js signs in", func(t *testing.T) {
		bg := newBrowser(t, db.ag)
		oidcSignIn(t, bg, db.idp, dave)
		u := userByEmail(t, db.pool, dave.Email)

		bj := newBrowser(t, db.js)
		oidcSignIn(t, bj, db.idp, dave)
		tok := bj.Cookie("authjs.session-token")
		if s := adapterSessionOf(t, db.dsn, tok); s == nil || s.User.ID != u.ID {
			t.Errorf("Auth.js signed dave in as %+v, authgo's user is %d", s, u.ID)
		}
		if again := userByEmail(t, db.pool, dave.Email); again.ID != u.ID {
			t.Errorf("dave's users row changed id")
		}
		if n := accounts(dave); n != 1 {
			t.Errorf("%d accounts rows for dave, want 1", n)
		}
		checkSession(t, db.pool, db.js, db.ag, tok, u)
	})
}

// TestSharedDBExpires: both sides read and rewrite a session row alike:
// the row is rewritten to now+maxAge only once updateAge has passed since
// its last write, GET /auth/session shows the expiry read before that
// rewrite, an expired row is deleted by the read that finds it, and a row
// whose user is gone is refused and left.
func TestSharedDBExpires(t *testing.T) {
	t.Parallel()
	db := newSharedDB(t, nil)
	res := runAdapter(t, db.dsn, adapterOp{Op: "createUser", Args: []any{map[string]any{
		"name": "Frank", "email": "frank@example.com", "emailVerified": nil, "image": nil}}})
	var frank struct{ ID int }
	json.Unmarshal(res[0], &frank)
	newSession := func(token string, expires time.Time) {
		runAdapter(t, db.dsn, adapterOp{Op: "createSession", Args: []any{map[string]any{
			"sessionToken": token, "userId": frank.ID, "expires": expires.Format(time.RFC3339Nano)}}})
	}
	const day = 24 * time.Hour
	for _, s := range []struct{ name, base string }{{"Auth.js", db.js}, {"authgo", db.ag}} {
		t.Run(s.name, func(t *testing.T) {
			now := time.Now().Truncate(time.Millisecond)

			// Written 10 days ago (expires in 20 days): due.
			due := "due-" + s.name
			oldExp := now.Add(20 * day)
			newSession(due, oldExp)
			r, b := readSession(t, s.base, due)
			if b == nil || !sameExpires(b.Expires, oldExp) {
				t.Errorf("a due session shows expires %+v, want the row's before the rewrite, %s", b, jsISO(oldExp))
			}
			_, exp, _ := sessionRow(t, db.pool, due)
			near(t, "the rewritten row's expires", exp, now.Add(30*day))
			if c := r.cookie("authjs.session-token"); c == nil || c.Value != due {
				t.Errorf("the cookie was not re-sent with the same token: %v", r.cookies)
			} else {
				near(t, "the re-sent cookie's Expires", c.Expires, now.Add(30*day))
			}
			_, b = readSession(t, s.base, due)
			if b == nil || !sameExpires(b.Expires, exp) {
				t.Errorf("the next read shows %+v, want the rewritten %s", b, jsISO(exp))
			}
			if s.name == "authgo" {
				// A session Auth.js made gets authgo's side row at its
				// first rewrite: its lifetime counts from then.
				var created time.Time
				if err := db.pool.QueryRow(t.Context(), `SELECT created_at FROM authgo_sessions WHERE session_token = $1`, due).Scan(&created); err != nil {
					t.Errorf("no authgo_sessions row after authgo's rewrite: %v", err)
				} else {
					near(t, "authgo_sessions.created_at", created, now)
				}
			}

			// Written an hour ago: not due, left alone.
			fresh := "fresh-" + s.name
			freshExp := now.Add(30*day - time.Hour)
			newSession(fresh, freshExp)
			r, b = readSession(t, s.base, fresh)
			if b == nil || !sameExpires(b.Expires, freshExp) {
				t.Errorf("a fresh session shows %+v, want %s", b, jsISO(freshExp))
			}
			if _, exp, _ := sessionRow(t, db.pool, fresh); !exp.Equal(freshExp) {
				t.Errorf("a session not due was rewritten: %v → %v", freshExp, exp)
			}
			// Both re-send the cookie with now+maxAge on every read,
			// though the row, not rewritten, expires an hour earlier.
			if c := r.cookie("authjs.session-token"); c == nil || c.Value != fresh {
				t.Errorf("a fresh session's cookie was not re-sent: %v", r.cookies)
			} else {
				near(t, "the fresh session's re-sent cookie Expires", c.Expires, now.Add(30*day))
			}

			// Expired an hour ago: refused and deleted.
			gone := "expired-" + s.name
			newSession(gone, now.Add(-time.Hour))
			r, b = readSession(t, s.base, gone)
			if b != nil {
				t.Errorf("an expired session opens: %s", r.body)
			}
			if c := r.cookie("authjs.session-token"); c == nil || c.MaxAge >= 0 {
				t.Errorf("the cookie of an expired session was kept: %v", r.cookies)
			}
			if _, _, ok := sessionRow(t, db.pool, gone); ok {
				t.Error("the expired row was not deleted by the read")
			}

			// A session whose user is gone: refused, the cookie cleared,
			// the row left alone (neither side deletes it on a read).
			orphan := "orphan-" + s.name
			runAdapter(t, db.dsn, adapterOp{Op: "createSession", Args: []any{map[string]any{
				"sessionToken": orphan, "userId": frank.ID + 1000, "expires": now.Add(day).Format(time.RFC3339Nano)}}})
			r, b = readSession(t, s.base, orphan)
			if b != nil {
				t.Errorf("a session without its user opens: %s", r.body)
			}
			if c := r.cookie("authjs.session-token"); c == nil || c.MaxAge >= 0 {
				t.Errorf("the cookie of a session without its user was kept: %v", r.cookies)
			}
			if _, _, ok := sessionRow(t, db.pool, orphan); !ok {
				t.Error("the read deleted the row of a session without its user")
			}
		})
	}
}
