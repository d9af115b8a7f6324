package redis

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/internal/logs"
)

// Defaults of LockerOptions.
const (
	DefaultPrefix    = "authgo:rt:"
	DefaultLease     = 15 * time.Second
	DefaultOpTimeout = 500 * time.Millisecond
)

// LockerOptions configures a Locker. A zero field means its default.
type LockerOptions struct {
	// Prefix starts every key the Locker writes. Default "authgo:rt:".
	// Give each site its own prefix when several share one Redis.
	Prefix string
	// Lease is how long a lock outlives a holder that stops renewing it
	// (a crashed process). It should exceed one Redis round trip by far;
	// the renewer, not the lease, covers a slow refresh. Default 15 s.
	Lease time.Duration
	// Renew is how often a held lock's lease is extended. Default Lease/3;
	// a value not below Lease is replaced by the default.
	Renew time.Duration
	// OpTimeout bounds every Redis call. Default 500 ms.
	OpTimeout time.Duration
	// Logger receives warnings: a lease lost while held, a failed release.
	// No token or lock value is logged. Nil sends errors (slog.LevelError
	// and above) to slog.Default() and drops the rest, as
	// authgo.Config.Logger does; the Locker logs only warnings (each is
	// recovered from: the lease ends the lock), so nil is silent.
	Logger *slog.Logger
}

// Locker is an [authgo.RefreshLocker] over Redis: a lease lock per key,
// renewed while held, and a result record per key. Make one with
// NewLocker. It is safe for concurrent use by multiple goroutines.
type Locker struct {
	rdb  goredis.UniversalClient
	o    LockerOptions
	log  *slog.Logger
	held sync.Map // key → the value of the lock this Locker holds for it
}

// ErrLockLost is returned by SetResult when the Locker took the lock for
// the key but no longer holds it (its lease lapsed and another instance
// took over): the other holder's result stands.
var ErrLockLost = errors.New("redis: the refresh lock was lost; the result was not stored")

var _ authgo.RefreshLocker = (*Locker)(nil)

// NewLocker returns a Locker that uses rdb, which the caller built and
// closes. It does not contact Redis.
func NewLocker(rdb goredis.UniversalClient, o LockerOptions) *Locker {
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if o.Lease <= 0 {
		o.Lease = DefaultLease
	}
	if o.Renew <= 0 || o.Renew >= o.Lease {
		o.Renew = o.Lease / 3
	}
	if o.OpTimeout <= 0 {
		o.OpTimeout = DefaultOpTimeout
	}
	l := &Locker{rdb: rdb, o: o, log: o.Logger}
	if l.log == nil {
		l.log = logs.Fallback(slog.LevelError, false)
	}
	return l
}

// LockKey returns the Redis key of key's lock.
func (l *Locker) LockKey(key string) string { return l.o.Prefix + "lock:" + key }

// ResultKey returns the Redis key of key's result record.
func (l *Locker) ResultKey(key string) string { return l.o.Prefix + "next:" + key }

// The scripts act only when the lock still holds the caller's value, so an
// owner whose lease lapsed cannot touch its successor's lock.
var (
	releaseScript   = goredis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`)
	fencedSetScript = goredis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then redis.call("SET", KEYS[2], ARGV[2], "PX", ARGV[3]) return 1 end return 0`)
	renewScript     = goredis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("PEXPIRE", KEYS[1], ARGV[2]) end return 0`)
)

// TryLock takes the lock for key if no one holds it: SET NX with a lease
// of Lease and a fresh random value. ok is false, with a nil error, when
// another holder has it; err reports that Redis could not answer within
// OpTimeout.
//
// While the lock is held, a goroutine extends the lease every Renew, until
// unlock is called or the lock turns out to be lost (its lease lapsed and
// someone else took it). ctx bounds the acquisition only; the renewal
// follows unlock, not ctx, so always call unlock. unlock stops the
// renewal and deletes the lock if it still holds this holder's value; it
// may be called more than once.
func (l *Locker) TryLock(ctx context.Context, key string) (unlock func(), ok bool, err error) {
	lk := l.LockKey(key)
	value := rand.Text() // 26 base32 characters: 130 random bits
	// When the SET may have been applied but its answer got lost or came
	// too late, undo it rather than block everyone for a lease;
	// compare-and-delete makes this safe in every case.
	undo := func() { l.release(context.WithoutCancel(ctx), lk, value) }
	res, err := call(ctx, l.o.OpTimeout, func(ctx context.Context) (bool, error) {
		ok, err := l.rdb.SetNX(ctx, lk, value, l.o.Lease).Result()
		if err != nil {
			go undo()
		}
		return ok, err
	}, func(ok bool, _ error) {
		if ok {
			undo()
		}
	})
	if err != nil {
		return nil, false, fmt.Errorf("redis: take refresh lock: %w", err)
	}
	if !res {
		return nil, false, nil
	}
	stop, stopped := make(chan struct{}), make(chan struct{})
	go l.renew(context.WithoutCancel(ctx), lk, value, stop, stopped)
	l.held.Store(key, value)
	var once sync.Once
	return func() {
		once.Do(func() {
			l.held.CompareAndDelete(key, value)
			close(stop)
			<-stopped
			l.release(context.WithoutCancel(ctx), lk, value)
		})
	}, true, nil
}

// renew extends the lease of lk every Renew while it holds value, until
// stop is closed.
func (l *Locker) renew(ctx context.Context, lk, value string, stop <-chan struct{}, stopped chan<- struct{}) {
	defer close(stopped)
	t := time.NewTicker(l.o.Renew)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		n, err := call(ctx, l.o.OpTimeout, func(ctx context.Context) (int64, error) {
			return renewScript.Run(ctx, l.rdb, []string{lk}, value, l.o.Lease.Milliseconds()).Int64()
		}, nil)
		switch {
		case err != nil:
			// The lease may still run; try again at the next tick.
			l.log.Warn("redis: could not renew a refresh lock", "err", err)
		case n == 0:
			l.log.Warn("redis: a refresh lock was lost while held: its lease lapsed before renewal")
			return
		}
	}
}

// release deletes lk if it still holds value.
func (l *Locker) release(ctx context.Context, lk, value string) {
	_, err := call(ctx, l.o.OpTimeout, func(ctx context.Context) (int64, error) {
		return releaseScript.Run(ctx, l.rdb, []string{lk}, value).Int64()
	}, nil)
	if err != nil {
		l.log.Warn("redis: could not release a refresh lock; it ends with its lease", "err", err)
	}
}

// Result returns the result record stored for key, or nil and a nil error
// when there is none.
func (l *Locker) Result(ctx context.Context, key string) ([]byte, error) {
	b, err := call(ctx, l.o.OpTimeout, func(ctx context.Context) ([]byte, error) {
		b, err := l.rdb.Get(ctx, l.ResultKey(key)).Bytes()
		if errors.Is(err, goredis.Nil) {
			return nil, nil
		}
		return b, err
	}, nil)
	if err != nil {
		return nil, fmt.Errorf("redis: read refresh result: %w", err)
	}
	return b, nil
}

// SetResult stores value as key's result record for ttl, replacing any
// previous one. ttl must be positive (at least a millisecond). While this
// Locker holds key's lock, the write happens only if the lock in Redis
// still has this holder's value (a fenced write, in one script): a holder
// whose lease lapsed gets ErrLockLost and cannot overwrite its
// successor's result.
func (l *Locker) SetResult(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if ttl < time.Millisecond {
		return fmt.Errorf("redis: refresh result ttl %v is below 1ms", ttl)
	}
	lock, held := l.held.Load(key)
	n, err := call(ctx, l.o.OpTimeout, func(ctx context.Context) (int64, error) {
		if !held {
			return 1, l.rdb.Set(ctx, l.ResultKey(key), value, ttl).Err()
		}
		return fencedSetScript.Run(ctx, l.rdb, []string{l.LockKey(key), l.ResultKey(key)}, lock, value, ttl.Milliseconds()).Int64()
	}, nil)
	if err != nil {
		return fmt.Errorf("redis: store refresh result: %w", err)
	}
	if n == 0 {
		return ErrLockLost
	}
	return nil
}

// call runs f with a context bounded by timeout and returns its result,
// or an error as soon as the time is up even if f is still running: a
// go-redis client built without ContextTimeoutEnabled ignores deadlines
// on socket reads and would wait for its ReadTimeout, with retries. An
// abandoned f finishes in the background; late, if not nil, then gets its
// result.
func call[T any](ctx context.Context, timeout time.Duration, f func(context.Context) (T, error), late func(T, error)) (T, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := f(ctx)
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		select {
		case r := <-done: // the answer came with the deadline
			return r.v, r.err
		default:
		}
		if late != nil {
			go func() {
				r := <-done
				late(r.v, r.err)
			}()
		}
		var zero T
		return zero, fmt.Errorf("no answer within %v: %w", timeout, ctx.Err())
	}
}
