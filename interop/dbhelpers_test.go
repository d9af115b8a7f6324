package interop_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/adapters/postgres"
	"github.com/authgo/authgo/internal/testidp"
	"github.com/authgo/authgo/internal/testkit"
	"github.com/authgo/authgo/provider"
	"github.com/authgo/authgo/providers/oidc"
)

// pgAdapterAvailable is nodeAvailable for the database tests: node and
// @auth/pg-adapter with pg installed by `npm ci`.
func pgAdapterAvailable(t testing.TB) {
	t.Helper()
	nodeAvailable(t)
	for _, p := range []string{"node_modules/@auth/pg-adapter/package.json", "node_modules/pg/package.json"} {
		if _, err := os.Stat(p); err != nil {
			msg := "interop/" + strings.TrimSuffix(p, "/package.json") + " is missing: run `npm ci` in interop/"
			if os.Getenv("CI") == "true" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
}

// freshDatabase creates a database of this test alone on the test server
// (testkit.FreshPostgres), dropped at the end, after the node servers and
// the pools of the test are gone. It returns a pool on it and its URL,
// for node.
func freshDatabase(t *testing.T) (*pgxpool.Pool, string) {
	t.Helper()
	dsn := testkit.FreshPostgres(t)
	pool, err := pgxpool.New(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool, dsn
}

// adapterOp is one call of pgadapter.mjs: a method of the real
// @auth/pg-adapter and its arguments.
type adapterOp struct {
	Op   string `json:"op"`
	Args []any  `json:"args"`
}

// adapterResult is pgadapter.mjs's answer to one op.
type adapterResult struct {
	OK     bool            `json:"ok"`
	Result json.RawMessage `json:"result"`
	Error  string          `json:"error"`
}

// runAdapter runs a batch of pg-adapter calls on the database dsn through
// one `node pgadapter.mjs`, and fails the test if any fails.
func runAdapter(t testing.TB, dsn string, ops ...adapterOp) []json.RawMessage {
	t.Helper()
	in, err := json.Marshal(ops)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "pgadapter.mjs")
	cmd.Env = append(os.Environ(), "AUTHJS_DATABASE_URL="+dsn)
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node pgadapter.mjs: %v\n%s", err, stderr.String())
	}
	var res []adapterResult
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil || len(res) != len(ops) {
		t.Fatalf("node pgadapter.mjs output (%v): %.500s", err, stdout.String())
	}
	out := make([]json.RawMessage, len(res))
	for i, r := range res {
		if !r.OK {
			t.Fatalf("pg-adapter %s%s: %s", ops[i].Op, js2(ops[i].Args), r.Error)
		}
		out[i] = r.Result
	}
	return out
}

// adapterSession is what pg-adapter's getSessionAndUser returns: ids are
// the SERIAL numbers, dates ISO strings.
type adapterSession struct {
	Session struct {
		ID           int    `json:"id"`
		UserID       int    `json:"userId"`
		Expires      string `json:"expires"`
		SessionToken string `json:"sessionToken"`
	} `json:"session"`
	User struct {
		ID    int     `json:"id"`
		Name  *string `json:"name"`
		Email *string `json:"email"`
		Image *string `json:"image"`
	} `json:"user"`
}

// adapterSessionOf asks the real pg-adapter for the session token; nil when
// it finds none.
func adapterSessionOf(t testing.TB, dsn, token string) *adapterSession {
	t.Helper()
	raw := runAdapter(t, dsn, adapterOp{Op: "getSessionAndUser", Args: []any{token}})[0]
	if string(raw) == "null" {
		return nil
	}
	var s adapterSession
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatalf("getSessionAndUser: %v: %s", err, raw)
	}
	return &s
}

// idpUsers are the OP's users. Their emails differ from server.mjs's
// Credentials users', so that one database holds both without an email
// clash.
var (
	carol = testidp.User{ID: "carol-sub-7", Username: "carol", Password: "pw-carol", Email: "carol@example.com",
		EmailVerified: true, Name: "Carol Danvers", Picture: "https://example.com/carol.png"}
	dave = testidp.User{ID: "dave-sub-9", Username: "dave", Password: "pw-dave", Email: "dave@example.com",
		EmailVerified: true, Name: "Dave"}
)

const dbSecret = "interop-db-secret-0123456789abcdef0123456789abcdef"

// startAuthJSDB starts server.mjs in its database mode on dsn, with an
// OIDC provider "oidc" at idp (a client registered for it), and returns
// its base URL.
func startAuthJSDB(t *testing.T, dsn string, idp *testidp.IDP, env map[string]string) string {
	t.Helper()
	clientID := "authjs-" + strings.ToLower(rand.Text())[:8]
	e := map[string]string{
		"AUTH_SECRET":               dbSecret,
		"AUTHJS_DATABASE_URL":       dsn,
		"AUTHJS_OIDC_ISSUER":        idp.Issuer(),
		"AUTHJS_OIDC_CLIENT_ID":     clientID,
		"AUTHJS_OIDC_CLIENT_SECRET": "authjs-client-secret",
	}
	for k, v := range env {
		e[k] = v
	}
	base := startAuthJS(t, e)
	idp.AddClient(testidp.Client{ID: clientID, Secret: "authjs-client-secret", RedirectURIs: []string{base + "/auth/callback/oidc"}})
	return base
}

// startAuthgoDB serves authgo with the database strategy on pool (the
// postgres Store as sessions, users and revocations), the Credentials users
// of server.mjs's JWT mode and an OIDC provider "oidc" at idp. Besides
// /auth/ it serves /whoami: the session's sub, or 401. Its session cache
// is off (SessionConfig.StoreCache -1), so that every read sees what
// Auth.js wrote just before; startAuthgoDBCache turns it on.
func startAuthgoDB(t *testing.T, pool *pgxpool.Pool, idp *testidp.IDP) string {
	t.Helper()
	return startAuthgoDBCache(t, pool, idp, -1)
}

// startAuthgoDBCache is startAuthgoDB with SessionConfig.StoreCache cache.
func startAuthgoDBCache(t *testing.T, pool *pgxpool.Pool, idp *testidp.IDP, cache time.Duration) string {
	t.Helper()
	s, err := postgres.New(pool)
	if err != nil {
		t.Fatal(err)
	}
	cp := usersProvider(t)
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	clientID := "authgo-" + strings.ToLower(rand.Text())[:8]
	idp.AddClient(testidp.Client{ID: clientID, Secret: "authgo-client-secret", RedirectURIs: []string{base + "/auth/callback/oidc"}})
	oidcP, err := oidc.New(oidc.Options{Issuer: idp.Issuer(), ClientID: clientID, ClientSecret: "authgo-client-secret"})
	if err != nil {
		t.Fatal(err)
	}
	a, err := authgo.New(authgo.Config{
		Secret:    []string{dbSecret},
		URL:       base,
		Providers: []provider.Provider{cp, oidcP},
		Users:     s,
		Session:   authgo.SessionConfig{Strategy: authgo.StrategyDatabase, Store: s, Revocations: s, StoreCache: cache},
	})
	if err != nil {
		t.Fatal(err)
	}
	serveAuthgo(t, srv, a, func(tok *authgo.Token) string { return tok.Subject })
	return base
}

// serveAuthgo starts srv with a's endpoints under /auth/ and /whoami,
// which answers who(the request's session token), or 401 without one.
func serveAuthgo(t *testing.T, srv *httptest.Server, a *authgo.Auth, who func(*authgo.Token) string) {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/auth/", a)
	mux.HandleFunc("/whoami", func(w http.ResponseWriter, r *http.Request) {
		tok, err := a.Token(r)
		if err != nil || tok == nil {
			http.Error(w, "no session", http.StatusUnauthorized)
			return
		}
		io.WriteString(w, who(tok))
	})
	srv.Config.Handler = mux
	srv.Start()
	t.Cleanup(srv.Close)
}

// oidcSignIn signs b in as u at its server's "oidc" provider: POST
// /auth/signin/oidc with a CSRF token, the OP's login form, then the
// callback, whose response it returns; it fails the test unless that
// redirects to callbackUrl with a session cookie.
func oidcSignIn(t *testing.T, b *browser, idp *testidp.IDP, u testidp.User) *reply {
	t.Helper()
	r := b.post("/auth/signin/oidc", url.Values{"csrfToken": {b.csrf()}, "callbackUrl": {b.base + "/home"}})
	authURL := r.header.Get("Location")
	if r.status != http.StatusFound || !strings.HasPrefix(authURL, idp.Issuer()+testidp.PathAuthorize+"?") {
		t.Fatalf("%s: POST /auth/signin/oidc: %d %q", b.base, r.status, authURL)
	}
	callback, err := idp.Login(t.Context(), nil, authURL, u.Username, u.Password)
	if err != nil {
		t.Fatalf("%s: login at the OP: %v", b.base, err)
	}
	if !strings.HasPrefix(callback, b.base+"/auth/callback/oidc?") {
		t.Fatalf("%s: the OP sent the browser to %q", b.base, callback)
	}
	r = b.get(strings.TrimPrefix(callback, b.base))
	if loc := r.header.Get("Location"); r.status != http.StatusFound || loc != b.base+"/home" || b.Cookie("authjs.session-token") == "" {
		t.Fatalf("%s: OIDC callback for %s: %d %q, cookies %v", b.base, u.Username, r.status, loc, r.cookies)
	}
	return r
}
