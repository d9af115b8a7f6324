package redis

import (
	"context"
	"errors"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// UseOnce records key until until and reports whether this is its first
// use since any earlier record of it ended. It is the optional method of an
// [authgo.RevocationStore] that makes an OAuth callback usable once on
// every instance that shares the Redis: authgo records each state that
// reaches a callback (by its hash) before it redeems the code.
//
// The record is one SET <Prefix>o:<key> NX PXAT until, which Redis applies
// atomically and expires on its own (Redis 6.2 or later). A key whose until
// has already passed is answered as a first use and not written. Like every
// call, it is bounded by OpTimeout; an error makes authgo refuse the
// callback (CodeUnavailable).
func (r *Revocations) UseOnce(ctx context.Context, key string, until time.Time) (first bool, err error) {
	if !until.After(time.Now()) {
		return true, nil
	}
	_, err = call(ctx, r.o.OpTimeout, func(ctx context.Context) (string, error) {
		return r.rdb.Do(ctx, "SET", r.o.Prefix+"o:"+key, "1", "NX", "PXAT", until.UnixMilli()).Text()
	}, nil)
	switch {
	case errors.Is(err, goredis.Nil):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("redis: use once: %w", err)
	}
	return true, nil
}
