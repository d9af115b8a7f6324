package redis_test

import (
	"fmt"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/adapters/adaptertest"
	"github.com/authgo/authgo/adapters/redis"
)

func TestCounter(t *testing.T) {
	c := testRedis(t)
	adaptertest.Counter(t, func(t *testing.T) authgo.Counter {
		return redis.NewCounter(c, redis.CounterOptions{Prefix: testPrefix(t, c)})
	})
}

// TestCounterDown: a Redis that is not there fails each call with an
// error, within the operation timeout.
func TestCounterDown(t *testing.T) {
	c := goredis.NewClient(&goredis.Options{Addr: closedAddr(t)})
	defer c.Close()
	ctr := redis.NewCounter(c, redis.CounterOptions{})
	start := time.Now()
	if _, _, err := ctr.Add(t.Context(), "k", time.Minute); err == nil {
		t.Fatal("Add succeeded without Redis")
	}
	if _, _, err := ctr.Count(t.Context(), "k"); err == nil {
		t.Fatal("Count succeeded without Redis")
	}
	if err := ctr.Reset(t.Context(), "k"); err == nil {
		t.Fatal("Reset succeeded without Redis")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("three calls took %v with Redis down", d)
	}
}

// BenchmarkCounterAdd: one script call per counted failure, on loopback.
func BenchmarkCounterAdd(b *testing.B) {
	rdb, err := redis.Open(b.Context(), "redis://127.0.0.1:6379/0")
	if err != nil {
		b.Skip("no Redis:", err)
	}
	defer rdb.Close()
	c := redis.NewCounter(rdb, redis.CounterOptions{Prefix: fmt.Sprintf("bench:%d:", time.Now().UnixNano())})
	i := 0
	for b.Loop() {
		if _, _, err := c.Add(b.Context(), fmt.Sprint("signin:user:u", i%1000), time.Minute); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
