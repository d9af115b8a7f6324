package postgres_test

import (
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/authgo/authgo/store"
)

// authjsSession inserts a sessions row as @auth/pg-adapter's createSession
// does (a UUID token, no authgo_sessions row) and returns its token.
func authjsSession(t *testing.T, pool *pgxpool.Pool, userID string, expires time.Time) string {
	t.Helper()
	b := make([]byte, 16)
	rand.Read(b)
	tok := fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
	if _, err := pool.Exec(t.Context(), `INSERT INTO sessions ("userId", expires, "sessionToken") VALUES ($1, $2, $3)`, userID, expires, tok); err != nil {
		t.Fatal(err)
	}
	return tok
}

// orphans counts authgo_sessions rows whose session is gone.
func orphans(t *testing.T, pool *pgxpool.Pool) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(t.Context(), `SELECT COUNT(*) FROM authgo_sessions a
		WHERE NOT EXISTS (SELECT 1 FROM sessions s WHERE s."sessionToken" = a.session_token)`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestUserSessionsAuthjsRows: a session Auth.js made, without an
// authgo_sessions row, is listed last with a zero Created and LastSeen and
// the ID of its raw token, and ends by that ID with its side row.
func TestUserSessionsAuthjsRows(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, pool := newStore(t)
	u, err := s.CreateUser(ctx, store.User{Name: "ada"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Truncate(time.Second)
	authjs := authjsSession(t, pool, u.ID, now.Add(time.Hour))
	ours := store.Session{Token: rand.Text(), UserID: u.ID, Expires: now.Add(time.Hour), Created: now, LastSeen: now, UserAgent: "test/1"}
	if err := s.CreateSession(ctx, ours); err != nil {
		t.Fatal(err)
	}
	list, err := s.UserSessions(ctx, u.ID)
	if err != nil || len(list) != 2 {
		t.Fatalf("UserSessions = %+v, %v", list, err)
	}
	if list[0].ID != store.SessionID(ours.Token) || list[1].ID != store.SessionID(authjs) || list[1].Token != "" ||
		!list[1].Created.IsZero() || !list[1].LastSeen.IsZero() || !list[1].Expires.Equal(now.Add(time.Hour)) {
		t.Fatalf("UserSessions = %+v; want authgo's session, then Auth.js's with no side data", list)
	}

	// Its first sight gives it a side row; deleting it by ID removes both.
	if err := s.UpdateSession(ctx, authjs, now.Add(time.Hour), now); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.DeleteUserSession(ctx, u.ID, store.SessionID(authjs)); err != nil || !ok {
		t.Fatalf("DeleteUserSession = %v, %v", ok, err)
	}
	var left int
	if err := pool.QueryRow(ctx, `SELECT (SELECT COUNT(*) FROM sessions WHERE "sessionToken" = $1) + (SELECT COUNT(*) FROM authgo_sessions WHERE session_token = $1)`, authjs).Scan(&left); err != nil || left != 0 {
		t.Fatalf("%d rows of the deleted session left, %v", left, err)
	}
	if list, err := s.UserSessions(ctx, u.ID); err != nil || len(list) != 1 || list[0].ID != store.SessionID(ours.Token) {
		t.Fatalf("UserSessions after DeleteUserSession = %+v, %v", list, err)
	}
}

// TestDeleteUserSessionsNoOrphans: "sign out everywhere" racing the first
// sights of Auth.js's sessions (UpdateSession adds their side rows) and
// authgo's sign-ins leaves no authgo_sessions row without its session, and
// no session of authgo's without its side row.
func TestDeleteUserSessionsNoOrphans(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, pool := newStore(t)
	u, err := s.CreateUser(ctx, store.User{Name: "grace"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Truncate(time.Second)
	for round := range 20 {
		var authjs []string
		for range 4 {
			authjs = append(authjs, authjsSession(t, pool, u.ID, now.Add(time.Hour)))
		}
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			errs []error
		)
		do := func(f func() error) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := f(); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}()
		}
		for _, tok := range authjs {
			do(func() error { return s.UpdateSession(ctx, tok, now.Add(time.Hour), now) })
		}
		for range 2 {
			do(func() error {
				return s.CreateSession(ctx, store.Session{Token: rand.Text(), UserID: u.ID, Expires: now.Add(time.Hour), Created: now, LastSeen: now})
			})
		}
		do(func() error { _, err := s.DeleteUserSessions(ctx, u.ID); return err })
		do(func() error { _, err := s.DeleteUserSession(ctx, u.ID, store.SessionID(authjs[0])); return err })
		do(func() error { return s.DeleteSession(ctx, authjs[1]) })
		wg.Wait()
		if len(errs) > 0 {
			t.Fatal(errors.Join(errs...))
		}
		if n := orphans(t, pool); n != 0 {
			t.Fatalf("round %d: %d authgo_sessions rows without their session", round, n)
		}
		var bare int
		if err := pool.QueryRow(ctx, `SELECT COUNT(*) FROM sessions s
			WHERE NOT EXISTS (SELECT 1 FROM authgo_sessions a WHERE a.session_token = s."sessionToken") AND s."sessionToken" NOT LIKE '%-%'`).Scan(&bare); err != nil || bare != 0 {
			t.Fatalf("round %d: %d of authgo's sessions without their side row, %v", round, bare, err)
		}
	}
	if _, err := s.DeleteUserSessions(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
}
