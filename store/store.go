// Package store defines what authgo asks of a database that keeps users,
// their linked accounts and database sessions: the Auth.js adapter
// contract, split into small interfaces so that a store implements only
// what it holds (STYLE §2). A store for sessions alone (Redis, say)
// implements [SessionStore]; a SQL database implements [SessionStore] and
// [UserStore].
//
// Configure them with authgo.Config.Users and authgo.SessionConfig.Store.
// adapters/sqlite implements both; adapters/adaptertest checks any store
// against the contracts documented here.
//
// Every method takes the request's context first and may be called from
// many goroutines at once: implementations must be safe for concurrent use.
// "Not found" is never an error: the lookups return nil, as Auth.js
// adapters return null. An error means the store could not answer; authgo
// then treats the request as neither signed in nor signed out.
package store

import (
	"context"
	"errors"
	"time"
)

// ErrAccountLinked is returned, possibly wrapped, by
// [UserStore.LinkAccount] when the provider account is already linked (to
// any user): at most one accounts row exists per provider and
// provider account id, even when two sign-ins race.
var ErrAccountLinked = errors.New("store: account already linked")

// Session is a database session: a row of Auth.js's sessions table and, in
// authgo's own side table (authgo_sessions), what the sessions table does
// not hold.
type Session struct {
	// Token is the value of the session cookie. authgo mints 32 random
	// bytes, base64url; Auth.js mints a UUID. A store may keep a hash of
	// it instead of the token (adapters/sqlite keeps its SHA-256), but
	// looks sessions up by the token itself.
	Token   string
	UserID  string
	Expires time.Time // the row's expiry; rewritten at most once per UpdateAge

	// Kept in authgo_sessions.
	Created    time.Time // the sign-in: Session.MaxLifetime counts from it
	LastSeen   time.Time // updated no more often than Expires
	UserAgent  string
	ClientAddr string
	// The accounts row (Provider, ProviderAccountID) the session signed
	// in with, when that sign-in returned provider tokens: AccessToken
	// reads them from that row, and a refresh writes them back there.
	// Empty for other sessions and for those Auth.js made.
	Provider          string
	ProviderAccountID string
}

// User is a row of Auth.js's users table. An empty string stands for SQL
// NULL; a zero EmailVerified too.
type User struct {
	ID            string
	Name          string
	Email         string
	EmailVerified time.Time
	Image         string
}

// Account is a row of Auth.js's accounts table: a way a user signs in. The
// token fields are those of the provider's token response; ExpiresAt is in
// Unix seconds, 0 when unknown.
type Account struct {
	UserID            string
	Type              string // "oauth", "oidc", "credentials", "email"
	Provider          string // the provider's id
	ProviderAccountID string
	RefreshToken      string
	AccessToken       string
	ExpiresAt         int64
	IDToken           string
	Scope             string
	SessionState      string
	TokenType         string
}

// SessionStore keeps database sessions (Auth.js's createSession,
// getSessionAndUser, updateSession, deleteSession).
type SessionStore interface {
	// CreateSession adds s. Its Created and LastSeen are set by the
	// caller.
	CreateSession(ctx context.Context, s Session) error
	// SessionAndUser returns the session whose cookie value is token and
	// its user, or (nil, nil, nil) when there is no such session or its
	// user is gone. It returns an expired session as it is: the caller
	// deletes it. A session with no authgo_sessions row (one Auth.js
	// created) has a zero Created.
	SessionAndUser(ctx context.Context, token string) (*Session, *User, error)
	// UpdateSession sets the expiry of the session whose cookie value is
	// token, and its LastSeen; it records Created = lastSeen when the
	// session had no authgo_sessions row (its first sight). A session that
	// is gone is not an error.
	UpdateSession(ctx context.Context, token string, expires, lastSeen time.Time) error
	// DeleteSession removes the session whose cookie value is token, with
	// its authgo_sessions row. A session that is gone is not an error.
	DeleteSession(ctx context.Context, token string) error
}

// UserStore keeps users and their linked accounts (Auth.js's createUser,
// getUser, getUserByEmail, getUserByAccount, updateUser, linkAccount,
// unlinkAccount, getAccount).
type UserStore interface {
	// CreateUser adds u and returns it with its id. A store whose ids are
	// strings may keep a non-empty u.ID; others (SERIAL) assign their own.
	CreateUser(ctx context.Context, u User) (User, error)
	// User returns the user with id, or nil.
	User(ctx context.Context, id string) (*User, error)
	// UserByEmail returns the user whose email is exactly email, or nil.
	UserByEmail(ctx context.Context, email string) (*User, error)
	// UserByAccount returns the user the provider account is linked to,
	// or nil.
	UserByAccount(ctx context.Context, provider, providerAccountID string) (*User, error)
	// UpdateUser replaces the name, email, emailVerified and image of the
	// user with u.ID and returns the row.
	UpdateUser(ctx context.Context, u User) (User, error)
	// LinkAccount adds the accounts row a. It returns [ErrAccountLinked]
	// when (a.Provider, a.ProviderAccountID) is already linked.
	LinkAccount(ctx context.Context, a Account) error
	// UpdateAccount replaces the token fields of the accounts row
	// (a.Provider, a.ProviderAccountID); a row that is gone is not an
	// error.
	UpdateAccount(ctx context.Context, a Account) error
	// Account returns the accounts row (provider, providerAccountID), or
	// nil.
	Account(ctx context.Context, provider, providerAccountID string) (*Account, error)
	// UnlinkAccount deletes the accounts row (provider,
	// providerAccountID). A row that is gone is not an error.
	UnlinkAccount(ctx context.Context, provider, providerAccountID string) error
}
