// Package adaptertest checks that a store keeps the contracts authgo
// relies on. The adapters in this module run it against the real
// database, and a store written elsewhere should run it too, in its own
// tests:
//
//	package mystore_test
//
//	import (
//		"testing"
//
//		"github.com/authgo/authgo"
//		"github.com/authgo/authgo/adapters/adaptertest"
//		"github.com/authgo/authgo/store"
//		"example.com/mystore"
//	)
//
//	func TestRevocations(t *testing.T) {
//		db := openTestDatabase(t) // the real database, not a fake
//		adaptertest.Revocations(t, func(t *testing.T) authgo.RevocationStore {
//			return mystore.NewRevocations(db)
//		})
//	}
//
//	// Only for a store with the optional UseOnce method.
//	func TestUseOnce(t *testing.T) {
//		db := openTestDatabase(t)
//		adaptertest.UseOnce(t, func(t *testing.T) adaptertest.OnceStore {
//			return mystore.NewRevocations(db)
//		})
//	}
//
//	func TestCounter(t *testing.T) {
//		db := openTestDatabase(t)
//		adaptertest.Counter(t, func(t *testing.T) authgo.Counter {
//			return mystore.NewCounter(db)
//		})
//	}
//
//	// For a store behind the database strategy: sessions, users and
//	// accounts (store.SessionStore and store.UserStore in one value).
//	func TestSessions(t *testing.T) {
//		db := openTestDatabase(t)
//		adaptertest.Sessions(t, func(t *testing.T) adaptertest.Database {
//			return mystore.New(db)
//		})
//	}
//
//	// For a store of email sign-in links.
//	func TestVerificationTokens(t *testing.T) {
//		db := openTestDatabase(t)
//		adaptertest.VerificationTokens(t, func(t *testing.T) store.VerificationTokenStore {
//			return mystore.New(db)
//		})
//	}
//
//	// For a store of WebAuthn credentials (passkeys), next to its users.
//	func TestAuthenticators(t *testing.T) {
//		db := openTestDatabase(t)
//		adaptertest.Authenticators(t, func(t *testing.T) adaptertest.AuthenticatorDatabase {
//			return mystore.New(db)
//		})
//	}
//
// Each check runs as subtests of t and calls its constructor once per
// subtest. The checks do not need an empty database: the ids, subjects and
// keys they use are unique to the run. Some subtests call the store from
// many goroutines at once, so run them with -race.
//
// The package imports testing and is meant for tests only; no package of
// authgo that a program imports depends on it.
package adaptertest
