package postgres_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/authgo/authgo/internal/testkit"
)

// TestConcurrentSignInsAndSignOuts: many browsers sign one user in at
// once, each reads its session and half of them sign out, round after
// round, all in parallel, through the library on PostgreSQL. Afterwards no
// row is half written: every sessions row has its authgo_sessions row and
// the reverse, the user has one users row and one accounts row, and every
// session left is one a browser kept and names that user.
//
// "first sign-ins together": the user's first sign-in races too, the users
// and accounts rows not existing yet when the browsers start. The store's
// CreateUserWithAccount makes the users row and the accounts row in one
// transaction, so the losers add nothing and sign in as the winner's user
// (no users row left without an account, no OAuthAccountNotLinked).
func TestConcurrentSignInsAndSignOuts(t *testing.T) {
	t.Run("first sign-in alone", func(t *testing.T) { concurrentSignIns(t, false) })
	t.Run("first sign-ins together", func(t *testing.T) { concurrentSignIns(t, true) })
}

// concurrentSignIns runs TestConcurrentSignInsAndSignOuts; with
// firstTogether, the user's first sign-in races too.
func concurrentSignIns(t *testing.T, firstTogether bool) {
	pool := freshDatabase(t)
	s := newSite(t, pool, "http://localhost:3000")
	if !firstTogether {
		b := testkit.NewHandlerBrowser(t, s.handler)
		b.Base = "http://localhost:3000"
		signIn(t, b, "alice")
		if r := b.PostForm("/auth/signout", url.Values{"csrfToken": {b.CSRFToken("/auth/csrf")}}); r.StatusCode != http.StatusFound {
			t.Fatalf("sign-out: %d", r.StatusCode)
		}
	}
	const browsers, rounds = 8, 4
	var (
		wg       sync.WaitGroup
		start    = make(chan struct{})
		mu       sync.Mutex
		kept     = map[string]bool{} // session tokens not signed out
		problems []string
	)
	problem := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		if len(problems) < 10 {
			problems = append(problems, fmt.Sprintf(format, args...))
		}
	}
	for i := range browsers {
		wg.Go(func() {
			<-start
			for round := range rounds {
				b := testkit.NewHandlerBrowser(t, s.handler)
				b.Base = "http://localhost:3000"
				csrf := b.CSRFToken("/auth/csrf")
				r := b.PostForm("/auth/callback/credentials", url.Values{"csrfToken": {csrf}, "username": {"alice"}, "password": {"wonderland"}})
				tok := b.Cookie("authjs.session-token")
				if r.StatusCode != http.StatusFound || strings.Contains(r.Header.Get("Location"), "error") || tok == "" {
					problem("browser %d round %d: sign-in %d %s", i, round, r.StatusCode, r.Header.Get("Location"))
					continue
				}
				if r := b.Get("/auth/session"); r.StatusCode != http.StatusOK || !strings.Contains(r.Text, `"email":"alice@example.com"`) {
					problem("browser %d round %d: session %d %.200s", i, round, r.StatusCode, r.Text)
				}
				if (i+round)%2 == 0 {
					mu.Lock()
					kept[tok] = true
					mu.Unlock()
					continue
				}
				r = b.PostForm("/auth/signout", url.Values{"csrfToken": {csrf}})
				if r.StatusCode != http.StatusFound || b.Cookie("authjs.session-token") != "" {
					problem("browser %d round %d: sign-out %d, cookie %q", i, round, r.StatusCode, b.Cookie("authjs.session-token"))
				}
				if r := b.Send(http.MethodGet, "/auth/session", "", "", "Cookie", "authjs.session-token="+tok); strings.TrimSpace(r.Text) != "null" {
					problem("browser %d round %d: the signed-out session still opens: %.200s", i, round, r.Text)
				}
			}
		})
	}
	close(start)
	wg.Wait()
	for _, p := range problems {
		t.Error(p)
	}
	checkRows(t, pool, kept)
	if t.Failed() {
		t.Logf("site log:\n%s", s.log.Tail(4000))
	}
}

// checkRows fails the test on a half-written row: a sessions row without
// its authgo_sessions row or the reverse, a session or an account whose
// user is gone, a users row no account names, or a session set other than
// kept; alice must have exactly one users row and one accounts row.
func checkRows(t *testing.T, pool *pgxpool.Pool, kept map[string]bool) {
	t.Helper()
	ctx := t.Context()
	for what, q := range map[string]string{
		"sessions rows without an authgo_sessions row": `SELECT count(*) FROM sessions s
			WHERE NOT EXISTS (SELECT 1 FROM authgo_sessions a WHERE a.session_token = s."sessionToken")`,
		"authgo_sessions rows without a sessions row": `SELECT count(*) FROM authgo_sessions a
			WHERE NOT EXISTS (SELECT 1 FROM sessions s WHERE s."sessionToken" = a.session_token)`,
		"sessions of no user": `SELECT count(*) FROM sessions s
			WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = s."userId")`,
		"accounts of no user": `SELECT count(*) FROM accounts a
			WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = a."userId")`,
		"users no account names (a sign-in's leftover)": `SELECT count(*) FROM users u
			WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a."userId" = u.id)`,
	} {
		var n int
		if err := pool.QueryRow(ctx, q).Scan(&n); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if n != 0 {
			t.Errorf("%d %s", n, what)
		}
	}
	var users, accounts int
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM users WHERE email = 'alice@example.com'),
		(SELECT count(*) FROM accounts WHERE provider = 'credentials' AND "providerAccountId" = 'alice-1')`).Scan(&users, &accounts); err != nil {
		t.Fatal(err)
	}
	if users != 1 || accounts != 1 {
		t.Errorf("alice has %d users rows and %d accounts rows, want 1 and 1", users, accounts)
	}
	rows, err := pool.Query(ctx, `SELECT s."sessionToken" FROM sessions s
		JOIN accounts a ON a."userId" = s."userId" AND a.provider = 'credentials' AND a."providerAccountId" = 'alice-1'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	found := map[string]bool{}
	for rows.Next() {
		var tok string
		if err := rows.Scan(&tok); err != nil {
			t.Fatal(err)
		}
		if !kept[tok] {
			t.Errorf("session %.8s… is in the table but was signed out (or never handed out)", tok)
		}
		found[tok] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for tok := range kept {
		if !found[tok] {
			t.Errorf("kept session %.8s… is not alice's row", tok)
		}
	}
}
