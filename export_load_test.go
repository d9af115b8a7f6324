//go:build loadtest

package authgo

// BoundedCache is one of an Auth's caches keyed by request data, for the
// flood tests: its documented bound and how to count its entries.
type BoundedCache struct {
	Name  string
	Bound int
	Len   func() int
}

// BoundedCaches lists a's caches keyed by request data that this package
// holds (the jwt package's decode cache is counted by its own flood
// test). A new cache is one more line here.
func BoundedCaches(a *Auth) []BoundedCache {
	var cs []BoundedCache
	if c, ok := a.revocations.(*cachedRevocations); ok {
		cs = append(cs, BoundedCache{"revocation answers", maxCachedAnswers, c.len})
	}
	if a.sessionCache != nil {
		cs = append(cs, BoundedCache{"database sessions", maxCachedSessions, a.sessionCache.len})
	}
	if m, ok := a.usedStates.(*memoryOnce); ok {
		cs = append(cs, BoundedCache{"used OAuth states", m.limit, m.len})
	}
	return cs
}

// len counts the cached answers.
func (c *cachedRevocations) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.answers)
}

// len counts the cached sessions.
func (c *sessionCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
