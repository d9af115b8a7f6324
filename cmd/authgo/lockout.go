package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/provider"
)

// Sign-in guessing is throttled: after userMaxFailures wrong passwords for
// one username (case and surrounding blanks ignored), or addrMaxFailures
// from one client address, within lockoutWindow of the first, further
// attempts are refused until the window ends, before any hash is computed,
// even when the password is right. The window ends on its own, so nobody
// can lock a user out for good; authgo user unlock ends it early.
//
// The counts live in the store (SQLite, or Redis with AUTH_REDIS_URL), so
// a lockout holds across instances and restarts. Unknown usernames are
// counted and locked exactly like real ones: the answer never tells which
// usernames exist. While the store does not answer, sign-ins fail with
// provider.ErrUnavailable (the Unavailable page, 503 with Retry-After, and
// the cause in the log): an outage must not switch the lockout off for a
// guesser.
//
// The client address is the TCP peer; behind --trusted-proxy proxies it
// is the right-most X-Forwarded-For address that is not theirs (the one the
// nearest proxy appended), since every request comes from the proxy's own
// address and one attacker would otherwise lock everyone out.
const (
	userMaxFailures = 10
	addrMaxFailures = 100
	lockoutWindow   = 15 * time.Minute

	userKeyPrefix = "signin:user:"
	addrKeyPrefix = "signin:addr:"
)

// lockout applies the rule above over a counter.
type lockout struct {
	counter authgo.Counter
}

// lockKeys are the counter keys of one attempt.
type lockKeys struct{ user, addr string }

// userLockKey is the counter key of a username: folded as sign-in folds
// it, and cut to a length no valid username reaches, so that any string an
// attacker posts makes a key the store accepts.
func userLockKey(username string) string {
	k := strings.ToLower(strings.TrimSpace(username))
	if len(k) > 256 {
		k = k[:256]
	}
	return userKeyPrefix + k
}

func (l lockout) keys(username, addr string) lockKeys {
	return lockKeys{user: userLockKey(username), addr: addrKeyPrefix + addr}
}

// blocked returns how long until k may try again; 0 when it may now.
func (l lockout) blocked(ctx context.Context, k lockKeys) (time.Duration, error) {
	var left time.Duration
	for _, c := range []struct {
		key string
		max int64
	}{{k.user, userMaxFailures}, {k.addr, addrMaxFailures}} {
		n, ends, err := l.counter.Count(ctx, c.key)
		if err != nil {
			return 0, fmt.Errorf("sign-in lockout: %w: %w", provider.ErrUnavailable, err)
		}
		if n >= c.max {
			left = max(left, time.Until(ends))
		}
	}
	return left, nil
}

// failed counts a failed attempt. It returns nil, or the error that
// stopped the count (the attempt is refused either way).
func (l lockout) failed(ctx context.Context, k lockKeys) error {
	for _, key := range []string{k.user, k.addr} {
		if _, _, err := l.counter.Add(ctx, key, lockoutWindow); err != nil {
			return fmt.Errorf("sign-in lockout: %w: %w", provider.ErrUnavailable, err)
		}
	}
	return nil
}

// succeeded forgets the user's failures (not the address's).
func (l lockout) succeeded(ctx context.Context, k lockKeys) error {
	return l.counter.Reset(ctx, k.user)
}
