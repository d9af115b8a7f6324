package authgo

// Session token claims.
//
// The access-token claims are named as the Auth.js refresh-token guide
// names them, so a Next.js app written from that guide and authgo read the
// same cookie; ClaimError holds RefreshTokenError after a refresh failed
// for good (the refresh token was refused: the tokens are dropped and the
// user must sign in again).
//
// ClaimSessionID and ClaimAuthTime are added at sign-in and carried across
// every re-issue. ClaimSessionID is a random id (128 bits) that sign-out
// and RevokeSession revoke, so that every copy of the cookie, however
// often it was re-issued, stops working (under StrategyDatabase it is the
// store.SessionID of the cookie value: the ID Sessions lists, which
// RevokeSession takes); ClaimAuthTime is when the user signed in
// (Unix seconds, the OpenID Connect claim name), which RevokeUser's cutoff
// is held against. A token minted elsewhere (a Next.js app) without them
// is revoked by its "jti" and "iat". A JWT callback that returns a new
// Token instead of changing the one it got should copy both.
const (
	ClaimAccessToken  = "access_token"
	ClaimRefreshToken = "refresh_token"
	ClaimExpiresAt    = "expires_at" // Unix seconds; absent when unknown
	ClaimTokenType    = "token_type"
	ClaimScope        = "scope"
	ClaimError        = "error"
	ClaimSessionID    = "session_id"
	ClaimAuthTime     = "auth_time"
	RefreshTokenError = "RefreshTokenError" // the value of ClaimError
	claimObtainedAt   = "obtained_at"
)

// Claims about the user that authgo records at sign-in, named as OpenID
// Connect names them; a Next.js app reading the same cookie ignores them.
// Package gateway lets users in by them.
//
// ClaimProvider is the id of the provider the user signed in with (also
// the provider whose tokens the session holds). ClaimEmailVerified is
// true when the provider vouched that the address is the user's (an OIDC
// ID token's email_verified, GitHub's verified address), false when it
// said it is not, and absent when it said nothing (a credentials sign-in,
// a token minted elsewhere); under StrategyDatabase it is true when the
// users row's emailVerified is set. ClaimPreferredUsername is the
// username the user goes by (the provider's preferred_username, GitHub's
// login, a credentials provider's User.Extra["preferred_username"]).
// A provider or a credentials Authorize can give either in
// User.Extra under the claim's name, which wins over the profile's.
const (
	ClaimProvider          = claimProvider
	ClaimEmailVerified     = "email_verified"
	ClaimPreferredUsername = "preferred_username"
)

// Claims authgo keeps in the session token for a provider that signs out
// at its end too (EndSessionProvider), named as the Auth.js guides name
// them.
const (
	claimProvider = "provider"
	claimIDToken  = "id_token"
	// claimProviderSubject keeps the provider's own subject when a
	// profile mapping gave the user another id, for the refresh's check
	// that a new ID token names the same user.
	claimProviderSubject = "provider_sub"
	// claimProviderAccount is, under the database strategy, the
	// providerAccountId of the accounts row the session's tokens live in
	// (claimProvider names its provider).
	claimProviderAccount = "provider_account_id"
)
