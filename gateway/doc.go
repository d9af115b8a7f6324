// Package gateway puts authgo's sessions in front of any app, as
// oauth2-proxy does, in two ways that share one decision:
//
//   - upstream: the [Gateway] is the app's front door. It serves the auth
//     endpoints under the base path and sends every other request to the
//     app (streaming, WebSockets and server-sent events included), after
//     the session check;
//   - forward-auth: a reverse proxy the operator already runs (nginx
//     auth_request, Traefik forwardAuth, Caddy forward_auth) asks
//     GET <base>/forward-auth (or .../redirect) before it serves a
//     request, and forwards the identity headers of the answer.
//
// # Which paths need a session
//
// In front of an app every path needs a session unless a Public pattern
// matches it (Next.js matcher syntax: "/", "/_next/:path*"), and a Protect
// pattern guards a path again inside a public one. Public needs the path as
// sent and its decoded form to match; Protect needs any form to match; a
// path that can be read two ways (an encoded slash, a dot-segment, a
// backslash) is refused with 400 by the upstream handler and needs a
// session in forward-auth. A request that needs a session and has none gets
// what [authgo.Auth.Middleware] gives: 302 to the sign-in page (303 for
// other methods), or 401 JSON for a client asking for JSON or a path under
// Config.APIPaths; forward-auth answers 401, or 302 from the redirect
// endpoint.
//
// # Who may in
//
// A gateway must not let every GitHub or Google account reach the app.
// Users who signed in through a credentials provider (authgo serve's own
// users and its back end's) are the operator's own and always pass.
// Others pass only with [Allow]: an exact address, an email domain, or
// Any; addresses count only when the provider verified them (the
// session's email_verified claim, which sign-in records). A signed-in user
// who may not pass gets 403.
//
// # What the app sees
//
// Identity only through headers the operator turns on: with PassIdentity
// X-Auth-Request-User (the session's sub), X-Auth-Request-Email and
// X-Auth-Request-Preferred-Username (each left out when unknown); with
// PassAccessToken X-Forwarded-Access-Token; with PassAuthorizationHeader
// "Authorization: Bearer". Every spelling of those names the client sent
// (any case, "_" for "-", repeated) is removed first, always, with the
// other headers a client could claim an identity or an address with
// (X-Forwarded-*, X-Remote-User, X-Real-IP, …). The app gets
// X-Forwarded-For (the client's chain only when a trusted proxy sent it,
// then the peer), X-Forwarded-Proto and X-Forwarded-Host (the public
// origin), and the Host header the browser sent. authgo's cookies are
// removed unless PassSessionCookie.
//
// # Trusting forwarding headers
//
// Forwarding headers (X-Forwarded-Uri, X-Original-URI, X-Forwarded-Host,
// -Proto, -For) are believed only from Config.TrustedProxies, whose
// default is none (oauth2-proxy trusted every peer by default:
// GHSA-7x63-xv5r-3p2x). A forward-auth request from any other peer is
// judged as if for a protected path, and the log says why.
package gateway
