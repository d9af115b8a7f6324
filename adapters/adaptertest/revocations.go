package adaptertest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/authgo/authgo"
)

// Revocations checks an authgo.RevocationStore: revoking a session, and
// everything a subject signed in before a cutoff, and what Check answers
// for each. newStore returns a store for one subtest; stores may share
// their data (the checks use ids and subjects unique to the run).
func Revocations(t *testing.T, newStore func(t *testing.T) authgo.RevocationStore) {
	ctx := context.Background()
	now := time.Now().Truncate(time.Second)
	run := fmt.Sprintf("%d-", time.Now().UnixNano())

	t.Run("empty", func(t *testing.T) {
		s := newStore(t)
		for _, c := range [][2]string{{"", ""}, {run + "s", ""}, {"", run + "u"}, {run + "s", run + "u"}} {
			revoked, cutoff, err := s.Check(ctx, c[0], c[1])
			if err != nil || revoked || !cutoff.IsZero() {
				t.Fatalf("Check(%q, %q) = %v, %v, %v on an empty store", c[0], c[1], revoked, cutoff, err)
			}
		}
	})

	t.Run("session", func(t *testing.T) {
		s := newStore(t)
		id := run + "session"
		if err := s.RevokeSession(ctx, id, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if revoked, cutoff, err := s.Check(ctx, id, run+"nobody"); err != nil || !revoked || !cutoff.IsZero() {
			t.Fatalf("revoked session: %v, %v, %v", revoked, cutoff, err)
		}
		if revoked, _, err := s.Check(ctx, id+"x", ""); err != nil || revoked {
			t.Fatalf("another session: %v, %v", revoked, err)
		}
		if revoked, _, err := s.Check(ctx, "", ""); err != nil || revoked {
			t.Fatalf("no id: %v, %v", revoked, err)
		}
		// Revoking again is harmless.
		if err := s.RevokeSession(ctx, id, now.Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if revoked, _, err := s.Check(ctx, id, ""); err != nil || !revoked {
			t.Fatalf("revoked twice: %v, %v", revoked, err)
		}
	})

	t.Run("expired records", func(t *testing.T) {
		s := newStore(t)
		id, sub := run+"gone", run+"gone-user"
		if err := s.RevokeSession(ctx, id, time.Now().Add(-time.Second)); err != nil {
			t.Fatal(err)
		}
		if err := s.RevokeUser(ctx, sub, now.Add(-time.Hour), time.Now().Add(-time.Second)); err != nil {
			t.Fatal(err)
		}
		if revoked, cutoff, err := s.Check(ctx, id, sub); err != nil || revoked || !cutoff.IsZero() {
			t.Fatalf("records past their end still count: %v, %v, %v", revoked, cutoff, err)
		}
	})

	t.Run("user", func(t *testing.T) {
		s := newStore(t)
		sub := run + "user"
		at := now.Add(-time.Minute)
		if err := s.RevokeUser(ctx, sub, at, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		revoked, cutoff, err := s.Check(ctx, run+"any-session", sub)
		if err != nil || revoked || cutoff.Unix() != at.Unix() {
			t.Fatalf("cutoff: %v, %v (want %v), %v", revoked, cutoff, at, err)
		}
		if _, cutoff, _ := s.Check(ctx, "", sub+"x"); !cutoff.IsZero() {
			t.Fatalf("another user has a cutoff: %v", cutoff)
		}
		// A later cutoff replaces it; an earlier one never moves it back.
		if err := s.RevokeUser(ctx, sub, now, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := s.RevokeUser(ctx, sub, at, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, cutoff, _ := s.Check(ctx, "", sub); cutoff.Unix() != now.Unix() {
			t.Fatalf("cutoff %v, want %v", cutoff, now)
		}
		// Both kinds at once.
		id := run + "both"
		s.RevokeSession(ctx, id, now.Add(time.Hour))
		if revoked, cutoff, err := s.Check(ctx, id, sub); err != nil || !revoked {
			t.Fatalf("both: %v, %v, %v", revoked, cutoff, err)
		}
	})

	t.Run("concurrent", func(t *testing.T) {
		s := newStore(t)
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for i := range 32 {
			wg.Add(2)
			go func() {
				defer wg.Done()
				if err := s.RevokeSession(ctx, fmt.Sprintf("%sc%d", run, i), now.Add(time.Hour)); err != nil {
					errs <- err
				}
			}()
			go func() {
				defer wg.Done()
				if _, _, err := s.Check(ctx, fmt.Sprintf("%sc%d", run, i), run+"cu"); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		for i := range 32 {
			if revoked, _, err := s.Check(ctx, fmt.Sprintf("%sc%d", run, i), ""); err != nil || !revoked {
				t.Fatalf("c%d: %v, %v", i, revoked, err)
			}
		}
	})
}
