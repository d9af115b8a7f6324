// Package throttle holds the in-memory implementation of authgo.Counter
// (adapters/memory.NewCounter) and Limit, the rule that turns counted
// failures into a self-expiring lockout: the soft lockout that slows
// password guessing without letting an attacker lock a user out for good.
package throttle

import (
	"context"
	"sync"
	"time"
)

// Memory counts events per key in fixed windows, in this process. It is
// safe for concurrent use and holds at most MaxKeys keys.
type Memory struct {
	MaxKeys int              // 0 means 100,000
	Now     func() time.Time // nil means time.Now

	mu   sync.Mutex
	keys map[string]entry
}

type entry struct {
	n    int64
	ends time.Time
}

func (m *Memory) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

// Add counts one event for key; a key without a running window starts one
// of length window.
func (m *Memory) Add(_ context.Context, key string, window time.Duration) (int64, time.Time, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if m.keys == nil {
		m.keys = make(map[string]entry)
	}
	e, ok := m.keys[key]
	if !ok || !now.Before(e.ends) {
		m.makeRoom(now)
		e = entry{ends: now.Add(window)}
	}
	e.n++
	m.keys[key] = e
	return e.n, e.ends, nil
}

// Count returns key's count in its running window and when it ends.
func (m *Memory) Count(_ context.Context, key string) (int64, time.Time, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.keys[key]
	if !ok {
		return 0, time.Time{}, nil
	}
	if !m.now().Before(e.ends) {
		delete(m.keys, key)
		return 0, time.Time{}, nil
	}
	return e.n, e.ends, nil
}

// Reset forgets key.
func (m *Memory) Reset(_ context.Context, key string) error {
	m.mu.Lock()
	delete(m.keys, key)
	m.mu.Unlock()
	return nil
}

// makeRoom keeps the map under MaxKeys: expired keys go first, then
// arbitrary ones (Go's map order).
func (m *Memory) makeRoom(now time.Time) {
	max := m.MaxKeys
	if max <= 0 {
		max = 100_000
	}
	if len(m.keys) < max {
		return
	}
	for k, e := range m.keys {
		if !now.Before(e.ends) {
			delete(m.keys, k)
		}
	}
	for k := range m.keys {
		if len(m.keys) < max {
			break
		}
		delete(m.keys, k)
	}
}
