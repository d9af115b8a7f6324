package main

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// sessionSweepEvery is how often serve deletes the expired sessions of its
// database: once at start, then hourly.
const sessionSweepEvery = time.Hour

// sessionSweeper is what the sweep asks of the database: adapters/sqlite's
// and adapters/postgres's DeleteExpiredSessions.
type sessionSweeper interface {
	DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error)
}

// startSessionSweep deletes the sessions of db that expired (a read deletes
// an expired session it finds; these are the ones nobody reads again, and
// in PostgreSQL the authgo_sessions rows of sessions Auth.js signed out),
// at once and then every every, until stop is called; stop waits for a
// sweep under way. Sessions Redis keeps expire by themselves.
func startSessionSweep(ctx context.Context, db sessionSweeper, every time.Duration, now func() time.Time, log *slog.Logger) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			n, err := db.DeleteExpiredSessions(ctx, now())
			switch {
			case err != nil && ctx.Err() == nil:
				log.Warn("deleting expired sessions failed; trying again later", "err", err, "next_in", every)
			case n > 0:
				log.Info("deleted expired sessions", "sessions", n)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	})
	return func() {
		cancel()
		wg.Wait()
	}
}
