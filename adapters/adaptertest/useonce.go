package adaptertest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/provider"
)

// OnceStore is a revocation store with the optional UseOnce method that
// authgo looks for (see [authgo.RevocationStore]): it records key until
// until and reports whether this is the key's first use since any earlier
// record of it ended, atomically for every instance that shares the store.
// An error means the store could not say; authgo then refuses the OAuth
// callback (CodeUnavailable).
type OnceStore interface {
	authgo.RevocationStore
	UseOnce(ctx context.Context, key string, until time.Time) (first bool, err error)
}

// UseOnce checks a store's UseOnce method, on its own and through two
// authgo instances that share the store, where a replayed OAuth callback
// must be refused on the instance that did not see the first use, before
// the provider is asked to redeem the code again.
//
// Each call of newStore must return a store over the same data, as two
// instances of a site have (two handles on one database, two clients of
// one Redis); the checks use keys unique to the run.
func UseOnce(t *testing.T, newStore func(t *testing.T) OnceStore) {
	ctx := context.Background()
	run := fmt.Sprintf("oauth-state:test-%d-", time.Now().UnixNano())

	t.Run("once", func(t *testing.T) {
		s := newStore(t)
		key := run + "once"
		until := time.Now().Add(time.Hour)
		for i, want := range []bool{true, false, false} {
			if first, err := s.UseOnce(ctx, key, until); err != nil || first != want {
				t.Fatalf("use #%d = %v, %v; want %v", i+1, first, err, want)
			}
		}
		if first, err := newStore(t).UseOnce(ctx, key, until.Add(time.Hour)); err != nil || first {
			t.Fatalf("use through another handle = %v, %v; want false", first, err)
		}
		if first, err := s.UseOnce(ctx, key+"-other", until); err != nil || !first {
			t.Fatalf("another key = %v, %v; want true", first, err)
		}
	})

	t.Run("record ends", func(t *testing.T) {
		s := newStore(t)
		key := run + "ends"
		if first, err := s.UseOnce(ctx, key, time.Now().Add(300*time.Millisecond)); err != nil || !first {
			t.Fatalf("first use = %v, %v", first, err)
		}
		if first, err := s.UseOnce(ctx, key, time.Now().Add(time.Hour)); err != nil || first {
			t.Fatalf("second use = %v, %v; want false", first, err)
		}
		time.Sleep(400 * time.Millisecond)
		if first, err := s.UseOnce(ctx, key, time.Now().Add(time.Hour)); err != nil || !first {
			t.Fatalf("use after the record ended = %v, %v; want true", first, err)
		}
		if first, err := s.UseOnce(ctx, key, time.Now().Add(time.Hour)); err != nil || first {
			t.Fatalf("use after the new record = %v, %v; want false", first, err)
		}
	})

	t.Run("odd keys", func(t *testing.T) {
		s := newStore(t)
		for _, k := range []string{run + "ünïcode ' \" % _ \\ ; --", run + strings.Repeat("k", 200)} {
			for i, want := range []bool{true, false} {
				if first, err := s.UseOnce(ctx, k, time.Now().Add(time.Hour)); err != nil || first != want {
					t.Fatalf("UseOnce(%.40q…) #%d = %v, %v", k, i+1, first, err)
				}
			}
		}
		// A LIKE- or glob-style key must not match the others.
		if first, err := s.UseOnce(ctx, run+"%", time.Now().Add(time.Hour)); err != nil || !first {
			t.Fatalf("a wildcard key = %v, %v; want true", first, err)
		}
		if first, err := s.UseOnce(ctx, run+"*", time.Now().Add(time.Hour)); err != nil || !first {
			t.Fatalf("a glob key = %v, %v; want true", first, err)
		}
	})

	t.Run("concurrent", func(t *testing.T) {
		stores := []OnceStore{newStore(t), newStore(t)}
		key := run + "concurrent"
		var firsts atomic.Int32
		var wg sync.WaitGroup
		for i := range 40 {
			wg.Go(func() {
				first, err := stores[i%2].UseOnce(ctx, key, time.Now().Add(time.Hour))
				if err != nil {
					t.Error(err)
				}
				if first {
					firsts.Add(1)
				}
			})
		}
		wg.Wait()
		if n := firsts.Load(); n != 1 {
			t.Fatalf("40 concurrent uses of one key: %d firsts, want 1", n)
		}
	})

	t.Run("two instances", func(t *testing.T) { twoInstances(t, newStore) })
}

// twoInstances signs in through instance A and replays the callback, with
// the cookies from before it, on B and on both at once; then races six
// first uses of a fresh callback over both.
func twoInstances(t *testing.T, newStore func(t *testing.T) OnceStore) {
	idp := &fixtureIdP{}
	newAuth := func() *authgo.Auth {
		a, err := authgo.New(authgo.Config{
			Secret:    []string{"adaptertest-secret-0123456789abcdef0123456789"},
			URL:       origin + "/auth",
			Providers: []provider.Provider{idp},
			Session:   authgo.SessionConfig{Revocations: newStore(t)},
		})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	sites := []*authgo.Auth{newAuth(), newAuth()}
	const refused = origin + "/auth/signin?error=OAuthCallbackError"

	callback, cookies := startSignIn(t, sites[0])
	if loc, session := get(t, sites[0], callback, cookies); loc != origin+"/after" || !session {
		t.Fatalf("callback on A: Location %q, session %v", loc, session)
	}
	if n := idp.exchanges.Load(); n != 1 {
		t.Fatalf("%d code exchanges for one callback", n)
	}
	if loc, session := get(t, sites[1], callback, cookies); loc != refused || session {
		t.Fatalf("replay on B: Location %q, session %v; want %s", loc, session, refused)
	}
	var wg sync.WaitGroup
	for i := range 5 {
		wg.Go(func() {
			if loc, session := get(t, sites[i%2], callback, cookies); loc != refused || session {
				t.Errorf("parallel replay %d: Location %q, session %v", i, loc, session)
			}
		})
	}
	wg.Wait()
	if n := idp.exchanges.Load(); n != 1 {
		t.Fatalf("%d code exchanges after the replays, want 1", n)
	}

	callback, cookies = startSignIn(t, sites[1])
	var signedIn, refusals atomic.Int32
	for i := range 6 {
		wg.Go(func() {
			switch loc, session := get(t, sites[i%2], callback, cookies); {
			case loc == origin+"/after" && session:
				signedIn.Add(1)
			case loc == refused && !session:
				refusals.Add(1)
			default:
				t.Errorf("racing callback %d: Location %q, session %v", i, loc, session)
			}
		})
	}
	wg.Wait()
	if signedIn.Load() != 1 || refusals.Load() != 5 || idp.exchanges.Load() != 2 {
		t.Fatalf("six racing callbacks: %d signed in, %d refused, %d exchanges in all; want 1, 5, 2",
			signedIn.Load(), refusals.Load(), idp.exchanges.Load())
	}
}

const origin = "http://localhost:3000"

// startSignIn starts an OAuth sign-in on a and returns the callback URL the
// provider would send the browser to, and the cookies the browser holds
// then.
func startSignIn(t *testing.T, a *authgo.Auth) (callback string, cookies []*http.Cookie) {
	t.Helper()
	rec := httptest.NewRecorder()
	a.ServeHTTP(rec, httptest.NewRequest("GET", origin+"/auth/csrf", nil))
	var v struct{ CsrfToken string }
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil || v.CsrfToken == "" {
		t.Fatalf("csrf: %q, %v", rec.Body, err)
	}
	cookies = rec.Result().Cookies()
	form := url.Values{"csrfToken": {v.CsrfToken}, "callbackUrl": {"/after"}}
	r := httptest.NewRequest("POST", origin+"/auth/signin/"+fixtureID, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, c := range cookies {
		r.AddCookie(c)
	}
	rec = httptest.NewRecorder()
	a.ServeHTTP(rec, r)
	u, err := url.Parse(rec.Header().Get("Location"))
	if rec.Code != http.StatusFound || err != nil || u.Query().Get("state") == "" {
		t.Fatalf("sign-in: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	for _, c := range rec.Result().Cookies() {
		cookies = slices.DeleteFunc(cookies, func(old *http.Cookie) bool { return old.Name == c.Name })
		cookies = append(cookies, c)
	}
	return origin + "/auth/callback/" + fixtureID + "?code=one-time-code&state=" + url.QueryEscape(u.Query().Get("state")), cookies
}

// get sends GET target to a with cookies and returns the Location and
// whether a session cookie was set.
func get(t *testing.T, a *authgo.Auth, target string, cookies []*http.Cookie) (location string, session bool) {
	r := httptest.NewRequest("GET", target, nil)
	for _, c := range cookies {
		r.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	a.ServeHTTP(rec, r)
	for _, c := range rec.Result().Cookies() {
		if strings.HasPrefix(c.Name, "authjs.session-token") && c.Value != "" && c.MaxAge >= 0 {
			session = true
		}
	}
	return rec.Header().Get("Location"), session
}

const fixtureID = "fixture"

// fixtureIdP is an OAuth provider that counts code exchanges: each one
// would be a request to the provider's token endpoint.
type fixtureIdP struct{ exchanges atomic.Int32 }

func (p *fixtureIdP) ID() string          { return fixtureID }
func (p *fixtureIdP) Name() string        { return "Fixture" }
func (p *fixtureIdP) Type() provider.Type { return provider.TypeOAuth }
func (p *fixtureIdP) UsesNonce() bool     { return false }

func (p *fixtureIdP) AuthCodeURL(_ context.Context, a provider.AuthCodeParams) (string, error) {
	return "https://idp.example/authorize?" + url.Values{"state": {a.State}}.Encode(), nil
}

func (p *fixtureIdP) Exchange(context.Context, provider.ExchangeParams) (*provider.OAuthResult, error) {
	p.exchanges.Add(1)
	return &provider.OAuthResult{
		User:   &authgo.User{ID: "fixture-user", Email: "user@example.com"},
		Tokens: provider.TokenSet{AccessToken: "at", TokenType: "Bearer", Expiry: time.Now().Add(time.Hour)},
	}, nil
}
