package adaptertest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgo/authgo/store"
)

// VerificationTokens checks a store.VerificationTokenStore by the
// semantics of Auth.js's adapters: a token is used by deleting its row and
// getting it back, expired or not, so it opens one sign-in at most; a
// wrong identifier or token finds nothing and consumes nothing; of many
// concurrent uses of one row, through one handle or several, one gets it.
//
// Each call of newStore must return a store over the same data, as two
// instances of a site have; the checks use identifiers unique to the run.
func VerificationTokens(t *testing.T, newStore func(t *testing.T) store.VerificationTokenStore) {
	ctx := context.Background()
	run := fmt.Sprintf("vt-%d-", time.Now().UnixNano())
	// Whole seconds: every store keeps at least those.
	expires := time.Now().Add(24 * time.Hour).Truncate(time.Second)

	create := func(t *testing.T, s store.VerificationTokenStore, v store.VerificationToken) {
		t.Helper()
		if err := s.CreateVerificationToken(ctx, v); err != nil {
			t.Fatalf("CreateVerificationToken(%+v): %v", v, err)
		}
	}
	same := func(got *store.VerificationToken, want store.VerificationToken) bool {
		return got != nil && got.Identifier == want.Identifier && got.Token == want.Token && got.Expires.Equal(want.Expires)
	}

	t.Run("use once", func(t *testing.T) {
		s := newStore(t)
		v := store.VerificationToken{Identifier: run + "ada@example.com", Token: run + "hash-1", Expires: expires}
		create(t, s, v)
		got, err := s.UseVerificationToken(ctx, v.Identifier, v.Token)
		if err != nil || !same(got, v) {
			t.Fatalf("UseVerificationToken = %+v, %v; want %+v", got, err, v)
		}
		if got, err := s.UseVerificationToken(ctx, v.Identifier, v.Token); err != nil || got != nil {
			t.Fatalf("second use = %+v, %v; want nil, nil", got, err)
		}
		if got, err := newStore(t).UseVerificationToken(ctx, v.Identifier, v.Token); err != nil || got != nil {
			t.Fatalf("use through another handle after the first = %+v, %v; want nil, nil", got, err)
		}
	})

	t.Run("wrong identifier or token", func(t *testing.T) {
		s := newStore(t)
		v := store.VerificationToken{Identifier: run + "grace@example.com", Token: run + "hash-2", Expires: expires}
		create(t, s, v)
		for _, q := range [][2]string{
			{run + "eve@example.com", v.Token},
			{v.Identifier, run + "hash-x"},
			{v.Identifier, ""},
			{"", v.Token},
			{v.Token, v.Identifier},
		} {
			if got, err := s.UseVerificationToken(ctx, q[0], q[1]); err != nil || got != nil {
				t.Fatalf("UseVerificationToken(%q, %q) = %+v, %v; want nil, nil", q[0], q[1], got, err)
			}
		}
		if got, err := s.UseVerificationToken(ctx, v.Identifier, v.Token); err != nil || !same(got, v) {
			t.Fatalf("the right pair after the wrong ones = %+v, %v; want %+v", got, err, v)
		}
	})

	t.Run("expired is returned and deleted", func(t *testing.T) {
		s := newStore(t)
		v := store.VerificationToken{Identifier: run + "old@example.com", Token: run + "hash-3", Expires: time.Now().Add(-time.Hour).Truncate(time.Second)}
		create(t, s, v)
		if got, err := s.UseVerificationToken(ctx, v.Identifier, v.Token); err != nil || !same(got, v) {
			t.Fatalf("expired token = %+v, %v; want it returned (the caller checks Expires)", got, err)
		}
		if got, err := s.UseVerificationToken(ctx, v.Identifier, v.Token); err != nil || got != nil {
			t.Fatalf("expired token used twice = %+v, %v", got, err)
		}
	})

	t.Run("several per identifier", func(t *testing.T) {
		s := newStore(t)
		id := run + "many@example.com"
		a := store.VerificationToken{Identifier: id, Token: run + "hash-a", Expires: expires}
		b := store.VerificationToken{Identifier: id, Token: run + "hash-b", Expires: expires.Add(time.Hour)}
		create(t, s, a)
		create(t, s, b)
		if got, err := s.UseVerificationToken(ctx, id, b.Token); err != nil || !same(got, b) {
			t.Fatalf("the second link = %+v, %v", got, err)
		}
		if got, err := s.UseVerificationToken(ctx, id, a.Token); err != nil || !same(got, a) {
			t.Fatalf("the first link after the second was used = %+v, %v", got, err)
		}
	})

	t.Run("odd values", func(t *testing.T) {
		s := newStore(t)
		v := store.VerificationToken{Identifier: run + "zoë+'\"%_\\;--@example.com", Token: run + "ünïcode ' \" % _ \\", Expires: expires}
		create(t, s, v)
		// LIKE- or glob-style patterns must not match it.
		for _, q := range [][2]string{{run + "%", v.Token}, {v.Identifier, run + "%"}, {run + "*", run + "*"}} {
			if got, err := s.UseVerificationToken(ctx, q[0], q[1]); err != nil || got != nil {
				t.Fatalf("UseVerificationToken(%q, %q) = %+v, %v; want nil, nil", q[0], q[1], got, err)
			}
		}
		if got, err := s.UseVerificationToken(ctx, v.Identifier, v.Token); err != nil || !same(got, v) {
			t.Fatalf("odd values = %+v, %v; want %+v", got, err, v)
		}
	})

	t.Run("concurrent", func(t *testing.T) {
		stores := []store.VerificationTokenStore{newStore(t), newStore(t)}
		v := store.VerificationToken{Identifier: run + "race@example.com", Token: run + "hash-race", Expires: expires}
		create(t, stores[0], v)
		var got atomic.Int32
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Go(func() {
				r, err := stores[i%2].UseVerificationToken(ctx, v.Identifier, v.Token)
				if err != nil {
					t.Error(err)
				}
				if r != nil {
					got.Add(1)
				}
			})
		}
		wg.Wait()
		if n := got.Load(); n != 1 {
			t.Fatalf("20 concurrent uses of one link: %d got the row, want 1", n)
		}
	})
}
