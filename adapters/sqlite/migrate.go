package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// migrations holds the schema changes, in order: migrations[i] brings the
// database to version i+1. Append new versions; never edit one that has
// shipped. Each string is a single SQL statement, so that any driver can run
// it.
var migrations = [][]string{
	// 1: the Auth.js users table and authgo's password credentials.
	{
		// Column names as in @auth/pg-adapter's schema. id is TEXT (Auth.js
		// generates UUIDs) and NOT NULL, which SQLite does not imply for a
		// non-integer primary key. email is UNIQUE, as getUserByEmail
		// assumes; SQLite allows any number of NULL emails.
		// "emailVerified" holds RFC 3339 text.
		`CREATE TABLE users (
			id TEXT NOT NULL PRIMARY KEY,
			name TEXT,
			email TEXT UNIQUE,
			"emailVerified" TEXT,
			image TEXT
		)`,
		`CREATE TABLE authgo_credentials (
			user_id TEXT NOT NULL PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
			username TEXT NOT NULL UNIQUE,
			password_hash TEXT NOT NULL,
			created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
			updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
		)`,
	},
	// 2: revoked sessions (kind 's', key = session id) and per-user
	// cutoffs (kind 'u', key = subject), in Unix seconds.
	{
		`CREATE TABLE authgo_revocations (
			kind TEXT NOT NULL CHECK (kind IN ('s', 'u')),
			key TEXT NOT NULL,
			revoked_at INTEGER NOT NULL,
			expires_at INTEGER NOT NULL,
			PRIMARY KEY (kind, key)
		) WITHOUT ROWID`,
		`CREATE INDEX authgo_revocations_expires ON authgo_revocations (expires_at)`,
	},
	// 3: event counters (authgo.Counter): sign-in failures per username
	// and per address; ends_at in Unix milliseconds.
	{
		`CREATE TABLE authgo_counters (
			key TEXT NOT NULL PRIMARY KEY,
			n INTEGER NOT NULL,
			ends_at INTEGER NOT NULL
		) WITHOUT ROWID`,
		`CREATE INDEX authgo_counters_ends ON authgo_counters (ends_at)`,
	},
	// 4: keys used once (Store.UseOnce): the OAuth states that reached a
	// callback, by their hash; expires_at in Unix milliseconds.
	{
		`CREATE TABLE authgo_used (
			key TEXT NOT NULL PRIMARY KEY,
			expires_at INTEGER NOT NULL
		) WITHOUT ROWID`,
		`CREATE INDEX authgo_used_expires ON authgo_used (expires_at)`,
	},
	// 5: database sessions. Auth.js's accounts, sessions and
	// verification_token tables, column names as in @auth/pg-adapter's
	// schema ("userId" is TEXT, as users.id), with the unique indexes
	// Auth.js assumes but does not declare; times in Unix milliseconds.
	// "sessionToken" holds the SHA-256 of the cookie value, base64url,
	// never the value. authgo_sessions keeps what Auth.js's sessions table
	// has no column for: the sign-in time MaxLifetime counts from, the
	// last sight, the user agent and the client address.
	{
		`CREATE TABLE accounts (
			id INTEGER PRIMARY KEY AUTOINCREMENT,
			"userId" TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
			type TEXT NOT NULL,
			provider TEXT NOT NULL,
			"providerAccountId" TEXT NOT NULL,
			refresh_token TEXT,
			access_token TEXT,
			expires_at INTEGER,
			id_token TEXT,
			scope TEXT,
			session_state TEXT,
			token_type TEXT
		)`,
		`CREATE UNIQUE INDEX authgo_accounts_provider ON accounts (provider, "providerAccountId")`,
		`CREATE INDEX authgo_accounts_user ON accounts ("userId")`,
		`CREATE TABLE sessions (
			id INTEGER PRIMARY KEY AUTOINCREMENT,
			"userId" TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
			expires INTEGER NOT NULL,
			"sessionToken" TEXT NOT NULL UNIQUE
		)`,
		`CREATE INDEX authgo_sessions_user ON sessions ("userId")`,
		`CREATE INDEX authgo_sessions_expires ON sessions (expires)`,
		`CREATE TABLE verification_token (
			identifier TEXT NOT NULL,
			expires INTEGER NOT NULL,
			token TEXT NOT NULL,
			PRIMARY KEY (identifier, token)
		)`,
		`CREATE TABLE authgo_sessions (
			token_hash TEXT NOT NULL PRIMARY KEY REFERENCES sessions("sessionToken") ON DELETE CASCADE,
			created_at INTEGER NOT NULL,
			last_seen_at INTEGER NOT NULL,
			user_agent TEXT,
			client_addr TEXT
		) WITHOUT ROWID`,
	},
	// 6: the accounts row a database session signed in with (its
	// provider tokens are read from and refreshed into that row).
	{
		`ALTER TABLE authgo_sessions ADD COLUMN provider TEXT`,
		`ALTER TABLE authgo_sessions ADD COLUMN provider_account_id TEXT`,
	},
	// 7: WebAuthn credentials (passkeys), in the columns of Auth.js's
	// documented Authenticator table: ids and key standard base64,
	// transports comma-joined.
	{
		`CREATE TABLE authgo_authenticators (
			"credentialID" TEXT NOT NULL UNIQUE,
			"userId" TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
			"providerAccountId" TEXT NOT NULL,
			"credentialPublicKey" TEXT NOT NULL,
			counter INTEGER NOT NULL,
			"credentialDeviceType" TEXT NOT NULL,
			"credentialBackedUp" INTEGER NOT NULL,
			transports TEXT,
			PRIMARY KEY ("userId", "credentialID")
		)`,
	},
}

// Migrate brings db's schema up to date, in one transaction, and returns
// what it did, one line a change ("version 5: created table accounts"),
// or nil when the schema was up to date. [New] runs it too; call it on its
// own to report the changes (authgo migrate does).
//
// Users, revocations and everything else in the file are kept: the
// migrations only add tables, indexes and columns. A database migrated by
// a newer authgo is refused.
func Migrate(ctx context.Context, db *sql.DB) (applied []string, err error) {
	if db == nil {
		return nil, errors.New("sqlite: nil *sql.DB")
	}
	return migrate(ctx, db)
}

// migrate brings db to the latest schema version in one transaction, and
// records each version it applies in authgo_migrations.
//
// The transaction's first statement writes (a DELETE that matches
// nothing), so it holds SQLite's write lock before it reads the version,
// whatever the driver's transaction mode: when several processes migrate
// at once, one applies the migrations and the others, waiting for the
// lock (busy_timeout), find them recorded.
func migrate(ctx context.Context, db *sql.DB) ([]string, error) {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS authgo_migrations (
		version INTEGER NOT NULL PRIMARY KEY,
		applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
	)`); err != nil {
		return nil, fmt.Errorf("sqlite: create authgo_migrations: %w", err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("sqlite: migrate: %w", err)
	}
	defer tx.Rollback() // returns sql.ErrTxDone, ignored, after Commit
	if _, err := tx.ExecContext(ctx, `DELETE FROM authgo_migrations WHERE version IS NULL`); err != nil {
		return nil, fmt.Errorf("sqlite: migrate: lock: %w", err)
	}
	var current int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM authgo_migrations`).Scan(&current); err != nil {
		return nil, fmt.Errorf("sqlite: read schema version: %w", err)
	}
	if current > len(migrations) {
		return nil, fmt.Errorf("sqlite: database schema version %d is newer than this program's %d", current, len(migrations))
	}
	var applied []string
	for v := current + 1; v <= len(migrations); v++ {
		if _, err := tx.ExecContext(ctx, `INSERT INTO authgo_migrations (version) VALUES (?)`, v); err != nil {
			return nil, fmt.Errorf("sqlite: migration %d: %w", v, err)
		}
		for _, stmt := range migrations[v-1] {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return nil, fmt.Errorf("sqlite: migration %d: %w", v, err)
			}
			applied = append(applied, fmt.Sprintf("version %d: %s", v, describe(stmt)))
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("sqlite: migrate: commit: %w", err)
	}
	return applied, nil
}

var (
	createTable = regexp.MustCompile(`^CREATE TABLE (\w+)`)
	createIndex = regexp.MustCompile(`^CREATE (UNIQUE )?INDEX (\w+) ON (\w+)`)
	addColumn   = regexp.MustCompile(`^ALTER TABLE (\w+) ADD COLUMN (\w+)`)
)

// describe says what the migration statement stmt changes, for people.
func describe(stmt string) string {
	if m := createTable.FindStringSubmatch(stmt); m != nil {
		return "created table " + m[1]
	}
	if m := createIndex.FindStringSubmatch(stmt); m != nil {
		return "created " + strings.ToLower(m[1]) + "index " + m[2] + " on " + m[3]
	}
	if m := addColumn.FindStringSubmatch(stmt); m != nil {
		return "added column " + m[1] + "." + m[2]
	}
	first, _, _ := strings.Cut(stmt, "\n")
	return "ran " + first
}
