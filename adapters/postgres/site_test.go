package postgres_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/adapters/postgres"
	"github.com/authgo/authgo/internal/testkit"
	"github.com/authgo/authgo/provider"
	"github.com/authgo/authgo/providers/credentials"
	"github.com/authgo/authgo/proxy"
)

// siteSecret is the AUTH_SECRET of the sites the tests build.
const siteSecret = "site-secret-0123456789abcdef0123456789abcdef"

// site is an application on the library with the database strategy on a
// PostgreSQL Store: the auth endpoints under /auth/, a page the middleware
// guards at /mypage/ ("Signed in as <name>"), and the proxy at /api/ in
// front of an upstream that answers "upstream ok" to the user's access
// token. Users sign in with a credentials form whose sign-in also yields
// an access token (tokenLogin), kept in the accounts row. Its log is kept.
type site struct {
	a       *authgo.Auth
	handler http.Handler
	store   *postgres.Store
	log     *testkit.Buffer
}

// siteUsers are the credentials the site's provider accepts: username →
// password, user.
var siteUsers = map[string]struct {
	password string
	user     authgo.User
}{
	"alice": {"wonderland", authgo.User{ID: "alice-1", Name: "Alice", Email: "alice@example.com"}},
	"bob":   {"builder", authgo.User{ID: "bob-1", Name: "Bob", Email: "bob@example.com"}},
}

// newSite migrates pool's database and builds a site on it for origin
// (http://host:port).
func newSite(t testing.TB, pool *pgxpool.Pool, origin string) *site {
	t.Helper()
	if _, err := postgres.Migrate(t.Context(), pool); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	st, err := postgres.New(pool)
	if err != nil {
		t.Fatal(err)
	}
	form, err := credentials.New(credentials.Options{
		Authorize: func(_ context.Context, c provider.Credentials, _ *http.Request) (*authgo.User, error) {
			u, ok := siteUsers[c["username"]]
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
	logs := &testkit.Buffer{}
	a, err := authgo.New(authgo.Config{
		Secret:    []string{siteSecret},
		URL:       origin,
		Providers: []provider.Provider{tokenLogin{form}},
		Users:     st,
		Session:   authgo.SessionConfig{Strategy: authgo.StrategyDatabase, Store: st},
		Matcher:   []string{"/mypage/:path*"},
		Logger:    slog.New(slog.NewTextHandler(logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer at-") {
			http.Error(w, "no access token", http.StatusUnauthorized)
			return
		}
		io.WriteString(w, "upstream ok")
	}))
	t.Cleanup(up.Close)
	p, err := proxy.New(a, proxy.Options{Prefix: "/api", Upstream: up.URL})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/auth/", a)
	mux.Handle("/api/", p)
	mux.HandleFunc("/mypage/", func(w http.ResponseWriter, r *http.Request) {
		s := a.SessionFromContext(r.Context()) // what the middleware read: no second query
		if s == nil {
			http.Error(w, "no session in the guarded page", http.StatusInternalServerError)
			return
		}
		fmt.Fprintf(w, "Signed in as %s", s.User.Name)
	})
	return &site{a: a, handler: a.Middleware(mux), store: st, log: logs}
}

// tokenLogin is a credentials provider whose sign-in also yields an access
// token, "at-<user id>", as a back end's login does.
type tokenLogin struct{ *credentials.Provider }

func (p tokenLogin) AuthorizeWithTokens(ctx context.Context, c provider.Credentials, r *http.Request) (*authgo.User, *provider.TokenSet, error) {
	u, err := p.Authorize(ctx, c, r)
	if u == nil || err != nil {
		return u, nil, err
	}
	return u, &provider.TokenSet{AccessToken: "at-" + u.ID, TokenType: "Bearer"}, nil
}

// signIn signs user in with the credentials form through b and returns the
// session cookie's value; it fails the test unless the sign-in succeeds.
func signIn(t testing.TB, b *testkit.Browser, user string) string {
	t.Helper()
	form := map[string][]string{
		"csrfToken": {b.CSRFToken("/auth/csrf")},
		"username":  {user},
		"password":  {siteUsers[user].password},
	}
	r := b.PostForm("/auth/callback/credentials", form)
	tok := b.Cookie("authjs.session-token")
	if r.StatusCode != http.StatusFound || strings.Contains(r.Header.Get("Location"), "error") || tok == "" {
		t.Fatalf("sign-in %s: %d %s", user, r.StatusCode, r.Header.Get("Location"))
	}
	return tok
}
