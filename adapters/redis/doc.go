// Package redis keeps in a Redis server what authgo instances share: a
// [*Locker] coordinates access-token refreshes, [*Revocations] records
// sign-outs, a [*Counter] counts sign-in failures, and [*Sessions] holds
// database sessions while users and their accounts stay in a SQL
// database. Redis stores the SHA-256 of every session token, never the
// token.
//
// # Refreshes
//
// Several authgo instances behind one site can receive the same session
// cookie at the same moment. Each would present the same refresh token to
// the back end, and a back end that rotates refresh tokens accepts only the
// first: the others fail and their users are signed out. Within one process
// authgo already runs a single refresh per refresh token; a [*Locker] set as
// [authgo.TokensConfig.Locker] extends that across processes:
//
//	rdb := goredis.NewClient(&goredis.Options{Addr: "redis:6379"})
//	cfg.Tokens.Locker = redis.NewLocker(rdb, redis.LockerOptions{})
//
// # How it works
//
// For every refresh token, authgo passes a key: the hex SHA-256 of the token,
// never the token. The Locker stores two Redis keys for it:
//
//   - <Prefix>lock:<key>, the lock. It is taken with SET NX, an expiry of
//     Lease (PX, or EX for whole seconds) and a random value of 130 bits from
//     crypto/rand that names its holder. While the holder works, a goroutine
//     extends the lease every Renew with a script that checks the value first
//     (compare and PEXPIRE), so a slow token endpoint does not outlive the
//     lease. Unlocking deletes the key with a compare-and-delete script: a
//     holder whose lease lapsed cannot delete the lock of the instance that
//     took it over.
//   - <Prefix>next:<key>, the outcome of the refresh, sealed by authgo with the
//     site's secret before it is stored, for the instances that lost the race
//     and for requests that still carry the old cookie.
//
// Both keys expire on their own; nothing needs cleaning up.
//
// # Timeouts and failures
//
// Every Redis call is bounded by [LockerOptions.OpTimeout] (500 ms by
// default), whatever the client's own settings: go-redis ignores context
// deadlines on socket reads unless the client was built with
// ContextTimeoutEnabled, so the Locker stops waiting on its own. When Redis
// cannot be reached, the Locker's methods return errors and authgo refreshes
// in-process only: cross-instance double refreshes become possible again,
// which costs a sign-in at worst and never exposes a token.
//
// A lease lock is only as safe as the assumption that its holder finishes
// before the lease ends; a process paused longer than the lease (GC, a
// suspended VM) can lose it without noticing. A Redis failover can also lose a
// freshly written lock. The lock protects the user's experience, not
// security: a back end that detects refresh-token reuse still has the last
// word.
//
// # Sessions
//
// Under the database strategy the cookie holds only a session token and
// the session lives in a store. [NewSessions] puts sessions in Redis and
// reads their users from another store (adapters/sqlite or
// adapters/postgres): the sessions' writes and expiry go to Redis, and
// the SQL database is asked only for the user:
//
//	cfg.Users = db // adapters/sqlite's or adapters/postgres's Store
//	cfg.Session.Strategy = authgo.StrategyDatabase
//	cfg.Session.Store = redis.NewSessions(rdb, db, redis.SessionsOptions{})
//
// Redis never holds a session token. Each session is a hash under
// <Prefix>s:<id>, where id is [store.SessionID] of the token: its SHA-256,
// base64url. A copy of Redis's data (a dump, a replica, a MONITOR
// listener) names sessions but opens none, as in adapters/sqlite (only
// adapters/postgres keeps the token itself, because Auth.js reads the
// same table). The hash holds the user's id, the expiry, the sign-in and
// last-seen times, the user agent and client address, and the provider
// account the session signed in with; provider tokens stay in the
// accounts row of the users store.
//
// The key expires at the session's expiry (PEXPIREAT), so Redis drops a
// session when it ends and nothing needs sweeping; UpdateSession moves
// it. An expired session is therefore never returned: SessionAndUser
// answers nil for it, as for no session. <Prefix>u:<user id> is a sorted
// set of the user's session ids, scored by expiry and expiring with the
// last of them: UserSessions, DeleteUserSession and DeleteUserSessions
// read it, and entries of sessions that expired are dropped when it is
// read and at each sign-in. Every change is one Lua script, which Redis
// runs atomically; each reads what it needs before its first write, so
// one that fails (a key of the wrong type, a Redis out of memory) writes
// nothing. Reading a session is one HMGET, then the users store's User:
// a guarded page costs one round trip to each store.
//
// When Redis cannot answer within OpTimeout, every method returns an
// error, never "no session": authgo then refuses the session (503 on
// guarded pages, /session answers null with the cookie kept) instead of
// signing anybody out, and the same client works again when Redis is
// back. Run Redis with persistence (appendonly yes): one that restarts
// empty signs everybody out.
//
// # Clients
//
// The caller builds and owns the go-redis client (a *goredis.Client,
// *goredis.ClusterClient, *goredis.Ring or failover client) and closes it;
// a Locker has nothing to close. [Open] builds a client from a redis:// URL,
// as `authgo serve` does with AUTH_REDIS_URL. With a cluster, each operation
// of the Locker, Revocations and Counter touches a single key, so their keys
// need no hash tags. Sessions' scripts touch a session and its user's
// index together, and list a user's sessions from inside one script: on a
// cluster, give SessionsOptions.Prefix a hash tag ("{authgo}:sess:"), which
// keeps all sessions in one slot.
//
// Every type of this package is safe for concurrent use by multiple
// goroutines.
package redis
