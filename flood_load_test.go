//go:build loadtest

package authgo_test

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/adapters/sqlite"
	"github.com/authgo/authgo/internal/testkit/sqlitetest"
	"github.com/authgo/authgo/jwt"
	"github.com/authgo/authgo/store"
)

// floodKeys is how many distinct cookies each flood sends.
const floodKeys = 20000

// checkBounds fails t for any cache over its bound and logs their sizes.
func checkBounds(t *testing.T, when string, caches []authgo.BoundedCache) {
	t.Helper()
	for _, c := range caches {
		if n := c.Len(); n > c.Bound {
			t.Fatalf("%s: %s holds %d entries, bound %d", when, c.Name, n, c.Bound)
		}
	}
}

// flood sends n requests made by req through h, checking every cache's
// bound every 1,000 requests and at the end; want checks each answer.
func flood(t *testing.T, name string, h http.Handler, caches []authgo.BoundedCache, n int, req func(i int) *http.Request, want func(i int, rec *httptest.ResponseRecorder) error) {
	t.Helper()
	for i := range n {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req(i))
		if err := want(i, rec); err != nil {
			t.Fatalf("%s, request %d: %v", name, i, err)
		}
		if i%1000 == 999 {
			checkBounds(t, fmt.Sprintf("%s, after %d requests", name, i+1), caches)
		}
	}
	checkBounds(t, name, caches)
	for _, c := range caches {
		t.Logf("after %s: %s holds %d entries (bound %d)", name, c.Name, c.Len(), c.Bound)
	}
}

// heapInUse is the live heap after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestFloodCaches: 20,000 distinct forged cookies and 20,000 distinct
// valid ones, each against <base>/session and a guarded page, through a
// real Auth (its handler and its middleware) with a shared revocation
// store: every cache keyed by request data stays at or under its bound,
// and the live heap grows by less than the caches' bounds allow.
func TestFloodCaches(t *testing.T) {
	a := guarded(t, func(c *authgo.Config) { c.Session.Revocations = authgo.NewMemoryRevocations() })
	caches := authgo.BoundedCaches(a)
	if len(caches) == 0 {
		t.Fatal("no bounded caches to watch")
	}
	h := routers(a)["ServeMux"]
	codec, err := jwt.NewCodec(jwt.Options{Secrets: []string{testSecret}, CacheSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	template, err := codec.Encode(jwt.CookieName, &jwt.Token{Subject: "user-1", Name: "Alice"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	valid := make([]string, floodKeys)
	for i := range valid {
		valid[i], err = codec.Encode(jwt.CookieName, &jwt.Token{Subject: fmt.Sprint("user-", i), Name: "Alice"}, 0)
		if err != nil {
			t.Fatal(err)
		}
	}
	before := heapInUse()
	withCookie := func(path string, cookie func(i int) string) func(int) *http.Request {
		return func(i int) *http.Request {
			r := httptest.NewRequest("GET", O+path, nil)
			r.Header.Set("Cookie", "authjs.session-token="+cookie(i))
			return r
		}
	}
	forged := func(i int) string { return template[:len(template)-8] + fmt.Sprintf("%08d", i) }
	signedOut := func(i int, rec *httptest.ResponseRecorder) error {
		if rec.Code != http.StatusOK || strings.TrimSpace(rec.Body.String()) != "null" {
			return fmt.Errorf("forged cookie: %d %q", rec.Code, rec.Body.String())
		}
		return nil
	}
	redirected := func(i int, rec *httptest.ResponseRecorder) error {
		if rec.Code != http.StatusFound && rec.Code != http.StatusSeeOther && rec.Code != http.StatusTemporaryRedirect {
			return fmt.Errorf("forged cookie on a guarded page: %d %q", rec.Code, rec.Body.String())
		}
		return nil
	}
	signedIn := func(i int, rec *httptest.ResponseRecorder) error {
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "Alice") {
			return fmt.Errorf("valid cookie: %d %q", rec.Code, rec.Body.String())
		}
		return nil
	}
	flood(t, "forged cookies on /auth/session", h, caches, floodKeys, withCookie("/auth/session", forged), signedOut)
	flood(t, "forged cookies on /mypage/x", h, caches, floodKeys, withCookie("/mypage/x", forged), redirected)
	flood(t, "valid cookies on /auth/session", h, caches, floodKeys, withCookie("/auth/session", func(i int) string { return valid[i] }), signedIn)
	flood(t, "valid cookies on /mypage/x", h, caches, floodKeys, withCookie("/mypage/x", func(i int) string { return valid[floodKeys-1-i] }), signedIn)
	after := heapInUse()
	runtime.KeepAlive(valid) // counted before and after
	grew := int64(after) - int64(before)
	t.Logf("live heap: %d KiB before the floods, %d KiB after (%+d KiB)", before>>10, after>>10, grew>>10)
	// 20,000 decoded tokens or revocation answers kept would take tens of
	// MiB; the bounds (1,024 tokens, 10,000 answers) a few.
	if grew > 12<<20 {
		t.Errorf("the live heap grew by %d KiB after the floods", grew>>10)
	}
}

// TestFloodDatabaseSessions: the database strategy's session cache
// (SessionConfig.StoreCache) under 20,000 distinct cookies naming no
// session (each costs a store read, and none enters the cache), then
// 20,000 distinct real sessions, each against <base>/session and a
// guarded page: the cache stays at or under its bound.
func TestFloodDatabaseSessions(t *testing.T) {
	// Not synced to the disk: the 20,000 sessions are made faster.
	s, _ := sqlitetest.OpenDSN(t, sqlite.DSN(filepath.Join(t.TempDir(), "authgo.db"))+"&_pragma=synchronous(OFF)")
	a := guarded(t, func(c *authgo.Config) {
		c.Session.Strategy = authgo.StrategyDatabase
		c.Session.Store, c.Users = s, s
		c.Session.StoreCache = time.Hour // nothing expires during the flood
	})
	var caches []authgo.BoundedCache
	for _, c := range authgo.BoundedCaches(a) {
		if c.Name == "database sessions" {
			caches = append(caches, c)
		}
	}
	if len(caches) != 1 {
		t.Fatalf("no database-session cache among %v", authgo.BoundedCaches(a))
	}
	u, err := s.CreateUser(t.Context(), store.User{Name: "Alice", Email: "alice@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Truncate(time.Second)
	valid := make([]string, floodKeys)
	for i := range valid {
		valid[i] = rand.Text()
		if err := s.CreateSession(t.Context(), store.Session{Token: valid[i], UserID: u.ID, Expires: now.Add(authgo.DefaultMaxAge), Created: now, LastSeen: now}); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d sessions made in %v", floodKeys, time.Since(now))
	h := routers(a)["ServeMux"]
	withCookie := func(path string, cookie func(i int) string) func(int) *http.Request {
		return func(i int) *http.Request {
			r := httptest.NewRequest("GET", O+path, nil)
			r.Header.Set("Cookie", "authjs.session-token="+cookie(i))
			return r
		}
	}
	forged := func(i int) string { return fmt.Sprintf("%s%08d", valid[0][:18], i) }
	empty := func(when string) {
		if n := caches[0].Len(); n != 0 {
			t.Fatalf("%s: the cache holds %d entries for cookies naming no session", when, n)
		}
	}
	flood(t, "forged cookies on /auth/session", h, caches, floodKeys, withCookie("/auth/session", forged), func(i int, rec *httptest.ResponseRecorder) error {
		if rec.Code != http.StatusOK || strings.TrimSpace(rec.Body.String()) != "null" {
			return fmt.Errorf("forged cookie: %d %q", rec.Code, rec.Body.String())
		}
		return nil
	})
	empty("forged cookies on /auth/session")
	flood(t, "forged cookies on /mypage/x", h, caches, floodKeys, withCookie("/mypage/x", forged), func(i int, rec *httptest.ResponseRecorder) error {
		if rec.Code != http.StatusFound && rec.Code != http.StatusSeeOther && rec.Code != http.StatusTemporaryRedirect {
			return fmt.Errorf("forged cookie on a guarded page: %d %q", rec.Code, rec.Body.String())
		}
		return nil
	})
	empty("forged cookies on /mypage/x")
	signedIn := func(i int, rec *httptest.ResponseRecorder) error {
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "Alice") {
			return fmt.Errorf("valid cookie: %d %q", rec.Code, rec.Body.String())
		}
		return nil
	}
	flood(t, "valid sessions on /auth/session", h, caches, floodKeys, withCookie("/auth/session", func(i int) string { return valid[i] }), signedIn)
	flood(t, "valid sessions on /mypage/x", h, caches, floodKeys, withCookie("/mypage/x", func(i int) string { return valid[floodKeys-1-i] }), signedIn)
	if n := caches[0].Len(); n < caches[0].Bound/2 {
		t.Errorf("after 40,000 reads of real sessions the cache holds %d entries: the flood did not fill it", n)
	}
}
