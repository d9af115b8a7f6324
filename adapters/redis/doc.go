// Package redis coordinates authgo's access-token refreshes between
// instances that share a Redis server.
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
// # Clients
//
// The caller builds and owns the go-redis client (a *goredis.Client,
// *goredis.ClusterClient, *goredis.Ring or failover client) and closes it;
// a Locker has nothing to close. [Open] builds a client from a redis:// URL,
// as `authgo serve` does with AUTH_REDIS_URL. With a cluster, each operation
// touches a single key, so the keys need no hash tags.
//
// A Locker is safe for concurrent use by multiple goroutines.
package redis
