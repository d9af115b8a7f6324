package jwt

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestDecodeCache(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	c, _ := NewCodec(Options{Secrets: []string{"s"}, MaxAge: time.Hour, Now: func() time.Time { return now }})
	tok, _ := c.Encode(CookieName, &Token{Subject: "u", Extra: map[string]any{"roles": []any{"a"}, "n": map[string]any{"x": 1.0}}}, 0)
	first, err := c.Decode(CookieName, tok)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.cache.m) != 1 {
		t.Fatal("not cached")
	}
	// Changing what Decode returned does not change the next decode.
	first.Subject = "mallory"
	first.Extra["roles"].([]any)[0] = "admin"
	first.Extra["n"].(map[string]any)["x"] = 2.0
	again, err := c.Decode(CookieName, tok)
	if err != nil || again.Subject != "u" || again.Extra["roles"].([]any)[0] != "a" || again.Extra["n"].(map[string]any)["x"] != 1.0 {
		t.Fatalf("cache shared state: %+v %v", again, err)
	}
	// A cached token still expires.
	now = now.Add(2 * time.Hour)
	if _, err := c.Decode(CookieName, tok); !errors.Is(err, ErrExpired) {
		t.Fatalf("expired cached token: %v", err)
	}
	// Another salt is another key: the cache does not open a token there.
	now = now.Add(-2 * time.Hour)
	if _, err := c.Decode(SecureCookieName, tok); err == nil {
		t.Fatal("cached token accepted under another salt")
	}
	// A refused token is not cached.
	c.Decode(CookieName, tok[:len(tok)-2]+"AA")
	if len(c.cache.m) != 1 {
		t.Fatalf("%d entries", len(c.cache.m))
	}
}

func TestDecodeCacheBoundedAndOff(t *testing.T) {
	c, _ := NewCodec(Options{Secrets: []string{"s"}, CacheSize: 8})
	for i := 0; i < 100; i++ {
		tok, _ := c.Encode(CookieName, &Token{Subject: fmt.Sprint(i)}, 0)
		if _, err := c.Decode(CookieName, tok); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(c.cache.m); n > 8 {
		t.Fatalf("%d entries kept", n)
	}
	off, _ := NewCodec(Options{Secrets: []string{"s"}, CacheSize: -1})
	tok, _ := off.Encode(CookieName, &Token{Subject: "u"}, 0)
	if _, err := off.Decode(CookieName, tok); err != nil || off.cache != nil {
		t.Fatalf("cache off: %v", err)
	}
}

func BenchmarkDecodeCached(b *testing.B) {
	c, _ := NewCodec(Options{Secrets: []string{"s"}})
	tok, _ := c.Encode(CookieName, &Token{Name: "Alice Example", Email: "alice@example.com", Picture: "https://example.com/alice.png", Subject: "user-0001"}, 0)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Decode(CookieName, tok); err != nil {
			b.Fatal(err)
		}
	}
}
