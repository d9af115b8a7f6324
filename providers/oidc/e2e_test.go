package oidc_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/internal/testidp"
	"github.com/authgo/authgo/internal/testkit"
	"github.com/authgo/authgo/jwt"
	"github.com/authgo/authgo/provider"
	"github.com/authgo/authgo/providers/oidc"
)

// TestEndToEnd signs in through authgo's own endpoints with the provider
// and the in-process OP: POST /auth/signin/oidc → the OP's login form →
// GET /auth/callback/oidc → a session naming the OP's user; then signs out
// at the OP too.
func TestEndToEnd(t *testing.T) {
	idp := testidp.New(t, testidp.Options{Users: []testidp.User{alice}})
	app := newSite(t, idp, "e2e-client", func(origin string, c *testidp.Client, o *oidc.Options) {
		c.PostLogoutRedirectURIs = []string{origin + "/bye"}
		o.Scopes, o.SignOutAtProvider = nil, true
	})
	origin, browser := app.origin, app.browser
	csrf := app.csrf()
	r := app.signIn("?login_hint=alice", url.Values{"callbackUrl": {origin + "/home"}})
	if r.StatusCode != 302 || r.Header.Get("Location") != origin+"/home" {
		t.Fatalf("callback: %d %q", r.StatusCode, r.Header.Get("Location"))
	}

	body := browser.Get(origin + "/auth/session").Text
	var s struct {
		User struct{ Name, Email, Image string }
	}
	if err := json.Unmarshal([]byte(body), &s); err != nil || s.User.Email != alice.Email || s.User.Name != alice.Name {
		t.Fatalf("session %s", body)
	}

	r = browser.PostForm(origin+"/auth/signout", url.Values{"csrfToken": {csrf}, "callbackUrl": {origin + "/bye"}})
	loc, _ := url.Parse(r.Header.Get("Location"))
	if r.StatusCode != 302 || loc.Path != testidp.PathEndSession || loc.Query().Get("id_token_hint") == "" ||
		loc.Query().Get("post_logout_redirect_uri") != origin+"/bye" {
		t.Fatalf("sign-out: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	r = browser.Get(loc.String())
	if got := r.Header.Get("Location"); !strings.HasPrefix(got, origin+"/bye") {
		t.Errorf("the OP sent the browser to %q after sign-out", got)
	}
}

// TestRefreshThroughAuthgo: the OAuth refresh path of authgo's token
// management against the real OP, which rotates refresh tokens and
// refuses a reused one: an expired access token is refreshed once for a
// burst of requests, the session keeps working, and once the OP has
// revoked the grant the session carries RefreshTokenError.
func TestRefreshThroughAuthgo(t *testing.T) {
	idp := testidp.New(t, testidp.Options{Users: []testidp.User{alice}})
	app := newSite(t, idp, "refresh-client", nil)
	app.signIn("", nil)
	origin, browser, p, clock := app.origin, app.browser, app.p, app.now
	first := apiCall(t, browser, origin)
	if first == "" || idp.RefreshCalls() != 0 {
		t.Fatalf("first call: %q, %d refreshes", first, idp.RefreshCalls())
	}

	app.advance(10 * time.Minute) // past the OP's 5-minute access tokens
	cookies := browser.Cookies()
	var wg sync.WaitGroup
	got := make([]string, 50)
	for i := range got {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			req, _ := http.NewRequest("GET", origin+"/api", nil)
			for _, c := range cookies {
				req.AddCookie(c)
			}
			res, err := http.DefaultClient.Do(req)
			if err == nil {
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				got[i] = string(b)
			}
		}(i)
	}
	wg.Wait()
	if idp.RefreshCalls() != 1 {
		t.Fatalf("%d refresh calls for 50 requests", idp.RefreshCalls())
	}
	for i, at := range got {
		if at == first || at != got[0] || !idp.AccessTokenActive(at) {
			t.Fatalf("request %d got %q", i, at)
		}
	}

	// The browser's own next request gets the refreshed cookie; then the
	// OP revokes the grant (as after a password change) and the next
	// refresh is refused for good.
	apiCall(t, browser, origin)
	var rt string
	for _, c := range browser.Cookies() {
		if c.Name == "authjs.session-token" {
			tok, err := jwt.Decode(jwt.DecodeParams{Token: c.Value, Secrets: []string{"a-secret-of-at-least-32-bytes-from-authgo-secret"}, Now: clock})
			if err != nil {
				t.Fatal(err)
			}
			rt = tok.StringClaim("refresh_token")
		}
	}
	if err := p.Revoke(t.Context(), rt, "refresh_token"); err != nil || rt == "" {
		t.Fatalf("revoke %q: %v", rt, err)
	}
	app.advance(10 * time.Minute)
	res := browser.Get(origin + "/api")
	if res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("after revocation: %d", res.StatusCode)
	}
	var s map[string]any
	json.Unmarshal([]byte(browser.Get(origin+"/auth/session").Text), &s)
	if s["error"] != "RefreshTokenError" {
		t.Fatalf("session after revocation: %v", s)
	}
}

func apiCall(t *testing.T, b *testkit.Browser, origin string) string {
	t.Helper()
	r := b.Get(origin + "/api")
	if r.StatusCode != 200 {
		t.Fatalf("api: %d %s", r.StatusCode, r.Text)
	}
	return r.Text
}

// TestRefreshWithRemappedUser: a Profile that gives the user an id of its
// own (not the ID token's sub) still refreshes: the refreshed ID token is
// held against the provider's subject, and a different one is refused.
func TestRefreshWithRemappedUser(t *testing.T) {
	idp := testidp.New(t, testidp.Options{Users: []testidp.User{alice}})
	app := newSite(t, idp, "remap-client", func(_ string, _ *testidp.Client, o *oidc.Options) {
		o.Profile = func(ctx context.Context, claims map[string]any, _ provider.TokenSet) (*authgo.User, error) {
			return &authgo.User{ID: "app-user-7", Name: "Remapped"}, nil
		}
	})
	app.signIn("", nil)
	origin, browser := app.origin, app.browser
	first := apiCall(t, browser, origin)
	app.advance(10 * time.Minute)
	if second := apiCall(t, browser, origin); second == first || idp.RefreshCalls() != 1 {
		t.Fatalf("refresh with a remapped user id: %q, %d calls", second, idp.RefreshCalls())
	}
}

// site is a live site on authgo with one OIDC provider (clientID at idp,
// asking for offline_access) and a guarded /api that answers with the
// session's access token, refreshed by authgo; its clock is settable, and
// its browser keeps cookies in a cookiejar (it visits the OP too) and
// follows no redirects. mod, when not nil,
// changes the client's registration and the provider's options.
type site struct {
	t       *testing.T
	idp     *testidp.IDP
	origin  string
	p       *oidc.Provider
	browser *testkit.Browser
	now     func() time.Time
	advance func(time.Duration)
}

func newSite(t *testing.T, idp *testidp.IDP, clientID string, mod func(origin string, c *testidp.Client, o *oidc.Options)) *site {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	app := &site{t: t, idp: idp, origin: "http://" + srv.Listener.Addr().String()}
	var mu sync.Mutex
	now := time.Now()
	app.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	app.advance = func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	c := testidp.Client{ID: clientID, Secret: "s", RedirectURIs: []string{app.origin + "/auth/callback/oidc"}}
	o := oidc.Options{Issuer: idp.Issuer(), ClientID: clientID, ClientSecret: "s",
		Scopes: []string{"openid", "profile", "email", "offline_access"}}
	if mod != nil {
		mod(app.origin, &c, &o)
	}
	idp.AddClient(c)
	p, err := oidc.New(o)
	if err != nil {
		t.Fatal(err)
	}
	app.p = p
	a, err := authgo.New(authgo.Config{
		Secret:    []string{"a-secret-of-at-least-32-bytes-from-authgo-secret"},
		URL:       app.origin + "/auth",
		Providers: []provider.Provider{p},
		Now:       app.now,
	})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/auth/", a)
	mux.Handle("/api", a.RequireSession(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		at, err := a.AccessToken(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		io.WriteString(w, at)
	})))
	srv.Config.Handler = mux
	srv.Start()
	t.Cleanup(srv.Close)

	app.browser = testkit.NewJarBrowser(t, app.origin)
	return app
}

// csrf fetches a CSRF token.
func (s *site) csrf() string {
	s.t.Helper()
	return s.browser.CSRFToken("/auth/csrf")
}

// signIn signs the browser in as alice: POST /auth/signin/oidc with query
// and form (the CSRF token added), the OP's login form, then the callback,
// whose response it returns.
func (s *site) signIn(query string, form url.Values) *testkit.Response {
	s.t.Helper()
	f := url.Values{"csrfToken": {s.csrf()}}
	for k, v := range form {
		f[k] = v
	}
	r := s.browser.PostForm("/auth/signin/oidc"+query, f)
	authURL := r.Header.Get("Location")
	if r.StatusCode != 302 || !strings.HasPrefix(authURL, s.idp.Issuer()+testidp.PathAuthorize+"?") {
		s.t.Fatalf("sign-in: %d %q", r.StatusCode, authURL)
	}
	callback, err := s.idp.Login(s.t.Context(), s.browser.Client, authURL, alice.Username, alice.Password)
	if err != nil {
		s.t.Fatal(err)
	}
	return s.browser.Get(callback)
}
