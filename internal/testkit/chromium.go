package testkit

import (
	"os"
	"os/exec"
	"testing"
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
