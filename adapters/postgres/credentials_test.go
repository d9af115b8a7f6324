package postgres_test

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/authgo/authgo/adapters/adaptertest"
	"github.com/authgo/authgo/adapters/postgres"
	"github.com/authgo/authgo/store"
)

// A well-formed hash; the store treats it as an opaque string.
const testHash = "$argon2id$v=19$m=19456,t=2,p=1$YXV0aGdvLXZlY3Rvci1zYWx0$5KJn7q6DyTLUh+Ll11oVubCGPK5IcMZuTXD6Jj55U5M"

// otherPool is a second pool on pool's database, as another instance of
// a site has.
func otherPool(t *testing.T, pool *pgxpool.Pool) *pgxpool.Pool {
	t.Helper()
	p, err := pgxpool.NewWithConfig(t.Context(), pool.Config())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// TestPasswordUsers: the password users of authgo serve, as adapters/sqlite
// keeps them: created with a SERIAL users row, found by exact username,
// refused when the username or email is taken or the name is bad, the
// password replaced with its time, listed, deleted with their sessions
// and accounts.
func TestPasswordUsers(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, pool := newStore(t)
	if n, err := s.CountUsers(ctx); err != nil || n != 0 {
		t.Fatalf("CountUsers of an empty database = %d, %v", n, err)
	}
	alice, err := s.CreatePasswordUser(ctx, "alice", testHash, store.User{ID: "ignored", Name: "Alice", Email: "alice@example.com"})
	if err != nil || alice.ID != "1" || alice.Name != "Alice" || alice.Email != "alice@example.com" {
		t.Fatalf("CreatePasswordUser = %+v, %v; want id 1", alice, err)
	}
	bob, err := s.CreatePasswordUser(ctx, "bob", testHash+"b", store.User{})
	if err != nil || bob.ID != "2" || bob.Name != "" {
		t.Fatalf("CreatePasswordUser(bob) = %+v, %v", bob, err)
	}
	u, hash, err := s.PasswordUser(ctx, "alice")
	if err != nil || u != alice || hash != testHash {
		t.Fatalf("PasswordUser = %+v, %q, %v", u, hash, err)
	}
	for _, name := range []string{"Alice", "alice ", "nobody", "", "a\u200bb", strings.Repeat("x", 65)} {
		if _, _, err := s.PasswordUser(ctx, name); !errors.Is(err, postgres.ErrNotFound) {
			t.Errorf("PasswordUser(%q) = %v, want ErrNotFound", name, err)
		}
	}
	// The users row is one Auth.js reads.
	if got, err := s.User(ctx, alice.ID); err != nil || got == nil || got.Email != "alice@example.com" {
		t.Fatalf("User(%s) = %+v, %v", alice.ID, got, err)
	}

	for _, tt := range []struct {
		name, username string
		u              store.User
		want           error
		why            string
	}{
		{"username taken", "alice", store.User{}, postgres.ErrUserExists, "username taken"},
		{"email taken", "alice2", store.User{Email: "alice@example.com"}, postgres.ErrUserExists, "email taken"},
		{"blank in name", "bad name", store.User{}, postgres.ErrInvalidUsername, "U+0020"},
		{"empty name", "", store.User{}, postgres.ErrInvalidUsername, "empty"},
		{"invisible", "eve\u202e", store.User{}, postgres.ErrInvalidUsername, "U+202E"},
	} {
		if _, err := s.CreatePasswordUser(ctx, tt.username, testHash, tt.u); !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.why) {
			t.Errorf("%s: CreatePasswordUser = %v, want %v (%s)", tt.name, err, tt.want, tt.why)
		}
	}
	if _, err := s.CreatePasswordUser(ctx, "carol", "", store.User{}); err == nil {
		t.Error("an empty hash was accepted")
	}
	if n, err := s.CountUsers(ctx); err != nil || n != 2 {
		t.Fatalf("CountUsers after refusals = %d, %v; want 2 (no half-written rows)", n, err)
	}

	// SetPassword: the new hash, a later time.
	before, err := s.ListPasswordUsers(ctx)
	if err != nil || len(before) != 2 || before[0].Username != "alice" || before[1].Username != "bob" || before[0].User != alice {
		t.Fatalf("ListPasswordUsers = %+v, %v", before, err)
	}
	if before[0].Created.IsZero() || !before[0].PasswordSet.Equal(before[0].Created) {
		t.Fatalf("a new user's times: created %v, password set %v", before[0].Created, before[0].PasswordSet)
	}
	if err := s.SetPassword(ctx, "alice", "new-hash"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPassword(ctx, "nobody", "h"); !errors.Is(err, postgres.ErrNotFound) {
		t.Fatalf("SetPassword(nobody) = %v", err)
	}
	if _, hash, _ := s.PasswordUser(ctx, "alice"); hash != "new-hash" {
		t.Fatalf("hash after SetPassword = %q", hash)
	}
	after, _ := s.ListPasswordUsers(ctx)
	if !after[0].PasswordSet.After(before[0].PasswordSet) || !after[0].Created.Equal(before[0].Created) || !after[1].PasswordSet.Equal(before[1].PasswordSet) {
		t.Fatalf("times after SetPassword: %+v, before %+v", after, before)
	}

	// DeletePasswordUser: the user's rows everywhere, nobody else's.
	now := time.Now()
	for i, uid := range []string{alice.ID, bob.ID} {
		if err := s.CreateSession(ctx, store.Session{Token: "tok-" + uid, UserID: uid, Expires: now.Add(time.Hour), Created: now, LastSeen: now}); err != nil {
			t.Fatal(err)
		}
		if err := s.LinkAccount(ctx, store.Account{UserID: uid, Type: "credentials", Provider: "credentials", ProviderAccountID: uid}); err != nil {
			t.Fatal(err, i)
		}
	}
	got, err := s.DeletePasswordUser(ctx, "alice")
	if err != nil || got.ID != alice.ID || got.Email != "alice@example.com" {
		t.Fatalf("DeletePasswordUser = %+v, %v", got, err)
	}
	if _, err := s.DeletePasswordUser(ctx, "alice"); !errors.Is(err, postgres.ErrNotFound) {
		t.Fatalf("second DeletePasswordUser = %v", err)
	}
	var left [4]int
	if err := pool.QueryRow(ctx, `SELECT
			(SELECT count(*) FROM users WHERE id = 1), (SELECT count(*) FROM sessions WHERE "userId" = 1),
			(SELECT count(*) FROM accounts WHERE "userId" = 1), (SELECT count(*) FROM authgo_sessions WHERE session_token = 'tok-1')`).Scan(&left[0], &left[1], &left[2], &left[3]); err != nil || left != [4]int{} {
		t.Fatalf("alice's rows left (users, sessions, accounts, authgo_sessions): %v, %v", left, err)
	}
	if sess, _, err := s.SessionAndUser(ctx, "tok-2"); err != nil || sess == nil {
		t.Fatalf("bob's session after alice's deletion: %+v, %v", sess, err)
	}
	// The username and email are free again.
	if _, err := s.CreatePasswordUser(ctx, "alice", testHash, store.User{Email: "alice@example.com"}); err != nil {
		t.Fatalf("alice again: %v", err)
	}

	// Auth.js's deleteUser (delete from users) takes the password along.
	if _, err := pool.Exec(ctx, `delete from users where id = $1`, 2); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.PasswordUser(ctx, "bob"); !errors.Is(err, postgres.ErrNotFound) {
		t.Fatalf("bob after Auth.js deleted his users row: %v", err)
	}
}

// TestCreatePasswordUserConcurrently: racing creators of one username, or
// of one email, from two pools: one wins, the others get ErrUserExists,
// and no users row is left without its password.
func TestCreatePasswordUserConcurrently(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, pool := newStore(t)
	pool2 := otherPool(t, pool)
	s2, err := postgres.New(pool2)
	if err != nil {
		t.Fatal(err)
	}
	stores := []*postgres.Store{s, s2}
	// Connections made before the race, so that it is not decided by
	// who dialled first.
	for _, p := range []*pgxpool.Pool{pool, pool2} {
		var conns []*pgxpool.Conn
		for range 4 {
			c, err := p.Acquire(ctx)
			if err != nil {
				t.Fatal(err)
			}
			conns = append(conns, c)
		}
		for _, c := range conns {
			c.Release()
		}
	}
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, 2*n)
	start := make(chan struct{}) // all at once
	for i := range n {
		wg.Go(func() {
			<-start
			_, errs[i] = stores[i%2].CreatePasswordUser(ctx, "same", testHash, store.User{})
		})
		wg.Go(func() {
			<-start
			_, errs[n+i] = stores[i%2].CreatePasswordUser(ctx, "user"+string(rune('a'+i)), testHash, store.User{Email: "same@example.com"})
		})
	}
	close(start)
	wg.Wait()
	for _, group := range [][]error{errs[:n], errs[n:]} {
		ok := slices.IndexFunc(group, func(err error) bool { return err == nil })
		rest := slices.DeleteFunc(slices.Clone(group), func(err error) bool { return errors.Is(err, postgres.ErrUserExists) })
		if ok < 0 || len(rest) != 1 {
			t.Fatalf("racing creators: %v; want one success, the others ErrUserExists", group)
		}
	}
	var users, creds int
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM authgo_credentials)`).Scan(&users, &creds); err != nil || users != 2 || creds != 2 {
		t.Fatalf("%d users rows, %d passwords, %v; want 2 and 2", users, creds, err)
	}
}

func TestUseOnceConformance(t *testing.T) {
	t.Parallel()
	_, pool := newStore(t)
	adaptertest.UseOnce(t, func(t *testing.T) adaptertest.OnceStore {
		s, err := postgres.New(otherPool(t, pool))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestVerificationTokensConformance(t *testing.T) {
	t.Parallel()
	_, pool := newStore(t)
	adaptertest.VerificationTokens(t, func(t *testing.T) store.VerificationTokenStore {
		s, err := postgres.New(otherPool(t, pool))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// TestVerificationTokensAuthjsRows: a token pg-adapter's
// createVerificationToken wrote is used by the Store, and the reverse.
func TestVerificationTokensAuthjsRows(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, pool := newStore(t)
	expires := time.Now().Add(time.Hour).Truncate(time.Millisecond)
	if _, err := pool.Exec(ctx, `INSERT INTO verification_token ( identifier, expires, token ) VALUES ($1, $2, $3)`, "ada@example.com", expires, "h1"); err != nil {
		t.Fatal(err)
	}
	if v, err := s.UseVerificationToken(ctx, "ada@example.com", "h1"); err != nil || v == nil || !v.Expires.Equal(expires) {
		t.Fatalf("Auth.js's token = %+v, %v", v, err)
	}
	if err := s.CreateVerificationToken(ctx, store.VerificationToken{Identifier: "ada@example.com", Token: "h2", Expires: expires}); err != nil {
		t.Fatal(err)
	}
	var got time.Time
	if err := pool.QueryRow(ctx, `delete from verification_token where identifier = $1 and token = $2 RETURNING expires`, "ada@example.com", "h2").Scan(&got); err != nil || !got.Equal(expires) {
		t.Fatalf("pg-adapter's useVerificationToken of authgo's token: %v, %v", got, err)
	}
}

func TestAuthenticatorsConformance(t *testing.T) {
	t.Parallel()
	_, pool := newStore(t)
	adaptertest.Authenticators(t, func(t *testing.T) adaptertest.AuthenticatorDatabase {
		s, err := postgres.New(otherPool(t, pool))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
