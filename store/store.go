// Package store defines what authgo asks of a database that keeps users,
// their linked accounts and database sessions: the Auth.js adapter
// contract, split into small interfaces so that a store implements only
// what it holds (STYLE §2). A store for sessions alone (Redis, say)
// implements [SessionStore]; a SQL database implements [SessionStore] and
// [UserStore], and [AuthenticatorStore] for passkeys.
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
	"crypto/sha256"
	"encoding/base64"
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
	// ID names the session where its token must not be shown (a "your
	// devices" page, authgo user sessions, RevokeSession): SessionID of
	// the token. [SessionStore.UserSessions] sets it and leaves Token
	// empty; other methods may leave it empty.
	ID string
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

// SessionID returns the id of the session whose cookie value is token: its
// SHA-256, base64url without padding (43 characters). The id opens nothing:
// the token cannot be worked out from it. Stores that keep a hash of the
// token (adapters/sqlite, adapters/redis) keep this one.
func SessionID(token string) string {
	h := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(h[:])
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
	// deletes it (a store that drops sessions at their expiry itself,
	// as adapters/redis does, returns nil for it instead). A session with
	// no authgo_sessions row (one Auth.js created) has a zero Created.
	SessionAndUser(ctx context.Context, token string) (*Session, *User, error)
	// UpdateSession sets the expiry of the session whose cookie value is
	// token, and its LastSeen; it records Created = lastSeen when the
	// session had no authgo_sessions row (its first sight). A session that
	// is gone is not an error.
	UpdateSession(ctx context.Context, token string, expires, lastSeen time.Time) error
	// DeleteSession removes the session whose cookie value is token, with
	// its authgo_sessions row. A session that is gone is not an error.
	DeleteSession(ctx context.Context, token string) error
	// UserSessions returns the unexpired sessions of userID, the most
	// recently seen first, each with ID set and Token empty; none is not
	// an error. A session with no authgo_sessions row has a zero Created
	// and LastSeen and sorts last.
	UserSessions(ctx context.Context, userID string) ([]Session, error)
	// DeleteUserSession removes the session of userID whose ID is id,
	// with its authgo_sessions row, and reports whether there was one: a
	// session of another user is left alone.
	DeleteUserSession(ctx context.Context, userID, id string) (bool, error)
	// DeleteUserSessions removes every session of userID ("sign out
	// everywhere") and returns how many there were.
	DeleteUserSessions(ctx context.Context, userID string) (int, error)
}

// VerificationToken is a row of Auth.js's verification_token table: a
// sign-in link sent by email. Token is what the store keeps, the hash
// Auth.js computes (hex(sha256(token + secret))), never the token sent.
type VerificationToken struct {
	Identifier string // the normalised email address
	Token      string
	Expires    time.Time
}

// VerificationTokenStore keeps email sign-in tokens (Auth.js's
// createVerificationToken and useVerificationToken).
type VerificationTokenStore interface {
	// CreateVerificationToken adds v.
	CreateVerificationToken(ctx context.Context, v VerificationToken) error
	// UseVerificationToken deletes the row (identifier, token) and
	// returns it as it was, expired or not, or nil when there is none:
	// of two concurrent calls for one row, at most one returns it.
	UseVerificationToken(ctx context.Context, identifier, token string) (*VerificationToken, error)
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

// UserWithAccountCreator is a [UserStore] that can add a new user and link
// its first account in one transaction. authgo uses it, when the users
// store has it, for the first sign-in of a provider account, so that two
// first sign-ins of one account at once leave one users row: the one that
// loses adds nothing and signs in as the winner's user. Without it, the
// loser's users row is left with no account (UserStore has no
// DeleteUser). adapters/sqlite and adapters/postgres implement it.
type UserWithAccountCreator interface {
	// CreateUserWithAccount adds u and the accounts row a, linked to it
	// (a.UserID is ignored), atomically, and returns u with its id as
	// CreateUser does. When (a.Provider, a.ProviderAccountID) is already
	// linked it adds neither and returns [ErrAccountLinked].
	CreateUserWithAccount(ctx context.Context, u User, a Account) (User, error)
}

// ErrAuthenticatorExists is returned, possibly wrapped, by
// [AuthenticatorStore.CreateAuthenticator] when a credential with the same
// id is already stored (for any user).
var ErrAuthenticatorExists = errors.New("store: authenticator already registered")

// Authenticator is a WebAuthn credential (a passkey) as Auth.js's
// Authenticator table keeps it. The ids and the key are standard base64
// with padding, as Auth.js writes them (Buffer.toString("base64")), not
// base64url: a row Auth.js wrote is found by authgo and the reverse.
type Authenticator struct {
	// CredentialID is the credential id the authenticator chose,
	// standard base64.
	CredentialID string
	UserID       string
	// ProviderAccountID is the providerAccountId of the accounts row the
	// credential signs in as (type "webauthn"): CredentialID again.
	ProviderAccountID string
	// CredentialPublicKey is the COSE public key, standard base64.
	CredentialPublicKey string
	// Counter is the signature counter the authenticator last reported.
	Counter int64
	// CredentialDeviceType is "singleDevice" or "multiDevice" (backup
	// eligible: a synced passkey).
	CredentialDeviceType string
	CredentialBackedUp   bool
	// Transports are the transports the browser reported, joined with
	// ",": "internal,hybrid". Empty when none.
	Transports string
}

// AuthenticatorStore keeps WebAuthn credentials (Auth.js's getAuthenticator,
// createAuthenticator, listAuthenticatorsByUserId and
// updateAuthenticatorCounter; getAccount is [UserStore.Account]). A store
// behind the passkey and webauthn providers implements it next to
// [UserStore]. adapters/sqlite and adapters/postgres keep them in
// authgo_authenticators, in the columns of Auth.js's documented
// Authenticator table (@auth/pg-adapter has none).
type AuthenticatorStore interface {
	// Authenticator returns the credential whose id is credentialID
	// (standard base64), or nil.
	Authenticator(ctx context.Context, credentialID string) (*Authenticator, error)
	// CreateAuthenticator adds a. It returns [ErrAuthenticatorExists]
	// when a credential with a.CredentialID is already stored.
	CreateAuthenticator(ctx context.Context, a Authenticator) error
	// UserAuthenticators returns the credentials of userID; none is not
	// an error.
	UserAuthenticators(ctx context.Context, userID string) ([]Authenticator, error)
	// UpdateAuthenticatorCounter sets the counter of the credential
	// credentialID to counter when it is greater than the stored one, or
	// when both are 0 (an authenticator that keeps no counter), in one
	// statement, and reports whether it did. A counter that does not go
	// up is refused (false, nil): the signature came from a clone of the
	// credential, or raced another sign-in with the same counter. A
	// credential that is gone is (false, nil) too.
	UpdateAuthenticatorCounter(ctx context.Context, credentialID string, counter int64) (bool, error)
}
