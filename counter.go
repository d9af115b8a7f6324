package authgo

import (
	"context"
	"time"
)

// Counter counts events per key within fixed windows: failed sign-ins per
// username or per client address, or emails sent per address. A key's
// window starts at its first event and lasts the window given with that
// event; when it ends, the key starts again from zero.
//
// A store shared by several instances (adapters/sqlite's Store,
// adapters/redis's Counter) makes a limit hold across them and across
// restarts, and lets another process (authgo user unlock) reset a key.
// adapters/memory's NewCounter keeps the counts in this process.
//
// Keys are opaque strings of at most [MaxCounterKey] bytes; callers put
// their purpose first ("signin:user:alice") so that one store serves every
// limit.
type Counter interface {
	// Add counts one event for key and returns the number of events in
	// key's current window, this one included, and when that window ends.
	// When key has no running window, one of length window starts now.
	Add(ctx context.Context, key string, window time.Duration) (n int64, ends time.Time, err error)
	// Count returns the number of events in key's running window and when
	// it ends, or 0 and the zero time when none is running.
	Count(ctx context.Context, key string) (n int64, ends time.Time, err error)
	// Reset ends key's window, as if it had no events.
	Reset(ctx context.Context, key string) error
}
