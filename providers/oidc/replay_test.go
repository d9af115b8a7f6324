package oidc_test

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/authgo/authgo/internal/testidp"
)

// TestCallbackReplay: five parallel replays of a completed callback, each
// with the cookies the browser held before it, against the real OP. Each
// is refused with OAuthCallbackError before any token request: the OP's
// token endpoint sees one request in all, the first callback's.
func TestCallbackReplay(t *testing.T) {
	idp := testidp.New(t, testidp.Options{Users: []testidp.User{alice}})
	app := newSite(t, idp, "replay-client", nil)
	r := app.browser.PostForm(app.origin+"/auth/signin/oidc", url.Values{"csrfToken": {app.csrf()}, "callbackUrl": {app.origin + "/home"}})
	callback, err := idp.Login(t.Context(), app.browser.Client, r.Header.Get("Location"), alice.Username, alice.Password)
	if err != nil {
		t.Fatal(err)
	}
	before := app.browser.Cookies()

	r = app.browser.Get(callback)
	if r.StatusCode != 302 || r.Header.Get("Location") != app.origin+"/home" || idp.TokenCalls() != 1 {
		t.Fatalf("callback: %d %q, %d token requests", r.StatusCode, r.Header.Get("Location"), idp.TokenCalls())
	}

	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var wg sync.WaitGroup
	for i := range 5 {
		wg.Go(func() {
			req, _ := http.NewRequestWithContext(t.Context(), "GET", callback, nil)
			for _, c := range before {
				req.AddCookie(c)
			}
			r, err := noFollow.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			r.Body.Close()
			if r.StatusCode != 302 || r.Header.Get("Location") != app.origin+"/auth/signin?error=OAuthCallbackError" {
				t.Errorf("replay %d: %d %q", i, r.StatusCode, r.Header.Get("Location"))
			}
			for _, c := range r.Cookies() {
				if strings.HasPrefix(c.Name, "authjs.session-token") && c.MaxAge >= 0 && c.Value != "" {
					t.Errorf("replay %d set a session", i)
				}
			}
		})
	}
	wg.Wait()
	if n := idp.TokenCalls(); n != 1 {
		t.Fatalf("%d token requests after five replays, want 1", n)
	}
}
