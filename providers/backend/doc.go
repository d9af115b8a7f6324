// Package backend is a credentials provider that signs users in against an
// application's own back end: the sign-in form's username and password go
// to the back end's login endpoint, and the access and refresh tokens it
// answers with are kept in the session token (never in the session page
// scripts see) and refreshed through its refresh endpoint.
//
// It is the common setup of a Next.js app written from the Auth.js
// refresh-token guide, with the back end as the authority:
//
//	POST LoginURL    {"username":"…","password":"…"}
//	  → 200 {"accessToken":"…","refreshToken":"…","expiresIn":900}
//	POST RefreshURL  {"refreshToken":"…"}
//	  → 200 the same shape (a new refresh token replaces the old one; when
//	    there is none the old one stays)
//
// All field names can be changed ([Options]). The user's sub, name and
// email come from the access token's claims, or from UserinfoURL when one
// is configured; a sign-in without a sub fails.
//
// # Signing in with an access token
//
// A client that already holds an access token from the back end (a mobile
// app, another front end) signs in by posting it as the credentials field
// "accessToken" instead of a username and password. authgo verifies it
// first, never trusting a string a client posts:
//
//   - with JWKSURL and Issuer (and Audience): a compact JWS signed with one
//     of the asymmetric algorithms allowed (RS256 … EdDSA; never "none" or
//     HS256), with a key the JWKS at the configured URL holds (the token's
//     jku, x5u, jwk and x5c headers are ignored), iss equal to Issuer, aud
//     containing Audience when one is set, exp present and nbf and iat
//     honoured with Leeway (default 30 s), and a sub;
//   - otherwise with IntrospectionURL (RFC 7662, authenticated with
//     ClientID and ClientSecret over HTTP Basic): active must be true, and
//     exp, nbf, iss and aud are checked when the answer has them;
//   - otherwise with UserinfoURL: a 200 answer to a GET with the token as
//     Bearer means the token is good, and names the user.
//
// With none of the three configured, this way of signing in is off and a
// posted accessToken is refused. A token sign-in has no refresh token: the
// session's access token lives as long as the token does. A refused token
// fails the sign-in with CredentialsSignin (the reason is logged, never
// shown); a verifier that cannot be reached fails it as a server error.
//
// # Trust decisions
//
// The access token of a login or refresh answer comes straight from the
// back end, over a request authgo made itself to a configured https URL
// (or a loopback one), so without a JWKS its claims are read without
// checking the signature: they name the user, and their exp schedules the
// refresh. Configure JWKSURL to verify those tokens too; a login answer
// whose token does not verify is then a server error, and a refresh
// answer whose token does not verify ends the session's tokens (the old
// refresh token was spent on it; a JWKS that cannot be fetched is a
// transient failure instead). A token a client posts is always verified,
// as above, and refused unread when longer than 8 KiB.
//
// # Failures
//
// A login answered 400, 401 or 403 is a wrong password (the sign-in page
// shows CredentialsSignin); any other non-2xx answer, a timeout or an
// answer without an access token is a server error. A refresh answered 400
// or 401, or with a JSON body whose "error" is invalid_grant or another
// terminal RFC 6749 code, is terminal (*provider.RefreshError with Terminal
// set: the session gets error "RefreshTokenError" and the user signs in
// again); a timeout, a 5xx, a 429 or an answer that is not JSON is
// transient (the session stays as it is and authgo tries again later).
//
// Every outbound request times out (Timeout, default 10 s), reads at most
// 1 MiB of body, and follows no redirect. Errors never carry tokens or
// passwords.
//
// # Environment
//
// [FromEnv] builds the provider from these variables; it returns no
// provider when AUTH_BACKEND_LOGIN_URL is unset (and an error when another
// of them is set without it):
//
//	AUTH_BACKEND_LOGIN_URL           the login endpoint (turns the provider on)
//	AUTH_BACKEND_REFRESH_URL         the refresh endpoint; without it, sessions keep no refresh token
//	AUTH_BACKEND_USERINFO_URL        GET with Bearer → {"sub","name","email",…}; names the user
//	AUTH_BACKEND_JWKS_URL            the back end's JWKS: verifies access tokens (needs AUTH_BACKEND_ISSUER)
//	AUTH_BACKEND_ISSUER              the iss the access tokens must carry
//	AUTH_BACKEND_AUDIENCE            a value their aud must contain (unchecked when unset)
//	AUTH_BACKEND_INTROSPECTION_URL   RFC 7662 endpoint for posted access tokens
//	AUTH_BACKEND_CLIENT_ID           authgo's client id at the introspection endpoint
//	AUTH_BACKEND_CLIENT_SECRET       and its secret (both required with AUTH_BACKEND_INTROSPECTION_URL)
//	AUTH_BACKEND_ACCESS_TOKEN_FIELD  response field of the access token (default accessToken)
//	AUTH_BACKEND_REFRESH_TOKEN_FIELD response field of the refresh token, and the refresh request's field (default refreshToken)
//	AUTH_BACKEND_EXPIRES_IN_FIELD    response field of the lifetime in seconds (default expiresIn)
//
// The provider's id is "credentials", so the built-in sign-in form posts
// to it.
package backend
