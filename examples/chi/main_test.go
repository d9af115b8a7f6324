package main

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestRouter(t *testing.T) {
	h, err := newRouter("example-secret-0123456789abcdef0123456789", "http://127.0.0.1:3002/auth")
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/home/42/review/", nil))
	if rec.Code != 302 || !strings.Contains(rec.Header().Get("Location"), "/auth/signin?callbackUrl="+url.QueryEscape("http://127.0.0.1:3002/home/42/review/")) {
		t.Fatalf("%d %q", rec.Code, rec.Header().Get("Location"))
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/me", nil))
	if rec.Code != 401 {
		t.Fatalf("api: %d", rec.Code)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != 200 {
		t.Fatalf("home: %d", rec.Code)
	}
}
