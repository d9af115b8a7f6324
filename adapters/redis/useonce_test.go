package redis_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/adapters/adaptertest"
	"github.com/authgo/authgo/adapters/redis"
	"github.com/authgo/authgo/internal/testkit"
	"github.com/authgo/authgo/provider"
)

// TestUseOnce: the contract, every store a new Revocations over its own
// client of one Redis, as two instances have, and a replayed OAuth
// callback refused on the second instance.
func TestUseOnce(t *testing.T) {
	c := testRedis(t)
	prefix := testPrefix(t, c)
	adaptertest.UseOnce(t, func(t *testing.T) adaptertest.OnceStore {
		own := goredis.NewClient(&goredis.Options{Addr: c.Options().Addr})
		t.Cleanup(func() { own.Close() })
		return redis.NewRevocations(own, redis.RevocationsOptions{Prefix: prefix})
	})
}

// TestUseOnceRedisDown: with the Redis that records used states killed, an
// OAuth callback fails closed: the Unavailable error page with 503 and
// Retry-After, and no request to the provider. Once Redis is back, the
// same callback (its state still unused) signs in. The test runs its own
// redis-server; the shared one is never touched.
func TestUseOnceRedisDown(t *testing.T) {
	rds := testkit.StartRedis(t, false)
	rdb := goredis.NewClient(&goredis.Options{Addr: rds.Addr(), MaxRetries: -1})
	t.Cleanup(func() { rdb.Close() })
	idp := &countingProvider{}
	a, err := authgo.New(authgo.Config{
		Secret:    []string{"redis-test-secret-0123456789abcdef0123456789"},
		URL:       "http://localhost:3000/auth",
		Providers: []provider.Provider{idp},
		Session: authgo.SessionConfig{
			Revocations: redis.NewRevocations(rdb, redis.RevocationsOptions{OpTimeout: 300 * time.Millisecond}),
		},
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	callback, cookies := startOAuth(t, a)
	rds.Kill()

	start := time.Now()
	rec := serve(a, "GET", callback, cookies)
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" || idp.exchanges.Load() != 0 {
		t.Fatalf("Redis down: %d, Retry-After %q, %d exchanges; want 503, set, 0", rec.Code, rec.Header().Get("Retry-After"), idp.exchanges.Load())
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("the refusal took %v", took)
	}
	if !strings.Contains(rec.Body.String(), "Try again shortly") || len(rec.Result().Cookies()) != 0 {
		t.Fatalf("body %q, cookies %v", rec.Body, rec.Result().Cookies())
	}

	rds.Restart()
	rec = serve(a, "GET", callback, cookies)
	if rec.Code != http.StatusFound || rec.Header().Get("Location") != "http://localhost:3000/after" || idp.exchanges.Load() != 1 {
		t.Fatalf("Redis back: %d %q, %d exchanges", rec.Code, rec.Header().Get("Location"), idp.exchanges.Load())
	}
	if rec = serve(a, "GET", callback, cookies); rec.Header().Get("Location") != "http://localhost:3000/auth/signin?error=OAuthCallbackError" || idp.exchanges.Load() != 1 {
		t.Fatalf("replay: %d %q, %d exchanges", rec.Code, rec.Header().Get("Location"), idp.exchanges.Load())
	}
}

// countingProvider is an OAuth provider that counts code exchanges, each
// of which would be a request to its token endpoint.
type countingProvider struct{ exchanges atomic.Int32 }

func (p *countingProvider) ID() string          { return "counting" }
func (p *countingProvider) Name() string        { return "Counting" }
func (p *countingProvider) Type() provider.Type { return provider.TypeOAuth }
func (p *countingProvider) UsesNonce() bool     { return false }
func (p *countingProvider) AuthCodeURL(_ context.Context, a provider.AuthCodeParams) (string, error) {
	return "https://idp.example/authorize?state=" + url.QueryEscape(a.State), nil
}
func (p *countingProvider) Exchange(context.Context, provider.ExchangeParams) (*provider.OAuthResult, error) {
	p.exchanges.Add(1)
	return &provider.OAuthResult{User: &authgo.User{ID: "u-1"}}, nil
}

// startOAuth starts a sign-in with the counting provider and returns the
// callback URL the provider would send the browser to, and the browser's
// cookies then.
func startOAuth(t *testing.T, a *authgo.Auth) (string, []*http.Cookie) {
	t.Helper()
	rec := serve(a, "GET", "http://localhost:3000/auth/csrf", nil)
	var v struct{ CsrfToken string }
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	cookies := rec.Result().Cookies()
	form := url.Values{"csrfToken": {v.CsrfToken}, "callbackUrl": {"/after"}}
	rec = serve(a, "POST", "http://localhost:3000/auth/signin/counting?"+form.Encode(), cookies)
	u, err := url.Parse(rec.Header().Get("Location"))
	if rec.Code != http.StatusFound || err != nil || u.Query().Get("state") == "" {
		t.Fatalf("sign-in: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	for _, c := range rec.Result().Cookies() {
		cookies = slices.DeleteFunc(cookies, func(old *http.Cookie) bool { return old.Name == c.Name })
		cookies = append(cookies, c)
	}
	return "http://localhost:3000/auth/callback/counting?code=c&state=" + url.QueryEscape(u.Query().Get("state")), cookies
}

// serve sends a request to a. A POST target's query becomes its form body.
func serve(a *authgo.Auth, method, target string, cookies []*http.Cookie) *httptest.ResponseRecorder {
	var r *http.Request
	if method == "POST" {
		u, _ := url.Parse(target)
		body := u.RawQuery
		u.RawQuery = ""
		r = httptest.NewRequest(method, u.String(), strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		r = httptest.NewRequest(method, target, nil)
	}
	for _, c := range cookies {
		r.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	a.ServeHTTP(rec, r)
	return rec
}
