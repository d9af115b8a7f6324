package match

import (
	"strings"
	"testing"
	"time"
)

// TestTimeoutFailsClosed: a backtracking match that runs out of time counts
// as a match for patterns that guard paths and as no match for patterns
// that open them (Options.Opens), so neither opens a path.
func TestTimeoutFailsClosed(t *testing.T) {
	// (a|aa)+ before a b that never comes backtracks exponentially; the
	// look-ahead keeps it off RE2.
	const pattern = "/:p((?!z)(?:a|aa)+b)"
	path := "/" + strings.Repeat("a", 40) + "c"
	for _, tc := range []struct {
		opens bool
		want  Decision
	}{{false, Match}, {true, NoMatch}} {
		m, err := Options{MatchTimeout: time.Millisecond, Opens: tc.opens}.Compile(pattern)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.MatchPath(path); got != tc.want {
			t.Errorf("Opens=%v: %v, want %v", tc.opens, got, tc.want)
		}
		// A path it decides in time is decided the same either way.
		if got := m.MatchPath("/aab"); got != Match {
			t.Errorf("Opens=%v: /aab gives %v, want Match", tc.opens, got)
		}
	}
}
