package redis

import (
	"context"
	"errors"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/authgo/authgo"
)

// DefaultCounterPrefix starts the keys of Counter by default.
const DefaultCounterPrefix = "authgo:count:"

// CounterOptions configures Counter. A zero field means its default.
type CounterOptions struct {
	// Prefix starts every key. Default "authgo:count:".
	Prefix string
	// OpTimeout bounds every Redis call. Default 500 ms.
	OpTimeout time.Duration
}

// Counter is an [authgo.Counter] over Redis: one key per counter, which
// expires with its window, so Redis holds nothing for a key at rest.
type Counter struct {
	rdb goredis.UniversalClient
	o   CounterOptions
}

var _ authgo.Counter = (*Counter)(nil)

// NewCounter returns a Counter that uses rdb, which the caller built and
// closes. It does not contact Redis.
func NewCounter(rdb goredis.UniversalClient, o CounterOptions) *Counter {
	if o.Prefix == "" {
		o.Prefix = DefaultCounterPrefix
	}
	if o.OpTimeout <= 0 {
		o.OpTimeout = DefaultOpTimeout
	}
	return &Counter{rdb: rdb, o: o}
}

// addScript counts one event for KEYS[1] and returns the count and the
// milliseconds left in its window, starting a window of ARGV[1]
// milliseconds when the key is new (or somehow has no expiry).
var addScript = goredis.NewScript(`
local n = redis.call("INCR", KEYS[1])
local left = redis.call("PTTL", KEYS[1])
if n == 1 or left < 0 then
	redis.call("PEXPIRE", KEYS[1], ARGV[1])
	left = tonumber(ARGV[1])
end
return {n, left}`)

// countScript returns KEYS[1]'s count and the milliseconds left in its
// window, or {0, -2} when none is running.
var countScript = goredis.NewScript(`
local v = redis.call("GET", KEYS[1])
if not v then return {0, -2} end
return {tonumber(v), redis.call("PTTL", KEYS[1])}`)

var errCounterKey = fmt.Errorf("redis: counter key must be 1 to %d bytes", authgo.MaxCounterKey)

// Add counts one event for key in one atomic script.
func (c *Counter) Add(ctx context.Context, key string, window time.Duration) (int64, time.Time, error) {
	if key == "" || len(key) > authgo.MaxCounterKey {
		return 0, time.Time{}, errCounterKey
	}
	if window < time.Millisecond {
		return 0, time.Time{}, errors.New("redis: counter window must be at least 1 ms")
	}
	ctx, cancel := context.WithTimeout(ctx, c.o.OpTimeout)
	defer cancel()
	now := time.Now()
	v, err := addScript.Run(ctx, c.rdb, []string{c.o.Prefix + key}, window.Milliseconds()).Int64Slice()
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("redis: count: %w", err)
	}
	return v[0], now.Add(time.Duration(v[1]) * time.Millisecond), nil
}

// Count returns key's count in its running window and when it ends.
func (c *Counter) Count(ctx context.Context, key string) (int64, time.Time, error) {
	if key == "" || len(key) > authgo.MaxCounterKey {
		return 0, time.Time{}, errCounterKey
	}
	ctx, cancel := context.WithTimeout(ctx, c.o.OpTimeout)
	defer cancel()
	now := time.Now()
	v, err := countScript.Run(ctx, c.rdb, []string{c.o.Prefix + key}).Int64Slice()
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("redis: read counter: %w", err)
	}
	if v[0] == 0 || v[1] < 0 {
		return 0, time.Time{}, nil
	}
	return v[0], now.Add(time.Duration(v[1]) * time.Millisecond), nil
}

// Reset ends key's window.
func (c *Counter) Reset(ctx context.Context, key string) error {
	if key == "" || len(key) > authgo.MaxCounterKey {
		return errCounterKey
	}
	ctx, cancel := context.WithTimeout(ctx, c.o.OpTimeout)
	defer cancel()
	if err := c.rdb.Del(ctx, c.o.Prefix+key).Err(); err != nil {
		return fmt.Errorf("redis: reset counter: %w", err)
	}
	return nil
}
