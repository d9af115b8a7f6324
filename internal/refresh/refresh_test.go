package refresh

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/authgo/authgo/jwt"
)

// advanceUntil moves the clock by step until ch delivers, for at most max,
// and returns the value and how far the clock moved.
func advanceUntil[T any](t *testing.T, clk *fakeClock, ch <-chan T, step, max time.Duration) (T, time.Duration) {
	t.Helper()
	for moved := time.Duration(0); moved <= max; moved += step {
		synctest.Wait()
		select {
		case v := <-ch:
			return v, moved
		default:
		}
		clk.Advance(step)
	}
	t.Fatalf("nothing after %v", max)
	panic("unreachable")
}

// only returns the one step of res.
func only(t *testing.T, res Result) Step {
	t.Helper()
	if res.Err != nil || res.Terminal || len(res.Steps) != 1 {
		t.Fatalf("result %+v, want one step", res)
	}
	return res.Steps[0]
}

func TestDue(t *testing.T) {
	e := newEnv(t)
	now := e.clk.Now()
	at := func(d time.Duration) int64 { return now.Add(d).Unix() }
	cases := []struct {
		name string
		st   State
		want bool
	}{
		{"no refresh token", State{AccessToken: "a", ExpiresAt: at(-time.Hour)}, false},
		{"failed", State{RefreshToken: "r", Failed: true}, false},
		{"no access token", State{RefreshToken: "r"}, true},
		{"unknown lifetime", State{AccessToken: "a", RefreshToken: "r"}, false},
		{"outside the window", State{AccessToken: "a", RefreshToken: "r", ExpiresAt: at(61 * time.Second)}, false},
		{"inside the window", State{AccessToken: "a", RefreshToken: "r", ExpiresAt: at(60 * time.Second)}, true},
		{"expired", State{AccessToken: "a", RefreshToken: "r", ExpiresAt: at(-time.Second)}, true},
		// tokens-bff.md E6: a 30 s token is due after 15 s, not at once.
		{"skew clamped, early", State{AccessToken: "a", RefreshToken: "r", ObtainedAt: at(-14 * time.Second), ExpiresAt: at(16 * time.Second)}, false},
		{"skew clamped, due", State{AccessToken: "a", RefreshToken: "r", ObtainedAt: at(-15 * time.Second), ExpiresAt: at(15 * time.Second)}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := e.m.Due(c.st, now); got != c.want {
				t.Errorf("Due = %v, want %v", got, c.want)
			}
		})
	}
	if Valid(State{AccessToken: "a", ExpiresAt: at(0)}, now) || !Valid(State{AccessToken: "a"}, now) {
		t.Error("Valid: wrong at expiry or with an unknown lifetime")
	}
}

// TestSingleFlight: tokens-bff.md C1. 200 concurrent callers with one
// refresh token make one provider call and all get its tokens.
func TestSingleFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		release := make(chan struct{})
		e.p.behave = func(context.Context, *jwt.Token) (*Set, error) {
			<-release
			return e.p.next(), nil
		}
		tok, st := e.session()
		var wg sync.WaitGroup
		results := make([]Result, 200)
		for i := range results {
			wg.Go(func() { results[i] = e.m.Refresh(t.Context(), tok, st) })
		}
		synctest.Wait() // all 200 wait for the one call
		if n := e.p.calls.Load(); n != 1 {
			t.Fatalf("%d calls in flight", n)
		}
		close(release)
		wg.Wait()
		for _, res := range results {
			if s := only(t, res); s.Set.AccessToken != "at-2" || s.Set.RefreshToken != "rt-2" {
				t.Fatalf("step %+v", s)
			}
		}
		if n := e.p.calls.Load(); n != 1 {
			t.Fatalf("%d calls", n)
		}
	})
}

// TestSuccessorCache: tokens-bff.md C3, C4. The old refresh token gets the
// new tokens without a call for SuccessorTTL, then is refreshed again.
func TestSuccessorCache(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		tok, old := e.session()
		first := only(t, e.m.Refresh(t.Context(), tok, old))
		e.clk.Advance(SuccessorTTL - time.Second)
		again := only(t, e.m.Refresh(t.Context(), tok, old))
		if again != first || e.p.calls.Load() != 1 {
			t.Fatalf("within the TTL: %+v (first %+v), %d calls", again, first, e.p.calls.Load())
		}
		e.clk.Advance(time.Second)
		if s := only(t, e.m.Refresh(t.Context(), tok, old)); s.Set.AccessToken != "at-3" || e.p.calls.Load() != 2 {
			t.Fatalf("after the TTL: %+v, %d calls", s, e.p.calls.Load())
		}
	})
}

// TestChainFollowsKnownSuccessors: a cookie from two rotations ago follows
// the cached successors, and spends no call of its own.
func TestChainFollowsKnownSuccessors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		e.p.lifetime = time.Minute // due 30 s after each refresh
		tok, old := e.session()
		s1 := only(t, e.m.Refresh(t.Context(), tok, old))
		e.clk.Advance(40 * time.Second)
		mid := old.apply(s1.Set, s1.Obtained)
		s2 := only(t, e.m.Refresh(t.Context(), tok, mid))
		e.clk.Advance(10 * time.Second)
		res := e.m.Refresh(t.Context(), tok, old)
		if res.Err != nil || len(res.Steps) != 2 || res.Steps[0] != s1 || res.Steps[1] != s2 || e.p.calls.Load() != 2 {
			t.Fatalf("old cookie: %+v, %d calls", res, e.p.calls.Load())
		}
	})
}

// TestTerminalFailure: tokens-bff.md R5. A refused refresh token ends the
// session's tokens; its tombstone answers for TombstoneTTL without calls.
func TestTerminalFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		e.p.behave = func(context.Context, *jwt.Token) (*Set, error) { return nil, &refused{"invalid_grant"} }
		tok, st := e.session()
		for range 3 {
			if res := e.m.Refresh(t.Context(), tok, st); !res.Terminal || res.Err != nil || len(res.Steps) != 0 {
				t.Fatalf("result %+v", res)
			}
		}
		if n := e.p.calls.Load(); n != 1 || e.log.count("refresh token refused") != 1 || e.log.count("code=invalid_grant") != 1 {
			t.Fatalf("%d calls; log:\n%s", n, e.log.String())
		}
		e.clk.Advance(TombstoneTTL)
		if res := e.m.Refresh(t.Context(), tok, st); !res.Terminal || e.p.calls.Load() != 2 {
			t.Fatalf("after the tombstone: %+v, %d calls", res, e.p.calls.Load())
		}
	})
}

// TestTransientFailure: tokens-bff.md R6, R7. A failure that may pass
// changes nothing, is not cached, and is logged.
func TestTransientFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		fail := true
		e.p.behave = func(context.Context, *jwt.Token) (*Set, error) {
			if fail {
				return nil, errors.New("http_503")
			}
			return e.p.next(), nil
		}
		tok, st := e.session()
		res := e.m.Refresh(t.Context(), tok, st)
		if !errors.Is(res.Err, errUnavailable) || !strings.Contains(res.Err.Error(), "the refresh failed") || res.Terminal || len(res.Steps) != 0 {
			t.Fatalf("result %+v", res)
		}
		if e.log.count("will retry on a later request") != 1 || e.log.count("http_503") != 1 {
			t.Fatalf("log:\n%s", e.log.String())
		}
		fail = false
		only(t, e.m.Refresh(t.Context(), tok, st))
		if n := e.p.calls.Load(); n != 2 {
			t.Fatalf("%d calls, want a second try", n)
		}
	})
}

// TestTimeoutDetachesFromCaller: tokens-bff.md R8. The caller goes away;
// the refresh goes on with a context of its own, bounded by Timeout, and
// its outcome serves the next request.
func TestTimeoutDetachesFromCaller(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		release := make(chan struct{})
		var refreshCtx context.Context
		e.p.behave = func(ctx context.Context, _ *jwt.Token) (*Set, error) {
			refreshCtx = ctx
			select {
			case <-release:
				return e.p.next(), nil
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		tok, st := e.session()
		start := e.clk.Now()
		ctx, cancel := context.WithCancel(t.Context())
		ch := e.refreshAsync(ctx, tok, st)
		synctest.Wait()
		cancel()
		res := <-ch
		if !errors.Is(res.Err, errUnavailable) || !errors.Is(res.Err, context.Canceled) {
			t.Fatalf("the caller that left: %+v", res)
		}
		synctest.Wait()
		if err := refreshCtx.Err(); err != nil {
			t.Fatalf("the refresh was cut off with its caller: %v", err)
		}
		if dl, ok := refreshCtx.Deadline(); !ok || !dl.Equal(start.Add(testTimeout)) {
			t.Fatalf("refresh deadline %v %v, want %v", dl, ok, start.Add(testTimeout))
		}
		close(release)
		synctest.Wait()
		if s := only(t, e.m.Refresh(t.Context(), tok, st)); s.Set.AccessToken != "at-2" || e.p.calls.Load() != 1 {
			t.Fatalf("next request: %+v, %d calls", s, e.p.calls.Load())
		}

		// A refresh that takes too long ends at Timeout, on the clock.
		e2 := newEnv(t)
		e2.p.behave = e.p.behave
		release = make(chan struct{}) // never closed
		ch = e2.refreshAsync(t.Context(), tok, st)
		res, moved := advanceUntil(t, e2.clk, ch, time.Second, time.Minute)
		if !errors.Is(res.Err, errUnavailable) || moved != testTimeout {
			t.Fatalf("slow refresh: %+v after %v", res, moved)
		}
		if !errors.Is(refreshCtx.Err(), context.DeadlineExceeded) || e2.log.count("deadline exceeded") != 1 {
			t.Fatalf("refresh context: %v; log:\n%s", refreshCtx.Err(), e2.log.String())
		}
	})
}

// TestRefreshThatHangs: tokens-bff.md C10. A refresh deaf to its context
// holds its callers for the budget only; until it returns, new callers of
// its refresh token are answered at once, without a second call; its late
// success serves the old cookie.
func TestRefreshThatHangs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		release := make(chan struct{})
		e.p.behave = func(context.Context, *jwt.Token) (*Set, error) {
			<-release
			return e.p.next(), nil
		}
		tok, st := e.session()
		ch := e.refreshAsync(t.Context(), tok, st)
		res, moved := advanceUntil(t, e.clk, ch, time.Second, time.Minute)
		if budget := testTimeout + 2*time.Second; !errors.Is(res.Err, errUnavailable) || moved != budget {
			t.Fatalf("%+v after %v, want unavailable after %v", res, moved, budget)
		}
		res = e.m.Refresh(t.Context(), tok, st)
		if !errors.Is(res.Err, errUnavailable) || !strings.Contains(res.Err.Error(), "still running") || e.p.calls.Load() != 1 {
			t.Fatalf("while it hangs: %+v, %d calls", res, e.p.calls.Load())
		}
		close(release)
		synctest.Wait()
		if s := only(t, e.m.Refresh(t.Context(), tok, st)); s.Set.AccessToken != "at-2" || e.p.calls.Load() != 1 {
			t.Fatalf("after the late success: %+v, %d calls", s, e.p.calls.Load())
		}
	})
}

// TestRefreshPanics: tokens-bff.md C11. A panicking refresh fails its
// callers (transient) and crashes nothing.
func TestRefreshPanics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		e.p.behave = func(context.Context, *jwt.Token) (*Set, error) { panic("boom") }
		tok, st := e.session()
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				if res := e.m.Refresh(t.Context(), tok, st); !errors.Is(res.Err, errUnavailable) {
					t.Errorf("result %+v", res)
				}
			})
		}
		wg.Wait()
		if e.log.count("refresh panicked: boom") == 0 {
			t.Fatalf("log:\n%s", e.log.String())
		}
	})
}

// TestRejected: an access token an API refused is due, and a cached
// outcome carrying it (a provider that does not rotate refresh tokens) is
// not served again; a token refused moments after it was obtained is not
// marked, and that is logged at most once a minute.
func TestRejected(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		e.p.behave = func(context.Context, *jwt.Token) (*Set, error) {
			s := e.p.next()
			s.RefreshToken = "" // not rotated: the key stays rt-1
			return s, nil
		}
		tok, st := e.session()
		s := only(t, e.m.Refresh(t.Context(), tok, st))
		cur := st.apply(s.Set, s.Obtained)
		for range 3 {
			e.m.Rejected(cur, "provider", "backend")
		}
		if e.m.Due(cur, e.clk.Now()) || e.log.count("refused an access token obtained moments ago") != 1 || e.log.count("provider=backend") != 1 {
			t.Fatalf("a fresh token was marked; log:\n%s", e.log.String())
		}
		e.clk.Advance(StaleGrace)
		e.m.Rejected(cur)
		if !e.m.Due(cur, e.clk.Now()) {
			t.Fatal("a refused token is not due")
		}
		if s := only(t, e.m.Refresh(t.Context(), tok, cur)); s.Set.AccessToken != "at-3" || e.p.calls.Load() != 2 {
			t.Fatalf("after the refusal: %+v, %d calls", s, e.p.calls.Load())
		}
		e.clk.Advance(WarnEvery)
		e.m.Rejected(State{AccessToken: "at-3", RefreshToken: "rt-1", ObtainedAt: e.clk.Now().Unix()})
		if n := e.log.count("refused an access token obtained moments ago"); n != 2 {
			t.Fatalf("%d warnings a minute later", n)
		}
	})
}
