package sqlite_test

import (
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgo/authgo/adapters/sqlite"
	"github.com/authgo/authgo/store"
)

// TestConcurrentWriters: many goroutines write through one Store while
// others read, and a second handle on the file (another process) writes
// too. No call fails (no SQLITE_BUSY, no deadlock), the races that must
// have one winner have exactly one, and the final state counts every
// write. It runs on the pool sqlite.DSN makes and on a pool of one
// connection, where a write path that held a connection while waiting for
// another would hang.
func TestConcurrentWriters(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		maxConns int
	}{{"pool", 0}, {"one-conn", 1}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			path := filepath.Join(t.TempDir(), "authgo.db")
			db := openDB(t, sqlite.DSN(path))
			db.SetMaxOpenConns(tc.maxConns)
			s, err := sqlite.New(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			other, err := sqlite.New(ctx, openDB(t, sqlite.DSN(path)))
			if err != nil {
				t.Fatal(err)
			}

			owner, err := s.CreateUser(ctx, store.User{Email: "owner@example.com"})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.CreateVerificationToken(ctx, store.VerificationToken{
				Identifier: "race@example.com", Token: "t", Expires: time.Now().Add(time.Hour)}); err != nil {
				t.Fatal(err)
			}
			if err := s.CreateAuthenticator(ctx, store.Authenticator{CredentialID: "cred", UserID: owner.ID,
				ProviderAccountID: "cred", CredentialPublicKey: "key", CredentialDeviceType: "singleDevice"}); err != nil {
				t.Fatal(err)
			}

			const writers, rounds = 24, 4
			var (
				wg                         sync.WaitGroup
				tokens, onces, linked, ctr atomic.Int64
				stop                       = make(chan struct{})
			)
			for i := range writers {
				st := s
				if i%4 == 3 {
					st = other // a quarter write from the other handle
				}
				wg.Go(func() {
					u, err := st.CreateUserWithAccount(ctx, store.User{Email: fmt.Sprintf("w%d@example.com", i)},
						store.Account{Type: "oidc", Provider: "p", ProviderAccountID: fmt.Sprint("acct", i)})
					if err != nil {
						t.Errorf("writer %d: create user: %v", i, err)
						return
					}
					// One provider account, claimed by everyone: one wins.
					_, err = st.CreateUserWithAccount(ctx, store.User{},
						store.Account{Type: "oidc", Provider: "p", ProviderAccountID: "shared"})
					switch {
					case err == nil:
						linked.Add(1)
					case !errors.Is(err, store.ErrAccountLinked):
						t.Errorf("writer %d: shared account: %v", i, err)
					}
					token := fmt.Sprint("session-", i)
					if err := st.CreateSession(ctx, store.Session{Token: token, UserID: u.ID,
						Expires: time.Now().Add(time.Hour), Created: time.Now(), LastSeen: time.Now()}); err != nil {
						t.Errorf("writer %d: create session: %v", i, err)
						return
					}
					for r := range rounds {
						if err := st.UpdateSession(ctx, token, time.UnixMilli(int64(1e12+r)), time.Now()); err != nil {
							t.Errorf("writer %d: update session: %v", i, err)
						}
						if _, _, err := st.Counters().Add(ctx, "signin:user:alice", time.Hour); err != nil {
							t.Errorf("writer %d: count: %v", i, err)
						}
						ok, err := st.UpdateAuthenticatorCounter(ctx, "cred", int64(1+i*rounds+r))
						if err != nil {
							t.Errorf("writer %d: authenticator counter: %v", i, err)
						} else if ok {
							ctr.Add(1)
						}
					}
					if v, err := st.UseVerificationToken(ctx, "race@example.com", "t"); err != nil {
						t.Errorf("writer %d: use token: %v", i, err)
					} else if v != nil {
						tokens.Add(1)
					}
					if first, err := st.UseOnce(ctx, "state", time.Now().Add(time.Hour)); err != nil {
						t.Errorf("writer %d: use once: %v", i, err)
					} else if first {
						onces.Add(1)
					}
				})
			}
			var readers sync.WaitGroup
			for range 4 {
				readers.Go(func() {
					for {
						select {
						case <-stop:
							return
						default:
						}
						if _, _, err := s.SessionAndUser(ctx, "session-0"); err != nil {
							t.Errorf("read session: %v", err)
							return
						}
						if _, err := s.UserByEmail(ctx, "owner@example.com"); err != nil {
							t.Errorf("read user: %v", err)
							return
						}
					}
				})
			}
			wg.Wait()
			close(stop)
			readers.Wait()
			if t.Failed() {
				return
			}

			if tokens.Load() != 1 || onces.Load() != 1 || linked.Load() != 1 {
				t.Errorf("winners: token %d, use-once %d, shared account %d; want 1 each",
					tokens.Load(), onces.Load(), linked.Load())
			}
			// Each raise of the authenticator counter that succeeded was
			// above every earlier one, so at least one did and the last
			// stored value is the highest offered.
			a, err := s.Authenticator(ctx, "cred")
			if err != nil || a == nil || ctr.Load() == 0 || a.Counter != writers*rounds {
				t.Errorf("authenticator counter = %+v, %v after %d raises; want %d", a, err, ctr.Load(), writers*rounds)
			}
			if n, _, err := s.Counters().Count(ctx, "signin:user:alice"); err != nil || n != writers*rounds {
				t.Errorf("counter = %d, %v; want %d", n, err, writers*rounds)
			}
			var users, accounts, sessions, half int
			if err := db.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM users), (SELECT COUNT(*) FROM accounts),
				(SELECT COUNT(*) FROM sessions WHERE expires = ?),
				(SELECT COUNT(*) FROM sessions s WHERE NOT EXISTS (SELECT 1 FROM authgo_sessions a WHERE a.token_hash = s."sessionToken"))`,
				int64(1e12+rounds-1)).Scan(&users, &accounts, &sessions, &half); err != nil {
				t.Fatal(err)
			}
			// owner + one per writer + the shared account's user.
			if users != writers+2 || accounts != writers+1 || sessions != writers || half != 0 {
				t.Errorf("users %d, accounts %d, sessions at their last expiry %d, half-written %d; want %d, %d, %d, 0",
					users, accounts, sessions, half, writers+2, writers+1, writers)
			}
		})
	}
}

// TestWritesNeverWaitInSQLite: within one process, a Store's writes
// queue in Go and never meet in SQLite. The file is opened with
// busy_timeout(0), so a write that found the file locked by another
// connection of the pool would fail at once with SQLITE_BUSY instead of
// sleeping in the busy handler; 32 goroutines call every kind of write
// (single statements, read-then-write transactions, DELETE … RETURNING)
// while reading, on a pool that opens and closes connections as the load
// comes and goes, and none fails. Without the Store's write lock almost
// every one of them did.
func TestWritesNeverWaitInSQLite(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dsn := sqlite.DSN(filepath.Join(t.TempDir(), "authgo.db"))
	if !strings.Contains(dsn, "busy_timeout(5000)") {
		t.Fatalf("DSN %s: no busy_timeout(5000) to replace", dsn)
	}
	db := openDB(t, strings.Replace(dsn, "busy_timeout(5000)", "busy_timeout(0)", 1))
	s, err := sqlite.New(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	const workers = 32
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() {
			fail := func(what string, err error) { t.Errorf("worker %d: %s: %v", i, what, err) }
			u, err := s.CreatePasswordUser(ctx, fmt.Sprint("user", i), testHash, sqlite.User{Email: fmt.Sprintf("p%d@example.com", i)})
			if err != nil {
				fail("create password user", err)
				return
			}
			if _, err := s.CreateUserWithAccount(ctx, store.User{Email: fmt.Sprintf("o%d@example.com", i)},
				store.Account{Type: "oidc", Provider: "p", ProviderAccountID: fmt.Sprint(i)}); err != nil {
				fail("create user with account", err)
			}
			if err := s.SetPassword(ctx, fmt.Sprint("user", i), testHash); err != nil {
				fail("set password", err)
			}
			if err := s.CreateAuthenticator(ctx, store.Authenticator{CredentialID: fmt.Sprint("cred", i), UserID: u.ID,
				ProviderAccountID: "x", CredentialPublicKey: "key", CredentialDeviceType: "singleDevice"}); err != nil {
				fail("create authenticator", err)
			}
			tok := fmt.Sprint("session-", i)
			if err := s.CreateSession(ctx, store.Session{Token: tok, UserID: u.ID, Expires: time.Now().Add(time.Hour)}); err != nil {
				fail("create session", err)
			}
			for r := range 5 {
				if err := s.UpdateSession(ctx, tok, time.Now().Add(time.Hour), time.Now()); err != nil {
					fail("update session", err)
				}
				if _, _, err := s.SessionAndUser(ctx, fmt.Sprint("session-", (i+r)%workers)); err != nil {
					fail("read session", err)
				}
				if _, _, err := s.Counters().Add(ctx, fmt.Sprint("k", r), time.Hour); err != nil {
					fail("count", err)
				}
				if _, err := s.UpdateAuthenticatorCounter(ctx, fmt.Sprint("cred", i), int64(r+1)); err != nil {
					fail("authenticator counter", err)
				}
				if err := s.CreateVerificationToken(ctx, store.VerificationToken{Identifier: u.Email,
					Token: fmt.Sprint(r), Expires: time.Now().Add(time.Hour)}); err != nil {
					fail("create token", err)
				} else if v, err := s.UseVerificationToken(ctx, u.Email, fmt.Sprint(r)); err != nil || v == nil {
					fail("use token", err)
				}
				if _, err := s.UseOnce(ctx, fmt.Sprint("state", i, r), time.Now().Add(time.Hour)); err != nil {
					fail("use once", err)
				}
				if err := s.RevokeSession(ctx, fmt.Sprint("gone", i, r), time.Now().Add(time.Hour)); err != nil {
					fail("revoke", err)
				}
			}
			if _, err := s.DeleteUserSessions(ctx, u.ID); err != nil {
				fail("delete sessions", err)
			}
			if _, err := s.DeletePasswordUser(ctx, fmt.Sprint("user", i)); err != nil {
				fail("delete user", err)
			}
		})
	}
	wg.Wait()
	if n, _, err := s.Counters().Count(ctx, "k0"); err != nil || n != workers {
		t.Errorf("counter k0 = %d, %v; want %d", n, err, workers)
	}
	if n, err := s.CountUsers(ctx); err != nil || n != workers {
		t.Errorf("%d users, %v; want the %d with accounts", n, err, workers)
	}
}

// BenchmarkSessionsConcurrent: database sessions read and refreshed by
// many goroutines at once, as a busy authgo serve does: of every four
// operations, one is an UpdateSession (a write transaction) and three are
// SessionAndUser reads, over 200 sessions. It reports the p50 and p99 of
// each kind. "pool" is the file as sqlite.DSN opens it, with database/sql's
// default of two idle connections; "pool-idle8" keeps eight idle, as authgo
// serve does; "one-conn" is the pool limited to one connection;
// "sync-normal" the default pool with PRAGMA synchronous=NORMAL (no fsync
// at commit; see the package documentation).
func BenchmarkSessionsConcurrent(b *testing.B) {
	for _, bc := range []struct {
		name, extra    string
		maxConns, idle int
	}{
		{"pool", "", 0, 0},
		{"pool-idle8", "", 0, 8},
		{"one-conn", "", 1, 0},
		{"sync-normal", "&_pragma=synchronous(NORMAL)", 0, 0},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ctx := b.Context()
			db, err := sql.Open("sqlite", sqlite.DSN(filepath.Join(b.TempDir(), "bench.db"))+bc.extra)
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			db.SetMaxOpenConns(bc.maxConns)
			if bc.idle > 0 {
				db.SetMaxIdleConns(bc.idle)
			}
			s, err := sqlite.New(ctx, db)
			if err != nil {
				b.Fatal(err)
			}
			const n = 200
			for i := range n {
				u, err := s.CreateUser(ctx, store.User{Email: fmt.Sprintf("u%d@example.com", i)})
				if err != nil {
					b.Fatal(err)
				}
				if err := s.CreateSession(ctx, store.Session{Token: fmt.Sprint("tok", i), UserID: u.ID,
					Expires: time.Now().Add(time.Hour), Created: time.Now(), LastSeen: time.Now()}); err != nil {
					b.Fatal(err)
				}
			}
			var (
				mu           sync.Mutex
				reads, write []time.Duration
				next         atomic.Int64
			)
			b.SetParallelism(16) // 16 goroutines per CPU
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				var r, w []time.Duration
				for pb.Next() {
					i := next.Add(1)
					tok := fmt.Sprint("tok", i%n)
					t0 := time.Now()
					if i%4 == 0 {
						if err := s.UpdateSession(ctx, tok, time.Now().Add(time.Hour), time.Now()); err != nil {
							b.Error(err)
							return
						}
						w = append(w, time.Since(t0))
					} else {
						if sess, _, err := s.SessionAndUser(ctx, tok); err != nil || sess == nil {
							b.Error(sess, err)
							return
						}
						r = append(r, time.Since(t0))
					}
				}
				mu.Lock()
				reads, write = append(reads, r...), append(write, w...)
				mu.Unlock()
			})
			b.StopTimer()
			for _, m := range []struct {
				name string
				d    []time.Duration
			}{{"read", reads}, {"write", write}} {
				if len(m.d) == 0 {
					continue
				}
				slices.Sort(m.d)
				q := func(p float64) float64 { return float64(m.d[int(p*float64(len(m.d)-1))].Microseconds()) / 1000 }
				b.ReportMetric(q(0.50), m.name+"-p50-ms")
				b.ReportMetric(q(0.99), m.name+"-p99-ms")
			}
		})
	}
}
