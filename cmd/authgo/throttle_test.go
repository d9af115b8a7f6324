package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/adapters/sqlite"
	"github.com/authgo/authgo/internal/password"
)

// TestSignInThrottled: ten wrong passwords lock the username (in any case
// or spacing) for the window, even for the right password; other users and
// other addresses are not affected by a per-user lockout.
func TestSignInThrottled(t *testing.T) {
	ctx := t.Context()
	db, store, err := openStore(ctx, filepath.Join(t.TempDir(), "authgo.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, name := range []string{"alice", "bob"} {
		h, _ := password.Hash("right")
		if _, err := store.CreatePasswordUser(ctx, name, h, sqlite.User{}); err != nil {
			t.Fatal(err)
		}
	}
	p, err := newCredentials(store, slog.New(slog.NewTextHandler(io.Discard, nil)), false)
	if err != nil {
		t.Fatal(err)
	}
	try := func(user, pw, addr string) (*authgo.User, error) {
		r := httptest.NewRequest("POST", "/auth/callback/credentials", nil)
		r.RemoteAddr = addr
		return p.Authorize(ctx, authgo.Credentials{"username": user, "password": pw}, r)
	}
	for i := 0; i < 10; i++ {
		user := []string{"alice", "ALICE", " alice "}[i%3]
		if u, err := try(user, "wrong", "203.0.113.7:4000"); u != nil || err != nil {
			t.Fatalf("attempt %d: %v %v", i, u, err)
		}
	}
	var ce *authgo.CredentialsError
	if u, err := try("alice", "right", "198.51.100.1:1"); u != nil || !errors.As(err, &ce) || ce.Code != "rate_limited" {
		t.Fatalf("right password during lockout: %v %v", u, err)
	}
	if u, err := try("bob", "right", "203.0.113.7:4000"); u == nil || err != nil {
		t.Fatalf("bob locked out too: %v", err)
	}
}

// TestSignInThrottledBehindProxy: behind a proxy every request comes from
// its address; the per-address limit counts the X-Forwarded-For entry the
// proxy appended, so one client's 100 failures do not lock out another.
func TestSignInThrottledBehindProxy(t *testing.T) {
	ctx := t.Context()
	db, store, err := openStore(ctx, filepath.Join(t.TempDir(), "authgo.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	h, _ := password.Hash("right")
	if _, err := store.CreatePasswordUser(ctx, "victim", h, sqlite.User{}); err != nil {
		t.Fatal(err)
	}
	p, err := newCredentials(store, slog.New(slog.NewTextHandler(io.Discard, nil)), true)
	if err != nil {
		t.Fatal(err)
	}
	try := func(user, pw string, xff ...string) (*authgo.User, error) {
		r := httptest.NewRequest("POST", "/auth/callback/credentials", nil)
		r.RemoteAddr = "127.0.0.1:5000" // the proxy
		for _, v := range xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		return p.Authorize(ctx, authgo.Credentials{"username": user, "password": pw}, r)
	}
	// The attacker sprays 100 usernames; it forges a left-most entry, the
	// proxy appends its real address.
	for i := range 100 {
		if u, err := try(fmt.Sprint("user", i), "guess", "198.51.100.77, 203.0.113.9"); u != nil || err != nil {
			t.Fatalf("attempt %d: %v %v", i, u, err)
		}
	}
	var ce *authgo.CredentialsError
	if _, err := try("someone", "guess", "203.0.113.9"); !errors.As(err, &ce) || ce.Code != "rate_limited" {
		t.Fatalf("the attacker is not throttled: %v", err)
	}
	if u, err := try("victim", "right", "192.0.2.10"); u == nil || err != nil {
		t.Fatalf("another client is locked out: %v %v", u, err)
	}
	// Without an X-Forwarded-For the proxy's own address counts.
	if got := clientAddr(httptest.NewRequest("GET", "/", nil), true); got != "192.0.2.1" {
		t.Fatalf("clientAddr without the header = %q", got)
	}
}
