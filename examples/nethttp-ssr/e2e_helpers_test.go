package main

// Helpers of the browser tests in e2e_test.go: finding Chromium and the
// built React example, starting the browser, opening tabs, waiting for the
// page, and saving screenshots.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/authgo/authgo/internal/testkit"
)

const (
	// browserBudget bounds the whole browser: every tab is a child of it.
	browserBudget = 5 * time.Minute
	// tabBudget bounds one tab (and so one subtest's use of it).
	tabBudget = 60 * time.Second
	// waitBudget is how long a page may take to reach a state we wait for.
	waitBudget = 10 * time.Second
)

// inCI reports whether a missing browser or React build is a failure (CI)
// rather than a reason to skip (a developer's machine).
func inCI() bool { return os.Getenv("CI") == "true" }

// skipOrFail skips the test on a developer's machine and fails it in CI.
func skipOrFail(t testing.TB, format string, args ...any) {
	t.Helper()
	if inCI() {
		t.Fatalf("CI=true: "+format, args...)
	}
	t.Skipf(format, args...)
}

// reactDist returns the directory of the React example built for /react/,
// building it when node can (not in CI: .ci/run builds it first). It returns
// "" when there is none; the React subtests then skip (or fail in CI).
func reactDist(t *testing.T) (dir, why string) {
	t.Helper()
	app, err := filepath.Abs(filepath.Join("..", "react-next-auth"))
	if err != nil {
		t.Fatal(err)
	}
	dist := filepath.Join(app, "dist")
	built := func() error {
		b, err := os.ReadFile(filepath.Join(dist, "index.html"))
		if err != nil {
			return err
		}
		if !strings.Contains(string(b), `src="/react/assets/`) {
			return errors.New("dist/index.html was not built with --base /react/")
		}
		return nil
	}
	err = built()
	if err == nil {
		return dist, ""
	}
	if inCI() {
		return "", fmt.Sprintf("%v (.ci/run builds it: cd examples/react-next-auth && npm ci && npx vite build --base /react/)", err)
	}
	// A developer's machine: build it once, as .ci/run does.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	run := func(name string, args ...string) error {
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Dir = app
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return nil
	}
	if _, err := os.Stat(filepath.Join(app, "node_modules", "next-auth")); err != nil {
		if err := run("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"); err != nil {
			return "", err.Error()
		}
	}
	if err := run("npx", "vite", "build", "--base", "/react/", "--logLevel", "warn"); err != nil {
		return "", err.Error()
	}
	if err := built(); err != nil {
		return "", err.Error()
	}
	t.Logf("built the React example in %s", dist)
	return dist, ""
}

// outputDir is where screenshots go: $AUTHGO_TEST_OUTPUT/screenshots, by
// default testoutput/screenshots at the root of the repository (ignored by git).
func outputDir(t *testing.T) string {
	t.Helper()
	root := os.Getenv("AUTHGO_TEST_OUTPUT")
	if root == "" {
		root = filepath.Join("..", "..", "testoutput")
	}
	dir, err := filepath.Abs(filepath.Join(root, "screenshots"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// startBrowser starts headless Chromium with a fresh profile (chromedp makes a
// temporary user-data-dir and removes it at the end) and returns its context.
func startBrowser(t *testing.T, exe string) context.Context {
	t.Helper()
	out := &testkit.Buffer{}
	opts := testkit.ChromiumOptions(exe,
		chromedp.Flag("disable-quic", true),
		chromedp.WindowSize(1280, 800),
		chromedp.CombinedOutput(out),
	)
	budget, cancelBudget := context.WithTimeout(context.Background(), browserBudget)
	alloc, cancelAlloc := chromedp.NewExecAllocator(budget, opts...)
	browser, cancelBrowser := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc() // waits for Chromium to exit and its profile to go
		cancelBudget()
		if t.Failed() && out.Len() > 0 {
			t.Logf("chromium output:\n%s", out.Tail(4000))
		}
	})
	start := time.Now()
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("starting %s: %v\n%s", exe, err, out.Tail(4000))
	}
	v, err := chromedp.CallBrowser(browser, cdpbrowser.GetVersion, cdp.Empty{})
	if err == nil {
		t.Logf("%s started in %v", v.Product, time.Since(start).Round(time.Millisecond))
	}
	return browser
}

// instrumentJS runs in every document before the page's own scripts.
//
// window.__net counts fetches in flight and remembers the last network
// activity, so that a test can wait for a tab to go quiet (GET <base>/session
// re-issues the session cookie: a read still in flight when another tab signs
// out would put the cookie back).
//
// window.__statuses records, in order, every value #status ever had, as text
// or as data-status: a MutationObserver on the document from before the parser
// inserts #status (with the old values of every change, so that two changes in
// one task are both seen), and a requestAnimationFrame poll from
// DOMContentLoaded on.
const instrumentJS = `(() => {
  if (window.__net) return;
  const net = window.__net = { inflight: 0, last: performance.now(), count: 0 };
  const fetch0 = window.fetch;
  window.fetch = function (...args) {
    net.inflight++; net.count++; net.last = performance.now();
    const p = fetch0.apply(this, args);
    const done = () => { net.inflight--; net.last = performance.now(); };
    p.then(done, done);
    return p;
  };

  const seen = window.__statuses = [];
  const push = (v) => { if (typeof v === "string" && v !== "" && seen[seen.length - 1] !== v) seen.push(v); };
  const read = () => {
    const el = document.getElementById("status");
    if (el) { push(el.getAttribute("data-status")); push(el.textContent.trim()); }
  };
  new MutationObserver((records) => {
    for (const r of records) {
      const el = r.target;
      if (r.type === "attributes" && el.id === "status") push(r.oldValue);
      if (r.type === "characterData" && el.parentNode && el.parentNode.id === "status") push((r.oldValue || "").trim());
      if (r.type === "childList" && el.id === "status") for (const n of r.removedNodes) push(n.textContent.trim());
    }
    read();
  }).observe(document, { subtree: true, childList: true, characterData: true, characterDataOldValue: true,
    attributes: true, attributeFilter: ["data-status"], attributeOldValue: true });
  document.addEventListener("DOMContentLoaded", () => {
    const tick = () => { read(); requestAnimationFrame(tick); };
    tick();
  });
})();`

// openTab opens a tab (in a window of its own, so that it is visible and gets
// animation frames) that lives at most tabBudget. With
// chromedp.WithNewBrowserContext it starts a new browser context (its own
// cookies, storage and BroadcastChannel); without, it shares parent's.
func openTab(t *testing.T, parent context.Context, name string, opts ...chromedp.ContextOption) context.Context {
	t.Helper()
	budget, cancelBudget := context.WithTimeout(parent, tabBudget)
	ctx, cancel := chromedp.NewContext(budget, opts...)
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: instrumentJS})
		return err
	})); err != nil {
		cancel()
		cancelBudget()
		t.Fatalf("opening tab %s: %v", name, err)
	}
	// The page's console errors and uncaught exceptions go to the test log.
	messages := chromedp.Console(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleWarning || m.IsException() {
				t.Logf("[%s console] %s (%s:%d)", name, m, m.URL, m.Line+1)
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		cancelBudget()
		<-done
	})
	return ctx
}

// navigate loads url in the tab and waits for its load event.
func navigate(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("navigate %s: %v", url, err)
	}
}

// do runs actions and fails the test on an error.
func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// eval evaluates a JavaScript expression (awaiting a promise) in the tab.
func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	cctx, cancel := context.WithTimeout(ctx, waitBudget)
	defer cancel()
	v, err := chromedp.Run(cctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// waitJS waits until the JavaScript condition holds in the tab. It keeps
// asking through navigations (an evaluation that meets a navigation fails and
// is retried) and fails the test after d with what and the tab's URL.
func waitJS(t *testing.T, ctx context.Context, d time.Duration, what, cond string) {
	t.Helper()
	expr := `(() => { try { return !!(` + cond + `); } catch (e) { return false; } })()`
	deadline := time.Now().Add(d)
	var last error
	for {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		ok, err := chromedp.Run(cctx, chromedp.Evaluate[bool](expr))
		cancel()
		if err == nil && ok {
			return
		}
		if err != nil {
			last = err
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			uctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			loc, _ := chromedp.Run(uctx, chromedp.Evaluate[string](pageSummaryJS))
			cancel()
			t.Fatalf("waited %v for %s (%s); page: %s; last error: %v", d, what, cond, loc, last)
		}
		time.Sleep(40 * time.Millisecond)
	}
}

// pageSummaryJS describes the page for a failure message.
const pageSummaryJS = `location.href + " status=" + (document.querySelector("#status")?.dataset.status ?? "-") +
  " text=" + JSON.stringify((document.body?.innerText ?? "").replace(/\s+/g, " ").slice(0, 300))`

// waitStatus waits until #status says status (data-status, as both the
// example pages and the React page set it).
func waitStatus(t *testing.T, ctx context.Context, status string) {
	t.Helper()
	waitJS(t, ctx, waitBudget, "#status "+status,
		`document.readyState === "complete" && document.querySelector("#status")?.dataset.status === `+jsString(status))
}

// waitQuiet waits until every tab has had no fetch in flight for 400 ms, at
// the same time.
func waitQuiet(t *testing.T, tabs ...context.Context) {
	t.Helper()
	const quiet = `document.readyState === "complete" && window.__net && window.__net.inflight === 0 && performance.now() - window.__net.last > 400`
	deadline := time.Now().Add(waitBudget)
	for {
		all := true
		for _, tab := range tabs {
			waitJS(t, tab, waitBudget, "network idle", quiet)
		}
		for _, tab := range tabs {
			all = all && eval[bool](t, tab, quiet)
		}
		if all {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the tabs never went quiet together")
		}
	}
}

// text returns the trimmed textContent of the first element sel matches, or
// "" when there is none.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	return eval[string](t, ctx, `(document.querySelector(`+jsString(sel)+`)?.textContent ?? "").trim()`)
}

// location returns the tab's URL.
func location(t *testing.T, ctx context.Context) string {
	t.Helper()
	return eval[string](t, ctx, `location.href`)
}

// screenshot saves a full-page PNG of the tab as dir/name.png.
func screenshot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	// Let web fonts, the focus ring and transitions settle.
	waitJS(t, ctx, waitBudget, "fonts", `document.fonts.status === "loaded"`)
	do(t, ctx, "settle", chromedp.Sleep(150*time.Millisecond))
	cctx, cancel := context.WithTimeout(ctx, waitBudget)
	defer cancel()
	png, err := chromedp.Run(cctx, chromedp.FullScreenshot(100)) // 100: PNG
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	p := filepath.Join(dir, name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s", p)
}

// viewport sets the size of the tab's page and its colour scheme
// ("light" or "dark").
func viewport(t *testing.T, ctx context.Context, width, height int64, scheme string) {
	t.Helper()
	do(t, ctx, "viewport",
		chromedp.EmulateViewport(width, height),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
				Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
			})
			return err
		}))
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", `\r`, "\u2028", `\u2028`, "\u2029", `\u2029`, "<", `\x3c`)
	return `"` + r.Replace(s) + `"`
}

// testLogger sends the app's warnings and errors to the test log.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}
