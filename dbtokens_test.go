package authgo_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/provider"
)

// refreshingIdP is the fixture provider with a refresh: each refresh
// returns the next numbered tokens, valid an hour on clk; terminal makes
// it refuse the refresh token for good.
type refreshingIdP struct {
	*stubIdP
	clk      *clock
	calls    atomic.Int32
	terminal atomic.Bool
}

func (p *refreshingIdP) Refresh(ctx context.Context, rt string) (*provider.TokenSet, error) {
	n := p.calls.Add(1)
	time.Sleep(20 * time.Millisecond) // the concurrent requests pile up behind it
	if p.terminal.Load() {
		return nil, &provider.RefreshError{Code: "invalid_grant", Terminal: true, Err: errors.New("refused")}
	}
	return &provider.TokenSet{AccessToken: fmt.Sprintf("at%d", n+1), RefreshToken: fmt.Sprintf("rt%d", n+1),
		TokenType: "bearer", Expiry: p.clk.now().Add(time.Hour)}, nil
}

// requestOf is a request to the application carrying c's session cookie.
func requestOf(c *client) *http.Request {
	r := httptest.NewRequest(http.MethodGet, O+"/api", nil)
	if v := c.Cookie("authjs.session-token"); v != "" {
		r.AddCookie(&http.Cookie{Name: "authjs.session-token", Value: v})
	}
	return r
}

// TestDatabaseAccessToken: under the database strategy the access token
// comes from the accounts row of the provider the session signed in with;
// a refresh happens once for many concurrent requests and writes the new
// tokens back to that row; a terminal failure empties it, and the session
// shows RefreshTokenError.
func TestDatabaseAccessToken(t *testing.T) {
	idp := &refreshingIdP{stubIdP: &stubIdP{id: "gh"}}
	f := newDBAuth(t, func(c *authgo.Config) { c.Providers = append(c.Providers, idp) })
	idp.clk = f.clk
	idp.tokens = &provider.TokenSet{AccessToken: "at1", RefreshToken: "rt1", TokenType: "bearer", Expiry: f.clk.now().Add(time.Hour)}
	if r := oauthSignIn(t, f.c, "gh"); r.StatusCode != http.StatusFound || r.Header.Get("Location") != O+"/after" {
		t.Fatalf("sign-in: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	if at, err := f.a.AccessToken(requestOf(f.c)); at != "at1" || err != nil {
		t.Fatalf("AccessToken = %q, %v", at, err)
	}
	// Client sends it.
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, r.Header.Get("Authorization"))
	}))
	defer api.Close()
	res, err := f.a.Client(requestOf(f.c), nil).Get(api.URL)
	if err != nil {
		t.Fatal(err)
	}
	var body [64]byte
	n, _ := res.Body.Read(body[:])
	res.Body.Close()
	if string(body[:n]) != "Bearer at1" {
		t.Fatalf("Client sent %q", body[:n])
	}
	// Behind the middleware too.
	var guarded string
	h := f.a.RequireSession(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		guarded, _ = f.a.AccessToken(r)
	}))
	h.ServeHTTP(httptest.NewRecorder(), requestOf(f.c))
	if guarded != "at1" {
		t.Fatalf("AccessToken behind RequireSession = %q", guarded)
	}

	// Expired: 50 requests at once, one refresh.
	f.clk.add(2 * time.Hour)
	var wg sync.WaitGroup
	got := make([]string, 50)
	errs := make([]error, 50)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = f.a.AccessToken(requestOf(f.c))
		}()
	}
	wg.Wait()
	for i := range got {
		if got[i] != "at2" || errs[i] != nil {
			t.Fatalf("request %d: AccessToken = %q, %v", i, got[i], errs[i])
		}
	}
	if n := idp.calls.Load(); n != 1 {
		t.Fatalf("%d refreshes for 50 requests", n)
	}
	acc, err := f.store.Account(t.Context(), "gh", "idp-42")
	if err != nil || acc == nil || acc.AccessToken != "at2" || acc.RefreshToken != "rt2" ||
		acc.ExpiresAt != f.clk.now().Add(time.Hour).Unix() || acc.TokenType != "bearer" {
		t.Fatalf("accounts row after the refresh: %+v, %v", acc, err)
	}
	// The next request reads the new tokens from the row: no refresh.
	if at, err := f.a.AccessToken(requestOf(f.c)); at != "at2" || err != nil || idp.calls.Load() != 1 {
		t.Fatalf("after the refresh: %q, %v, %d refreshes", at, err, idp.calls.Load())
	}

	// Expired again, and the refresh token is refused for good.
	f.clk.add(2 * time.Hour)
	idp.terminal.Store(true)
	if at, err := f.a.AccessToken(requestOf(f.c)); at != "" || !errors.Is(err, authgo.ErrNoAccessToken) {
		t.Fatalf("after a terminal failure: %q, %v", at, err)
	}
	if acc, err := f.store.Account(t.Context(), "gh", "idp-42"); err != nil || acc == nil || acc.AccessToken != "" || acc.RefreshToken != "" || acc.ExpiresAt != 0 {
		t.Fatalf("accounts row after a terminal failure: %+v, %v", acc, err)
	}
	if s := f.c.session(O); s == nil || s["error"] != authgo.RefreshTokenError {
		t.Fatalf("session = %v", s)
	}
	if at, err := f.a.AccessToken(requestOf(f.c)); at != "" || !errors.Is(err, authgo.ErrNoAccessToken) || idp.calls.Load() != 2 {
		t.Fatalf("later: %q, %v, %d refreshes", at, err, idp.calls.Load())
	}
	// A new sign-in brings tokens back.
	idp.tokens = &provider.TokenSet{AccessToken: "at9", RefreshToken: "rt9", Expiry: f.clk.now().Add(time.Hour)}
	oauthSignIn(t, f.c, "gh")
	if at, err := f.a.AccessToken(requestOf(f.c)); at != "at9" || err != nil {
		t.Fatalf("after signing in again: %q, %v", at, err)
	}
}

// TestDatabaseNoProviderTokens: a credentials session without tokens has
// no access token and costs no accounts lookup.
func TestDatabaseNoProviderTokens(t *testing.T) {
	f := newDBAuth(t, nil)
	f.c.signIn(O, "alice", "wonderland")
	if at, err := f.a.AccessToken(requestOf(f.c)); at != "" || !errors.Is(err, authgo.ErrNoAccessToken) {
		t.Fatalf("AccessToken = %q, %v", at, err)
	}
	var p *string
	if err := f.db.QueryRowContext(t.Context(), `SELECT provider FROM authgo_sessions`).Scan(&p); err != nil || p != nil {
		t.Fatalf("authgo_sessions.provider = %v, %v", p, err)
	}
}

// memLocker is a RefreshLocker in memory, shared by the instances of one
// test: a lock with no lease, results with no expiry.
type memLocker struct {
	mu      sync.Mutex
	locks   map[string]bool
	results map[string][]byte
}

func (l *memLocker) TryLock(_ context.Context, key string) (func(), bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.locks[key] {
		return nil, false, nil
	}
	l.locks[key] = true
	return func() { l.mu.Lock(); delete(l.locks, key); l.mu.Unlock() }, true, nil
}

func (l *memLocker) Result(_ context.Context, key string) ([]byte, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.results[key], nil
}

func (l *memLocker) SetResult(_ context.Context, key string, v []byte, _ time.Duration) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.results[key] = v
	return nil
}

// TestDatabaseRefreshAcrossInstances: two instances on one database and
// one Locker refresh an account's tokens once between them, and both hand
// out the new token.
func TestDatabaseRefreshAcrossInstances(t *testing.T) {
	idp := &refreshingIdP{stubIdP: &stubIdP{id: "gh"}}
	lk := &memLocker{locks: map[string]bool{}, results: map[string][]byte{}}
	f := newDBAuth(t, func(c *authgo.Config) {
		c.Providers = append(c.Providers, idp)
		c.Tokens.Locker = lk
	})
	other := newAuth(t, func(c *authgo.Config) {
		c.Session.Strategy, c.Session.Store, c.Users = authgo.StrategyDatabase, f.store, f.store
		c.Now = f.clk.now
		c.Providers = append(c.Providers, idp)
		c.Tokens.Locker = lk
	})
	idp.clk = f.clk
	idp.tokens = &provider.TokenSet{AccessToken: "at1", RefreshToken: "rt1", Expiry: f.clk.now().Add(time.Hour)}
	oauthSignIn(t, f.c, "gh")
	if at, err := other.AccessToken(requestOf(f.c)); at != "at1" || err != nil {
		t.Fatalf("the other instance: %q, %v", at, err)
	}
	f.clk.add(2 * time.Hour)
	var wg sync.WaitGroup
	got := make([]string, 40)
	errs := make([]error, 40)
	for i := range got {
		a := f.a
		if i%2 == 1 {
			a = other
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = a.AccessToken(requestOf(f.c))
		}()
	}
	wg.Wait()
	for i := range got {
		if got[i] != "at2" || errs[i] != nil {
			t.Fatalf("request %d: %q, %v", i, got[i], errs[i])
		}
	}
	if n := idp.calls.Load(); n != 1 {
		t.Fatalf("%d refreshes between two instances", n)
	}
	if acc, err := f.store.Account(t.Context(), "gh", "idp-42"); err != nil || acc == nil || acc.AccessToken != "at2" || acc.RefreshToken != "rt2" {
		t.Fatalf("accounts row: %+v, %v", acc, err)
	}
}
