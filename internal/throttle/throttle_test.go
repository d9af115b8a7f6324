package throttle

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestMemoryBounded: a flood of keys never holds more than MaxKeys; ended
// windows go first.
func TestMemoryBounded(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(1_800_000_000, 0)
	m := &Memory{MaxKeys: 100, Now: func() time.Time { return now }}
	m.Add(ctx, "old", time.Minute)
	for i := range 50 {
		m.Add(ctx, fmt.Sprint("live", i), time.Hour)
	}
	now = now.Add(2 * time.Minute) // "old" has ended
	for i := range 1000 {
		m.Add(ctx, fmt.Sprint("flood", i), time.Hour)
		if len(m.keys) > 100 {
			t.Fatalf("%d keys held after %d adds; MaxKeys is 100", len(m.keys), i)
		}
	}
	if _, ok := m.keys["old"]; ok {
		t.Fatal("an ended key survived the flood")
	}
}
