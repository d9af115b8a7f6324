//go:build loadtest

package main

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/jwt"
)

// TestLoadServe is the short form of bench/load.sh's load phase, in
// process: 64 concurrent clients for 3 s on GET /auth/session, a guarded
// page and the proxy of one authgo serve. Every answer is a 200 that shows
// the session (or the upstream's body); none fails to arrive.
func TestLoadServe(t *testing.T) {
	const secret = "load-secret-0123456789abcdef0123456789abcdef"
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer load-access-token" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Write([]byte(`{"orders":[]}`))
	}))
	defer upstream.Close()
	dir := filepath.Join(t.TempDir(), "data")
	e := env{"AUTH_SECRET": secret, "AUTH_ACCESS_LOG": "false"}
	if code, _, stderr := userCmd(t, e, "add", "--data", dir, "alice"); code != 0 {
		t.Fatalf("user add: %s", stderr)
	}
	srv := startServeEnv(t, e, false, "--addr", "127.0.0.1:0", "--data", dir, "--protect", "/mypage/:path*", "--api", "/api="+upstream.URL)
	b := newBrowser(t, srv.origin)
	if res := b.signIn(b.csrfToken(), "alice", "new-password"); res.status != http.StatusFound {
		t.Fatalf("sign-in: %d", res.status)
	}
	// The proxy needs a session holding an access token; a credentials
	// sign-in has none.
	tok := &jwt.Token{Subject: "user-1", Name: "alice"}
	tok.Set(authgo.ClaimAccessToken, "load-access-token")
	tok.Set(authgo.ClaimExpiresAt, float64(time.Now().Add(time.Hour).Unix()))
	px, err := jwt.Encode(jwt.EncodeParams{Secrets: []string{secret}, Token: tok})
	if err != nil {
		t.Fatal(err)
	}
	probes := []probe{
		{name: "/auth/session", path: "/auth/session", cookie: b.sessionCookieOf(), want: `"name":"alice"`},
		{name: "/mypage/x", path: "/mypage/x", cookie: b.sessionCookieOf(), want: "Signed in as alice"},
		{name: "/api/orders", path: "/api/orders", cookie: jwt.CookieName + "=" + px, api: true, want: `{"orders":[]}`},
	}
	tl := &tally{status: map[string]int{}}
	stop := make(chan struct{})
	wg := runLoad(srv.origin, probes, 64, tl, stop)
	time.Sleep(3 * time.Second)
	close(stop)
	wg.Wait()
	p99, most := tl.latency()
	t.Logf("%d requests in 3 s (%.0f/s), p99 %v, slowest %v: %v", tl.n.Load(), float64(tl.n.Load())/3, p99.Round(time.Millisecond), most.Round(time.Millisecond), tl.status)
	for _, p := range tl.problems {
		t.Error(p)
	}
	for k, n := range tl.status {
		if !strings.HasSuffix(k, " 200") {
			t.Errorf("%d × %s", n, k)
		}
	}
	for _, p := range probes {
		if tl.status[p.name+" 200"] == 0 {
			t.Errorf("no 200 for %s", p.name)
		}
	}
}
