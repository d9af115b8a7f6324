package redis_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/authgo/authgo/adapters/redis"
)

func TestOpen(t *testing.T) {
	t.Parallel()
	c := testRedis(t)
	rdb, err := redis.Open(t.Context(), "redis://"+c.Options().Addr+"/0")
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	if !rdb.Options().ContextTimeoutEnabled {
		t.Error("Open's client ignores context deadlines")
	}
	if n := rdb.Options().DialerRetries; n != 1 {
		t.Errorf("Open's client dials %d times per connection; want once", n)
	}
	if err := rdb.Set(t.Context(), testPrefix(t, c)+"k", "v", time.Second).Err(); err != nil {
		t.Fatal(err)
	}
}

// TestOpenErrors: errors name the URL but never its password.
func TestOpenErrors(t *testing.T) {
	t.Parallel()
	closed := closedAddr(t)
	for _, tc := range []struct{ url, want string }{
		{"redis://:s3cret@" + closed + "/0", "redis://:xxxxx@" + closed + "/0"},
		{"redis://user:s3cret@" + closed, "redis://user:xxxxx@" + closed},
		{"redis://:s3cret@[::1", "invalid URL"},
		{"http://:s3cret@localhost:6379", "http://:xxxxx@localhost:6379"},
		{"redis://:s3cret@localhost:6379/notanumber", "redis://:xxxxx@localhost:6379/notanumber"},
		{"", "redis: no URL"},
	} {
		ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
		rdb, err := redis.Open(ctx, tc.url)
		cancel()
		if err == nil {
			rdb.Close()
			t.Errorf("Open(%q): no error", tc.url)
			continue
		}
		t.Logf("Open(%q): %v", tc.url, err)
		if msg := err.Error(); strings.Contains(msg, "s3cret") || !strings.Contains(msg, tc.want) || !strings.HasPrefix(msg, "redis: ") {
			t.Errorf("Open(%q): %q, want it to contain %q and no password", tc.url, msg, tc.want)
		}
	}
}
