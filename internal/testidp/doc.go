// Package testidp runs a real OpenID Provider inside tests: zitadel's
// [github.com/zitadel/oidc/v3/pkg/op] with in-memory storage, behind an
// httptest.Server. It is a fixture for relying-party tests, not a mock: the
// discovery document, JWKS, authorization and token endpoints, PKCE and
// nonce handling, refresh-token rotation, revocation and RP-initiated
// logout are the op's own.
//
// # Use
//
//	idp := testidp.New(t, testidp.Options{Users: []testidp.User{{
//		ID: "u1", Username: "alice", Password: "pw", Email: "alice@example.com", EmailVerified: true,
//	}}})
//	idp.AddClient(testidp.Client{ID: "app", Secret: "s", RedirectURIs: []string{rpURL + "/callback"}})
//	// ... the relying party discovers idp.Issuer() and redirects to authURL ...
//	callback, err := idp.Login(ctx, browser, authURL, "alice", "pw")
//	// ... request callback at the relying party ...
//
// Refresh tokens are issued only when the relying party asks for the
// offline_access scope (that is how the op decides).
//
// # Broken tokens
//
// The op only mints correct ID tokens. For the attack matrix (wrong iss or
// aud, expired, alg none, HS256 keyed with the public key, unknown kid,
// foreign key, jku/jwk headers), build claims with [IDP.IDTokenClaims], sign
// them with [IDP.SignIDToken], and have the next token response carry the
// result with [IDP.NextIDToken]; [IDP.PublishKey] adds keys (even symmetric
// ones) to the JWKS. [IDP.NextUserinfo] does the same for userinfo, and
// [IDP.NextAuthorizationResponseIss] puts a chosen iss parameter in the next
// authorization response (mix-up).
//
// # Observing the relying party
//
// [IDP.Requests] records the parameters of every request to the authorize,
// token, userinfo, revocation and end_session endpoints, and the *Calls
// methods count them, so a test can assert that no token request was made
// after a failed state check, or that sign-out revoked the refresh token
// ([IDP.RefreshTokenActive]).
//
// # Quirks of the op
//
//   - It logs through the process-wide slog default logger.
//   - end_session honours post_logout_redirect_uri only with an
//     id_token_hint (or client_id) naming a client that registered it;
//     otherwise it redirects to Issuer()+[PathLoggedOut]. An expired id_token_hint is
//     accepted.
//   - The op sends no RFC 9207 iss parameter in authorization responses;
//     this package adds it with [Options.AuthorizationResponseIss] or, once,
//     [IDP.NextAuthorizationResponseIss].
//   - The op takes no clock: times come from time.Now (see [Options]).
//   - This package refuses code_challenge_method=plain (the op would accept
//     it), malformed code_verifiers, and prompt=none (there is no IdP
//     session), and answers a reused refresh token by revoking its family.
package testidp
