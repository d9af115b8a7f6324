package redis_test

import (
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/adapters/adaptertest"
	"github.com/authgo/authgo/adapters/redis"
)

func TestRevocations(t *testing.T) {
	c := testRedis(t)
	adaptertest.Revocations(t, func(t *testing.T) authgo.RevocationStore {
		return redis.NewRevocations(c, redis.RevocationsOptions{Prefix: testPrefix(t, c)})
	})
}

func TestRevocationsDown(t *testing.T) {
	// A Redis that is not there: every call fails with an error, fast.
	c := goredis.NewClient(&goredis.Options{Addr: closedAddr(t)})
	defer c.Close()
	r := redis.NewRevocations(c, redis.RevocationsOptions{})
	if _, _, err := r.Check(t.Context(), "id", "sub"); err == nil {
		t.Fatal("Check without Redis: no error")
	}
}

// BenchmarkCheck: what the revocation check costs a session read: one
// MGET on the loopback Redis.
func BenchmarkCheck(b *testing.B) {
	c := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:6379"})
	defer c.Close()
	if err := c.Ping(b.Context()).Err(); err != nil {
		b.Skip("no Redis on 127.0.0.1:6379")
	}
	r := redis.NewRevocations(c, redis.RevocationsOptions{Prefix: "authgo-bench:" + time.Now().Format("150405.000") + ":"})
	b.ReportAllocs()
	for b.Loop() {
		if revoked, _, err := r.Check(b.Context(), "live-session", "user-1"); err != nil || revoked {
			b.Fatal(revoked, err)
		}
	}
}
