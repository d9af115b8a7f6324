package redis_test

import (
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/adapters/redis"
	"github.com/authgo/authgo/internal/storetest"
)

func TestRevocations(t *testing.T) {
	c := testRedis(t)
	storetest.Revocations(t, func(t *testing.T) authgo.RevocationStore {
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
