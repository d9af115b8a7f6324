package adaptertest

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/authgo/authgo/store"
)

// Database is a store that keeps users, accounts and sessions together,
// as a SQL database does: what [Sessions] checks.
type Database interface {
	store.SessionStore
	store.UserStore
}

// Sessions checks a store.SessionStore together with the store.UserStore
// its sessions' users live in: sessions created, read, updated, expired
// and deleted; users created, found by id, email and account, updated;
// accounts linked, read, updated and unlinked; and a provider account
// linked by many goroutines at once ending up in one row. newStore returns
// the store for one subtest; stores may share their data (the checks use
// ids, emails and tokens unique to the run).
func Sessions(t *testing.T, newStore func(t *testing.T) Database) {
	ctx := context.Background()
	now := time.Now().Truncate(time.Second)
	run := fmt.Sprintf("%d-", time.Now().UnixNano())

	newUser := func(t *testing.T, s Database, name string) store.User {
		t.Helper()
		u, err := s.CreateUser(ctx, store.User{Name: name, Email: run + name + "@example.com"})
		if err != nil {
			t.Fatalf("CreateUser: %v", err)
		}
		if u.ID == "" {
			t.Fatal("CreateUser returned no id")
		}
		return u
	}

	t.Run("users", func(t *testing.T) {
		s := newStore(t)
		u := newUser(t, s, "ada")
		got, err := s.User(ctx, u.ID)
		if err != nil || got == nil || got.ID != u.ID || got.Name != "ada" || got.Email != u.Email || got.Image != "" {
			t.Fatalf("User = %+v, %v; want %+v", got, err, u)
		}
		if got, err := s.UserByEmail(ctx, u.Email); err != nil || got == nil || got.ID != u.ID {
			t.Fatalf("UserByEmail = %+v, %v", got, err)
		}
		for _, id := range []string{run + "nobody", "0", "not a number"} {
			if got, err := s.User(ctx, id); err != nil || got != nil {
				t.Fatalf("User(%q) = %+v, %v; want nil, nil", id, got, err)
			}
		}
		if got, err := s.UserByEmail(ctx, run+"nobody@example.com"); err != nil || got != nil {
			t.Fatalf("UserByEmail(nobody) = %+v, %v", got, err)
		}
		u.Name, u.Image = "Ada Lovelace", "https://example.com/ada.png"
		u.EmailVerified = now
		if _, err := s.UpdateUser(ctx, u); err != nil {
			t.Fatalf("UpdateUser: %v", err)
		}
		got, err = s.User(ctx, u.ID)
		if err != nil || got == nil || got.Name != u.Name || got.Image != u.Image || !got.EmailVerified.Equal(now) {
			t.Fatalf("after UpdateUser: %+v, %v", got, err)
		}
	})

	t.Run("accounts", func(t *testing.T) {
		s := newStore(t)
		u := newUser(t, s, "grace")
		a := store.Account{UserID: u.ID, Type: "oidc", Provider: "acme", ProviderAccountID: run + "grace",
			AccessToken: "at1", RefreshToken: "rt1", ExpiresAt: now.Unix() + 3600, IDToken: "idt", Scope: "openid", TokenType: "bearer"}
		if got, err := s.UserByAccount(ctx, a.Provider, a.ProviderAccountID); err != nil || got != nil {
			t.Fatalf("UserByAccount before linking = %+v, %v", got, err)
		}
		if err := s.LinkAccount(ctx, a); err != nil {
			t.Fatalf("LinkAccount: %v", err)
		}
		if got, err := s.UserByAccount(ctx, a.Provider, a.ProviderAccountID); err != nil || got == nil || got.ID != u.ID {
			t.Fatalf("UserByAccount = %+v, %v", got, err)
		}
		if got, err := s.UserByAccount(ctx, "other", a.ProviderAccountID); err != nil || got != nil {
			t.Fatalf("UserByAccount(other provider) = %+v, %v", got, err)
		}
		got, err := s.Account(ctx, a.Provider, a.ProviderAccountID)
		if err != nil || got == nil || *got != a {
			t.Fatalf("Account = %+v, %v; want %+v", got, err, a)
		}
		other := newUser(t, s, "grace2")
		b := a
		b.UserID = other.ID
		if err := s.LinkAccount(ctx, b); !errors.Is(err, store.ErrAccountLinked) {
			t.Fatalf("LinkAccount of a linked account = %v, want ErrAccountLinked", err)
		}
		a.AccessToken, a.RefreshToken, a.ExpiresAt = "at2", "rt2", now.Unix()+7200
		if err := s.UpdateAccount(ctx, a); err != nil {
			t.Fatalf("UpdateAccount: %v", err)
		}
		if got, err := s.Account(ctx, a.Provider, a.ProviderAccountID); err != nil || got == nil || *got != a {
			t.Fatalf("after UpdateAccount: %+v, %v; want %+v", got, err, a)
		}
		if err := s.UnlinkAccount(ctx, a.Provider, a.ProviderAccountID); err != nil {
			t.Fatalf("UnlinkAccount: %v", err)
		}
		if got, err := s.UserByAccount(ctx, a.Provider, a.ProviderAccountID); err != nil || got != nil {
			t.Fatalf("UserByAccount after UnlinkAccount = %+v, %v", got, err)
		}
		if err := s.UnlinkAccount(ctx, a.Provider, a.ProviderAccountID); err != nil {
			t.Fatalf("UnlinkAccount again: %v", err)
		}
	})

	t.Run("concurrent link", func(t *testing.T) {
		s := newStore(t)
		const n = 8
		users := make([]store.User, n)
		for i := range users {
			users[i] = newUser(t, s, fmt.Sprintf("race%d", i))
		}
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = s.LinkAccount(ctx, store.Account{UserID: users[i].ID, Type: "oauth", Provider: "acme", ProviderAccountID: run + "race"})
			}()
		}
		wg.Wait()
		won := -1
		for i, err := range errs {
			switch {
			case err == nil && won >= 0:
				t.Fatalf("LinkAccount succeeded twice for one provider account (%d and %d)", won, i)
			case err == nil:
				won = i
			case !errors.Is(err, store.ErrAccountLinked):
				t.Fatalf("LinkAccount %d: %v, want nil or ErrAccountLinked", i, err)
			}
		}
		if won < 0 {
			t.Fatal("no LinkAccount succeeded")
		}
		if got, err := s.UserByAccount(ctx, "acme", run+"race"); err != nil || got == nil || got.ID != users[won].ID {
			t.Fatalf("UserByAccount = %+v, %v; want user %d", got, err, won)
		}
	})

	t.Run("sessions", func(t *testing.T) {
		s := newStore(t)
		u := newUser(t, s, "linus")
		sess := store.Session{Token: token(), UserID: u.ID, Expires: now.Add(time.Hour),
			Created: now.Add(-time.Minute), LastSeen: now.Add(-time.Minute), UserAgent: "test/1", ClientAddr: "192.0.2.1",
			Provider: "acme", ProviderAccountID: run + "linus"}
		if err := s.CreateSession(ctx, sess); err != nil {
			t.Fatalf("CreateSession: %v", err)
		}
		got, gu, err := s.SessionAndUser(ctx, sess.Token)
		if err != nil || got == nil || gu == nil {
			t.Fatalf("SessionAndUser = %+v, %+v, %v", got, gu, err)
		}
		if got.Token != sess.Token || got.UserID != u.ID || !got.Expires.Equal(sess.Expires) || !got.Created.Equal(sess.Created) ||
			!got.LastSeen.Equal(sess.LastSeen) || got.UserAgent != sess.UserAgent || got.ClientAddr != sess.ClientAddr ||
			got.Provider != sess.Provider || got.ProviderAccountID != sess.ProviderAccountID {
			t.Fatalf("SessionAndUser = %+v; want %+v", got, sess)
		}
		if gu.ID != u.ID || gu.Email != u.Email || gu.Name != u.Name {
			t.Fatalf("SessionAndUser user = %+v; want %+v", gu, u)
		}
		for _, tok := range []string{sess.Token + "x", sess.Token[1:], "", run} {
			if got, gu, err := s.SessionAndUser(ctx, tok); err != nil || got != nil || gu != nil {
				t.Fatalf("SessionAndUser(%q) = %+v, %+v, %v; want nothing", tok, got, gu, err)
			}
		}
		later := now.Add(2 * time.Hour)
		if err := s.UpdateSession(ctx, sess.Token, later, now); err != nil {
			t.Fatalf("UpdateSession: %v", err)
		}
		got, _, err = s.SessionAndUser(ctx, sess.Token)
		if err != nil || got == nil || !got.Expires.Equal(later) || !got.LastSeen.Equal(now) || !got.Created.Equal(sess.Created) ||
			got.Provider != sess.Provider || got.ProviderAccountID != sess.ProviderAccountID {
			t.Fatalf("after UpdateSession: %+v, %v (want expires %v, last seen %v, created and account kept)", got, err, later, now)
		}
		if err := s.DeleteSession(ctx, sess.Token); err != nil {
			t.Fatalf("DeleteSession: %v", err)
		}
		if got, _, err := s.SessionAndUser(ctx, sess.Token); err != nil || got != nil {
			t.Fatalf("SessionAndUser after DeleteSession = %+v, %v", got, err)
		}
		if err := s.DeleteSession(ctx, sess.Token); err != nil {
			t.Fatalf("DeleteSession again: %v", err)
		}
		if err := s.UpdateSession(ctx, sess.Token, later, now); err != nil {
			t.Fatalf("UpdateSession of a deleted session: %v", err)
		}
		if got, _, err := s.SessionAndUser(ctx, sess.Token); err != nil || got != nil {
			t.Fatalf("UpdateSession brought a deleted session back: %+v, %v", got, err)
		}
	})

	t.Run("expired session", func(t *testing.T) {
		s := newStore(t)
		u := newUser(t, s, "ken")
		sess := store.Session{Token: token(), UserID: u.ID, Expires: now.Add(-time.Second), Created: now.Add(-time.Hour), LastSeen: now.Add(-time.Hour)}
		if err := s.CreateSession(ctx, sess); err != nil {
			t.Fatalf("CreateSession: %v", err)
		}
		// Returned as it is: the caller sees the expiry and deletes it.
		// A store that drops sessions at their expiry itself (Redis)
		// returns nothing instead.
		got, _, err := s.SessionAndUser(ctx, sess.Token)
		if err != nil || got != nil && !got.Expires.Equal(sess.Expires) {
			t.Fatalf("SessionAndUser(expired) = %+v, %v", got, err)
		}
	})

	t.Run("auth.js token", func(t *testing.T) {
		// A UUID, as Auth.js mints, with no authgo_sessions row yet: its
		// Created is zero until an update records the first sight.
		s := newStore(t)
		u := newUser(t, s, "dennis")
		tok := "2f0b7a1e-6c1d-4f7e-9a53-" + fmt.Sprintf("%012x", time.Now().UnixNano()&0xffffffffffff)
		if err := s.CreateSession(ctx, store.Session{Token: tok, UserID: u.ID, Expires: now.Add(time.Hour), Created: now, LastSeen: now}); err != nil {
			t.Fatalf("CreateSession: %v", err)
		}
		if got, _, err := s.SessionAndUser(ctx, tok); err != nil || got == nil || got.Token != tok {
			t.Fatalf("SessionAndUser(uuid) = %+v, %v", got, err)
		}
	})

	t.Run("two users", func(t *testing.T) {
		// Sessions of two users never cross.
		s := newStore(t)
		u1, u2 := newUser(t, s, "u1"), newUser(t, s, "u2")
		t1, t2 := token(), token()
		for _, c := range []struct{ tok, id string }{{t1, u1.ID}, {t2, u2.ID}} {
			if err := s.CreateSession(ctx, store.Session{Token: c.tok, UserID: c.id, Expires: now.Add(time.Hour), Created: now, LastSeen: now}); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range []struct{ tok, id string }{{t1, u1.ID}, {t2, u2.ID}} {
			if _, gu, err := s.SessionAndUser(ctx, c.tok); err != nil || gu == nil || gu.ID != c.id {
				t.Fatalf("SessionAndUser: user %+v, %v; want %s", gu, err, c.id)
			}
		}
	})
}

// token returns a session token as authgo mints them.
func token() string { return rand.Text() + rand.Text() }
