package authgo

import (
	"context"
	"time"
)

// MemoryOnce is the in-process memory of used OAuth states.
type MemoryOnce interface {
	UseOnce(ctx context.Context, key string, until time.Time) (first bool, err error)
	Len() int
}

type memoryOnceLen struct{ *memoryOnce }

func (m memoryOnceLen) Len() int { return m.len() }

// NewMemoryOnce returns the in-process UseOnce keeping at most limit
// records, on the clock now; warn is called when a record that has not
// ended is forgotten to make room.
func NewMemoryOnce(now func() time.Time, limit int, warn func()) MemoryOnce {
	return memoryOnceLen{newMemoryOnce(now, limit, warn)}
}

// UsedStates reports how many used OAuth states a keeps in its own memory
// and its bound; ok is false when they are kept in a shared store.
func UsedStates(a *Auth) (n, limit int, ok bool) {
	m, ok := a.usedStates.(*memoryOnce)
	if !ok {
		return 0, 0, false
	}
	return m.len(), m.limit, true
}
