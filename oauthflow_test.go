package authgo_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/jwt"
	"github.com/authgo/authgo/provider"
)

// stubIdP is a fixture OAuth provider for the root's flow checks: it
// records what the flow hands it and answers with a fixed user. The real
// providers are tested against a real OpenID provider in providers/oidc.
type stubIdP struct {
	id       string
	nonce    bool
	authReq  provider.AuthCodeParams
	exchange provider.ExchangeParams
	exchErr  error
	endURL   string
	// user and tokens, when set, replace the fixed answer; dangerous is
	// the AllowDangerousEmailAccountLinking option.
	user      *authgo.User
	tokens    *provider.TokenSet
	dangerous bool
	// profile, when set, is the profile the exchange returns.
	profile map[string]any
}

func (p *stubIdP) AllowDangerousEmailAccountLinking() bool { return p.dangerous }

func (p *stubIdP) ID() string          { return p.id }
func (p *stubIdP) Name() string        { return "Stub " + p.id }
func (p *stubIdP) Type() provider.Type { return provider.TypeOIDC }
func (p *stubIdP) UsesNonce() bool     { return p.nonce }
func (p *stubIdP) AuthCodeURL(ctx context.Context, a provider.AuthCodeParams) (string, error) {
	p.authReq = a
	q := url.Values{"state": {a.State}, "code_challenge": {a.CodeChallenge}, "redirect_uri": {a.RedirectURI}}
	if a.Nonce != "" {
		q.Set("nonce", a.Nonce)
	}
	for k, v := range a.Extra {
		q[k] = v
	}
	return "https://idp.example/authorize?" + q.Encode(), nil
}
func (p *stubIdP) Exchange(ctx context.Context, e provider.ExchangeParams) (*provider.OAuthResult, error) {
	p.exchange = e
	if p.exchErr != nil {
		return nil, p.exchErr
	}
	res := &provider.OAuthResult{
		User:    &authgo.User{ID: "idp-42", Name: "Ida", Email: "ida@example.com"},
		Tokens:  provider.TokenSet{AccessToken: "at", RefreshToken: "rt", IDToken: "idt", Expiry: time.Now().Add(time.Hour)},
		Profile: map[string]any{"sub": "idp-42"},
	}
	if p.user != nil {
		u := *p.user
		res.User, res.Profile = &u, map[string]any{"sub": u.ID}
	}
	if p.tokens != nil {
		res.Tokens = *p.tokens
	}
	if p.profile != nil {
		res.Profile = p.profile
	}
	return res, nil
}
func (p *stubIdP) SignOutAtProvider() bool { return p.endURL != "" }
func (p *stubIdP) EndSessionURL(ctx context.Context, idToken, back string) (string, error) {
	return p.endURL + "?id_token_hint=" + url.QueryEscape(idToken) + "&post_logout_redirect_uri=" + url.QueryEscape(back), nil
}

func oauthAuth(t *testing.T, ps ...provider.Provider) *authgo.Auth {
	return newAuth(t, func(c *authgo.Config) { c.Providers = append(c.Providers, ps...) })
}

// startFlow posts to <base>/signin/<id> and returns the authorization URL.
func startFlow(t *testing.T, c *client, id, query string) *url.URL {
	t.Helper()
	r := c.postForm(O+"/auth/signin/"+id+query, url.Values{"csrfToken": {c.csrf(O)}, "callbackUrl": {"/after"}})
	if r.StatusCode != 302 {
		t.Fatalf("sign-in: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	u, err := url.Parse(r.Header.Get("Location"))
	if err != nil || u.Host != "idp.example" {
		t.Fatalf("Location %q", r.Header.Get("Location"))
	}
	for _, n := range []string{"authjs.state", "authjs.pkce.code_verifier"} {
		ck := r.setCook[n]
		if ck == nil || ck.MaxAge != 900 || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || !strings.HasPrefix(ck.Value, "eyJ") {
			t.Fatalf("check cookie %s: %+v", n, ck)
		}
	}
	return u
}

func TestOAuthFlow(t *testing.T) {
	idp := &stubIdP{id: "stub", nonce: true, endURL: "https://idp.example/logout"}
	var jwtAccount *authgo.Account
	a := newAuth(t, func(c *authgo.Config) {
		c.Providers = append(c.Providers, idp)
		c.Callbacks.JWT = func(ctx context.Context, p authgo.JWTParams) (*authgo.Token, error) {
			if p.Trigger == authgo.TriggerSignIn {
				jwtAccount = p.Account
			}
			return p.Token, nil
		}
	})
	c := newClient(t, a)
	u := startFlow(t, c, "stub", "?prompt=consent&state=attacker&redirect_uri=https://evil.example")
	q := u.Query()
	if q.Get("prompt") != "consent" || idp.authReq.State == "attacker" || q.Get("state") != idp.authReq.State ||
		idp.authReq.RedirectURI != O+"/auth/callback/stub" || len(idp.authReq.State) < 43 || idp.authReq.Extra.Get("redirect_uri") != "" {
		t.Fatalf("authorization request %+v", idp.authReq)
	}
	if idp.authReq.Nonce == "" || c.Cookie("authjs.nonce") == "" {
		t.Fatal("no nonce")
	}

	r := c.get(O + "/auth/callback/stub?code=the-code&state=" + url.QueryEscape(q.Get("state")))
	if r.StatusCode != 302 || r.Header.Get("Location") != O+"/after" || r.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Fatalf("callback: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	sum := sha256.Sum256([]byte(idp.exchange.CodeVerifier))
	if idp.exchange.Code != "the-code" || base64.RawURLEncoding.EncodeToString(sum[:]) != idp.authReq.CodeChallenge || idp.exchange.Nonce != idp.authReq.Nonce {
		t.Fatalf("exchange %+v", idp.exchange)
	}
	for _, n := range []string{"authjs.state", "authjs.pkce.code_verifier", "authjs.nonce"} {
		if ck := r.setCook[n]; ck == nil || ck.MaxAge >= 0 {
			t.Errorf("%s not cleared", n)
		}
	}
	tok, err := jwt.Decode(jwt.DecodeParams{Token: r.setCook["authjs.session-token"].Value, Secrets: []string{testSecret}})
	if err != nil || tok.Subject != "idp-42" || tok.Email != "ida@example.com" || tok.StringClaim("id_token") != "idt" || tok.StringClaim("provider") != "stub" {
		t.Fatalf("token %+v %v", tok, err)
	}
	if jwtAccount == nil || jwtAccount.AccessToken != "at" || jwtAccount.RefreshToken != "rt" || jwtAccount.ExpiresAt == 0 || jwtAccount.Type != "oidc" {
		t.Fatalf("JWT callback account %+v", jwtAccount)
	}
	// tokens-bff.md P14: the session page scripts read carries no token.
	if r := c.get(O + "/auth/session"); r.StatusCode != 200 || !strings.Contains(r.body, "ida@example.com") ||
		strings.Contains(r.body, "idt") || strings.Contains(r.body, "_token") || r.Header.Get("Cache-Control") == "" ||
		!strings.Contains(r.Header.Get("Cache-Control"), "no-store") {
		t.Fatalf("session: %v %s", r.Header, r.body)
	}
	// Sign-out goes through the provider's logout.
	r = c.postForm(O+"/auth/signout", url.Values{"csrfToken": {c.csrf(O)}, "callbackUrl": {"/bye"}})
	if loc := r.Header.Get("Location"); !strings.HasPrefix(loc, "https://idp.example/logout?id_token_hint=idt&post_logout_redirect_uri="+url.QueryEscape(O+"/bye")) {
		t.Fatalf("sign-out Location %q", loc)
	}
}

// TestOAuthCallbackRefusals: whatever the browser brings that does not
// check out is the client's problem, OAuthCallbackError on the sign-in
// page, never the Configuration error page's 500; no token request is made.
func TestOAuthCallbackRefusals(t *testing.T) {
	const cbErr = O + "/auth/signin?error=OAuthCallbackError"
	cases := []struct {
		name    string
		mutate  func(c *client, state string) string // returns the callback query
		wantLoc string
	}{
		{"state mismatch", func(c *client, s string) string { return "code=x&state=other" }, cbErr},
		{"no state", func(c *client, s string) string { return "code=x" }, cbErr},
		{"state cookie missing", func(c *client, s string) string {
			c.DeleteCookie("authjs.state")
			return "code=x&state=" + url.QueryEscape(s)
		}, cbErr},
		{"pkce cookie missing", func(c *client, s string) string {
			c.DeleteCookie("authjs.pkce.code_verifier")
			return "code=x&state=" + url.QueryEscape(s)
		}, cbErr},
		{"nonce cookie missing", func(c *client, s string) string {
			c.DeleteCookie("authjs.nonce")
			return "code=x&state=" + url.QueryEscape(s)
		}, cbErr},
		{"forged state cookie", func(c *client, s string) string {
			c.SetCookie("authjs.state", "eyJhbGciOiJkaXIi.x.y.z.w")
			return "code=x&state=" + url.QueryEscape(s)
		}, cbErr},
		{"code twice", func(c *client, s string) string { return "code=x&code=y&state=" + url.QueryEscape(s) }, cbErr},
		{"provider error", func(c *client, s string) string {
			return "error=access_denied&error_description=%3Cscript%3E&state=" + url.QueryEscape(s)
		}, cbErr},
		{"no code", func(c *client, s string) string { return "state=" + url.QueryEscape(s) }, cbErr},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			idp := &stubIdP{id: "stub", nonce: true}
			c := newClient(t, oauthAuth(t, idp))
			state := startFlow(t, c, "stub", "").Query().Get("state")
			r := c.get(O + "/auth/callback/stub?" + tc.mutate(c, state))
			if r.StatusCode != 302 || r.Header.Get("Location") != tc.wantLoc {
				t.Fatalf("%d %q", r.StatusCode, r.Header.Get("Location"))
			}
			if r.setCook["authjs.session-token"] != nil || idp.exchange.Code != "" {
				t.Fatal("a session or a token request after a failed check")
			}
			if ck := r.setCook["authjs.state"]; c.Cookie("authjs.state") == "" && ck == nil {
				// the cookie was gone already: nothing to clear
			} else if ck == nil || ck.MaxAge >= 0 {
				t.Fatal("state cookie not cleared on failure")
			}
			if strings.Contains(r.body, "script") {
				t.Fatal("provider text echoed")
			}
		})
	}
}

// TestOAuthMixUp: check cookies are bound to the provider that started the
// flow; a callback for provider B with A's cookies fails.
func TestOAuthMixUp(t *testing.T) {
	a, b := &stubIdP{id: "aa"}, &stubIdP{id: "bb"}
	c := newClient(t, oauthAuth(t, a, b))
	state := startFlow(t, c, "aa", "").Query().Get("state")
	r := c.get(O + "/auth/callback/bb?code=x&state=" + url.QueryEscape(state))
	if r.Header.Get("Location") != O+"/auth/signin?error=OAuthCallbackError" || b.exchange.Code != "" {
		t.Fatalf("%q", r.Header.Get("Location"))
	}
}

func TestOAuthExchangeFailure(t *testing.T) {
	idp := &stubIdP{id: "stub", exchErr: errors.New("invalid_grant: code already used")}
	c := newClient(t, oauthAuth(t, idp))
	state := startFlow(t, c, "stub", "").Query().Get("state")
	r := c.get(O + "/auth/callback/stub?code=replayed&state=" + url.QueryEscape(state))
	if r.Header.Get("Location") != O+"/auth/signin?error=OAuthCallbackError" || r.setCook["authjs.session-token"] != nil {
		t.Fatalf("%q", r.Header.Get("Location"))
	}
}

// TestOAuthCallbackURLBeforeRoundTrip: an off-origin callbackUrl given when
// the flow starts does not come back as a redirect after it.
func TestOAuthCallbackURLBeforeRoundTrip(t *testing.T) {
	idp := &stubIdP{id: "stub"}
	c := newClient(t, oauthAuth(t, idp))
	r := c.postForm(O+"/auth/signin/stub", url.Values{"csrfToken": {c.csrf(O)}, "callbackUrl": {"https://evil.example/x"}})
	state, _ := url.Parse(r.Header.Get("Location"))
	r = c.get(O + "/auth/callback/stub?code=x&state=" + url.QueryEscape(state.Query().Get("state")))
	if r.Header.Get("Location") != O {
		t.Fatalf("%q", r.Header.Get("Location"))
	}
}

func TestOAuthSignInNeedsCSRF(t *testing.T) {
	idp := &stubIdP{id: "stub"}
	c := newClient(t, oauthAuth(t, idp))
	r := c.postForm(O+"/auth/signin/stub", url.Values{})
	if r.Header.Get("Location") != O+"/auth/signin?error=MissingCSRF" || idp.authReq.State != "" {
		t.Fatalf("%q", r.Header.Get("Location"))
	}
	if r := c.get(O + "/auth/signin"); !strings.Contains(r.body, O+"/auth/signin/stub") {
		t.Fatal("no button for the provider on the sign-in page")
	}
}

// hangingRevoker is a provider whose revocation endpoint never answers,
// and which ignores its context until the test ends.
type hangingRevoker struct {
	stubIdP
	calls   atomic.Int32
	release chan struct{}
}

func (p *hangingRevoker) Revoke(ctx context.Context, token, hint string) error {
	p.calls.Add(1)
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-p.release:
		return nil
	}
}

// TestSignOutRevokeHangs: tokens-bff.md R12. The refresh token is revoked
// at the provider at sign-out; a provider that does not answer delays the
// sign-out by 2 s at most, and it still completes.
func TestSignOutRevokeHangs(t *testing.T) {
	idp := &hangingRevoker{stubIdP: stubIdP{id: "stub"}, release: make(chan struct{})}
	defer close(idp.release)
	a := oauthAuth(t, idp)
	c := newClient(t, a)
	u := startFlow(t, c, "stub", "")
	if r := c.get(O + "/auth/callback/stub?code=c&state=" + url.QueryEscape(u.Query().Get("state"))); r.StatusCode != 302 {
		t.Fatalf("callback: %d", r.StatusCode)
	}
	start := time.Now()
	r := c.postForm(O+"/auth/signout", url.Values{"csrfToken": {c.csrf(O)}})
	took := time.Since(start)
	if r.StatusCode != 302 || idp.calls.Load() != 1 {
		t.Fatalf("sign-out: %d, %d revocations", r.StatusCode, idp.calls.Load())
	}
	if took < 1500*time.Millisecond || took > 5*time.Second {
		t.Errorf("sign-out took %v, want about 2 s", took)
	}
	if ck := r.setCook["authjs.session-token"]; ck == nil || ck.MaxAge >= 0 {
		t.Errorf("session cookie not cleared: %v", r.Header["Set-Cookie"])
	}
}

// TestFlowCookiesExpire: a callback with check cookies older than their 15
// minutes fails, reaches no provider, and clears every check cookie.
func TestFlowCookiesExpire(t *testing.T) {
	now := time.Now()
	idp := &stubIdP{id: "stub", nonce: true}
	a := newAuth(t, func(c *authgo.Config) {
		c.Providers = append(c.Providers, idp)
		c.Now = func() time.Time { return now }
	})
	c := newClient(t, a)
	u := startFlow(t, c, "stub", "")
	now = now.Add(16 * time.Minute)
	r := c.get(O + "/auth/callback/stub?code=c&state=" + url.QueryEscape(u.Query().Get("state")))
	if r.StatusCode != 302 || !strings.Contains(r.Header.Get("Location"), "error=") || idp.exchange.Code != "" {
		t.Fatalf("stale state: %d %q, exchange %+v", r.StatusCode, r.Header.Get("Location"), idp.exchange)
	}
	if r.setCook["authjs.session-token"] != nil && r.setCook["authjs.session-token"].MaxAge >= 0 {
		t.Fatal("a session was set")
	}
	for _, n := range []string{"authjs.state", "authjs.pkce.code_verifier", "authjs.nonce"} {
		if ck := r.setCook[n]; ck == nil || ck.MaxAge >= 0 {
			t.Errorf("%s not cleared", n)
		}
	}
}

// TestSignInIdentityClaims: the sign-in records provider, email_verified
// (only when the provider said so about the user's own address) and
// preferred_username, which package gateway lets users in by.
func TestSignInIdentityClaims(t *testing.T) {
	for _, tc := range []struct {
		name     string
		user     *authgo.User
		profile  map[string]any
		verified any // nil: no claim
		username string
	}{
		{"verified", nil, map[string]any{"sub": "idp-42", "email": "Ida@Example.com", "email_verified": true, "preferred_username": "ida"}, true, "ida"},
		{"not verified", nil, map[string]any{"sub": "idp-42", "email": "ida@example.com", "email_verified": false}, false, ""},
		{"verified as a string", nil, map[string]any{"sub": "idp-42", "email": "ida@example.com", "email_verified": "true"}, true, ""},
		{"about another address", nil, map[string]any{"sub": "idp-42", "email": "other@example.com", "email_verified": true}, nil, ""},
		{"unknown", nil, map[string]any{"sub": "idp-42", "email": "ida@example.com", "login": "ida-gh"}, nil, "ida-gh"},
		{"the provider's User.Extra wins", &authgo.User{ID: "idp-42", Email: "ida@example.com", Extra: map[string]any{"email_verified": false, "preferred_username": "x"}},
			map[string]any{"sub": "idp-42", "email": "ida@example.com", "email_verified": true, "preferred_username": "ida"}, false, "x"},
		{"no address", &authgo.User{ID: "idp-42"}, map[string]any{"sub": "idp-42", "email_verified": true}, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			idp := &stubIdP{id: "stub", user: tc.user, profile: tc.profile}
			c := newClient(t, oauthAuth(t, idp))
			q := startFlow(t, c, "stub", "").Query()
			r := c.get(O + "/auth/callback/stub?code=c&state=" + url.QueryEscape(q.Get("state")))
			tok, err := jwt.Decode(jwt.DecodeParams{Token: r.setCook["authjs.session-token"].Value, Secrets: []string{testSecret}})
			if err != nil {
				t.Fatal(err)
			}
			if v, ok := tok.Extra["email_verified"]; v != tc.verified || ok != (tc.verified != nil) {
				t.Errorf("email_verified = %v (present %v), want %v", v, ok, tc.verified)
			}
			if got := tok.StringClaim("preferred_username"); got != tc.username {
				t.Errorf("preferred_username = %q, want %q", got, tc.username)
			}
			if got := tok.StringClaim("provider"); got != "stub" {
				t.Errorf("provider = %q", got)
			}
		})
	}
	t.Run("credentials", func(t *testing.T) {
		c := newClient(t, newAuth(t, nil))
		r := c.signIn(O, "alice", "wonderland")
		tok, err := jwt.Decode(jwt.DecodeParams{Token: r.setCook["authjs.session-token"].Value, Secrets: []string{testSecret}})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := tok.Extra["email_verified"]; ok || tok.StringClaim("provider") != "credentials" {
			t.Errorf("credentials token claims %v", tok.Extra)
		}
	})
}
