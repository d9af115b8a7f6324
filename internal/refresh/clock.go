package refresh

import (
	"context"
	"time"
)

// Clock is where a Manager reads the time and waits. Every time read and
// every wait of the engine goes through it, so that tests can drive it.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// After returns a channel that receives once d has passed.
	After(d time.Duration) <-chan time.Time
	// WithTimeout returns a copy of ctx that is done d from now, as
	// context.WithTimeout does.
	WithTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc)
}

// SystemClock returns the Clock of a real deployment: it reads the time
// from now (time.Now when nil; authgo passes Config.Now) and waits on the
// runtime's timers.
func SystemClock(now func() time.Time) Clock {
	if now == nil {
		now = time.Now
	}
	return systemClock{now}
}

type systemClock struct{ now func() time.Time }

func (c systemClock) Now() time.Time                       { return c.now() }
func (systemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }
func (systemClock) WithTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, d)
}
