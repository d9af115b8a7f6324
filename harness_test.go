package authgo_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/internal/testkit"
	"github.com/authgo/authgo/provider"
	"github.com/authgo/authgo/providers/credentials"
)

const testSecret = "test-secret-0123456789abcdef0123456789abcdef"

var users = map[string]struct {
	password string
	user     authgo.User
}{
	"alice": {"wonderland", authgo.User{ID: "user-1", Name: "Alice", Email: "alice@example.com", Image: "https://example.com/alice.png"}},
	"bob":   {"builder", authgo.User{ID: "user-2", Name: "Bob Builder", Email: "bob@example.com"}},
	"big":   {"big", authgo.User{ID: "user-big", Name: strings.Repeat("x", 5000), Email: "big@example.com"}},
}

func testProvider(t testing.TB) provider.Provider {
	p, err := credentials.New(credentials.Options{
		Authorize: func(ctx context.Context, c provider.Credentials, r *http.Request) (*authgo.User, error) {
			u, ok := users[c["username"]]
			if !ok || u.password != c["password"] {
				if c["password"] == "otp" {
					return nil, &provider.CredentialsError{Code: "bad_otp"}
				}
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

// newAuth builds an Auth on http://localhost:3000 with the test users;
// mod may change the config first.
func newAuth(t testing.TB, mod func(*authgo.Config)) *authgo.Auth {
	t.Helper()
	cfg := authgo.Config{
		Secret:    []string{testSecret},
		URL:       "http://localhost:3000",
		Providers: []provider.Provider{testProvider(t)},
	}
	if mod != nil {
		mod(&cfg)
	}
	a, err := authgo.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// client is a tiny browser on h: a testkit.Browser that keeps cookies by
// name, as a browser with one site would, never follows redirects, and
// fails the test when a response sets one cookie name twice.
type client struct {
	*testkit.Browser
	t    testing.TB
	h    http.Handler
	base string // the endpoints' base path: /auth unless set
}

func newClient(t testing.TB, h http.Handler) *client {
	b := testkit.NewHandlerBrowser(t, h)
	// The servers here often run on a test clock: their Expires is not the
	// real clock's business.
	b.OneSetCookiePerName, b.KeepExpired = true, true
	return &client{Browser: b, t: t, h: h, base: "/auth"}
}

type result struct {
	*http.Response
	body    string
	setCook map[string]*http.Cookie
}

// resultOf is r as the tests read it.
func resultOf(r *testkit.Response) *result {
	out := &result{Response: r.Response, body: r.Text, setCook: map[string]*http.Cookie{}}
	for _, ck := range r.Cookies() {
		out.setCook[ck.Name] = ck
	}
	return out
}

func (c *client) do(req *http.Request) *result {
	c.t.Helper()
	return resultOf(c.Do(req))
}

func (c *client) get(target string, hdr ...string) *result {
	c.t.Helper()
	return resultOf(c.Get(target, hdr...))
}

func (c *client) postForm(target string, form url.Values, hdr ...string) *result {
	c.t.Helper()
	return resultOf(c.PostForm(target, form, hdr...))
}

func (c *client) postJSON(target string, v any, hdr ...string) *result {
	c.t.Helper()
	return resultOf(c.PostJSON(target, v, hdr...))
}

// csrf fetches a CSRF token the way next-auth/react does.
func (c *client) csrf(origin string) string {
	c.t.Helper()
	return c.CSRFToken(origin + c.base + "/csrf")
}

// signIn signs in through the credentials callback.
func (c *client) signIn(origin, user, password string, extra ...string) *result {
	c.t.Helper()
	form := url.Values{"csrfToken": {c.csrf(origin)}, "username": {user}, "password": {password}}
	for i := 0; i+1 < len(extra); i += 2 {
		form.Set(extra[i], extra[i+1])
	}
	return c.postForm(origin+c.base+"/callback/credentials", form)
}

// session returns the decoded GET /auth/session body.
func (c *client) session(origin string) map[string]any {
	c.t.Helper()
	r := c.get(origin + c.base + "/session")
	if r.StatusCode != 200 {
		c.t.Fatalf("session: %d %s", r.StatusCode, r.body)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(r.body), &m); err != nil {
		c.t.Fatalf("session body %q: %v", r.body, err)
	}
	return m
}

func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

func credentialsProvider(f func(context.Context, provider.Credentials, *http.Request) (*authgo.User, error)) (provider.Provider, error) {
	return credentials.New(credentials.Options{Authorize: f})
}
