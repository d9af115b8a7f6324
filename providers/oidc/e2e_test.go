package oidc_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/internal/testidp"
	"github.com/authgo/authgo/providers/oidc"
)

// TestEndToEnd signs in through authgo's own endpoints with the provider
// and the in-process OP: POST /auth/signin/oidc → the OP's login form →
// GET /auth/callback/oidc → a session naming the OP's user; then signs out
// at the OP too.
func TestEndToEnd(t *testing.T) {
	idp := testidp.New(t, testidp.Options{Users: []testidp.User{alice}})
	app := httptest.NewUnstartedServer(nil)
	origin := "http://" + app.Listener.Addr().String()
	idp.AddClient(testidp.Client{
		ID: "e2e-client", Secret: "e2e-secret",
		RedirectURIs:           []string{origin + "/auth/callback/oidc"},
		PostLogoutRedirectURIs: []string{origin + "/bye"},
	})
	p, err := oidc.New(oidc.Options{
		Issuer: idp.Issuer(), ClientID: "e2e-client", ClientSecret: "e2e-secret", SignOutAtProvider: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	a, err := authgo.New(authgo.Config{
		Secret:    []string{"a-secret-of-at-least-32-bytes-from-authgo-secret"},
		URL:       origin + "/auth",
		Providers: []authgo.Provider{p},
	})
	if err != nil {
		t.Fatal(err)
	}
	app.Config.Handler = a
	app.Start()
	defer app.Close()

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(u string) *http.Response {
		t.Helper()
		r, err := browser.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	var csrf struct{ CSRFToken string }
	r := get(origin + "/auth/csrf")
	json.NewDecoder(r.Body).Decode(&csrf)
	r.Body.Close()

	r, err = browser.PostForm(origin+"/auth/signin/oidc?login_hint=alice", url.Values{"csrfToken": {csrf.CSRFToken}, "callbackUrl": {origin + "/home"}})
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	authURL := r.Header.Get("Location")
	if r.StatusCode != 302 || !strings.HasPrefix(authURL, idp.Issuer()+testidp.PathAuthorize+"?") {
		t.Fatalf("sign-in: %d %q", r.StatusCode, authURL)
	}
	callback, err := idp.Login(t.Context(), browser, authURL, alice.Username, alice.Password)
	if err != nil {
		t.Fatal(err)
	}
	r = get(callback)
	r.Body.Close()
	if r.StatusCode != 302 || r.Header.Get("Location") != origin+"/home" {
		t.Fatalf("callback: %d %q", r.StatusCode, r.Header.Get("Location"))
	}

	r = get(origin + "/auth/session")
	body, _ := io.ReadAll(r.Body)
	r.Body.Close()
	var s struct {
		User struct{ Name, Email, Image string }
	}
	if err := json.Unmarshal(body, &s); err != nil || s.User.Email != alice.Email || s.User.Name != alice.Name {
		t.Fatalf("session %s", body)
	}

	r, err = browser.PostForm(origin+"/auth/signout", url.Values{"csrfToken": {csrf.CSRFToken}, "callbackUrl": {origin + "/bye"}})
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	loc, _ := url.Parse(r.Header.Get("Location"))
	if r.StatusCode != 302 || loc.Path != testidp.PathEndSession || loc.Query().Get("id_token_hint") == "" ||
		loc.Query().Get("post_logout_redirect_uri") != origin+"/bye" {
		t.Fatalf("sign-out: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	r = get(loc.String())
	r.Body.Close()
	if got := r.Header.Get("Location"); !strings.HasPrefix(got, origin+"/bye") {
		t.Errorf("the OP sent the browser to %q after sign-out", got)
	}
}
