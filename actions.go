package authgo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/authgo/authgo/internal/cookie"
	"github.com/authgo/authgo/internal/pages"
	"github.com/authgo/authgo/provider"
	"github.com/authgo/authgo/store"
)

var zeroTime time.Time

var errUnknownAction = errors.New("unknown action")

// dispatch runs the action. An error goes through writeError.
func (a *Auth) dispatch(rq *request) (*response, error) {
	get := rq.r.Method == http.MethodGet
	switch rq.action {
	case "csrf":
		if get {
			body, _ := json.Marshal(map[string]string{"csrfToken": rq.csrfToken})
			return &response{status: 200, body: body, ctype: "application/json", noStore: true}, nil
		}
	case "providers":
		if get {
			rq.initCookies = cookie.Queue{} // Auth.js sets none here
			return a.providersAction(rq), nil
		}
	case "verify-request":
		if get {
			return a.verifyRequestPage(rq)
		}
	case "session":
		return a.sessionAction(rq)
	case "signin":
		if get && rq.providerID == "" {
			return a.signInPage(rq)
		}
		if !get {
			return a.signInAction(rq)
		}
	case "callback":
		return a.callbackAction(rq)
	case "webauthn-options":
		return a.webauthnOptions(rq)
	case "signout":
		if get {
			return a.signOutPage(rq)
		}
		return a.signOutAction(rq)
	case "error":
		if get {
			return a.errorPage(rq)
		}
	}
	return nil, fail(CodeConfiguration, fmt.Errorf("%w: %s %s", errUnknownAction, rq.r.Method, rq.action))
}

func (a *Auth) providersAction(rq *request) *response {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, p := range a.cfg.Providers {
		if i > 0 {
			b.WriteByte(',')
		}
		id, _ := json.Marshal(p.ID())
		entry, _ := json.Marshal(struct {
			ID          string        `json:"id"`
			Name        string        `json:"name"`
			Type        provider.Type `json:"type"`
			SigninURL   string        `json:"signinUrl"`
			CallbackURL string        `json:"callbackUrl"`
		}{p.ID(), p.Name(), p.Type(), a.endpoint(rq, "signin/"+p.ID()), a.endpoint(rq, "callback/"+p.ID())})
		b.Write(id)
		b.WriteByte(':')
		b.Write(entry)
	}
	b.WriteByte('}')
	return &response{status: 200, body: b.Bytes(), ctype: "application/json"}
}

func (a *Auth) endpoint(rq *request, action string) string {
	return rq.base() + a.cfg.BasePath + "/" + action
}

// sessionAction is GET and POST <base>/session: the session read
// (readEndpoint), answered as JSON with the cookie re-issued under a new
// expiry. As Auth.js, a session that cannot be read is "null", never an
// error page.
func (a *Auth) sessionAction(rq *request) (*response, error) {
	res := &response{status: 200, ctype: "application/json", body: []byte("null")}
	post := rq.r.Method == http.MethodPost
	var jp *JWTParams
	if post {
		if !rq.csrfVerified {
			return nil, fail(CodeMissingCSRF, nil) // 400 null
		}
		jp = &JWTParams{Trigger: TriggerUpdate}
		if d, ok := rq.body.raw["data"]; ok {
			jp.Data = d
		}
	} else {
		res.noStore = true
	}
	sr, err := a.readSession(rq.r, &parsedCookies{rq.names, rq.jar}, readEndpoint, jp)
	switch {
	case errors.Is(err, ErrSessionUnavailable):
		return res, nil // signed out for now; the cookie stays
	case err != nil:
		a.log.Error("authgo: session", "err", err)
		clearSession(&res.cookies, rq.names, sr.present)
		return res, nil
	case sr.session == nil:
		if sr.clear || sr.ended {
			clearSession(&res.cookies, rq.names, sr.present)
		}
		return res, nil
	}
	enc, err := a.strategy.seal(rq.r.Context(), rq.names, sr.tok, sr.raw)
	if err == nil {
		res.body, err = sr.session.MarshalJSON()
	}
	if err != nil {
		// As Auth.js: logged, signed out, never an error page for a read.
		a.log.Error("authgo: session cannot be written", "err", err)
		res.body = []byte("null")
		clearSession(&res.cookies, rq.names, sr.present)
		return res, nil
	}
	setSession(&res.cookies, rq.names, sr.present, enc, sr.expires)
	if ev := a.cfg.Events.Session; ev != nil {
		a.event(rq.r.Context(), "Session", func() { ev(rq.r.Context(), SessionEvent{Session: sr.session, Token: sr.tok}) })
	}
	return res, nil
}

func (a *Auth) brand() pages.Brand {
	return pages.Brand{Name: a.cfg.Theme.Brand, Color: a.cfg.Theme.Color, Logo: a.cfg.Theme.Logo}
}

func (a *Auth) html(status int, render func(*bytes.Buffer) error) (*response, error) {
	var b bytes.Buffer
	if err := render(&b); err != nil {
		return nil, fail(CodeConfiguration, err)
	}
	return &response{status: status, body: b.Bytes(), ctype: "text/html; charset=utf-8", csp: pages.ContentSecurityPolicy(a.brand())}, nil
}

func (a *Auth) signInPage(rq *request) (*response, error) {
	errCode := rq.query.Get("error")
	if p := a.cfg.Pages.SignIn; p != "" {
		loc := a.signInURL("", rq.callbackURL) // relative, as Auth.js sends it
		if errCode != "" {
			loc += "&error=" + url.QueryEscape(errCode)
		}
		return &response{location: loc}, nil
	}
	d := pages.SignInData{Brand: a.brand(), CSRFToken: rq.csrfToken, CallbackURL: rq.callbackURL, Error: errCode, Code: rq.query.Get("code")}
	if s, err := strconv.ParseInt(rq.query.Get("retry_after"), 10, 32); err == nil && s > 0 {
		d.RetryAfter = time.Duration(s) * time.Second
	}
	// What was typed in a failed credentials sign-in (signinform.go), read
	// once.
	var keptFor string
	var kept map[string]string
	drop := a.dropForm(rq)
	if drop != nil && errCode == string(CodeCredentialsSignin) {
		keptFor, kept = a.keptForm(rq)
	}
	for _, p := range a.cfg.Providers {
		if cp, ok := p.(provider.CredentialsProvider); ok {
			form := pages.CredentialsForm{ProviderID: p.ID(), ProviderName: p.Name(), ActionURL: a.endpoint(rq, "callback/"+p.ID())}
			for _, f := range cp.Fields() {
				pf := pages.Field{Name: f.Name, Label: f.Label, Type: f.Type, Placeholder: f.Placeholder, Autocomplete: f.Autocomplete}
				if keptFor == p.ID() && !secretField(f) {
					pf.Value = kept[f.Name]
				}
				form.Fields = append(form.Fields, pf)
			}
			d.Credentials = append(d.Credentials, form)
		}
		_, oauth := p.(provider.OAuthProvider)
		_, email := p.(provider.EmailProvider)
		if oauth || email {
			d.Providers = append(d.Providers, pages.ProviderButton{ID: p.ID(), Name: p.Name(), Type: string(p.Type()), ActionURL: a.endpoint(rq, "signin/"+p.ID())})
		}
	}
	d.Passkey = a.passkeyForm(rq)
	res, err := a.html(200, func(b *bytes.Buffer) error { return pages.SignIn(b, d) })
	if res != nil && d.Passkey != nil {
		res.csp = pages.ContentSecurityPolicyScript(a.brand(), d.Passkey.ScriptURL)
	}
	if res != nil && drop != nil {
		res.cookies.Set(drop)
	}
	return res, err
}

// signInAction is POST <base>/signin[/<id>]. Credentials providers sign in
// through <base>/callback/<id>; posting here sends the user to the page.
func (a *Auth) signInAction(rq *request) (*response, error) {
	if !rq.csrfVerified {
		return nil, fail(CodeMissingCSRF, nil)
	}
	if rq.providerID != "" {
		p, ok := a.providers[rq.providerID]
		if !ok {
			return nil, fail(CodeConfiguration, fmt.Errorf("unknown provider %q", rq.providerID))
		}
		if op, ok := p.(provider.OAuthProvider); ok {
			return a.oauthSignIn(rq, op)
		}
		if ep, ok := p.(provider.EmailProvider); ok {
			return a.emailSignIn(rq, ep)
		}
	}
	return &response{location: a.endpoint(rq, "signin")}, nil
}

func (a *Auth) callbackAction(rq *request) (*response, error) {
	p, ok := a.providers[rq.providerID]
	if !ok {
		return nil, fail(CodeConfiguration, fmt.Errorf("unknown provider %q", rq.providerID))
	}
	if op, ok := p.(provider.OAuthProvider); ok {
		return a.oauthCallback(rq, op)
	}
	if ep, ok := p.(provider.EmailProvider); ok {
		return a.emailCallback(rq, ep)
	}
	if wp, ok := p.(provider.WebAuthnProvider); ok {
		return a.webauthnCallback(rq, wp)
	}
	cp, ok := p.(provider.CredentialsProvider)
	if !ok {
		return nil, fail(CodeConfiguration, fmt.Errorf("provider %q cannot sign in here", rq.providerID))
	}
	if rq.r.Method != http.MethodPost {
		return nil, fail(CodeConfiguration, fmt.Errorf("credentials provider %q called with GET", rq.providerID))
	}
	if !rq.csrfVerified {
		return nil, fail(CodeMissingCSRF, nil)
	}
	return a.credentialsSignIn(rq, cp)
}

func (a *Auth) credentialsSignIn(rq *request, cp provider.CredentialsProvider) (*response, error) {
	ctx := rq.r.Context()
	// refused fails the sign-in with ?error=CredentialsSignin&code=code,
	// keeping the non-secret fields for the built-in page.
	refused := func(code string, cause error) *authError {
		ae := &authError{code: CodeCredentialsSignin, query: "&code=" + url.QueryEscape(code), cause: cause}
		if c := a.keepForm(rq, cp); c != nil {
			ae.cookies = append(ae.cookies, c)
		}
		return ae
	}
	creds := provider.Credentials{}
	for k, v := range rq.body.str {
		if k == "csrfToken" || k == "callbackUrl" {
			continue
		}
		creds[k] = v
	}
	for k := range rq.body.bad {
		if k != "csrfToken" && k != "callbackUrl" {
			// Posted twice or not a string: never guess which value counts.
			return nil, refused("credentials", fmt.Errorf("ambiguous field %q", k))
		}
	}
	// A store that cannot answer now could not read the session cookie
	// either: refuse before Authorize (and a lockout it may count).
	if err := a.revocationsAnswer(ctx); err != nil {
		return nil, fail(CodeUnavailable, err)
	}
	var user *User
	var tokens *provider.TokenSet
	var err error
	if tp, ok := cp.(provider.TokenCredentialsProvider); ok {
		user, tokens, err = tp.AuthorizeWithTokens(ctx, creds, rq.r)
	} else {
		user, err = cp.Authorize(ctx, creds, rq.r)
	}
	if err != nil {
		var ce *provider.CredentialsError
		if errors.As(err, &ce) {
			code := ce.Code
			if code == "" {
				code = "credentials"
			}
			ae := refused(code, err)
			if ce.RetryAfter > 0 {
				ae.query += "&retry_after=" + strconv.FormatInt(int64((ce.RetryAfter+time.Second-1)/time.Second), 10)
			}
			return nil, ae
		}
		if errors.Is(err, provider.ErrUnavailable) {
			return nil, fail(CodeUnavailable, fmt.Errorf("authorize: %w", err))
		}
		return nil, fail(CodeConfiguration, fmt.Errorf("authorize: %w", err))
	}
	if user == nil {
		if a.cfg.Debug {
			a.log.DebugContext(ctx, "authgo: credentials refused: Authorize returned no user", "provider", cp.ID())
		}
		return nil, refused("credentials", nil)
	}
	if a.cfg.Debug {
		a.log.DebugContext(ctx, "authgo: credentials accepted", "provider", cp.ID(), "tokens", tokens != nil)
	}
	u := *user
	if u.ID == "" {
		u.ID = newID()
	}
	account := &Account{Provider: cp.ID(), Type: string(provider.TypeCredentials), ProviderAccountID: u.ID}
	if tokens != nil {
		account.AccessToken, account.RefreshToken = tokens.AccessToken, tokens.RefreshToken
		account.TokenType, account.Scope, account.IDToken = tokens.TokenType, tokens.Scope, tokens.IDToken
		if !tokens.Expiry.IsZero() {
			account.ExpiresAt = tokens.Expiry.Unix()
		}
	}
	res, err := a.finishSignIn(rq, &u, account, creds, nil)
	if res != nil {
		if c := a.dropForm(rq); c != nil {
			res.cookies.Set(c)
		}
	}
	return res, err
}

// finishSignIn runs the SignIn and JWT callbacks, writes the session cookie
// and redirects to the callbackUrl.
func (a *Auth) finishSignIn(rq *request, u *User, account *Account, creds provider.Credentials, profile map[string]any) (*response, error) {
	ctx := rq.r.Context()
	if cb := a.cfg.Callbacks.SignIn; cb != nil {
		if err := cb(ctx, SignInParams{User: u, Account: account, Profile: profile, Credentials: creds, Request: rq.r}); err != nil {
			var sr *SignInRedirect
			if errors.As(err, &sr) {
				to, rerr := a.redirect(rq.r, sr.URL, rq.base())
				if rerr != nil {
					return nil, fail(CodeConfiguration, rerr)
				}
				if a.cfg.Debug {
					a.log.DebugContext(ctx, "authgo: the SignIn callback redirected instead of signing in", "provider", account.Provider)
				}
				return &response{location: to}, nil
			}
			if a.cfg.Debug {
				a.log.DebugContext(ctx, "authgo: the SignIn callback refused the sign-in", "provider", account.Provider)
			}
			return nil, fail(CodeAccessDenied, err)
		}
	}
	var set provider.TokenSet
	if account.AccessToken != "" {
		set = provider.TokenSet{AccessToken: account.AccessToken, RefreshToken: account.RefreshToken, TokenType: account.TokenType, Scope: account.Scope}
		if account.ExpiresAt > 0 {
			set.Expiry = time.Unix(account.ExpiresAt, 0)
		}
		// The expiry the session goes by (the earlier of expires_in
		// and a JWT access token's exp), before signInUser writes the
		// accounts row the database strategy reads it from.
		if exp := expiryOf(set, a.now()); !exp.IsZero() {
			account.ExpiresAt = exp.Unix()
		}
	}
	isNew, trigger := false, TriggerSignIn
	if a.cfg.Users != nil {
		signIn := a.signInUser
		if account.Type == string(provider.TypeEmail) {
			signIn = func(rq *request, u *User, _ *Account) (*store.User, bool, error) { return a.emailUser(rq, u) }
		}
		row, created, err := signIn(rq, u, account)
		if err != nil {
			return nil, err
		}
		if v, ok := emailVerified(u, profile); ok && v && row.Email != "" && strings.EqualFold(row.Email, u.Email) && row.EmailVerified.IsZero() {
			row = a.markEmailVerified(ctx, row)
		}
		u = &User{ID: row.ID, Name: row.Name, Email: row.Email, Image: row.Image, Extra: u.Extra}
		if created {
			isNew, trigger = true, TriggerSignUp
		}
	}
	tok := &Token{Name: u.Name, Email: u.Email, Picture: u.Image, Subject: u.ID}
	tok.Set(ClaimSessionID, newSessionID())
	tok.Set(ClaimAuthTime, float64(a.now().Unix()))
	tok.Set(claimProvider, account.Provider)
	if v, ok := emailVerified(u, profile); ok {
		tok.Set(ClaimEmailVerified, v)
	}
	if pu := preferredUsername(u, profile); pu != "" {
		tok.Set(ClaimPreferredUsername, pu)
	}
	if account.AccessToken != "" {
		// The provider's tokens stay on the server side of the cookie,
		// under the Auth.js guide's claim names, for AccessToken, Client
		// and the proxy; the session page scripts see does not carry them.
		tok.Set(claimProvider, account.Provider)
		setTokens(tok, set, a.now())
		if sub, _ := profile["sub"].(string); sub != "" && sub != u.ID {
			tok.Set(claimProviderSubject, sub)
		}
		if account.ExpiresAt == 0 && set.RefreshToken != "" {
			a.log.Info("authgo: the access token's lifetime is unknown (no expires_in, not a JWT); it is refreshed when an API refuses it with invalid_token",
				"provider", account.Provider)
		}
	}
	if es, ok := a.providers[account.Provider].(provider.EndSessionProvider); ok && es.SignOutAtProvider() && account.IDToken != "" {
		// Kept for the provider's logout (id_token_hint) at sign-out.
		tok.Set(claimProvider, account.Provider)
		tok.Set(claimIDToken, account.IDToken)
	}
	tok, err := a.runJWT(ctx, JWTParams{Token: tok, User: u, Account: account, Profile: profile, Trigger: trigger, IsNewUser: isNew})
	if err != nil {
		return nil, fail(CodeConfiguration, fmt.Errorf("jwt callback: %w", err))
	}
	res := &response{location: rq.callbackURL}
	_, present, _ := cookie.ReadChunked(rq.jar, rq.names.SessionToken)
	if tok == nil {
		// Auth.js still redirects, without a session.
		if a.cfg.Debug {
			a.log.DebugContext(ctx, "authgo: the JWT callback returned no token: redirected without a session", "provider", account.Provider)
		}
		clearSession(&res.cookies, rq.names, present)
	} else {
		// Never set a cookie that would read as signed out.
		if err := a.revocationsAnswer(ctx); err != nil {
			return nil, fail(CodeUnavailable, err)
		}
		enc, err := a.newSessionCookie(ctx, rq, tok, account)
		if errors.Is(err, errStoreUnknown) {
			return nil, fail(CodeUnavailable, err)
		}
		if err != nil {
			return nil, fail(CodeConfiguration, err)
		}
		setSession(&res.cookies, rq.names, present, enc, a.expiry(tok, a.now()))
		if a.cfg.Debug {
			a.log.DebugContext(ctx, "authgo: signed in: session cookie set", "provider", account.Provider, "provider_tokens", account.AccessToken != "")
		}
	}
	if ev := a.cfg.Events.SignIn; ev != nil {
		a.event(ctx, "SignIn", func() { ev(ctx, SignInEvent{User: u, Account: account, Profile: profile, IsNewUser: isNew}) })
	}
	return res, nil
}

func (a *Auth) signOutPage(rq *request) (*response, error) {
	if p := a.cfg.Pages.SignOut; p != "" {
		return &response{location: p}, nil // relative, as Auth.js sends it
	}
	d := pages.SignOutData{Brand: a.brand(), CSRFToken: rq.csrfToken, ActionURL: a.endpoint(rq, "signout"), CallbackURL: rq.callbackURL}
	return a.html(200, func(b *bytes.Buffer) error { return pages.SignOut(b, d) })
}

func (a *Auth) signOutAction(rq *request) (*response, error) {
	if !rq.csrfVerified {
		return nil, fail(CodeMissingCSRF, nil)
	}
	if ds, ok := a.strategy.(dbStrategy); ok {
		return a.signOutDatabase(rq, ds)
	}
	res := &response{location: rq.callbackURL}
	raw, present, err := cookie.ReadChunked(rq.jar, rq.names.SessionToken)
	if a.cfg.Debug && err == nil && raw == "" {
		a.log.DebugContext(rq.r.Context(), "authgo: sign-out without a session")
	}
	if err == nil && raw != "" {
		tok, err := a.codec.Decode(rq.names.SessionToken, raw)
		if err != nil {
			a.log.Info("authgo: sign-out with an invalid session token", "err", err)
		}
		if a.cfg.Debug {
			a.log.DebugContext(rq.r.Context(), "authgo: sign-out: session cookies cleared", "session", sessionState(tok, err), "revoke", tok != nil)
		}
		if tok != nil {
			a.revokeSession(rq.r.Context(), tok)
			if loc := a.signOutAtProvider(rq, tok); loc != "" {
				res.location = loc
			}
		}
		if ev := a.cfg.Events.SignOut; ev != nil {
			a.event(rq.r.Context(), "SignOut", func() { ev(rq.r.Context(), SignOutEvent{Token: tok}) })
		}
	}
	clearSession(&res.cookies, rq.names, present)
	return res, nil
}

// signOutProviderTimeout bounds the calls to a provider at sign-out.
const signOutProviderTimeout = 2 * time.Second

// signOutAtProvider revokes the refresh token the session holds (RFC 7009)
// and returns the provider's logout URL (RP-initiated logout) when the
// session came from a provider that does both; failures are logged and the
// local sign-out goes on.
func (a *Auth) signOutAtProvider(rq *request, tok *Token) string {
	// Bounded, and not cut short by a browser that leaves: a provider that
	// hangs delays the sign-out by 2 s at most (tokens-bff.md R12).
	ctx, cancel := context.WithTimeout(context.WithoutCancel(rq.r.Context()), signOutProviderTimeout)
	defer cancel()
	id := tok.StringClaim(claimProvider)
	if id == "" {
		return ""
	}
	p := a.providers[id]
	if rp, ok := p.(provider.RevokingProvider); ok {
		if rt := tok.StringClaim("refresh_token"); rt != "" {
			if err := rp.Revoke(ctx, rt, "refresh_token"); err != nil && !errors.Is(err, errors.ErrUnsupported) {
				a.log.Warn("authgo: revoking the refresh token failed", "provider", id, "err", err)
			}
		}
	}
	es, ok := p.(provider.EndSessionProvider)
	idToken := tok.StringClaim(claimIDToken)
	if !ok || !es.SignOutAtProvider() || idToken == "" {
		return ""
	}
	u, err := es.EndSessionURL(ctx, idToken, rq.callbackURL)
	if err != nil {
		a.log.Warn("authgo: no logout URL from the provider", "provider", id, "err", err)
		return ""
	}
	return u
}

func (a *Auth) errorPage(rq *request) (*response, error) {
	return a.errorPageFor(rq, rq.query.Get("error"))
}

// errorPageFor answers with the error page for code (untrusted when it
// comes from the query).
func (a *Auth) errorPageFor(rq *request, code string) (*response, error) {
	if p := a.cfg.Pages.Error; p != "" {
		return &response{location: p + sep(p) + "error=" + url.QueryEscape(code)}, nil // relative, as Auth.js
	}
	d := pages.ErrorData{Brand: a.brand(), Code: code, SignInURL: a.endpoint(rq, "signin"), HomeURL: rq.base()}
	res, err := a.html(pages.ErrorStatus(code), func(b *bytes.Buffer) error { return pages.Error(b, d) })
	if res != nil && code == CodeUnavailable {
		res.retryAfter = true
	}
	return res, err
}

// emailVerified is whether the provider vouched for u's email: u.Extra's
// email_verified, else the profile's when the profile names the same
// address (a Profile mapping may pick another). ok is false when nobody
// said.
func emailVerified(u *User, profile map[string]any) (verified, ok bool) {
	if u.Email == "" {
		return false, false
	}
	if v, ok := boolClaim(u.Extra[ClaimEmailVerified]); ok {
		return v, true
	}
	if e, _ := profile["email"].(string); e == "" || !strings.EqualFold(e, u.Email) {
		return false, false
	}
	return boolClaim(profile[ClaimEmailVerified])
}

// boolClaim reads a boolean claim, which some providers send as the
// string "true" or "false".
func boolClaim(v any) (b, ok bool) {
	switch v := v.(type) {
	case bool:
		return v, true
	case string:
		switch v {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	return false, false
}

// preferredUsername is u.Extra's preferred_username, else the profile's
// (GitHub's login when it has none).
func preferredUsername(u *User, profile map[string]any) string {
	if s, _ := u.Extra[ClaimPreferredUsername].(string); s != "" {
		return s
	}
	if s, _ := profile[ClaimPreferredUsername].(string); s != "" {
		return s
	}
	s, _ := profile["login"].(string)
	return s
}

// markEmailVerified records in the users row that the provider of this
// sign-in verified its address (emailVerified, which Auth.js sets only at
// email sign-ins), so that a database session, rebuilt from the row,
// carries email_verified as a JWT session does. A store error is logged
// and the row returned as it was: the sign-in does not depend on it.
func (a *Auth) markEmailVerified(ctx context.Context, row *store.User) *store.User {
	next := *row
	next.EmailVerified = a.now().UTC().Truncate(time.Millisecond)
	written, err := a.updateUserRow(ctx, next)
	if err != nil {
		a.log.Warn("authgo: the users row could not record that the provider verified the address", "user", row.ID, "err", err)
		return row
	}
	return written
}
