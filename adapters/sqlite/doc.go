// Package sqlite stores authgo's users in a SQLite database.
//
// It is the user store of `authgo serve`: local password users live in the
// Auth.js users table, with the column names @auth/pg-adapter uses (id, name,
// email, "emailVerified", image), and their usernames and password hashes in
// an authgo-owned table, authgo_credentials, that references it. Later
// versions add the other Auth.js tables (accounts, sessions,
// verification_token) to the same file through new migrations.
//
// # Connecting
//
// The package imports no driver. The caller opens the database with the
// driver of its choice and passes the *sql.DB to [New]. With the pure-Go
// driver modernc.org/sqlite (driver name "sqlite"), use [DSN] to build the
// recommended data source name for a database file:
//
//	db, err := sql.Open("sqlite", sqlite.DSN("/var/lib/authgo/authgo.db"))
//
// which is
//
//	file:///var/lib/authgo/authgo.db?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_txlock=immediate
//
// These settings matter because a *sql.DB is a pool of connections, and
// PRAGMAs such as busy_timeout and foreign_keys are per connection: only
// parameters in the DSN reach every connection. busy_timeout makes a
// connection wait for another writer instead of failing with SQLITE_BUSY;
// WAL lets readers proceed while one connection writes; foreign_keys makes
// deleting a user delete its credentials; _txlock=immediate takes the write
// lock when a transaction begins. With another driver, set the same four
// things in its own syntax.
//
// Do not use an in-memory database with a pool of more than one connection:
// each connection would see its own empty database.
//
// # Schema and migrations
//
// [New] applies versioned migrations, in one transaction, and records each
// applied version in the table authgo_migrations; [Migrate] does the same
// and says what it changed. It is idempotent and safe to run from several
// processes at once. (One caveat: when several processes open a brand-new
// file at the same moment, SQLite may fail one of them with SQLITE_BUSY while
// the DSN switches the file to WAL; retrying New then succeeds.) New refuses
// a database migrated by a newer authgo.
//
// Timestamps written by this package (created_at, updated_at) are RFC 3339
// UTC text with millisecond precision, as SQLite's strftime writes them.
//
// # Sessions, counters and callbacks
//
// A [*Store] is also an [authgo.RevocationStore] (table authgo_revocations)
// for Config.Session.Revocations, and [Store.Counters] an [authgo.Counter].
// Its [Store.UseOnce] (table authgo_used) is the optional method authgo
// looks for on the revocation store: with it, an OAuth callback is used
// once across every process that shares the file, and a replay is refused
// before the provider is asked to redeem its code.
//
// # Concurrency
//
// A [*Store] is safe for concurrent use by multiple goroutines, and several
// processes may share one database file.
//
// SQLite lets one connection at a time write to a file. When several
// connections of the pool want to write at once, all but one wait in
// SQLite's busy handler, which sleeps 1, 2, 5, … and up to 100 ms between
// tries and is not woken when the file is free: a burst of concurrent
// writes then takes many times longer than the same writes one after
// another, with a tail of seconds. So a Store queues its own writes in Go:
// every statement or transaction that writes (the Store's and its
// [Counters]') first takes the Store's write lock, served first come first
// served, and holds it until it commits or rolls back. Each write then
// finds the file free, and starts the moment the previous one ends. Reads
// take no lock: they run on the other connections of the pool, beside the
// writer, as WAL allows. A write waiting for the lock gives up when its
// context ends.
//
// The lock is the Store's: it orders the writes of one process. Another
// process on the same file (a second authgo serve, authgo migrate or the
// user commands), or a second Store or *sql.DB on it in this process, still
// waits through busy_timeout, as before; keep the timeout in the DSN.
// Transactions that read then write (creating a user with their account,
// the counters, sessions) hold the lock from their first statement, and,
// with _txlock=immediate, SQLite's write lock too, so they stay atomic
// against other processes as well.
//
// The lock works with any pool size, one connection included; a single
// connection (db.SetMaxOpenConns(1)) makes reads wait behind writes, so
// leave the pool larger for a file, and keep a few connections idle
// (db.SetMaxIdleConns(8), as authgo serve does): database/sql keeps two,
// and a new connection runs the DSN's PRAGMAs and reads the schema before
// its first query.
//
// # Durability
//
// The DSN keeps SQLite's default synchronous=FULL: each commit reaches
// the disk before it returns, so a sign-out, a used sign-in link or a
// counted failure survives a power cut. Under WAL, synchronous=NORMAL
// (append "&_pragma=synchronous(NORMAL)" to the DSN) skips that sync and
// syncs at checkpoints instead: the file is never corrupted, and an
// application crash loses nothing, but a power cut or operating-system
// crash may undo the last transactions, and with them a revocation, a
// used sign-in link (usable again) or a one-time OAuth state. authgo keeps
// FULL. On the machine the README's numbers come from, NORMAL made
// concurrent session refreshes (BenchmarkSessionsConcurrent) 2–4× faster
// and email sign-ins (BenchmarkEmailSignInToMail) up to 1.5×: worth it only
// where those losses are acceptable.
package sqlite
