package redis_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/authgo/authgo/adapters/adaptertest"
	"github.com/authgo/authgo/adapters/redis"
	"github.com/authgo/authgo/adapters/sqlite"
	"github.com/authgo/authgo/internal/testkit"
	"github.com/authgo/authgo/internal/testkit/sqlitetest"
	"github.com/authgo/authgo/store"
)

// newUsers is a users store in a fresh SQLite file: where the users of
// sessions kept in Redis live.
func newUsers(t testing.TB) *sqlite.Store {
	t.Helper()
	s, _ := sqlitetest.New(t)
	return s
}

// split is sessions in Redis with users in SQL, as adaptertest sees a
// database.
type split struct {
	store.SessionStore
	store.UserStore
}

// CreateUserWithAccount is the users store's (SQLite's): users and their
// accounts stay in SQL beside Redis sessions.
func (s split) CreateUserWithAccount(ctx context.Context, u store.User, a store.Account) (store.User, error) {
	return s.UserStore.(store.UserWithAccountCreator).CreateUserWithAccount(ctx, u, a)
}

// sessionsFixture is a Sessions on the shared Redis under a prefix of the
// test's own, with users in SQLite.
type sessionsFixture struct {
	rdb    *goredis.Client
	prefix string
	s      *redis.Sessions
	users  *sqlite.Store
}

func newSessions(t *testing.T) *sessionsFixture {
	t.Helper()
	c := testRedis(t)
	f := &sessionsFixture{rdb: c, prefix: testPrefix(t, c), users: newUsers(t)}
	f.s = redis.NewSessions(c, f.users, redis.SessionsOptions{Prefix: f.prefix})
	return f
}

func (f *sessionsFixture) sessionKey(token string) string {
	return f.prefix + "s:" + store.SessionID(token)
}
func (f *sessionsFixture) userKey(id string) string { return f.prefix + "u:" + id }

func (f *sessionsFixture) user(t *testing.T, name string) store.User {
	t.Helper()
	u, err := f.users.CreateUser(t.Context(), store.User{Name: name, Email: name + "-" + rand.Text() + "@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (f *sessionsFixture) create(t *testing.T, s store.Session) store.Session {
	t.Helper()
	if s.Token == "" {
		s.Token = rand.Text() + rand.Text()
	}
	if err := f.s.CreateSession(t.Context(), s); err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
	return s
}

// expire gives a session the state Redis leaves when its expiry has
// passed: its key gone, its index entry scored in the past.
func (f *sessionsFixture) expire(t *testing.T, s store.Session) {
	t.Helper()
	ctx := t.Context()
	if err := f.rdb.PExpireAt(ctx, f.sessionKey(s.Token), time.UnixMilli(1)).Err(); err != nil {
		t.Fatal(err)
	}
	if err := f.rdb.ZAddXX(ctx, f.userKey(s.UserID), goredis.Z{Score: 1, Member: store.SessionID(s.Token)}).Err(); err != nil {
		t.Fatal(err)
	}
}

// TestSessions: the conformance suite with sessions in Redis and users,
// accounts in SQLite.
func TestSessions(t *testing.T) {
	c := testRedis(t)
	adaptertest.Sessions(t, func(t *testing.T) adaptertest.Database {
		users := newUsers(t)
		return split{redis.NewSessions(c, users, redis.SessionsOptions{Prefix: testPrefix(t, c)}), users}
	})
}

// TestSessionsExpiry: a session's key expires at the session's expiry,
// exactly (PEXPIRETIME), and UpdateSession moves it; the user's index
// expires with the last of its sessions. An update to a time already past
// ends the session.
func TestSessionsExpiry(t *testing.T) {
	f := newSessions(t)
	ctx := t.Context()
	u := f.user(t, "ttl")
	now := time.Now()
	exp := now.Add(time.Hour).Truncate(time.Millisecond)
	s := f.create(t, store.Session{UserID: u.ID, Expires: exp, Created: now, LastSeen: now})
	key := f.sessionKey(s.Token)
	expireTime := func(key string) time.Time {
		t.Helper()
		d, err := f.rdb.PExpireTime(ctx, key).Result()
		if err != nil || d <= 0 {
			t.Fatalf("PEXPIRETIME %s = %v, %v", key, d, err)
		}
		return time.UnixMilli(d.Milliseconds())
	}
	if got := expireTime(key); !got.Equal(exp) {
		t.Fatalf("the session key expires at %v, want %v", got, exp)
	}
	if d, err := f.rdb.PTTL(ctx, key).Result(); err != nil || d <= 0 || d > time.Hour {
		t.Fatalf("PTTL = %v, %v; want within the hour", d, err)
	}
	if got := expireTime(f.userKey(u.ID)); !got.Equal(exp) {
		t.Fatalf("the index expires at %v, want %v", got, exp)
	}

	later := now.Add(30 * 24 * time.Hour).Truncate(time.Millisecond)
	if err := f.s.UpdateSession(ctx, s.Token, later, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got := expireTime(key); !got.Equal(later) {
		t.Fatalf("after UpdateSession the key expires at %v, want %v", got, later)
	}
	if d, err := f.rdb.PTTL(ctx, key).Result(); err != nil || d <= 29*24*time.Hour {
		t.Fatalf("PTTL after UpdateSession = %v, %v; want about 30 days", d, err)
	}
	if got := expireTime(f.userKey(u.ID)); !got.Equal(later) {
		t.Fatalf("after UpdateSession the index expires at %v, want %v", got, later)
	}
	if sc, err := f.rdb.ZScore(ctx, f.userKey(u.ID), store.SessionID(s.Token)).Result(); err != nil || int64(sc) != later.UnixMilli() {
		t.Fatalf("index score %v, %v; want %d", sc, err, later.UnixMilli())
	}

	// A second, shorter session leaves the index with the longer one.
	f.create(t, store.Session{UserID: u.ID, Expires: exp, Created: now, LastSeen: now})
	if got := expireTime(f.userKey(u.ID)); !got.Equal(later) {
		t.Fatalf("a shorter session moved the index's expiry to %v", got)
	}

	// Moved into the past: Redis drops it, and its index entry goes.
	if err := f.s.UpdateSession(ctx, s.Token, now.Add(-time.Second), now); err != nil {
		t.Fatal(err)
	}
	if n, err := f.rdb.Exists(ctx, key).Result(); err != nil || n != 0 {
		t.Fatalf("key after an update into the past: exists %d, %v", n, err)
	}
	if _, err := f.rdb.ZScore(ctx, f.userKey(u.ID), store.SessionID(s.Token)).Result(); err != goredis.Nil {
		t.Fatalf("index entry after an update into the past: %v", err)
	}
	if got := expireTime(f.userKey(u.ID)); !got.Equal(exp) {
		t.Fatalf("the index expires at %v, want %v (its last session's)", got, exp)
	}

	// Created one already past: nothing kept.
	gone := f.create(t, store.Session{UserID: u.ID, Expires: now.Add(-time.Minute), Created: now, LastSeen: now})
	if n, _ := f.rdb.Exists(ctx, f.sessionKey(gone.Token)).Result(); n != 0 {
		t.Fatal("a session created expired was kept")
	}
	if got, _, err := f.s.SessionAndUser(ctx, gone.Token); err != nil || got != nil {
		t.Fatalf("SessionAndUser(created expired) = %+v, %v", got, err)
	}
}

// TestSessionsUpdateRecordsCreated: a session with no creation time gets
// lastSeen as its first sight, and keeps it on later updates.
func TestSessionsUpdateRecordsCreated(t *testing.T) {
	f := newSessions(t)
	ctx := t.Context()
	u := f.user(t, "first-sight")
	now := time.Now().Truncate(time.Millisecond)
	s := f.create(t, store.Session{UserID: u.ID, Expires: now.Add(time.Hour)})
	got, _, err := f.s.SessionAndUser(ctx, s.Token)
	if err != nil || got == nil || !got.Created.IsZero() || !got.LastSeen.IsZero() {
		t.Fatalf("SessionAndUser = %+v, %v; want zero Created and LastSeen", got, err)
	}
	for i, seen := range []time.Time{now, now.Add(time.Hour)} {
		if err := f.s.UpdateSession(ctx, s.Token, seen.Add(time.Hour), seen); err != nil {
			t.Fatal(err)
		}
		got, _, err = f.s.SessionAndUser(ctx, s.Token)
		if err != nil || got == nil || !got.Created.Equal(now) || !got.LastSeen.Equal(seen) {
			t.Fatalf("after update %d: %+v, %v; want created %v, last seen %v", i, got, err, now, seen)
		}
	}
}

// TestSessionsKeepNoToken: Redis holds SHA-256s of the tokens, never a
// token: no key name and no value under the prefix contains one.
func TestSessionsKeepNoToken(t *testing.T) {
	f := newSessions(t)
	ctx := t.Context()
	u := f.user(t, "hashed")
	now := time.Now()
	var tokens []string
	for _, tok := range []string{rand.Text() + rand.Text(), "2f0b7a1e-6c1d-4f7e-9a53-" + strings.ToLower(rand.Text()[:12])} {
		s := f.create(t, store.Session{Token: tok, UserID: u.ID, Expires: now.Add(time.Hour), Created: now, LastSeen: now,
			UserAgent: "test/1", ClientAddr: "192.0.2.1", Provider: "acme", ProviderAccountID: "acct"})
		tokens = append(tokens, s.Token)
	}
	keys, err := scan(ctx, f.rdb, f.prefix)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 3 {
		t.Fatalf("keys %q; want two sessions and one index", keys)
	}
	var everything strings.Builder
	for _, k := range keys {
		everything.WriteString(k + "\n")
		switch typ := f.rdb.Type(ctx, k).Val(); typ {
		case "hash":
			for fk, v := range f.rdb.HGetAll(ctx, k).Val() {
				everything.WriteString(fk + "=" + v + "\n")
			}
		case "zset":
			for _, m := range f.rdb.ZRange(ctx, k, 0, -1).Val() {
				everything.WriteString(m + "\n")
			}
		default:
			t.Fatalf("key %s is a %s", k, typ)
		}
	}
	dump := everything.String()
	for _, tok := range tokens {
		if strings.Contains(dump, tok) {
			t.Fatalf("Redis holds the token %q:\n%s", tok, dump)
		}
		if !strings.Contains(dump, f.sessionKey(tok)+"\n") {
			t.Fatalf("no key %s:\n%s", f.sessionKey(tok), dump)
		}
	}
}

// TestSessionsOfUser: listing a user's sessions, ending one and ending
// all; other users' sessions are never touched, and index entries of
// sessions that expired are dropped on the way.
func TestSessionsOfUser(t *testing.T) {
	f := newSessions(t)
	ctx := t.Context()
	a, b := f.user(t, "a"), f.user(t, "b")
	now := time.Now().Truncate(time.Millisecond)
	hour := now.Add(time.Hour)
	old := f.create(t, store.Session{UserID: a.ID, Expires: hour, Created: now.Add(-3 * time.Hour), LastSeen: now.Add(-2 * time.Hour), UserAgent: "old/1", ClientAddr: "192.0.2.1"})
	recent := f.create(t, store.Session{UserID: a.ID, Expires: hour, Created: now.Add(-time.Hour), LastSeen: now, UserAgent: "new/1", ClientAddr: "192.0.2.2", Provider: "acme", ProviderAccountID: "a1"})
	unseen := f.create(t, store.Session{UserID: a.ID, Expires: hour})
	expired := f.create(t, store.Session{UserID: a.ID, Expires: hour, Created: now, LastSeen: now.Add(time.Minute)})
	f.expire(t, expired)
	other := f.create(t, store.Session{UserID: b.ID, Expires: hour, Created: now, LastSeen: now})

	list, err := f.s.UserSessions(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.Session{recent, old, unseen}
	if len(list) != len(want) {
		t.Fatalf("UserSessions = %+v; want %d sessions", list, len(want))
	}
	for i, w := range want {
		g := list[i]
		if g.ID != store.SessionID(w.Token) || g.Token != "" || g.UserID != a.ID || !g.Expires.Equal(w.Expires) ||
			!g.Created.Equal(w.Created) || !g.LastSeen.Equal(w.LastSeen) || g.UserAgent != w.UserAgent ||
			g.ClientAddr != w.ClientAddr || g.Provider != w.Provider || g.ProviderAccountID != w.ProviderAccountID {
			t.Errorf("UserSessions[%d] = %+v; want %+v with ID %s and no token", i, g, w, store.SessionID(w.Token))
		}
	}
	if n, err := f.rdb.ZCard(ctx, f.userKey(a.ID)).Result(); err != nil || n != 3 {
		t.Fatalf("index of a holds %d entries (%v); want the expired one dropped", n, err)
	}
	if list, err := f.s.UserSessions(ctx, "nobody"); err != nil || len(list) != 0 {
		t.Fatalf("UserSessions(nobody) = %+v, %v", list, err)
	}

	// Another user's session, by id: left alone.
	if ok, err := f.s.DeleteUserSession(ctx, a.ID, store.SessionID(other.Token)); err != nil || ok {
		t.Fatalf("DeleteUserSession of b's session as a = %v, %v", ok, err)
	}
	if got, _, err := f.s.SessionAndUser(ctx, other.Token); err != nil || got == nil {
		t.Fatalf("b's session after a's attempt: %+v, %v", got, err)
	}
	for _, id := range []string{"", "short", strings.Repeat("*", 43), store.SessionID(other.Token) + "x", "../" + store.SessionID(old.Token)[3:]} {
		if ok, err := f.s.DeleteUserSession(ctx, a.ID, id); err != nil || ok {
			t.Fatalf("DeleteUserSession(%q) = %v, %v", id, ok, err)
		}
	}
	if ok, err := f.s.DeleteUserSession(ctx, a.ID, store.SessionID(old.Token)); err != nil || !ok {
		t.Fatalf("DeleteUserSession(old) = %v, %v", ok, err)
	}
	if got, _, err := f.s.SessionAndUser(ctx, old.Token); err != nil || got != nil {
		t.Fatalf("the deleted session opens: %+v, %v", got, err)
	}
	if ok, err := f.s.DeleteUserSession(ctx, a.ID, store.SessionID(old.Token)); err != nil || ok {
		t.Fatalf("DeleteUserSession(old) again = %v, %v", ok, err)
	}

	if n, err := f.s.DeleteUserSessions(ctx, a.ID); err != nil || n != 2 {
		t.Fatalf("DeleteUserSessions = %d, %v; want 2", n, err)
	}
	for _, s := range []store.Session{recent, unseen} {
		if got, _, err := f.s.SessionAndUser(ctx, s.Token); err != nil || got != nil {
			t.Fatalf("a session after DeleteUserSessions: %+v, %v", got, err)
		}
	}
	if n, _ := f.rdb.Exists(ctx, f.userKey(a.ID)).Result(); n != 0 {
		t.Fatal("a's index outlived DeleteUserSessions")
	}
	if n, err := f.s.DeleteUserSessions(ctx, a.ID); err != nil || n != 0 {
		t.Fatalf("DeleteUserSessions again = %d, %v", n, err)
	}
	if list, err := f.s.UserSessions(ctx, b.ID); err != nil || len(list) != 1 || list[0].ID != store.SessionID(other.Token) {
		t.Fatalf("b's sessions = %+v, %v", list, err)
	}
	keys, _ := scan(ctx, f.rdb, f.prefix)
	if len(keys) != 2 {
		t.Fatalf("keys left: %q; want b's session and index", keys)
	}
}

// TestSessionsStaleEntriesCleaned: a user who never lists their sessions
// does not collect index entries of expired ones: a sign-in drops them.
func TestSessionsStaleEntriesCleaned(t *testing.T) {
	f := newSessions(t)
	ctx := t.Context()
	u := f.user(t, "often")
	now := time.Now()
	for range 5 {
		f.expire(t, f.create(t, store.Session{UserID: u.ID, Expires: now.Add(time.Hour), Created: now, LastSeen: now}))
	}
	live := f.create(t, store.Session{UserID: u.ID, Expires: now.Add(time.Hour), Created: now, LastSeen: now})
	ids, err := f.rdb.ZRange(ctx, f.userKey(u.ID), 0, -1).Result()
	if err != nil || len(ids) != 1 || ids[0] != store.SessionID(live.Token) {
		t.Fatalf("index after a sign-in = %q, %v; want only the live session", ids, err)
	}
}

// TestSessionsBadInput: tokens and ids that name nothing are answered as
// no session, never as an error that would read as "store down".
func TestSessionsBadInput(t *testing.T) {
	f := newSessions(t)
	ctx := t.Context()
	for _, tok := range []string{"", strings.Repeat("x", 1<<20), "a\x00b\r\nDEL *", "*", f.prefix + "s:*", "\xff\xfe"} {
		if s, u, err := f.s.SessionAndUser(ctx, tok); err != nil || s != nil || u != nil {
			t.Errorf("SessionAndUser(%.20q) = %+v, %+v, %v", tok, s, u, err)
		}
		if err := f.s.UpdateSession(ctx, tok, time.Now().Add(time.Hour), time.Now()); err != nil {
			t.Errorf("UpdateSession(%.20q) = %v", tok, err)
		}
		if err := f.s.DeleteSession(ctx, tok); err != nil {
			t.Errorf("DeleteSession(%.20q) = %v", tok, err)
		}
	}
	for _, id := range []string{"", "*", strings.Repeat("x", 1<<20)} {
		if l, err := f.s.UserSessions(ctx, id); err != nil || len(l) != 0 {
			t.Errorf("UserSessions(%.20q) = %v, %v", id, l, err)
		}
		if n, err := f.s.DeleteUserSessions(ctx, id); err != nil || n != 0 {
			t.Errorf("DeleteUserSessions(%.20q) = %v, %v", id, n, err)
		}
	}
	if keys, _ := scan(ctx, f.rdb, f.prefix); len(keys) != 0 {
		t.Fatalf("bad input wrote %q", keys)
	}
	for _, s := range []store.Session{{UserID: "1", Expires: time.Now().Add(time.Hour)}, {Token: "t", Expires: time.Now().Add(time.Hour)}, {Token: "t", UserID: "1"}} {
		if err := f.s.CreateSession(ctx, s); err == nil {
			t.Errorf("CreateSession(%+v): no error", s)
		}
	}
	// A token already in use is refused, and the session is unchanged.
	u := f.user(t, "dup")
	s := f.create(t, store.Session{UserID: u.ID, Expires: time.Now().Add(time.Hour), UserAgent: "first"})
	if err := f.s.CreateSession(ctx, store.Session{Token: s.Token, UserID: u.ID, Expires: time.Now().Add(2 * time.Hour), UserAgent: "second"}); err == nil {
		t.Error("CreateSession of a token in use: no error")
	}
	if got, _, err := f.s.SessionAndUser(ctx, s.Token); err != nil || got == nil || got.UserAgent != "first" {
		t.Fatalf("after a refused duplicate: %+v, %v", got, err)
	}
}

// TestSessionsNoHalfWrites: a script that fails (a key of the wrong type,
// a Redis out of memory) writes nothing.
func TestSessionsNoHalfWrites(t *testing.T) {
	f := newSessions(t)
	ctx := t.Context()
	u := f.user(t, "wrongtype")
	now := time.Now()
	s := f.create(t, store.Session{UserID: u.ID, Expires: now.Add(time.Hour), Created: now, LastSeen: now})
	// The user's index replaced by a string.
	if err := f.rdb.Set(ctx, f.userKey(u.ID), "not an index", time.Hour).Err(); err != nil {
		t.Fatal(err)
	}
	tok := rand.Text() + rand.Text()
	if err := f.s.CreateSession(ctx, store.Session{Token: tok, UserID: u.ID, Expires: now.Add(time.Hour)}); err == nil {
		t.Fatal("CreateSession over a broken index: no error")
	}
	if n, _ := f.rdb.Exists(ctx, f.sessionKey(tok)).Result(); n != 0 {
		t.Fatal("a failed CreateSession left its session key")
	}
	if err := f.s.UpdateSession(ctx, s.Token, now.Add(2*time.Hour), now.Add(time.Minute)); err == nil {
		t.Fatal("UpdateSession over a broken index: no error")
	}
	if err := f.s.DeleteSession(ctx, s.Token); err == nil {
		t.Fatal("DeleteSession over a broken index: no error")
	}
	got, _, err := f.s.SessionAndUser(ctx, s.Token)
	if err != nil || got == nil || !got.Expires.Equal(s.Expires.Truncate(time.Millisecond)) || !got.LastSeen.Equal(s.LastSeen.Truncate(time.Millisecond)) {
		t.Fatalf("the session after failed scripts: %+v, %v; want it unchanged", got, err)
	}

	// Out of memory, on a Redis of this test's own.
	rds := testkit.StartRedis(t, false)
	rdb := goredis.NewClient(&goredis.Options{Addr: rds.Addr(), MaxRetries: -1})
	t.Cleanup(func() { rdb.Close() })
	rs := redis.NewSessions(rdb, f.users, redis.SessionsOptions{})
	s = store.Session{Token: rand.Text(), UserID: u.ID, Expires: now.Add(time.Hour), Created: now, LastSeen: now}
	if err := rs.CreateSession(ctx, s); err != nil {
		t.Fatal(err)
	}
	if err := rdb.ConfigSet(ctx, "maxmemory", "1").Err(); err != nil {
		t.Fatal(err)
	}
	if err := rs.CreateSession(ctx, store.Session{Token: tok, UserID: u.ID, Expires: now.Add(time.Hour)}); err == nil || !strings.Contains(err.Error(), "OOM") {
		t.Fatalf("CreateSession out of memory: %v", err)
	}
	if err := rs.UpdateSession(ctx, s.Token, now.Add(2*time.Hour), now.Add(time.Minute)); err == nil {
		t.Fatal("UpdateSession out of memory: no error")
	}
	if err := rdb.ConfigSet(ctx, "maxmemory", "0").Err(); err != nil {
		t.Fatal(err)
	}
	if keys, _ := scan(ctx, rdb, ""); len(keys) != 2 {
		t.Fatalf("keys after failed writes: %q; want the first session and its index", keys)
	}
	if got, _, err := rs.SessionAndUser(ctx, s.Token); err != nil || got == nil || !got.Expires.Equal(s.Expires.Truncate(time.Millisecond)) {
		t.Fatalf("the session after failed writes: %+v, %v", got, err)
	}
}

// TestSessionsRedisDown: with Redis stopped every method returns an
// error, fast, and SessionAndUser never a nil session without one (which
// would read as "signed out"). Once the same server is back, the same
// client works again, and what it held (with persistence) is there.
func TestSessionsRedisDown(t *testing.T) {
	rds := testkit.StartRedis(t, true)
	rdb, err := redis.Open(t.Context(), rds.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Close() })
	users := newUsers(t)
	u, err := users.CreateUser(t.Context(), store.User{Name: "down", Email: "down@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	s := redis.NewSessions(rdb, users, redis.SessionsOptions{OpTimeout: 300 * time.Millisecond})
	ctx := t.Context()
	now := time.Now()
	sess := store.Session{Token: rand.Text() + rand.Text(), UserID: u.ID, Expires: now.Add(time.Hour), Created: now, LastSeen: now}
	if err := s.CreateSession(ctx, sess); err != nil {
		t.Fatal(err)
	}

	rds.Kill()
	start := time.Now()
	if got, gu, err := s.SessionAndUser(ctx, sess.Token); err == nil || got != nil || gu != nil {
		t.Fatalf("SessionAndUser with Redis down = %+v, %+v, %v; want an error", got, gu, err)
	} else if errors.Is(err, context.DeadlineExceeded) {
		// Open's client dials once: a refused connection is an error
		// at once, not a wait for OpTimeout through dial retries.
		t.Fatalf("SessionAndUser with Redis down waited for its timeout: %v", err)
	}
	if err := s.CreateSession(ctx, store.Session{Token: rand.Text(), UserID: u.ID, Expires: now.Add(time.Hour)}); err == nil {
		t.Error("CreateSession with Redis down: no error")
	}
	if err := s.UpdateSession(ctx, sess.Token, now.Add(2*time.Hour), now); err == nil {
		t.Error("UpdateSession with Redis down: no error")
	}
	if err := s.DeleteSession(ctx, sess.Token); err == nil {
		t.Error("DeleteSession with Redis down: no error")
	}
	if _, err := s.UserSessions(ctx, u.ID); err == nil {
		t.Error("UserSessions with Redis down: no error")
	}
	if _, err := s.DeleteUserSession(ctx, u.ID, store.SessionID(sess.Token)); err == nil {
		t.Error("DeleteUserSession with Redis down: no error")
	}
	if _, err := s.DeleteUserSessions(ctx, u.ID); err == nil {
		t.Error("DeleteUserSessions with Redis down: no error")
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("seven calls with Redis down took %v", took)
	}

	rds.Restart()
	got, gu, err := s.SessionAndUser(ctx, sess.Token)
	if err != nil || got == nil || gu == nil || gu.ID != u.ID {
		t.Fatalf("SessionAndUser after the restart = %+v, %+v, %v", got, gu, err)
	}
	// The restarted server has no scripts cached: the client loads them.
	later := now.Add(2 * time.Hour).Truncate(time.Millisecond)
	if err := s.UpdateSession(ctx, sess.Token, later, now); err != nil {
		t.Fatalf("UpdateSession after the restart: %v", err)
	}
	if list, err := s.UserSessions(ctx, u.ID); err != nil || len(list) != 1 || !list[0].Expires.Equal(later) {
		t.Fatalf("UserSessions after the restart = %+v, %v", list, err)
	}
}

// TestSessionsUsersStoreDown: a users store that cannot answer is an
// error too, not a missing user.
func TestSessionsUsersStoreDown(t *testing.T) {
	c := testRedis(t)
	db, err := sql.Open("sqlite", sqlite.DSN(filepath.Join(t.TempDir(), "users.db")))
	if err != nil {
		t.Fatal(err)
	}
	users, err := sqlite.New(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	u, err := users.CreateUser(t.Context(), store.User{Name: "gone", Email: "gone@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	s := redis.NewSessions(c, users, redis.SessionsOptions{Prefix: testPrefix(t, c)})
	tok := rand.Text()
	if err := s.CreateSession(t.Context(), store.Session{Token: tok, UserID: u.ID, Expires: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if got, gu, err := s.SessionAndUser(t.Context(), tok); err == nil || got != nil || gu != nil {
		t.Fatalf("SessionAndUser with the users store closed = %+v, %+v, %v; want an error", got, gu, err)
	}
}

// BenchmarkSessionAndUser: what a database session read costs with the
// session in Redis (one HMGET on the loopback Redis) and its user in
// SQLite (one query on a file in the temp directory).
func BenchmarkSessionAndUser(b *testing.B) {
	c := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:6379"})
	defer c.Close()
	if err := c.Ping(b.Context()).Err(); err != nil {
		b.Skip("no Redis on 127.0.0.1:6379")
	}
	prefix := "authgo-bench:" + rand.Text() + ":"
	defer func() {
		if keys, err := scan(b.Context(), c, prefix); err == nil && len(keys) > 0 {
			c.Del(b.Context(), keys...)
		}
	}()
	users := newUsers(b)
	u, err := users.CreateUser(b.Context(), store.User{Name: "bench", Email: "bench@example.com"})
	if err != nil {
		b.Fatal(err)
	}
	s := redis.NewSessions(c, users, redis.SessionsOptions{Prefix: prefix})
	tok := rand.Text() + rand.Text()
	now := time.Now()
	if err := s.CreateSession(b.Context(), store.Session{Token: tok, UserID: u.ID, Expires: now.Add(time.Hour), Created: now, LastSeen: now, UserAgent: "bench/1", ClientAddr: "192.0.2.1"}); err != nil {
		b.Fatal(err)
	}
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if sess, gu, err := s.SessionAndUser(b.Context(), tok); err != nil || sess == nil || gu == nil {
				b.Fatal(sess, gu, err)
			}
		}
	})
	// The users store's part of it, for comparison.
	b.Run("user-alone", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if gu, err := users.User(b.Context(), u.ID); err != nil || gu == nil {
				b.Fatal(gu, err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if sess, gu, err := s.SessionAndUser(b.Context(), tok); err != nil || sess == nil || gu == nil {
					b.Error(sess, gu, err)
					return
				}
			}
		})
	})
}

// TestSessionsConcurrent: sign-ins, updates, sign-outs and "sign out
// everywhere" of one user at once leave the index and the session keys in
// agreement: every live session is in the index, and every index entry
// names a live session of the user.
func TestSessionsConcurrent(t *testing.T) {
	f := newSessions(t)
	ctx := t.Context()
	u := f.user(t, "busy")
	now := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, 1000)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 25 {
				tok := rand.Text() + rand.Text()
				if err := f.s.CreateSession(ctx, store.Session{Token: tok, UserID: u.ID, Expires: now.Add(time.Hour), Created: now, LastSeen: now}); err != nil {
					errs <- err
					return
				}
				var err error
				switch (w + i) % 4 {
				case 0:
					err = f.s.UpdateSession(ctx, tok, now.Add(2*time.Hour), now.Add(time.Minute))
				case 1:
					err = f.s.DeleteSession(ctx, tok)
				case 2:
					_, err = f.s.DeleteUserSession(ctx, u.ID, store.SessionID(tok))
				case 3:
					if i%5 == 0 {
						_, err = f.s.DeleteUserSessions(ctx, u.ID)
					} else {
						_, err = f.s.UserSessions(ctx, u.ID)
					}
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	keys, err := scan(ctx, f.rdb, f.prefix+"s:")
	if err != nil {
		t.Fatal(err)
	}
	live := map[string]bool{}
	for _, k := range keys {
		live[strings.TrimPrefix(k, f.prefix+"s:")] = true
	}
	ids, err := f.rdb.ZRange(ctx, f.userKey(u.ID), 0, -1).Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != len(live) {
		t.Fatalf("the index holds %d ids, Redis %d sessions", len(ids), len(live))
	}
	for _, id := range ids {
		if !live[id] {
			t.Fatalf("index entry %s names no session", id)
		}
	}
	list, err := f.s.UserSessions(ctx, u.ID)
	if err != nil || len(list) != len(live) {
		t.Fatalf("UserSessions = %d sessions, %v; want %d", len(list), err, len(live))
	}
	t.Logf("%d sessions left of 200", len(live))
}
