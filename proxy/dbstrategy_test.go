package proxy_test

import (
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/internal/testkit/sqlitetest"
)

// TestDatabaseStrategy: under the database strategy the proxy sends the
// access token of the accounts row the session signed in with (a back-end
// sign-in's tokens), and an expired one is refreshed once for concurrent
// requests, the new tokens written to that row.
func TestDatabaseStrategy(t *testing.T) {
	st, db := sqlitetest.New(t)
	s := newSite(t, siteOptions{config: func(c *authgo.Config) {
		c.Session.Strategy, c.Session.Store, c.Users = authgo.StrategyDatabase, st, st
	}})
	rowToken := func() (at, rt string) {
		t.Helper()
		if err := db.QueryRowContext(t.Context(), `SELECT access_token, refresh_token FROM accounts WHERE provider = 'backend'`).Scan(&at, &rt); err != nil {
			t.Fatal(err)
		}
		return at, rt
	}
	at1, rt1 := rowToken()
	if rec := s.serve(s.req("GET", "/api/x", nil)); rec.Code != 200 || s.up.last(t).Header.Get("Authorization") != "Bearer "+at1 {
		t.Fatalf("%d, upstream saw %q, row holds %q", rec.Code, s.up.last(t).Header.Get("Authorization"), at1)
	}

	s.clk.Add(10 * time.Minute) // past the access token's expiry
	var wg sync.WaitGroup
	codes := make([]int, 30)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = s.serve(s.req("GET", "/api/x", nil)).Code
		}()
	}
	wg.Wait()
	for i, c := range codes {
		if c != 200 {
			t.Fatalf("request %d: %d", i, c)
		}
	}
	if n := s.b.Refreshes.Load(); n != 1 {
		t.Fatalf("%d refreshes for 30 requests", n)
	}
	at2, rt2 := rowToken()
	if at2 == at1 || rt2 == rt1 || s.up.last(t).Header.Get("Authorization") != "Bearer "+at2 {
		t.Fatalf("row %q/%q (was %q/%q), upstream saw %q", at2, rt2, at1, rt1, s.up.last(t).Header.Get("Authorization"))
	}
}
