//go:build loadtest

package jwt

import (
	"fmt"
	"testing"
)

// len counts the cached tokens.
func (c *decodeCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

// defaultCacheSize is the decode cache's documented bound when
// Options.CacheSize is zero.
const defaultCacheSize = 1024

// TestFloodDecodeCache: 20,000 distinct forged tokens and 20,000 distinct
// valid ones leave the decode cache at or under its bound; a forged token
// is never cached.
func TestFloodDecodeCache(t *testing.T) {
	c, err := NewCodec(Options{Secrets: []string{"flood-secret"}})
	if err != nil {
		t.Fatal(err)
	}
	if c.cache.max != defaultCacheSize {
		t.Fatalf("default bound %d, documented %d", c.cache.max, defaultCacheSize)
	}
	valid, err := c.Encode(CookieName, &Token{Subject: "template"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20000 {
		// Valid-looking JWE with a changed tag, and plain garbage.
		forged := valid[:len(valid)-8] + fmt.Sprintf("%08d", i)
		if _, err := c.Decode(CookieName, forged); err == nil {
			t.Fatalf("forged token %d decoded", i)
		}
		c.Decode(CookieName, fmt.Sprintf("garbage-%d", i))
	}
	if n := c.cache.len(); n != 0 {
		t.Fatalf("%d forged tokens cached", n)
	}
	for i := range 20000 {
		tok, err := c.Encode(CookieName, &Token{Subject: fmt.Sprint("user-", i)}, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Decode(CookieName, tok); err != nil {
			t.Fatalf("valid token %d: %v", i, err)
		}
		if n := c.cache.len(); n > defaultCacheSize {
			t.Fatalf("after %d valid tokens: %d cached, bound %d", i+1, n, defaultCacheSize)
		}
	}
	t.Logf("after the flood: %d tokens cached (bound %d)", c.cache.len(), defaultCacheSize)
}
