package main

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeDatabaseSessions: --session-strategy database through the
// binary. The cookie holds an opaque token; a sign-out deletes the row, so
// a kept copy opens nothing, after a restart too; `authgo user signout`
// ends database sessions as well.
func TestServeDatabaseSessions(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	srv := startServe(t, true, "--dev", "--addr", "127.0.0.1:0", "--data", dir, "--session-strategy", "database")
	demo := srv.demoPassword
	b := newBrowser(t, srv.origin)
	if res := b.signIn(b.csrfToken(), "demo", demo); res.status != http.StatusFound {
		t.Fatalf("sign-in: %d", res.status)
	}
	kept := b.sessionCookieOf()
	if _, v, _ := strings.Cut(kept, "="); len(v) != 43 {
		t.Fatalf("session cookie %q is not a 43-character token", kept)
	}
	if res := b.get("/auth/session"); !strings.Contains(res.body, `"name":"demo"`) {
		t.Fatalf("/auth/session: %s", res.body)
	}
	if res := b.postForm("/auth/signout", url.Values{"csrfToken": {b.csrfToken()}}); res.status != http.StatusFound {
		t.Fatalf("sign-out: %d", res.status)
	}
	if body := replay(t, srv.origin, kept); body != "null" {
		t.Fatalf("kept cookie after sign-out: %s", body)
	}
	if code := srv.stop(t); code != 0 {
		t.Fatalf("serve exited %d", code)
	}

	// From the environment; after a restart the users are still there.
	srv = startServeEnv(t, env{"AUTH_SESSION_STRATEGY": "database"}, false, "--dev", "--addr", "127.0.0.1:0", "--data", dir)
	if body := replay(t, srv.origin, kept); body != "null" {
		t.Fatalf("kept cookie after a restart: %s", body)
	}
	b = newBrowser(t, srv.origin)
	if res := b.signIn(b.csrfToken(), "demo", demo); res.status != http.StatusFound {
		t.Fatalf("sign-in after a restart: %d", res.status)
	}
	cookie := b.sessionCookieOf()
	if cookie == kept {
		t.Fatal("the second sign-in reused the first token")
	}
	// Not read before the signout: a "not revoked" answer is trusted for
	// RevocationCache (2 s) by the instance that gave it.
	var stderr bytes.Buffer
	if code := run(t.Context(), []string{"user", "signout", "--data", dir, "demo"}, strings.NewReader(""), io.Discard, &stderr, env{}.get); code != 0 {
		t.Fatalf("user signout: %d %s", code, stderr.String())
	}
	if body := replay(t, srv.origin, cookie); body != "null" {
		t.Fatalf("after user signout: %s", body)
	}
}

func TestServeSessionStrategyRefused(t *testing.T) {
	code, _, stderr := runInEnv(t, env{}, "serve", "--dev", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--session-strategy", "cookie")
	if code != exitUsage || !strings.Contains(stderr, "--session-strategy") {
		t.Fatalf("code %d, stderr %q", code, stderr)
	}
}
