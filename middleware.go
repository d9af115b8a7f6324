package authgo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/authgo/authgo/internal/cookie"
	"github.com/authgo/authgo/internal/match"
	"github.com/authgo/authgo/internal/pages"
	"github.com/authgo/authgo/internal/urlx"
)

// Middleware protects the paths Config.Matcher names (Next.js matcher
// syntax), as a Next.js middleware exported from auth() does, and passes
// every other request through untouched.
//
// On a matching path it reads the session, asks the Authorized callback
// (default: signed in), and then either calls next with the session in the
// request context (SessionFromContext, or Session) or refuses: a page
// request (GET or HEAD) is redirected to the sign-in page (Pages.SignIn, or
// <base>/signin) with a callbackUrl back to the absolute URL it asked for,
// query included; other methods get 303 to the same place; a request whose
// Accept header names application/json but not text/html, or whose path is
// under one of Config.APIPaths, gets 401 with a JSON body. TRACE, TRACK
// and CONNECT get 405 on a matching path, signed in or not.
//
// A matcher that covers / (such as /:path* or /((?!api|_next).*)) guards
// the home page too. Two things are never guarded, because guarding them
// would loop: GET and POST of the endpoints under the base path, and GET
// of the custom sign-in page (Pages.SignIn) at exactly its path, /login
// but not /login/. Either counts only when the path is clean and reads the
// same decoded (as http.ServeMux routes) and as sent (as chi routes):
// /%61uth/x is guarded. Route the endpoints and the sign-in page by path
// alone, not by host (a ServeMux pattern such as admin.example.com/ would
// take them for that host, and the client chooses the Host header).
//
// The session cookie is re-issued (its expiry slid forward) only when the
// JWT callback changed the token or the cookie is older than
// Session.UpdateAge; GET <base>/session re-issues on every call, as Auth.js
// does. An invalid session cookie on a matching path is deleted.
//
// Paths are matched case-sensitively, after cleaning, in their decoded and
// escaped forms; a path that can be read two ways (an encoded slash, say)
// gets 400 before any handler sees it. Serve the protected handlers from a
// case-sensitive router (http.ServeMux and chi are), so that /MyPage is not
// the same page as the protected /mypage.
func (a *Auth) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.matcher == nil {
			if a.cfg.Debug {
				a.log.DebugContext(r.Context(), "authgo: middleware: no Matcher configured, passed through", reqAttr(r))
			}
			next.ServeHTTP(w, r)
			return
		}
		switch a.matcher.Match(r) {
		case match.NoMatch:
			if a.cfg.Debug {
				a.log.DebugContext(r.Context(), "authgo: middleware: path not matched, passed through", reqAttr(r))
			}
			next.ServeHTTP(w, r)
			return
		case match.Reject:
			if a.cfg.Debug {
				a.log.DebugContext(r.Context(), "authgo: middleware: ambiguous path refused with 400", reqAttr(r))
			}
			w.Header().Set("Cache-Control", "private, no-cache, no-store")
			http.Error(w, "Bad Request: ambiguous path", http.StatusBadRequest)
			return
		}
		switch r.Method {
		case http.MethodTrace, "TRACK", http.MethodConnect:
			// TRACE would echo the cookie back (cross-site tracing).
			if a.cfg.Debug {
				a.log.DebugContext(r.Context(), "authgo: middleware: method refused with 405", reqAttr(r))
			}
			w.Header().Set("Allow", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS")
			http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
			return
		}
		if a.exempt(r) {
			if a.cfg.Debug {
				a.log.DebugContext(r.Context(), "authgo: middleware: endpoint or sign-in page, passed through unguarded", reqAttr(r))
			}
			next.ServeHTTP(w, r)
			return
		}
		a.guard(w, r, next)
	})
}

// exempt reports whether r is for an endpoint (a path under the base path)
// or for the custom sign-in page, which the middleware never guards: that
// would loop. A request is exempt only when it is one in every reading a
// router may route it by:
//
//   - only a clean path counts: a router that does not clean paths (chi)
//     serves /mypage/../auth/x from its /mypage/* route, and /auth/../x is
//     not an endpoint either;
//   - the decoded path (r.URL.Path, which http.ServeMux routes by) and the
//     path as sent (r.URL.RawPath when set, which chi routes by) must both
//     be the endpoint or the page, so /%61uth/x, which chi routes to its
//     catch-all, is guarded;
//   - only the methods that can need it: GET and POST for the endpoints
//     (they answer 400 to any other), GET for the page (a refused POST is
//     sent to it with 303), so that a router that registered them per
//     method (GET /login next to a catch-all /) cannot hand PUT /login to
//     the catch-all;
//   - the sign-in page is exempt only when one is configured, and only its
//     exact path: without one, nothing but the endpoints is exempt (an
//     empty page path once matched the root, see the README's security
//     section), and /login/ is a different route from /login.
func (a *Auth) exempt(r *http.Request) bool {
	p := r.URL.Path
	if !urlx.IsClean(p) {
		return false
	}
	// RawPath, when set, is the path as sent. It has an escape when the
	// client escaped more than Go would (/%61uth); without one it is Path
	// byte for byte (/login! or raw UTF-8, which Go would have escaped).
	raw := r.URL.RawPath
	if base := a.cfg.BasePath + "/"; strings.HasPrefix(p, base) {
		return (r.Method == http.MethodGet || r.Method == http.MethodPost) &&
			(raw == "" || strings.HasPrefix(raw, base))
	}
	return a.signInPath != "" && r.Method == http.MethodGet && p == a.signInPath && (raw == "" || raw == p)
}

// RequireSession wraps h so that it runs only for requests the Authorized
// callback allows (default: signed in), with the session in the request
// context. It refuses and re-issues cookies exactly as Middleware does on a
// matching path, for every request it sees.
func (a *Auth) RequireSession(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.guard(w, r, h)
	})
}

// guard is the protected path: the session read (readGuard), Authorized,
// next with the session in the context and the cookie re-issued when it
// changed.
func (a *Auth) guard(w http.ResponseWriter, r *http.Request, next http.Handler) {
	g, ok := a.admit(w, r)
	switch {
	case !ok:
		return
	case g == nil:
		next.ServeHTTP(w, r) // let in without a session (Authorized)
		return
	}
	sw := &g.w
	next.ServeHTTP(sw, r.WithContext(&g.ctx))
	if !sw.wrote {
		sw.flushCookies() // a handler that wrote nothing: headers not out yet
	}
}

// admit reads the session of a guarded request and decides: ok false when
// it has answered (refused, or the session could not be read now), else
// the request's state (nil: allowed without a session). Apart from guard,
// and never inlined, so that its large frame is gone while next runs: a
// proxied request's stack then stays within a goroutine's first 8 KiB,
// which the runtime would otherwise grow again after each collection
// shrank it.
//
//go:noinline
func (a *Auth) admit(w http.ResponseWriter, r *http.Request) (g *guarded, ok bool) {
	ctx := r.Context()
	sr, err := a.readSession(r, nil, readGuard, nil)
	if sr.clear {
		var q cookie.Queue
		clearSession(&q, *sr.names, sr.present)
		q.Write(w.Header())
	}
	switch {
	case errors.Is(err, ErrSessionUnavailable), errors.Is(err, ErrRefreshUnavailable):
		a.unavailable(w, err)
		return nil, false
	case err != nil:
		a.log.Error("authgo: session callback failed", "err", err)
	}
	s := sr.session
	allowed := s != nil
	cb := a.cfg.Callbacks.Authorized
	if cb != nil {
		allowed = cb(ctx, r, s)
	}
	why := ""
	if a.cfg.Debug {
		why = authzReason(s != nil, cb != nil, allowed)
	}
	if !allowed {
		a.deny(w, r, why)
		return nil, false
	}
	if a.cfg.Debug {
		a.log.DebugContext(ctx, "authgo: middleware: allowed", reqAttr(r), "why", why, "cookie_reissued", sr.reissue)
	}
	if s == nil {
		return nil, true
	}
	g = new(guarded)
	sw := &g.w
	sw.ResponseWriter, sw.a, sw.ctx, sw.names, sw.present, sw.raw = w, a, ctx, sr.names, sr.present, sr.raw
	g.tokens.tok, g.tokens.refreshed, g.tokens.w = sr.tok, sr.refreshed, sw
	g.ctx = guardCtx{Context: ctx, a: a, s: s, t: &g.tokens}
	if sr.reissue {
		sw.set(sr.tok) // written with the response's headers
	}
	return g, true
}

// guarded is one guarded request's state, in one allocation: the context
// that carries its session and tokens, the tokens, and the writer that
// sets its cookie.
type guarded struct {
	ctx    guardCtx
	tokens reqTokens
	w      sessionWriter
}

// guardCtx is a guarded request's context: its parent with a's session
// (sessionKey) and tokens (tokenKey), as two context.WithValue would
// carry them.
type guardCtx struct {
	context.Context
	a *Auth
	s *Session
	t *reqTokens
}

func (c *guardCtx) Value(key any) any {
	switch k := key.(type) {
	case sessionKey:
		if k.a == c.a {
			return c.s
		}
	case tokenKey:
		if k.a == c.a {
			return c.t
		}
	}
	return c.Context.Value(key)
}

// unavailable answers a request whose session could not be read now: the
// revocation store did not answer (ErrSessionUnavailable), or the access
// token expired and could not be refreshed (ErrRefreshUnavailable).
func (a *Auth) unavailable(w http.ResponseWriter, err error) {
	code := "refresh_unavailable"
	if errors.Is(err, ErrSessionUnavailable) {
		code = "session_unavailable"
	}
	h := w.Header()
	h.Set("Retry-After", "2")
	h.Set("Authgo-Error", code)
	h.Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusServiceUnavailable, []byte(`{"error":"`+code+`"}`))
}

// needsReissue: the JWT callback changed the token, or the cookie is older
// than UpdateAge.
func (a *Auth) needsReissue(before, after *Token) bool {
	if after.IssuedAt == 0 || a.now().Unix()-after.IssuedAt >= int64(a.cfg.Session.UpdateAge.Seconds()) {
		return true
	}
	if before == after {
		return false
	}
	b1, err1 := before.MarshalJSON()
	b2, err2 := after.MarshalJSON()
	return err1 != nil || err2 != nil || !bytes.Equal(b1, b2)
}

// authzReason says why guard allowed or refused a request, for the debug
// log.
func authzReason(signedIn, callback, allowed bool) string {
	switch {
	case !callback && signedIn:
		return "signed in"
	case !callback:
		return "no session"
	case allowed && signedIn:
		return "the Authorized callback allowed it (signed in)"
	case allowed:
		return "the Authorized callback allowed it (no session)"
	case signedIn:
		return "the Authorized callback refused it (signed in)"
	}
	return "the Authorized callback refused it (no session)"
}

// deny answers a request that needs a session and has none (or one the
// Authorized callback refused); why is for the debug log.
func (a *Auth) deny(w http.ResponseWriter, r *http.Request, why string) {
	w.Header().Set("Cache-Control", "private, no-cache, no-store")
	if asJSON, api := pages.WantsJSON(r), a.underAPI(r.URL.Path); asJSON || api {
		if a.cfg.Debug {
			how := "the Accept header asks for JSON"
			if api {
				how = "the path is under APIPaths"
			}
			a.log.DebugContext(r.Context(), "authgo: middleware: refused with 401", reqAttr(r), "why", why, "as", how)
		}
		writeJSON(w, http.StatusUnauthorized, []byte(`{"error":"unauthenticated","message":"sign in to use this resource"}`))
		return
	}
	o, err := a.requestOrigin(r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, []byte(`"Bad request."`))
		return
	}
	loc := a.signInURL(o.String(), o.String()+r.URL.RequestURI())
	status := http.StatusFound
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		status = http.StatusSeeOther
	}
	if a.cfg.Debug {
		a.log.DebugContext(r.Context(), "authgo: middleware: redirected to the sign-in page", reqAttr(r), "why", why, "status", status)
	}
	w.Header().Set("Location", loc)
	w.WriteHeader(status)
}

// signInPagePath returns the decoded path of a custom sign-in page
// (Pages.SignIn), which the middleware never guards, or "" when none is
// set. It refuses a page the middleware could not exempt safely: the root
// (exempting it would open the home page to everybody signed out), a path
// that is not clean (it would never be exempt, so every visit would loop
// back to itself), escapes other than the canonical ones (%2F would exempt
// a page other than the one routed to), and a path m (nil without a
// Matcher) refuses, which would answer 400 to every visit.
func signInPagePath(page string, m *match.Matcher) (string, error) {
	if page == "" {
		return "", nil
	}
	u, err := url.Parse(page) // Config.validate parsed it already
	if err != nil {
		return "", fmt.Errorf("authgo: Pages.SignIn %q: %w", page, err)
	}
	p, canonical := u.Path, (&url.URL{Path: u.Path}).EscapedPath()
	switch {
	case path.Clean(p) == "/":
		return "", fmt.Errorf("authgo: Pages.SignIn %q is the site's root: the middleware never guards the sign-in page, so it would open the home page to everybody signed out; use a page of its own, like /login", page)
	case !urlx.IsClean(p):
		return "", fmt.Errorf("authgo: Pages.SignIn %q must be a clean path (no //, . or .. segments), like /login", page)
	case strings.Contains(u.RawPath, "%"):
		return "", fmt.Errorf("authgo: Pages.SignIn %q escapes characters that need no escaping, or a slash; write its path as %s", page, canonical)
	case m != nil && m.MatchPath(canonical) == match.Reject:
		return "", fmt.Errorf("authgo: Pages.SignIn %q is a path the middleware refuses with 400 (it holds ';', a backslash or an escaped percent sign): choose a plain path, like /login", page)
	}
	return p, nil
}

// underAPI reports whether path lies under one of Config.APIPaths ("/"
// puts every path there).
func (a *Auth) underAPI(path string) bool {
	for _, p := range a.apiPaths {
		if p == "" || path == p || strings.HasPrefix(path, p+"/") {
			return true
		}
	}
	return false
}

// signInTarget is the sign-in page: Pages.SignIn, or the
// built-in one.
func (a *Auth) signInTarget() string {
	if a.cfg.Pages.SignIn != "" {
		return a.cfg.Pages.SignIn
	}
	return a.cfg.BasePath + "/signin"
}

// signInURL is the sign-in page (Pages.SignIn, or the built-in one) on
// prefix (an origin, or "" for a relative URL), with callback as its
// callbackUrl.
func (a *Auth) signInURL(prefix, callback string) string {
	page := a.signInTarget()
	return prefix + page + sep(page) + "callbackUrl=" + url.QueryEscape(callback)
}
