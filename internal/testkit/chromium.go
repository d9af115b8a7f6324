package testkit

import (
	"os"
	"os/exec"
	"testing"

	"github.com/chromedp/chromedp"
)

// Chromium returns the headless browser the browser tests drive:
// $AUTHGO_CHROMIUM, else Debian's /usr/bin/chromium, else chromium or
// chromium-browser on PATH. Without one the test is skipped, and under
// CI=true it fails (see [Missing]).
func Chromium(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("AUTHGO_CHROMIUM"); p != "" {
		return p
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	Missing(t, "no Chromium: install Debian's chromium (apt-get install -y chromium) or set AUTHGO_CHROMIUM")
	return ""
}

// ChromiumOptions start the headless Chromium exe as root in a container
// (no sandbox, no GPU, no /dev/shm) and keep it off the network but for
// the test's own servers. Callers append what their test needs (a window
// size, CombinedOutput).
func ChromiumOptions(exe string, more ...chromedp.ExecAllocatorOption) []chromedp.ExecAllocatorOption {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-proxy-server", true),
	)
	return append(opts, more...)
}
