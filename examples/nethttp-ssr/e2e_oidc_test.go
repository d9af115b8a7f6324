package main

// The OpenID Connect flow in Chromium: the example site with an OIDC
// provider next to its credentials form, signing in and out at a real
// OpenID Provider (internal/testidp: zitadel's op, in process).

import (
	"context"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/authgo/authgo/internal/testidp"
	"github.com/authgo/authgo/provider"
	"github.com/authgo/authgo/providers/oidc"
)

// carol has an account at the IdP only: the example's credentials provider
// does not know her.
var carol = testidp.User{
	ID: "carol-sub-1", Username: "carol", Password: "looking-glass",
	Email: "carol@idp.example", EmailVerified: true, Name: "Carol Through-the-IdP",
}

// oidcSite is a second example site whose sign-in page offers "Test IdP",
// an OIDC provider at an in-process IdP, next to the credentials form.
type oidcSite struct {
	*site
	url string // this site's origin (site.url is the first site's)
	idp *testidp.IDP
}

// 7. OpenID Connect through the built-in sign-in page, in Chromium.
func (s *site) testOIDC(t *testing.T) {
	idp := testidp.New(t, testidp.Options{Users: []testidp.User{carol}})
	srv := httptest.NewUnstartedServer(nil)
	origin := "http://" + srv.Listener.Addr().String()
	const clientID, clientSecret = "nethttp-ssr-e2e", "nethttp-ssr-e2e-secret"
	idp.AddClient(testidp.Client{
		ID: clientID, Secret: clientSecret,
		RedirectURIs:           []string{origin + "/auth/callback/oidc"},
		PostLogoutRedirectURIs: []string{origin + "/"},
	})
	p, err := oidc.New(oidc.Options{
		Name: "Test IdP", Issuer: idp.Issuer(), ClientID: clientID, ClientSecret: clientSecret,
		SignOutAtProvider: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	h, err := newApp(appConfig{
		Secret: e2eSecret, URL: origin + "/auth", Logger: testLogger(t),
		Providers: []provider.Provider{p},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = h
	srv.Start()
	t.Cleanup(srv.Close)

	o := &oidcSite{site: s, url: origin, idp: idp}
	t.Run("sign in and out at the provider", o.testSignInAndOut)
	t.Run("refused at the provider", o.testRefused)
}

// toIdP opens /dashboard/ signed out, checks that the built-in sign-in page
// offers both ways in, and clicks "Sign in with Test IdP": the tab ends on
// the IdP's own login form.
func (o *oidcSite) toIdP(t *testing.T, tab context.Context, shot string) {
	t.Helper()
	navigate(t, tab, o.url+"/dashboard/")
	waitJS(t, tab, waitBudget, "the sign-in page", `location.pathname === "/auth/signin" && document.readyState === "complete"`)
	if u, err := url.Parse(location(t, tab)); err != nil || u.Query().Get("callbackUrl") != o.url+"/dashboard/" {
		t.Errorf("sign-in page %s (%v), want callbackUrl %s", u, err, o.url+"/dashboard/")
	}
	const button = `form[action$="/auth/signin/oidc"] button[type="submit"]`
	if got := text(t, tab, button); got != "Sign in with Test IdP" {
		t.Errorf("the OIDC button says %q", got)
	}
	if !eval[bool](t, tab, `!!document.querySelector('form[action$="/auth/callback/credentials"] input[name="username"]') && !!document.querySelector('input[name="password"]')`) {
		t.Error("the credentials form is not next to the OIDC button")
	}
	if shot != "" {
		screenshot(t, tab, o.shots, shot)
	}
	do(t, tab, "click Test IdP", chromedp.Click(chromedp.CSS(button)))
	waitJS(t, tab, waitBudget, "the IdP's login form",
		`location.href.startsWith(`+jsString(o.idp.Issuer()+"/login?")+`) && document.readyState === "complete" && document.querySelector('input[name="username"]')`)
	if got := eval[string](t, tab, `document.title`); got != "Test IdP sign-in" {
		t.Errorf("IdP page title = %q", got)
	}
}

// submitIdP fills the IdP's login form and submits it.
func submitIdP(t *testing.T, tab context.Context, username, password string) {
	t.Helper()
	// Empty the fields first: the form may be shown again after a failure.
	eval[bool](t, tab, `(document.querySelectorAll("input[name=username], input[name=password]").forEach(e => e.value = ""), true)`)
	do(t, tab, "IdP login form",
		chromedp.SendKeys(chromedp.CSS(`input[name="username"]`), username),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), password),
		chromedp.Click(chromedp.CSS(`form button[type="submit"]`)),
	)
}

// sessionIsNull reports whether GET /auth/session answers null in the tab.
func sessionIsNull(t *testing.T, tab context.Context) bool {
	t.Helper()
	return eval[bool](t, tab, `fetch("/auth/session", {credentials: "same-origin"}).then(r => r.json()).then(s => s === null)`)
}

// 7a. /dashboard/ → sign-in page → Test IdP → the IdP's form → back on
// /dashboard/, rendered on the server for the IdP's user; Sign out goes
// through the IdP's end_session endpoint and back to / signed out.
func (o *oidcSite) testSignInAndOut(t *testing.T) {
	tab := o.session(t)
	o.toIdP(t, tab, "oidc-signin")
	screenshot(t, tab, o.shots, "oidc-idp-login")

	submitIdP(t, tab, carol.Username, carol.Password)
	waitJS(t, tab, waitBudget, "the dashboard after the IdP",
		`location.href === `+jsString(o.url+"/dashboard/")+` && document.readyState === "complete"`)
	if got := text(t, tab, "#user-name"); got != carol.Name {
		t.Errorf("#user-name = %q, want %q", got, carol.Name)
	}
	if got := text(t, tab, "#user-email"); got != carol.Email {
		t.Errorf("#user-email = %q, want %q", got, carol.Email)
	}
	if got := eval[string](t, tab, `JSON.parse(document.getElementById("authgo-session").textContent).user.email`); got != carol.Email {
		t.Errorf("server-rendered session email = %q", got)
	}
	waitStatus(t, tab, "authenticated")
	if n := o.idp.TokenCalls(); n != 1 {
		t.Errorf("the IdP saw %d token requests, want 1", n)
	}
	if a := o.idp.Requests(testidp.PathAuthorize); len(a) != 1 || a[0].Get("code_challenge_method") != "S256" || a[0].Get("nonce") == "" || a[0].Get("state") == "" {
		t.Errorf("authorization requests: %v", a)
	}
	screenshot(t, tab, o.shots, "oidc-dashboard")

	// A session read in flight could put the cookie back after the sign-out.
	waitQuiet(t, tab)
	do(t, tab, "sign out", chromedp.Click(chromedp.CSS("#signout")))
	waitJS(t, tab, waitBudget, "the home page after signing out at the IdP",
		`location.origin === `+jsString(o.url)+` && location.pathname === "/" && document.readyState === "complete"`)
	waitStatus(t, tab, "unauthenticated")
	if n := o.idp.EndSessionCalls(); n != 1 {
		t.Fatalf("the IdP's end_session endpoint was called %d times, want 1", n)
	}
	es := o.idp.Requests(testidp.PathEndSession)[0]
	if es.Get("id_token_hint") == "" || es.Get("post_logout_redirect_uri") != o.url+"/" {
		t.Errorf("end_session request: %v", es)
	}
	waitQuiet(t, tab)
	if !sessionIsNull(t, tab) {
		t.Error("GET /auth/session still answers a session after signing out")
	}
	navigate(t, tab, o.url+"/dashboard/")
	waitJS(t, tab, waitBudget, "the sign-in page", `location.pathname === "/auth/signin" && document.readyState === "complete"`)
}

// 7b. A wrong password keeps the browser on the IdP's form, which says so;
// then the user gives up and the IdP answers error=access_denied (testidp
// has no "deny" button, so the tab makes the redirect the IdP would, with
// the flow's real state): the built-in sign-in page shows the OAuth
// callback error, no code is redeemed and nobody is signed in.
func (o *oidcSite) testRefused(t *testing.T) {
	tab := o.session(t)
	tokens := o.idp.TokenCalls()
	o.toIdP(t, tab, "")
	idpLogin := location(t, tab)

	submitIdP(t, tab, carol.Username, "not-her-password")
	waitJS(t, tab, waitBudget, "the IdP's error",
		`document.readyState === "complete" && document.querySelector('[role="alert"]')`)
	if got := location(t, tab); !strings.HasPrefix(got, o.idp.Issuer()+"/login") {
		t.Errorf("after a wrong password the tab is at %s (was %s)", got, idpLogin)
	}
	if msg := text(t, tab, `[role="alert"]`); msg == "" {
		t.Error("the IdP shows no error")
	} else {
		t.Logf("the IdP says %q", msg)
	}

	auth := o.idp.Requests(testidp.PathAuthorize)
	state := auth[len(auth)-1].Get("state")
	navigate(t, tab, o.url+"/auth/callback/oidc?"+url.Values{
		"error": {"access_denied"}, "error_description": {"The user refused."}, "state": {state},
	}.Encode())
	waitJS(t, tab, waitBudget, "the sign-in page with the error",
		`location.pathname === "/auth/signin" && new URLSearchParams(location.search).get("error") === "OAuthCallbackError" && document.readyState === "complete"`)
	if msg := text(t, tab, `[role="alert"]`); !strings.Contains(msg, "The provider could not complete your sign-in") {
		t.Errorf("sign-in error message = %q", msg)
	}
	if strings.Contains(eval[string](t, tab, `document.body.innerText`), "The user refused") {
		t.Error("the page shows the provider's error_description")
	}
	if got := text(t, tab, `form[action$="/auth/signin/oidc"] button`); got != "Sign in with Test IdP" {
		t.Errorf("the error page has no Test IdP button (%q)", got)
	}
	screenshot(t, tab, o.shots, "oidc-signin-error")
	if n := o.idp.TokenCalls() - tokens; n != 0 {
		t.Errorf("%d token requests after a refusal", n)
	}
	// (The built-in pages' CSP forbids fetch: ask from the home page.)
	navigate(t, tab, o.url+"/")
	waitStatus(t, tab, "unauthenticated")
	if !sessionIsNull(t, tab) {
		t.Error("a session exists after the refusal")
	}
}
