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

// DecodeShared hands out the cache's own copy of a flat token (no map or
// slice in Extra), still validated on each call; a nested one, a first
// decode and Decode itself give private copies.
func TestDecodeShared(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	c, _ := NewCodec(Options{Secrets: []string{"s"}, MaxAge: time.Hour, Now: func() time.Time { return now }})
	flatTok, _ := c.Encode(CookieName, &Token{Subject: "u", Extra: map[string]any{"provider": "github", "email_verified": true, "n": 1.0, "z": nil}}, 0)
	nested, _ := c.Encode(CookieName, &Token{Subject: "u", Extra: map[string]any{"roles": []any{"a"}}}, 0)

	first, shared, err := c.DecodeShared(CookieName, flatTok)
	if err != nil || shared {
		t.Fatalf("first decode: shared %v, %v", shared, err)
	}
	first.Subject = "mallory" // the first decode is the caller's own
	a, sa, err := c.DecodeShared(CookieName, flatTok)
	b, sb, _ := c.DecodeShared(CookieName, flatTok)
	if err != nil || !sa || !sb || a != b || a.Subject != "u" {
		t.Fatalf("flat token: %p %v, %p %v, %v", a, sa, b, sb, err)
	}
	// Its Clone is a copy that changes nothing the cache holds.
	cl := a.Clone()
	cl.Subject, cl.Extra["provider"] = "mallory", "credentials"
	if a.Subject != "u" || a.Extra["provider"] != "github" {
		t.Fatalf("clone changed the shared token: %+v", a)
	}
	// Decode still gives a private copy.
	if d, _ := c.Decode(CookieName, flatTok); d == a {
		t.Fatal("Decode returned the shared token")
	}
	// A nested token is never shared.
	c.DecodeShared(CookieName, nested)
	n1, s1, _ := c.DecodeShared(CookieName, nested)
	n2, _, _ := c.DecodeShared(CookieName, nested)
	if s1 || n1 == n2 {
		t.Fatal("a token with a slice in Extra was shared")
	}
	// A shared token still expires.
	now = now.Add(2 * time.Hour)
	if _, _, err := c.DecodeShared(CookieName, flatTok); !errors.Is(err, ErrExpired) {
		t.Fatalf("expired shared token: %v", err)
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
	tok, _ := c.Encode(CookieName, &Token{Name: "Alice Example", Email: "alice@example.com", Picture: "https://example.com/alice.png", Subject: "user-0001",
		Extra: map[string]any{"provider": "github", "email_verified": true, "access_token": "at", "expires_at": 1.9e9, "session_id": "s"}}, 0)
	for _, shared := range []bool{false, true} {
		b.Run(map[bool]string{false: "Decode", true: "DecodeShared"}[shared], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if shared {
					_, _, err = c.DecodeShared(CookieName, tok)
				} else {
					_, err = c.Decode(CookieName, tok)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
