package redis_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/authgo/authgo/adapters/redis"
)

// A key as authgo passes it: the hex SHA-256 of a refresh token.
const testKey = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

func TestDefaults(t *testing.T) {
	l := redis.NewLocker(goredis.NewClient(&goredis.Options{Addr: closedAddr(t)}), redis.LockerOptions{})
	if got := l.LockKey("abc"); got != "authgo:rt:lock:abc" {
		t.Errorf("LockKey = %q", got)
	}
	if got := l.ResultKey("abc"); got != "authgo:rt:next:abc" {
		t.Errorf("ResultKey = %q", got)
	}
}

func TestTryLockExcludes(t *testing.T) {
	t.Parallel()
	c := testRedis(t)
	p := testPrefix(t, c)
	ctx := t.Context()
	a := redis.NewLocker(c, redis.LockerOptions{Prefix: p})
	b := redis.NewLocker(c, redis.LockerOptions{Prefix: p}) // another instance

	unlockA, ok, err := a.TryLock(ctx, testKey)
	if err != nil || !ok {
		t.Fatalf("first TryLock: %v %v", ok, err)
	}
	for name, l := range map[string]*redis.Locker{"same locker": a, "other locker": b} {
		if unlock, ok, err := l.TryLock(ctx, testKey); ok || err != nil || unlock != nil {
			t.Fatalf("%s: second TryLock got the lock (%v, %v)", name, ok, err)
		}
	}
	// Other keys are independent.
	unlockOther, ok, err := b.TryLock(ctx, "other")
	if !ok || err != nil {
		t.Fatalf("TryLock(other): %v %v", ok, err)
	}
	unlockOther()

	// Unlock releases: the other instance can take it now.
	unlockA()
	if n := c.Exists(ctx, a.LockKey(testKey)).Val(); n != 0 {
		t.Fatalf("lock key still there after unlock")
	}
	unlockB, ok, err := b.TryLock(ctx, testKey)
	if !ok || err != nil {
		t.Fatalf("TryLock after unlock: %v %v", ok, err)
	}
	// A second unlock of the first holder is harmless: it must not
	// release the new holder's lock.
	unlockA()
	if n := c.Exists(ctx, a.LockKey(testKey)).Val(); n != 1 {
		t.Fatalf("a repeated unlock deleted the next holder's lock")
	}
	unlockB()
	unlockB()
}

// TestReleaseComparesValue: a holder whose lease lapsed and whose lock was
// taken over can neither delete nor extend the new holder's lock (spec
// C14).
func TestReleaseComparesValue(t *testing.T) {
	t.Parallel()
	c := testRedis(t)
	p := testPrefix(t, c)
	ctx := t.Context()
	l := redis.NewLocker(c, redis.LockerOptions{Prefix: p, Lease: 300 * time.Millisecond})
	lk := l.LockKey(testKey)

	unlock, ok, err := l.TryLock(ctx, testKey)
	if !ok || err != nil {
		t.Fatalf("TryLock: %v %v", ok, err)
	}
	// The lease lapses (the holder was paused) and someone else takes the
	// lock, with a long lease and no renewal of its own.
	c.Del(ctx, lk)
	if err := c.Set(ctx, lk, "new-holder", 10*time.Second).Err(); err != nil {
		t.Fatal(err)
	}
	// The first holder's renewer runs every 100 ms: it must not shorten
	// the new lease to its own 300 ms.
	time.Sleep(400 * time.Millisecond)
	if ttl := c.PTTL(ctx, lk).Val(); ttl < 5*time.Second {
		t.Fatalf("the old holder's renewer reset the new holder's lease to %v", ttl)
	}
	unlock()
	if v, err := c.Get(ctx, lk).Result(); v != "new-holder" {
		t.Fatalf("the old holder's unlock touched the new holder's lock: %q %v", v, err)
	}
	// And the real thing: two Lockers, a lapsed lease, a takeover.
	c.Del(ctx, lk)
	unlock1, ok, _ := l.TryLock(ctx, testKey)
	if !ok {
		t.Fatal("no lock")
	}
	v1 := c.Get(ctx, lk).Val()
	c.Del(ctx, lk)
	unlock2, ok, _ := redis.NewLocker(c, redis.LockerOptions{Prefix: p}).TryLock(ctx, testKey)
	if !ok {
		t.Fatal("no takeover")
	}
	v2 := c.Get(ctx, lk).Val()
	unlock1()
	if v := c.Get(ctx, lk).Val(); v != v2 || v == v1 {
		t.Fatalf("after the old holder's unlock: %q, want the new holder's value", v)
	}
	unlock2()
	if n := c.Exists(ctx, lk).Val(); n != 0 {
		t.Fatal("the new holder's unlock left the lock")
	}
}

// TestRenewKeepsLock: a lock is held past its lease while work runs, and
// ends with unlock (spec C6, oauth2-proxy PR #3456).
func TestRenewKeepsLock(t *testing.T) {
	t.Parallel()
	c := testRedis(t)
	p := testPrefix(t, c)
	ctx := t.Context()
	const lease = 300 * time.Millisecond
	l := redis.NewLocker(c, redis.LockerOptions{Prefix: p, Lease: lease})
	other := redis.NewLocker(c, redis.LockerOptions{Prefix: p, Lease: lease})
	lk := l.LockKey(testKey)

	unlock, ok, err := l.TryLock(ctx, testKey)
	if !ok || err != nil {
		t.Fatalf("TryLock: %v %v", ok, err)
	}
	value := c.Get(ctx, lk).Val()
	for end := time.Now().Add(4 * lease); time.Now().Before(end); time.Sleep(25 * time.Millisecond) {
		ttl, err := c.PTTL(ctx, lk).Result()
		if err != nil || ttl <= 0 || ttl > lease {
			t.Fatalf("PTTL %v %v: want (0, %v]", ttl, err, lease)
		}
	}
	if v := c.Get(ctx, lk).Val(); v != value {
		t.Fatalf("lock value changed")
	}
	if _, ok, _ := other.TryLock(ctx, testKey); ok {
		t.Fatal("another instance took a renewed lock")
	}
	unlock()
	if n := c.Exists(ctx, lk).Val(); n != 0 {
		t.Fatal("lock left after unlock")
	}
	// Renewal has stopped: a later lock by someone else is not extended
	// or deleted by the first holder.
	if err := c.Set(ctx, lk, "x", 10*time.Second).Err(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * lease)
	if ttl := c.PTTL(ctx, lk).Val(); ttl < 5*time.Second {
		t.Fatalf("renewal went on after unlock: PTTL %v", ttl)
	}
}

// TestLeaseLapses: a holder that dies (here: its connection to Redis is
// closed, so it can neither renew nor release) keeps others out only
// until its lease ends.
func TestLeaseLapses(t *testing.T) {
	t.Parallel()
	c := testRedis(t)
	p := testPrefix(t, c)
	ctx := t.Context()
	const lease = 200 * time.Millisecond
	dying := goredis.NewClient(&goredis.Options{Addr: c.Options().Addr})
	l := redis.NewLocker(dying, redis.LockerOptions{Prefix: p, Lease: lease})
	unlock, ok, _ := l.TryLock(ctx, testKey)
	if !ok {
		t.Fatal("no lock")
	}
	if ttl := c.PTTL(ctx, l.LockKey(testKey)).Val(); ttl <= 0 || ttl > lease {
		t.Fatalf("lease PTTL %v, want (0, %v]", ttl, lease)
	}
	dying.Close()
	start := time.Now()
	other := redis.NewLocker(c, redis.LockerOptions{Prefix: p})
	for {
		u, ok, err := other.TryLock(ctx, testKey)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			defer u()
			break
		}
		if time.Since(start) > 3*time.Second {
			t.Fatal("the dead holder's lock did not lapse")
		}
		time.Sleep(20 * time.Millisecond)
	}
	unlock() // fails to reach Redis; must not panic or block long
}

func TestResult(t *testing.T) {
	t.Parallel()
	c := testRedis(t)
	p := testPrefix(t, c)
	ctx := t.Context()
	l := redis.NewLocker(c, redis.LockerOptions{Prefix: p})

	if b, err := l.Result(ctx, testKey); b != nil || err != nil {
		t.Fatalf("Result before any: %q %v", b, err)
	}
	if err := l.SetResult(ctx, testKey, []byte("sealed-1"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if b, err := l.Result(ctx, testKey); string(b) != "sealed-1" || err != nil {
		t.Fatalf("Result: %q %v", b, err)
	}
	if ttl := c.PTTL(ctx, l.ResultKey(testKey)).Val(); ttl <= 50*time.Second || ttl > time.Minute {
		t.Fatalf("PTTL %v, want about a minute", ttl)
	}
	// Replaced, and expiring after a short ttl.
	if err := l.SetResult(ctx, testKey, []byte("sealed-2"), 150*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if b, _ := l.Result(ctx, testKey); string(b) != "sealed-2" {
		t.Fatalf("Result after replace: %q", b)
	}
	deadline := time.Now().Add(3 * time.Second)
	for {
		b, err := l.Result(ctx, testKey)
		if err != nil {
			t.Fatal(err)
		}
		if b == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("result did not expire")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Binary values survive.
	bin := []byte{0, 1, 2, 0xff, '\n'}
	l.SetResult(ctx, testKey, bin, time.Minute)
	if b, _ := l.Result(ctx, testKey); string(b) != string(bin) {
		t.Fatalf("binary round trip: %v", b)
	}
	// A result that never expires is refused.
	for _, ttl := range []time.Duration{0, -time.Second, time.Microsecond} {
		if err := l.SetResult(ctx, "k", []byte("x"), ttl); err == nil {
			t.Errorf("SetResult with ttl %v: no error", ttl)
		}
	}
}

// TestKeys: the Locker writes exactly two keys per key it is given, both
// named by the key as passed, and lock values are fresh random strings.
func TestKeys(t *testing.T) {
	t.Parallel()
	c := testRedis(t)
	p := testPrefix(t, c)
	ctx := t.Context()
	l := redis.NewLocker(c, redis.LockerOptions{Prefix: p})

	unlock, ok, err := l.TryLock(ctx, testKey)
	if !ok || err != nil {
		t.Fatal(ok, err)
	}
	if err := l.SetResult(ctx, testKey, []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}
	keys, err := scan(ctx, c, p)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(keys)
	want := []string{p + "lock:" + testKey, p + "next:" + testKey}
	if !slices.Equal(keys, want) || l.LockKey(testKey) != want[0] || l.ResultKey(testKey) != want[1] {
		t.Fatalf("keys %q, want %q", keys, want)
	}
	v1 := c.Get(ctx, want[0]).Val()
	unlock()
	unlock, _, _ = l.TryLock(ctx, testKey)
	v2 := c.Get(ctx, want[0]).Val()
	unlock()
	// rand.Text: 26 base32 characters, 130 bits.
	if len(v1) < 26 || len(v2) < 26 || v1 == v2 || strings.Contains(v1, testKey) {
		t.Fatalf("lock values %q, %q", v1, v2)
	}
}

// TestUnreachable: with Redis down, or hanging, every call fails within
// OpTimeout, whatever the client's own timeouts, and nothing is held.
func TestUnreachable(t *testing.T) {
	t.Parallel()
	for name, addr := range map[string]string{"closed port": closedAddr(t), "no answer": blackHole(t)} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			// A client as a caller might build it: default timeouts
			// (3 s reads, retries), context deadlines not enabled.
			c := goredis.NewClient(&goredis.Options{Addr: addr})
			t.Cleanup(func() { c.Close() })
			const op = 100 * time.Millisecond
			l := redis.NewLocker(c, redis.LockerOptions{OpTimeout: op})
			ctx := t.Context()
			for what, f := range map[string]func() error{
				"TryLock": func() error {
					unlock, ok, err := l.TryLock(ctx, testKey)
					if ok || unlock != nil {
						t.Errorf("TryLock succeeded")
					}
					return err
				},
				"Result": func() error {
					b, err := l.Result(ctx, testKey)
					if b != nil {
						t.Errorf("Result returned %q", b)
					}
					return err
				},
				"SetResult": func() error { return l.SetResult(ctx, testKey, []byte("x"), time.Minute) },
			} {
				start := time.Now()
				err := f()
				if took := time.Since(start); took > op+400*time.Millisecond {
					t.Errorf("%s took %v, OpTimeout %v", what, took, op)
				}
				if err == nil || !strings.HasPrefix(err.Error(), "redis: ") {
					t.Errorf("%s: error %v", what, err)
				}
				if name == "no answer" && !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("%s: %v, want a deadline error", what, err)
				}
			}
		})
	}
}

// TestSetResultFenced: tokens-bff.md C8. A holder whose lease lapsed and
// whose lock another instance then took cannot overwrite that instance's
// result; while it holds the lock, its write goes through.
func TestSetResultFenced(t *testing.T) {
	t.Parallel()
	c := testRedis(t)
	p := testPrefix(t, c)
	ctx := t.Context()
	first := redis.NewLocker(c, redis.LockerOptions{Prefix: p})
	second := redis.NewLocker(c, redis.LockerOptions{Prefix: p})

	unlock1, ok, err := first.TryLock(ctx, testKey)
	if !ok || err != nil {
		t.Fatalf("first TryLock: %v %v", ok, err)
	}
	defer unlock1()
	// The first holder pauses past its lease: the lock lapses (deleted
	// here, as its expiry would), and the second takes over and stores
	// its result.
	c.Del(ctx, first.LockKey(testKey))
	unlock2, ok, err := second.TryLock(ctx, testKey)
	if !ok || err != nil {
		t.Fatalf("second TryLock: %v %v", ok, err)
	}
	if err := second.SetResult(ctx, testKey, []byte("second"), time.Minute); err != nil {
		t.Fatal(err)
	}
	unlock2()
	// The first resumes: its write is refused, the second's result stands.
	if err := first.SetResult(ctx, testKey, []byte("first"), time.Minute); !errors.Is(err, redis.ErrLockLost) {
		t.Fatalf("stale holder's SetResult: %v, want ErrLockLost", err)
	}
	if b, _ := first.Result(ctx, testKey); string(b) != "second" {
		t.Fatalf("result %q, want the second holder's", b)
	}
	// A holder that still holds its lock writes.
	unlock3, ok, err := first.TryLock(ctx, "other-key")
	if !ok || err != nil {
		t.Fatalf("TryLock: %v %v", ok, err)
	}
	if err := first.SetResult(ctx, "other-key", []byte("mine"), time.Minute); err != nil {
		t.Fatalf("holder's SetResult: %v", err)
	}
	unlock3()
	if b, _ := first.Result(ctx, "other-key"); string(b) != "mine" {
		t.Fatalf("result %q", b)
	}
}
