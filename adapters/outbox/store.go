package outbox

import (
	"context"
	"crypto/sha256"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/internal/logs"
)

// Defaults of Options.
const (
	DefaultRetry    = time.Second
	DefaultMaxRetry = 30 * time.Second
	// deliverTimeout bounds each delivery call to the shared store.
	deliverTimeout = 5 * time.Second
)

// Options configure a Store. The zero value is the documented defaults.
type Options struct {
	// Retry is the wait before the first delivery attempt after a
	// revocation was kept; each failed attempt doubles it, up to MaxRetry.
	// A shared store that answers any other call ends the wait at once.
	// Defaults 1 s and 30 s.
	Retry, MaxRetry time.Duration
	// Logger receives a warning when a revocation is kept, and when it is
	// delivered. Nil sends errors (slog.LevelError and above) to
	// slog.Default() and drops the rest, as authgo.Config.Logger does.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Store is an [authgo.RevocationStore] that hands every call to a shared
// store and keeps, in a Journal, the revocations the shared store refused,
// until it takes them (see the package doc). Make one with New and stop it
// with Close. It is safe for concurrent use by multiple goroutines.
type Store struct {
	shared authgo.RevocationStore
	j      Journal
	o      Options
	log    *slog.Logger

	n        atomic.Int64 // pending records, read without the lock
	mu       sync.Mutex
	pending  []Record
	sessions map[string]time.Time // id → until
	users    map[string][2]time.Time
	running  bool // the delivery goroutine runs
	closed   bool
	kick     chan struct{} // wakes the delivery goroutine
	stop     chan struct{} // closed by Close
	wg       sync.WaitGroup

	onceMu sync.Mutex
	used   map[[32]byte]time.Time // UseOnce without the shared store's
}

// onceStore is the optional UseOnce method of an authgo.RevocationStore.
type onceStore interface {
	UseOnce(ctx context.Context, key string, until time.Time) (first bool, err error)
}

// maxUsed bounds UseOnce's memory, as authgo's own.
const maxUsed = 1 << 16

var _ authgo.RevocationStore = (*Store)(nil)

// New returns a Store over shared, keeping what it refuses in j, and
// loads the records j already holds (a restart during an outage): they are
// refused here at once and delivered in the background.
func New(ctx context.Context, shared authgo.RevocationStore, j Journal, o Options) (*Store, error) {
	if shared == nil || j == nil {
		return nil, errors.New("outbox: New needs a shared store and a journal")
	}
	if o.Retry <= 0 {
		o.Retry = DefaultRetry
	}
	if o.MaxRetry < o.Retry {
		o.MaxRetry = max(DefaultMaxRetry, o.Retry)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &Store{shared: shared, j: j, o: o, log: o.Logger, kick: make(chan struct{}, 1), stop: make(chan struct{})}
	if s.log == nil {
		s.log = logs.Fallback(slog.LevelError, false)
	}
	recs, err := j.Records(ctx)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setPending(recs)
	if len(recs) > 0 {
		s.log.Warn("outbox: revocations not yet in the shared store were loaded; they are refused here and delivered when it answers", "records", len(recs))
		s.start()
	}
	return s, nil
}

// setPending replaces the pending records and rebuilds the lookups.
// s.mu is held.
func (s *Store) setPending(recs []Record) {
	s.pending = recs
	s.sessions, s.users = map[string]time.Time{}, map[string][2]time.Time{}
	for _, r := range recs {
		s.index(r)
	}
	s.n.Store(int64(len(recs)))
}

// index adds r to the lookups. s.mu is held.
func (s *Store) index(r Record) {
	if r.Session != "" {
		if r.Until.After(s.sessions[r.Session]) {
			s.sessions[r.Session] = r.Until
		}
		return
	}
	if old, ok := s.users[r.User]; !ok || r.At.After(old[0]) {
		s.users[r.User] = [2]time.Time{r.At, r.Until}
	}
}

// start runs the delivery goroutine unless it runs. s.mu is held.
func (s *Store) start() {
	if s.running || s.closed {
		return
	}
	s.running = true
	s.wg.Go(s.deliverLoop)
}

// RevokeSession records the revocation in the shared store, or, when that
// fails, in the journal.
func (s *Store) RevokeSession(ctx context.Context, id string, until time.Time) error {
	err := s.shared.RevokeSession(ctx, id, until)
	if err == nil || id == "" {
		s.answered()
		return err
	}
	return s.keep(ctx, Record{Session: id, Until: until}, err)
}

// RevokeUser records the cutoff in the shared store, or, when that fails,
// in the journal.
func (s *Store) RevokeUser(ctx context.Context, sub string, at, until time.Time) error {
	err := s.shared.RevokeUser(ctx, sub, at, until)
	if err == nil || sub == "" {
		s.answered()
		return err
	}
	return s.keep(ctx, Record{User: sub, At: at, Until: until}, err)
}

// keep appends r to the journal after the shared store failed with cause.
func (s *Store) keep(ctx context.Context, r Record, cause error) error {
	if !r.Until.After(s.o.Now()) {
		return nil // over already
	}
	// Kept even when the caller gave up waiting on the shared store.
	if err := s.j.Append(context.WithoutCancel(ctx), r); err != nil {
		return errors.Join(cause, err)
	}
	s.log.Warn("outbox: the revocation store did not answer; the revocation is kept in the outbox and delivered when it does", "err", cause)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pending = append(s.pending, r)
	s.index(r)
	s.n.Store(int64(len(s.pending)))
	s.start()
	return nil
}

// UseOnce is the shared store's UseOnce (see authgo.RevocationStore), so
// that wrapping a store keeps OAuth callbacks usable once on every
// instance that shares it; its error (the store is down) fails the
// callback closed. Over a shared store without the method, the check holds
// in this process's memory (at most 65,536 keys; past that, expired keys
// are dropped, then the earliest to end).
func (s *Store) UseOnce(ctx context.Context, key string, until time.Time) (bool, error) {
	if o, ok := s.shared.(onceStore); ok {
		return o.UseOnce(ctx, key, until)
	}
	h, now := sha256.Sum256([]byte(key)), s.o.Now()
	s.onceMu.Lock()
	defer s.onceMu.Unlock()
	if u, ok := s.used[h]; ok && now.Before(u) {
		return false, nil
	}
	if s.used == nil {
		s.used = map[[32]byte]time.Time{}
	}
	if len(s.used) >= maxUsed {
		var first [32]byte
		var end time.Time
		for k, u := range s.used {
			if !now.Before(u) {
				delete(s.used, k)
			} else if end.IsZero() || u.Before(end) {
				first, end = k, u
			}
		}
		if len(s.used) >= maxUsed {
			delete(s.used, first)
			s.log.Warn("outbox: the memory of used keys is full; the earliest to end is forgotten early")
		}
	}
	s.used[h] = until
	return true, nil
}

// Check answers from the kept revocations first, then from the shared
// store: a session revoked here is refused while the shared store is down.
func (s *Store) Check(ctx context.Context, id, sub string) (bool, time.Time, error) {
	var cutoff time.Time
	if s.n.Load() > 0 {
		now := s.o.Now()
		s.mu.Lock()
		until, revoked := s.sessions[id]
		revoked = revoked && id != "" && now.Before(until)
		if u, ok := s.users[sub]; ok && sub != "" && now.Before(u[1]) {
			cutoff = u[0]
		}
		s.mu.Unlock()
		if revoked {
			return true, time.Time{}, nil
		}
	}
	revoked, shared, err := s.shared.Check(ctx, id, sub)
	if err != nil {
		return false, time.Time{}, err
	}
	s.answered()
	if shared.After(cutoff) {
		cutoff = shared
	}
	return revoked, cutoff, nil
}

// answered wakes the delivery goroutine when the shared store answered
// and revocations wait for it.
func (s *Store) answered() {
	if s.n.Load() == 0 {
		return
	}
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// deliverLoop delivers the pending records until none is left or Close.
func (s *Store) deliverLoop() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-s.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	wait := s.o.Retry
	t := time.NewTimer(wait)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		case <-s.kick:
		}
		left, ok := s.deliver(ctx)
		if left == 0 {
			return
		}
		if ok {
			wait = s.o.Retry
		} else {
			wait = min(2*wait, s.o.MaxRetry)
		}
		t.Reset(wait)
	}
}

// deliver tries every pending record once, in order, stopping at the first
// the shared store refuses, and removes the delivered and expired ones from
// the journal. It returns how many records are left (when none, or after
// Close, 0, and the goroutine is marked stopped under the lock) and
// whether the shared store took every record tried.
func (s *Store) deliver(ctx context.Context) (left int, ok bool) {
	s.mu.Lock()
	recs := append([]Record(nil), s.pending...)
	s.mu.Unlock()
	now := s.o.Now()
	var done []Record
	var failed error
	for _, r := range recs {
		if !r.Until.After(now) {
			done = append(done, r)
			continue
		}
		if failed != nil {
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, deliverTimeout)
		if r.Session != "" {
			failed = s.shared.RevokeSession(cctx, r.Session, r.Until)
		} else {
			failed = s.shared.RevokeUser(cctx, r.User, r.At, r.Until)
		}
		cancel()
		if failed == nil {
			done = append(done, r)
		}
	}
	if len(done) > 0 {
		if err := s.j.Remove(ctx, done); err != nil {
			// Delivered again after a restart, which is harmless.
			s.log.Error("outbox: removing delivered revocations from the journal", "err", err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(done) > 0 {
		rest := s.pending[:0:0]
		for _, r := range s.pending {
			if i := indexOf(done, r); i >= 0 {
				done = append(done[:i], done[i+1:]...)
				continue
			}
			rest = append(rest, r)
		}
		s.setPending(rest)
		if len(rest) == 0 {
			s.log.Info("outbox: every kept revocation is now in the shared store")
		}
	}
	if len(s.pending) == 0 || s.closed {
		s.running = false
		return 0, true
	}
	if failed != nil {
		s.log.Debug("outbox: the revocation store still does not answer", "err", failed, "records", len(s.pending))
	}
	return len(s.pending), failed == nil
}

func indexOf(rs []Record, r Record) int {
	k := r.key()
	for i, x := range rs {
		if x.key() == k {
			return i
		}
	}
	return -1
}

// Close stops the delivery goroutine and waits for it. Records not yet
// delivered stay in the journal for the next New. Close does not close the
// shared store or the journal.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.stop)
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}
