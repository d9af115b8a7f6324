package authgo_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/adapters/sqlite"
	"github.com/authgo/authgo/store"
)

// A "your devices" page: the user's database sessions, the most recently
// seen first, the one the request carries marked, and another one ended
// by its ID.
func ExampleAuth_Sessions() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "authgo-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	db, err := sql.Open("sqlite", sqlite.DSN(filepath.Join(dir, "authgo.db")))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	s, err := sqlite.New(ctx, db)
	if err != nil {
		log.Fatal(err)
	}
	a, err := authgo.New(authgo.Config{
		Secret:  []string{"a-secret-of-at-least-32-bytes-from-authgo-secret"},
		URL:     "https://app.example.com/auth",
		Users:   s,
		Session: authgo.SessionConfig{Strategy: authgo.StrategyDatabase, Store: s},
	})
	if err != nil {
		log.Fatal(err)
	}

	// What two sign-ins of Alice's wrote (through a's endpoints, in a
	// real program): a laptop two hours ago, a phone one hour ago.
	alice, err := s.CreateUser(ctx, store.User{Name: "Alice", Email: "alice@example.com"})
	if err != nil {
		log.Fatal(err)
	}
	now := time.Now()
	tokens := map[string]string{"Firefox on a laptop": "bGFwdG9wLXRva2VuLW9mLTMyLWJ5dGVzLWJhc2U2NHVybA", "Safari on a phone": "cGhvbmUtdG9rZW4tb2YtMzItYnl0ZXMtYmFzZTY0dXJsIQ"}
	for ua, ago := range map[string]time.Duration{"Firefox on a laptop": 2 * time.Hour, "Safari on a phone": time.Hour} {
		err := s.CreateSession(ctx, store.Session{Token: tokens[ua], UserID: alice.ID, Expires: now.Add(24 * time.Hour),
			Created: now.Add(-ago), LastSeen: now.Add(-ago), UserAgent: ua, ClientAddr: "198.51.100.7"})
		if err != nil {
			log.Fatal(err)
		}
	}

	// The phone asks for the page.
	r := httptest.NewRequest("GET", "https://app.example.com/devices", nil)
	r.AddCookie(&http.Cookie{Name: "__Secure-authjs.session-token", Value: tokens["Safari on a phone"]})
	tok, err := a.Token(r)
	if err != nil || tok == nil {
		log.Fatal("not signed in: ", err)
	}
	sessions, err := a.Sessions(ctx, tok.Subject)
	if err != nil {
		log.Fatal(err)
	}
	for _, sess := range sessions {
		if sess.ID == tok.StringClaim(authgo.ClaimSessionID) {
			fmt.Println(sess.UserAgent, "(this device)")
		} else {
			fmt.Println(sess.UserAgent, "from", sess.ClientAddr)
		}
	}

	// It signs the laptop out.
	if err := a.RevokeSession(ctx, tok.Subject, sessions[1].ID); err != nil {
		log.Fatal(err)
	}
	sessions, err = a.Sessions(ctx, tok.Subject)
	fmt.Println(len(sessions), "session left", err)
	// Output:
	// Safari on a phone (this device)
	// Firefox on a laptop from 198.51.100.7
	// 1 session left <nil>
}

// Under the JWT strategy sessions live only in their cookies: there is no
// list, and the error says so. RevokeUser ends them all.
func ExampleAuth_Sessions_jwt() {
	a, err := authgo.New(authgo.Config{
		Secret: []string{"a-secret-of-at-least-32-bytes-from-authgo-secret"},
		URL:    "https://app.example.com/auth",
	})
	if err != nil {
		log.Fatal(err)
	}
	_, err = a.Sessions(context.Background(), "user-1")
	fmt.Println(errors.Is(err, errors.ErrUnsupported))
	// Output: true
}
