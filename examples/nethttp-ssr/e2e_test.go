package main

// Browser end-to-end tests: the example site in real headless Chromium,
// driven with chromedp. One Chromium serves every subtest; each subtest
// works in browser contexts of its own (own cookies, storage and
// BroadcastChannel), so the subtests do not see each other's sessions.
//
// Chromium is Debian's /usr/bin/chromium (or chromium on PATH, or
// $AUTHGO_CHROMIUM). The next-auth/react subtests need the React example
// built for /react/ (cd examples/react-next-auth && npm ci && npx vite build
// --base /react/); the test builds it when it is missing and node can.
// Without Chromium or the build the tests skip, and under CI=true they fail.
//
// Screenshots go to testoutput/screenshots at the root of the repository
// ($AUTHGO_TEST_OUTPUT/screenshots when that is set).

import (
	"context"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/authgo/authgo/internal/testkit"
)

const (
	e2eSecret = "e2e-secret-0123456789abcdef0123456789abcdef"
	alice     = "Alice"
)

// site is the example app on a test server, and the browser that visits it.
type site struct {
	url      string // http://127.0.0.1:port: the pages and /auth share it
	browser  context.Context
	react    string // the built React example, or "" (reactWhy says why)
	reactWhy string
	shots    string // where screenshots go
}

func TestBrowser(t *testing.T) {
	if testing.Short() && !inCI() {
		t.Skip("browser tests do not run with -short")
	}
	start := time.Now()
	exe := testkit.Chromium(t)
	dist, why := reactDist(t)

	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	h, err := newApp(appConfig{Secret: e2eSecret, URL: base + "/auth", ReactDist: dist, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = h
	srv.Start()
	t.Cleanup(srv.Close)

	s := &site{url: base, react: dist, reactWhy: why, shots: outputDir(t)}
	s.browser = startBrowser(t, exe)

	t.Run("unauthenticated visit signs in and returns", s.testSignInAndReturn)
	t.Run("SSR shows no loading state", s.testNoLoadingFlash)
	t.Run("vanilla client sees the session", s.testVanilla)
	t.Run("next-auth/react sees the session", s.testReactSession)
	t.Run("next-auth/react signs in", s.testReactSignIn)
	t.Run("sign-out in one tab signs out the other", s.testTabSync)
	t.Run("screenshots", s.testScreenshots)
	t.Run("OpenID Connect at a real IdP", s.testOIDC)
	t.Logf("browser tests took %v", time.Since(start).Round(time.Millisecond))
}

// session opens a tab in a new browser context: a browser of its own, as
// far as cookies, storage and tab sync go.
func (s *site) session(t *testing.T) context.Context {
	t.Helper()
	return openTab(t, s.browser, "A", chromedp.WithNewBrowserContext())
}

// needReact skips (or, in CI, fails) a subtest that needs the React build.
func (s *site) needReact(t *testing.T) {
	t.Helper()
	if s.react == "" {
		skipOrFail(t, "the React example is not built: %s", s.reactWhy)
	}
}

// submitSignIn fills the built-in sign-in page's credentials form and submits it.
func submitSignIn(t *testing.T, tab context.Context, username, password string) {
	t.Helper()
	do(t, tab, "sign-in form",
		chromedp.SendKeys(chromedp.CSS(`input[name="username"]`), username),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), password),
		chromedp.Click(chromedp.CSS(`form button[type="submit"]`)),
	)
}

// signIn signs the tab's browser context in as alice through the built-in
// sign-in page and leaves the tab on /dashboard/.
func (s *site) signIn(t *testing.T, tab context.Context) {
	t.Helper()
	navigate(t, tab, s.url+"/auth/signin?callbackUrl="+url.QueryEscape(s.url+"/dashboard/"))
	submitSignIn(t, tab, "alice", "wonderland")
	waitJS(t, tab, waitBudget, "the dashboard after sign-in", `location.pathname === "/dashboard/"`)
	waitStatus(t, tab, "authenticated")
}

// 1. An unauthenticated visit to a protected page ends on the built-in
// sign-in page; a wrong password says so; the right one returns to the page
// asked for, query included, rendered for Alice on the server.
func (s *site) testSignInAndReturn(t *testing.T) {
	tab := s.session(t)
	want := s.url + "/dashboard/x?tab=2"
	navigate(t, tab, want)
	waitJS(t, tab, waitBudget, "the sign-in page", `location.pathname === "/auth/signin" && document.readyState === "complete"`)
	u, err := url.Parse(location(t, tab))
	if err != nil {
		t.Fatal(err)
	}
	if got := u.Query().Get("callbackUrl"); got != want {
		t.Fatalf("sign-in page callbackUrl = %q, want %q (%s)", got, want, u)
	}
	if h := text(t, tab, "h1"); h != "Sign in" {
		t.Errorf("sign-in page heading = %q", h)
	}

	submitSignIn(t, tab, "alice", "not-the-password")
	waitJS(t, tab, waitBudget, "the sign-in error",
		`location.pathname === "/auth/signin" && new URLSearchParams(location.search).get("error") === "CredentialsSignin" && document.readyState === "complete"`)
	if msg := text(t, tab, `[role="alert"]`); !strings.Contains(msg, "Sign in failed") {
		t.Errorf("sign-in error message = %q", msg)
	}
	// The page kept the username, not the password: only the password is
	// typed again.
	form := eval[string](t, tab, `document.querySelector('input[name="username"]').value + "|" + document.querySelector('input[name="password"]').value`)
	if form != "alice|" {
		t.Errorf("after the failure username|password = %q, want %q", form, "alice|")
	}
	do(t, tab, "right password",
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), "wonderland"),
		chromedp.Click(chromedp.CSS(`form button[type="submit"]`)),
	)
	waitJS(t, tab, waitBudget, "the page asked for", `location.href === `+jsString(want)+` && document.readyState === "complete"`)
	if got := text(t, tab, "#user-name"); got != alice {
		t.Errorf("#user-name = %q, want %q", got, alice)
	}
	if got := text(t, tab, "h1"); got != "Dashboard" {
		t.Errorf("h1 = %q, want Dashboard", got)
	}
	// The server rendered it: the session is embedded in the page.
	if got := eval[string](t, tab, `JSON.parse(document.getElementById("authgo-session").textContent).user.name`); got != alice {
		t.Errorf("embedded session user = %q", got)
	}
	waitStatus(t, tab, "authenticated")
}

// 2. A server-rendered page never shows "loading": #status is
// "authenticated" from the first parse on, and the client does not fetch
// the session it was given. /vanilla, rendered without the session, does go
// loading → authenticated: the check can fail.
func (s *site) testNoLoadingFlash(t *testing.T) {
	tab := s.session(t)
	s.signIn(t, tab)
	settle := func() []string {
		t.Helper()
		waitQuiet(t, tab)
		do(t, tab, "settle", chromedp.Sleep(200*time.Millisecond))
		return eval[[]string](t, tab, `window.__statuses`)
	}
	for _, p := range []string{"/dashboard/", "/"} {
		navigate(t, tab, s.url+p)
		waitStatus(t, tab, "authenticated")
		if got := settle(); !slices.Equal(got, []string{"authenticated"}) {
			t.Errorf("%s: #status went through %q, want only authenticated", p, got)
		}
		if got := text(t, tab, "#client-session"); !strings.Contains(got, "alice@example.com") {
			t.Errorf("%s: #client-session = %q, want the session the client holds", p, got)
		}
		if n := eval[int](t, tab, `window.__net.count`); n != 0 {
			t.Errorf("%s: the client made %d fetches; the embedded session should need none", p, n)
		}
	}
	navigate(t, tab, s.url+"/vanilla")
	waitStatus(t, tab, "authenticated")
	if got := settle(); !slices.Equal(got, []string{"loading", "authenticated"}) {
		t.Errorf("/vanilla: #status went through %q, want loading then authenticated", got)
	}
}

// clientSession is what getSession() resolves to.
type clientSession struct {
	User struct {
		Name  string `json:"name"`
		Email string `json:"email"`
	} `json:"user"`
	Expires string `json:"expires"`
}

// 3. The vanilla page (no server-rendered session) gets the session from
// client.js: in the DOM and from window.authgo.getSession().
func (s *site) testVanilla(t *testing.T) {
	tab := s.session(t)
	navigate(t, tab, s.url+"/vanilla")
	waitStatus(t, tab, "unauthenticated")
	if got := eval[*clientSession](t, tab, `window.authgo.getSession()`); got != nil {
		t.Errorf("signed out: getSession() = %+v, want null", got)
	}

	s.signIn(t, tab)
	navigate(t, tab, s.url+"/vanilla")
	waitStatus(t, tab, "authenticated")
	if got := text(t, tab, "#user-name"); got != alice {
		t.Errorf("#user-name = %q, want %q", got, alice)
	}
	if got := text(t, tab, "#user-email"); got != "alice@example.com" {
		t.Errorf("#user-email = %q", got)
	}
	got := eval[*clientSession](t, tab, `window.authgo.getSession()`)
	if got == nil || got.User.Name != alice || got.User.Email != "alice@example.com" {
		t.Fatalf("getSession() = %+v", got)
	}
	exp, err := time.Parse(time.RFC3339, got.Expires)
	if err != nil || !exp.After(time.Now()) {
		t.Errorf("getSession().expires = %q (%v)", got.Expires, err)
	}
	if st := eval[string](t, tab, `window.authgo.get().status`); st != "authenticated" {
		t.Errorf("store status = %q", st)
	}
}

// 4a. The next-auth/react page sees a session made through the built-in page.
func (s *site) testReactSession(t *testing.T) {
	s.needReact(t)
	tab := s.session(t)
	s.signIn(t, tab)
	navigate(t, tab, s.url+"/react/")
	waitStatus(t, tab, "authenticated")
	if got := text(t, tab, "#user-name"); got != alice {
		t.Errorf("#user-name = %q, want %q", got, alice)
	}
	if got := text(t, tab, "#user-email"); got != "alice@example.com" {
		t.Errorf("#user-email = %q", got)
	}
}

// 4b. A signed-out browser signs in through the next-auth/react page's form:
// a wrong password shows the error, the right one signs in (and the server's
// pages see the session).
func (s *site) testReactSignIn(t *testing.T) {
	s.needReact(t)
	tab := s.session(t)
	navigate(t, tab, s.url+"/react/")
	waitStatus(t, tab, "unauthenticated")
	do(t, tab, "wrong password",
		chromedp.SendKeys(chromedp.ID("username"), "alice"),
		chromedp.SendKeys(chromedp.ID("password"), "nope"),
		chromedp.Click(chromedp.ID("signin-submit")),
	)
	waitJS(t, tab, waitBudget, "#signin-error", `document.querySelector("#signin-error")?.textContent`)
	if got := text(t, tab, "#signin-error"); got != "That username and password do not match." {
		t.Errorf("#signin-error = %q", got)
	}
	if got := eval[string](t, tab, `document.querySelector("#status").dataset.status`); got != "unauthenticated" {
		t.Errorf("after a wrong password status = %q", got)
	}

	// (chromedp.Clear resets the value attribute, not what was typed.)
	eval[bool](t, tab, `(document.getElementById("password").value = "", true)`)
	do(t, tab, "right password",
		chromedp.SendKeys(chromedp.ID("password"), "wonderland"),
		chromedp.Click(chromedp.ID("signin-submit")),
	)
	waitStatus(t, tab, "authenticated")
	if got := text(t, tab, "#user-name"); got != alice {
		t.Errorf("#user-name = %q, want %q", got, alice)
	}
	navigate(t, tab, s.url+"/dashboard/")
	if got := location(t, tab); got != s.url+"/dashboard/" {
		t.Fatalf("the dashboard after a React sign-in redirected to %s", got)
	}
	if got := text(t, tab, "#user-name"); got != alice {
		t.Errorf("dashboard #user-name = %q", got)
	}
}

// 5. Two tabs of one browser: signing out in tab A signs out tab B, without
// reloading B, whichever client either page uses.
func (s *site) testTabSync(t *testing.T) {
	for _, c := range []struct {
		name, a, b string
		react      bool
	}{
		{"client.js to client.js", "/dashboard/", "/dashboard/", false},
		{"client.js to next-auth/react", "/vanilla", "/react/", true},
		{"next-auth/react to client.js", "/react/", "/dashboard/", true},
		{"next-auth/react to next-auth/react", "/react/", "/react/", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.react {
				s.needReact(t)
			}
			a := s.session(t)
			s.signIn(t, a)
			b := openTab(t, a, "B")
			navigate(t, a, s.url+c.a)
			navigate(t, b, s.url+c.b)
			waitStatus(t, a, "authenticated")
			waitStatus(t, b, "authenticated")
			// next-auth/react reads the session on load (twice) and in every
			// other tab after any read; GET /session re-issues the cookie, so
			// a read still in flight could undo the sign-out. Let both settle.
			waitQuiet(t, a, b)
			eval[bool](t, b, `(window.__marker = "same document", true)`)

			start := time.Now()
			do(t, a, "sign out in A", chromedp.Click(chromedp.CSS("#signout")))
			waitJS(t, b, 5*time.Second, "tab B signed out",
				`document.querySelector("#status")?.dataset.status === "unauthenticated"`)
			t.Logf("tab B signed out %v after the click in tab A", time.Since(start).Round(time.Millisecond))
			if got := eval[string](t, b, `String(window.__marker)`); got != "same document" {
				t.Errorf("tab B was reloaded (marker %q)", got)
			}
			waitStatus(t, a, "unauthenticated")

			// Nothing brought the cookie back: both tabs stay signed out.
			waitQuiet(t, a, b)
			if signedIn := eval[bool](t, b, `fetch("/auth/session").then(r => r.json()).then(s => s !== null)`); signedIn {
				t.Error("GET /auth/session still answers a session after the sign-out")
			}
			for name, tab := range map[string]context.Context{"A": a, "B": b} {
				if st := eval[string](t, tab, `document.querySelector("#status").dataset.status`); st != "unauthenticated" {
					t.Errorf("tab %s status = %q after settling", name, st)
				}
			}
		})
	}
}

// 6. Screenshots of the built-in pages and the example pages, light and
// dark, desktop and phone width, for a person to look at.
func (s *site) testScreenshots(t *testing.T) {
	tab := s.session(t)
	shot := func(name string) { t.Helper(); screenshot(t, tab, s.shots, name) }
	light := func() { t.Helper(); viewport(t, tab, 1280, 800, "light") }
	dark := func() { t.Helper(); viewport(t, tab, 1280, 800, "dark") }
	phone := func() { t.Helper(); viewport(t, tab, 390, 844, "light") }
	// At phone width nothing may stick out sideways.
	fits := func(name string) {
		t.Helper()
		if w := eval[string](t, tab, `document.documentElement.scrollWidth > innerWidth ? document.documentElement.scrollWidth + " > " + innerWidth : ""`); w != "" {
			t.Errorf("%s: the page is wider than a phone screen (%s px)", name, w)
		}
	}

	light()
	navigate(t, tab, s.url+"/")
	waitStatus(t, tab, "unauthenticated")
	shot("home-signed-out")
	navigate(t, tab, s.url+"/auth/signin?callbackUrl="+url.QueryEscape(s.url+"/dashboard/"))
	shot("signin")
	submitSignIn(t, tab, "alice", "not-the-password")
	waitJS(t, tab, waitBudget, "the sign-in error", `document.querySelector('[role="alert"]') && document.readyState === "complete"`)
	shot("signin-error")
	dark()
	shot("signin-error-dark")
	phone()
	shot("signin-error-phone")
	fits("signin-error-phone")
	light()
	navigate(t, tab, s.url+"/auth/error?error=AccessDenied")
	shot("error")
	dark()
	shot("error-dark")

	light()
	s.signIn(t, tab) // lands on /dashboard/
	shot("dashboard")
	dark()
	shot("dashboard-dark")
	phone()
	shot("dashboard-phone")
	fits("dashboard-phone")
	light()
	navigate(t, tab, s.url+"/vanilla")
	waitStatus(t, tab, "authenticated")
	shot("vanilla")
	if s.react != "" {
		navigate(t, tab, s.url+"/react/")
		waitStatus(t, tab, "authenticated")
		shot("react-signed-in")
		dark()
		shot("react-signed-in-dark")
		light()
	}
	navigate(t, tab, s.url+"/auth/signout?callbackUrl="+url.QueryEscape(s.url+"/"))
	shot("signout")
	dark()
	shot("signout-dark")
	light()
	do(t, tab, "confirm sign-out", chromedp.Click(chromedp.CSS(`form button[type="submit"]`)))
	waitJS(t, tab, waitBudget, "the home page after sign-out", `location.pathname === "/" && document.readyState === "complete"`)
	waitStatus(t, tab, "unauthenticated")
	if s.react != "" {
		navigate(t, tab, s.url+"/react/")
		waitStatus(t, tab, "unauthenticated")
		shot("react-signed-out")
		phone()
		shot("react-signed-out-phone")
		fits("react-signed-out-phone")
	} else {
		skipOrFail(t, "no React screenshots: %s", s.reactWhy)
	}
}
