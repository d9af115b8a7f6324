package authgo

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/authgo/authgo/internal/pages"
	"github.com/authgo/authgo/internal/throttle"
	"github.com/authgo/authgo/provider"
	"github.com/authgo/authgo/store"
)

// EmailConfig configures sign-in by links sent by email (an
// provider.EmailProvider, such as providers/email's).
type EmailConfig struct {
	// Tokens keeps the links' tokens, hashed as Auth.js hashes them.
	// Nil means Config.Users, which must then implement
	// store.VerificationTokenStore (adapters/sqlite and adapters/postgres
	// do).
	Tokens store.VerificationTokenStore
	// Counter counts the mails sent per address and per client address,
	// in windows of Window: the store that counts sign-in failures
	// (adapters/sqlite's Store, adapters/redis's Counter) keeps the
	// limits across instances and restarts. Nil means this process's
	// memory.
	Counter Counter
	// PerAddress is how many links one address may be sent per Window;
	// default 5 (DefaultEmailsPerAddress), negative for no limit.
	PerAddress int
	// PerClient is how many links one client address may ask for per
	// Window, whatever addresses they go to; default 20
	// (DefaultEmailsPerClient), negative for no limit.
	PerClient int
	// Window is the length of the windows; default one hour.
	Window time.Duration
}

// Defaults of EmailConfig.
const (
	DefaultEmailsPerAddress = 5
	DefaultEmailsPerClient  = 20
	DefaultEmailWindow      = time.Hour
	// maxEmailToken bounds the token of a link before it is hashed;
	// authgo's and Auth.js's are 64 characters.
	maxEmailToken = 256
)

// emailSetup fills the defaults of c.Email when an email provider is
// configured, and refuses a configuration that cannot keep tokens.
func (c *Config) emailSetup() error {
	has := false
	for _, p := range c.Providers {
		if _, ok := p.(provider.EmailProvider); ok {
			has = true
		}
	}
	if !has {
		return nil
	}
	if c.Users == nil {
		return errors.New("authgo: an email provider needs Users, the store users are found and created in (Auth.js's adapter)")
	}
	if c.Email.Tokens == nil {
		ts, ok := c.Users.(store.VerificationTokenStore)
		if !ok {
			return errors.New("authgo: an email provider needs Email.Tokens, or Users implementing store.VerificationTokenStore")
		}
		c.Email.Tokens = ts
	}
	if c.Email.Counter == nil {
		c.Email.Counter = &throttle.Memory{Now: c.Now}
	}
	if c.Email.PerAddress == 0 {
		c.Email.PerAddress = DefaultEmailsPerAddress
	}
	if c.Email.PerClient == 0 {
		c.Email.PerClient = DefaultEmailsPerClient
	}
	if c.Email.Window == 0 {
		c.Email.Window = DefaultEmailWindow
	}
	if c.Email.Window < 0 {
		return errors.New("authgo: Email.Window must not be negative")
	}
	return nil
}

// scriptClient reports a client that reads JSON answers: next-auth/react's
// signIn (X-Auth-Return-Redirect), a JSON body or an Accept header that
// asks for JSON.
func scriptClient(r *http.Request) bool {
	return r.Header.Get("X-Auth-Return-Redirect") != "" || strings.Contains(r.Header.Get("Content-Type"), "application/json") || pages.WantsJSON(r)
}

// emailRefusal answers a request for a link that is refused before
// anything is sent: 400 for an address the normaliser refuses, 429 with
// Retry-After beyond the limits; the sign-in page with its message to a
// browser, JSON to a script.
func (a *Auth) emailRefusal(rq *request, status int, code string, retry time.Duration) (*response, error) {
	secs := 0
	if retry > 0 {
		secs = int((retry + time.Second - 1) / time.Second)
	}
	if scriptClient(rq.r) || a.cfg.Pages.SignIn != "" {
		// url, for next-auth/react's signIn, which reads the error code
		// from it (and fails on a body without one).
		page := a.signInTarget()
		loc := rq.base() + page + sep(page) + "error=EmailSignin&code=" + code
		m := map[string]any{"error": code, "url": loc}
		if secs > 0 {
			m["retryAfter"] = secs
			m["url"] = loc + "&retry_after=" + strconv.Itoa(secs)
		}
		body, _ := json.Marshal(m)
		return &response{status: status, body: body, ctype: "application/json", noStore: true, retryAfterSecs: secs}, nil
	}
	rq.query = url.Values{"error": {"EmailSignin"}, "code": {code}}
	if secs > 0 {
		rq.query.Set("retry_after", strconv.Itoa(secs))
	}
	res, err := a.signInPage(rq)
	if res != nil {
		res.status, res.retryAfterSecs = status, secs
	}
	return res, err
}

// emailSignIn is POST <base>/signin/<id> for an email provider: the
// address is normalised (or refused with 400), counted against the limits
// (429 beyond them), offered to the SignIn callback with
// VerificationRequest set, and, when it agrees, sent a link whose token's
// hash is stored. The answer, a redirect to the verify-request page, is
// the same whether a link was sent or not, so it tells nobody whether an
// address has an account or may sign in.
func (a *Auth) emailSignIn(rq *request, ep provider.EmailProvider) (*response, error) {
	ctx := rq.r.Context()
	raw, ok := rq.body.get("email")
	if !ok || raw == "" {
		return a.emailRefusal(rq, http.StatusBadRequest, "invalid_email", 0)
	}
	email, err := ep.NormalizeIdentifier(raw)
	if err != nil || email == "" {
		if a.cfg.Debug {
			a.log.DebugContext(ctx, "authgo: email sign-in: the address was refused by the normaliser", "provider", ep.ID())
		}
		return a.emailRefusal(rq, http.StatusBadRequest, "invalid_email", 0)
	}
	if wait, err := a.emailLimited(ctx, email, a.clientAddr(rq.r)); err != nil {
		return nil, fail(CodeUnavailable, err)
	} else if wait > 0 {
		a.log.Info("authgo: email sign-in: too many links asked for", "provider", ep.ID(), "retry_after", wait.Round(time.Second))
		return a.emailRefusal(rq, http.StatusTooManyRequests, "rate_limited", wait)
	}

	// Auth.js's user for the SignIn callback: the users row with the
	// address, or a new one.
	u, err := a.emailCandidate(ctx, email)
	if err != nil {
		return nil, err
	}
	account := &Account{Provider: ep.ID(), Type: string(provider.TypeEmail), ProviderAccountID: email}
	res := &response{location: a.endpoint(rq, "verify-request") + "?provider=" + url.QueryEscape(ep.ID()) + "&type=email"}
	if cb := a.cfg.Callbacks.SignIn; cb != nil {
		if err := cb(ctx, SignInParams{User: u, Account: account, VerificationRequest: true, Request: rq.r}); err != nil {
			// Unlike Auth.js (AccessDenied), the same answer as a sent
			// link: the refusal must not tell who may sign in.
			if a.cfg.Debug {
				a.log.DebugContext(ctx, "authgo: email sign-in: the SignIn callback refused; no link sent", "provider", ep.ID())
			}
			return res, nil
		}
	}

	var b [32]byte
	rand.Read(b[:])
	token := hex.EncodeToString(b[:])
	expires := a.now().Add(ep.MaxAge())
	if err := a.cfg.Email.Tokens.CreateVerificationToken(ctx, store.VerificationToken{
		Identifier: email, Token: a.csrfSecret.Hash(token), Expires: expires.UTC().Truncate(time.Millisecond),
	}); err != nil {
		return nil, fail(CodeUnavailable, fmt.Errorf("verification token store: %w", err))
	}
	link := a.endpoint(rq, "callback/"+ep.ID()) + "?callbackUrl=" + url.QueryEscape(rq.callbackURL) +
		"&token=" + token + "&email=" + url.QueryEscape(email)
	err = ep.SendVerificationRequest(ctx, provider.VerificationRequest{
		Identifier: email, URL: link, Expires: expires, Host: rq.origin.host,
		Brand: a.cfg.Theme.Brand, Color: a.cfg.Theme.Color,
	})
	switch {
	case errors.Is(err, provider.ErrUndeliverable):
		// Answered as a sent link: the answer must not tell which
		// mailboxes exist.
		a.log.Info("authgo: email sign-in: the mail server refused the recipient", "provider", ep.ID(), "err", err)
		return res, nil
	case errors.Is(err, provider.ErrUnavailable):
		return nil, fail(CodeUnavailable, fmt.Errorf("email provider %q: sending the link: %w", ep.ID(), err))
	case err != nil:
		return nil, fail(CodeConfiguration, fmt.Errorf("email provider %q: sending the link: %w", ep.ID(), err))
	}
	if a.cfg.Debug {
		a.log.DebugContext(ctx, "authgo: email sign-in: link sent", "provider", ep.ID())
	}
	return res, nil
}

// emailLimited counts a request for a link against both limits and
// returns how long to wait when either is exceeded. An IPv6 client is
// counted by its /64, which one host usually holds whole.
func (a *Auth) emailLimited(ctx context.Context, email, client string) (time.Duration, error) {
	if ip, err := netip.ParseAddr(client); err == nil && ip.Is6() && !ip.Is4In6() {
		client = netip.PrefixFrom(ip, 64).Masked().String()
	}
	e := &a.cfg.Email
	var wait time.Duration
	for _, c := range []struct {
		key string
		max int
	}{{"email:to:" + email, e.PerAddress}, {"email:addr:" + client, e.PerClient}} {
		if c.max < 0 {
			continue
		}
		if len(c.key) > MaxCounterKey {
			c.key = c.key[:MaxCounterKey]
		}
		n, ends, err := e.Counter.Add(ctx, c.key, e.Window)
		if err != nil {
			return 0, fmt.Errorf("email limits: %w", err)
		}
		if n > int64(c.max) {
			wait = max(wait, ends.Sub(a.now()), time.Second)
		}
	}
	return wait, nil
}

// emailCallback is GET <base>/callback/<id>?callbackUrl=…&token=…&email=…,
// the link. Stricter than Auth.js: the email parameter is required and
// compared with the row's identifier, and an expired row is refused (it is
// deleted either way: single use).
func (a *Auth) emailCallback(rq *request, ep provider.EmailProvider) (*response, error) {
	ctx := rq.r.Context()
	token, email := rq.query.Get("token"), rq.query.Get("email")
	if token == "" || email == "" || len(token) > maxEmailToken || len(email) > 1024 {
		return nil, fail(CodeVerification, errors.New("email link without a token or an address"))
	}
	var v *store.VerificationToken
	// Stored by authgo with the newest secret, by Auth.js with one secret
	// or the list joined: the CSRF cookie's rule, so a rotation keeps
	// pending links working.
	for _, h := range a.csrfSecret.Hashes(token) {
		got, err := a.cfg.Email.Tokens.UseVerificationToken(ctx, email, h)
		if err != nil {
			return nil, fail(CodeUnavailable, fmt.Errorf("verification token store: %w", err))
		}
		if got != nil {
			v = got
			break
		}
	}
	switch {
	case v == nil:
		return nil, fail(CodeVerification, errors.New("email link: no such token for this address (used, altered or never sent)"))
	case !a.now().Before(v.Expires):
		return nil, fail(CodeVerification, errors.New("email link: expired"))
	case v.Identifier != email:
		return nil, fail(CodeVerification, errors.New("email link: for another address"))
	}
	u, err := a.emailCandidate(ctx, v.Identifier)
	if err != nil {
		return nil, err
	}
	u.Extra = map[string]any{ClaimEmailVerified: true}
	account := &Account{Provider: ep.ID(), Type: string(provider.TypeEmail), ProviderAccountID: v.Identifier}
	res, err := a.finishSignIn(rq, u, account, nil, nil)
	if res != nil {
		res.noReferrer = true // the link's URL carried the token
	}
	return res, err
}

// emailCandidate is the user an email sign-in shows the SignIn callback,
// as Auth.js does: the users row with the address, or a new one.
func (a *Auth) emailCandidate(ctx context.Context, email string) (*User, error) {
	u := &User{Email: email}
	existing, err := a.cfg.Users.UserByEmail(ctx, email)
	if err != nil {
		return nil, fail(CodeUnavailable, fmt.Errorf("users store: %w", err))
	}
	if existing != nil {
		u.ID, u.Name, u.Image = existing.ID, existing.Name, existing.Image
	} else {
		u.ID = newID()
	}
	return u, nil
}

// emailUser finds the users row of an email sign-in by its address, or
// creates it with the address verified, as Auth.js's email branch does: no
// accounts row is written. Signed in as another user, the sign-in is
// refused (OAuthAccountNotLinked), as Auth.js refuses it.
func (a *Auth) emailUser(rq *request, u *User) (*store.User, bool, error) {
	ctx := rq.r.Context()
	us := a.cfg.Users
	for attempt := 0; ; attempt++ {
		row, err := us.UserByEmail(ctx, u.Email)
		if err != nil {
			return nil, false, fail(CodeUnavailable, fmt.Errorf("users store: %w", err))
		}
		if row != nil {
			if cur := a.signedInUser(ctx, rq); cur != "" && cur != row.ID {
				return nil, false, fail(CodeOAuthAccountNotLinked, errLinkedElsewhere)
			}
			return row, false, nil
		}
		if attempt > 0 {
			return nil, false, fail(CodeConfiguration, errors.New("users store: the user could not be created"))
		}
		made, err := us.CreateUser(ctx, store.User{Email: u.Email, Name: u.Name, EmailVerified: a.now().UTC().Truncate(time.Millisecond)})
		if err != nil {
			// Perhaps a racing first sign-in created it: look again.
			a.log.Warn("authgo: creating a user for an email sign-in failed; looking for the address again", "err", err)
			continue
		}
		if ev := a.cfg.Events.CreateUser; ev != nil {
			a.event(ctx, "CreateUser", func() { ev(ctx, made) })
		}
		return &made, true, nil
	}
}

// verifyRequestPage is GET <base>/verify-request: "check your email", or
// a redirect to Pages.VerifyRequest with the query.
func (a *Auth) verifyRequestPage(rq *request) (*response, error) {
	if p := a.cfg.Pages.VerifyRequest; p != "" {
		loc := p
		if q := rq.r.URL.RawQuery; q != "" {
			loc += sep(p) + q
		}
		return &response{location: loc}, nil // relative, as Auth.js sends it
	}
	d := pages.VerifyRequestData{Brand: a.brand(), HomeURL: rq.base()}
	return a.html(200, func(b *bytes.Buffer) error { return pages.VerifyRequest(b, d) })
}
