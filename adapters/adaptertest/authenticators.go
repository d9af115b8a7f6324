package adaptertest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgo/authgo/store"
)

// AuthenticatorDatabase is a store of users and of their WebAuthn
// credentials: what the passkey and webauthn providers need.
type AuthenticatorDatabase interface {
	store.UserStore
	store.AuthenticatorStore
}

// Authenticators checks a store.AuthenticatorStore: a credential comes
// back as it was stored (standard base64 ids with padding, transports
// comma-joined); a credential id is stored once; a user's credentials are
// listed; and the counter only goes up, checked in the same statement, so
// that of many concurrent sign-ins reporting one counter value (a cloned
// credential racing the original) exactly one is accepted.
//
// Each call of newStore must return a store over the same data; the
// checks use ids unique to the run.
func Authenticators(t *testing.T, newStore func(t *testing.T) AuthenticatorDatabase) {
	ctx := context.Background()
	run := time.Now().UnixNano()
	n := 0
	// credID returns a credential id unique to the run, as Auth.js writes
	// it: standard base64 with padding, with '+' and '/'.
	credID := func() string {
		n++
		return fmt.Sprintf("+/%d-%d/+A==", run, n)
	}
	newUser := func(t *testing.T, s AuthenticatorDatabase) string {
		t.Helper()
		n++
		u, err := s.CreateUser(ctx, store.User{Email: fmt.Sprintf("pk-%d-%d@example.com", run, n), Name: "Ada"})
		if err != nil {
			t.Fatalf("CreateUser: %v", err)
		}
		return u.ID
	}
	newAuth := func(uid string, counter int64) store.Authenticator {
		id := credID()
		return store.Authenticator{
			CredentialID: id, UserID: uid, ProviderAccountID: id,
			CredentialPublicKey:  "pQECAyYgASFYIJ8+/key==",
			Counter:              counter,
			CredentialDeviceType: "multiDevice", CredentialBackedUp: true,
			Transports: "internal,hybrid",
		}
	}
	create := func(t *testing.T, s AuthenticatorDatabase, a store.Authenticator) {
		t.Helper()
		if err := s.CreateAuthenticator(ctx, a); err != nil {
			t.Fatalf("CreateAuthenticator(%+v): %v", a, err)
		}
	}

	t.Run("round trip", func(t *testing.T) {
		s := newStore(t)
		a := newAuth(newUser(t, s), 7)
		create(t, s, a)
		got, err := newStore(t).Authenticator(ctx, a.CredentialID)
		if err != nil || got == nil || *got != a {
			t.Fatalf("Authenticator = %+v, %v; want %+v", got, err, a)
		}
		b := newAuth(a.UserID, 0)
		b.CredentialDeviceType, b.CredentialBackedUp, b.Transports = "singleDevice", false, ""
		create(t, s, b)
		if got, err := s.Authenticator(ctx, b.CredentialID); err != nil || got == nil || *got != b {
			t.Fatalf("Authenticator = %+v, %v; want %+v", got, err, b)
		}
	})

	t.Run("unknown", func(t *testing.T) {
		s := newStore(t)
		if got, err := s.Authenticator(ctx, credID()); err != nil || got != nil {
			t.Fatalf("Authenticator(unknown) = %+v, %v; want nil, nil", got, err)
		}
		// The same id in base64url is another id.
		a := newAuth(newUser(t, s), 1)
		a.CredentialID = fmt.Sprintf("+/%d-x==", run)
		create(t, s, a)
		if got, err := s.Authenticator(ctx, fmt.Sprintf("-_%d-x", run)); err != nil || got != nil {
			t.Fatalf("Authenticator(base64url of a stored id) = %+v, %v; want nil, nil", got, err)
		}
	})

	t.Run("empty ids", func(t *testing.T) {
		s := newStore(t)
		uid := newUser(t, s)
		for _, bad := range []store.Authenticator{
			{CredentialID: "", UserID: uid, ProviderAccountID: "", CredentialPublicKey: "k"},
			{CredentialID: credID(), UserID: "", CredentialPublicKey: "k"},
			{CredentialID: credID(), UserID: uid, CredentialPublicKey: ""},
		} {
			if err := s.CreateAuthenticator(ctx, bad); err == nil || errors.Is(err, store.ErrAuthenticatorExists) {
				t.Fatalf("CreateAuthenticator(%+v) = %v; want a refusal that is not ErrAuthenticatorExists", bad, err)
			}
		}
		if got, err := s.Authenticator(ctx, ""); err != nil || got != nil {
			t.Fatalf("Authenticator(\"\") = %+v, %v; want nil, nil", got, err)
		}
		if got, err := s.UserAuthenticators(ctx, ""); err != nil || len(got) != 0 {
			t.Fatalf("UserAuthenticators(\"\") = %+v, %v; want none", got, err)
		}
	})

	t.Run("stored once", func(t *testing.T) {
		s := newStore(t)
		uid, other := newUser(t, s), newUser(t, s)
		a := newAuth(uid, 1)
		create(t, s, a)
		for _, dup := range []string{uid, other} {
			b := a
			b.UserID, b.Counter = dup, 99
			if err := newStore(t).CreateAuthenticator(ctx, b); !errors.Is(err, store.ErrAuthenticatorExists) {
				t.Fatalf("CreateAuthenticator(same id, user %s) = %v; want ErrAuthenticatorExists", dup, err)
			}
		}
		if got, _ := s.Authenticator(ctx, a.CredentialID); got == nil || *got != a {
			t.Fatalf("after the refused duplicates: %+v; want %+v", got, a)
		}
	})

	t.Run("list by user", func(t *testing.T) {
		s := newStore(t)
		uid, other := newUser(t, s), newUser(t, s)
		a, b := newAuth(uid, 1), newAuth(uid, 2)
		create(t, s, a)
		create(t, s, b)
		got, err := newStore(t).UserAuthenticators(ctx, uid)
		if err != nil || len(got) != 2 {
			t.Fatalf("UserAuthenticators = %+v, %v; want 2", got, err)
		}
		seen := map[string]bool{}
		for _, g := range got {
			if g != a && g != b {
				t.Fatalf("UserAuthenticators returned %+v; want %+v and %+v", g, a, b)
			}
			seen[g.CredentialID] = true
		}
		if len(seen) != 2 {
			t.Fatalf("UserAuthenticators = %+v: one twice", got)
		}
		if got, err := s.UserAuthenticators(ctx, other); err != nil || len(got) != 0 {
			t.Fatalf("UserAuthenticators(user without) = %+v, %v; want none", got, err)
		}
	})

	t.Run("counter goes up only", func(t *testing.T) {
		s := newStore(t)
		a := newAuth(newUser(t, s), 5)
		create(t, s, a)
		for _, c := range []struct {
			counter int64
			ok      bool
			stored  int64
		}{{5, false, 5}, {4, false, 5}, {0, false, 5}, {6, true, 6}, {1<<32 - 1, true, 1<<32 - 1}, {1<<32 - 1, false, 1<<32 - 1}} {
			ok, err := s.UpdateAuthenticatorCounter(ctx, a.CredentialID, c.counter)
			if err != nil || ok != c.ok {
				t.Fatalf("UpdateAuthenticatorCounter(%d) = %v, %v; want %v", c.counter, ok, err, c.ok)
			}
			if got, _ := newStore(t).Authenticator(ctx, a.CredentialID); got == nil || got.Counter != c.stored {
				t.Fatalf("after UpdateAuthenticatorCounter(%d): %+v; want counter %d", c.counter, got, c.stored)
			}
		}
		// An authenticator that keeps no counter reports 0 every time.
		z := newAuth(a.UserID, 0)
		create(t, s, z)
		for range 2 {
			if ok, err := s.UpdateAuthenticatorCounter(ctx, z.CredentialID, 0); err != nil || !ok {
				t.Fatalf("UpdateAuthenticatorCounter(0) on a 0 counter = %v, %v; want true", ok, err)
			}
		}
		if ok, err := s.UpdateAuthenticatorCounter(ctx, credID(), 9); err != nil || ok {
			t.Fatalf("UpdateAuthenticatorCounter(unknown) = %v, %v; want false, nil", ok, err)
		}
	})

	t.Run("counter race", func(t *testing.T) {
		s := newStore(t)
		a := newAuth(newUser(t, s), 10)
		create(t, s, a)
		stores := []AuthenticatorDatabase{s, newStore(t)}
		var won atomic.Int32
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for i := range 16 {
			wg.Go(func() {
				ok, err := stores[i%2].UpdateAuthenticatorCounter(ctx, a.CredentialID, 11)
				if err != nil {
					errs <- err
				}
				if ok {
					won.Add(1)
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("UpdateAuthenticatorCounter: %v", err)
		}
		if won.Load() != 1 {
			t.Fatalf("%d of 16 concurrent sign-ins with counter 11 were accepted; want 1", won.Load())
		}
	})
}
