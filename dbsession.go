package authgo

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/authgo/authgo/internal/cookie"
	"github.com/authgo/authgo/provider"
	"github.com/authgo/authgo/store"
)

// errStoreUnknown: the session store could not answer (the session is
// refused, its cookie kept); errNoSession: the cookie names no session
// (deleted, expired, or never made).
var (
	errStoreUnknown = errors.New("the session store did not answer")
	errNoSession    = errors.New("no such database session")
)

// maxSessionToken bounds the cookie values looked up in the store: authgo's
// tokens are 43 bytes, Auth.js's 36, and pg-adapter's column holds 255.
const maxSessionToken = 255

// dbStrategy keeps the session in a store row (Auth.js's "database"
// strategy); the cookie holds only its token.
//
// open builds the session's token from the row and its user: sub is the
// user's id, name, email and picture the user's; exp is the row's expiry,
// iat the time the row was last written (so the middleware's UpdateAge rule
// rewrites it as Auth.js's updateAge does), auth_time the sign-in recorded
// in authgo_sessions, which MaxLifetime counts from (for a session Auth.js
// made, its first sight), session_id the store.SessionID of the token (the
// ID Sessions lists and RevokeSession takes). The revocation store is
// asked too, so that RevokeUser ends database sessions begun before it.
// A session that signed in with provider tokens gets them from its
// accounts row (accountClaims). What the stores returned is kept for
// SessionConfig.StoreCache (sessioncache.go); expiry, MaxLifetime and
// revocation are checked on every read.
type dbStrategy struct {
	a        *Auth
	sessions store.SessionStore
}

// openShared is open: a database session's token is made for each read.
func (s dbStrategy) openShared(ctx context.Context, names cookie.Names, raw string) (*Token, time.Time, bool, error) {
	tok, expires, err := s.open(ctx, names, raw)
	return tok, expires, false, err
}

func (s dbStrategy) open(ctx context.Context, _ cookie.Names, raw string) (*Token, time.Time, error) {
	if len(raw) > maxSessionToken {
		return nil, time.Time{}, errNoSession
	}
	id := store.SessionID(raw)
	sess, u, acc, err := s.load(ctx, raw, id)
	if err != nil {
		return nil, time.Time{}, err
	}
	if sess == nil {
		return nil, time.Time{}, errNoSession
	}
	a, now := s.a, s.a.now()
	if sess.Expires.Before(now) {
		s.delete(ctx, raw)
		return nil, time.Time{}, errNoSession
	}
	tok := &Token{Subject: u.ID, Name: u.Name, Email: u.Email, Picture: u.Image}
	// A NULL column is shown as null, as Auth.js with pg shows it.
	for claim, v := range map[string]string{"name": u.Name, "email": u.Email, "picture": u.Image} {
		if v == "" {
			tok.Set(claim, nil)
		}
	}
	if u.Email != "" && !u.EmailVerified.IsZero() {
		tok.Set(ClaimEmailVerified, true)
	}
	tok.ExpiresAt = sess.Expires.Unix()
	tok.IssuedAt = sess.Expires.Add(-a.cfg.Session.MaxAge).Unix()
	tok.Set(ClaimSessionID, id)
	tok.Set(ClaimAuthTime, float64(sess.Created.Unix()))
	if a.outlived(tok) {
		s.delete(ctx, raw)
		return nil, time.Time{}, errLifetime
	}
	if err := a.checkRevoked(ctx, tok); err != nil {
		return nil, time.Time{}, err
	}
	if acc != nil && acc.UserID == u.ID {
		a.accountClaims(tok, acc)
	}
	return tok, sess.Expires, nil
}

// load returns the session whose cookie value is raw (and whose
// store.SessionID is id), its user, and the accounts row it signed in
// with (nil when none): from the session cache while its entry is fresh,
// else from the stores, one round trip to each (the sessions store, and
// the users store for a session that signed in with provider tokens). A
// session that is gone comes back nil, and is not cached; an expired one
// comes back as it is, for open to delete. A session Auth.js made, seen
// for the first time, gets its authgo_sessions row here.
func (s dbStrategy) load(ctx context.Context, raw, id string) (*store.Session, *store.User, *store.Account, error) {
	c := s.a.sessionCache
	e, ok, gen := c.get(id)
	if ok {
		return &e.sess, &e.user, e.acc, nil
	}
	sess, u, err := s.sessions.SessionAndUser(ctx, raw)
	if err != nil {
		s.a.warnSometimes(&s.a.revocationWarn, "authgo: session store unavailable; sessions are refused until it answers", "err", err)
		return nil, nil, nil, fmt.Errorf("%w: %w", errStoreUnknown, err)
	}
	if sess == nil || u == nil {
		return nil, nil, nil, nil
	}
	now := s.a.now()
	if sess.Expires.Before(now) {
		return sess, u, nil, nil
	}
	if sess.Created.IsZero() {
		// A session Auth.js made, seen for the first time: its lifetime
		// counts from now, recorded at once (UpdateSession with the row's
		// own expiry writes its authgo_sessions row, Created = now), so
		// that later reads find it and never write it again.
		if err := s.sessions.UpdateSession(ctx, raw, sess.Expires, now); err != nil {
			s.a.warnSometimes(&s.a.revocationWarn, "authgo: session store unavailable; sessions are refused until it answers", "err", err)
			return nil, nil, nil, fmt.Errorf("%w: %w", errStoreUnknown, err)
		}
		sess.Created = now
	}
	var acc *store.Account
	if sess.Provider != "" {
		acc, err = s.a.cfg.Users.Account(ctx, sess.Provider, sess.ProviderAccountID)
		if err != nil {
			s.a.warnSometimes(&s.a.revocationWarn, "authgo: users store unavailable; sessions are refused until it answers", "err", err)
			return nil, nil, nil, fmt.Errorf("%w: %w", errStoreUnknown, err)
		}
	}
	c.put(id, gen, *sess, *u, acc)
	return sess, u, acc, nil
}

// accountClaims gives tok, a database session's token, the provider
// tokens of the accounts row acc it signed in with, under the claims the
// JWT strategy keeps them in, so that AccessToken, Client, the proxy and
// the refresh engine work on both strategies alike. A row whose access
// token is gone lost it to a terminal refresh failure (writeBackAccount):
// the session's error is then RefreshTokenError.
func (a *Auth) accountClaims(tok *Token, acc *store.Account) {
	tok.Set(claimProvider, acc.Provider)
	tok.Set(claimProviderAccount, acc.ProviderAccountID)
	// The provider's subject, for SubjectRefresher's check.
	tok.Set(claimProviderSubject, acc.ProviderAccountID)
	if es, ok := a.providers[acc.Provider].(provider.EndSessionProvider); ok && es.SignOutAtProvider() && acc.IDToken != "" {
		tok.Set(claimIDToken, acc.IDToken)
	}
	if acc.AccessToken == "" {
		tok.Set(ClaimError, RefreshTokenError)
		return
	}
	tok.Set(ClaimAccessToken, acc.AccessToken)
	if acc.RefreshToken != "" {
		tok.Set(ClaimRefreshToken, acc.RefreshToken)
	}
	if acc.ExpiresAt > 0 {
		tok.Set(ClaimExpiresAt, float64(acc.ExpiresAt))
	}
	if acc.TokenType != "" {
		tok.Set(ClaimTokenType, acc.TokenType)
	}
	if acc.Scope != "" {
		tok.Set(ClaimScope, acc.Scope)
	}
}

// writeBackAccount stores the outcome of the refresh of tok's refresh
// token in the accounts row a database session's tokens live in: the new
// tokens (set), or none after a terminal failure (set nil). It runs where
// the refresh engine calls the provider, so once per refresh token across
// instances. A row whose refresh token is no longer the one refreshed was
// rewritten by a sign-in meanwhile and is left alone. A failed write is
// logged: the engine still hands the new tokens to the requests that
// bring the old refresh token while it remembers the outcome.
func (a *Auth) writeBackAccount(ctx context.Context, tok *Token, set *provider.TokenSet) {
	if _, ok := a.strategy.(dbStrategy); !ok {
		return
	}
	prov, id := tok.StringClaim(claimProvider), tok.StringClaim(claimProviderAccount)
	if prov == "" || id == "" {
		return
	}
	fail := func(err error) {
		a.log.Error("authgo: the refreshed tokens could not be written to the accounts row", "provider", prov, "err", err)
	}
	acc, err := a.cfg.Users.Account(ctx, prov, id)
	if err != nil {
		fail(err)
		return
	}
	if acc == nil || acc.RefreshToken != tok.StringClaim(ClaimRefreshToken) {
		return
	}
	if set == nil {
		acc.AccessToken, acc.RefreshToken, acc.ExpiresAt = "", "", 0
	} else {
		acc.AccessToken, acc.ExpiresAt = set.AccessToken, 0
		if set.RefreshToken != "" {
			acc.RefreshToken = set.RefreshToken
		}
		if exp := expiryOf(*set, a.now()); !exp.IsZero() {
			acc.ExpiresAt = exp.Unix()
		}
		if set.TokenType != "" {
			acc.TokenType = set.TokenType
		}
		if set.Scope != "" {
			acc.Scope = set.Scope
		}
		if set.IDToken != "" {
			acc.IDToken = set.IDToken
		}
	}
	err = a.cfg.Users.UpdateAccount(ctx, *acc)
	a.sessionCache.invalidateAccount(acc.Provider, acc.ProviderAccountID)
	if err != nil {
		fail(err)
	}
}

// seal rewrites the row's expiry when it is due (Auth.js's updateAge
// arithmetic: expires − maxAge + updateAge ≤ now), capped at the end of
// the session's lifetime, and returns the same token: a database session
// keeps its token until sign-out. A new session is made only at sign-in
// (create), never from a token the browser brought.
func (s dbStrategy) seal(ctx context.Context, _ cookie.Names, tok *Token, raw string) (string, error) {
	if raw == "" {
		return "", errors.New("database session: no token to re-issue (sessions are made at sign-in)")
	}
	a, now := s.a, s.a.now()
	if tok.IssuedAt+int64(a.cfg.Session.UpdateAge/time.Second) <= now.Unix() {
		// Milliseconds, as Auth.js writes them.
		exp := a.expiry(tok, now).Truncate(time.Millisecond)
		err := s.sessions.UpdateSession(ctx, raw, exp, now)
		s.a.sessionCache.invalidate(store.SessionID(raw))
		if err != nil {
			return "", fmt.Errorf("database session: update: %w", err)
		}
	}
	return raw, nil
}

// create makes a new session for tok's subject, for the sign-in r with
// account, and returns its token. When the sign-in returned an access
// token, the session records the accounts row it lives in (signInUser
// wrote it), which open reads the tokens from.
func (s dbStrategy) create(ctx context.Context, tok *Token, account *Account, r *http.Request) (string, error) {
	now := s.a.now()
	var b [32]byte
	rand.Read(b[:])
	raw := base64.RawURLEncoding.EncodeToString(b[:])
	addr := s.a.clientAddr(r)
	ua := r.UserAgent()
	if len(ua) > 512 {
		ua = ua[:512]
	}
	sess := store.Session{
		Token: raw, UserID: tok.Subject, Expires: s.a.expiry(tok, now).Truncate(time.Millisecond),
		Created: now, LastSeen: now, UserAgent: ua, ClientAddr: addr,
	}
	if account != nil && account.AccessToken != "" {
		sess.Provider, sess.ProviderAccountID = account.Provider, account.ProviderAccountID
	}
	if err := s.sessions.CreateSession(ctx, sess); err != nil {
		return "", fmt.Errorf("%w: %w", errStoreUnknown, err)
	}
	return raw, nil
}

// clientAddr is the address r came from, by the rule of
// Config.TrustedProxies; for a peer that is not an IP address, r.RemoteAddr
// as it is.
func (a *Auth) clientAddr(r *http.Request) string {
	if addr, ok := a.ClientAddr(r); ok {
		return addr.String()
	}
	return r.RemoteAddr
}

// delete removes the session raw, logging a failure: the row then expires
// on its own, and every read refuses it meanwhile.
func (s dbStrategy) delete(ctx context.Context, raw string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	err := s.sessions.DeleteSession(ctx, raw)
	s.a.sessionCache.invalidate(store.SessionID(raw))
	if err != nil {
		s.a.log.Warn("authgo: an ended database session could not be deleted", "err", err)
	}
}

// shownExpiry is the expires the session JSON shows: the cookie's new one,
// or under the database strategy the row's expiry as read, before this
// request rewrote it, as Auth.js shows it: row, to the millisecond, unless
// the JWT callback changed tok's exp.
func (a *Auth) shownExpiry(tok *Token, row, next time.Time) time.Time {
	if _, ok := a.strategy.(dbStrategy); ok && tok.ExpiresAt > 0 {
		if !row.IsZero() && row.Unix() == tok.ExpiresAt {
			return row.Truncate(time.Millisecond)
		}
		return time.Unix(tok.ExpiresAt, 0)
	}
	return next
}

// newSessionCookie returns the cookie value of a new session for tok,
// signed in through rq with account: a new database session, or the sealed
// JWT.
func (a *Auth) newSessionCookie(ctx context.Context, rq *request, tok *Token, account *Account) (string, error) {
	if ds, ok := a.strategy.(dbStrategy); ok {
		return ds.create(ctx, tok, account, rq.r)
	}
	return a.strategy.seal(ctx, rq.names, tok, "")
}

// signOutDatabase ends the database session the sign-out request carries:
// its row is deleted, so a kept copy of the cookie opens nothing. When the
// store cannot delete it, the sign-out fails with Unavailable and the
// cookie is kept, so that the user can try again: a session that lives on
// in the store is never shown as ended.
func (a *Auth) signOutDatabase(rq *request, ds dbStrategy) (*response, error) {
	ctx := rq.r.Context()
	res := &response{location: rq.callbackURL}
	raw, present, err := cookie.ReadChunked(rq.jar, rq.names.SessionToken)
	if err != nil || raw == "" {
		clearSession(&res.cookies, rq.names, present)
		return res, nil
	}
	tok, _, oerr := ds.open(ctx, rq.names, raw)
	if len(raw) <= maxSessionToken {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		err := ds.sessions.DeleteSession(dctx, raw)
		cancel()
		a.sessionCache.invalidate(store.SessionID(raw))
		if err != nil {
			a.log.Error("authgo: sign-out: the database session could not be deleted", "err", err)
			return nil, fail(CodeUnavailable, err)
		}
	}
	if a.cfg.Debug {
		a.log.DebugContext(ctx, "authgo: sign-out: database session deleted", "session", sessionState(tok, oerr))
	}
	if tok != nil {
		if loc := a.signOutAtProvider(rq, tok); loc != "" {
			res.location = loc
		}
	}
	if ev := a.cfg.Events.SignOut; ev != nil {
		a.event(ctx, "SignOut", func() { ev(ctx, SignOutEvent{Token: tok}) })
	}
	clearSession(&res.cookies, rq.names, present)
	return res, nil
}
