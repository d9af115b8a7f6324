package testkit

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestTally(t *testing.T) {
	var tl Tally
	if p99, most := tl.Latency(); p99 != 0 || most != 0 || tl.N() != 0 || len(tl.Counts()) != 0 {
		t.Fatalf("zero Tally: %v %v %d %v", p99, most, tl.N(), tl.Counts())
	}
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Go(func() {
			tl.Count(fmt.Sprint("k", i%2))
			tl.Took(time.Duration(i+1) * time.Millisecond)
			tl.Problem("problem %d", i)
		})
	}
	wg.Wait()
	if c := tl.Counts(); tl.N() != 100 || c["k0"] != 50 || c["k1"] != 50 {
		t.Errorf("N %d, Counts %v", tl.N(), c)
	}
	if p99, most := tl.Latency(); p99 != 100*time.Millisecond || most != 100*time.Millisecond {
		t.Errorf("Latency = %v, %v", p99, most)
	}
	if len(tl.problems) != 10 {
		t.Errorf("%d problems kept, want the first 10", len(tl.problems))
	}
}
