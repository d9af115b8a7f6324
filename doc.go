// Package authgo is Auth.js v5 (NextAuth) for Go: the same endpoints,
// cookies and encrypted session tokens, served by any net/http program.
//
// An [Auth] is an http.Handler for the endpoints under its base path
// (default "/auth"): GET session, POST session (update), GET csrf, GET
// providers, GET and POST signin, POST callback/<provider>, GET and POST
// signout, GET error. They answer with the status codes, JSON bodies,
// redirects and cookies of @auth/core 0.41, so the next-auth/react client
// works against them unchanged, and a session cookie made by a Next.js app
// with the same AUTH_SECRET opens here (and the reverse).
//
//	a, err := authgo.New(authgo.Config{
//		Secret:    []string{os.Getenv("AUTH_SECRET")},
//		URL:       "https://example.com/auth",
//		Providers: []provider.Provider{creds},
//	})
//	mux.Handle("/auth/", a)
//	mux.Handle("/account/", a.RequireSession(account))
//
// Server code reads the session with [Auth.Session], Auth.js's auth():
//
//	s, err := a.Session(r) // nil, nil when signed out
//
// Providers come from the providers/... packages; the interfaces they
// implement, for writing one of your own, are in package provider.
//
// # Sessions
//
// Sessions are JWT sessions by default: the claims ([Token]) travel
// encrypted in the authjs.session-token cookie (a JWE, dir + A256CBC-HS512,
// key from HKDF-SHA256 of the secret with the cookie name as salt), split
// into numbered chunks when longer than a browser keeps in one cookie.
// Every GET <base>/session re-issues the cookie with a fresh expiry, never
// past Session.MaxLifetime from the sign-in. The
// github.com/authgo/authgo/jwt package reads and writes these tokens on its
// own. With Session.Strategy set to StrategyDatabase the cookie holds an
// opaque token and the session lives in a store (package store).
//
// Signing out revokes the session, not only the cookie: the sign-out is
// recorded in a [RevocationStore] (Config.Session.Revocations), and every
// copy of that session's cookie is refused afterwards. [Auth.RevokeUser]
// ends all of a user's sessions. With StrategyDatabase sessions are rows
// of a store (adapters/sqlite, adapters/postgres): [Auth.Sessions] lists a
// user's (a "your devices" page) and [Auth.RevokeSession] ends one.
//
// Access tokens a provider returned stay in the session token, out of
// page scripts' reach; [Auth.AccessToken] and [Auth.Client] use them,
// refreshing them shortly before they expire, once per refresh token even
// under a burst of requests.
//
// # Callbacks
//
// [Callbacks] shape what happens: SignIn allows or refuses a sign-in,
// Redirect checks where a callbackUrl may lead (same origin by default), JWT
// decides what the cookie keeps (an access token a back end issued, for
// instance), and Session decides what page scripts see. Keep access and
// refresh tokens in the token, not in the session, unless a page really
// needs them.
//
// # Built-in pages
//
// Without Config.Pages, the sign-in, sign-out, error and verify-request
// pages are authgo's own: self-contained HTML with an inline stylesheet
// allowed by hash in their Content-Security-Policy, no script, and nothing
// loaded from another origin. [Theme] sets the product name, accent colour
// and a logo. GitHub, Google, Kakao and Naver buttons carry their marks and
// colours. After a failed credentials sign-in the page shows the form again
// with its non-secret fields (the username) filled in: they travel in the
// encrypted authgo.signin-form cookie (HttpOnly, on the base path, five
// minutes, read once), never in the URL, and password fields are never
// kept.
//
// # Security
//
// Every state-changing POST needs the Auth.js double-submit CSRF token,
// compared in constant time, and cross-site browser POSTs are refused
// outright (the rule of net/http's CrossOriginProtection, checked against
// the public origin). Cookies are HttpOnly,
// SameSite=Lax and Path=/ (authgo.signin-form: the base path); over https they are Secure and carry the
// __Secure- / __Host- prefixes. The origin comes from Config.URL, or with
// Config.TrustHost from the forwarding headers a trusted proxy sets, never
// from an untrusted Host header. Bad input gets a 4xx answer and never a
// panic.
package authgo
