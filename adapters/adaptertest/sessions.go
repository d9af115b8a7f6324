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
// accounts linked, read, updated and unlinked; a provider account linked
// by many goroutines at once ending up in one row (and, for a store with
// CreateUserWithAccount, first sign-ins of one account at once leaving one
// users row); a user's sessions
// listed (ID set, token never, the most recently seen first, expired ones
// left out) and ended one by one or all at once, also while sign-ins race
// the latter. newStore returns
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

	t.Run("concurrent first sign-ins", func(t *testing.T) {
		s := newStore(t)
		cl, ok := s.(store.UserWithAccountCreator)
		if !ok {
			t.Skip("the store has no CreateUserWithAccount (optional)")
		}
		const n = 8
		var wg sync.WaitGroup
		made := make([]store.User, n)
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				made[i], errs[i] = cl.CreateUserWithAccount(ctx,
					store.User{Name: "First", Email: fmt.Sprintf("%sfirst%d@example.com", run, i)},
					store.Account{Type: "oauth", Provider: "acme", ProviderAccountID: run + "first", AccessToken: "at"})
			}()
		}
		wg.Wait()
		won := -1
		for i, err := range errs {
			switch {
			case err == nil && won >= 0:
				t.Fatalf("CreateUserWithAccount succeeded twice for one provider account (%d and %d)", won, i)
			case err == nil:
				won = i
			case !errors.Is(err, store.ErrAccountLinked):
				t.Fatalf("CreateUserWithAccount %d: %v, want nil or ErrAccountLinked", i, err)
			}
		}
		if won < 0 {
			t.Fatal("no CreateUserWithAccount succeeded")
		}
		if made[won].ID == "" || made[won].Email != fmt.Sprintf("%sfirst%d@example.com", run, won) {
			t.Fatalf("the winner's user: %+v", made[won])
		}
		if got, err := s.UserByAccount(ctx, "acme", run+"first"); err != nil || got == nil || got.ID != made[won].ID {
			t.Fatalf("UserByAccount = %+v, %v; want %+v", got, err, made[won])
		}
		if acc, err := s.Account(ctx, "acme", run+"first"); err != nil || acc == nil || acc.UserID != made[won].ID || acc.AccessToken != "at" {
			t.Fatalf("Account = %+v, %v", acc, err)
		}
		for i := range n {
			if i == won {
				continue
			}
			if u, err := s.UserByEmail(ctx, fmt.Sprintf("%sfirst%d@example.com", run, i)); err != nil || u != nil {
				t.Fatalf("a losing CreateUserWithAccount left its users row: %+v, %v", u, err)
			}
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

	t.Run("user sessions", func(t *testing.T) {
		s := newStore(t)
		u, other := newUser(t, s, "margaret"), newUser(t, s, "barbara")
		// Seen 3, 1 and 2 minutes ago: listed 1, 2, 3.
		var made []store.Session
		for i, ago := range []time.Duration{3, 1, 2} {
			sess := store.Session{Token: token(), UserID: u.ID, Expires: now.Add(time.Hour),
				Created: now.Add(-time.Hour - time.Duration(i)*time.Minute), LastSeen: now.Add(-ago * time.Minute),
				UserAgent: fmt.Sprintf("browser/%d", i), ClientAddr: fmt.Sprintf("192.0.2.%d", i+1)}
			if i == 1 {
				sess.Provider, sess.ProviderAccountID = "acme", run+"margaret"
			}
			if err := s.CreateSession(ctx, sess); err != nil {
				t.Fatalf("CreateSession: %v", err)
			}
			made = append(made, sess)
		}
		expired := store.Session{Token: token(), UserID: u.ID, Expires: now.Add(-time.Hour), Created: now.Add(-2 * time.Hour), LastSeen: now}
		others := store.Session{Token: token(), UserID: other.ID, Expires: now.Add(time.Hour), Created: now, LastSeen: now}
		for _, sess := range []store.Session{expired, others} {
			if err := s.CreateSession(ctx, sess); err != nil {
				t.Fatalf("CreateSession: %v", err)
			}
		}

		list, err := s.UserSessions(ctx, u.ID)
		if err != nil {
			t.Fatalf("UserSessions: %v", err)
		}
		want := []store.Session{made[1], made[2], made[0]} // the most recently seen first; not the expired one
		if len(list) != len(want) {
			t.Fatalf("UserSessions returned %d sessions, want %d (the expired one left out): %+v", len(list), len(want), list)
		}
		for i, got := range list {
			w := want[i]
			if got.ID != store.SessionID(w.Token) || got.Token != "" || got.UserID != u.ID || !got.Expires.Equal(w.Expires) ||
				!got.Created.Equal(w.Created) || !got.LastSeen.Equal(w.LastSeen) || got.UserAgent != w.UserAgent ||
				got.ClientAddr != w.ClientAddr || got.Provider != w.Provider || got.ProviderAccountID != w.ProviderAccountID {
				t.Fatalf("UserSessions[%d] = %+v; want %+v with ID %s and no token", i, got, w, store.SessionID(w.Token))
			}
		}
		for _, id := range []string{other.ID, run + "nobody", "0", "not a number"} {
			list, err := s.UserSessions(ctx, id)
			if err != nil {
				t.Fatalf("UserSessions(%q): %v", id, err)
			}
			if id == other.ID && (len(list) != 1 || list[0].ID != store.SessionID(others.Token)) {
				t.Fatalf("UserSessions(other user) = %+v", list)
			}
			if id != other.ID && len(list) != 0 {
				t.Fatalf("UserSessions(%q) = %+v; want none", id, list)
			}
		}

		// The id of another user's session, a token instead of an id, and
		// nonsense end nothing.
		for _, id := range []string{store.SessionID(others.Token), others.Token, made[0].Token, "", "x"} {
			if ok, err := s.DeleteUserSession(ctx, u.ID, id); err != nil || ok {
				t.Fatalf("DeleteUserSession(%q) = %v, %v; want false", id, ok, err)
			}
		}
		if got, _, err := s.SessionAndUser(ctx, others.Token); err != nil || got == nil {
			t.Fatalf("another user's session after DeleteUserSession: %+v, %v", got, err)
		}
		if ok, err := s.DeleteUserSession(ctx, u.ID, store.SessionID(made[1].Token)); err != nil || !ok {
			t.Fatalf("DeleteUserSession = %v, %v; want true", ok, err)
		}
		if got, _, err := s.SessionAndUser(ctx, made[1].Token); err != nil || got != nil {
			t.Fatalf("SessionAndUser after DeleteUserSession = %+v, %v", got, err)
		}
		if ok, err := s.DeleteUserSession(ctx, u.ID, store.SessionID(made[1].Token)); err != nil || ok {
			t.Fatalf("DeleteUserSession again = %v, %v; want false", ok, err)
		}
		if list, err := s.UserSessions(ctx, u.ID); err != nil || len(list) != 2 {
			t.Fatalf("UserSessions after DeleteUserSession = %+v, %v; want 2", list, err)
		}

		// Sign out everywhere: the two left (the expired one deleted
		// first, so that a store that drops expired rows by itself counts
		// alike).
		if err := s.DeleteSession(ctx, expired.Token); err != nil {
			t.Fatal(err)
		}
		if n, err := s.DeleteUserSessions(ctx, u.ID); err != nil || n != 2 {
			t.Fatalf("DeleteUserSessions = %d, %v; want 2", n, err)
		}
		for _, sess := range made {
			if got, _, err := s.SessionAndUser(ctx, sess.Token); err != nil || got != nil {
				t.Fatalf("SessionAndUser after DeleteUserSessions = %+v, %v", got, err)
			}
		}
		if list, err := s.UserSessions(ctx, u.ID); err != nil || len(list) != 0 {
			t.Fatalf("UserSessions after DeleteUserSessions = %+v, %v", list, err)
		}
		if n, err := s.DeleteUserSessions(ctx, u.ID); err != nil || n != 0 {
			t.Fatalf("DeleteUserSessions again = %d, %v; want 0", n, err)
		}
		for _, id := range []string{run + "nobody", "0", "not a number"} {
			if n, err := s.DeleteUserSessions(ctx, id); err != nil || n != 0 {
				t.Fatalf("DeleteUserSessions(%q) = %d, %v; want 0", id, n, err)
			}
		}
		if got, _, err := s.SessionAndUser(ctx, others.Token); err != nil || got == nil {
			t.Fatalf("another user's session after DeleteUserSessions: %+v, %v", got, err)
		}
	})

	t.Run("concurrent sign-out everywhere", func(t *testing.T) {
		// Sign-ins racing "sign out everywhere": every session is either
		// whole (its authgo_sessions data read back) or gone, and each one
		// is counted by exactly one DeleteUserSessions or survives.
		s := newStore(t)
		u := newUser(t, s, "frances")
		const creators, perCreator, deleters = 4, 10, 3
		tokens := make([][]string, creators)
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			deleted int
			errs    []error
		)
		report := func(err error) {
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
		}
		for c := range creators {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range perCreator {
					tok := token()
					err := s.CreateSession(ctx, store.Session{Token: tok, UserID: u.ID, Expires: now.Add(time.Hour),
						Created: now, LastSeen: now, UserAgent: fmt.Sprintf("c%d/%d", c, i), ClientAddr: "192.0.2.9"})
					if err != nil {
						report(fmt.Errorf("CreateSession: %w", err))
						continue
					}
					tokens[c] = append(tokens[c], tok)
				}
			}()
		}
		for range deleters {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range perCreator {
					n, err := s.DeleteUserSessions(ctx, u.ID)
					if err != nil {
						report(fmt.Errorf("DeleteUserSessions: %w", err))
						continue
					}
					mu.Lock()
					deleted += n
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(errs) > 0 {
			t.Fatal(errors.Join(errs...))
		}
		alive := map[string]bool{}
		for c := range creators {
			for i, tok := range tokens[c] {
				got, _, err := s.SessionAndUser(ctx, tok)
				if err != nil {
					t.Fatal(err)
				}
				if got == nil {
					continue
				}
				if !got.Created.Equal(now) || got.UserAgent != fmt.Sprintf("c%d/%d", c, i) || got.ClientAddr != "192.0.2.9" {
					t.Fatalf("a session survived half-written: %+v", got)
				}
				alive[store.SessionID(tok)] = true
			}
		}
		list, err := s.UserSessions(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != len(alive) {
			t.Fatalf("UserSessions lists %d sessions; %d open", len(list), len(alive))
		}
		for _, sess := range list {
			if !alive[sess.ID] || sess.Created.IsZero() {
				t.Fatalf("UserSessions lists %+v, which does not open or lost its data", sess)
			}
		}
		if deleted+len(alive) != creators*perCreator {
			t.Fatalf("%d sessions deleted and %d alive of %d created", deleted, len(alive), creators*perCreator)
		}
		if n, err := s.DeleteUserSessions(ctx, u.ID); err != nil || n != len(alive) {
			t.Fatalf("final DeleteUserSessions = %d, %v; want %d", n, err, len(alive))
		}
	})
}

// token returns a session token as authgo mints them.
func token() string { return rand.Text() + rand.Text() }
