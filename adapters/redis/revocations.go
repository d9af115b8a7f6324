package redis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/authgo/authgo"
)

// DefaultRevocationsPrefix starts the keys of Revocations by default.
const DefaultRevocationsPrefix = "authgo:revoked:"

// RevocationsOptions configures Revocations. A zero field means its
// default.
type RevocationsOptions struct {
	// Prefix starts every key. Default "authgo:revoked:". Give each site
	// its own prefix when several share one Redis.
	Prefix string
	// OpTimeout bounds every Redis call. Default 500 ms. A session read
	// whose check times out is refused (its cookie kept).
	OpTimeout time.Duration
}

// Revocations is an [authgo.RevocationStore] over Redis, for instances
// that share one: a key per revoked session and per user cutoff, each
// expiring with the last cookie it can concern, and one MGET per check.
// Its [Revocations.UseOnce] makes an OAuth callback usable once across the
// instances.
type Revocations struct {
	rdb goredis.UniversalClient
	o   RevocationsOptions
}

var _ authgo.RevocationStore = (*Revocations)(nil)

// NewRevocations returns a Revocations that uses rdb, which the caller
// built and closes. It does not contact Redis.
func NewRevocations(rdb goredis.UniversalClient, o RevocationsOptions) *Revocations {
	if o.Prefix == "" {
		o.Prefix = DefaultRevocationsPrefix
	}
	if o.OpTimeout <= 0 {
		o.OpTimeout = DefaultOpTimeout
	}
	return &Revocations{rdb: rdb, o: o}
}

func (r *Revocations) sessionKey(id string) string { return r.o.Prefix + "s:" + id }
func (r *Revocations) userKey(sub string) string   { return r.o.Prefix + "u:" + sub }

// raiseScript sets KEYS[1] to ARGV[1] (a Unix time) unless it holds a
// later one, and makes it last until ARGV[2] (Unix milliseconds) or longer
// (ARGV[3] is the caller's clock, in milliseconds: PTTL is relative).
// Redis 6.2 or later (PXAT).
var raiseScript = goredis.NewScript(`
local pttl = redis.call("PTTL", KEYS[1])
local keep = -1
if pttl > 0 then keep = tonumber(ARGV[3]) + pttl end
local at = tonumber(ARGV[2])
if keep > at then at = keep end
local cur = redis.call("GET", KEYS[1])
local value = ARGV[1]
if cur and tonumber(cur) and tonumber(cur) > tonumber(value) then value = cur end
redis.call("SET", KEYS[1], value, "PXAT", at)
return 1`)

// RevokeSession records that the session with this id is over, until
// until. A record already past until is not written.
func (r *Revocations) RevokeSession(ctx context.Context, id string, until time.Time) error {
	return r.raise(ctx, r.sessionKey(id), id, time.Now(), until)
}

// RevokeUser records that every session token of subject sub issued at or
// before at is over, until until. A later cutoff replaces an earlier one,
// never the reverse.
func (r *Revocations) RevokeUser(ctx context.Context, sub string, at, until time.Time) error {
	return r.raise(ctx, r.userKey(sub), sub, at, until)
}

func (r *Revocations) raise(ctx context.Context, key, name string, at, until time.Time) error {
	if name == "" || !until.After(time.Now()) {
		return nil
	}
	_, err := call(ctx, r.o.OpTimeout, func(ctx context.Context) (any, error) {
		return raiseScript.Run(ctx, r.rdb, []string{key}, at.Unix(), until.UnixMilli(), time.Now().UnixMilli()).Result()
	}, nil)
	if err != nil {
		return fmt.Errorf("redis: revoke: %w", err)
	}
	return nil
}

// Check reports whether session id is revoked and the cutoff recorded for
// sub, zero when none: one MGET.
func (r *Revocations) Check(ctx context.Context, id, sub string) (revoked bool, cutoff time.Time, err error) {
	if id == "" && sub == "" {
		return false, time.Time{}, nil
	}
	// An empty id or sub is asked under a key nothing writes.
	vals, err := call(ctx, r.o.OpTimeout, func(ctx context.Context) ([]any, error) {
		return r.rdb.MGet(ctx, r.sessionKey(id), r.userKey(sub)).Result()
	}, nil)
	if err != nil {
		return false, time.Time{}, fmt.Errorf("redis: check revocations: %w", err)
	}
	if len(vals) != 2 {
		return false, time.Time{}, errors.New("redis: check revocations: unexpected MGET answer")
	}
	revoked = vals[0] != nil
	if s, ok := vals[1].(string); ok {
		at, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return false, time.Time{}, fmt.Errorf("redis: check revocations: bad cutoff %q", s)
		}
		cutoff = time.Unix(at, 0)
	}
	return revoked, cutoff, nil
}
