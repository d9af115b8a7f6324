package jwt

import "sync"

// decodeCache remembers the claims of tokens this Codec decoded recently,
// keyed by salt and the exact token string. A browser sends the same
// session cookie on every request until it is re-issued, so most decodes
// after the first are a map lookup instead of an HMAC, a decryption and a
// JSON parse. Only tokens that opened and validated are kept, and the time
// claims are checked again on every hit, so a cached token still expires.
// Decode's callers get a copy they may change; DecodeShared's get the
// cache's own copy when it is flat (see entry), which they only read.
type decodeCache struct {
	mu  sync.Mutex
	max int
	m   map[cacheKey]entry
}

// entry is a cached token, never changed once stored. flat: its Extra
// holds no map or slice, so a shallow Clone of it shares nothing that
// can be changed, and the cache may hand it out as it is to a caller
// that only reads.
type entry struct {
	t    *Token
	flat bool
}

type cacheKey struct{ salt, token string }

// get returns the cached token for salt and token, nil when there is
// none: a deep copy, or with share the cached token itself when it is
// flat (shared is then true).
func (c *decodeCache) get(salt, token string, share bool) (t *Token, shared bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	e := c.m[cacheKey{salt, token}]
	c.mu.Unlock()
	switch {
	case e.t == nil:
		return nil, false
	case share && e.flat:
		return e.t, true
	}
	return deepClone(e.t), false
}

func (c *decodeCache) put(salt, token string, t *Token) {
	if c == nil {
		return
	}
	e := entry{t: deepClone(t), flat: flat(t)}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[cacheKey]entry)
	}
	if len(c.m) >= c.max {
		// Forget half, in Go's random map order: cheap, and a flood of
		// distinct valid tokens (which only the secret's holder can make)
		// cannot grow memory.
		n := len(c.m) / 2
		for k := range c.m {
			if n == 0 {
				break
			}
			delete(c.m, k)
			n--
		}
	}
	c.m[cacheKey{salt, token}] = e
}

// flat reports whether t's Extra holds no map or slice.
func flat(t *Token) bool {
	for _, v := range t.Extra {
		switch v.(type) {
		case map[string]any, []any:
			return false
		}
	}
	return true
}

// deepClone copies t and every map and slice inside its Extra, so neither
// the cache nor a caller can change what the other holds.
func deepClone(t *Token) *Token {
	c := *t
	if t.Extra != nil {
		c.Extra = cloneValue(t.Extra).(map[string]any)
	}
	return &c
}

func cloneValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[k] = cloneValue(x)
		}
		return m
	case []any:
		s := make([]any, len(v))
		for i, x := range v {
			s[i] = cloneValue(x)
		}
		return s
	}
	return v // strings, numbers, bools, nil: immutable
}
