package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"sync"
)

// writeLock lets one write of a Store at a time ask SQLite for the
// database's write lock. SQLite has a single writer per file; when several
// connections of a pool want it at once, the losers wait in SQLite's busy
// handler, which polls with sleeps that grow to 100 ms and wakes no one
// when the lock is released, so a burst of concurrent writes takes far
// longer than the same writes queued. Queued here, in a channel whose
// waiters are served first come first served, each write finds the file
// free (unless another process holds it, when busy_timeout still applies)
// and the wait ends as soon as the previous write commits.
//
// It is a channel of capacity one rather than a sync.Mutex so that a
// waiting write gives up when its context ends.
type writeLock chan struct{}

func newWriteLock() writeLock { return make(writeLock, 1) }

// errNotNew is the error of a write through a Store or Counters that New
// did not make (a zero value), which has no lock to wait for.
var errNotNew = errors.New("sqlite: Store not made by New")

// lock waits for the lock or for ctx to end.
func (w writeLock) lock(ctx context.Context) error {
	if w == nil {
		return errNotNew
	}
	select {
	case w <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (w writeLock) unlock() { <-w }

// exec runs one writing statement under the lock.
func (w writeLock) exec(ctx context.Context, db *sql.DB, query string, args ...any) (sql.Result, error) {
	if err := w.lock(ctx); err != nil {
		return nil, err
	}
	defer w.unlock()
	return db.ExecContext(ctx, query, args...)
}

// queryRow runs one writing statement that returns a row (… RETURNING)
// under the lock, and scans the row before it lets go.
func (w writeLock) queryRow(ctx context.Context, db *sql.DB, dest []any, query string, args ...any) error {
	if err := w.lock(ctx); err != nil {
		return err
	}
	defer w.unlock()
	return db.QueryRowContext(ctx, query, args...).Scan(dest...)
}

// begin starts a write transaction under the lock, which its Commit or
// Rollback releases. Every read of the transaction happens under the
// lock, so a read-then-write transaction is atomic whatever the driver's
// transaction mode; with _txlock=immediate its BEGIN also takes SQLite's
// write lock, against other processes.
func (w writeLock) begin(ctx context.Context, db *sql.DB) (*writeTx, error) {
	if err := w.lock(ctx); err != nil {
		return nil, err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		w.unlock()
		return nil, err
	}
	return &writeTx{Tx: tx, unlock: sync.OnceFunc(w.unlock)}, nil
}

// writeTx is a transaction holding the Store's write lock until it ends.
type writeTx struct {
	*sql.Tx
	unlock func()
}

// Commit commits the transaction and releases the write lock.
func (t *writeTx) Commit() error {
	defer t.unlock()
	return t.Tx.Commit()
}

// Rollback rolls the transaction back, unless it has ended, and releases
// the write lock.
func (t *writeTx) Rollback() error {
	defer t.unlock()
	return t.Tx.Rollback()
}
