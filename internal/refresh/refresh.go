// Package refresh is authgo's access-token refresh engine: when a session's
// tokens are due, one refresh per refresh token in this process (single
// flight), a successor cache for requests that still carry the old cookie
// after a rotation, and the optional cross-instance protocol (a lock and a
// sealed shared outcome, see Locker).
//
// It knows nothing of cookies or claim names: the root package reads a
// session token's claims into a State, asks a Manager whether it is Due
// and to Refresh it, and writes the Result back into the token.
//
// # Time
//
// Every time read and every wait goes through the Manager's Clock: the
// lock wait, the budget of a refresh, the refresh's timeout, the successor
// cache and the once-a-minute warnings. authgo passes SystemClock(Config.Now).
//
// # Concurrency
//
// A Manager is safe for concurrent use. A refresh runs detached from the
// request that started it, bounded by Config.Timeout, so that a browser
// that goes away cannot cut a rotation off halfway; the requests waiting
// for it give up after a budget somewhat longer than the timeout.
package refresh

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/authgo/authgo/jwt"
)

// The engine's fixed times.
const (
	// SuccessorTTL is how long a refresh's new tokens serve requests that
	// still carry the refresh token it replaced (tokens-bff.md C3, C4), and
	// how long a shared outcome is kept.
	SuccessorTTL = 120 * time.Second
	// TombstoneTTL is how long a terminal failure is remembered.
	TombstoneTTL = 30 * time.Second
	// StaleGrace is how old an access token must be before an API's
	// refusal marks it (Manager.Rejected), so that an API that refuses
	// every token (a wrong audience) costs one refresh per token
	// lifetime-ish, not one per request.
	StaleGrace = 30 * time.Second
	// WarnEvery is how often one kind of warning may be logged.
	WarnEvery = time.Minute
)

const (
	maxResults    = 10000 // successor cache bound: past it, expired entries go, then the oldest
	maxStale      = 10000 // stale marks bound: past it, expired ones go, then all
	staleNoExpFor = 24 * time.Hour
)

// Config is what a Manager is built with. Clock, Logger, Refresh,
// Terminal and Unavailable are required; Seal and Open are required with
// a Locker.
type Config struct {
	Clock  Clock
	Logger *slog.Logger
	// Timeout bounds one refresh (Tokens.RefreshTimeout); Skew is how long
	// before expiry a token is due (Tokens.RefreshSkew), at most half its
	// lifetime.
	Timeout, Skew time.Duration
	// Locker coordinates refreshes between instances; nil means this
	// process only.
	Locker Locker
	// Seal and Open protect a shared outcome (JSON) while the Locker's
	// store holds it; Seal's ttl is how long the record should be readable.
	// Open returns nil or an error for a record it cannot open.
	Seal func(record []byte, ttl time.Duration) (string, error)
	Open func(sealed string) ([]byte, error)
	// Refresh is the provider call: new tokens for tok, a copy the call may
	// keep. It runs detached from the request, with ctx bounded by Timeout.
	Refresh func(ctx context.Context, tok *jwt.Token) (*Set, error)
	// Terminal reports whether an error of Refresh means the refresh token
	// will never work again, and its code (invalid_grant, …).
	Terminal func(err error) (code string, ok bool)
	// Unavailable is the error every transient failure the Manager reports
	// wraps (authgo.ErrRefreshUnavailable).
	Unavailable error
}

// Manager refreshes access tokens; see the package doc. Make one with New.
type Manager struct {
	c     Config
	group singleflight.Group

	mu      sync.Mutex
	results map[string]cachedOutcome // successor cache and tombstones, by Key
	seq     uint64                   // arrivals into results, for eviction order
	hung    map[string]hungRun       // refreshes past their budget, still running

	// stale holds access tokens an API refused before their expiry
	// (Rejected), until that expiry (Unix seconds); nstale is its length,
	// read without the lock on every Due.
	stale  map[string]int64
	nstale atomic.Int64

	lockWarn, rejectWarn Sometimes
}

// New returns a Manager.
func New(c Config) *Manager {
	return &Manager{c: c, results: map[string]cachedOutcome{}, hung: map[string]hungRun{}}
}

// Step is one successful refresh: apply Set, obtained at Obtained (the
// time just before the provider was asked).
type Step struct {
	Set      Set
	Obtained time.Time
}

// Result is what Refresh found for a session. With Err set, nothing
// changes; otherwise the Steps are applied in order and then, if Terminal,
// the tokens are dropped and the session marked failed.
type Result struct {
	Steps    []Step
	Terminal bool
	Err      error // wraps Config.Unavailable
}

// outcome is one refresh's result, shared by every request that carried
// the same refresh token.
type outcome struct {
	set      *Set // nil on failure
	obtained time.Time
	err      error  // the failure, terminal or not
	terminal bool   // the refresh token was refused
	code     string // the terminal failure's code
}

type cachedOutcome struct {
	out     *outcome
	expires time.Time
	seq     uint64 // order of arrival: the tie-break of eviction
}

// hungRun is a refresh past its budget that has not returned: new
// refreshes of its key wait (answer unavailable) until it does, or until
// until.
type hungRun struct {
	until time.Time
	run   chan *outcome // the run's result channel: which run set the mark
}

// Key is the successor cache's and the Locker's key for a refresh token:
// its SHA-256, hex.
func Key(refreshToken string) string {
	sum := sha256.Sum256([]byte(refreshToken))
	return hex.EncodeToString(sum[:])
}

// Due reports whether st needs a refresh at now: a refresh token is held,
// no failure is recorded, and the access token is missing, inside the
// refresh window (Skew before expiry, at most half its lifetime), or
// refused by an API (Rejected). A token of unknown lifetime is refreshed
// only when refused.
func (m *Manager) Due(st State, now time.Time) bool {
	if st.RefreshToken == "" || st.Failed {
		return false
	}
	if st.AccessToken == "" || m.isStale(st.AccessToken) {
		return true
	}
	if st.ExpiresAt == 0 {
		return false
	}
	skew := m.c.Skew
	if st.ObtainedAt > 0 && st.ExpiresAt > st.ObtainedAt {
		if half := time.Duration(st.ExpiresAt-st.ObtainedAt) * time.Second / 2; half < skew {
			skew = half
		}
	}
	return !now.Before(time.Unix(st.ExpiresAt, 0).Add(-skew))
}

// Refresh brings st, the state of session token tok, up to date. The first
// refresh token is refreshed (or its outcome taken from the successor
// cache, a refresh in flight, or another instance); when its successor
// has itself been refreshed since (a cookie from several rotations ago),
// up to three more links are followed, from the cache only: one request
// spends at most one refresh, whatever the clocks say. A transient failure
// after a successful step keeps the steps while their access token is
// valid.
func (m *Manager) Refresh(ctx context.Context, tok *jwt.Token, st State) Result {
	var res Result
	cur := st
	for i := range 4 {
		var out *outcome
		if i == 0 {
			out = m.outcome(ctx, tok, Key(cur.RefreshToken))
		} else if out = m.cached(Key(cur.RefreshToken)); out == nil {
			return res
		}
		switch {
		case out.err == nil && !out.terminal:
			res.Steps = append(res.Steps, Step{*out.set, out.obtained})
			cur = cur.apply(*out.set, out.obtained)
			if !m.Due(cur, m.c.Clock.Now()) {
				return res
			}
		case out.terminal:
			res.Terminal = true
			return res
		default:
			if len(res.Steps) > 0 && Valid(cur, m.c.Clock.Now()) {
				return res
			}
			return Result{Err: out.err}
		}
	}
	return res
}

// unavailable is a transient failure the Manager reports.
func (m *Manager) unavailable(why string) *outcome {
	return &outcome{err: fmt.Errorf("%w: %s", m.c.Unavailable, why)}
}

// usable reports whether a cached outcome may serve: not expired, and not
// carrying an access token an API has refused since (a provider that does
// not rotate refresh tokens keeps the key). Called with m.mu held.
func (m *Manager) usable(c cachedOutcome, now time.Time) bool {
	if !now.Before(c.expires) {
		return false
	}
	if c.out.set != nil && m.nstale.Load() > 0 {
		if until, ok := m.stale[c.out.set.AccessToken]; ok && now.Unix() < until {
			return false
		}
	}
	return true
}

// cached returns the outcome known for key without starting a refresh.
func (m *Manager) cached(key string) *outcome {
	now := m.c.Clock.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if c, ok := m.results[key]; ok && m.usable(c, now) {
		return c.out
	}
	return nil
}

// known returns the outcome for key that needs no refresh: a cached one,
// or a failure while an earlier run of key is still running.
func (m *Manager) known(key string) *outcome {
	now := m.c.Clock.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if c, ok := m.results[key]; ok && m.usable(c, now) {
		return c.out
	}
	if h, ok := m.hung[key]; ok && now.Before(h.until) {
		// Never two calls with one refresh token: the last one may
		// still rotate it.
		return m.unavailable("a refresh is still running")
	}
	return nil
}

// outcome returns the refresh outcome for key: from the successor cache,
// by joining a refresh in flight, or by running one. A transient failure
// is not cached: this caller tried once.
func (m *Manager) outcome(ctx context.Context, tok *jwt.Token, key string) *outcome {
	if out := m.known(key); out != nil {
		return out
	}
	tok = tok.Clone() // the run may outlive the caller, who may change tok
	// Detached: a browser that leaves must not cut a rotation off.
	detached := context.WithoutCancel(ctx)
	ch := m.group.DoChan(key, func() (any, error) {
		// A run of key that finished between known and DoChan has
		// stored its outcome already.
		if out := m.known(key); out != nil {
			return out, nil
		}
		return m.run(detached, tok, key), nil
	})
	select {
	case r := <-ch:
		out := r.Val.(*outcome)
		if out.err != nil && !out.terminal {
			return m.unavailable("the refresh failed")
		}
		return out
	case <-ctx.Done():
		return &outcome{err: fmt.Errorf("%w: %w", m.c.Unavailable, ctx.Err())}
	}
}

// run refreshes key once, within the budget, and caches the outcome.
func (m *Manager) run(ctx context.Context, tok *jwt.Token, key string) *outcome {
	result := make(chan *outcome, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				result <- &outcome{err: fmt.Errorf("authgo: refresh panicked: %v", p)}
			}
		}()
		result <- m.shared(ctx, tok, key)
	}()
	var out *outcome
	select {
	case out = <-result:
	case <-m.c.Clock.After(m.budget()):
		// A refresh that ignores its context (a Tokens.Refresh of one's
		// own): the waiting requests are answered now, and so are new ones
		// until it returns (for at most SuccessorTTL), so that the same
		// refresh token is never presented twice at once. Its late outcome
		// still serves the old cookies.
		m.c.Logger.Warn("authgo: a refresh did not finish in time; its requests answer 503")
		out = m.unavailable("the refresh did not finish in time")
		m.mu.Lock()
		m.hung[key] = hungRun{m.c.Clock.Now().Add(SuccessorTTL), result}
		m.mu.Unlock()
		go func() {
			late := <-result
			m.mu.Lock()
			defer m.mu.Unlock()
			if h, ok := m.hung[key]; ok && h.run == result {
				delete(m.hung, key) // not a later run's mark
			}
			m.store(key, late, false)
		}()
	}
	m.mu.Lock()
	m.store(key, out, true)
	m.mu.Unlock()
	return out
}

// store caches out for key when it is a success or a terminal failure, and
// keeps the cache small. Called with m.mu held.
func (m *Manager) store(key string, out *outcome, warn bool) {
	now := m.c.Clock.Now()
	switch {
	case out.terminal:
		m.seq++
		m.results[key] = cachedOutcome{out, now.Add(TombstoneTTL), m.seq}
	case out.err == nil:
		m.seq++
		m.results[key] = cachedOutcome{out, now.Add(SuccessorTTL), m.seq}
	case warn:
		m.c.Logger.Warn("authgo: refresh failed, will retry on a later request", "err", out.err)
	}
	if len(m.results) > maxResults {
		for k, c := range m.results {
			if now.After(c.expires) {
				delete(m.results, k)
			}
		}
	}
	if len(m.results) > maxResults {
		m.evict()
	}
}

// evict shrinks the successor cache to 7/8 of maxResults when more
// refreshes than that finished within SuccessorTTL: tombstones go first (a
// request that finds none asks the provider again and is refused again),
// then the successors that expire soonest (the late requests they serve
// come seconds after a refresh, not minutes). Called with m.mu held.
func (m *Manager) evict() {
	type entry struct {
		key     string
		success bool
		expires time.Time
		seq     uint64
	}
	all := make([]entry, 0, len(m.results))
	for k, c := range m.results {
		all = append(all, entry{k, c.out.err == nil, c.expires, c.seq})
	}
	slices.SortFunc(all, func(a, b entry) int {
		if a.success != b.success {
			if a.success {
				return 1
			}
			return -1
		}
		if c := a.expires.Compare(b.expires); c != 0 {
			return c
		}
		return cmp.Compare(a.seq, b.seq) // the same expiry: the older first
	})
	for _, e := range all[:len(all)-maxResults*7/8] {
		delete(m.results, e.key)
	}
}

// budget is how long requests wait for one refresh: its timeout and some
// slack; with a Locker, also the wait for another instance's refresh
// (shared waits Timeout + 2 s) and a few lock-store round trips.
func (m *Manager) budget() time.Duration {
	t := m.c.Timeout
	if m.c.Locker != nil {
		return 2*t + 5*time.Second
	}
	return t + min(2*time.Second, t)
}

// call asks the provider (Config.Refresh) for new tokens, within Timeout.
func (m *Manager) call(ctx context.Context, tok *jwt.Token) *outcome {
	ctx, cancel := m.c.Clock.WithTimeout(ctx, m.c.Timeout)
	defer cancel()
	obtained := m.c.Clock.Now()
	set, err := m.c.Refresh(ctx, tok)
	if err != nil {
		if code, ok := m.c.Terminal(err); ok {
			m.c.Logger.Warn("authgo: refresh token refused; the session needs a new sign-in", "code", code)
			return &outcome{err: err, terminal: true, code: code}
		}
		return &outcome{err: err}
	}
	if set == nil {
		return &outcome{err: errors.New("authgo: the refresh returned no token set")}
	}
	return &outcome{set: set, obtained: obtained}
}

// Rejected records that an API refused st's access token before its
// recorded expiry: Due reports it until then (a day when the expiry is
// unknown), and cached outcomes carrying it stop serving. A token obtained
// less than StaleGrace ago is not marked; that is logged (at most once a
// minute) with logArgs. The marks are kept in this process.
func (m *Manager) Rejected(st State, logArgs ...any) {
	now := m.c.Clock.Now()
	if st.ObtainedAt > 0 && now.Sub(time.Unix(st.ObtainedAt, 0)) < StaleGrace {
		m.Warn(&m.rejectWarn, "authgo: an API refused an access token obtained moments ago; not refreshing it again (does the API expect this issuer and audience?)", logArgs...)
		return
	}
	exp := st.ExpiresAt
	switch {
	case exp == 0:
		exp = now.Add(staleNoExpFor).Unix()
	case exp <= now.Unix():
		return // expired: refreshed anyway
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stale == nil {
		m.stale = map[string]int64{}
	}
	if len(m.stale) >= maxStale {
		for k, until := range m.stale {
			if until <= now.Unix() {
				delete(m.stale, k)
			}
		}
		if len(m.stale) >= maxStale {
			clear(m.stale) // marks only save a round trip; memory is bounded
		}
	}
	m.stale[st.AccessToken] = exp
	m.nstale.Store(int64(len(m.stale)))
}

// isStale reports whether an API refused at and a refresh is due.
func (m *Manager) isStale(at string) bool {
	if m.nstale.Load() == 0 {
		return false
	}
	m.mu.Lock()
	until, ok := m.stale[at]
	m.mu.Unlock()
	return ok && m.c.Clock.Now().Unix() < until
}

// Sometimes is one kind of warning, logged at most once every WarnEvery
// by Manager.Warn: for conditions that can hold for every request. The
// zero value is ready to use.
type Sometimes struct {
	mu   sync.Mutex
	last time.Time
}

// Warn logs msg at warning level unless s was logged less than WarnEvery
// ago on the Manager's clock.
func (m *Manager) Warn(s *Sometimes, msg string, args ...any) {
	now := m.c.Clock.Now()
	s.mu.Lock()
	quiet := now.Sub(s.last) < WarnEvery
	if !quiet {
		s.last = now
	}
	s.mu.Unlock()
	if !quiet {
		m.c.Logger.Warn(msg, args...)
	}
}
