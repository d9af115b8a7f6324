package refresh

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/authgo/authgo/jwt"
)

// twoInstances returns two Managers (instances) sharing store, each with
// its own provider counter; the second seals with secret2.
func twoInstances(t *testing.T, store *memStore, secret2 string) (a, b *env) {
	onStoreClock := func(c *Config) { c.Clock = store.clk }
	a = newEnv(t, withLocker(store.locker(), "s1"), onStoreClock)
	b = newEnv(t, withLocker(store.locker(), secret2), onStoreClock)
	a.clk, a.p.clk, b.clk, b.p.clk = store.clk, store.clk, store.clk, store.clk
	return a, b
}

// TestPeerOutcome: tokens-bff.md C5. An instance that finds another's
// sealed outcome uses it and makes no call; one that cannot open it (not
// on the same secrets yet) does not present the refresh token again.
func TestPeerOutcome(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := newMemStore(newFakeClock(), 15*time.Second)
		a, b := twoInstances(t, store, "s1")
		tok, st := a.session()
		first := only(t, a.m.Refresh(t.Context(), tok, st))
		if got := only(t, b.m.Refresh(t.Context(), tok, st)); !sameStep(got, first) || a.p.calls.Load()+b.p.calls.Load() != 1 {
			t.Fatalf("peer got %+v (want %+v), %d+%d calls", got, first, a.p.calls.Load(), b.p.calls.Load())
		}

		_, c := twoInstances(t, store, "other-secret")
		res := c.m.Refresh(t.Context(), tok, st)
		if !errors.Is(res.Err, errUnavailable) || c.p.calls.Load() != 0 || c.log.count("unreadable shared refresh outcome") != 1 {
			t.Fatalf("unreadable outcome: %+v, %d calls; log:\n%s", res, c.p.calls.Load(), c.log.String())
		}
	})
}

// TestPeerTerminalOutcome: a peer's terminal failure is shared too.
func TestPeerTerminalOutcome(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := newMemStore(newFakeClock(), 15*time.Second)
		a, b := twoInstances(t, store, "s1")
		a.p.behave = func(context.Context, *jwt.Token) (*Set, error) { return nil, &refused{"invalid_grant"} }
		tok, st := a.session()
		if res := a.m.Refresh(t.Context(), tok, st); !res.Terminal {
			t.Fatalf("result %+v", res)
		}
		if res := b.m.Refresh(t.Context(), tok, st); !res.Terminal || b.p.calls.Load() != 0 {
			t.Fatalf("peer: %+v, %d calls", res, b.p.calls.Load())
		}
	})
}

// TestLeaseExpires: tokens-bff.md C7. A holder dies after taking the lock:
// the others wait for its outcome, give up after Timeout + 2 s (unavailable,
// no call), and the first refresh after the lease lapsed takes the lock
// and refreshes, once.
func TestLeaseExpires(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := newMemStore(newFakeClock(), 15*time.Second)
		a, _ := twoInstances(t, store, "s1")
		tok, st := a.session()
		if _, ok, err := store.locker().TryLock(t.Context(), Key(st.RefreshToken)); !ok || err != nil {
			t.Fatal("the dead holder could not take the lock")
		} // and never unlocks
		start := a.clk.Now()
		res, moved := advanceUntil(t, a.clk, a.refreshAsync(t.Context(), tok, st), 10*time.Millisecond, time.Minute)
		if !errors.Is(res.Err, errUnavailable) || moved < testTimeout+waitSlack || moved > testTimeout+waitSlack+100*time.Millisecond || a.p.calls.Load() != 0 {
			t.Fatalf("while held: %+v after %v, %d calls", res, moved, a.p.calls.Load())
		}
		a.clk.Advance(15*time.Second - a.clk.Now().Sub(start))
		only(t, a.m.Refresh(t.Context(), tok, st))
		if n := a.p.calls.Load(); n != 1 {
			t.Fatalf("%d calls after the lease lapsed", n)
		}
		if r, _ := store.locker().Result(t.Context(), Key(st.RefreshToken)); !strings.HasPrefix(string(r), "s1:") {
			t.Fatalf("shared outcome %q", r)
		}
	})
}

// TestWaitForHolder: a loser polls and takes the winner's outcome as soon
// as it is stored, without a call.
func TestWaitForHolder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := newMemStore(newFakeClock(), 15*time.Second)
		a, b := twoInstances(t, store, "s1")
		release := make(chan struct{})
		a.p.behave = func(context.Context, *jwt.Token) (*Set, error) {
			<-release
			return a.p.next(), nil
		}
		tok, st := a.session()
		ach := a.refreshAsync(t.Context(), tok, st)
		synctest.Wait() // a holds the lock, its call is running
		bch := b.refreshAsync(t.Context(), tok, st)
		for range 20 {
			a.clk.Advance(100 * time.Millisecond)
			synctest.Wait()
		}
		close(release)
		first := only(t, <-ach)
		got, _ := advanceUntil(t, a.clk, bch, 10*time.Millisecond, time.Second)
		if !sameStep(only(t, got), first) || a.p.calls.Load() != 1 || b.p.calls.Load() != 0 {
			t.Fatalf("loser: %+v, %d+%d calls", got, a.p.calls.Load(), b.p.calls.Load())
		}
	})
}

// TestLockLostWhileRefreshing: tokens-bff.md C8. A holder whose lease
// lapses mid-refresh cannot overwrite the next holder's outcome.
func TestLockLostWhileRefreshing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := newMemStore(newFakeClock(), 2*time.Second)
		a, b := twoInstances(t, store, "s1")
		release := make(chan struct{})
		a.p.behave = func(context.Context, *jwt.Token) (*Set, error) {
			<-release
			return &Set{AccessToken: "from-a", RefreshToken: "rt-a"}, nil
		}
		b.p.behave = func(context.Context, *jwt.Token) (*Set, error) {
			return &Set{AccessToken: "from-b", RefreshToken: "rt-b"}, nil
		}
		tok, st := a.session()
		ach := a.refreshAsync(t.Context(), tok, st)
		synctest.Wait()
		a.clk.Advance(3 * time.Second) // a's lease lapses
		if s := only(t, b.m.Refresh(t.Context(), tok, st)); s.Set.AccessToken != "from-b" {
			t.Fatalf("b: %+v", s)
		}
		close(release)
		<-ach
		if a.log.count("could not share the refresh outcome") != 1 {
			t.Fatalf("log:\n%s", a.log.String())
		}
		_, c := twoInstances(t, store, "s1")
		if s := only(t, c.m.Refresh(t.Context(), tok, st)); s.Set.AccessToken != "from-b" || c.p.calls.Load() != 0 {
			t.Fatalf("a third instance: %+v, %d calls", s, c.p.calls.Load())
		}
	})
}

// TestLockStoreDown: tokens-bff.md C9. With the store down each instance
// refreshes on its own, and says so at most once a minute on its clock.
func TestLockStoreDown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := newMemStore(newFakeClock(), 15*time.Second)
		store.setDown(true)
		a, _ := twoInstances(t, store, "s1")
		tok, st := a.session()
		warned := func() int { return a.log.count("refresh lock unavailable") }
		for i := range 5 {
			st.RefreshToken = "rt-down-" + string(rune('a'+i))
			only(t, a.m.Refresh(t.Context(), tok, st))
			a.clk.Advance(10 * time.Second)
		}
		if n := a.p.calls.Load(); n != 5 || warned() != 1 {
			t.Fatalf("%d calls, %d warnings in 50 s", n, warned())
		}
		a.clk.Advance(10 * time.Second) // a minute after the first
		st.RefreshToken = "rt-down-z"
		only(t, a.m.Refresh(t.Context(), tok, st))
		if warned() != 2 {
			t.Fatalf("%d warnings after a minute", warned())
		}
	})
}
