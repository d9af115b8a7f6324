package authgo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/authgo/authgo/internal/refresh"
	"github.com/authgo/authgo/provider"
)

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
	Refresh func(ctx context.Context, tok *Token) (*provider.TokenSet, error)
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
)

// newRefresher builds the refresh engine for a: its clock is Config.Now
// with the runtime's timers.
func newRefresher(a *Auth) *refresh.Manager {
	return refresh.New(refresh.Config{
		Clock:       refresh.SystemClock(a.now),
		Logger:      a.log,
		Timeout:     a.cfg.Tokens.RefreshTimeout,
		Skew:        a.cfg.Tokens.RefreshSkew,
		Locker:      a.cfg.Tokens.Locker,
		Seal:        a.sealOutcome,
		Open:        a.openOutcome,
		Refresh:     a.callRefresh,
		Terminal:    terminalCode,
		Unavailable: ErrRefreshUnavailable,
	})
}

// tokenState reads the access-token claims of tok.
func tokenState(tok *Token) refresh.State {
	exp, _ := tok.Int(ClaimExpiresAt)
	obtained, _ := tok.Int(claimObtainedAt)
	return refresh.State{
		AccessToken:  tok.StringClaim(ClaimAccessToken),
		RefreshToken: tok.StringClaim(ClaimRefreshToken),
		ExpiresAt:    exp,
		ObtainedAt:   obtained,
		Failed:       tok.StringClaim(ClaimError) != "",
	}
}

// setTokens writes a token endpoint's answer into tok: the access token,
// its expiry (the earlier of the response's expires_in and the token's own
// JWT exp, counted from obtained, the time just before the request), the
// refresh token (the old one stays when the answer has none), type and
// scope; it clears a previous error.
func setTokens(tok *Token, set provider.TokenSet, obtained time.Time) {
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

// dropTokens records a terminal refresh failure in tok: the tokens go, the
// error claim says RefreshTokenError.
func dropTokens(tok *Token) {
	delete(tok.Extra, ClaimAccessToken)
	delete(tok.Extra, ClaimRefreshToken)
	delete(tok.Extra, ClaimExpiresAt)
	tok.Set(ClaimError, RefreshTokenError)
}

// expiryOf is the earliest expiry the answer tells (refresh.Expiry).
func expiryOf(set provider.TokenSet, _ time.Time) time.Time {
	return refresh.Expiry(set)
}

// needsRefresh: a refresh token is held and the access token is missing,
// inside the refresh window, or refused by an API (MarkAccessTokenRejected).
func (a *Auth) needsRefresh(tok *Token, now time.Time) bool {
	return a.refresher.Due(tokenState(tok), now)
}

// accessTokenValid: the access token has not expired (without skew).
func accessTokenValid(tok *Token, now time.Time) bool {
	return refresh.Valid(tokenState(tok), now)
}

// warnSometimes logs a warning at most once a minute per s: for
// conditions that can hold for every request.
func (a *Auth) warnSometimes(s *refresh.Sometimes, msg string, args ...any) {
	a.refresher.Warn(s, msg, args...)
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
		case fresh.StringClaim(ClaimError) == RefreshTokenError && tok.StringClaim(ClaimError) != RefreshTokenError:
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

// refreshChain is refresh without the debug log: the engine's Result
// written into a copy of tok.
func (a *Auth) refreshChain(ctx context.Context, tok *Token) (*Token, error) {
	res := a.refresher.Refresh(ctx, tok, tokenState(tok))
	if res.Err != nil {
		return tok, res.Err
	}
	if len(res.Steps) == 0 && !res.Terminal {
		return tok, nil
	}
	next := tok.Clone()
	for _, s := range res.Steps {
		setTokens(next, provider.TokenSet(s.Set), s.Obtained)
	}
	if res.Terminal {
		dropTokens(next)
	}
	return next, nil
}

// callRefresh asks the provider (or Tokens.Refresh) for new tokens: the
// engine's Config.Refresh.
func (a *Auth) callRefresh(ctx context.Context, tok *Token) (*refresh.Set, error) {
	rt := tok.StringClaim(ClaimRefreshToken)
	var set *provider.TokenSet
	var err error
	if f := a.cfg.Tokens.Refresh; f != nil {
		set, err = f(ctx, tok.Clone())
	} else {
		id := tok.StringClaim(claimProvider)
		if sr, ok := a.providers[id].(provider.SubjectRefresher); ok {
			sub := tok.StringClaim(claimProviderSubject)
			if sub == "" {
				sub = tok.Subject
			}
			set, err = sr.RefreshFor(ctx, rt, sub)
		} else if r, ok := a.providers[id].(provider.Refresher); ok {
			set, err = r.Refresh(ctx, rt)
		} else {
			return nil, &provider.RefreshError{Code: "no_refresher", Terminal: true,
				Err: fmt.Errorf("provider %q cannot refresh tokens", id)}
		}
	}
	if err == nil && (set == nil || set.AccessToken == "") {
		err = &provider.RefreshError{Code: "no_access_token", Err: errors.New("the refresh returned no access token")}
	}
	if err != nil {
		_, terminal := terminalCode(err)
		if terminal {
			a.writeBackAccount(ctx, tok, nil)
		}
		a.refreshEvent(ctx, tok, err, terminal)
		return nil, err
	}
	a.writeBackAccount(ctx, tok, set)
	a.refreshEvent(ctx, tok, nil, false)
	return set, nil
}

// refreshEvent runs Events.Refresh, if set, for one call to the provider.
func (a *Auth) refreshEvent(ctx context.Context, tok *Token, err error, terminal bool) {
	if ev := a.cfg.Events.Refresh; ev != nil {
		e := RefreshEvent{Provider: tok.StringClaim(claimProvider), Err: err, Terminal: terminal}
		a.event(ctx, "Refresh", func() { ev(ctx, e) })
	}
}

// terminalCode is the engine's Config.Terminal: a *RefreshError that says
// so is terminal.
func terminalCode(err error) (string, bool) {
	var re *provider.RefreshError
	if errors.As(err, &re) && re.Terminal {
		return re.Code, true
	}
	return "", false
}

// outcomeSalt is the key-derivation salt of shared refresh outcomes.
const outcomeSalt = "authgo.refresh-outcome"

// sealOutcome is the engine's Config.Seal: the record, encrypted as the
// "r" claim of a token under outcomeSalt.
func (a *Auth) sealOutcome(record []byte, ttl time.Duration) (string, error) {
	var v any
	if err := json.Unmarshal(record, &v); err != nil {
		return "", err
	}
	return a.codec.Encode(outcomeSalt, &Token{Extra: map[string]any{"r": v}}, ttl)
}

// openOutcome is the engine's Config.Open, the reverse of sealOutcome.
func (a *Auth) openOutcome(sealed string) ([]byte, error) {
	t, err := a.codec.Decode(outcomeSalt, sealed)
	if err != nil || t == nil {
		return nil, err
	}
	return json.Marshal(t.Extra["r"])
}
