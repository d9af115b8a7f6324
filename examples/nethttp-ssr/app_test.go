package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
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
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	get := func(p string) (int, string) {
		res, err := c.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if _, body := get("/"); !strings.Contains(body, `data-status="unauthenticated"`) || !strings.Contains(body, `id="authgo-session"> null </script>`) {
		t.Fatalf("signed-out home:\n%s", body)
	}
	// The dashboard redirects to the sign-in page (the client follows).
	code, body := get("/dashboard/")
	if code != 200 || !strings.Contains(body, "Sign in") {
		t.Fatalf("dashboard signed out: %d", code)
	}
	_, csrf := get("/auth/csrf")
	tok := regexp.MustCompile(`[0-9a-f]{64}`).FindString(csrf)
	res, err := c.PostForm(srv.URL+"/auth/callback/credentials", url.Values{"csrfToken": {tok}, "username": {"alice"}, "password": {"wonderland"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
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
