package refresh

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"time"

	"github.com/authgo/authgo/jwt"
)

// Locker lets instances agree on who refreshes a refresh token and share
// the outcome. It has the methods of authgo.RefreshLocker, so a value of
// that interface is a Locker. Keys are hashes (Key), never tokens; values
// are sealed (Config.Seal) before they are stored.
type Locker interface {
	// TryLock takes the lock for key with a lease it keeps renewing until
	// unlock is called; ok is false when another instance holds it.
	TryLock(ctx context.Context, key string) (unlock func(), ok bool, err error)
	// Result returns the outcome stored for key, or nil when none is.
	Result(ctx context.Context, key string) ([]byte, error)
	// SetResult stores the outcome for key for ttl. Called while holding
	// key's lock; an implementation should refuse (an error) when that
	// lock was lost meanwhile, so that the next holder's outcome stands.
	SetResult(ctx context.Context, key string, value []byte, ttl time.Duration) error
}

// The lock wait: how long past Timeout a loser waits for the winner's
// outcome, and how often it looks (pollMin plus up to pollJitter).
const (
	waitSlack  = 2 * time.Second
	pollMin    = 25 * time.Millisecond
	pollJitter = 50 // milliseconds
)

// record is a shared outcome, as sealed into the Locker's store.
type record struct {
	Set      *Set   `json:"set,omitempty"`
	Obtained int64  `json:"obtained,omitempty"`
	Code     string `json:"code,omitempty"` // terminal failure
}

// shared runs one refresh, under the cross-instance lock when a Locker is
// configured: another instance's outcome is used when there is one; the
// winner stores its outcome (sealed) for the others.
func (m *Manager) shared(ctx context.Context, tok *jwt.Token, key string) *outcome {
	l := m.c.Locker
	if l == nil {
		return m.call(ctx, tok)
	}
	// The run's context has no deadline of its own (it is detached); the
	// wait outlasts one refresh so that losers see the winner's outcome.
	expired := m.c.Clock.After(m.c.Timeout + waitSlack)
	sawHeld := false
	for {
		out, unreadable := m.sharedOutcome(ctx, key)
		if out != nil {
			return out
		}
		if unreadable {
			// Someone finished, with a secret this instance does not have
			// yet (a rollout): presenting the refresh token again would
			// only burn it.
			return m.unavailable("another instance's outcome cannot be read here")
		}
		unlock, ok, err := l.TryLock(ctx, key)
		switch {
		case err != nil && !sawHeld:
			// The store is down: refresh here rather than fail everyone.
			m.Warn(&m.lockWarn, "authgo: refresh lock unavailable; refreshing without it", "err", err)
			return m.call(ctx, tok)
		case err != nil:
			// Another instance holds the lock; a slow store answer is no
			// reason to present the refresh token a second time.
		case ok:
			defer unlock()
			// The previous holder may have finished just now.
			if out, unreadable := m.sharedOutcome(ctx, key); out != nil {
				return out
			} else if unreadable {
				return m.unavailable("another instance's outcome cannot be read here")
			}
			out := m.call(ctx, tok)
			m.storeOutcome(ctx, key, out)
			return out
		default:
			sawHeld = true
		}
		select {
		case <-expired:
			return m.unavailable("another instance's refresh did not finish")
		default:
		}
		<-m.c.Clock.After(pollMin + time.Duration(randInt(pollJitter))*time.Millisecond)
	}
}

// sharedOutcome reads the outcome another instance stored for key;
// unreadable reports a record that exists but does not open here.
func (m *Manager) sharedOutcome(ctx context.Context, key string) (out *outcome, unreadable bool) {
	b, err := m.c.Locker.Result(ctx, key)
	if err != nil || b == nil {
		return nil, false
	}
	raw, err := m.c.Open(string(b))
	if err != nil || raw == nil {
		m.c.Logger.Warn("authgo: unreadable shared refresh outcome (is every instance on the same secrets?)", "err", err)
		return nil, true
	}
	var rec record
	if json.Unmarshal(raw, &rec) != nil {
		return nil, true
	}
	if rec.Code != "" {
		return &outcome{terminal: true, code: rec.Code}, false
	}
	if rec.Set == nil {
		return nil, true
	}
	return &outcome{set: rec.Set, obtained: time.Unix(rec.Obtained, 0)}, false
}

// storeOutcome shares out, a success or a terminal failure, through the
// Locker.
func (m *Manager) storeOutcome(ctx context.Context, key string, out *outcome) {
	var rec record
	ttl := SuccessorTTL
	switch {
	case out.terminal:
		if old, _ := m.c.Locker.Result(ctx, key); old != nil {
			return // never let a failure replace another instance's record
		}
		rec, ttl = record{Code: out.code}, TombstoneTTL
	case out.err == nil:
		rec = record{Set: out.set, Obtained: out.obtained.Unix()}
	default:
		return
	}
	raw, _ := json.Marshal(rec)
	sealed, err := m.c.Seal(raw, ttl)
	if err == nil {
		err = m.c.Locker.SetResult(ctx, key, []byte(sealed), ttl)
	}
	if err != nil {
		m.c.Logger.Warn("authgo: could not share the refresh outcome", "err", err)
	}
}

// randInt returns a number in [0, n) for jitter.
func randInt(n int) int {
	var b [1]byte
	rand.Read(b[:])
	return int(b[0]) % n
}
