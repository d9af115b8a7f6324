package client_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/client"
	"github.com/authgo/authgo/provider"
	"github.com/authgo/authgo/providers/credentials"
)

// liveServer starts an authgo server with the endpoints under base, the
// credentials user alice/wonderland, and a JWT callback that takes a new
// name from update({name}), and returns its origin.
func liveServer(t *testing.T, base string) string {
	t.Helper()
	// The listener exists before the server starts, so the Auth can be
	// built on its origin first.
	srv := httptest.NewUnstartedServer(nil)
	origin := "http://" + srv.Listener.Addr().String()
	p, err := credentials.New(credentials.Options{
		Authorize: func(ctx context.Context, c provider.Credentials, r *http.Request) (*authgo.User, error) {
			if c["username"] == "alice" && c["password"] == "wonderland" {
				return &authgo.User{ID: "user-1", Name: "Alice", Email: "alice@example.com"}, nil
			}
			return nil, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	a, err := authgo.New(authgo.Config{
		Secret:    []string{"client-test-secret-0123456789abcdef0123456789"},
		URL:       origin + base,
		Providers: []provider.Provider{p},
		Callbacks: authgo.Callbacks{
			JWT: func(ctx context.Context, p authgo.JWTParams) (*authgo.Token, error) {
				if p.Trigger == authgo.TriggerUpdate && p.Data != nil {
					var d struct{ Name string }
					if json.Unmarshal(p.Data, &d) == nil && d.Name != "" {
						p.Token.Name = d.Name
					}
				}
				return p.Token, nil
			},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = a
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestNode runs client_test.mjs with node: the stubbed tests, and the live
// ones against two real servers (base paths /auth and /api/auth). Without
// node it skips, except under CI=true, where it fails.
func TestNode(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("node is not installed; CI needs it for the browser client tests")
		}
		t.Skip("node is not installed: skipping the browser client tests")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "client_test.mjs")
	cmd.Env = append(os.Environ(),
		"AUTHGO_TEST_URL="+liveServer(t, "/auth"),
		"AUTHGO_TEST_URL_API="+liveServer(t, "/api/auth"),
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node --test client_test.mjs: %v\n%s", err, out)
	}
	if bytes.Contains(out, []byte("# SKIP")) {
		t.Fatalf("node skipped tests that should have run:\n%s", out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "# ") {
			t.Log(strings.TrimPrefix(line, "# "))
		}
	}
}

func TestHandler(t *testing.T) {
	h := client.Handler()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/auth/client.js", nil))
	if rec.Code != 200 || !bytes.Equal(rec.Body.Bytes(), client.JS()) {
		t.Fatalf("GET: %d, %d bytes", rec.Code, rec.Body.Len())
	}
	for k, want := range map[string]string{
		"Content-Type":           "text/javascript; charset=utf-8",
		"Cache-Control":          "no-cache",
		"X-Content-Type-Options": "nosniff",
		"ETag":                   client.ETag(),
	} {
		if got := rec.Header().Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}

	req := httptest.NewRequest("GET", "/auth/client.js", nil)
	req.Header.Set("If-None-Match", client.ETag())
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusNotModified || rec.Body.Len() != 0 {
		t.Errorf("If-None-Match: %d with %d bytes, want 304 and none", rec.Code, rec.Body.Len())
	}

	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/auth/client.js", nil))
	if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "GET, HEAD" {
		t.Errorf("POST: %d, Allow %q", rec.Code, rec.Header().Get("Allow"))
	}
}

func TestJS(t *testing.T) {
	js := string(client.JS())
	for _, want := range []string{
		"export function createAuthClient(",
		"export const getSession", "export const getCsrfToken", "export const getProviders",
		"export const signIn", "export const signOut",
		`"X-Auth-Return-Redirect": "1"`, `const CHANNEL = "next-auth"`, `credentials: "same-origin"`,
	} {
		if !strings.Contains(js, want) {
			t.Errorf("client.js lacks %q", want)
		}
	}
	if regexp.MustCompile(`(?m)^\s*import\b`).MatchString(js) {
		t.Error("client.js must not import anything")
	}
}
