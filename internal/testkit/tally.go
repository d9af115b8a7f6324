package testkit

import (
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"
)

// Tally collects what a phase of a load test saw: the answers counted by
// a key of the test's choosing ("probe outcome"), the time each took, and
// the first ten problems. Its zero value is ready; it is safe for
// concurrent use.
type Tally struct {
	mu       sync.Mutex
	counts   map[string]int
	problems []string
	took     []time.Duration
}

// Count counts one answer under key.
func (tl *Tally) Count(key string) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	if tl.counts == nil {
		tl.counts = map[string]int{}
	}
	tl.counts[key]++
}

// N is the number of answers counted: the sum of the counts.
func (tl *Tally) N() int64 {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	var n int64
	for _, c := range tl.counts {
		n += int64(c)
	}
	return n
}

// Took records how long one request took.
func (tl *Tally) Took(d time.Duration) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	tl.took = append(tl.took, d)
}

// Problem keeps a problem, unless ten are kept already.
func (tl *Tally) Problem(format string, args ...any) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	if len(tl.problems) < 10 {
		tl.problems = append(tl.problems, fmt.Sprintf(format, args...))
	}
}

// Counts returns a copy of the counts by key.
func (tl *Tally) Counts() map[string]int {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	return maps.Clone(tl.counts)
}

// Latency returns the 99th percentile and the largest of the recorded
// times, zero without any.
func (tl *Tally) Latency() (p99, most time.Duration) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	if len(tl.took) == 0 {
		return 0, 0
	}
	s := slices.Clone(tl.took)
	slices.Sort(s)
	return s[len(s)*99/100], s[len(s)-1]
}

// Report logs the phase name's answers, latency and counts, and fails t
// with each problem kept.
func (tl *Tally) Report(t testing.TB, name string) {
	t.Helper()
	p99, most := tl.Latency()
	t.Logf("%s: %d answers, p99 %v, slowest %v: %v", name, tl.N(), p99.Round(time.Millisecond), most.Round(time.Millisecond), tl.Counts())
	tl.mu.Lock()
	problems := slices.Clone(tl.problems)
	tl.mu.Unlock()
	for _, p := range problems {
		t.Errorf("%s: %s", name, p)
	}
}
