package redis

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	goredis "github.com/redis/go-redis/v9"
)

// Open connects to the Redis server at rawURL (redis://, rediss:// or
// unix://, as [goredis.ParseURL] reads them, e.g.
// "redis://:password@redis:6379/0") and checks it with a PING bounded by
// ctx. The client respects context deadlines (ContextTimeoutEnabled),
// dials a connection once (no dial retries) and, unless the URL sets
// max_retries, does not retry a failed command. The caller closes it.
//
// Redis must keep what it is given across a restart (appendonly yes, or
// snapshots): a Redis that restarts empty forgets the sign-outs recorded
// in it, and copies of those cookies open their sessions again.
//
// Errors name the URL with its password replaced by "xxxxx"; a URL that
// does not parse is not repeated at all.
func Open(ctx context.Context, rawURL string) (*goredis.Client, error) {
	if rawURL == "" {
		return nil, errors.New("redis: no URL")
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		// A *url.Error quotes the whole URL, password included.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("redis: invalid URL: %v", err)
	}
	shown := u.Redacted()
	o, err := goredis.ParseURL(rawURL)
	if err != nil {
		// ParseURL's errors are plain text that starts with "redis: ".
		return nil, fmt.Errorf("redis: URL %s: %s", shown, strings.TrimPrefix(err.Error(), "redis: "))
	}
	o.ContextTimeoutEnabled = true
	if o.MaxRetries == 0 {
		// No retries unless the URL asks (max_retries=N): every call of
		// these adapters has its own short timeout and fails closed, so a
		// Redis that is down answers at once (503, and the client retries)
		// instead of holding each request through go-redis's backoff.
		o.MaxRetries = -1
	}
	// One dial per connection, for the same reason: go-redis otherwise
	// dials 5 times, 100 ms apart, so that a call to a stopped Redis
	// waits out OpTimeout instead of failing at once.
	o.DialerRetries = 1
	c := goredis.NewClient(o)
	if err := c.Ping(ctx).Err(); err != nil {
		c.Close()
		return nil, fmt.Errorf("redis: ping %s: %w", shown, err)
	}
	return c, nil
}
