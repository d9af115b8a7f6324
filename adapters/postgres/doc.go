// Package postgres keeps authgo's users, linked accounts and database
// sessions in PostgreSQL, in the tables @auth/pg-adapter uses, so that a
// Next.js app on Auth.js and Go services on authgo can share one user base
// and see each other's sessions.
//
// The schema is pg-adapter's exactly (users, accounts, sessions,
// verification_token: quoted camel-case columns, SERIAL ids, expires_at
// BIGINT, no foreign keys), plus authgo's own tables, all prefixed
// authgo_. [Migrate] creates what is missing, adopting a database
// pg-adapter's schema made; it never changes an Auth.js table beyond adding
// indexes.
//
// Unlike adapters/sqlite, which only authgo reads and which keeps the
// SHA-256 of each session token, this store keeps the token raw in
// "sessionToken", as Auth.js does: Auth.js must find authgo's sessions and
// authgo Auth.js's. A copy of the sessions table therefore opens every
// session in it; protect the database accordingly.
//
// User ids are the SERIAL integers, as decimal strings.
//
// Everything authgo serve keeps in SQLite can live here too, in authgo_
// tables: password users ([Store.CreatePasswordUser], authgo_credentials,
// each with a users row), sign-outs (the Store is an
// authgo.RevocationStore, authgo_revocations), sign-in lockouts
// ([Store.Counters], authgo_counters), the OAuth states used once
// ([Store.UseOnce], authgo_used), and email sign-in links (the Store is a
// store.VerificationTokenStore over Auth.js's verification_token).
// [Check] tells a program that leaves migrating to an operator whether
// [Migrate] has run.
//
// The caller owns the *pgxpool.Pool and closes it after the last use of
// the [Store].
package postgres
