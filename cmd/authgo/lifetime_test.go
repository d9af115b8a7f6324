package main

import (
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/jwt"
)

const lifetimeSecret = "lifetime-test-secret-0123456789abcdef0123"

// mintSession makes a session cookie value as another app on the same
// secret would: issued at iat, with extra claims.
func mintSession(t *testing.T, iat time.Time, extra map[string]any) string {
	t.Helper()
	tok := &jwt.Token{Name: "Alice", Email: "alice@example.com", Subject: "user-1", Extra: extra}
	v, err := jwt.Encode(jwt.EncodeParams{Secrets: []string{lifetimeSecret}, Now: func() time.Time { return iat }, Token: tok})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestServeMaxLifetime: through authgo serve with its defaults, a cookie
// whose session began 400 days ago opens neither /auth/session nor a
// guarded page, however fresh its own iat; with AUTH_SESSION_MAX_LIFETIME
// a re-issued cookie never expires after the session's end.
func TestServeMaxLifetime(t *testing.T) {
	e := env{"AUTH_SECRET": lifetimeSecret}
	srv := startServeEnv(t, e, false, "--addr", "127.0.0.1:0", "--data", filepath.Join(t.TempDir(), "data"), "--protect", "/mypage/:path*")
	now := time.Now()
	old := "authjs.session-token=" + mintSession(t, now.Add(-time.Hour), map[string]any{
		authgo.ClaimAuthTime: float64(now.Add(-400 * 24 * time.Hour).Unix()), authgo.ClaimSessionID: "old-session"})
	b := newBrowser(t, srv.origin)
	if body := replay(t, srv.origin, old); body != "null" {
		t.Fatalf("a 400-day-old session opens /auth/session: %s", body)
	}
	req, _ := http.NewRequest("GET", srv.origin+"/mypage/x", nil)
	req.Header.Set("Cookie", old)
	if res := b.do(req); res.status != http.StatusFound {
		t.Fatalf("a 400-day-old session opens /mypage/x: %d", res.status)
	}
	young := "authjs.session-token=" + mintSession(t, now.Add(-time.Hour), map[string]any{
		authgo.ClaimAuthTime: float64(now.Add(-80 * 24 * time.Hour).Unix()), authgo.ClaimSessionID: "young-session"})
	if body := replay(t, srv.origin, young); !strings.Contains(body, `"name":"Alice"`) {
		t.Fatalf("an 80-day-old session is refused: %s", body)
	}

	// One hour in all, 30 days idle: the re-issued cookie ends with the hour.
	e2 := env{"AUTH_SECRET": lifetimeSecret, "AUTH_SESSION_MAX_LIFETIME": "3600"}
	srv2 := startServeEnv(t, e2, false, "--addr", "127.0.0.1:0", "--data", filepath.Join(t.TempDir(), "data"), "--session-max-age", "720h")
	start := now.Add(-10 * time.Minute)
	cookie := "authjs.session-token=" + mintSession(t, start, map[string]any{authgo.ClaimAuthTime: float64(start.Unix()), authgo.ClaimSessionID: "s"})
	req, _ = http.NewRequest("GET", srv2.origin+"/auth/session", nil)
	req.Header.Set("Cookie", cookie)
	res := newBrowser(t, srv2.origin).do(req)
	var reissued string
	for _, c := range (&http.Response{Header: res.header}).Cookies() {
		if c.Name == "authjs.session-token" {
			reissued = c.Value
		}
	}
	tok, err := jwt.Decode(jwt.DecodeParams{Token: reissued, Secrets: []string{lifetimeSecret}})
	if err != nil {
		t.Fatalf("re-issued cookie: %v (response %d %s)", err, res.status, res.body)
	}
	if end := start.Unix() + 3600; tok.ExpiresAt > end || tok.ExpiresAt < end-5 {
		t.Fatalf("re-issued exp %d, want the lifetime's end %d", tok.ExpiresAt, end)
	}
}

// TestServeSessionSettings: bad values name their flag or variable; a flag
// beats the environment.
func TestServeSessionSettings(t *testing.T) {
	for _, tt := range []struct {
		args []string
		env  env
		want string
	}{
		{[]string{"--session-max-age", "abc"}, nil, `invalid value "abc" for flag -session-max-age`},
		{nil, env{"AUTH_SESSION_MAX_AGE": "abc"}, `AUTH_SESSION_MAX_AGE="abc": want seconds (2592000) or a duration (720h)`},
		{[]string{"--session-max-age", "0"}, nil, "--session-max-age 0s: must be at least one second"},
		{nil, env{"AUTH_SESSION_MAX_LIFETIME": "0"}, "--session-max-lifetime 0s: must be at least one second (-1 for no limit)"},
		{[]string{"--session-update-age", "-5"}, nil, "--session-update-age -5s: must be at least one second"},
		{[]string{"--session-max-age", "0"}, env{"AUTH_SESSION_MAX_AGE": "3600"}, "--session-max-age 0s"},
	} {
		e := env{"AUTH_SECRET": lifetimeSecret}
		for k, v := range tt.env {
			e[k] = v
		}
		code, _, errOut := runInEnv(t, e, append([]string{"serve", "--addr", "127.0.0.1:0", "--data", t.TempDir()}, tt.args...)...)
		if code != exitUsage || !strings.Contains(errOut, tt.want) {
			t.Errorf("%q %v: exit %d, stderr %q; want 2 and %q", tt.args, tt.env, code, errOut, tt.want)
		}
	}
}

// TestServeForeignCookieSignOut: a cookie minted by a Next.js app (no
// auth_time, no session_id) that authgo serve re-issued is one session
// with the original: signing out with the re-issued copy ends the
// original copy too.
func TestServeForeignCookieSignOut(t *testing.T) {
	srv := startServeEnv(t, env{"AUTH_SECRET": lifetimeSecret}, false, "--addr", "127.0.0.1:0", "--data", filepath.Join(t.TempDir(), "data"))
	original := mintSession(t, time.Now().Add(-time.Minute), nil)
	b := newBrowser(t, srv.origin)
	b.SetCookie("authjs.session-token", original)
	if res := b.get("/auth/session"); !strings.Contains(res.body, `"name":"Alice"`) {
		t.Fatalf("the Next.js cookie: %s", res.body)
	}
	if b.sessionCookieOf() == "authjs.session-token="+original {
		t.Fatal("the cookie was not re-issued")
	}
	if res := b.postForm("/auth/signout", url.Values{"csrfToken": {b.csrfToken()}}); res.status != http.StatusFound {
		t.Fatalf("sign-out: %d", res.status)
	}
	if body := replay(t, srv.origin, "authjs.session-token="+original); body != "null" {
		t.Fatalf("the original Next.js cookie opens the session after the sign-out: %s", body)
	}
}

// runInEnv runs the program in process with e as its environment.
func runInEnv(t *testing.T, e env, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, s strings.Builder
	code = run(t.Context(), args, strings.NewReader(""), &o, &s, e.get)
	return code, o.String(), s.String()
}
