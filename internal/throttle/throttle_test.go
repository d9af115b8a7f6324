package throttle

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	l := &Limiter{Max: 3, Window: 15 * time.Minute, Now: func() time.Time { return now }}
	for i := 0; i < 3; i++ {
		if b, _ := l.Blocked("alice"); b {
			t.Fatalf("blocked after %d failures", i)
		}
		l.Fail("alice")
	}
	b, left := l.Blocked("alice")
	if !b || left != 15*time.Minute {
		t.Fatalf("not blocked after 3 failures: %v %v", b, left)
	}
	if b, _ := l.Blocked("bob"); b {
		t.Fatal("another key blocked")
	}
	now = now.Add(15 * time.Minute)
	if b, _ := l.Blocked("alice"); b {
		t.Fatal("lockout did not expire")
	}
	l.Fail("alice")
	l.Reset("alice")
	if b, _ := l.Blocked("alice"); b {
		t.Fatal("reset did not forget")
	}
}

func TestLimiterBounded(t *testing.T) {
	l := &Limiter{Max: 1, Window: time.Hour, MaxKeys: 100}
	for i := 0; i < 10_000; i++ {
		l.Fail(fmt.Sprint(i))
	}
	if len(l.keys) > 100 {
		t.Fatalf("%d keys kept", len(l.keys))
	}
}

func TestLimiterConcurrent(t *testing.T) {
	l := &Limiter{Max: 1000, Window: time.Hour}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				l.Fail("k")
				l.Blocked("k")
			}
		}()
	}
	wg.Wait()
	if l.keys["k"].n != 800 {
		t.Fatalf("counted %d of 800", l.keys["k"].n)
	}
}
