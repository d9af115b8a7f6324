package main

import (
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestServeBackend: AUTH_BACKEND_LOGIN_URL makes the sign-in form sign in
// against the back end (the original setup), and AUTH_REDIS_URL turns the
// shared refresh lock on.
func TestServeBackend(t *testing.T) {
	var logins atomic.Int32
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/me" {
			// The API behind --api: it sees the bearer, never the cookie.
			w.Write([]byte("auth=" + r.Header.Get("Authorization")[:10] + " cookie=" + r.Header.Get("Cookie")))
			return
		}
		var in struct{ Username, Password string }
		json.NewDecoder(r.Body).Decode(&in)
		if r.URL.Path != "/login" || in.Password != "pw" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		logins.Add(1)
		claims, _ := json.Marshal(map[string]any{"sub": "be-" + in.Username, "name": "Backend " + in.Username, "exp": time.Now().Add(time.Hour).Unix()})
		at := "eyJhbGciOiJSUzI1NiJ9." + base64.RawURLEncoding.EncodeToString(claims) + ".c2ln"
		json.NewEncoder(w).Encode(map[string]any{"accessToken": at, "refreshToken": "rt-1"})
	}))
	defer be.Close()
	e := env{
		"AUTH_SECRET":              strings.Repeat("k", 40),
		"AUTH_BACKEND_LOGIN_URL":   be.URL + "/login",
		"AUTH_BACKEND_REFRESH_URL": be.URL + "/refresh",
	}
	if redisUp(t) {
		e["AUTH_REDIS_URL"] = "redis://127.0.0.1:6379/0"
	}
	s := startServeEnv(t, e, false, "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--api", "/api="+be.URL)
	b := newBrowser(t, s.origin)
	r := b.postForm("/auth/callback/credentials", url.Values{"csrfToken": {b.csrfToken()}, "username": {"alice"}, "password": {"pw"}})
	if r.status != http.StatusFound || r.header.Get("Location") != s.origin {
		t.Fatalf("sign-in: %d %q", r.status, r.header.Get("Location"))
	}
	if logins.Load() != 1 {
		t.Fatal("the back end was not asked")
	}
	if r := b.get("/auth/session"); !strings.Contains(r.body, `"name":"Backend alice"`) || strings.Contains(r.body, "eyJ") {
		t.Fatalf("session: %s", r.body)
	}
	if r := b.postForm("/auth/callback/credentials", url.Values{"csrfToken": {b.csrfToken()}, "username": {"alice"}, "password": {"nope"}}); !strings.Contains(r.header.Get("Location"), "error=CredentialsSignin") {
		t.Fatalf("wrong password: %q", r.header.Get("Location"))
	}
	req, _ := http.NewRequest("GET", s.origin+"/api/me", nil)
	req.Header.Set("X-CSRF", "1")
	if r := b.do(req); r.status != http.StatusOK || r.body != "auth=Bearer eyJ cookie=" {
		t.Fatalf("api: %d %q", r.status, r.body)
	}
	if r := b.get("/api/me"); r.status != http.StatusForbidden {
		t.Fatalf("api without X-CSRF: %d", r.status)
	}
	if _, ok := e["AUTH_REDIS_URL"]; ok && !strings.Contains(s.stderr.String(), "shared through Redis") {
		t.Errorf("Redis lock not on:\n%s", s.stderr)
	}
	// Sign-out is recorded (in Redis when it is on): a kept copy of the
	// cookie no longer reaches the API.
	kept := b.sessionCookieOf()
	if r := b.postForm("/auth/signout", url.Values{"csrfToken": {b.csrfToken()}}); r.status != http.StatusFound {
		t.Fatalf("sign-out: %d", r.status)
	}
	req, _ = http.NewRequest("GET", s.origin+"/api/me", nil)
	req.Header.Set("X-CSRF", "1")
	req.Header.Set("Cookie", kept)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("api with a cookie kept from before sign-out: %d", res.StatusCode)
	}
}

// redisUp reports whether the test Redis answers; under CI=true it must.
func redisUp(t *testing.T) bool {
	c, err := (&net.Dialer{Timeout: time.Second}).Dial("tcp", "127.0.0.1:6379")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Redis at 127.0.0.1:6379 is required under CI: %v", err)
		}
		t.Logf("Redis not running; AUTH_REDIS_URL not tested: %v", err)
		return false
	}
	c.Close()
	return true
}
