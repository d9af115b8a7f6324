package redis_test

// The back-end fixture of the root package's tokens_test.go, copied: test
// packages cannot import each other.

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
)

// backend plays the world's part: a back end that issues short-lived JWT
// access tokens at login, rotates refresh tokens on every refresh, refuses
// a refresh token used twice, and counts refresh calls.
type backend struct {
	*httptest.Server
	mu        sync.Mutex
	lifetime  time.Duration
	valid     map[string]string // refresh token → user
	refreshes atomic.Int32
	refused   atomic.Int32 // refreshes answered 400 (a reused refresh token)
	delay     time.Duration
	n         int
	now       func() time.Time
}

func newBackend(t testing.TB, lifetime time.Duration, now func() time.Time) *backend {
	b := &backend{lifetime: lifetime, valid: map[string]string{}, now: now}
	b.Server = httptest.NewServer(http.HandlerFunc(b.serve))
	t.Cleanup(b.Close)
	return b
}

func (b *backend) issue(user string) (at, rt string) {
	b.n++
	claims, _ := json.Marshal(map[string]any{"sub": user, "exp": b.now().Add(b.lifetime).Unix(), "n": b.n})
	at = "eyJhbGciOiJIUzI1NiJ9." + base64.RawURLEncoding.EncodeToString(claims) + ".sig"
	rt = fmt.Sprintf("rt-%s-%d", user, b.n)
	b.valid[rt] = user
	return
}

func (b *backend) serve(w http.ResponseWriter, r *http.Request) {
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
		b.refreshes.Add(1)
		time.Sleep(b.delay)
		b.mu.Lock()
		user, ok := b.valid[in.RefreshToken]
		delete(b.valid, in.RefreshToken) // rotation: every refresh token works once
		var at, rt string
		if ok {
			at, rt = b.issue(user)
		}
		b.mu.Unlock()
		if !ok {
			b.refused.Add(1)
			w.WriteHeader(400)
			io.WriteString(w, `{"error":"invalid_grant"}`)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"accessToken": at, "refreshToken": rt})
	}
}

// backendProvider is a TokenCredentialsProvider over the back end.
type backendProvider struct{ b *backend }

func (p backendProvider) ID() string                { return "backend" }
func (p backendProvider) Name() string              { return "Back end" }
func (p backendProvider) Type() authgo.ProviderType { return authgo.TypeCredentials }
func (p backendProvider) Fields() []authgo.Field    { return nil }
func (p backendProvider) Authorize(ctx context.Context, c authgo.Credentials, r *http.Request) (*authgo.User, error) {
	u, _, err := p.AuthorizeWithTokens(ctx, c, r)
	return u, err
}
func (p backendProvider) post(ctx context.Context, path string, body any) (*http.Response, error) {
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequestWithContext(ctx, "POST", p.b.URL+path, strings.NewReader(string(raw)))
	return http.DefaultClient.Do(req)
}
func (p backendProvider) AuthorizeWithTokens(ctx context.Context, c authgo.Credentials, r *http.Request) (*authgo.User, *authgo.TokenSet, error) {
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
	return &authgo.User{ID: c["username"], Name: c["username"]}, &authgo.TokenSet{AccessToken: out.AccessToken, RefreshToken: out.RefreshToken}, nil
}
func (p backendProvider) Refresh(ctx context.Context, rt string) (*authgo.TokenSet, error) {
	res, err := p.post(ctx, "/refresh", map[string]string{"refreshToken": rt})
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode == 400 || res.StatusCode == 401 {
		return nil, &authgo.RefreshError{Code: "invalid_grant", Terminal: true}
	}
	if res.StatusCode != 200 {
		return nil, &authgo.RefreshError{Code: fmt.Sprintf("http_%d", res.StatusCode)}
	}
	var out struct{ AccessToken, RefreshToken string }
	json.NewDecoder(res.Body).Decode(&out)
	return &authgo.TokenSet{AccessToken: out.AccessToken, RefreshToken: out.RefreshToken}, nil
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }
func newClock() *clock               { return &clock{t: time.Now().Truncate(time.Second)} }
