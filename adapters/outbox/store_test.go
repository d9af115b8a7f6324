package outbox_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/adapters/adaptertest"
	"github.com/authgo/authgo/adapters/outbox"
)

// flaky is a shared store in memory that can be taken down.
type flaky struct {
	down     atomic.Bool
	calls    atomic.Int64
	mu       sync.Mutex
	sessions map[string]time.Time
	users    map[string]time.Time
}

func newFlaky() *flaky {
	return &flaky{sessions: map[string]time.Time{}, users: map[string]time.Time{}}
}

var errDown = errors.New("store down")

func (f *flaky) RevokeSession(_ context.Context, id string, until time.Time) error {
	f.calls.Add(1)
	if f.down.Load() {
		return errDown
	}
	if id != "" && until.After(time.Now()) {
		f.mu.Lock()
		f.sessions[id] = until
		f.mu.Unlock()
	}
	return nil
}

func (f *flaky) RevokeUser(_ context.Context, sub string, at, until time.Time) error {
	f.calls.Add(1)
	if f.down.Load() {
		return errDown
	}
	if sub != "" && until.After(time.Now()) {
		f.mu.Lock()
		if at.After(f.users[sub]) {
			f.users[sub] = at
		}
		f.mu.Unlock()
	}
	return nil
}

func (f *flaky) Check(_ context.Context, id, sub string) (bool, time.Time, error) {
	f.calls.Add(1)
	if f.down.Load() {
		return false, time.Time{}, errDown
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	until, ok := f.sessions[id]
	return ok && time.Now().Before(until), f.users[sub], nil
}

func newStore(t *testing.T, shared authgo.RevocationStore, path string) (*outbox.Store, *outbox.File) {
	t.Helper()
	j, err := outbox.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := outbox.New(t.Context(), shared, j, outbox.Options{Retry: 100 * time.Millisecond, MaxRetry: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close()
		j.Close()
	})
	return s, j
}

// TestStoreContract: with the shared store up, a Store is a
// RevocationStore like any other.
func TestStoreContract(t *testing.T) {
	shared := newFlaky()
	adaptertest.Revocations(t, func(t *testing.T) authgo.RevocationStore {
		s, _ := newStore(t, shared, filepath.Join(t.TempDir(), "outbox"))
		return s
	})
}

// TestStoreOutage: revocations made while the shared store is down are
// kept in the journal and refused at once, also by a Store opened again
// on the journal (a restart); when the store is back they are delivered
// and the journal is emptied.
func TestStoreOutage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		shared := newFlaky()
		path := filepath.Join(t.TempDir(), "outbox")
		s, j := newStore(t, shared, path)
		now := time.Now()

		shared.down.Store(true)
		if err := s.RevokeSession(ctx, "s1", now.Add(time.Hour)); err != nil {
			t.Fatalf("RevokeSession with the store down: %v", err)
		}
		if err := s.RevokeUser(ctx, "u1", now, now.Add(time.Hour)); err != nil {
			t.Fatalf("RevokeUser with the store down: %v", err)
		}
		if recs, _ := j.Records(ctx); len(recs) != 2 {
			t.Fatalf("journal holds %d records, want 2", len(recs))
		}
		if revoked, _, err := s.Check(ctx, "s1", "u1"); err != nil || !revoked {
			t.Fatalf("Check of the kept session with the store down: %v, %v", revoked, err)
		}
		if _, _, err := s.Check(ctx, "s2", "u2"); err == nil {
			t.Fatal("Check of another session with the store down did not fail")
		}

		// Restart while the store is down.
		s.Close()
		j.Close()
		s, j = newStore(t, shared, path)
		if revoked, _, err := s.Check(ctx, "s1", ""); err != nil || !revoked {
			t.Fatalf("Check of the kept session after a restart: %v, %v", revoked, err)
		}
		// Retries back off while the store is down.
		calls := shared.calls.Load()
		time.Sleep(10 * time.Second)
		synctest.Wait()
		if n := shared.calls.Load() - calls; n < 3 || n > 12 {
			t.Errorf("%d delivery attempts in 10 s with a backoff to 1 s", n)
		}

		shared.down.Store(false)
		time.Sleep(time.Second)
		synctest.Wait()
		if revoked, cutoff, err := shared.Check(ctx, "s1", "u1"); err != nil || !revoked || cutoff.Unix() != now.Unix() {
			t.Fatalf("the shared store after delivery: %v, %v, %v", revoked, cutoff, err)
		}
		if recs, _ := j.Records(ctx); len(recs) != 0 {
			t.Fatalf("journal holds %d records after delivery", len(recs))
		}
		if st, err := os.Stat(path); err != nil || st.Size() != 0 {
			t.Fatalf("the drained journal file: %v, %v", st.Size(), err)
		}
		// Drained: the goroutine stopped, nothing more is tried.
		calls = shared.calls.Load()
		time.Sleep(time.Minute)
		synctest.Wait()
		if n := shared.calls.Load() - calls; n != 0 {
			t.Errorf("%d calls after the journal was drained", n)
		}
		if revoked, _, err := s.Check(ctx, "s1", ""); err != nil || !revoked {
			t.Fatalf("Check after delivery: %v, %v", revoked, err)
		}
	})
}

// TestStoreKick: a shared store that answers another call ends the
// backoff at once.
func TestStoreKick(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		shared := newFlaky()
		j, _ := outbox.OpenFile(filepath.Join(t.TempDir(), "outbox"))
		defer j.Close()
		s, _ := outbox.New(t.Context(), shared, j, outbox.Options{Retry: time.Hour})
		defer s.Close()
		shared.down.Store(true)
		s.RevokeSession(t.Context(), "s1", time.Now().Add(time.Hour))
		shared.down.Store(false)
		s.Check(t.Context(), "other", "")
		synctest.Wait()
		if revoked, _, _ := shared.Check(t.Context(), "s1", ""); !revoked {
			t.Fatal("not delivered after the store answered a Check")
		}
	})
}

// TestStoreBothFail: when the journal fails too, the error is returned
// (authgo logs that copies of the cookie stay valid).
func TestStoreBothFail(t *testing.T) {
	shared := newFlaky()
	s, j := newStore(t, shared, filepath.Join(t.TempDir(), "outbox"))
	j.Close()
	shared.down.Store(true)
	if err := s.RevokeSession(t.Context(), "s1", time.Now().Add(time.Hour)); !errors.Is(err, errDown) {
		t.Fatalf("RevokeSession with both down: %v", err)
	}
}

// TestStoreExpired: a kept record past its Until is dropped, not
// delivered.
func TestStoreExpired(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		shared := newFlaky()
		s, j := newStore(t, shared, filepath.Join(t.TempDir(), "outbox"))
		shared.down.Store(true)
		s.RevokeSession(t.Context(), "s1", time.Now().Add(time.Minute))
		time.Sleep(2 * time.Minute)
		synctest.Wait()
		if revoked, _, _ := s.Check(t.Context(), "s1", ""); revoked {
			t.Error("an expired kept record still counts")
		}
		shared.down.Store(false)
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if recs, _ := j.Records(t.Context()); len(recs) != 0 {
			t.Errorf("%d records left", len(recs))
		}
		if revoked, _, _ := shared.Check(t.Context(), "s1", ""); revoked {
			t.Error("an expired record was delivered")
		}
	})
}

// onceFlaky is flaky with UseOnce, over the same data for every handle.
type onceFlaky struct {
	*flaky
	used sync.Map // key → until
	mu   sync.Mutex
}

func (f *onceFlaky) UseOnce(_ context.Context, key string, until time.Time) (bool, error) {
	if f.down.Load() {
		return false, errDown
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if u, ok := f.used.Load(key); ok && time.Now().Before(u.(time.Time)) {
		return false, nil
	}
	f.used.Store(key, until)
	return true, nil
}

// TestStoreUseOnce: a Store passes on the shared store's UseOnce, so
// wrapping it keeps callbacks usable once across instances, and its error
// when the store is down.
func TestStoreUseOnce(t *testing.T) {
	shared := &onceFlaky{flaky: newFlaky()}
	adaptertest.UseOnce(t, func(t *testing.T) adaptertest.OnceStore {
		s, _ := newStore(t, shared, filepath.Join(t.TempDir(), "outbox"))
		return s
	})
	s, _ := newStore(t, shared, filepath.Join(t.TempDir(), "outbox"))
	shared.down.Store(true)
	if _, err := s.UseOnce(t.Context(), "k", time.Now().Add(time.Hour)); !errors.Is(err, errDown) {
		t.Fatalf("UseOnce with the store down: %v", err)
	}
}

// TestStoreUseOnceMemory: over a shared store without UseOnce, the check
// holds in this process.
func TestStoreUseOnceMemory(t *testing.T) {
	s, _ := newStore(t, newFlaky(), filepath.Join(t.TempDir(), "outbox"))
	ctx := t.Context()
	for i, want := range []bool{true, false, false} {
		if first, err := s.UseOnce(ctx, "k", time.Now().Add(time.Hour)); err != nil || first != want {
			t.Fatalf("use %d: %v, %v; want %v", i+1, first, err, want)
		}
	}
	if first, _ := s.UseOnce(ctx, "gone", time.Now().Add(-time.Second)); !first {
		t.Fatal("first use of another key")
	}
	if first, _ := s.UseOnce(ctx, "gone", time.Now().Add(time.Hour)); !first {
		t.Fatal("a key whose record ended is not used again")
	}
}
