package adaptertest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authgo/authgo"
)

// Counter checks an authgo.Counter. newCounter returns a counter whose
// keys do not collide with other runs (the checks add a per-run prefix
// too).
func Counter(t *testing.T, newCounter func(t *testing.T) authgo.Counter) {
	ctx := context.Background()
	run := fmt.Sprintf("test:%d:", time.Now().UnixNano())

	t.Run("counts", func(t *testing.T) {
		c := newCounter(t)
		key := run + "counts"
		if n, ends, err := c.Count(ctx, key); err != nil || n != 0 || !ends.IsZero() {
			t.Fatalf("Count of a new key = %d, %v, %v; want 0, zero time", n, ends, err)
		}
		before := time.Now()
		var first time.Time
		for want := int64(1); want <= 3; want++ {
			n, ends, err := c.Add(ctx, key, time.Hour)
			if err != nil || n != want {
				t.Fatalf("Add #%d = %d, %v", want, n, err)
			}
			if want == 1 {
				first = ends
				if ends.Before(before.Add(time.Hour-time.Second)) || ends.After(time.Now().Add(time.Hour+time.Second)) {
					t.Fatalf("window ends %v, want about an hour after %v", ends, before)
				}
			} else if d := ends.Sub(first).Abs(); d > 5*time.Millisecond {
				t.Fatalf("Add #%d moved the window's end by %v: later events must not extend it", want, d)
			}
		}
		n, ends, err := c.Count(ctx, key)
		if err != nil || n != 3 || ends.Sub(first).Abs() > 5*time.Millisecond {
			t.Fatalf("Count = %d, %v, %v; want 3, %v", n, ends, err, first)
		}
		if n, _, err := c.Count(ctx, key+"-other"); err != nil || n != 0 {
			t.Fatalf("another key counts %d, %v", n, err)
		}
	})

	t.Run("reset", func(t *testing.T) {
		c := newCounter(t)
		key := run + "reset"
		for range 5 {
			if _, _, err := c.Add(ctx, key, time.Hour); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.Reset(ctx, key); err != nil {
			t.Fatal(err)
		}
		if n, ends, err := c.Count(ctx, key); err != nil || n != 0 || !ends.IsZero() {
			t.Fatalf("after Reset: %d, %v, %v", n, ends, err)
		}
		if n, _, err := c.Add(ctx, key, time.Hour); err != nil || n != 1 {
			t.Fatalf("Add after Reset = %d, %v; want 1", n, err)
		}
		if err := c.Reset(ctx, run+"never-counted"); err != nil {
			t.Fatalf("Reset of an unknown key: %v", err)
		}
	})

	t.Run("window ends", func(t *testing.T) {
		c := newCounter(t)
		key := run + "ends"
		for range 3 {
			if _, _, err := c.Add(ctx, key, 300*time.Millisecond); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(400 * time.Millisecond)
		if n, _, err := c.Count(ctx, key); err != nil || n != 0 {
			t.Fatalf("Count after the window = %d, %v; want 0", n, err)
		}
		n, ends, err := c.Add(ctx, key, time.Hour)
		if err != nil || n != 1 || time.Until(ends) < 59*time.Minute {
			t.Fatalf("Add after the window = %d, ends in %v, %v; want 1 in a new hour-long window", n, time.Until(ends), err)
		}
	})

	t.Run("odd keys", func(t *testing.T) {
		c := newCounter(t)
		for _, k := range []string{
			run + "ünïcode ' \" % _ \\ ; --",
			run + strings.Repeat("k", authgo.MaxCounterKey-len(run)),
		} {
			if n, _, err := c.Add(ctx, k, time.Hour); err != nil || n != 1 {
				t.Fatalf("Add(%.40q…) = %d, %v", k, n, err)
			}
			if n, _, err := c.Count(ctx, k); err != nil || n != 1 {
				t.Fatalf("Count(%.40q…) = %d, %v", k, n, err)
			}
		}
		// A LIKE-style prefix must not match other keys.
		if n, _, err := c.Count(ctx, run+"%"); err != nil || n != 0 {
			t.Fatalf("Count of a wildcard = %d, %v", n, err)
		}
	})

	t.Run("concurrent", func(t *testing.T) {
		c := newCounter(t)
		key := run + "concurrent"
		const workers = 40
		got := make([]int64, workers)
		var wg sync.WaitGroup
		for i := range workers {
			wg.Go(func() {
				n, _, err := c.Add(ctx, key, time.Hour)
				if err != nil {
					t.Error(err)
				}
				got[i] = n
			})
		}
		wg.Wait()
		slices.Sort(got)
		for i, n := range got {
			if n != int64(i+1) {
				t.Fatalf("concurrent Adds returned %v; want each of 1..%d once", got, workers)
			}
		}
	})
}
