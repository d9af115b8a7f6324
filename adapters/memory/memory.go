// Package memory holds stores that live in this process's memory: enough
// for one instance and for tests, forgotten at restart and not shared with
// other instances. For several instances, use adapters/sqlite,
// adapters/postgres or adapters/redis, which keep the same things in a
// store every instance reaches.
//
// [NewCounter] is an [authgo.Counter] held this way, for rate limits of your
// own:
//
//	limit := memory.NewCounter(0)
//	n, ends, err := limit.Add(ctx, "signup:"+addr, time.Hour)
//	if err == nil && n > 5 {
//		// refuse until ends
//	}
package memory

import (
	"github.com/authgo/authgo"
	"github.com/authgo/authgo/internal/throttle"
)

// NewCounter returns an [authgo.Counter] held in this process's memory,
// safe for concurrent use. It holds at most maxKeys keys (0 means
// 100,000): when full, keys whose window has ended go first, then
// arbitrary ones, so that a flood of keys cannot grow memory without end.
func NewCounter(maxKeys int) authgo.Counter {
	return &throttle.Memory{MaxKeys: maxKeys}
}
