package redis_test

import (
	"context"
	"crypto/rand"
	"net"
	"os"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// testRedis connects to the Redis the tests use: AUTHGO_TEST_REDIS_ADDR,
// or 127.0.0.1:6379. Without one the test is skipped, and under CI=true,
// where nothing may be skipped, it fails.
func testRedis(t *testing.T) *goredis.Client {
	t.Helper()
	addr := os.Getenv("AUTHGO_TEST_REDIS_ADDR")
	if addr == "" {
		addr = "127.0.0.1:6379"
	}
	c := goredis.NewClient(&goredis.Options{Addr: addr, ContextTimeoutEnabled: true})
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		c.Close()
		msg := "no Redis at %s (%v): start one (docker run -p 6379:6379 redis) or set AUTHGO_TEST_REDIS_ADDR"
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true: "+msg, addr, err)
		}
		t.Skipf(msg, addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// testPrefix returns a key prefix of this test alone, so that parallel
// runs on one Redis never meet, and deletes its keys at the end.
func testPrefix(t *testing.T, c *goredis.Client) string {
	t.Helper()
	p := "authgo-test:" + rand.Text() + ":"
	t.Cleanup(func() {
		ctx := context.Background()
		keys, err := scan(ctx, c, p)
		if err == nil && len(keys) > 0 {
			c.Del(ctx, keys...)
		}
	})
	return p
}

// scan lists the keys that start with prefix.
func scan(ctx context.Context, c *goredis.Client, prefix string) ([]string, error) {
	var keys []string
	it := c.Scan(ctx, 0, prefix+"*", 100).Iterator()
	for it.Next(ctx) {
		keys = append(keys, it.Val())
	}
	return keys, it.Err()
}

// closedAddr returns an address where nothing listens.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// blackHole returns the address of a server that accepts connections and
// reads from them but never answers: a Redis that hangs.
func blackHole(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
			close(done)
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
			go func() {
				buf := make([]byte, 4096)
				for {
					if _, err := c.Read(buf); err != nil {
						return
					}
				}
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return ln.Addr().String()
}
