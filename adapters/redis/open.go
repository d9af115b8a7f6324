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
// ctx. The client respects context deadlines (ContextTimeoutEnabled). The
// caller closes it.
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
	c := goredis.NewClient(o)
	if err := c.Ping(ctx).Err(); err != nil {
		c.Close()
		return nil, fmt.Errorf("redis: ping %s: %w", shown, err)
	}
	return c, nil
}
