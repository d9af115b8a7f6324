package authgo

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/authgo/authgo/jwt"
	"github.com/authgo/authgo/store"
)

// revocationMargin is added to how long revocation records are kept: a
// copy of a cookie can still be re-issued shortly after a revocation (by
// an instance within its RevocationCache, or by a request that passed the
// check before it and then waited on a refresh), and must stay refused
// until it expires too.
const revocationMargin = time.Hour

// RevocationStore records sessions that ended before their cookies
// expire, so that a copy of a cookie kept after sign-out (or after a
// password change, an account being disabled, "sign out everywhere")
// opens no session anywhere (OWASP ASVS 5 §7.4). Every session read asks
// it (Check), so it must answer fast; adapters/sqlite and adapters/redis
// provide ones shared by every instance that uses the same database, and
// Config.Session.Revocations defaults to one in this process's memory.
// While a shared store is down, sessions are refused and a sign-out it
// cannot take is lost unless the store is wrapped by adapters/outbox,
// which keeps it on this instance until the store takes it.
//
// # Use once
//
// A store may also have the method
//
//	UseOnce(ctx context.Context, key string, until time.Time) (first bool, err error)
//
// which records key until until and reports whether this is its first use
// (since any earlier record of it ended), atomically across every instance
// that shares the store. authgo then remembers there every OAuth state that
// reached a callback (key "oauth-state:" and the state's SHA-256, never the
// state; until 16 minutes later), so that a callback replayed with the
// cookies from before it is refused on any instance before the provider is
// asked to redeem its code; every passkey challenge that reached a callback
// likewise (key "webauthn-challenge:" and its SHA-256). A store without the method makes the check hold
// in this process only (its memory keeps at most 65,536 states; past that
// the oldest are forgotten early). When UseOnce returns an error, the
// callback fails closed with CodeUnavailable. adapters/sqlite and
// adapters/redis have the method; adapters/adaptertest.UseOnce checks one.
type RevocationStore interface {
	// RevokeSession records that the session with this id is over. The
	// record may go after until, when every cookie of it has expired.
	RevokeSession(ctx context.Context, id string, until time.Time) error
	// RevokeUser records that every session token of subject sub issued
	// at or before at is over, keeping the record until until.
	RevokeUser(ctx context.Context, sub string, at, until time.Time) error
	// Check reports whether session id is revoked, and the latest cutoff
	// recorded for sub (zero when none), in one round trip where the store
	// allows. id or sub may be empty: nothing is recorded under "".
	Check(ctx context.Context, id, sub string) (revoked bool, cutoff time.Time, err error)
}

// onceStore is the optional UseOnce method of a RevocationStore.
type onceStore interface {
	UseOnce(ctx context.Context, key string, until time.Time) (first bool, err error)
}

// errRevoked: the session was revoked; errRevocationUnknown: the store
// could not say (the session is refused, its cookie kept).
var (
	errRevoked           = errors.New("the session was revoked (signed out)")
	errRevocationUnknown = errors.New("the revocation store did not answer")
)

// revocationID is the id revocation goes by: the session id claim, or the
// token's own jti when it has none.
func revocationID(tok *jwt.Token) string {
	if id := tok.StringClaim(ClaimSessionID); id != "" {
		return id
	}
	if tok.ID != "" {
		return "jti:" + tok.ID
	}
	return ""
}

// startedAt is when tok's session began: auth_time, or the token's own iat
// for a token without it.
func startedAt(tok *jwt.Token) int64 {
	if t, ok := tok.Int(ClaimAuthTime); ok && t > 0 {
		return t
	}
	return tok.IssuedAt
}

// newSessionID returns 128 random bits, base64url.
func newSessionID() string {
	var b [16]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// checkRevoked refuses a decoded session token that was revoked.
func (a *Auth) checkRevoked(ctx context.Context, tok *jwt.Token) error {
	id := revocationID(tok)
	revoked, cutoff, err := a.revocations.Check(ctx, id, tok.Subject)
	switch {
	case err != nil:
		a.warnSometimes(&a.revocationWarn, "authgo: revocation store unavailable; sessions are refused until it answers", "err", err)
		return errRevocationUnknown
	case revoked:
		return errRevoked
	case !cutoff.IsZero() && startedAt(tok) <= cutoff.Unix():
		// Begun before the cutoff: auth_time is carried across re-issues,
		// so a copy re-issued just after the cutoff is refused too.
		return errRevoked
	}
	return nil
}

// probeID is a session id no session has, asked to see whether the
// revocation store answers.
const probeID = "authgo:probe"

// revocationsAnswer reports whether the shared revocation store answers
// now, asking it past the cache; nil without one.
func (a *Auth) revocationsAnswer(ctx context.Context) error {
	s := a.cfg.Session.Revocations
	if s == nil {
		return nil
	}
	if _, _, err := s.Check(ctx, probeID, ""); err != nil {
		a.warnSometimes(&a.revocationWarn, "authgo: revocation store unavailable; sessions are refused until it answers", "err", err)
		return errRevocationUnknown
	}
	return nil
}

// revokeSession ends tok's session for every copy of its cookie.
func (a *Auth) revokeSession(ctx context.Context, tok *jwt.Token) {
	id := revocationID(tok)
	if id == "" {
		return
	}
	// Every copy of the session's cookie re-issued before now expires by
	// now + MaxAge (the copy that signed out may be an older one).
	until := a.now().Add(a.cfg.Session.MaxAge + revocationMargin)
	if exp := time.Unix(tok.ExpiresAt, 0).Add(revocationMargin); exp.After(until) {
		until = exp
	}
	// Not cut short by a browser that leaves mid-sign-out.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := a.revocations.RevokeSession(ctx, id, until); err != nil {
		a.log.Error("authgo: the session could not be revoked; copies of its cookie stay valid until they expire (adapters/outbox keeps such sign-outs until the store answers)", "err", err)
	}
}

// RevokeUser ends every session of user sub that began until now, on
// every instance that shares the revocation store: "sign out everywhere",
// or after a password change or when an account is disabled. Under
// StrategyDatabase the user's rows are deleted too
// (store.SessionStore.DeleteUserSessions). The user's next sign-in works
// as usual (a sign-in in the same second as the revocation is revoked
// too). Refresh tokens held by those sessions are not revoked at their
// provider. The stores' errors are returned, joined, unless the revocation
// store is wrapped by adapters/outbox, which keeps the revocation instead;
// what one store did stands when the other fails.
func (a *Auth) RevokeUser(ctx context.Context, sub string) error {
	if sub == "" {
		return errors.New("authgo: RevokeUser needs a subject")
	}
	now := a.now()
	err := a.revocations.RevokeUser(ctx, sub, now, now.Add(a.cfg.Session.MaxAge+revocationMargin))
	if ds, ok := a.strategy.(dbStrategy); ok {
		_, derr := ds.sessions.DeleteUserSessions(ctx, sub)
		a.sessionCache.invalidateUser(sub)
		if derr != nil {
			err = errors.Join(err, fmt.Errorf("authgo: RevokeUser: deleting the sessions: %w", derr))
		}
	}
	return err
}

// errJWTSessions is why Sessions has nothing to list under StrategyJWT.
var errJWTSessions = fmt.Errorf("authgo: Sessions: JWT sessions live only in their cookies, so the server has no list of them (StrategyDatabase keeps one); end them all with RevokeUser, or one by its session_id with RevokeSession: %w", errors.ErrUnsupported)

// Sessions returns the open database sessions of user userID (the users
// row's id, a session's sub), the most recently seen first: what a "your
// devices" page shows, as GitHub's and better-auth's do. Each has its ID
// (store.SessionID of its token, which opens nothing), Created (the
// sign-in; for a session Auth.js made, its first sight by authgo),
// LastSeen (updated no more often than the row, once per UpdateAge),
// UserAgent and ClientAddr (see Config.TrustedProxies), never its Token.
// Sessions past their expiry or their MaxLifetime are left out. No
// session is not an error.
//
// The current request's session is the one whose ID equals its token's
// session_id claim (ClaimSessionID): mark it, and end the others with
// RevokeSession.
//
// Under StrategyJWT sessions live only in their cookies and there is
// nothing to list: Sessions returns an error that matches
// errors.ErrUnsupported and says so; RevokeUser ends them all.
func (a *Auth) Sessions(ctx context.Context, userID string) ([]store.Session, error) {
	ds, ok := a.strategy.(dbStrategy)
	if !ok {
		return nil, errJWTSessions
	}
	if userID == "" {
		return nil, errors.New("authgo: Sessions needs a user id")
	}
	list, err := ds.sessions.UserSessions(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("authgo: Sessions: %w", err)
	}
	now, open := a.now(), list[:0]
	for _, s := range list {
		if s.Expires.Before(now) {
			continue
		}
		if !s.Created.IsZero() && a.cfg.Session.MaxLifetime > 0 && !now.Before(s.Created.Add(a.cfg.Session.MaxLifetime)) {
			continue
		}
		s.Token = "" // never shown, whatever the store returned
		open = append(open, s)
	}
	return open, nil
}

// RevokeSession ends the session id of user userID on every instance.
//
// Under StrategyDatabase, id is the ID Sessions lists (the token's
// session_id claim): the row is deleted if it is userID's; a session of
// another user, or one already gone, is left alone without an error.
//
// Under StrategyJWT, id is the session_id claim of the session's token
// (Token(r).StringClaim(authgo.ClaimSessionID)), which is what sign-out
// revokes: every copy of that cookie stops opening a session, as after a
// sign-out. The server keeps no list of JWT sessions, so take id from the
// user's own token, or from your record of the user's sign-ins (the JWT
// callback sees it at TriggerSignIn); userID is not checked against it.
//
// The store's error is returned (see RevokeUser about adapters/outbox).
func (a *Auth) RevokeSession(ctx context.Context, userID, id string) error {
	if userID == "" || id == "" {
		return errors.New("authgo: RevokeSession needs a user id and a session id")
	}
	if ds, ok := a.strategy.(dbStrategy); ok {
		_, err := ds.sessions.DeleteUserSession(ctx, userID, id)
		a.sessionCache.invalidate(id)
		if err != nil {
			return fmt.Errorf("authgo: RevokeSession: %w", err)
		}
		return nil
	}
	if err := a.revocations.RevokeSession(ctx, id, a.now().Add(a.cfg.Session.MaxAge+revocationMargin)); err != nil {
		return fmt.Errorf("authgo: RevokeSession: %w", err)
	}
	return nil
}

// memoryRevocations is the default RevocationStore: this process only.
// Its UseOnce keeps at most maxUsedStates records.
type memoryRevocations struct {
	once *memoryOnce

	n        atomic.Int64 // entries, read without the lock
	mu       sync.RWMutex
	now      func() time.Time
	sessions map[string]time.Time // id → until
	users    map[string][2]int64  // sub → cutoff, until (Unix)
	pruneAt  int                  // prune when this many records are kept
}

func newMemoryRevocations(now func() time.Time) *memoryRevocations {
	return &memoryRevocations{once: newMemoryOnce(now, maxUsedStates, nil), now: now, sessions: map[string]time.Time{}, users: map[string][2]int64{}}
}

func (m *memoryRevocations) UseOnce(ctx context.Context, key string, until time.Time) (bool, error) {
	return m.once.UseOnce(ctx, key, until)
}

func (m *memoryRevocations) RevokeSession(_ context.Context, id string, until time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.prune()
	m.sessions[id] = until
	m.n.Store(int64(len(m.sessions) + len(m.users)))
	return nil
}

func (m *memoryRevocations) RevokeUser(_ context.Context, sub string, at, until time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.prune()
	if old, ok := m.users[sub]; !ok || old[0] < at.Unix() {
		m.users[sub] = [2]int64{at.Unix(), until.Unix()}
	}
	m.n.Store(int64(len(m.sessions) + len(m.users)))
	return nil
}

func (m *memoryRevocations) Check(_ context.Context, id, sub string) (bool, time.Time, error) {
	if m.n.Load() == 0 {
		return false, time.Time{}, nil
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	now := m.now()
	if until, ok := m.sessions[id]; ok && id != "" && now.Before(until) {
		return true, time.Time{}, nil
	}
	if u, ok := m.users[sub]; ok && sub != "" && now.Unix() < u[1] {
		return false, time.Unix(u[0], 0), nil
	}
	return false, time.Time{}, nil
}

// prune drops expired records once the maps have doubled since the last
// time, so that writes stay cheap on average.
func (m *memoryRevocations) prune() {
	if len(m.sessions)+len(m.users) < max(m.pruneAt, 4096) {
		return
	}
	defer func() { m.pruneAt = 2 * (len(m.sessions) + len(m.users)) }()
	now := m.now()
	for k, until := range m.sessions {
		if !now.Before(until) {
			delete(m.sessions, k)
		}
	}
	for k, u := range m.users {
		if now.Unix() >= u[1] {
			delete(m.users, k)
		}
	}
}

// cachedRevocations fronts a shared store: answers are kept for ttl, so a
// session read costs a map lookup rather than a round trip, and
// revocations made through this instance are also kept locally, so they
// take effect here at once. Another instance's sign-out takes effect here
// within ttl.
type cachedRevocations struct {
	inner RevocationStore
	local *memoryRevocations
	ttl   time.Duration
	now   func() time.Time

	mu      sync.Mutex
	answers map[[2]string]cachedAnswer
}

type cachedAnswer struct {
	revoked bool
	cutoff  time.Time
	until   time.Time
}

// maxCachedAnswers bounds the cache; past it, expired answers go, then
// all of them (answers only save round trips). With the default 2 s TTL,
// that is 5,000 distinct sessions a second before the cache starts over.
const maxCachedAnswers = 10000

func newCachedRevocations(inner RevocationStore, ttl time.Duration, now func() time.Time) *cachedRevocations {
	return &cachedRevocations{inner: inner, local: newMemoryRevocations(now), ttl: ttl, now: now, answers: map[[2]string]cachedAnswer{}}
}

func (c *cachedRevocations) RevokeSession(ctx context.Context, id string, until time.Time) error {
	c.local.RevokeSession(ctx, id, until)
	return c.inner.RevokeSession(ctx, id, until)
}

func (c *cachedRevocations) RevokeUser(ctx context.Context, sub string, at, until time.Time) error {
	c.local.RevokeUser(ctx, sub, at, until)
	return c.inner.RevokeUser(ctx, sub, at, until)
}

func (c *cachedRevocations) Check(ctx context.Context, id, sub string) (bool, time.Time, error) {
	lr, lcut, _ := c.local.Check(ctx, id, sub)
	if lr {
		return true, time.Time{}, nil
	}
	key, now := [2]string{id, sub}, c.now()
	c.mu.Lock()
	a, ok := c.answers[key]
	c.mu.Unlock()
	if !ok || !now.Before(a.until) {
		revoked, cutoff, err := c.inner.Check(ctx, id, sub)
		if err != nil {
			return false, time.Time{}, err
		}
		a = cachedAnswer{revoked, cutoff, now.Add(c.ttl)}
		c.mu.Lock()
		if len(c.answers) >= maxCachedAnswers {
			for k, a := range c.answers {
				if !now.Before(a.until) {
					delete(c.answers, k)
				}
			}
			if len(c.answers) >= maxCachedAnswers {
				clear(c.answers)
			}
		}
		c.answers[key] = a
		c.mu.Unlock()
	}
	if lcut.After(a.cutoff) {
		a.cutoff = lcut
	}
	return a.revoked, a.cutoff, nil
}
