package testkit

import (
	"os"
	"testing"
)

// Missing ends a test that needs a service or tool this machine lacks:
// skipped, and under CI=true, where nothing may be skipped, failed. The
// message should say how to get the missing part.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true: "+format, args...)
	}
	t.Skipf(format, args...)
}
