package main

import (
	"testing"
	"time"
)

// TestCodeClass: every status maps to its class, and no status to a
// label outside the closed set.
func TestCodeClass(t *testing.T) {
	for status, want := range map[int]string{0: "error", 99: "error", 100: "1xx", 200: "2xx", 204: "2xx", 302: "3xx", 404: "4xx", 503: "5xx", 599: "5xx", 600: "error", -1: "error"} {
		if got := codeClass(status); got != want {
			t.Errorf("codeClass(%d) = %q, want %q", status, got, want)
		}
	}
}

// TestRequestMetricsAllocateNothing: recording a request's metrics, which
// the wrapper does on every request, allocates nothing once its series
// exist.
func TestRequestMetricsAllocateNothing(t *testing.T) {
	m := newMetrics()
	m.request(routeSession, 200, time.Millisecond) // creates the series
	if n := testing.AllocsPerRun(100, func() { m.request(routeSession, 200, time.Millisecond) }); n != 0 {
		t.Errorf("metrics.request allocates %v times per request, want 0", n)
	}
}
