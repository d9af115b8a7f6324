package redis

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/authgo/authgo/store"
)

// DefaultSessionsPrefix starts the keys of Sessions by default.
const DefaultSessionsPrefix = "authgo:sess:"

// SessionsOptions configures Sessions. A zero field means its default.
type SessionsOptions struct {
	// Prefix starts every key. Default "authgo:sess:". Give each site its
	// own prefix when several share one Redis. On a Redis Cluster, put a
	// hash tag in it ("{authgo}:sess:"): a session's key and its user's
	// index are written together by one script.
	Prefix string
	// OpTimeout bounds every Redis call. Default 500 ms. A session read
	// that times out is refused (its cookie kept), never taken for a
	// sign-out.
	OpTimeout time.Duration
}

// Sessions is a [store.SessionStore] over Redis, for
// [authgo.SessionConfig.Store] under the database strategy, while the
// users and their accounts stay in the users store given to NewSessions
// (a SQL database). Each session is one hash named after
// [store.SessionID] of its token (its SHA-256: Redis never holds the
// token), which expires at the session's expiry; each user has an index
// of their sessions' ids, for listing them and signing out everywhere.
// Every change is one Lua script, which Redis runs atomically (Redis 5
// or later).
//
// Sessions is safe for concurrent use by multiple goroutines.
type Sessions struct {
	rdb   goredis.UniversalClient
	users store.UserStore
	o     SessionsOptions
}

var _ store.SessionStore = (*Sessions)(nil)

// NewSessions returns a Sessions that keeps sessions in rdb, which the
// caller built and closes, and reads their users from users, which must
// not be nil. It does not contact Redis.
func NewSessions(rdb goredis.UniversalClient, users store.UserStore, o SessionsOptions) *Sessions {
	if users == nil {
		panic("redis: NewSessions: nil users store")
	}
	if o.Prefix == "" {
		o.Prefix = DefaultSessionsPrefix
	}
	if o.OpTimeout <= 0 {
		o.OpTimeout = DefaultOpTimeout
	}
	return &Sessions{rdb: rdb, users: users, o: o}
}

// The keys: <Prefix>s:<SessionID>, a hash of the session's fields, and
// <Prefix>u:<user id>, a sorted set of the user's session ids scored by
// their expiry (Unix milliseconds).
func (s *Sessions) sessionPrefix() string        { return s.o.Prefix + "s:" }
func (s *Sessions) userPrefix() string           { return s.o.Prefix + "u:" }
func (s *Sessions) sessionKey(id string) string  { return s.sessionPrefix() + id }
func (s *Sessions) userKey(userID string) string { return s.userPrefix() + userID }
func (s *Sessions) keysOf(token string) (string, string) {
	id := store.SessionID(token)
	return id, s.sessionKey(id)
}

// The session hash's fields, in the order HMGET and the scripts return
// them. Times are Unix milliseconds; a zero time has no field.
var sessionFields = []string{"user", "expires", "created", "seen", "agent", "addr", "provider", "account"}

// The scripts read everything they need, and so meet a key of the wrong
// type or an out-of-memory refusal, before their first write: a script
// that fails leaves nothing half-written. touch makes a user's index
// expire with the last of its sessions; many runs cmd on a long list in
// chunks (Lua's unpack has a limit).
const luaHelpers = `
local function touch(idx)
	local top = redis.call("ZRANGE", idx, -1, -1, "WITHSCORES")
	if top[2] then redis.call("PEXPIREAT", idx, top[2]) end
end
local function many(cmd, key, list)
	for i = 1, #list, 500 do
		local j = math.min(i + 499, #list)
		if key then redis.call(cmd, key, unpack(list, i, j)) else redis.call(cmd, unpack(list, i, j)) end
	end
end
`

var (
	// KEYS: session, index. ARGV: id, expires, session key prefix,
	// field/value pairs. Index members whose sessions expired (score
	// before Redis's clock, key gone) are dropped on the way.
	createScript = goredis.NewScript(luaHelpers + `
if redis.call("EXISTS", KEYS[1]) == 1 then return redis.error_reply("ERR a session with this id exists") end
local t = redis.call("TIME")
local stale = {}
for _, m in ipairs(redis.call("ZRANGEBYSCORE", KEYS[2], "-inf", t[1] * 1000 + math.floor(t[2] / 1000))) do
	if redis.call("EXISTS", ARGV[3] .. m) == 0 then stale[#stale + 1] = m end
end
many("ZREM", KEYS[2], stale)
redis.call("HSET", KEYS[1], unpack(ARGV, 4))
redis.call("PEXPIREAT", KEYS[1], ARGV[2])
if redis.call("EXISTS", KEYS[1]) == 1 then
	redis.call("ZADD", KEYS[2], ARGV[2], ARGV[1])
end
touch(KEYS[2])
return 1`)

	// KEYS: session. ARGV: id, expires, last seen ("" for none), index
	// key prefix. A session that is gone stays gone.
	updateScript = goredis.NewScript(luaHelpers + `
local user = redis.call("HGET", KEYS[1], "user")
if not user then return 0 end
local idx = ARGV[4] .. user
redis.call("ZSCORE", idx, ARGV[1])
redis.call("HSET", KEYS[1], "expires", ARGV[2])
if ARGV[3] ~= "" then
	redis.call("HSET", KEYS[1], "seen", ARGV[3])
	redis.call("HSETNX", KEYS[1], "created", ARGV[3])
end
redis.call("PEXPIREAT", KEYS[1], ARGV[2])
if redis.call("EXISTS", KEYS[1]) == 1 then
	redis.call("ZADD", idx, ARGV[2], ARGV[1])
else
	redis.call("ZREM", idx, ARGV[1])
end
touch(idx)
return 1`)

	// KEYS: session. ARGV: id, index key prefix.
	deleteScript = goredis.NewScript(luaHelpers + `
local user = redis.call("HGET", KEYS[1], "user")
if not user then return 0 end
local idx = ARGV[2] .. user
redis.call("ZSCORE", idx, ARGV[1])
redis.call("DEL", KEYS[1])
redis.call("ZREM", idx, ARGV[1])
touch(idx)
return 1`)

	// KEYS: index. ARGV: session key prefix, user id. Returns {id,
	// fields...} for each live session of the user; drops the members
	// whose session is gone (expired) or is not the user's.
	listScript = goredis.NewScript(luaHelpers + `
local out, stale = {}, {}
for _, m in ipairs(redis.call("ZRANGE", KEYS[1], 0, -1)) do
	local f = redis.call("HMGET", ARGV[1] .. m, "user", "expires", "created", "seen", "agent", "addr", "provider", "account")
	if f[1] == ARGV[2] then
		table.insert(f, 1, m)
		out[#out + 1] = f
	else
		stale[#stale + 1] = m
	end
end
if #stale > 0 then
	many("ZREM", KEYS[1], stale)
	touch(KEYS[1])
end
return out`)

	// KEYS: index, session. ARGV: id, user id.
	deleteOneScript = goredis.NewScript(luaHelpers + `
local user = redis.call("HGET", KEYS[2], "user")
redis.call("ZSCORE", KEYS[1], ARGV[1])
if user == ARGV[2] then
	redis.call("DEL", KEYS[2])
	redis.call("ZREM", KEYS[1], ARGV[1])
	touch(KEYS[1])
	return 1
end
if redis.call("ZREM", KEYS[1], ARGV[1]) == 1 then touch(KEYS[1]) end
return 0`)

	// KEYS: index. ARGV: session key prefix, user id.
	deleteAllScript = goredis.NewScript(luaHelpers + `
local mine = {}
for _, m in ipairs(redis.call("ZRANGE", KEYS[1], 0, -1)) do
	if redis.call("HGET", ARGV[1] .. m, "user") == ARGV[2] then mine[#mine + 1] = ARGV[1] .. m end
end
many("DEL", false, mine)
redis.call("DEL", KEYS[1])
return #mine`)
)

// CreateSession adds sess: its hash, expiring at sess.Expires, and its id
// in its user's index, in one script. A session whose expiry has passed
// (by Redis's clock) is not kept. A token already in use is an error.
func (s *Sessions) CreateSession(ctx context.Context, sess store.Session) error {
	if sess.Token == "" || sess.UserID == "" {
		return errors.New("redis: create session: empty token or user id")
	}
	if sess.Expires.IsZero() {
		return errors.New("redis: create session: no expiry")
	}
	id, key := s.keysOf(sess.Token)
	exp := strconv.FormatInt(sess.Expires.UnixMilli(), 10)
	args := []any{id, exp, s.sessionPrefix(), "user", sess.UserID, "expires", exp}
	for _, f := range []struct {
		name string
		t    time.Time
	}{{"created", sess.Created}, {"seen", sess.LastSeen}} {
		if !f.t.IsZero() {
			args = append(args, f.name, strconv.FormatInt(f.t.UnixMilli(), 10))
		}
	}
	for _, f := range []struct{ name, v string }{
		{"agent", sess.UserAgent}, {"addr", sess.ClientAddr},
		{"provider", sess.Provider}, {"account", sess.ProviderAccountID},
	} {
		if f.v != "" {
			args = append(args, f.name, f.v)
		}
	}
	_, err := call(ctx, s.o.OpTimeout, func(ctx context.Context) (any, error) {
		return createScript.Run(ctx, s.rdb, []string{key, s.userKey(sess.UserID)}, args...).Result()
	}, nil)
	if err != nil {
		return fmt.Errorf("redis: create session: %w", err)
	}
	return nil
}

// SessionAndUser returns the session whose cookie value is token and its
// user: one HMGET, then the users store's User. A session that expired is
// gone from Redis, so it is never returned (nil, as for no session).
func (s *Sessions) SessionAndUser(ctx context.Context, token string) (*store.Session, *store.User, error) {
	if token == "" {
		return nil, nil, nil
	}
	id, key := s.keysOf(token)
	vals, err := call(ctx, s.o.OpTimeout, func(ctx context.Context) ([]any, error) {
		return s.rdb.HMGet(ctx, key, sessionFields...).Result()
	}, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("redis: session: %w", err)
	}
	sess, err := decodeSession(id, vals)
	if err != nil || sess == nil {
		return nil, nil, err
	}
	sess.Token = token
	u, err := s.users.User(ctx, sess.UserID)
	if err != nil {
		return nil, nil, fmt.Errorf("redis: the user of a session: %w", err)
	}
	if u == nil {
		return nil, nil, nil
	}
	return sess, u, nil
}

// UpdateSession moves the session's expiry (the key's and its index
// entry's) and its last sight, and records its creation at lastSeen when
// it has none, in one script. A session that is gone is left gone.
func (s *Sessions) UpdateSession(ctx context.Context, token string, expires, lastSeen time.Time) error {
	if token == "" {
		return nil
	}
	id, key := s.keysOf(token)
	seen := ""
	if !lastSeen.IsZero() {
		seen = strconv.FormatInt(lastSeen.UnixMilli(), 10)
	}
	_, err := call(ctx, s.o.OpTimeout, func(ctx context.Context) (any, error) {
		return updateScript.Run(ctx, s.rdb, []string{key}, id, expires.UnixMilli(), seen, s.userPrefix()).Result()
	}, nil)
	if err != nil {
		return fmt.Errorf("redis: update session: %w", err)
	}
	return nil
}

// DeleteSession removes the session and its index entry, in one script.
func (s *Sessions) DeleteSession(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	id, key := s.keysOf(token)
	_, err := call(ctx, s.o.OpTimeout, func(ctx context.Context) (any, error) {
		return deleteScript.Run(ctx, s.rdb, []string{key}, id, s.userPrefix()).Result()
	}, nil)
	if err != nil {
		return fmt.Errorf("redis: delete session: %w", err)
	}
	return nil
}

// UserSessions returns the user's live sessions, the most recently seen
// first: one script reads the index and every session in it, and drops
// the entries of sessions that expired.
func (s *Sessions) UserSessions(ctx context.Context, userID string) ([]store.Session, error) {
	if userID == "" {
		return nil, nil
	}
	rows, err := call(ctx, s.o.OpTimeout, func(ctx context.Context) ([]any, error) {
		return listScript.Run(ctx, s.rdb, []string{s.userKey(userID)}, s.sessionPrefix(), userID).Slice()
	}, nil)
	if err != nil {
		return nil, fmt.Errorf("redis: user sessions: %w", err)
	}
	out := make([]store.Session, 0, len(rows))
	for _, r := range rows {
		vals, ok := r.([]any)
		if !ok || len(vals) != 1+len(sessionFields) {
			return nil, errors.New("redis: user sessions: unexpected answer")
		}
		id, _ := vals[0].(string)
		sess, err := decodeSession(id, vals[1:])
		if err != nil {
			return nil, fmt.Errorf("redis: user sessions: %w", err)
		}
		if sess != nil {
			out = append(out, *sess)
		}
	}
	slices.SortFunc(out, func(a, b store.Session) int {
		return cmp.Or(b.LastSeen.Compare(a.LastSeen), b.Created.Compare(a.Created), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// DeleteUserSession removes the session of userID whose id is id, in one
// script, and reports whether there was one. An id that is not a
// [store.SessionID] names no session.
func (s *Sessions) DeleteUserSession(ctx context.Context, userID, id string) (bool, error) {
	if userID == "" || !validID(id) {
		return false, nil
	}
	n, err := call(ctx, s.o.OpTimeout, func(ctx context.Context) (int64, error) {
		return deleteOneScript.Run(ctx, s.rdb, []string{s.userKey(userID), s.sessionKey(id)}, id, userID).Int64()
	}, nil)
	if err != nil {
		return false, fmt.Errorf("redis: delete user session: %w", err)
	}
	return n == 1, nil
}

// DeleteUserSessions removes every session of userID and their index, in
// one script, and returns how many live sessions there were.
func (s *Sessions) DeleteUserSessions(ctx context.Context, userID string) (int, error) {
	if userID == "" {
		return 0, nil
	}
	n, err := call(ctx, s.o.OpTimeout, func(ctx context.Context) (int64, error) {
		return deleteAllScript.Run(ctx, s.rdb, []string{s.userKey(userID)}, s.sessionPrefix(), userID).Int64()
	}, nil)
	if err != nil {
		return 0, fmt.Errorf("redis: delete user sessions: %w", err)
	}
	return int(n), nil
}

// validID reports whether id can be a store.SessionID: 43 characters of
// base64url.
func validID(id string) bool {
	if len(id) != 43 {
		return false
	}
	for _, c := range []byte(id) {
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// decodeSession reads the values of sessionFields; nil when the hash has
// no user (the key is gone).
func decodeSession(id string, vals []any) (*store.Session, error) {
	if len(vals) != len(sessionFields) {
		return nil, errors.New("unexpected answer")
	}
	str := func(i int) string { v, _ := vals[i].(string); return v }
	if str(0) == "" {
		return nil, nil
	}
	sess := &store.Session{ID: id, UserID: str(0), UserAgent: str(4), ClientAddr: str(5), Provider: str(6), ProviderAccountID: str(7)}
	for i, dst := range map[int]*time.Time{1: &sess.Expires, 2: &sess.Created, 3: &sess.LastSeen} {
		v := str(i)
		if v == "" {
			continue
		}
		ms, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("session field %s is not a time: %q", sessionFields[i], v)
		}
		*dst = time.UnixMilli(ms)
	}
	if sess.Expires.IsZero() {
		return nil, errors.New("session record has no expiry")
	}
	return sess, nil
}
