package authgo_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/adapters/adaptertest"
	"github.com/authgo/authgo/provider"
)

// countingIdP is stubIdP with a count of code exchanges (each would be a
// request to the token endpoint), safe for concurrent callbacks.
type countingIdP struct {
	stubIdP
	exchanges atomic.Int32
}

func (p *countingIdP) Exchange(ctx context.Context, e provider.ExchangeParams) (*provider.OAuthResult, error) {
	p.exchanges.Add(1)
	return &provider.OAuthResult{User: &authgo.User{ID: "idp-42", Email: "ida@example.com"}}, nil
}

// TestCallbackUsedOnce: five parallel replays of a completed callback, with
// the cookies from before it, are each refused with OAuthCallbackError
// before any token request; the provider saw one exchange in all.
func TestCallbackUsedOnce(t *testing.T) {
	idp := &countingIdP{stubIdP: stubIdP{id: "stub", nonce: true}}
	a := oauthAuth(t, idp)
	c := newClient(t, a)
	state := startFlow(t, c, "stub", "").Query().Get("state")
	cookies := c.CookieHeader() // from before the callback
	callback := O + "/auth/callback/stub?code=the-code&state=" + url.QueryEscape(state)
	if r := c.get(callback); r.StatusCode != 302 || r.Header.Get("Location") != O+"/after" {
		t.Fatalf("callback: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	var wg sync.WaitGroup
	for i := range 5 {
		wg.Go(func() {
			replay := newClient(t, c.h)
			r := replay.get(callback, "Cookie", cookies)
			if r.StatusCode != 302 || r.Header.Get("Location") != O+"/auth/signin?error=OAuthCallbackError" {
				t.Errorf("replay %d: %d %q", i, r.StatusCode, r.Header.Get("Location"))
			}
			if ck := r.setCook["authjs.session-token"]; ck != nil && ck.MaxAge >= 0 {
				t.Errorf("replay %d set a session", i)
			}
			if ck := r.setCook["authjs.state"]; ck == nil || ck.MaxAge >= 0 {
				t.Errorf("replay %d: state cookie not cleared", i)
			}
		})
	}
	wg.Wait()
	if n := idp.exchanges.Load(); n != 1 {
		t.Fatalf("%d code exchanges, want 1", n)
	}
	if n, _, _ := authgo.UsedStates(a); n != 1 {
		t.Fatalf("%d used states remembered, want 1", n)
	}
}

// TestCallbackUsedOnceShared: the adaptertest contract against the
// in-memory default, shared by two instances as a real store would be.
func TestCallbackUsedOnceShared(t *testing.T) {
	shared := authgo.NewMemoryRevocations().(adaptertest.OnceStore)
	adaptertest.UseOnce(t, func(*testing.T) adaptertest.OnceStore { return shared })
}

// downStore is a shared store whose UseOnce fails while down is set.
type downStore struct {
	authgo.RevocationStore
	down  atomic.Bool
	calls atomic.Int32
}

func (s *downStore) UseOnce(ctx context.Context, key string, until time.Time) (bool, error) {
	s.calls.Add(1)
	if s.down.Load() {
		return false, errors.New("connection refused")
	}
	return s.RevocationStore.(adaptertest.OnceStore).UseOnce(ctx, key, until)
}

// TestCallbackStoreDown: when the store of used states cannot answer, the
// callback fails closed with Unavailable (503, Retry-After) before any
// token request, keeps the flow cookies, and works once the store is back.
func TestCallbackStoreDown(t *testing.T) {
	for _, tc := range []struct {
		name  string
		pages string
		hdr   []string
	}{
		{name: "built-in page"},
		{name: "X-Auth-Return-Redirect", hdr: []string{"X-Auth-Return-Redirect", "1"}},
		{name: "Pages.Error", pages: "/oops"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			idp := &countingIdP{stubIdP: stubIdP{id: "stub"}}
			store := &downStore{RevocationStore: authgo.NewMemoryRevocations()}
			store.down.Store(true)
			c := newClient(t, newAuth(t, func(c *authgo.Config) {
				c.Providers = append(c.Providers, idp)
				c.Session.Revocations = store
				c.Pages.Error = tc.pages
			}))
			state := startFlow(t, c, "stub", "").Query().Get("state")
			callback := O + "/auth/callback/stub?code=c&state=" + url.QueryEscape(state)
			r := c.get(callback, tc.hdr...)
			if r.Header.Get("Retry-After") == "" || store.calls.Load() != 1 || idp.exchanges.Load() != 0 {
				t.Fatalf("store down: %d, Retry-After %q, %d store calls, %d exchanges", r.StatusCode, r.Header.Get("Retry-After"), store.calls.Load(), idp.exchanges.Load())
			}
			switch tc.name {
			case "built-in page":
				if r.StatusCode != 503 || !strings.Contains(r.body, "Try again shortly") || !strings.Contains(r.Header.Get("Cache-Control"), "no-store") {
					t.Fatalf("%d %q %s", r.StatusCode, r.Header.Get("Cache-Control"), r.body)
				}
			case "X-Auth-Return-Redirect":
				var v struct{ URL string }
				if err := json.Unmarshal([]byte(r.body), &v); err != nil || v.URL != O+"/auth/error?error=Unavailable" {
					t.Fatalf("%d %s", r.StatusCode, r.body)
				}
			case "Pages.Error":
				if r.StatusCode != 302 || r.Header.Get("Location") != O+"/oops?error=Unavailable" {
					t.Fatalf("%d %q", r.StatusCode, r.Header.Get("Location"))
				}
			}
			if len(r.setCook) != 0 || c.Cookie("authjs.state") == "" {
				t.Fatalf("cookies changed on Unavailable: %v", r.Header["Set-Cookie"])
			}
			store.down.Store(false)
			if r := c.get(callback); r.StatusCode != 302 || r.Header.Get("Location") != O+"/after" || idp.exchanges.Load() != 1 {
				t.Fatalf("once the store is back: %d %q, %d exchanges", r.StatusCode, r.Header.Get("Location"), idp.exchanges.Load())
			}
		})
	}
	// The error page itself, reached by the redirect.
	c := newClient(t, newAuth(t, nil))
	if r := c.get(O + "/auth/error?error=Unavailable"); r.StatusCode != 503 || r.Header.Get("Retry-After") == "" {
		t.Fatalf("error page: %d, Retry-After %q", r.StatusCode, r.Header.Get("Retry-After"))
	}
}

// TestUsedStatesBound: a flood of states keeps the memory at its bound;
// expired records make room first, and only a memory full of live ones
// forgets the oldest early (with a warning), never refusing a callback.
func TestUsedStatesBound(t *testing.T) {
	ctx := t.Context()
	now := time.Unix(1_800_000_000, 0)
	clock := func() time.Time { return now }
	const limit = 1000
	var warnings int
	m := authgo.NewMemoryOnce(clock, limit, func() { warnings++ })
	key := func(i int) string { return "oauth-state:" + strconv.Itoa(i) }
	use := func(i int, until time.Time) bool {
		first, err := m.UseOnce(ctx, key(i), until)
		if err != nil {
			t.Fatal(err)
		}
		return first
	}

	// Short-lived records, then time passes: they make room, no warning.
	for i := range limit {
		use(i, now.Add(time.Minute))
	}
	now = now.Add(2 * time.Minute)
	for i := limit; i < 2*limit; i++ {
		if !use(i, now.Add(16*time.Minute)) {
			t.Fatalf("state %d refused", i)
		}
	}
	if n := m.Len(); n != limit || warnings != 0 {
		t.Fatalf("%d records, %d warnings; want %d, 0", n, warnings, limit)
	}

	// A flood of 20,000 live states: never more than the bound, every new
	// one accepted, the newest remembered, the oldest forgotten.
	for i := 2 * limit; i < 22*limit; i++ {
		if !use(i, now.Add(16*time.Minute)) {
			t.Fatalf("state %d refused", i)
		}
		if i%997 == 0 && m.Len() > limit {
			t.Fatalf("%d records after %d states; bound %d", m.Len(), i, limit)
		}
	}
	if n := m.Len(); n > limit || warnings == 0 {
		t.Fatalf("%d records (bound %d), %d warnings", n, limit, warnings)
	}
	if use(22*limit-1, now.Add(16*time.Minute)) {
		t.Fatal("the newest state was forgotten")
	}
	if !use(2*limit, now.Add(16*time.Minute)) {
		t.Fatal("the oldest live state was kept past the bound")
	}

	// The default memory of an Auth has the documented bound.
	a := oauthAuth(t, &stubIdP{id: "stub"})
	if n, limit, ok := authgo.UsedStates(a); !ok || n != 0 || limit != 65536 {
		t.Fatalf("default memory: %d records, bound %d, %v", n, limit, ok)
	}
}
