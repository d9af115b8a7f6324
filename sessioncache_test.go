package authgo_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/adapters/sqlite"
	"github.com/authgo/authgo/provider"
	"github.com/authgo/authgo/store"
)

// countingStore is the real SQLite store, counting the reads a session
// read makes: SessionAndUser (the sessions store's round trip) and Account
// (the users store's).
type countingStore struct {
	*sqlite.Store
	sessions, accounts atomic.Int32
}

func (s *countingStore) SessionAndUser(ctx context.Context, token string) (*store.Session, *store.User, error) {
	s.sessions.Add(1)
	return s.Store.SessionAndUser(ctx, token)
}

func (s *countingStore) Account(ctx context.Context, provider, providerAccountID string) (*store.Account, error) {
	s.accounts.Add(1)
	return s.Store.Account(ctx, provider, providerAccountID)
}

// reads returns the round trips counted so far, and zeroes the counts.
func (s *countingStore) reads() (sessions, accounts int32) {
	return s.sessions.Swap(0), s.accounts.Swap(0)
}

// newCountingDBAuth is newDBAuth with its store wrapped in a
// countingStore, and the provider "gh" (tokens valid an hour, refreshed
// by refreshingIdP).
func newCountingDBAuth(t *testing.T, mod func(*authgo.Config)) (*dbFixture, *countingStore, *refreshingIdP) {
	t.Helper()
	var cs *countingStore
	idp := &refreshingIdP{stubIdP: &stubIdP{id: "gh"}}
	f := newDBAuth(t, func(c *authgo.Config) {
		cs = &countingStore{Store: c.Session.Store.(*sqlite.Store)}
		c.Session.Store, c.Users = cs, cs
		c.Providers = append(c.Providers, idp)
		if mod != nil {
			mod(c)
		}
	})
	idp.clk = f.clk
	idp.tokens = &provider.TokenSet{AccessToken: "at1", RefreshToken: "rt1", TokenType: "bearer", Expiry: f.clk.now().Add(time.Hour)}
	return f, cs, idp
}

// readAll reads c's session every way an application does: Session,
// Token, AccessToken, a guarded handler, and GET <base>/session.
func readAll(t *testing.T, f *dbFixture) {
	t.Helper()
	if s, err := f.a.Session(requestOf(f.c)); s == nil || err != nil {
		t.Fatalf("Session = %v, %v", s, err)
	}
	if tok, err := f.a.Token(requestOf(f.c)); tok == nil || err != nil {
		t.Fatalf("Token = %v, %v", tok, err)
	}
	if at, err := f.a.AccessToken(requestOf(f.c)); at == "" || err != nil {
		t.Fatalf("AccessToken = %q, %v", at, err)
	}
	rec := httptest.NewRecorder()
	f.a.RequireSession(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})).ServeHTTP(rec, requestOf(f.c))
	if rec.Code != http.StatusOK {
		t.Fatalf("guarded handler: %d", rec.Code)
	}
	if s := f.c.session(O); s == nil {
		t.Fatal("GET /auth/session: null")
	}
}

// TestStoreCacheHits: with the default StoreCache, the reads of a
// session within it cost one round trip to each store in all (the
// session row and user, the accounts row of its provider tokens), the
// next read after it one more; with StoreCache negative, every read asks.
func TestStoreCacheHits(t *testing.T) {
	f, cs, _ := newCountingDBAuth(t, nil)
	if r := oauthSignIn(t, f.c, "gh"); r.StatusCode != http.StatusFound {
		t.Fatalf("sign-in: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	cs.reads()
	for range 5 {
		readAll(t, f)
	}
	if s, a := cs.reads(); s != 1 || a != 1 {
		t.Fatalf("25 reads within StoreCache: %d session and %d account round trips, want 1 and 1", s, a)
	}
	f.clk.add(authgo.DefaultStoreCache - time.Millisecond)
	readAll(t, f)
	if s, a := cs.reads(); s != 0 || a != 0 {
		t.Fatalf("reads just within StoreCache: %d session and %d account round trips, want none", s, a)
	}
	f.clk.add(time.Millisecond)
	readAll(t, f)
	if s, a := cs.reads(); s != 1 || a != 1 {
		t.Fatalf("reads after StoreCache: %d session and %d account round trips, want 1 and 1", s, a)
	}

	off, cs, _ := newCountingDBAuth(t, func(c *authgo.Config) { c.Session.StoreCache = -1 })
	oauthSignIn(t, off.c, "gh")
	cs.reads()
	readAll(t, off)
	if s, a := cs.reads(); s != 5 || a != 5 {
		t.Fatalf("StoreCache -1: %d session and %d account round trips for 5 reads, want 5 and 5", s, a)
	}
}

// TestStoreCacheOwnWrites: what this instance writes is seen by its next
// read, however long StoreCache is: sign-out, RevokeSession, RevokeUser,
// the UpdateAge rewrite of the row, the refresh's write-back of the
// accounts row; and expiry and MaxLifetime are checked on every read, so
// a cached entry never outlives its session.
func TestStoreCacheOwnWrites(t *testing.T) {
	long := func(c *authgo.Config) { c.Session.StoreCache = 24 * time.Hour }

	t.Run("sign-out", func(t *testing.T) {
		f, _, _ := newCountingDBAuth(t, long)
		f.c.signIn(O, "alice", "wonderland")
		kept := f.c.Cookie("authjs.session-token")
		if !opens(t, f.a, f.c) {
			t.Fatal("no session after sign-in")
		}
		if r := f.c.postForm(O+"/auth/signout", url.Values{"csrfToken": {f.c.csrf(O)}}); r.StatusCode != http.StatusFound {
			t.Fatalf("sign-out: %d", r.StatusCode)
		}
		f.c.SetCookie("authjs.session-token", kept)
		if r := f.c.get(O + "/auth/session"); r.body != "null" {
			t.Fatalf("the kept cookie after sign-out, cache on: %s", r.body)
		}
		if opens(t, f.a, f.c) {
			t.Fatal("the kept cookie opens a session after sign-out")
		}
	})

	t.Run("RevokeSession", func(t *testing.T) {
		f, _, _ := newCountingDBAuth(t, long)
		f.c.signIn(O, "alice", "wonderland")
		tok, err := f.a.Token(requestOf(f.c))
		if err != nil || tok == nil {
			t.Fatal(tok, err)
		}
		if err := f.a.RevokeSession(t.Context(), tok.Subject, tok.StringClaim(authgo.ClaimSessionID)); err != nil {
			t.Fatal(err)
		}
		if opens(t, f.a, f.c) {
			t.Fatal("a revoked session opens from the cache")
		}
	})

	t.Run("RevokeUser", func(t *testing.T) {
		f, _, _ := newCountingDBAuth(t, long)
		f.c.signIn(O, "alice", "wonderland")
		other := newClient(t, f.a)
		other.signIn(O, "alice", "wonderland")
		tok, err := f.a.Token(requestOf(f.c))
		if err != nil || tok == nil || !opens(t, f.a, other) {
			t.Fatal(tok, err)
		}
		if err := f.a.RevokeUser(t.Context(), tok.Subject); err != nil {
			t.Fatal(err)
		}
		if opens(t, f.a, f.c) || opens(t, f.a, other) {
			t.Fatal("a session of a revoked user opens from the cache")
		}
	})

	t.Run("UpdateAge rewrite", func(t *testing.T) {
		f, cs, _ := newCountingDBAuth(t, func(c *authgo.Config) {
			long(c)
			c.Session.UpdateAge = time.Minute
		})
		f.c.signIn(O, "alice", "wonderland")
		f.c.session(O)
		f.clk.add(2 * time.Minute)
		cs.reads()
		f.c.session(O) // rewrites the row
		_, rowExp := f.rows(t)
		if s, _ := cs.reads(); s != 0 {
			t.Fatalf("%d session round trips for a cached read", s)
		}
		tok, err := f.a.Token(requestOf(f.c))
		if err != nil || tok == nil {
			t.Fatal(tok, err)
		}
		if tok.ExpiresAt != rowExp/1000 { // the row keeps milliseconds
			t.Fatalf("the read after the rewrite has exp %d, the row %d: the cache kept the old row", tok.ExpiresAt, rowExp)
		}
		if s, _ := cs.reads(); s != 1 {
			t.Fatalf("%d session round trips after the rewrite, want 1", s)
		}
	})

	t.Run("refresh write-back", func(t *testing.T) {
		f, cs, idp := newCountingDBAuth(t, long)
		oauthSignIn(t, f.c, "gh")
		if at, err := f.a.AccessToken(requestOf(f.c)); at != "at1" || err != nil {
			t.Fatal(at, err)
		}
		f.clk.add(2 * time.Hour)
		if at, err := f.a.AccessToken(requestOf(f.c)); at != "at2" || err != nil {
			t.Fatal(at, err)
		}
		cs.reads()
		if at, err := f.a.AccessToken(requestOf(f.c)); at != "at2" || err != nil || idp.calls.Load() != 1 {
			t.Fatalf("after the refresh: %q, %v, %d refreshes", at, err, idp.calls.Load())
		}
		if _, a := cs.reads(); a != 1 {
			t.Fatalf("%d accounts round trips after the write-back, want 1 (the entry dropped)", a)
		}
	})

	t.Run("expiry and MaxLifetime", func(t *testing.T) {
		f, _, _ := newCountingDBAuth(t, func(c *authgo.Config) {
			long(c)
			c.Session.MaxLifetime = 30 * time.Minute
		})
		f.c.signIn(O, "alice", "wonderland")
		if !opens(t, f.a, f.c) {
			t.Fatal("no session")
		}
		f.clk.add(31 * time.Minute)
		if opens(t, f.a, f.c) {
			t.Fatal("a cached session opens past MaxLifetime")
		}
		if n, _ := f.rows(t); n != 0 {
			t.Fatalf("%d rows after MaxLifetime", n)
		}

		f, _, _ = newCountingDBAuth(t, func(c *authgo.Config) {
			long(c)
			c.Session.MaxAge, c.Session.UpdateAge = 10*time.Minute, 10*time.Minute
		})
		f.c.signIn(O, "alice", "wonderland")
		if !opens(t, f.a, f.c) {
			t.Fatal("no session")
		}
		f.clk.add(11 * time.Minute)
		if opens(t, f.a, f.c) {
			t.Fatal("a cached session opens past its expiry")
		}
	})
}

// TestStoreCacheOtherInstance: a sign-out through another instance on the
// same database is seen after at most StoreCache, as documented: until
// then the instance that read the session still opens it.
func TestStoreCacheOtherInstance(t *testing.T) {
	f, cs, _ := newCountingDBAuth(t, nil)
	b := newAuth(t, func(c *authgo.Config) {
		c.Session.Strategy = authgo.StrategyDatabase
		c.Session.Store, c.Users = cs, cs
		c.Now = f.clk.now
	})
	f.c.signIn(O, "alice", "wonderland")
	kept := f.c.Cookie("authjs.session-token")
	if !opens(t, b, f.c) {
		t.Fatal("the other instance does not open the session")
	}
	if r := f.c.postForm(O+"/auth/signout", url.Values{"csrfToken": {f.c.csrf(O)}}); r.StatusCode != http.StatusFound {
		t.Fatalf("sign-out: %d", r.StatusCode)
	}
	f.c.SetCookie("authjs.session-token", kept)
	if opens(t, f.a, f.c) {
		t.Fatal("the instance that signed out still opens the session")
	}
	f.clk.add(authgo.DefaultStoreCache / 2)
	if !opens(t, b, f.c) {
		t.Fatal("the other instance read the store again within StoreCache")
	}
	f.clk.add(authgo.DefaultStoreCache / 2)
	if opens(t, b, f.c) {
		t.Fatalf("the other instance opens the session %v after the sign-out (StoreCache %v)", authgo.DefaultStoreCache, authgo.DefaultStoreCache)
	}
}

// TestStoreCacheConcurrent: reads, sign-ins, UpdateAge rewrites and
// sign-outs at once (run with -race); every signed-out cookie opens
// nothing afterwards.
func TestStoreCacheConcurrent(t *testing.T) {
	f, _, _ := newCountingDBAuth(t, func(c *authgo.Config) { c.Session.UpdateAge = 0 })
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := newClient(t, f.a)
			for range 5 {
				c.signIn(O, "alice", "wonderland")
				kept := c.Cookie("authjs.session-token")
				for range 4 {
					c.session(O)
					opens(t, f.a, c)
				}
				if r := c.postForm(O+"/auth/signout", url.Values{"csrfToken": {c.csrf(O)}}); r.StatusCode != http.StatusFound {
					t.Errorf("sign-out: %d", r.StatusCode)
					return
				}
				c.SetCookie("authjs.session-token", kept)
				if opens(t, f.a, c) {
					t.Error("a signed-out cookie opens a session")
					return
				}
			}
		}()
	}
	wg.Wait()
}
