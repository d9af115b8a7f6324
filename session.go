package authgo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/authgo/authgo/internal/cookie"
	"github.com/authgo/authgo/internal/csrf"
	"github.com/authgo/authgo/internal/peek"
)

// Session returns the session of r, the way Auth.js's auth() does on the
// server: it decodes the session cookie and runs the JWT and Session
// callbacks. It returns (nil, nil) when the request is signed out, including
// when its cookie is expired, tampered with or made with another secret,
// and ErrSessionUnavailable when the revocation store cannot say whether
// the session was ended. It writes no cookie; GET <base>/session and the
// middleware do that.
//
// Behind RequireSession the session is already in the request context;
// Session then returns it without decoding again.
func (a *Auth) Session(r *http.Request) (*Session, error) {
	if s, ok := r.Context().Value(sessionKey{a}).(*Session); ok {
		return s, nil
	}
	sr, err := a.readSession(r, nil, readOnly, nil)
	return sr.session, err
}

// parsedCookies are a request's cookies, parsed under names.
type parsedCookies struct {
	names cookie.Names
	jar   cookie.Jar
}

// readMode says who reads a session, and so what readSession may do.
type readMode uint8

const (
	// readOnly is Session(r): decode and the callbacks; no refresh.
	readOnly readMode = iota
	// readEndpoint is GET/POST <base>/session: refresh when due (a
	// failure keeps the session), the callbacks, re-issue always.
	readEndpoint
	// readGuard is the middleware: refresh when due (an expired token
	// that cannot be refreshed is ErrRefreshUnavailable), the callbacks,
	// re-issue when the token changed or has aged past UpdateAge.
	readGuard
	// readToken is AccessToken and Client: decode and refresh as
	// readGuard, no callbacks.
	readToken
	// readDecode is MarkAccessTokenRejected: the token as the cookie
	// holds it, nothing run.
	readDecode
)

// readModeNames start the debug lines of each mode.
var readModeNames = [...]string{readOnly: "authgo: Session", readEndpoint: "authgo: session", readGuard: "authgo: middleware", readToken: "authgo: access token", readDecode: "authgo: token check"}

// sessionRead is what readSession found.
type sessionRead struct {
	names   *cookie.Names // a's (namesRef) or the caller's jar's: never changed
	present []string      // the session cookie names the request carried
	raw     string        // the session cookie's value, chunks joined
	// tok is the session's token after the refresh and the JWT callback,
	// and session what the Session callback made of it; both nil when
	// the request is signed out.
	tok     *Token
	session *Session
	expires time.Time
	// rowExpires: under the database strategy, the row's expiry as read,
	// to the millisecond (tok's exp has seconds).
	rowExpires time.Time
	// clear: the cookie is unusable (invalid, expired, revoked): delete
	// present.
	clear bool
	// ended: the JWT callback returned no token, ending the session.
	ended bool
	// refreshed: a refresh was tried for this request.
	refreshed bool
	// reissue: write tok back to the cookie.
	reissue bool
	// shared: tok is the decode cache's own copy (jwt.Codec.DecodeShared),
	// which must not be changed; its Clone is a private copy. readEndpoint
	// never hands one out, the other modes only when no callback sees it.
	shared bool
}

// readSession is the one place a request's session is read: the cookie
// decoded by the session strategy (which checks revocation), the access
// token refreshed when due, the JWT and Session callbacks, and the
// decision to re-issue, each as mode allows. jar is the request's cookies
// under names when the caller has parsed them (the endpoints); nil means
// parse them here, under the names of the request's origin. For
// readEndpoint, jp carries the POST's trigger and data.
//
// A bad cookie is not an error: sr.clear says to delete it. Errors are
// ErrSessionUnavailable (the cookie is kept), ErrRefreshUnavailable
// (readGuard and readToken) and a failing callback's error.
func (a *Auth) readSession(r *http.Request, jar *parsedCookies, mode readMode, jp *JWTParams) (sr sessionRead, err error) {
	ctx := r.Context()
	var cookies cookie.Jar
	if jar == nil {
		o, err := a.requestOrigin(r)
		if err != nil {
			return sr, nil // no origin, no cookie names: signed out
		}
		sr.names = a.namesRef(o.scheme == "https")
		cookies = cookie.ParsePrefix(r.Header, sr.names.SessionToken)
	} else {
		sr.names, cookies = &jar.names, jar.jar
	}
	raw, present, err := cookie.ReadChunked(cookies, sr.names.SessionToken)
	sr.present, sr.raw = present, raw
	var tok *Token
	shared := false
	// own makes tok a private copy before anything may change it or a
	// callback sees it.
	own := func() {
		if shared {
			tok, shared = tok.Clone(), false
		}
	}
	if err == nil && raw != "" {
		tok, sr.rowExpires, shared, err = a.strategy.openShared(ctx, *sr.names, raw)
	}
	if err == nil && tok != nil {
		if lacksIdentity(tok) {
			own()
			a.carryIdentity(tok)
		}
		if a.outlived(tok) {
			err = errLifetime
		}
	}
	if a.cfg.Debug {
		msg := readModeNames[mode]
		if mode != readOnly && mode != readEndpoint {
			msg += ": session"
		}
		a.log.DebugContext(ctx, msg, reqAttr(r), "state", sessionState(tok, err))
	}
	switch {
	case errors.Is(err, errRevocationUnknown), errors.Is(err, errStoreUnknown):
		return sr, ErrSessionUnavailable
	case err != nil:
		a.log.Debug("authgo: session cookie refused", "err", err)
		sr.clear = true
		return sr, nil
	case tok == nil:
		return sr, nil
	}

	if mode == readDecode {
		sr.tok, sr.shared = tok, shared
		return sr, nil
	}
	before := tok
	if mode != readOnly {
		fresh, tried, err := a.refreshIfDue(ctx, tok)
		sr.refreshed = tried
		changed := fresh != tok
		if err != nil && mode != readEndpoint {
			if a.cfg.Debug {
				a.log.DebugContext(ctx, readModeNames[mode]+": the access token expired and could not be refreshed now", reqAttr(r))
			}
			return sr, err
		}
		if changed {
			tok, before = fresh, nil // re-issue
		}
	}
	if tok != before {
		shared = false // a refresh's new token is this request's own
	}
	if mode == readToken {
		sr.tok, sr.shared = tok, shared
		return sr, nil
	}

	// The callbacks and the Session event get a private copy: the JWT
	// callback may change tok in place (before, when shared, stays as it
	// was), and /session's event hands it to the application.
	if a.cfg.Callbacks.JWT != nil || a.cfg.Callbacks.Session != nil || mode == readEndpoint {
		same := before == tok
		switch {
		case shared:
			own()
			if a.cfg.Callbacks.JWT == nil && same {
				before = tok // nothing to compare: no JWT callback
			}
		case mode == readGuard && same && a.cfg.Callbacks.JWT != nil:
			before = tok.Clone()
		}
	}
	p := JWTParams{Token: tok}
	if jp != nil {
		p.Trigger, p.Data = jp.Trigger, jp.Data
	}
	tok, err = a.runJWT(ctx, p)
	if err != nil {
		return sr, fmt.Errorf("jwt callback: %w", err)
	}
	if tok == nil {
		sr.ended = true
		return sr, nil
	}
	sr.expires = a.expiry(tok, a.now())
	s, err := a.buildSession(ctx, tok, a.shownExpiry(tok, sr.rowExpires, sr.expires))
	if err != nil {
		return sr, fmt.Errorf("session callback: %w", err)
	}
	sr.tok, sr.session, sr.shared = tok, s, shared
	switch mode {
	case readEndpoint:
		sr.reissue = true
	case readGuard:
		sr.reissue = before == nil || a.needsReissue(before, tok)
	}
	return sr, nil
}

// refreshIfDue refreshes tok's access token when it is due. It returns the
// token to go on with (tok itself unless the refresh gave a new one),
// whether a refresh was tried, and the error (ErrRefreshUnavailable) only
// when the refresh failed and the access token has expired. A refresh
// token refused for good comes back as the RefreshTokenError token, not
// as an error.
func (a *Auth) refreshIfDue(ctx context.Context, tok *Token) (fresh *Token, tried bool, err error) {
	now := a.now()
	if !a.needsRefresh(tok, now) {
		return tok, false, nil
	}
	fresh, err = a.refresh(ctx, tok)
	switch {
	case err == nil:
		return fresh, true, nil
	case accessTokenValid(tok, now):
		return tok, true, nil
	}
	return tok, true, err
}

// sessionStrategy is where sessions live: the encrypted JWT cookie
// (jwtStrategy) or a database row (dbStrategy, dbsession.go).
type sessionStrategy interface {
	// open returns the session token a cookie value stands for, or nil
	// and an error for a value that opens nothing; errRevocationUnknown
	// or errStoreUnknown when a store cannot say whether it is valid.
	// expires is the session's expiry to the millisecond when a store
	// keeps it so (a database row, as Auth.js writes it; tok's exp has
	// seconds), else zero: the session JSON shows it (shownExpiry).
	open(ctx context.Context, names cookie.Names, raw string) (tok *Token, expires time.Time, err error)
	// openShared is open for a reader that does not change the token:
	// with shared true, tok may be the decode cache's own copy
	// (jwt.Codec.DecodeShared), which must not be changed.
	openShared(ctx context.Context, names cookie.Names, raw string) (tok *Token, expires time.Time, shared bool, err error)
	// seal returns the cookie value for tok. raw is the cookie value the
	// session was opened from, "" at sign-in (a new session).
	seal(ctx context.Context, names cookie.Names, tok *Token, raw string) (string, error)
}

// jwtStrategy keeps the session in the cookie, as an Auth.js JWE, and
// refuses one recorded as ended in the revocation store.
type jwtStrategy struct{ a *Auth }

func (s jwtStrategy) open(ctx context.Context, names cookie.Names, raw string) (*Token, time.Time, error) {
	tok, err := s.a.codec.Decode(names.SessionToken, raw)
	if err != nil || tok == nil {
		return tok, time.Time{}, err
	}
	if err := s.a.checkRevoked(ctx, tok); err != nil {
		return nil, time.Time{}, err
	}
	return tok, time.Time{}, nil
}

func (s jwtStrategy) openShared(ctx context.Context, names cookie.Names, raw string) (*Token, time.Time, bool, error) {
	tok, shared, err := s.a.codec.DecodeShared(names.SessionToken, raw)
	if err != nil || tok == nil {
		return tok, time.Time{}, false, err
	}
	if err := s.a.checkRevoked(ctx, tok); err != nil {
		return nil, time.Time{}, false, err
	}
	return tok, time.Time{}, shared, nil
}

// seal refuses a token too long to be read back (more than eight cookie
// chunks).
func (s jwtStrategy) seal(_ context.Context, names cookie.Names, tok *Token, _ string) (string, error) {
	now := s.a.now()
	maxAge := s.a.expiry(tok, now).Sub(now).Truncate(time.Second)
	if maxAge < time.Second {
		maxAge = time.Second // a session ending now: the read refuses it next time
	}
	enc, err := s.a.codec.Encode(names.SessionToken, tok, maxAge)
	if err != nil {
		return "", err
	}
	if len(enc) > cookie.MaxChunks*cookie.ChunkSize {
		return "", fmt.Errorf("session token is %d bytes, more than %d cookies can carry: keep less in the JWT callback", len(enc), cookie.MaxChunks)
	}
	return enc, nil
}

// clearSession queues the deletion of every session cookie the request
// carried.
func clearSession(q *cookie.Queue, names cookie.Names, present []string) {
	for _, n := range present {
		q.Set(cookie.Expired(n, names))
	}
}

// setSession queues token, chunked, over the deletion of every session
// cookie the request carried, so stale chunks go away.
func setSession(q *cookie.Queue, names cookie.Names, present []string, token string, expires time.Time) {
	var one [1]cookie.Pair
	parts := one[:0]
	if len(token) <= cookie.ChunkSize {
		if token != "" {
			parts = append(parts, cookie.Pair{Name: names.SessionToken, Value: token})
		}
	} else {
		parts = cookie.Split(names.SessionToken, token)
	}
	for _, n := range present {
		if !slices.ContainsFunc(parts, func(p cookie.Pair) bool { return p.Name == n }) {
			q.Set(cookie.Expired(n, names))
		}
	}
	for _, p := range parts {
		q.Set(cookie.New(p.Name, p.Value, names, expires))
	}
}

func (a *Auth) runJWT(ctx context.Context, p JWTParams) (*Token, error) {
	if cb := a.cfg.Callbacks.JWT; cb != nil {
		return cb(ctx, p)
	}
	return p.Token, nil
}

// buildSession makes the default session from tok and runs the Session
// callback on it.
func (a *Auth) buildSession(ctx context.Context, tok *Token, expires time.Time) (*Session, error) {
	box := &struct { // one allocation for both
		s Session
		u SessionUser
	}{u: SessionUser{Name: tok.Name, Email: tok.Email, Image: tok.Picture}}
	u := &box.u
	// A claim that is null, "" or not a string is shown as it is, as
	// Auth.js's {name: token.name, …} does.
	for _, cf := range [...][2]string{{"name", "name"}, {"email", "email"}, {"picture", "image"}} {
		claim, field := cf[0], cf[1]
		if v, ok := tok.Extra[claim]; ok {
			if u.Extra == nil {
				u.Extra = make(map[string]any, 3)
			}
			u.Extra[field] = v
		}
	}
	s := &box.s
	s.User, s.Expires = u, expires
	if e := tok.StringClaim(ClaimError); e != "" {
		s.Extra = map[string]any{"error": e} // the Auth.js guide's session.error
	}
	if cb := a.cfg.Callbacks.Session; cb != nil {
		out, err := cb(ctx, SessionParams{Session: s, Token: tok})
		if err != nil {
			return nil, err
		}
		if out == nil {
			return nil, errors.New("session callback returned nil")
		}
		s = out
	}
	return s, nil
}

// sessionKey is the context key of one Auth's session: each Auth has its
// own, so two instances in one process never read each other's sessions.
type sessionKey struct{ a *Auth }

// SessionFromContext returns the session this Auth's Middleware or
// RequireSession put in ctx, or nil.
func (a *Auth) SessionFromContext(ctx context.Context) *Session {
	s, _ := ctx.Value(sessionKey{a}).(*Session)
	return s
}

// WithSession returns a copy of ctx carrying s as this Auth's session, for
// tests and for middleware of your own: Session and SessionFromContext
// return it.
func (a *Auth) WithSession(ctx context.Context, s *Session) context.Context {
	return context.WithValue(ctx, sessionKey{a}, s)
}

// Token returns the session token of r as its cookie holds it: decoded,
// with its expiry and revocation checked, but no callback run and no
// refresh tried. Use it for claims the session JSON leaves out (as
// Auth.js's getToken); a Go API behind a Next.js app without an Auth uses
// package jwt instead. It returns (nil, nil) when r is signed out, and
// ErrSessionUnavailable when the revocation store cannot answer. Behind
// the middleware it returns the token the request was let in with.
func (a *Auth) Token(r *http.Request) (*Token, error) {
	tok, shared, err := a.peekToken(r)
	if shared {
		return tok.Clone(), err
	}
	return tok, err
}

// peekToken is Token without the copy: shared says the caller must not
// change tok (the request's token behind the middleware, which its
// handlers' callers of Token see too, or the decode cache's own).
func (a *Auth) peekToken(r *http.Request) (tok *Token, shared bool, err error) {
	if st, _ := r.Context().Value(tokenKey{a}).(*reqTokens); st != nil {
		st.mu.Lock()
		defer st.mu.Unlock()
		return st.tok, true, nil
	}
	sr, err := a.readSession(r, nil, readDecode, nil)
	return sr.tok, sr.shared, err
}

func init() {
	peek.Token = func(a any, r *http.Request) (*Token, error) {
		tok, _, err := a.(*Auth).peekToken(r)
		return tok, err
	}
	peek.AccessToken = func(a any, r *http.Request, tok *Token) (string, error) {
		return a.(*Auth).peekAccessToken(r, tok)
	}
}

// newID returns a random version 4 UUID, the id Auth.js gives a user whose
// provider named none.
func newID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// CSRFToken returns the CSRF token for a form of the application's own that
// posts to the endpoints (a sign-out button, say), as GET <base>/csrf would
// give it. When r carries no valid CSRF cookie it mints one and sets it on
// w, so call it before writing the response body.
func (a *Auth) CSRFToken(w http.ResponseWriter, r *http.Request) (string, error) {
	o, err := a.requestOrigin(r)
	if err != nil {
		return "", err
	}
	names := a.cookieNames(o.scheme == "https")
	if v, ok := cookie.Parse(r.Header).Get(names.CSRFToken); ok {
		if tok, ok := csrf.Verify(v, a.csrfSecret); ok {
			return tok, nil
		}
	}
	tok, val := csrf.New(a.csrfSecret)
	var q cookie.Queue
	q.Set(cookie.New(names.CSRFToken, val, names, zeroTime))
	return tok, q.Write(w.Header())
}

// errLifetime: the session is older than Session.MaxLifetime.
var errLifetime = errors.New("the session outlived Session.MaxLifetime: sign in again")

// carryIdentity gives a token minted elsewhere (a Next.js app writes
// neither claim) the start and the identity of its session, so that every
// copy re-issued from it keeps them: auth_time is its iat, session_id is
// derived from its jti, the id its revocation already goes by. A sign-out
// with any copy then ends them all, and MaxLifetime counts from the
// original start.
// Its one caller asks lacksIdentity first (a shared token is copied
// before it changes).
func (a *Auth) carryIdentity(tok *Token) {
	if _, ok := tok.Int(ClaimAuthTime); !ok && tok.IssuedAt > 0 {
		tok.Set(ClaimAuthTime, float64(tok.IssuedAt))
	}
	if tok.StringClaim(ClaimSessionID) == "" && tok.ID != "" {
		tok.Set(ClaimSessionID, "jti:"+tok.ID)
	}
}

// lacksIdentity reports whether carryIdentity would change tok.
func lacksIdentity(tok *Token) bool {
	_, ok := tok.Int(ClaimAuthTime)
	return !ok && tok.IssuedAt > 0 || tok.StringClaim(ClaimSessionID) == "" && tok.ID != ""
}

// lifetimeEnd is when tok's session must end whatever its use
// (Session.MaxLifetime after its start); zero without a limit.
func (a *Auth) lifetimeEnd(tok *Token) time.Time {
	if a.cfg.Session.MaxLifetime < 0 {
		return time.Time{}
	}
	return time.Unix(startedAt(tok), 0).Add(a.cfg.Session.MaxLifetime)
}

// outlived reports whether tok's session has passed its lifetime.
func (a *Auth) outlived(tok *Token) bool {
	end := a.lifetimeEnd(tok)
	return !end.IsZero() && !a.now().Before(end)
}

// expiry is when a cookie for tok written at now expires: MaxAge later,
// but never after the session's lifetime ends.
func (a *Auth) expiry(tok *Token, now time.Time) time.Time {
	exp := now.Add(a.cfg.Session.MaxAge)
	if end := a.lifetimeEnd(tok); !end.IsZero() && end.Before(exp) {
		exp = end
	}
	return exp
}
