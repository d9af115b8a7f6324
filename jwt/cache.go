package jwt

import "sync"

// decodeCache remembers the claims of tokens this Codec decoded recently,
// keyed by salt and the exact token string. A browser sends the same
// session cookie on every request until it is re-issued, so most decodes
// after the first are a map lookup instead of an HMAC, a decryption and a
// JSON parse. Only tokens that opened and validated are kept, and the time
// claims are checked again on every hit, so a cached token still expires.
// Callers get a copy they may change.
type decodeCache struct {
	mu  sync.Mutex
	max int
	m   map[cacheKey]*Token
}

type cacheKey struct{ salt, token string }

func (c *decodeCache) get(salt, token string) *Token {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	t := c.m[cacheKey{salt, token}]
	c.mu.Unlock()
	if t == nil {
		return nil
	}
	return deepClone(t)
}

func (c *decodeCache) put(salt, token string, t *Token) {
	if c == nil {
		return
	}
	t = deepClone(t)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[cacheKey]*Token)
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
	c.m[cacheKey{salt, token}] = t
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
