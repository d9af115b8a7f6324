package authgo

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/authgo/authgo/internal/cookie"
	"github.com/authgo/authgo/internal/csrf"
	"github.com/authgo/authgo/provider"
)

// checkMaxAge is how long a sign-in may take at the provider: the state,
// PKCE and nonce cookies live 15 minutes, as in Auth.js.
const checkMaxAge = 15 * time.Minute

var errInvalidCheck = errors.New("InvalidCheck")

// usedStateMargin is how much longer than the flow cookies a used state is
// remembered: room for clocks that differ between instances.
const usedStateMargin = time.Minute

// Kinds of usedKey.
const (
	usedOAuthState        = "oauth-state"
	usedWebAuthnChallenge = "webauthn-challenge"
)

// usedKey is the UseOnce key of a value of kind that may be used once (an
// OAuth state, a WebAuthn challenge): kind and the value's SHA-256, so no
// store holds the value itself.
func usedKey(kind, value string) string {
	sum := sha256.Sum256([]byte(value))
	return kind + ":" + base64.RawURLEncoding.EncodeToString(sum[:])
}

// randomValue returns 32 random bytes, base64url: a state, a nonce, a PKCE
// verifier (43 characters, as RFC 7636 asks).
func randomValue() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// sealFlowCookie seals value for provider into the cookie called name (the
// name is also the salt), living checkMaxAge.
func (a *Auth) sealFlowCookie(names cookie.Names, name, provider, value string) (*http.Cookie, error) {
	tok := &Token{Extra: map[string]any{"value": value, "provider": provider}}
	enc, err := a.codec.Encode(name, tok, checkMaxAge)
	if err != nil {
		return nil, err
	}
	c := cookie.New(name, enc, names, a.now().Add(checkMaxAge))
	c.MaxAge = int(checkMaxAge / time.Second)
	return c, nil
}

// openFlowCookie opens the check cookie called name and returns its value if it
// was made for provider and has not expired.
func (a *Auth) openFlowCookie(rq *request, name, provider string) (string, error) {
	raw, ok := rq.jar.Get(name)
	if !ok || raw == "" {
		return "", fmt.Errorf("%w: no %s cookie", errInvalidCheck, name)
	}
	tok, err := a.codec.Decode(name, raw)
	if err != nil {
		return "", fmt.Errorf("%w: %s cookie: %w", errInvalidCheck, name, err)
	}
	v, _ := tok.Extra["value"].(string)
	p, _ := tok.Extra["provider"].(string)
	if v == "" || p != provider {
		return "", fmt.Errorf("%w: %s cookie was made for provider %q", errInvalidCheck, name, p)
	}
	return v, nil
}

// expireFlowCookies queues the deletion of the check cookies the request carried.
func expireFlowCookies(rq *request) []*http.Cookie {
	var out []*http.Cookie
	for _, n := range []string{rq.names.State, rq.names.PKCECodeVerifier, rq.names.Nonce} {
		if _, ok := rq.jar.Get(n); ok {
			out = append(out, cookie.Expired(n, rq.names))
		}
	}
	return out
}

// reserved are authorization request parameters that the flow sets and a
// sign-in request's query may not replace.
var reserved = map[string]bool{
	"state": true, "code_challenge": true, "code_challenge_method": true, "nonce": true,
	"redirect_uri": true, "client_id": true, "response_type": true, "response_mode": true,
	"request": true, "request_uri": true,
}

// oauthSignIn is POST <base>/signin/<id> for an OAuth provider: it makes
// the state, PKCE verifier and nonce, keeps them in encrypted cookies, and
// sends the browser to the provider.
func (a *Auth) oauthSignIn(rq *request, op provider.OAuthProvider) (*response, error) {
	ctx := rq.r.Context()
	state, verifier := randomValue(), randomValue()
	nonce := ""
	if op.UsesNonce() {
		nonce = randomValue()
	}
	extra := url.Values{}
	for k, vs := range rq.query {
		if !reserved[k] {
			extra[k] = vs
		}
	}
	u, err := op.AuthCodeURL(ctx, provider.AuthCodeParams{
		State:         state,
		CodeChallenge: s256(verifier),
		Nonce:         nonce,
		RedirectURI:   a.endpoint(rq, "callback/"+op.ID()),
		Extra:         extra,
	})
	if err != nil {
		return nil, &authError{code: CodeConfiguration, cause: fmt.Errorf("OAuthSignInError: %s: %w", op.ID(), err)}
	}
	res := &response{location: u}
	set := func(name, value string) error {
		c, err := a.sealFlowCookie(rq.names, name, op.ID(), value)
		if err == nil {
			res.cookies.Set(c)
		}
		return err
	}
	if err := set(rq.names.State, state); err != nil {
		return nil, fail(CodeConfiguration, err)
	}
	if err := set(rq.names.PKCECodeVerifier, verifier); err != nil {
		return nil, fail(CodeConfiguration, err)
	}
	if nonce != "" {
		if err := set(rq.names.Nonce, nonce); err != nil {
			return nil, fail(CodeConfiguration, err)
		}
	}
	if a.cfg.Debug {
		a.log.DebugContext(ctx, "authgo: sent to the provider; state, PKCE verifier and any nonce kept in cookies", "provider", op.ID(), "nonce", nonce != "")
	}
	return res, nil
}

// oauthCallback is GET (or, for response_mode=form_post, POST)
// <base>/callback/<id>: it checks state, PKCE and nonce against the
// cookies, redeems the code, and signs the user in.
func (a *Auth) oauthCallback(rq *request, op provider.OAuthProvider) (*response, error) {
	ctx := rq.r.Context()
	clear := expireFlowCookies(rq)
	failCB := func(code errorCode, cause error) error {
		return &authError{code: code, cause: cause, cookies: clear}
	}
	params := rq.query
	if rq.r.Method == http.MethodPost {
		params = url.Values{}
		for k, v := range rq.body.str {
			params.Set(k, v)
		}
		for k := range rq.body.bad {
			params.Add(k, "") // posted twice
		}
	}
	// Every check on what the browser brought is the client's problem:
	// OAuthCallbackError on the sign-in page, as for a refusal by the
	// provider (Auth.js sends InvalidCheck to the error page as a
	// Configuration error, a 500).
	for _, k := range []string{"code", "state", "error", "iss"} {
		if len(params[k]) > 1 {
			return nil, failCB(CodeOAuthCallback, fmt.Errorf("%w: %q given twice", errInvalidCheck, k))
		}
	}
	if e := params.Get("error"); e != "" {
		// The provider refused (access_denied, …); its description is
		// logged, never shown.
		return nil, failCB(CodeOAuthCallback, fmt.Errorf("provider %s answered error=%.64q (%.200q)", op.ID(), e, params.Get("error_description")))
	}
	state, err := a.openFlowCookie(rq, rq.names.State, op.ID())
	if err != nil {
		return nil, failCB(CodeOAuthCallback, err)
	}
	if got := params.Get("state"); got == "" || !csrf.Equal(got, state) {
		return nil, failCB(CodeOAuthCallback, fmt.Errorf("%w: state does not match", errInvalidCheck))
	}
	verifier, err := a.openFlowCookie(rq, rq.names.PKCECodeVerifier, op.ID())
	if err != nil {
		return nil, failCB(CodeOAuthCallback, err)
	}
	nonce := ""
	if op.UsesNonce() {
		if nonce, err = a.openFlowCookie(rq, rq.names.Nonce, op.ID()); err != nil {
			return nil, failCB(CodeOAuthCallback, err)
		}
	}
	code := params.Get("code")
	if code == "" {
		return nil, failCB(CodeOAuthCallback, fmt.Errorf("%w: no code", errInvalidCheck))
	}
	// The state is used once, before anything is sent to the provider: a
	// callback replayed with the cookies from before it (from a proxy's
	// log, a shared machine, a browser's history and a stolen cookie jar)
	// is refused here, on any instance that shares the store, rather than
	// left to the provider's one-time code.
	first, err := a.usedStates.UseOnce(ctx, usedKey(usedOAuthState, state), a.now().Add(checkMaxAge+usedStateMargin))
	if err != nil {
		// Fail closed. The flow cookies are kept: the state is unused, so
		// the same callback may be tried again once the store answers.
		a.warnSometimes(&a.usedStatesWarn, "authgo: the store of used OAuth states did not answer; OAuth callbacks are refused until it does", "err", err)
		return nil, fail(CodeUnavailable, fmt.Errorf("%s: record the state: %w", op.ID(), err))
	}
	if !first {
		return nil, failCB(CodeOAuthCallback, fmt.Errorf("%w: the state was used already (a replayed callback)", errInvalidCheck))
	}
	result, err := op.Exchange(ctx, provider.ExchangeParams{
		Code:         code,
		CodeVerifier: verifier,
		Nonce:        nonce,
		RedirectURI:  a.endpoint(rq, "callback/"+op.ID()),
		Params:       params,
		Callback:     rq.r,
	})
	if err != nil {
		return nil, failCB(CodeOAuthCallback, fmt.Errorf("%s: %w", op.ID(), err))
	}
	if result == nil || result.User == nil || result.User.ID == "" {
		return nil, failCB(CodeOAuthCallback, fmt.Errorf("%s: the provider named no user", op.ID()))
	}
	if a.cfg.Debug {
		a.log.DebugContext(ctx, "authgo: OAuth callback: state, PKCE and nonce checks passed, code redeemed", "provider", op.ID())
	}
	u := *result.User
	u.Email = strings.ToLower(u.Email) // as Auth.js does for every OAuth profile
	t := result.Tokens
	account := &Account{
		Provider: op.ID(), Type: string(op.Type()), ProviderAccountID: u.ID,
		AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, IDToken: t.IDToken,
		TokenType: t.TokenType, Scope: t.Scope,
	}
	if !t.Expiry.IsZero() {
		account.ExpiresAt = t.Expiry.Unix()
	}
	res, err := a.finishSignIn(rq, &u, account, nil, result.Profile)
	if err != nil {
		var ae *authError
		if errors.As(err, &ae) {
			ae.cookies = clear
		}
		return nil, err
	}
	for _, c := range clear {
		res.cookies.Set(c)
	}
	res.noReferrer = true // the URL that brought us here carried the code
	return res, nil
}
