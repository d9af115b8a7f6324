package authgo

import (
	"sync"
	"time"

	"github.com/authgo/authgo/store"
)

// maxCachedSessions bounds the database-session cache. Only sessions the
// store returned enter it (a cookie naming no session never does), so it
// fills only as fast as real sessions are used; past the bound, expired
// entries go, then arbitrary ones (entries only save round trips).
const maxCachedSessions = 10000

// sessionCache keeps what dbStrategy.open read from the stores for a
// database session (its row, its user, the accounts row it signed in
// with) for a short ttl (SessionConfig.StoreCache), so that a guarded page
// costs no round trip while the entry lives. It is keyed by
// store.SessionID of the token, never the token, and holds no token.
//
// Every write this instance makes to a session, its user or its accounts
// row drops the entries it touches (invalidate*); a write through another
// instance (or Auth.js) is seen once the entry expires. Expiry and
// MaxLifetime are checked by open on every read against the clock,
// cached or not.
//
// A read that began before an invalidation must not put back what it
// read: each fill notes the generation before asking the store, and is
// kept only if no invalidation happened meanwhile.
type sessionCache struct {
	ttl time.Duration
	now func() time.Time

	mu      sync.Mutex
	gen     uint64 // bumped by every invalidation
	entries map[string]cachedSession
}

// cachedSession is one entry: copies, never shared with a caller.
type cachedSession struct {
	sess  store.Session // Token cleared
	user  store.User
	acc   *store.Account // nil when the session has no accounts row
	until time.Time
}

func newSessionCache(ttl time.Duration, now func() time.Time) *sessionCache {
	return &sessionCache{ttl: ttl, now: now, entries: map[string]cachedSession{}}
}

// get returns the entry for session id while it is fresh, and the
// generation to pass to put after a miss.
func (c *sessionCache) get(id string) (e cachedSession, ok bool, gen uint64) {
	if c == nil {
		return e, false, 0
	}
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok = c.entries[id]
	if ok && !now.Before(e.until) {
		delete(c.entries, id)
		ok = false
	}
	if ok && e.acc != nil {
		acc := *e.acc
		e.acc = &acc
	}
	return e, ok, c.gen
}

// put keeps what a read of session id found, unless an invalidation
// happened since gen (what was read may be stale already).
func (c *sessionCache) put(id string, gen uint64, sess store.Session, u store.User, acc *store.Account) {
	if c == nil {
		return
	}
	sess.Token = ""
	if acc != nil {
		a := *acc
		acc = &a
	}
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if _, ok := c.entries[id]; !ok && len(c.entries) >= maxCachedSessions {
		c.evict(now)
	}
	c.entries[id] = cachedSession{sess: sess, user: u, acc: acc, until: now.Add(c.ttl)}
}

// evict makes room for one entry: expired entries go; if none had, an
// eighth of the entries, whichever the map yields first.
func (c *sessionCache) evict(now time.Time) {
	for k, e := range c.entries {
		if !now.Before(e.until) {
			delete(c.entries, k)
		}
	}
	drop := len(c.entries) - maxCachedSessions*7/8
	for k := range c.entries {
		if drop <= 0 {
			break
		}
		delete(c.entries, k)
		drop--
	}
}

// invalidate drops session id's entry.
func (c *sessionCache) invalidate(id string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	delete(c.entries, id)
}

// invalidateUser drops the entries of user userID's sessions.
func (c *sessionCache) invalidateUser(userID string) {
	c.drop(func(e *cachedSession) bool { return e.user.ID == userID || e.sess.UserID == userID })
}

// invalidateAccount drops the entries of sessions that signed in with the
// accounts row (provider, providerAccountID).
func (c *sessionCache) invalidateAccount(provider, providerAccountID string) {
	c.drop(func(e *cachedSession) bool {
		return e.sess.Provider == provider && e.sess.ProviderAccountID == providerAccountID
	})
}

// drop removes the entries match picks and bumps the generation, so that
// fills begun before are not kept.
func (c *sessionCache) drop(match func(*cachedSession) bool) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for k, e := range c.entries {
		if match(&e) {
			delete(c.entries, k)
		}
	}
}
