// Package backendtest plays the back end of the original setup for tests
// of the root package, the proxy and the Redis adapter: a real HTTP server
// that issues short-lived JWT access tokens at login, rotates refresh
// tokens on every refresh, refuses a refresh token used twice, and counts
// refresh calls; an authgo provider that signs in and refreshes against
// it; and a settable clock.
package backendtest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/provider"
)

// Backend is the back end: POST /login {"username","password"} (password
// "pw") and POST /refresh {"refreshToken"} answer {"accessToken",
// "refreshToken"}; a reused refresh token gets 400 invalid_grant.
type Backend struct {
	*httptest.Server
	Refreshes atomic.Int32  // refresh calls received
	Refused   atomic.Int32  // of them, answered 400: a reused refresh token
	Fail      atomic.Int32  // HTTP status to answer refreshes with; 0 = work
	Delay     time.Duration // how long each refresh takes; set before use

	mu       sync.Mutex
	lifetime time.Duration
	valid    map[string]string // refresh token → user
	n        int
	now      func() time.Time
}

// New starts a Backend whose access tokens live lifetime on the clock now;
// it stops with the test.
func New(t testing.TB, lifetime time.Duration, now func() time.Time) *Backend {
	b := &Backend{lifetime: lifetime, valid: map[string]string{}, now: now}
	b.Server = httptest.NewServer(http.HandlerFunc(b.serve))
	t.Cleanup(b.Close)
	return b
}

// Forget revokes every refresh token (revoked, or reused elsewhere).
func (b *Backend) Forget() {
	b.mu.Lock()
	b.valid = map[string]string{}
	b.mu.Unlock()
}

// issue makes an access token (an unsigned-looking JWT with sub and exp)
// and a refresh token for user; b.mu is held.
func (b *Backend) issue(user string) (at, rt string) {
	b.n++
	claims, _ := json.Marshal(map[string]any{"sub": user, "exp": b.now().Add(b.lifetime).Unix(), "n": b.n})
	at = "eyJhbGciOiJIUzI1NiJ9." + base64.RawURLEncoding.EncodeToString(claims) + ".sig"
	rt = fmt.Sprintf("rt-%s-%d", user, b.n)
	b.valid[rt] = user
	return
}

func (b *Backend) serve(w http.ResponseWriter, r *http.Request) {
	var in struct{ Username, Password, RefreshToken string }
	json.NewDecoder(r.Body).Decode(&in)
	switch r.URL.Path {
	case "/login":
		if in.Password != "pw" {
			w.WriteHeader(401)
			return
		}
		b.mu.Lock()
		at, rt := b.issue(in.Username)
		b.mu.Unlock()
		json.NewEncoder(w).Encode(map[string]any{"accessToken": at, "refreshToken": rt})
	case "/refresh":
		b.Refreshes.Add(1)
		time.Sleep(b.Delay)
		if s := b.Fail.Load(); s != 0 {
			w.WriteHeader(int(s))
			return
		}
		b.mu.Lock()
		user, ok := b.valid[in.RefreshToken]
		delete(b.valid, in.RefreshToken) // rotation: every refresh token works once
		var at, rt string
		if ok {
			at, rt = b.issue(user)
		}
		b.mu.Unlock()
		if !ok {
			b.Refused.Add(1)
			w.WriteHeader(400)
			io.WriteString(w, `{"error":"invalid_grant"}`)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"accessToken": at, "refreshToken": rt})
	}
}

// Provider is an authgo.TokenCredentialsProvider (id "backend") over a
// Backend, with the Refresh method authgo calls.
type Provider struct{ B *Backend }

// ID, Name, Type and Fields describe the provider.
func (p Provider) ID() string               { return "backend" }
func (p Provider) Name() string             { return "Back end" }
func (p Provider) Type() provider.Type      { return provider.TypeCredentials }
func (p Provider) Fields() []provider.Field { return nil }

// Authorize signs in with the posted username and password.
func (p Provider) Authorize(ctx context.Context, c provider.Credentials, r *http.Request) (*authgo.User, error) {
	u, _, err := p.AuthorizeWithTokens(ctx, c, r)
	return u, err
}

func (p Provider) post(ctx context.Context, path string, body any) (*http.Response, error) {
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequestWithContext(ctx, "POST", p.B.URL+path, strings.NewReader(string(raw)))
	return http.DefaultClient.Do(req)
}

// AuthorizeWithTokens signs in and returns the back end's tokens.
func (p Provider) AuthorizeWithTokens(ctx context.Context, c provider.Credentials, r *http.Request) (*authgo.User, *provider.TokenSet, error) {
	res, err := p.post(ctx, "/login", map[string]string{"username": c["username"], "password": c["password"]})
	if err != nil {
		return nil, nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		return nil, nil, nil
	}
	var out struct{ AccessToken, RefreshToken string }
	json.NewDecoder(res.Body).Decode(&out)
	return &authgo.User{ID: c["username"], Name: c["username"]}, &provider.TokenSet{AccessToken: out.AccessToken, RefreshToken: out.RefreshToken}, nil
}

// Refresh redeems rt: 400/401 are terminal (invalid_grant), other
// failures transient.
func (p Provider) Refresh(ctx context.Context, rt string) (*provider.TokenSet, error) {
	res, err := p.post(ctx, "/refresh", map[string]string{"refreshToken": rt})
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode == 400 || res.StatusCode == 401 {
		return nil, &provider.RefreshError{Code: "invalid_grant", Terminal: true}
	}
	if res.StatusCode != 200 {
		return nil, &provider.RefreshError{Code: fmt.Sprintf("http_%d", res.StatusCode)}
	}
	var out struct{ AccessToken, RefreshToken string }
	json.NewDecoder(res.Body).Decode(&out)
	return &provider.TokenSet{AccessToken: out.AccessToken, RefreshToken: out.RefreshToken}, nil
}

// Clock is a settable clock for Config.Now, safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a Clock at the current second.
func NewClock() *Clock { return &Clock{t: time.Now().Truncate(time.Second)} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Add moves the clock forward by d.
func (c *Clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }
