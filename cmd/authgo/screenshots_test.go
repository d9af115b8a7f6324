//go:build screenshots

package main

// Screenshots of the built-in pages, as authgo serve shows them, in
// headless Chromium: at desktop (1280×800) and phone (390×844) width, in
// light and dark. Not part of the normal test run (build tag screenshots):
//
//	AUTHGO_SCREENSHOTS=/tmp/screenshots go test -tags screenshots -run Screenshots -v ./cmd/authgo/
//
// Each page is also checked in the browser: its stylesheet applied (so the
// Content-Security-Policy hash matched), no CSP violation, every image
// decoded, and no resource loaded from another origin.

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/internal/testkit"
	"github.com/authgo/authgo/provider"
	"github.com/authgo/authgo/providers/credentials"
	"github.com/authgo/authgo/providers/github"
	"github.com/authgo/authgo/providers/google"
	"github.com/authgo/authgo/providers/kakao"
	"github.com/authgo/authgo/providers/naver"
	"github.com/authgo/authgo/providers/oidc"
)

// cspJS records CSP violations; DevTools-injected scripts are not subject
// to the page's policy.
const cspJS = `document.addEventListener("securitypolicyviolation", (e) => {
  (window.__csp ||= []).push(e.violatedDirective + " " + e.blockedURI);
});`

// shotLogo is a small SVG logo for the themed pages.
const shotLogo = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="8" fill="#0f766e"/><path d="M9 23 16 8l7 15h-4l-3-7-3 7z" fill="#fff"/></svg>`

// screenshotSite serves authgo serve's site with a credentials provider
// (alice / wonderland), GitHub, Google, Kakao, Naver and a generic OIDC
// provider, protecting /mypage/:path*.
func screenshotSite(t *testing.T, theme authgo.Theme) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	origin := "http://" + srv.Listener.Addr().String()
	creds, err := credentials.New(credentials.Options{
		Authorize: func(_ context.Context, c provider.Credentials, _ *http.Request) (*provider.User, error) {
			if c["username"] == "alice" && c["password"] == "wonderland" {
				return &provider.User{ID: "1", Name: "Alice Liddell", Email: "alice@example.com"}, nil
			}
			return nil, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	providers := []provider.Provider{creds}
	add := func(p provider.Provider, err error) {
		if err != nil {
			t.Fatal(err)
		}
		providers = append(providers, p)
	}
	add(github.New(github.Options{ClientID: "id", ClientSecret: "secret"}))
	add(google.New(google.Options{ClientID: "id", ClientSecret: "secret"}))
	add(kakao.New(kakao.Options{ClientID: "id", ClientSecret: "secret"}))
	add(naver.New(naver.Options{ClientID: "id", ClientSecret: "secret"}))
	add(oidc.New(oidc.Options{ID: "sso", Name: "Company SSO", Issuer: "https://sso.example.com", ClientID: "id", ClientSecret: "secret"}))
	patterns := []string{"/mypage/:path*"}
	a, err := authgo.New(authgo.Config{
		Secret:    []string{"screenshot-secret-0123456789abcdef0123456789"},
		URL:       origin,
		Providers: providers,
		Matcher:   patterns,
		Theme:     theme,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = newSite(a, theme, patterns, slog.New(slog.DiscardHandler))
	srv.Start()
	t.Cleanup(srv.Close)
	return origin
}

func TestScreenshots(t *testing.T) {
	dir := os.Getenv("AUTHGO_SCREENSHOTS")
	if dir == "" {
		dir = "/tmp/screenshots"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	exe := testkit.Chromium(t)
	opts := testkit.ChromiumOptions(exe)
	budget, cancelBudget := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancelBudget()
	alloc, cancelAlloc := chromedp.NewExecAllocator(budget, opts...)
	defer cancelAlloc()

	origin := screenshotSite(t, authgo.Theme{})
	themed := screenshotSite(t, authgo.Theme{Brand: "Acme", Color: "#0f766e", Logo: []byte(shotLogo)})

	tab, cancelTab := chromedp.NewContext(alloc)
	defer cancelTab()
	// The first action on the tab's own context starts the browser and
	// the tab; on a derived one, its end would close them.
	if err := chromedp.Do(tab, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: cspJS})
		return err
	})); err != nil {
		t.Fatalf("starting %s: %v", exe, err)
	}
	s := &shooter{t: t, ctx: tab, dir: dir}

	s.open(origin + "/auth/signin")
	s.shoot("signin", origin)

	s.do("wrong password",
		chromedp.SendKeys(chromedp.CSS(`input[name="username"]`), "alice"),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), "not-her-password"),
		chromedp.Click(chromedp.CSS(`form[action$="/auth/callback/credentials"] button`)))
	s.wait("the failed sign-in page", `location.search.includes("error=CredentialsSignin") && document.readyState === "complete"`)
	if got := s.eval(`document.querySelector('input[name="username"]').value + "|" + document.querySelector('input[name="password"]').value`); got != "alice|" {
		t.Errorf("after the failure the form holds %q, want alice and no password", got)
	}
	s.shoot("signin-failed", origin)

	// The lockout message, as the redirect after the eleventh attempt
	// would show it.
	s.open(origin + "/auth/signin?error=CredentialsSignin&code=rate_limited&retry_after=840")
	if got := s.eval(`document.querySelector('[role="alert"]').innerText`); got != "Too many attempts; try again in 14 minutes." {
		t.Errorf("the lockout page says %q", got)
	}
	s.shoot("signin-locked", origin)

	s.open(origin + "/auth/error?error=AccessDenied")
	s.shoot("error", origin)
	s.open(origin + "/no/such/page")
	s.shoot("not-found", origin)
	s.open(origin + "/")
	s.shoot("home-signed-out", origin)

	s.open(origin + "/auth/signin?callbackUrl=%2F")
	s.do("sign in",
		chromedp.SendKeys(chromedp.CSS(`input[name="username"]`), "alice"),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), "wonderland"),
		chromedp.Click(chromedp.CSS(`form[action$="/auth/callback/credentials"] button`)))
	s.wait("the home page, signed in", `document.readyState === "complete" && document.body.innerText.includes("Signed in as")`)
	s.open(origin + "/")
	s.shoot("home-signed-in", origin)
	s.open(origin + "/mypage/reports")
	s.shoot("protected-page", origin)
	s.open(origin + "/auth/signout")
	s.shoot("signout", origin)

	s.open(themed + "/auth/signin")
	s.shoot("themed-signin", themed)
}

type shooter struct {
	t   *testing.T
	ctx context.Context
	dir string
}

func (s *shooter) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(s.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		s.t.Fatalf("%s: %v", what, err)
	}
}

func (s *shooter) eval(expr string) string {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		s.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

func (s *shooter) open(url string) {
	s.t.Helper()
	s.do("navigate "+url, chromedp.Navigate(url))
}

// wait polls the JavaScript condition, through navigations.
func (s *shooter) wait(what, cond string) {
	s.t.Helper()
	expr := `(() => { try { return !!(` + cond + `) ? "yes" : ""; } catch (e) { return ""; } })()`
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(s.ctx, 2*time.Second)
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
		cancel()
		if err == nil && v == "yes" {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.t.Fatalf("waited for %s", what)
}

// checkJS returns "" when the page is well: stylesheet applied, images
// decoded, no CSP violation, every resource from origin.
const checkJS = `(() => {
  const bad = [];
  const card = document.querySelector(".card");
  if (!card || getComputedStyle(card).borderTopStyle !== "solid") bad.push("stylesheet not applied");
  for (const img of document.images) if (!img.complete || img.naturalWidth === 0) bad.push("image not decoded: " + img.src.slice(0, 40));
  for (const v of window.__csp || []) bad.push("CSP: " + v);
  for (const e of performance.getEntriesByType("resource")) if (!e.name.startsWith(location.origin + "/")) bad.push("loaded " + e.name);
  if (document.querySelector("[style]")) bad.push("style attribute");
  if (document.documentElement.scrollWidth > window.innerWidth) bad.push("horizontal scroll: " + document.documentElement.scrollWidth + " > " + window.innerWidth);
  return bad.join("; ");
})()`

// shoot saves name-{desktop,phone}-{light,dark}.png of the current page.
func (s *shooter) shoot(name, origin string) {
	s.t.Helper()
	if !strings.HasPrefix(s.eval("location.href"), origin) {
		s.t.Fatalf("%s: the tab is at %s", name, s.eval("location.href"))
	}
	for _, vp := range []struct {
		name string
		w, h int64
		opts []chromedp.EmulateViewportOption
	}{
		{"desktop", 1280, 800, nil},
		{"phone", 390, 844, []chromedp.EmulateViewportOption{chromedp.EmulatePortrait, chromedp.EmulateMobile, chromedp.EmulateTouch}},
	} {
		for _, scheme := range []string{"light", "dark"} {
			s.do("viewport", chromedp.EmulateViewport(vp.w, vp.h, vp.opts...), chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
					Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
				})
				return err
			}), chromedp.Sleep(200*time.Millisecond))
			file := name + "-" + vp.name + "-" + scheme
			if bad := s.eval(checkJS); bad != "" {
				s.t.Errorf("%s: %s", file, bad)
			}
			ctx, cancel := context.WithTimeout(s.ctx, 20*time.Second)
			png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG
			cancel()
			if err != nil {
				s.t.Fatalf("screenshot %s: %v", file, err)
			}
			p := filepath.Join(s.dir, file+".png")
			if err := os.WriteFile(p, png, 0o644); err != nil {
				s.t.Fatal(err)
			}
			s.t.Logf("wrote %s", p)
		}
	}
}
