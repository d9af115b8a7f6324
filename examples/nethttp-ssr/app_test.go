package main

import (
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/authgo/authgo/internal/testkit"
)

func TestSSR(t *testing.T) {
	srv := httptest.NewUnstartedServer(nil)
	h, err := newApp(appConfig{Secret: "example-secret-0123456789abcdef0123456789", URL: "http://" + srv.Listener.Addr().String() + "/auth"})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = h
	srv.Start()
	defer srv.Close()
	b := testkit.NewJarBrowser(t, srv.URL)
	b.Client.CheckRedirect = nil // this browser follows redirects
	get := func(p string) (int, string) {
		res := b.Get(p)
		return res.StatusCode, res.Text
	}
	if _, body := get("/"); !strings.Contains(body, `data-status="unauthenticated"`) || !strings.Contains(body, `id="authgo-session"> null </script>`) {
		t.Fatalf("signed-out home:\n%s", body)
	}
	// The dashboard redirects to the sign-in page (the client follows).
	code, body := get("/dashboard/")
	if code != 200 || !strings.Contains(body, "Sign in") {
		t.Fatalf("dashboard signed out: %d", code)
	}
	b.PostForm("/auth/callback/credentials", url.Values{"csrfToken": {b.CSRFToken("/auth/csrf")}, "username": {"alice"}, "password": {"wonderland"}})
	code, body = get("/dashboard/")
	if code != 200 || !strings.Contains(body, `data-status="authenticated"`) || !strings.Contains(body, `<strong id="user-name">Alice</strong>`) {
		t.Fatalf("dashboard signed in: %d\n%s", code, body)
	}
	if !regexp.MustCompile(`id="authgo-session">\{"user":\{"name":"Alice","email":"alice@example.com"\},"expires":"[^"]+"\}</script>`).MatchString(body) {
		t.Fatalf("session not embedded for the client:\n%s", body)
	}
	if _, js := get("/auth/client.js"); !strings.Contains(js, "createAuthClient") {
		t.Fatal("client.js not served")
	}
}
