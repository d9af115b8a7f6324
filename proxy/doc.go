// Package proxy is authgo's backend-for-frontend (BFF) proxy: browser code
// calls the back-end API through the site's own origin, and the proxy
// attaches the session's access token on the server side, so the token
// and its refresh token never reach page scripts.
//
// A request to the proxy's prefix, say GET /api/orders?page=2, goes to the
// configured upstream as GET /api/orders?page=2 (or /v1/orders?page=2 when
// the upstream URL has the path /v1) with "Authorization: Bearer <access
// token>", the browser's cookies removed, and the response streamed back.
// The access token is refreshed first when it is about to expire
// ([authgo.Auth.AccessToken]), and the refreshed session cookie goes out
// with the proxied response.
//
// # Mounting
//
// Mount the proxy next to the auth endpoints; it guards itself (it wraps
// its forwarding stage in [authgo.Auth.RequireSession] after its own
// checks), so it needs no Config.Matcher entry:
//
//	mux.Handle("/auth/", a)
//	mux.Handle("/api/", p) // p, _ := proxy.New(a, proxy.Options{Prefix: "/api", Upstream: "http://backend:8080"})
//
// Behind [authgo.Auth.Middleware] with a matcher that covers the prefix, or
// wrapped in RequireSession, it works too: the guard's session and writer
// are used as they are, and the refreshed cookie still goes out. But then
// the guard answers signed-out requests in its own way (a redirect, or its
// own 401 body without Authgo-Error) and refreshes before the proxy checks
// the anti-forgery header, so prefer mounting it as above.
//
// # Checks, in order
//
//  1. Method: CONNECT, TRACE and TRACK get 405 (TRACE would echo the
//     bearer token back).
//  2. Target: an absolute-form request-target (GET http://host/… HTTP/1.1)
//     is refused with 400 unless it names [Options].Origin. A path outside
//     the prefix, or under the auth endpoints' base path, gets 404. A path
//     that could be read two ways gets 400: a dot-segment in any spelling
//     ("..", "%2e%2e", ".%2E"), an empty segment ("//"), an encoded slash or
//     backslash (%2F, %5C), a raw backslash, ";" or %3B, a double escape
//     (%252e), a control character, a malformed escape or invalid UTF-8.
//     So nothing a client sends can climb above the upstream's base path.
//  3. Upgrades: only "Upgrade: websocket" is forwarded; h2c and every other
//     protocol get 400.
//  4. Anti-forgery: every request must carry exactly one "X-CSRF: 1"
//     header, whatever its method, or it gets 403 before anything else
//     happens (no session decoding, no refresh, no upstream contact). A
//     browser cannot add that header to a cross-site form post or
//     navigation, and a cross-origin script cannot send it without a CORS
//     preflight, which the proxy never approves. GET and HEAD requests may
//     be exempted ([Options].SafeMethodsWithoutCSRF, [Options].SkipCSRF),
//     for file downloads through plain links. A WebSocket handshake cannot
//     carry custom headers, so it is checked by its Origin header instead.
//  5. Body size: with [Options].MaxBodyBytes, a longer body gets 413.
//  6. Session: no session gets 401 (so does one the Authorized callback
//     refuses); a session whose refresh token was refused gets 401 with
//     Authgo-Error: RefreshTokenError; an expired access token that cannot
//     be refreshed now gets 503 with Retry-After.
//  7. Forward.
//
// The proxy's own answers are JSON {"error":"<code>"} with the same code
// in the Authgo-Error header and Cache-Control: no-store, so browser code
// can tell them from the upstream's own 401 and 403 answers, which pass
// through untouched (and without Authgo-Error). An upstream 401 whose
// Bearer challenge says error="invalid_token" (RFC 6750: the token was
// revoked or its signing key rotated) also marks the access token, so the
// session's next request refreshes it once ([authgo.Auth.MarkAccessTokenRejected]);
// the refused request itself is not retried. The codes: bad_request,
// not_found, method_not_allowed, csrf, too_large, no_session,
// RefreshTokenError, refresh_unavailable, bad_gateway, upstream_timeout.
//
// # What the upstream sees
//
// The scheme, host and base path come from [Options].Upstream only; the
// client's Host header and request-target never change the destination.
// Removed from the request: Cookie (or only authgo's cookies, with
// [Options].PassCookies), every Authorization, X-CSRF, Expect,
// hop-by-hop headers and those named in Connection, and headers a client
// could use to claim an identity or an address, in any case and with "_"
// for "-": Forwarded, X-Forwarded-*, X-Auth-Request-*, X-Real-IP,
// X-Original-URL, X-Middleware-Subrequest, X-HTTP-Method-Override and the
// like. Added: exactly one "Authorization: Bearer <access token>", and
// X-Forwarded-For (the peer's address), X-Forwarded-Host and
// X-Forwarded-Proto built by the proxy (from [Options].Origin when set).
// The query string and the body pass unchanged; bodies are streamed both
// ways, never buffered.
//
// # What the browser sees
//
// The upstream's response, streamed, minus: Set-Cookie (all of them, or
// only those named like authgo's cookies with PassCookies), CORS headers
// (the proxy is same-origin only), any Authgo-Error header, and any header
// whose value contains the access token. 1xx informational responses are
// not relayed. A refreshed session cookie is added by the session guard
// when the response headers go out. The upstream's response body is not
// inspected: an upstream that echoes its Authorization header into a body
// leaks the token, as it would to any client.
//
// A WebSocket handshake that needed a refresh cannot carry the new cookie
// (the connection is handed over before the guard can add it); the next
// request gets the new tokens from authgo's successor cache.
package proxy
