package authgo

import (
	"context"
	"crypto/sha256"
	"sync"
	"time"
)

// maxUsedStates bounds the memory of used OAuth states and passkey challenges in one process: 65,536
// entries (about 5 MB), room for 70 callbacks a second, every second of the
// 15 minutes each is kept.
const maxUsedStates = 1 << 16

// memoryOnce is the in-process UseOnce (see RevocationStore): a map from the
// SHA-256 of each key (fixed size, and never the key itself) to the end of
// its record, and a queue of the same hashes in the order they were used.
// Records all last about as long (checkMaxAge), so the front of the queue is
// also the next to expire: expired records are dropped from there, cheaply,
// on every use.
//
// When the memory is full of records that have not expired, the oldest is
// forgotten early rather than the callback refused: refusing would let
// anyone who can start sign-ins (one request each) stop everyone from
// signing in, while forgetting a state only takes a replay of it back to
// what Auth.js has, the provider's one-time code (the code of a callback
// that completed has been redeemed, so the provider refuses it). warn is
// called, outside the lock, when that happens.
//
// It is safe for concurrent use.
type memoryOnce struct {
	now   func() time.Time
	limit int // records kept at most
	warn  func()

	mu    sync.Mutex
	until map[[32]byte]time.Time
	queue []onceEntry // queue[head:] in order of use; may hold stale entries
	head  int
}

type onceEntry struct {
	key   [32]byte
	until time.Time
}

func newMemoryOnce(now func() time.Time, limit int, warn func()) *memoryOnce {
	return &memoryOnce{now: now, limit: max(limit, 1), warn: warn, until: map[[32]byte]time.Time{}}
}

// UseOnce reports whether key is used for the first time since its last
// record ended, and records it until until.
func (m *memoryOnce) UseOnce(_ context.Context, key string, until time.Time) (bool, error) {
	h := sha256.Sum256([]byte(key))
	now := m.now()
	m.mu.Lock()
	for m.head < len(m.queue) && !now.Before(m.queue[m.head].until) {
		m.pop()
	}
	if u, ok := m.until[h]; ok && now.Before(u) {
		m.mu.Unlock()
		return false, nil
	}
	evicted := false
	for len(m.queue)-m.head >= m.limit {
		m.pop()
		evicted = true
	}
	m.until[h] = until
	m.queue = append(m.queue, onceEntry{h, until})
	m.mu.Unlock()
	if evicted && m.warn != nil {
		m.warn()
	}
	return true, nil
}

// pop drops the front of the queue, and its record unless the key was used
// again since. The queue's array is reused once half of it is behind head.
func (m *memoryOnce) pop() {
	e := m.queue[m.head]
	m.queue[m.head] = onceEntry{}
	m.head++
	if u, ok := m.until[e.key]; ok && u.Equal(e.until) {
		delete(m.until, e.key)
	}
	if m.head >= 1024 && m.head*2 >= len(m.queue) {
		n := copy(m.queue, m.queue[m.head:])
		clear(m.queue[n:])
		m.queue, m.head = m.queue[:n], 0
	}
}

// len returns how many records are kept.
func (m *memoryOnce) len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.until)
}
