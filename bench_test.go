package authgo_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkSessionEndpoint is GET /auth/session with a valid cookie: decode,
// callbacks, re-encode, cookie, JSON.
func BenchmarkSessionEndpoint(b *testing.B) {
	a := newAuth(b, nil)
	c := newClient(b, a)
	c.signIn(O, "alice", "wonderland")
	cookie := c.CookieHeader()
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("GET", O+"/auth/session", nil)
		req.Header.Set("Cookie", cookie)
		rec := httptest.NewRecorder()
		a.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
	}
}

// BenchmarkSession is a.Session(r): what server code pays to read the
// session.
func BenchmarkSession(b *testing.B) {
	a := newAuth(b, nil)
	c := newClient(b, a)
	c.signIn(O, "alice", "wonderland")
	req, _ := http.NewRequest("GET", O+"/page", nil)
	req.Header.Set("Cookie", c.CookieHeader())
	b.ReportAllocs()
	for b.Loop() {
		if s, _ := a.Session(req); s == nil {
			b.Fatal("no session")
		}
	}
}
