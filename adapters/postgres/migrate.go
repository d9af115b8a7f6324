package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// migrateLock is the key of the transaction-scoped advisory lock Migrate
// holds, so that two instances migrating at once run one after the other.
const migrateLock int64 = 0x61757468676f // "authgo" in ASCII

// authjsTables is @auth/pg-adapter's schema, verbatim (packages/adapter-pg/
// schema.sql of nextauthjs/next-auth, pg-adapter 1.11.3), by table: what
// Migrate creates for a table that is missing. Never edit it: Auth.js reads
// these tables.
var authjsTables = []struct{ name, ddl string }{
	{"verification_token", `CREATE TABLE verification_token
(
  identifier TEXT NOT NULL,
  expires TIMESTAMPTZ NOT NULL,
  token TEXT NOT NULL,

  PRIMARY KEY (identifier, token)
)`},
	{"accounts", `CREATE TABLE accounts
(
  id SERIAL,
  "userId" INTEGER NOT NULL,
  type VARCHAR(255) NOT NULL,
  provider VARCHAR(255) NOT NULL,
  "providerAccountId" VARCHAR(255) NOT NULL,
  refresh_token TEXT,
  access_token TEXT,
  expires_at BIGINT,
  id_token TEXT,
  scope TEXT,
  session_state TEXT,
  token_type TEXT,

  PRIMARY KEY (id)
)`},
	{"sessions", `CREATE TABLE sessions
(
  id SERIAL,
  "userId" INTEGER NOT NULL,
  expires TIMESTAMPTZ NOT NULL,
  "sessionToken" VARCHAR(255) NOT NULL,

  PRIMARY KEY (id)
)`},
	{"users", `CREATE TABLE users
(
  id SERIAL,
  name VARCHAR(255),
  email VARCHAR(255),
  "emailVerified" TIMESTAMPTZ,
  image TEXT,

  PRIMARY KEY (id)
)`},
}

// authgoTables are authgo's own tables, by name.
var authgoTables = []struct{ name, ddl string }{
	// The session facts Auth.js's sessions table has no column for, keyed
	// by the raw token, as "sessionToken" holds it. Times are those of
	// authgo's Session: Created is the sign-in MaxLifetime counts from;
	// provider and provider_account_id name the accounts row whose tokens
	// the session uses.
	{"authgo_sessions", `CREATE TABLE authgo_sessions (
  session_token VARCHAR(255) NOT NULL PRIMARY KEY,
  created_at TIMESTAMPTZ NOT NULL,
  last_seen_at TIMESTAMPTZ NOT NULL,
  user_agent TEXT,
  client_addr TEXT,
  provider TEXT,
  provider_account_id TEXT
)`},
	// Revoked sessions (kind 's', key = session id) and per-user cutoffs
	// (kind 'u', key = subject), as adapters/sqlite keeps them.
	{"authgo_revocations", `CREATE TABLE authgo_revocations (
  kind CHAR(1) NOT NULL CHECK (kind IN ('s', 'u')),
  key TEXT NOT NULL,
  revoked_at TIMESTAMPTZ NOT NULL,
  expires_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (kind, key)
)`},
	// Event counters (authgo.Counter).
	{"authgo_counters", `CREATE TABLE authgo_counters (
  key TEXT NOT NULL PRIMARY KEY,
  n BIGINT NOT NULL,
  ends_at TIMESTAMPTZ NOT NULL
)`},
	// Password users (Store.CreatePasswordUser): a users row each, and
	// here the username and password hash, as adapters/sqlite keeps them.
	// updated_at is when the password was last set. The foreign key is
	// authgo's table's own: Auth.js's deleteUser, which deletes the users
	// row, takes the password with it.
	{"authgo_credentials", `CREATE TABLE authgo_credentials (
  user_id INTEGER NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  username TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
)`},
	// Keys used once (Store.UseOnce): the OAuth states that reached a
	// callback, by their hash.
	{"authgo_used", `CREATE TABLE authgo_used (
  key TEXT NOT NULL PRIMARY KEY,
  expires_at TIMESTAMPTZ NOT NULL
)`},
	// WebAuthn credentials (passkeys), in the columns of Auth.js's
	// documented Authenticator table, which @auth/pg-adapter does not
	// have: ids and key standard base64, transports comma-joined. counter
	// is BIGINT: the authenticator's is an unsigned 32-bit number.
	{"authgo_authenticators", `CREATE TABLE authgo_authenticators (
  "credentialID" TEXT NOT NULL UNIQUE,
  "userId" INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  "providerAccountId" TEXT NOT NULL,
  "credentialPublicKey" TEXT NOT NULL,
  counter BIGINT NOT NULL,
  "credentialDeviceType" TEXT NOT NULL,
  "credentialBackedUp" BOOLEAN NOT NULL,
  transports TEXT,
  PRIMARY KEY ("userId", "credentialID")
)`},
}

// authgoIndexes are indexes authgo adds to Auth.js's tables and its own;
// unique ones may be refused by rows that violate them.
var authgoIndexes = []struct {
	name, ddl string
	unique    bool
}{
	// Auth.js looks sessions and accounts up by these and assumes them
	// unique without declaring it.
	{"authgo_sessions_token_key", `CREATE UNIQUE INDEX authgo_sessions_token_key ON sessions ("sessionToken")`, true},
	{"authgo_accounts_provider_key", `CREATE UNIQUE INDEX authgo_accounts_provider_key ON accounts (provider, "providerAccountId")`, true},
	// A user's sessions and accounts (listing and ending them).
	{"authgo_sessions_user", `CREATE INDEX authgo_sessions_user ON sessions ("userId")`, false},
	{"authgo_accounts_user", `CREATE INDEX authgo_accounts_user ON accounts ("userId")`, false},
	{"authgo_sessions_expires", `CREATE INDEX authgo_sessions_expires ON sessions (expires)`, false},
	{"authgo_revocations_expires", `CREATE INDEX authgo_revocations_expires ON authgo_revocations (expires_at)`, false},
	{"authgo_counters_ends", `CREATE INDEX authgo_counters_ends ON authgo_counters (ends_at)`, false},
	{"authgo_used_expires", `CREATE INDEX authgo_used_expires ON authgo_used (expires_at)`, false},
}

// ErrNotMigrated is returned, wrapped with what is missing, by [Check] for
// a database that [Migrate] has not brought up to this version's schema.
var ErrNotMigrated = errors.New("postgres: database schema not migrated")

// Check returns nil when pool's database has every table and index this
// version of the package uses, and otherwise an error wrapping
// [ErrNotMigrated] that names what is missing: the database was never
// migrated, or by an older authgo. It changes nothing; [Migrate] does.
// The unique indexes Migrate may have to skip (existing rows violate
// them) are not required.
//
// A program that does not migrate on its own (authgo serve leaves it to
// authgo migrate) calls it at start, to refuse a database it cannot use
// before any request finds out.
func Check(ctx context.Context, pool *pgxpool.Pool) error {
	if pool == nil {
		return errors.New("postgres: nil *pgxpool.Pool")
	}
	var names []string
	for _, t := range authjsTables {
		names = append(names, t.name)
	}
	for _, t := range authgoTables {
		names = append(names, t.name)
	}
	for _, ix := range authgoIndexes {
		if !ix.unique {
			names = append(names, ix.name)
		}
	}
	rows, err := pool.Query(ctx, `SELECT n FROM unnest($1::text[]) WITH ORDINALITY AS t (n, i)
		WHERE to_regclass(quote_ident(n)) IS NULL ORDER BY i`, names)
	if err != nil {
		return fmt.Errorf("postgres: check schema: %w", err)
	}
	missing, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("postgres: check schema: %w", err)
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: missing %s", ErrNotMigrated, strings.Join(missing, ", "))
	}
	return nil
}

// Migrate creates or upgrades the schema in pool's database, in one
// transaction, and returns what it did, one line a change (nil when the
// schema was up to date). It creates the Auth.js tables that are missing
// with @auth/pg-adapter's exact DDL, leaving existing ones (an Auth.js
// database it adopts) as they are, and authgo's own tables and indexes.
//
// The unique indexes on sessions("sessionToken") and accounts(provider,
// "providerAccountId") are added unless existing rows violate them: then
// Migrate leaves the table alone and says so in applied (the line starts
// with "skipped"); a later Migrate, once the duplicates are gone, adds
// them. Without them, the store still works, but duplicate rows Auth.js
// writes can make lookups ambiguous.
//
// Two processes migrating at once are safe: a transaction-scoped advisory
// lock runs them one after the other, and the second finds nothing to do.
// Each change is recorded in authgo_migrations.
func Migrate(ctx context.Context, pool *pgxpool.Pool) (applied []string, err error) {
	if pool == nil {
		return nil, errors.New("postgres: nil *pgxpool.Pool")
	}
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		applied = nil // BeginFunc does not retry, but keep the result honest
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrateLock); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		exists := func(name string) (bool, error) {
			var ok bool
			err := tx.QueryRow(ctx, `SELECT to_regclass(quote_ident($1)) IS NOT NULL`, name).Scan(&ok)
			return ok, err
		}
		create := func(name, ddl, what string) error {
			ok, err := exists(name)
			if err != nil || ok {
				return err
			}
			if _, err := tx.Exec(ctx, ddl); err != nil {
				return fmt.Errorf("create %s: %w", name, err)
			}
			applied = append(applied, "created "+what+" "+name)
			return nil
		}
		if err := create("authgo_migrations", `CREATE TABLE authgo_migrations (
  id SERIAL PRIMARY KEY,
  change TEXT NOT NULL,
  applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
)`, "table"); err != nil {
			return err
		}
		for _, t := range authjsTables {
			if err := create(t.name, t.ddl, "Auth.js table"); err != nil {
				return err
			}
		}
		for _, t := range authgoTables {
			if err := create(t.name, t.ddl, "table"); err != nil {
				return err
			}
		}
		for _, ix := range authgoIndexes {
			if !ix.unique {
				if err := create(ix.name, ix.ddl, "index"); err != nil {
					return err
				}
				continue
			}
			ok, err := exists(ix.name)
			if err != nil {
				return err
			}
			if ok {
				continue
			}
			// A savepoint, so that rows violating the index leave the
			// transaction usable.
			if _, err := tx.Exec(ctx, `SAVEPOINT authgo_unique`); err != nil {
				return err
			}
			_, err = tx.Exec(ctx, ix.ddl)
			var pgErr *pgconn.PgError
			switch {
			case err == nil:
				applied = append(applied, "created unique index "+ix.name)
				if _, err := tx.Exec(ctx, `RELEASE SAVEPOINT authgo_unique`); err != nil {
					return err
				}
			case errors.As(err, &pgErr) && pgErr.Code == "23505": // unique_violation
				if _, err := tx.Exec(ctx, `ROLLBACK TO SAVEPOINT authgo_unique`); err != nil {
					return err
				}
				applied = append(applied, fmt.Sprintf("skipped unique index %s: existing rows violate it (%s); remove the duplicates and migrate again", ix.name, pgErr.Detail))
			default:
				return fmt.Errorf("create %s: %w", ix.name, err)
			}
		}
		for _, change := range applied {
			if !strings.HasPrefix(change, "created ") {
				continue
			}
			if _, err := tx.Exec(ctx, `INSERT INTO authgo_migrations (change) VALUES ($1)`, change); err != nil {
				return fmt.Errorf("record: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: migrate: %w", err)
	}
	return applied, nil
}
