package postgres_test

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/store"
)

// BenchmarkDatabaseSession is a database session read on PostgreSQL
// through the library, in process: GET /auth/session (the row read, the
// cookie re-sent, the JSON) and a page behind the middleware. The session
// is made directly in the store (no provider tokens), as bench/db.sh makes
// it; the session cache (SessionConfig.StoreCache, 2 s) is on, so the
// store is asked once per 2 s. bench/db.sh loads the same over HTTP.
func BenchmarkDatabaseSession(b *testing.B) {
	pool := freshDatabase(b)
	s := newSite(b, pool, "http://localhost:3000")
	u, err := s.store.CreateUser(b.Context(), store.User{Name: "Alice", Email: "alice@example.com"})
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now().Truncate(time.Second)
	const token = "0b6f1e38-6c43-4c7f-9d59-2f4a8f1c5e21" // a UUID, as Auth.js mints them
	if err := s.store.CreateSession(b.Context(), store.Session{Token: token, UserID: u.ID,
		Expires: now.Add(authgo.DefaultMaxAge), Created: now, LastSeen: now}); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct{ name, path, want string }{
		{"session", "/auth/session", `"name":"Alice"`},
		{"guarded", "/mypage/x", "Signed in as Alice"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest("GET", "http://localhost:3000"+bc.path, nil)
				req.Header.Set("Cookie", "authjs.session-token="+token)
				rec := httptest.NewRecorder()
				s.handler.ServeHTTP(rec, req)
				if rec.Code != 200 {
					b.Fatalf("%d %s", rec.Code, rec.Body)
				}
			}
		})
	}
}
