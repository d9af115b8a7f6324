package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/authgo/authgo/store"
)

// TestWriteLockWaitEndsWithContext: a write waiting for the Store's write
// lock gives up with its context's error, and writes nothing; once the
// lock is free, writes go through, and a transaction's Rollback after
// Commit does not release the lock a second time.
func TestWriteLockWaitEndsWithContext(t *testing.T) {
	t.Parallel()
	db, err := sql.Open("sqlite", DSN(filepath.Join(t.TempDir(), "authgo.db")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := New(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.w.lock(t.Context()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if _, err := s.CreateUser(ctx, store.User{Email: "a@example.com"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("CreateUser while the lock is held = %v; want the context's deadline", err)
	}
	if _, _, err := s.Counters().Add(ctx, "k", time.Hour); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Counters.Add while the lock is held = %v; want the context's deadline", err)
	}
	s.w.unlock()

	if _, err := s.CreateUser(t.Context(), store.User{Email: "a@example.com"}); err != nil {
		t.Fatal(err)
	}
	tx, err := s.w.begin(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(); !errors.Is(err, sql.ErrTxDone) {
		t.Fatalf("Rollback after Commit = %v", err)
	}
	// Released exactly once: the lock is free, and taking it twice blocks.
	if err := s.w.lock(t.Context()); err != nil {
		t.Fatal(err)
	}
	ctx2, cancel2 := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel2()
	if err := s.w.lock(ctx2); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second lock = %v; want it to wait", err)
	}
	s.w.unlock()
	if n, err := s.CountUsers(t.Context()); err != nil || n != 1 {
		t.Fatalf("%d users, %v; want 1", n, err)
	}
}

// TestZeroStoreWriteFails: a write through a Store that New did not make
// fails at once instead of waiting for a lock that is not there.
func TestZeroStoreWriteFails(t *testing.T) {
	t.Parallel()
	var s Store
	if _, err := s.CreateUser(t.Context(), store.User{}); !errors.Is(err, errNotNew) {
		t.Fatalf("CreateUser on a zero Store = %v", err)
	}
	if _, _, err := s.Counters().Add(t.Context(), "k", time.Hour); !errors.Is(err, errNotNew) {
		t.Fatalf("Counters.Add on a zero Store = %v", err)
	}
}

// TestWriteLockReleasedWhenDown: writes on a database that is gone (its
// *sql.DB closed) fail, and each failure lets go of the write lock: a
// statement, a DELETE … RETURNING and a transaction whose BEGIN fails.
func TestWriteLockReleasedWhenDown(t *testing.T) {
	t.Parallel()
	db, err := sql.Open("sqlite", DSN(filepath.Join(t.TempDir(), "authgo.db")))
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	ctx := t.Context()
	for name, write := range map[string]func() error{
		"exec":     func() error { _, err := s.CreateUser(ctx, store.User{Email: "a@example.com"}); return err },
		"queryRow": func() error { _, err := s.UseVerificationToken(ctx, "a@example.com", "t"); return err },
		"begin":    func() error { _, _, err := s.Counters().Add(ctx, "k", time.Hour); return err },
	} {
		if err := write(); err == nil {
			t.Fatalf("%s on a closed database succeeded", name)
		}
		lctx, cancel := context.WithTimeout(ctx, time.Second)
		err := s.w.lock(lctx)
		cancel()
		if err != nil {
			t.Fatalf("after a failed %s the write lock is still held: %v", name, err)
		}
		s.w.unlock()
	}
}
