// Package throttle counts failures per key (a username, a client address)
// and says when a key has failed too often within a window: the soft,
// self-expiring lockout that slows password guessing without letting an
// attacker lock a user out for good.
package throttle

import (
	"sync"
	"time"
)

// Limiter allows Max failures per key within Window; the count starts at a
// key's first failure and is forgotten Window later. It is safe for
// concurrent use and holds at most MaxKeys keys.
type Limiter struct {
	Max     int
	Window  time.Duration
	MaxKeys int              // 0 means 100,000
	Now     func() time.Time // nil means time.Now

	mu   sync.Mutex
	keys map[string]*entry
}

type entry struct {
	n     int
	start time.Time
}

func (l *Limiter) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

// Blocked reports whether key has used up its failures, and how long until
// it may try again.
func (l *Limiter) Blocked(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.keys[key]
	if !ok {
		return false, 0
	}
	left := e.start.Add(l.Window).Sub(l.now())
	if left <= 0 {
		delete(l.keys, key)
		return false, 0
	}
	return e.n >= l.Max, left
}

// Fail counts one failure for key.
func (l *Limiter) Fail(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if l.keys == nil {
		l.keys = make(map[string]*entry)
	}
	e, ok := l.keys[key]
	if ok && now.Sub(e.start) >= l.Window {
		ok = false
	}
	if !ok {
		l.makeRoom(now)
		e = &entry{start: now}
		l.keys[key] = e
	}
	e.n++
}

// Reset forgets key's failures (after a successful sign-in).
func (l *Limiter) Reset(key string) {
	l.mu.Lock()
	delete(l.keys, key)
	l.mu.Unlock()
}

// makeRoom keeps the map bounded: expired keys go first, then arbitrary
// ones (Go's map order), so a flood of keys cannot grow memory without end.
func (l *Limiter) makeRoom(now time.Time) {
	max := l.MaxKeys
	if max == 0 {
		max = 100_000
	}
	if len(l.keys) < max {
		return
	}
	for k, e := range l.keys {
		if now.Sub(e.start) >= l.Window {
			delete(l.keys, k)
		}
	}
	for k := range l.keys {
		if len(l.keys) < max {
			break
		}
		delete(l.keys, k)
	}
}
