package authgo

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// RefreshTokenError is the session error after a refresh failed for good
// (the refresh token was refused): the Auth.js guide's value. The tokens
// are dropped; the user must sign in again.
const RefreshTokenError = "RefreshTokenError"

// ErrRefreshUnavailable reports that an access token is needed, the one in
// the session has expired, and refreshing it failed for a reason that may
// pass (a timeout, a 5xx). The session is unchanged; the middleware and
// the proxy answer 503 with Retry-After.
var ErrRefreshUnavailable = errors.New("authgo: the access token expired and could not be refreshed now")

// ErrNoAccessToken reports a session without an access token (signed out,
// signed in with a provider that gave none, or after a RefreshTokenError).
var ErrNoAccessToken = errors.New("authgo: no access token in the session")

// RefreshError is a failed refresh, as a provider (or Tokens.Refresh)
// reports it. Terminal failures (invalid_grant, invalid_client, … or a
// back end's 400/401) end the session's tokens; others leave the session
// alone. A refresh that fails with any other error counts as transient.
type RefreshError struct {
	Code     string // "invalid_grant", "http_503", …
	Terminal bool
	Err      error
}

func (e *RefreshError) Error() string {
	kind := "transient"
	if e.Terminal {
		kind = "terminal"
	}
	if e.Err != nil {
		return fmt.Sprintf("authgo: refresh failed (%s, %s): %v", e.Code, kind, e.Err)
	}
	return fmt.Sprintf("authgo: refresh failed (%s, %s)", e.Code, kind)
}

func (e *RefreshError) Unwrap() error { return e.Err }

// TerminalRefreshCode reports whether an RFC 6749 error code from a token
// endpoint means the refresh token will never work again.
func TerminalRefreshCode(code string) bool {
	switch code {
	case "invalid_grant", "invalid_client", "unauthorized_client", "invalid_scope", "unsupported_grant_type", "invalid_request":
		return true
	}
	return false
}

// TokensConfig configures access-token management.
type TokensConfig struct {
	// RefreshSkew is how long before expiry a token is refreshed. Default
	// 60 s, never more than half the token's lifetime.
	RefreshSkew time.Duration
	// RefreshTimeout bounds one refresh, which runs to completion even when
	// the request that started it goes away (a rotation must not be cut
	// off halfway). Default 10 s.
	RefreshTimeout time.Duration
	// Refresh refreshes a session's tokens itself, instead of the provider
	// that signed the user in. Return a *RefreshError to say whether a
	// failure is terminal.
	Refresh func(ctx context.Context, tok *Token) (*TokenSet, error)
	// Locker coordinates refreshes between instances that share a
	// refresh token (several servers behind one site); nil means this
	// process only. adapters/redis provides one.
	Locker RefreshLocker
}

// RefreshLocker lets instances agree on who refreshes a refresh token and
// share the outcome. Keys are hashes, never tokens; values are sealed by
// authgo before they are stored.
type RefreshLocker interface {
	// TryLock takes the lock for key with a lease it keeps renewing until
	// unlock is called; ok is false when another instance holds it.
	TryLock(ctx context.Context, key string) (unlock func(), ok bool, err error)
	// Result returns the outcome stored for key, or nil when none is.
	Result(ctx context.Context, key string) ([]byte, error)
	// SetResult stores the outcome for key for ttl. Called while holding
	// key's lock; an implementation should refuse (an error) when that
	// lock was lost meanwhile, so that the next holder's outcome stands.
	SetResult(ctx context.Context, key string, value []byte, ttl time.Duration) error
}

const (
	defaultRefreshSkew    = 60 * time.Second
	defaultRefreshTimeout = 10 * time.Second
	successorTTL          = 120 * time.Second
	tombstoneTTL          = 30 * time.Second
)

// setTokens writes a token endpoint's answer into tok: the access token,
// its expiry (the earlier of the response's expires_in and the token's own
// JWT exp, counted from obtained, the time just before the request), the
// refresh token (the old one stays when the answer has none), type and
// scope; it clears a previous error.
func setTokens(tok *Token, set TokenSet, obtained time.Time) {
	if tok.Extra == nil {
		tok.Extra = map[string]any{}
	}
	tok.Extra[ClaimAccessToken] = set.AccessToken
	if set.RefreshToken != "" {
		tok.Extra[ClaimRefreshToken] = set.RefreshToken
	}
	exp := expiryOf(set, obtained)
	if exp.IsZero() {
		delete(tok.Extra, ClaimExpiresAt)
	} else {
		tok.Extra[ClaimExpiresAt] = float64(exp.Unix())
	}
	tok.Extra[claimObtainedAt] = float64(obtained.Unix())
	if set.TokenType != "" {
		tok.Extra[ClaimTokenType] = set.TokenType
	}
	if set.Scope != "" {
		tok.Extra[ClaimScope] = set.Scope
	}
	delete(tok.Extra, ClaimError)
}

// expiryOf is the earliest expiry the answer tells: Expiry (from
// expires_in) and the access token's own exp when it is a JWT. The exp is
// read without verifying: it only schedules a refresh.
func expiryOf(set TokenSet, obtained time.Time) time.Time {
	exp := set.Expiry
	if e := jwtExp(set.AccessToken); !e.IsZero() && (exp.IsZero() || e.Before(exp)) {
		exp = e
	}
	return exp
}

// jwtExp returns the exp of a JWS compact token, or zero.
func jwtExp(tok string) time.Time {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 || len(parts[1]) > 8192 {
		return time.Time{}
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return time.Time{}
	}
	var c struct {
		Exp json.Number `json:"exp"`
	}
	if json.Unmarshal(b, &c) != nil {
		return time.Time{}
	}
	n, err := c.Exp.Int64()
	if err != nil || n <= 0 {
		return time.Time{}
	}
	return time.Unix(n, 0)
}

// tokenState reads the access-token claims of tok.
func tokenState(tok *Token) (at, rt string, exp, obtained int64) {
	at = tok.String(ClaimAccessToken)
	rt = tok.String(ClaimRefreshToken)
	exp, _ = tok.Int(ClaimExpiresAt)
	obtained, _ = tok.Int(claimObtainedAt)
	return
}

// needsRefresh: a refresh token is held and the access token is missing,
// inside the refresh window, or refused by an API (AccessTokenRejected).
func (a *Auth) needsRefresh(tok *Token, now time.Time) bool {
	at, rt, exp, obtained := tokenState(tok)
	if rt == "" || tok.String(ClaimError) != "" {
		return false
	}
	if at == "" || a.tokens.isStale(a, at) {
		return true
	}
	if exp == 0 {
		return false // no lifetime known: refreshed only when asked
	}
	skew := a.cfg.Tokens.RefreshSkew
	if obtained > 0 && exp > obtained {
		if half := time.Duration(exp-obtained) * time.Second / 2; half < skew {
			skew = half
		}
	}
	return !now.Before(time.Unix(exp, 0).Add(-skew))
}

// accessTokenValid: the access token has not expired (without skew).
func accessTokenValid(tok *Token, now time.Time) bool {
	at, _, exp, _ := tokenState(tok)
	return at != "" && (exp == 0 || now.Unix() < exp)
}

// refresher is what can refresh: providers with a Refresh method.
type refresher interface {
	Refresh(ctx context.Context, refreshToken string) (*TokenSet, error)
}

// refreshOutcome is one refresh's result, shared by every request that
// carried the same refresh token.
type refreshOutcome struct {
	set      *TokenSet // nil on failure
	obtained time.Time
	err      error // *RefreshError (terminal) or a transient error
}

// tokenManager coalesces refreshes: one per refresh token in this process
// (single flight), a successor cache for requests that still carry the old
// cookie after the refresh finished, and the optional cross-instance lock.
type tokenManager struct {
	mu       sync.Mutex
	inflight map[string]chan struct{}
	results  map[string]cachedOutcome
	hung     map[string]hungRun // refreshes past their budget, still running

	// stale holds access tokens an API refused before their expiry
	// (AccessTokenRejected), until that expiry (Unix seconds); nstale is
	// its length, read without the lock on every request.
	stale  map[string]int64
	nstale atomic.Int64
	// Times of the last warning that the lock store is down, that an API
	// refused a token just obtained, and that the revocation store is down
	// (warnSometimes).
	lastLockWarn, lastRejectWarn, lastRevocationWarn time.Time
}

// hungRun is a refresh past its budget that has not returned: new
// refreshes of its key wait (answer 503) until it does, or until until.
type hungRun struct {
	until time.Time
	run   chan struct{} // the run's done channel: which run set the mark
}

// usable reports whether a cached outcome may serve: not expired, and not
// carrying an access token an API has refused since (a provider that does
// not rotate refresh tokens keeps the key). Called with m.mu held.
func (m *tokenManager) usable(a *Auth, c cachedOutcome) bool {
	now := a.now()
	if !now.Before(c.expires) {
		return false
	}
	if c.out.set != nil && m.nstale.Load() > 0 {
		if until, ok := m.stale[c.out.set.AccessToken]; ok && now.Unix() < until {
			return false
		}
	}
	return true
}

// maxStale bounds the marks; staleGrace is how old a token must be before
// a refusal marks it, so that an API that refuses every token (a wrong
// audience) costs one refresh per token lifetime-ish, not one per request.
const (
	maxStale      = 10000
	staleGrace    = 30 * time.Second
	staleNoExpFor = 24 * time.Hour
)

// isStale reports whether an API refused at and a refresh is due.
func (m *tokenManager) isStale(a *Auth, at string) bool {
	if m.nstale.Load() == 0 {
		return false
	}
	m.mu.Lock()
	until, ok := m.stale[at]
	m.mu.Unlock()
	return ok && a.now().Unix() < until
}

// markStale records that an API refused at, valid until exp (0: unknown).
func (m *tokenManager) markStale(a *Auth, at string, exp int64) {
	now := a.now()
	switch {
	case exp == 0:
		exp = now.Add(staleNoExpFor).Unix()
	case exp <= now.Unix():
		return // expired: refreshed anyway
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stale == nil {
		m.stale = map[string]int64{}
	}
	if len(m.stale) >= maxStale {
		for k, until := range m.stale {
			if until <= now.Unix() {
				delete(m.stale, k)
			}
		}
		if len(m.stale) >= maxStale {
			clear(m.stale) // marks only save a round trip; memory is bounded
		}
	}
	m.stale[at] = exp
	m.nstale.Store(int64(len(m.stale)))
}

// warnSometimes logs a warning at most once a minute per *last (one of
// the tokenManager's fields, guarded by its mutex): for conditions that
// can hold for every request.
func (a *Auth) warnSometimes(last *time.Time, msg string, args ...any) {
	a.tokens.mu.Lock()
	now := time.Now()
	quiet := now.Sub(*last) < time.Minute
	if !quiet {
		*last = now
	}
	a.tokens.mu.Unlock()
	if !quiet {
		a.log.Warn(msg, args...)
	}
}

type cachedOutcome struct {
	out     *refreshOutcome
	expires time.Time
}

// cached returns the outcome known for key without starting a refresh.
func (m *tokenManager) cached(a *Auth, key string) *refreshOutcome {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c, ok := m.results[key]; ok && m.usable(a, c) {
		return c.out
	}
	return nil
}

func rtKey(rt string) string {
	sum := sha256.Sum256([]byte(rt))
	return hex.EncodeToString(sum[:])
}

// refresh brings tok's tokens up to date, returning the changed token. A
// terminal failure comes back as a token with the error claim set and the
// tokens dropped, and a nil error; a transient one as the unchanged token
// and the error. When the successor of tok's refresh token has itself been
// refreshed since (a cookie from several rotations ago), up to three more
// links are followed.
func (a *Auth) refresh(ctx context.Context, tok *Token) (*Token, error) {
	fresh, err := a.refreshChain(ctx, tok)
	if a.cfg.Debug {
		switch {
		case err != nil:
			a.log.DebugContext(ctx, "authgo: refresh attempted: failed for now; the access token is kept while it is valid", "err", err)
		case fresh.String(ClaimError) == RefreshTokenError && tok.String(ClaimError) != RefreshTokenError:
			a.log.DebugContext(ctx, "authgo: refresh attempted: the refresh token was refused; the session needs a new sign-in")
		case fresh == tok:
			a.log.DebugContext(ctx, "authgo: refresh attempted: nothing new yet")
		default:
			exp, _ := fresh.Int(ClaimExpiresAt)
			a.log.DebugContext(ctx, "authgo: refresh attempted: new access token", "expires_at", exp)
		}
	}
	return fresh, err
}

// refreshChain is refresh without the debug log.
func (a *Auth) refreshChain(ctx context.Context, tok *Token) (*Token, error) {
	cur := tok
	for i := range 4 {
		_, rt, _, _ := tokenState(cur)
		var out *refreshOutcome
		if i == 0 {
			out = a.tokens.outcome(a, ctx, cur, rtKey(rt))
		} else if out = a.tokens.cached(a, rtKey(rt)); out == nil {
			// Follow only successors already known: one request spends
			// at most one refresh, whatever the clocks say.
			return cur, nil
		}
		var re *RefreshError
		switch {
		case out.err == nil:
			next := cur.Clone()
			setTokens(next, *out.set, out.obtained)
			cur = next
			if !a.needsRefresh(cur, a.now()) {
				return cur, nil
			}
		case errors.As(out.err, &re) && re.Terminal:
			next := cur.Clone()
			delete(next.Extra, ClaimAccessToken)
			delete(next.Extra, ClaimRefreshToken)
			delete(next.Extra, ClaimExpiresAt)
			next.Extra[ClaimError] = RefreshTokenError
			return next, nil
		default:
			if cur != tok && accessTokenValid(cur, a.now()) {
				return cur, nil
			}
			return tok, out.err
		}
	}
	return cur, nil
}

// outcome returns the refresh outcome for key: from the successor cache,
// by waiting for a refresh in flight, or by running one.
func (m *tokenManager) outcome(a *Auth, ctx context.Context, tok *Token, key string) *refreshOutcome {
	{
		m.mu.Lock()
		if c, ok := m.results[key]; ok && m.usable(a, c) {
			m.mu.Unlock()
			return c.out
		}
		if h, ok := m.hung[key]; ok && a.now().Before(h.until) {
			// Never two calls with one refresh token: the last one may
			// still rotate it.
			m.mu.Unlock()
			return &refreshOutcome{err: fmt.Errorf("%w: a refresh is still running", ErrRefreshUnavailable)}
		}
		wait, running := m.inflight[key]
		if !running {
			if m.inflight == nil {
				m.inflight = map[string]chan struct{}{}
				m.results = map[string]cachedOutcome{}
				m.hung = map[string]hungRun{}
			}
			wait = make(chan struct{})
			m.inflight[key] = wait
			m.mu.Unlock()
			// Detached: a browser that leaves must not cut a rotation off.
			go m.run(a, context.WithoutCancel(ctx), tok.Clone(), key, wait)
		} else {
			m.mu.Unlock()
		}
		select {
		case <-wait:
		case <-ctx.Done():
			return &refreshOutcome{err: fmt.Errorf("%w: %w", ErrRefreshUnavailable, ctx.Err())}
		}
		m.mu.Lock()
		c, ok := m.results[key]
		m.mu.Unlock()
		if ok {
			return c.out
		}
		// A transient failure is not cached: this caller tried once.
		return &refreshOutcome{err: fmt.Errorf("%w: the refresh failed", ErrRefreshUnavailable)}
	}
}

func (m *tokenManager) run(a *Auth, ctx context.Context, tok *Token, key string, done chan struct{}) {
	result := make(chan *refreshOutcome, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				result <- &refreshOutcome{err: fmt.Errorf("authgo: refresh panicked: %v", p)}
			}
		}()
		result <- a.refreshShared(ctx, tok, key)
	}()
	timer := time.NewTimer(a.refreshBudget())
	defer timer.Stop()
	var out *refreshOutcome
	select {
	case out = <-result:
	case <-timer.C:
		// A refresh that ignores its context (a Tokens.Refresh of one's
		// own): the waiting requests answer 503 now, and so do new ones
		// until it returns (for at most successorTTL), so that the same
		// refresh token is never presented twice at once. Its late
		// outcome still serves the old cookies.
		a.log.Warn("authgo: a refresh did not finish in time; its requests answer 503")
		out = &refreshOutcome{err: fmt.Errorf("%w: the refresh did not finish in time", ErrRefreshUnavailable)}
		m.mu.Lock()
		m.hung[key] = hungRun{a.now().Add(successorTTL), done}
		m.mu.Unlock()
		go func() {
			late := <-result
			m.mu.Lock()
			defer m.mu.Unlock()
			if h, ok := m.hung[key]; ok && h.run == done {
				delete(m.hung, key) // not a later run's mark
			}
			var re *RefreshError
			switch {
			case late.err == nil:
				m.results[key] = cachedOutcome{late, a.now().Add(successorTTL)}
			case errors.As(late.err, &re) && re.Terminal:
				m.results[key] = cachedOutcome{late, a.now().Add(tombstoneTTL)}
			}
		}()
	}
	m.mu.Lock()
	var re *RefreshError
	switch {
	case out.err == nil:
		m.results[key] = cachedOutcome{out, a.now().Add(successorTTL)}
	case errors.As(out.err, &re) && re.Terminal:
		m.results[key] = cachedOutcome{out, a.now().Add(tombstoneTTL)}
	default:
		a.log.Warn("authgo: refresh failed, will retry on a later request", "err", out.err)
	}
	// Keep the successor cache small: drop what has expired.
	if len(m.results) > 10000 {
		now := a.now()
		for k, c := range m.results {
			if now.After(c.expires) {
				delete(m.results, k)
			}
		}
	}
	delete(m.inflight, key)
	m.mu.Unlock()
	close(done)
}

// refreshBudget is how long requests wait for one refresh: its timeout
// and some slack; with a Locker, also the wait for another instance's
// refresh (refreshShared waits RefreshTimeout + 2 s) and a few lock-store
// round trips.
func (a *Auth) refreshBudget() time.Duration {
	t := a.cfg.Tokens.RefreshTimeout
	if a.cfg.Tokens.Locker != nil {
		return 2*t + 5*time.Second
	}
	return t + min(2*time.Second, t)
}

// refreshShared runs one refresh, under the cross-instance lock when a
// Locker is configured: another instance's outcome is used when there is
// one; the winner stores its outcome (sealed) for the others.
func (a *Auth) refreshShared(ctx context.Context, tok *Token, key string) *refreshOutcome {
	l := a.cfg.Tokens.Locker
	if l == nil {
		return a.callRefresh(ctx, tok)
	}
	// The run's context has no deadline of its own (it is detached); the
	// wait outlasts one refresh so that losers see the winner's outcome.
	deadline := time.Now().Add(a.cfg.Tokens.RefreshTimeout + 2*time.Second)
	unavailable := func(why string) *refreshOutcome {
		return &refreshOutcome{err: fmt.Errorf("%w: %s", ErrRefreshUnavailable, why)}
	}
	sawHeld := false
	for {
		out, unreadable := a.sharedOutcome(ctx, l, key)
		if out != nil {
			return out
		}
		if unreadable {
			// Someone finished, with a secret this instance does not have
			// yet (a rollout): presenting the refresh token again would
			// only burn it.
			return unavailable("another instance's outcome cannot be read here")
		}
		unlock, ok, err := l.TryLock(ctx, key)
		switch {
		case err != nil && !sawHeld:
			// The store is down: refresh here rather than fail everyone.
			a.warnSometimes(&a.tokens.lastLockWarn, "authgo: refresh lock unavailable; refreshing without it", "err", err)
			return a.callRefresh(ctx, tok)
		case err != nil:
			// Another instance holds the lock; a slow store answer is no
			// reason to present the refresh token a second time.
		case ok:
			defer unlock()
			// The previous holder may have finished just now.
			if out, unreadable := a.sharedOutcome(ctx, l, key); out != nil {
				return out
			} else if unreadable {
				return unavailable("another instance's outcome cannot be read here")
			}
			out := a.callRefresh(ctx, tok)
			a.storeOutcome(ctx, l, key, out)
			return out
		default:
			sawHeld = true
		}
		if !time.Now().Before(deadline) {
			return unavailable("another instance's refresh did not finish")
		}
		time.Sleep(25*time.Millisecond + time.Duration(randInt(50))*time.Millisecond)
	}
}

// outcome records as stored by a Locker.
type sharedRecord struct {
	Set      *TokenSet `json:"set,omitempty"`
	Obtained int64     `json:"obtained,omitempty"`
	Code     string    `json:"code,omitempty"` // terminal failure
}

const outcomeSalt = "authgo.refresh-outcome"

// sharedOutcome reads the outcome another instance stored for key;
// unreadable reports a record that exists but does not open here.
func (a *Auth) sharedOutcome(ctx context.Context, l RefreshLocker, key string) (out *refreshOutcome, unreadable bool) {
	b, err := l.Result(ctx, key)
	if err != nil || b == nil {
		return nil, false
	}
	t, err := a.codec.Decode(outcomeSalt, string(b))
	if err != nil || t == nil {
		a.log.Warn("authgo: unreadable shared refresh outcome (is every instance on the same secrets?)", "err", err)
		return nil, true
	}
	raw, _ := json.Marshal(t.Extra["r"])
	var rec sharedRecord
	if json.Unmarshal(raw, &rec) != nil {
		return nil, true
	}
	if rec.Code != "" {
		return &refreshOutcome{err: &RefreshError{Code: rec.Code, Terminal: true}}, false
	}
	if rec.Set == nil {
		return nil, true
	}
	return &refreshOutcome{set: rec.Set, obtained: time.Unix(rec.Obtained, 0)}, false
}

func (a *Auth) storeOutcome(ctx context.Context, l RefreshLocker, key string, out *refreshOutcome) {
	var rec sharedRecord
	ttl := successorTTL
	var re *RefreshError
	switch {
	case out.err == nil:
		rec = sharedRecord{Set: out.set, Obtained: out.obtained.Unix()}
	case errors.As(out.err, &re) && re.Terminal:
		if old, _ := l.Result(ctx, key); old != nil {
			return // never let a failure replace another instance's record
		}
		rec, ttl = sharedRecord{Code: re.Code}, tombstoneTTL
	default:
		return
	}
	raw, _ := json.Marshal(rec)
	var v any
	json.Unmarshal(raw, &v)
	sealed, err := a.codec.Encode(outcomeSalt, &Token{Extra: map[string]any{"r": v}}, ttl)
	if err == nil {
		err = l.SetResult(ctx, key, []byte(sealed), ttl)
	}
	if err != nil {
		a.log.Warn("authgo: could not share the refresh outcome", "err", err)
	}
}

// callRefresh asks the provider (or Tokens.Refresh) for new tokens.
func (a *Auth) callRefresh(ctx context.Context, tok *Token) *refreshOutcome {
	ctx, cancel := context.WithTimeout(ctx, a.cfg.Tokens.RefreshTimeout)
	defer cancel()
	_, rt, _, _ := tokenState(tok)
	obtained := a.now()
	var set *TokenSet
	var err error
	if f := a.cfg.Tokens.Refresh; f != nil {
		set, err = f(ctx, tok.Clone())
	} else {
		id := tok.String(claimProvider)
		if sr, ok := a.providers[id].(SubjectRefresher); ok {
			sub := tok.String(claimProviderSubject)
			if sub == "" {
				sub = tok.Subject
			}
			set, err = sr.RefreshFor(ctx, rt, sub)
		} else if r, ok := a.providers[id].(refresher); ok {
			set, err = r.Refresh(ctx, rt)
		} else {
			return &refreshOutcome{err: &RefreshError{Code: "no_refresher", Terminal: true,
				Err: fmt.Errorf("provider %q cannot refresh tokens", id)}}
		}
	}
	if err == nil && (set == nil || set.AccessToken == "") {
		err = &RefreshError{Code: "no_access_token", Err: errors.New("the refresh returned no access token")}
	}
	if err != nil {
		var re *RefreshError
		if errors.As(err, &re) && re.Terminal {
			a.log.Warn("authgo: refresh token refused; the session needs a new sign-in", "code", re.Code)
		}
		return &refreshOutcome{err: err}
	}
	return &refreshOutcome{set: set, obtained: obtained}
}

// randInt returns a number in [0, n) for jitter.
func randInt(n int) int {
	var b [1]byte
	rand.Read(b[:])
	return int(b[0]) % n
}
