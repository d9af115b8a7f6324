package refresh

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgo/authgo/internal/testkit"
	"github.com/authgo/authgo/jwt"
)

// The tests run inside testing/synctest bubbles: synctest.Wait says when
// every goroutine is blocked (on the fake clock, the provider or a flight),
// and the fake clock moves only when a test advances it. Nothing sleeps.

// fakeClock is a Clock that moves only when Advance is called.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []fakeTimer
}

type fakeTimer struct {
	at   time.Time
	fire func(time.Time)
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	c.schedule(d, func(t time.Time) { ch <- t })
	return ch
}

// WithTimeout returns a context that reports its fake deadline and ends
// with context.DeadlineExceeded when the clock reaches it.
func (c *fakeClock) WithTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	inner, cancel := context.WithCancelCause(ctx)
	dl := c.Now().Add(d)
	c.schedule(d, func(time.Time) { cancel(context.DeadlineExceeded) })
	return deadlineCtx{inner, dl}, func() { cancel(context.Canceled) }
}

type deadlineCtx struct {
	context.Context
	deadline time.Time
}

func (d deadlineCtx) Deadline() (time.Time, bool) { return d.deadline, true }

func (d deadlineCtx) Err() error {
	if err := d.Context.Err(); err != nil && errors.Is(context.Cause(d.Context), context.DeadlineExceeded) {
		return context.DeadlineExceeded
	}
	return d.Context.Err()
}

func (c *fakeClock) schedule(d time.Duration, fire func(time.Time)) {
	c.mu.Lock()
	if d <= 0 {
		now := c.now
		c.mu.Unlock()
		fire(now)
		return
	}
	c.timers = append(c.timers, fakeTimer{c.now.Add(d), fire})
	c.mu.Unlock()
}

// Advance moves the clock by d and fires the timers that are due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	now := c.now
	var due []fakeTimer
	c.timers = slices.DeleteFunc(c.timers, func(t fakeTimer) bool {
		if !t.at.After(now) {
			due = append(due, t)
			return true
		}
		return false
	})
	c.mu.Unlock()
	for _, t := range due {
		t.fire(now)
	}
}

// logBuffer collects log lines; safe for concurrent use.
type logBuffer struct{ testkit.Buffer }

// count returns how many times s occurs in the log.
func (b *logBuffer) count(s string) int { return strings.Count(b.String(), s) }

// provider is a fake token endpoint: it rotates refresh tokens and counts
// calls; behave, when set, decides an answer instead.
type provider struct {
	clk      *fakeClock
	lifetime time.Duration
	calls    atomic.Int32
	n        atomic.Int32
	behave   func(ctx context.Context, tok *jwt.Token) (*Set, error)
}

func (p *provider) refresh(ctx context.Context, tok *jwt.Token) (*Set, error) {
	p.calls.Add(1)
	if p.behave != nil {
		return p.behave(ctx, tok)
	}
	return p.next(), nil
}

// next issues a fresh token set.
func (p *provider) next() *Set {
	n := p.n.Add(1)
	return &Set{
		AccessToken:  fmt.Sprintf("at-%d", n+1),
		RefreshToken: fmt.Sprintf("rt-%d", n+1),
		TokenType:    "Bearer",
		Expiry:       p.clk.Now().Add(p.lifetime),
	}
}

// refused is the provider's terminal failure (a RefreshError in authgo).
type refused struct{ code string }

func (e *refused) Error() string { return "refused: " + e.code }

func terminal(err error) (string, bool) {
	var r *refused
	if errors.As(err, &r) {
		return r.code, true
	}
	return "", false
}

var errUnavailable = errors.New("unavailable")

// env is one Manager with its clock, provider and log.
type env struct {
	m   *Manager
	clk *fakeClock
	p   *provider
	log *logBuffer
}

const testTimeout = 10 * time.Second

// newEnv returns a Manager with a 5-minute provider, a 10 s timeout and a
// 60 s skew; opt may change the Config.
func newEnv(t *testing.T, opt ...func(*Config)) *env {
	t.Helper()
	e := &env{clk: newFakeClock(), log: &logBuffer{}}
	e.p = &provider{clk: e.clk, lifetime: 5 * time.Minute}
	c := Config{
		Clock:       e.clk,
		Logger:      slog.New(slog.NewTextHandler(e.log, nil)),
		Timeout:     testTimeout,
		Skew:        60 * time.Second,
		Refresh:     e.p.refresh,
		Terminal:    terminal,
		Unavailable: errUnavailable,
	}
	for _, o := range opt {
		o(&c)
	}
	e.m = New(c)
	return e
}

// session is a signed-in session whose access token expired a while ago.
func (e *env) session() (*jwt.Token, State) {
	now := e.clk.Now()
	st := State{
		AccessToken:  "at-1",
		RefreshToken: "rt-1",
		ExpiresAt:    now.Add(-time.Minute).Unix(),
		ObtainedAt:   now.Add(-6 * time.Minute).Unix(),
	}
	return &jwt.Token{Subject: "alice", Extra: map[string]any{"refresh_token": "rt-1"}}, st
}

// refreshAsync starts a Refresh and returns where its Result will arrive.
func (e *env) refreshAsync(ctx context.Context, tok *jwt.Token, st State) <-chan Result {
	ch := make(chan Result, 1)
	go func() { ch <- e.m.Refresh(ctx, tok, st) }()
	return ch
}

// memStore is a Locker's shared store (Redis, in production), on the fake
// clock: locks with leases and results with TTLs. Each instance talks to
// it through its own memLocker.
type memStore struct {
	clk      *fakeClock
	leaseFor time.Duration

	mu      sync.Mutex
	down    bool
	holders int
	locks   map[string]lease
	results map[string]stored
}

type lease struct {
	holder int
	until  time.Time
}

type stored struct {
	value []byte
	until time.Time
}

func newMemStore(clk *fakeClock, leaseFor time.Duration) *memStore {
	return &memStore{clk: clk, leaseFor: leaseFor, locks: map[string]lease{}, results: map[string]stored{}}
}

func (s *memStore) setDown(down bool) {
	s.mu.Lock()
	s.down = down
	s.mu.Unlock()
}

var errDown = errors.New("store down")

// memLocker is one instance's client of a memStore. Leases are not
// renewed: a holder that outlives its lease loses the lock, as in
// production when renewal fails.
type memLocker struct {
	s    *memStore
	mu   sync.Mutex
	held map[string]int
}

func (s *memStore) locker() *memLocker { return &memLocker{s: s, held: map[string]int{}} }

func (l *memLocker) TryLock(_ context.Context, key string) (func(), bool, error) {
	s := l.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down {
		return nil, false, errDown
	}
	now := s.clk.Now()
	if cur, ok := s.locks[key]; ok && now.Before(cur.until) {
		return nil, false, nil
	}
	s.holders++
	h := s.holders
	s.locks[key] = lease{h, now.Add(s.leaseFor)}
	l.mu.Lock()
	l.held[key] = h
	l.mu.Unlock()
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if cur, ok := s.locks[key]; ok && cur.holder == h {
			delete(s.locks, key)
		}
		l.mu.Lock()
		if l.held[key] == h {
			delete(l.held, key)
		}
		l.mu.Unlock()
	}, true, nil
}

func (l *memLocker) Result(_ context.Context, key string) ([]byte, error) {
	s := l.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down {
		return nil, errDown
	}
	r, ok := s.results[key]
	if !ok || !s.clk.Now().Before(r.until) {
		return nil, nil
	}
	return r.value, nil
}

// SetResult refuses when this instance's lock on key was lost.
func (l *memLocker) SetResult(_ context.Context, key string, value []byte, ttl time.Duration) error {
	s := l.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down {
		return errDown
	}
	l.mu.Lock()
	h, mine := l.held[key]
	l.mu.Unlock()
	cur, ok := s.locks[key]
	if !mine || !ok || cur.holder != h || !s.clk.Now().Before(cur.until) {
		return errors.New("lock lost")
	}
	s.results[key] = stored{value, s.clk.Now().Add(ttl)}
	return nil
}

// withLocker configures a Locker and a seal under secret (a peer with
// another secret cannot open the outcomes).
func withLocker(l Locker, secret string) func(*Config) {
	return func(c *Config) {
		c.Locker = l
		c.Seal = func(record []byte, _ time.Duration) (string, error) {
			return secret + ":" + string(record), nil
		}
		c.Open = func(sealed string) ([]byte, error) {
			rest, ok := strings.CutPrefix(sealed, secret+":")
			if !ok {
				return nil, errors.New("wrong secret")
			}
			return []byte(rest), nil
		}
	}
}

// sameStep compares steps with time.Time.Equal: a shared outcome has been
// through JSON.
func sameStep(a, b Step) bool {
	as, bs := a.Set, b.Set
	as.Expiry, bs.Expiry = time.Time{}, time.Time{}
	return as == bs && a.Set.Expiry.Equal(b.Set.Expiry) && a.Obtained.Equal(b.Obtained)
}
