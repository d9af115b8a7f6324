package testidp

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

var alice = User{
	ID:            "u-alice",
	Username:      "alice",
	Password:      "correct horse",
	Email:         "alice@example.com",
	EmailVerified: true,
	Name:          "Alice Liddell",
	GivenName:     "Alice",
	FamilyName:    "Liddell",
	Picture:       "https://example.com/alice.png",
	Claims:        map[string]any{"groups": []string{"admins"}},
}

var bob = User{ID: "u-bob", Username: "bob", Password: "hunter2", Email: "bob@example.com"}

const redirectURI = "http://rp.test/api/auth/callback/oidc"

// rp is a relying party built on x/oauth2 and go-oidc, as authgo's will be.
type rp struct {
	idp      *IDP
	provider *oidc.Provider
	conf     oauth2.Config
	verifier *oidc.IDTokenVerifier
	browser  *http.Client
}

func newRP(t *testing.T, idp *IDP, c Client) *rp {
	t.Helper()
	if c.RedirectURIs == nil {
		c.RedirectURIs = []string{redirectURI}
	}
	idp.AddClient(c)
	provider, err := oidc.NewProvider(t.Context(), idp.Issuer())
	if err != nil {
		t.Fatal(err)
	}
	ep := provider.Endpoint()
	switch c.AuthMethod {
	case AuthMethodPost:
		ep.AuthStyle = oauth2.AuthStyleInParams
	case AuthMethodNone:
		ep.AuthStyle = oauth2.AuthStyleInParams
	default:
		ep.AuthStyle = oauth2.AuthStyleInHeader
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &rp{
		idp:      idp,
		provider: provider,
		conf: oauth2.Config{
			ClientID:     c.ID,
			ClientSecret: c.Secret,
			Endpoint:     ep,
			RedirectURL:  c.RedirectURIs[0],
			Scopes:       []string{oidc.ScopeOpenID, "profile", "email", oidc.ScopeOfflineAccess},
		},
		verifier: provider.Verifier(&oidc.Config{ClientID: c.ID}),
		browser:  &http.Client{Jar: jar},
	}
}

// signIn runs the code flow with PKCE and nonce up to the callback and
// returns the callback URL with the values the RP kept.
func (r *rp) signIn(t *testing.T, user User) (callback *url.URL, state, nonce, verifier string) {
	t.Helper()
	state, nonce, verifier = rand.Text(), rand.Text(), oauth2.GenerateVerifier()
	authURL := r.conf.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce))
	cb, err := r.idp.Login(t.Context(), r.browser, authURL, user.Username, user.Password)
	if err != nil {
		t.Fatal(err)
	}
	callback, err = url.Parse(cb)
	if err != nil {
		t.Fatal(err)
	}
	return callback, state, nonce, verifier
}

// fullFlow signs user in and exchanges the code, checking state, ID token
// and nonce as a correct RP does.
func (r *rp) fullFlow(t *testing.T, user User) (*oauth2.Token, *oidc.IDToken) {
	t.Helper()
	cb, state, nonce, verifier := r.signIn(t, user)
	if got := cb.Scheme + "://" + cb.Host + cb.Path; got != r.conf.RedirectURL {
		t.Fatalf("callback went to %s, want %s", got, r.conf.RedirectURL)
	}
	q := cb.Query()
	if q.Get("state") != state || q.Get("code") == "" || q.Get("error") != "" {
		t.Fatalf("callback %s: want code and state %s", cb, state)
	}
	tok, err := r.conf.Exchange(t.Context(), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := r.verifier.Verify(t.Context(), raw)
	if err != nil {
		t.Fatal(err)
	}
	if idt.Nonce != nonce {
		t.Fatalf("nonce = %q, want %q", idt.Nonce, nonce)
	}
	return tok, idt
}

func newIDP(t *testing.T) *IDP {
	return New(t, Options{Users: []User{alice, bob}})
}

func TestDiscovery(t *testing.T) {
	t.Parallel()
	idp := newIDP(t)
	resp, err := http.Get(idp.Issuer() + PathDiscovery)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var d struct {
		Issuer                string   `json:"issuer"`
		Authorization         string   `json:"authorization_endpoint"`
		Token                 string   `json:"token_endpoint"`
		Userinfo              string   `json:"userinfo_endpoint"`
		Revocation            string   `json:"revocation_endpoint"`
		EndSession            string   `json:"end_session_endpoint"`
		JWKS                  string   `json:"jwks_uri"`
		CodeChallengeMethods  []string `json:"code_challenge_methods_supported"`
		IDTokenSigningAlgs    []string `json:"id_token_signing_alg_values_supported"`
		GrantTypes            []string `json:"grant_types_supported"`
		TokenEndpointAuthMeth []string `json:"token_endpoint_auth_methods_supported"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
		t.Fatal(err)
	}
	iss := idp.Issuer()
	for got, want := range map[string]string{
		d.Issuer:        iss,
		d.Authorization: iss + PathAuthorize,
		d.Token:         iss + PathToken,
		d.Userinfo:      iss + PathUserinfo,
		d.Revocation:    iss + PathRevoke,
		d.EndSession:    iss + PathEndSession,
		d.JWKS:          iss + PathJWKS,
	} {
		if got != want {
			t.Errorf("discovery has %q, want %q", got, want)
		}
	}
	if !slices.Equal(d.CodeChallengeMethods, []string{"S256"}) {
		t.Errorf("code_challenge_methods_supported = %v", d.CodeChallengeMethods)
	}
	if !slices.Contains(d.IDTokenSigningAlgs, "RS256") || !slices.Contains(d.GrantTypes, "refresh_token") {
		t.Errorf("algs %v, grants %v", d.IDTokenSigningAlgs, d.GrantTypes)
	}
	for _, m := range []string{"client_secret_basic", "client_secret_post", "none"} {
		if !slices.Contains(d.TokenEndpointAuthMeth, m) {
			t.Errorf("token_endpoint_auth_methods_supported %v lacks %s", d.TokenEndpointAuthMeth, m)
		}
	}

	jwks := getJWKS(t, idp)
	if len(jwks) != 1 || jwks[0]["kid"] != idp.KeyID() || jwks[0]["kty"] != "RSA" || jwks[0]["alg"] != "RS256" {
		t.Errorf("jwks = %v", jwks)
	}
	idp.PublishKey("oct-1", "HS256", []byte("symmetric"))
	jwks = getJWKS(t, idp)
	if len(jwks) != 2 || jwks[1]["kty"] != "oct" || jwks[1]["kid"] != "oct-1" {
		t.Errorf("jwks after PublishKey = %v", jwks)
	}
}

func getJWKS(t *testing.T, idp *IDP) []map[string]any {
	t.Helper()
	resp, err := http.Get(idp.Issuer() + PathJWKS)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set struct{ Keys []map[string]any }
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	return set.Keys
}

func TestCodeFlow(t *testing.T) {
	t.Parallel()
	idp := newIDP(t)
	for _, m := range []AuthMethod{AuthMethodBasic, AuthMethodPost, AuthMethodNone} {
		t.Run(string(m), func(t *testing.T) {
			c := Client{ID: "app-" + string(m), AuthMethod: m}
			if m != AuthMethodNone {
				c.Secret = "s3cret"
			}
			r := newRP(t, idp, c)
			tok, idt := r.fullFlow(t, alice)
			if idt.Subject != alice.ID || idt.Issuer != idp.Issuer() || !slices.Equal(idt.Audience, []string{c.ID}) {
				t.Errorf("id token sub %q iss %q aud %v", idt.Subject, idt.Issuer, idt.Audience)
			}
			var claims struct {
				Email         string   `json:"email"`
				EmailVerified bool     `json:"email_verified"`
				Name          string   `json:"name"`
				Picture       string   `json:"picture"`
				Groups        []string `json:"groups"`
				AZP           string   `json:"azp"`
			}
			if err := idt.Claims(&claims); err != nil {
				t.Fatal(err)
			}
			if claims.Email != alice.Email || !claims.EmailVerified || claims.Name != alice.Name ||
				claims.Picture != alice.Picture || !slices.Equal(claims.Groups, []string{"admins"}) || claims.AZP != c.ID {
				t.Errorf("id token claims = %+v", claims)
			}
			if tok.RefreshToken == "" || tok.AccessToken == "" || tok.Expiry.IsZero() {
				t.Errorf("token = %+v", tok)
			}
			if d := time.Until(tok.Expiry); d < 4*time.Minute || d > 6*time.Minute {
				t.Errorf("access token expires in %v, want about 5m", d)
			}

			ui, err := r.provider.UserInfo(t.Context(), oauth2.StaticTokenSource(tok))
			if err != nil {
				t.Fatal(err)
			}
			if ui.Subject != alice.ID || ui.Email != alice.Email || !ui.EmailVerified {
				t.Errorf("userinfo = %+v", ui)
			}
		})
	}
}

func TestCodeIsSingleUse(t *testing.T) {
	t.Parallel()
	idp := newIDP(t)
	r := newRP(t, idp, Client{ID: "app", Secret: "s"})
	cb, _, _, verifier := r.signIn(t, alice)
	code := cb.Query().Get("code")
	if _, err := r.conf.Exchange(t.Context(), code, oauth2.VerifierOption(verifier)); err != nil {
		t.Fatal(err)
	}
	_, err := r.conf.Exchange(t.Context(), code, oauth2.VerifierOption(verifier))
	wantOAuthError(t, err, "invalid_grant")
}

func TestPKCE(t *testing.T) {
	t.Parallel()
	idp := newIDP(t)
	r := newRP(t, idp, Client{ID: "app", Secret: "s"})

	t.Run("wrong verifier", func(t *testing.T) {
		cb, _, _, _ := r.signIn(t, alice)
		_, err := r.conf.Exchange(t.Context(), cb.Query().Get("code"), oauth2.VerifierOption(oauth2.GenerateVerifier()))
		wantOAuthError(t, err, "invalid_grant")
	})
	t.Run("missing verifier", func(t *testing.T) {
		cb, _, _, _ := r.signIn(t, alice)
		_, err := r.conf.Exchange(t.Context(), cb.Query().Get("code"))
		wantOAuthError(t, err, "invalid_request")
	})
	t.Run("malformed verifier", func(t *testing.T) {
		cb, _, _, _ := r.signIn(t, alice)
		_, err := r.conf.Exchange(t.Context(), cb.Query().Get("code"), oauth2.VerifierOption("short"))
		wantOAuthError(t, err, "invalid_request")
	})
	t.Run("challenge stripped", func(t *testing.T) {
		// attacks.md T22(c): the verifier arrives but no challenge was stored.
		authURL := r.conf.AuthCodeURL("st", oidc.Nonce("n"))
		cb, err := idp.Login(t.Context(), r.browser, authURL, alice.Username, alice.Password)
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(cb)
		_, err = r.conf.Exchange(t.Context(), u.Query().Get("code"), oauth2.VerifierOption(oauth2.GenerateVerifier()))
		wantOAuthError(t, err, "invalid_request")
	})
	t.Run("plain refused", func(t *testing.T) {
		v := oauth2.GenerateVerifier()
		authURL := r.conf.AuthCodeURL("st", oauth2.SetAuthURLParam("code_challenge", v),
			oauth2.SetAuthURLParam("code_challenge_method", "plain"))
		cb, err := idp.Login(t.Context(), r.browser, authURL, alice.Username, alice.Password)
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(cb)
		if u.Query().Get("error") != "invalid_request" || u.Query().Get("state") != "st" || u.Query().Has("code") {
			t.Errorf("callback = %s, want error=invalid_request", cb)
		}
	})
}

func TestLoginErrors(t *testing.T) {
	t.Parallel()
	idp := newIDP(t)
	r := newRP(t, idp, Client{ID: "app", Secret: "s"})
	authURL := r.conf.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))

	if _, err := idp.Login(t.Context(), r.browser, authURL, "alice", "wrong"); !errors.Is(err, ErrLoginFailed) {
		t.Errorf("wrong password: err = %v, want ErrLoginFailed", err)
	}
	if _, err := idp.Login(t.Context(), r.browser, authURL, "mallory", "x"); !errors.Is(err, ErrLoginFailed) {
		t.Errorf("unknown user: err = %v, want ErrLoginFailed", err)
	}
	// The op refuses an unregistered redirect_uri without redirecting.
	bad := strings.Replace(authURL, url.QueryEscape(redirectURI), url.QueryEscape("http://evil.test/cb"), 1)
	if _, err := idp.Login(t.Context(), r.browser, bad, "alice", alice.Password); err == nil || errors.Is(err, ErrLoginFailed) {
		t.Errorf("bad redirect_uri: err = %v", err)
	}
	// prompt=none cannot succeed: there is no IdP session.
	cb, err := idp.Login(t.Context(), r.browser, authURL+"&prompt=none", "alice", alice.Password)
	if err != nil || !strings.Contains(cb, "error=login_required") {
		t.Errorf("prompt=none: %s, %v", cb, err)
	}
}

func TestRefreshRotation(t *testing.T) {
	t.Parallel()
	idp := newIDP(t)
	r := newRP(t, idp, Client{ID: "app", Secret: "s"})
	tok, _ := r.fullFlow(t, alice)
	rt0 := tok.RefreshToken

	tok1, err := r.refresh(t, rt0)
	if err != nil {
		t.Fatal(err)
	}
	if tok1.RefreshToken == "" || tok1.RefreshToken == rt0 || tok1.AccessToken == tok.AccessToken {
		t.Fatalf("refresh did not rotate: %q -> %q", rt0, tok1.RefreshToken)
	}
	raw, _ := tok1.Extra("id_token").(string)
	if idt, err := r.verifier.Verify(t.Context(), raw); err != nil || idt.Subject != alice.ID {
		t.Fatalf("refreshed id token: %v", err)
	}
	if idp.AccessTokenActive(tok.AccessToken) || !idp.AccessTokenActive(tok1.AccessToken) {
		t.Error("rotation should retire the old access token and keep the new one")
	}

	// Reuse of the rotated token fails and revokes the family.
	_, err = r.refresh(t, rt0)
	wantOAuthError(t, err, "invalid_grant")
	if idp.RefreshTokenActive(tok1.RefreshToken) {
		t.Error("reuse should revoke the current refresh token of the family")
	}
	_, err = r.refresh(t, tok1.RefreshToken)
	wantOAuthError(t, err, "invalid_grant")

	// Without offline_access there is no refresh token.
	r.conf.Scopes = []string{oidc.ScopeOpenID}
	tok, _ = r.fullFlow(t, alice)
	if tok.RefreshToken != "" {
		t.Errorf("refresh token issued without offline_access")
	}
}

// refresh redeems a refresh token as authgo will: x/oauth2's TokenSource.
func (r *rp) refresh(t *testing.T, refreshToken string) (*oauth2.Token, error) {
	t.Helper()
	return r.conf.TokenSource(t.Context(), &oauth2.Token{RefreshToken: refreshToken}).Token()
}

func TestRevocation(t *testing.T) {
	t.Parallel()
	idp := newIDP(t)
	r := newRP(t, idp, Client{ID: "app", Secret: "s"})
	idp.AddClient(Client{ID: "other", Secret: "o", RedirectURIs: []string{redirectURI}})
	tok, _ := r.fullFlow(t, alice)
	refresh := tok.RefreshToken

	// Another client cannot revoke it.
	if code := revoke(t, idp, "other", "o", tok.RefreshToken); code != http.StatusUnauthorized {
		t.Errorf("revocation by another client: %d", code)
	}
	if !idp.RefreshTokenActive(tok.RefreshToken) {
		t.Fatal("token revoked by the wrong client")
	}
	if code := revoke(t, idp, "app", "s", tok.RefreshToken); code != http.StatusOK {
		t.Fatalf("revocation: %d", code)
	}
	if idp.RefreshTokenActive(tok.RefreshToken) || idp.AccessTokenActive(tok.AccessToken) {
		t.Error("revoking the refresh token should revoke it and its access token")
	}
	_, err := r.refresh(t, tok.RefreshToken)
	wantOAuthError(t, err, "invalid_grant")
	// RFC 7009 §2.2: unknown tokens are not an error.
	if code := revoke(t, idp, "app", "s", "no-such-token"); code != http.StatusOK {
		t.Errorf("revoking an unknown token: %d", code)
	}
	// Access tokens can be revoked too.
	tok, _ = r.fullFlow(t, alice)
	if code := revoke(t, idp, "app", "s", tok.AccessToken); code != http.StatusOK || idp.AccessTokenActive(tok.AccessToken) {
		t.Errorf("access token revocation: %d", code)
	}
	if _, err := r.provider.UserInfo(t.Context(), oauth2.StaticTokenSource(tok)); err == nil {
		t.Error("userinfo accepted a revoked access token")
	}
	if n := idp.RevokeCalls(); n != 4 {
		t.Errorf("RevokeCalls = %d, want 4", n)
	}
	if got := idp.RevokedTokens(); !slices.Equal(got, []string{refresh, refresh, "no-such-token", tok.AccessToken}) {
		t.Errorf("RevokedTokens = %q", got)
	}
}

func revoke(t *testing.T, idp *IDP, clientID, secret, token string) int {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, idp.Issuer()+PathRevoke,
		strings.NewReader(url.Values{"token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(clientID, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestEndSession(t *testing.T) {
	t.Parallel()
	idp := newIDP(t)
	const after = "http://rp.test/signed-out"
	r := newRP(t, idp, Client{ID: "app", Secret: "s", PostLogoutRedirectURIs: []string{after}})
	tok, _ := r.fullFlow(t, alice)
	hint, _ := tok.Extra("id_token").(string)

	endSession := func(params url.Values) string {
		t.Helper()
		c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := c.Get(idp.Issuer() + PathEndSession + "?" + params.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusFound {
			return resp.Status
		}
		return resp.Header.Get("Location")
	}

	// Unregistered post_logout_redirect_uri: refused.
	if got := endSession(url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {"http://evil.test/"}}); got != "400 Bad Request" {
		t.Errorf("unregistered post_logout_redirect_uri: %s", got)
	}
	if !idp.RefreshTokenActive(tok.RefreshToken) {
		t.Fatal("refused end_session ended the session")
	}
	got := endSession(url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {after}, "state": {"xyz"}})
	if got != after+"?state=xyz" {
		t.Errorf("end_session redirected to %s, want %s?state=xyz", got, after)
	}
	if idp.RefreshTokenActive(tok.RefreshToken) || idp.AccessTokenActive(tok.AccessToken) {
		t.Error("end_session should end the client's tokens for the user")
	}
	// Without a hint the op cannot tell the client: default page.
	if got := endSession(url.Values{"post_logout_redirect_uri": {after}}); got != idp.Issuer()+PathLoggedOut {
		t.Errorf("end_session without hint: %s", got)
	}
	if n := idp.EndSessionCalls(); n != 3 {
		t.Errorf("EndSessionCalls = %d, want 3", n)
	}
	reqs := idp.Requests(PathEndSession)
	if reqs[1].Get("id_token_hint") != hint || reqs[1].Get("post_logout_redirect_uri") != after {
		t.Errorf("recorded end_session request = %v", reqs[1])
	}
}

func TestCounters(t *testing.T) {
	t.Parallel()
	idp := newIDP(t)
	r := newRP(t, idp, Client{ID: "app", Secret: "s"})
	if idp.TokenCalls()+idp.RefreshCalls()+idp.RevokeCalls()+idp.EndSessionCalls()+idp.UserinfoCalls() != 0 {
		t.Fatal("counters should start at zero")
	}
	// A sign-in that stops at the callback makes no token call.
	r.signIn(t, alice)
	if n := idp.TokenCalls(); n != 0 {
		t.Errorf("TokenCalls after login only = %d", n)
	}
	tok, _ := r.fullFlow(t, alice)
	if _, err := r.refresh(t, tok.RefreshToken); err != nil {
		t.Fatal(err)
	}
	r.refresh(t, "bogus")
	if _, err := r.provider.UserInfo(t.Context(), oauth2.StaticTokenSource(tok)); err == nil {
		t.Error("userinfo accepted a rotated-away access token")
	}
	if got, want := fmt.Sprint(idp.TokenCalls(), idp.RefreshCalls(), idp.UserinfoCalls()), "3 2 1"; got != want {
		t.Errorf("token, refresh, userinfo calls = %s, want %s", got, want)
	}
	reqs := idp.Requests(PathToken)
	if reqs[0].Get("grant_type") != "authorization_code" || len(reqs[0].Get("code_verifier")) != 43 {
		t.Errorf("first token request = %v", reqs[0])
	}
	if a := idp.Requests(PathAuthorize); len(a) != 2 || a[0].Get("code_challenge_method") != "S256" || a[0].Get("nonce") == "" {
		t.Errorf("authorize requests = %v", a)
	}
}

func TestBrokenIDTokens(t *testing.T) {
	t.Parallel()
	idp := newIDP(t)
	const clientID = "app"
	r := newRP(t, idp, Client{ID: clientID, Secret: "s"})
	verify := func(tok string) error {
		_, err := r.verifier.Verify(t.Context(), tok)
		return err
	}
	good := func() map[string]any { return idp.IDTokenClaims(clientID, alice.ID, "n") }

	if err := verify(idp.SignIDToken(good(), SignOptions{})); err != nil {
		t.Fatalf("a correct token signed by SignIDToken must verify: %v", err)
	}
	with := func(k string, v any) map[string]any { c := good(); c[k] = v; return c }
	for name, tok := range map[string]string{
		"wrong iss":        idp.SignIDToken(with("iss", "http://evil.test"), SignOptions{}),
		"trailing slash":   idp.SignIDToken(with("iss", idp.Issuer()+"/"), SignOptions{}),
		"wrong aud":        idp.SignIDToken(with("aud", "other"), SignOptions{}),
		"expired":          idp.SignIDToken(with("exp", time.Now().Add(-time.Hour).Unix()), SignOptions{}),
		"alg none":         idp.SignIDToken(good(), SignOptions{Alg: AlgNone}),
		"hs256 with pem":   idp.SignIDToken(good(), SignOptions{Alg: AlgHS256}),
		"foreign key":      idp.SignIDToken(good(), SignOptions{ForeignKey: true}),
		"foreign, our kid": idp.SignIDToken(good(), SignOptions{ForeignKey: true, KID: idp.KeyID()}),
		"unknown kid":      idp.SignIDToken(good(), SignOptions{KID: "nope"}),
		"embedded jwk": idp.SignIDToken(good(), SignOptions{ForeignKey: true, OmitKID: true,
			Headers: map[string]any{"jwk": idp.ForeignJWK()}}),
		"header says none": idp.SignIDToken(good(), SignOptions{Headers: map[string]any{"alg": "none"}}),
	} {
		if err := verify(tok); err == nil {
			t.Errorf("%s: verified", name)
		}
	}
	// A published foreign key makes foreign tokens verify (sanity check of
	// PublishKey and ForeignKey).
	idp.PublishKey(foreignKID, "RS256", idp.ForeignPublicKey())
	// A new verifier, whose key set is fetched after PublishKey: go-oidc's
	// RemoteKeySet reports a finished fetch before it forgets it, so a
	// verify right after the ones above may be handed that fetch's old keys.
	fresh, err := oidc.NewProvider(t.Context(), idp.Issuer())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fresh.Verifier(&oidc.Config{ClientID: clientID}).Verify(t.Context(), idp.SignIDToken(good(), SignOptions{ForeignKey: true})); err != nil {
		t.Errorf("foreign key after PublishKey: %v", err)
	}
	// The HS256 default key is the PEM public key.
	parts := strings.Split(idp.SignIDToken(good(), SignOptions{Alg: AlgHS256}), ".")
	if len(parts) != 3 || parts[2] == "" {
		t.Errorf("hs256 token = %v", parts)
	}
	if !strings.HasPrefix(string(idp.PublicKeyPEM()), "-----BEGIN PUBLIC KEY-----") {
		t.Error("PublicKeyPEM")
	}
}

func TestNextIDToken(t *testing.T) {
	t.Parallel()
	idp := newIDP(t)
	r := newRP(t, idp, Client{ID: "app", Secret: "s"})
	cb, _, nonce, verifier := r.signIn(t, alice)
	claims := idp.IDTokenClaims("app", alice.ID, nonce)
	claims["iss"] = "http://evil.test"
	forged := idp.SignIDToken(claims, SignOptions{})
	idp.NextIDToken(forged)

	tok, err := r.conf.Exchange(t.Context(), cb.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := tok.Extra("id_token").(string); got != forged {
		t.Fatalf("token response carried %q, want the forged token", got)
	}
	if tok.AccessToken == "" || tok.RefreshToken == "" {
		t.Errorf("the rest of the response must be intact: %+v", tok)
	}
	if _, err := r.verifier.Verify(t.Context(), forged); err == nil {
		t.Error("forged token verified")
	}
	// One-shot: the next flow is genuine again.
	tok, _ = r.fullFlow(t, alice)
	if got, _ := tok.Extra("id_token").(string); got == forged {
		t.Error("NextIDToken applied twice")
	}
}

func TestNextUserinfo(t *testing.T) {
	t.Parallel()
	idp := newIDP(t)
	r := newRP(t, idp, Client{ID: "app", Secret: "s"})
	tok, _ := r.fullFlow(t, alice)
	idp.NextUserinfo(map[string]any{"sub": "999", "email": alice.Email})
	ui, err := r.provider.UserInfo(t.Context(), oauth2.StaticTokenSource(tok))
	if err != nil {
		t.Fatal(err)
	}
	if ui.Subject != "999" {
		t.Errorf("userinfo sub = %q, want the override", ui.Subject)
	}
	ui, err = r.provider.UserInfo(t.Context(), oauth2.StaticTokenSource(tok))
	if err != nil || ui.Subject != alice.ID {
		t.Errorf("second userinfo = %+v, %v", ui, err)
	}
}

func TestUnverifiedEmailIsExplicit(t *testing.T) {
	t.Parallel()
	idp := newIDP(t)
	r := newRP(t, idp, Client{ID: "app", Secret: "s"})
	_, idt := r.fullFlow(t, bob)
	var c map[string]any
	if err := idt.Claims(&c); err != nil {
		t.Fatal(err)
	}
	if v, ok := c["email_verified"]; !ok || v != false {
		t.Errorf("email_verified = %v (present %v), want false", v, ok)
	}
}

func TestMinimalIDToken(t *testing.T) {
	t.Parallel()
	idp := newIDP(t)
	r := newRP(t, idp, Client{ID: "app", Secret: "s", MinimalIDToken: true})
	tok, idt := r.fullFlow(t, alice)
	var c map[string]any
	if err := idt.Claims(&c); err != nil {
		t.Fatal(err)
	}
	if _, ok := c["email"]; ok {
		t.Errorf("minimal ID token has email: %v", c)
	}
	ui, err := r.provider.UserInfo(t.Context(), oauth2.StaticTokenSource(tok))
	if err != nil || ui.Email != alice.Email {
		t.Errorf("userinfo = %+v, %v", ui, err)
	}
}

// TestParallelClients runs full flows concurrently on one IDP with distinct
// clients, each checking it got only its own tokens.
func TestParallelClients(t *testing.T) {
	t.Parallel()
	idp := newIDP(t)
	for i := range 8 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			id := fmt.Sprintf("client-%d", i)
			user := alice
			if i%2 == 1 {
				user = bob
			}
			r := newRP(t, idp, Client{ID: id, Secret: "s-" + id})
			tok, idt := r.fullFlow(t, user)
			if idt.Subject != user.ID || !slices.Equal(idt.Audience, []string{id}) {
				t.Errorf("client %s got sub %q aud %v", id, idt.Subject, idt.Audience)
			}
			tok2, err := r.refresh(t, tok.RefreshToken)
			if err != nil {
				t.Fatal(err)
			}
			// Another client's credentials cannot redeem this refresh token.
			thief := "thief-" + id
			idp.AddClient(Client{ID: thief, Secret: "t", RedirectURIs: []string{redirectURI}})
			o := r.conf
			o.ClientID, o.ClientSecret = thief, "t"
			_, err = o.TokenSource(t.Context(), &oauth2.Token{RefreshToken: tok2.RefreshToken}).Token()
			wantOAuthError(t, err, "invalid_grant")
			if !idp.RefreshTokenActive(tok2.RefreshToken) {
				t.Error("a foreign client's attempt revoked the token")
			}
		})
	}
}

func TestAddClientPanics(t *testing.T) {
	t.Parallel()
	idp := New(t, Options{})
	idp.AddClient(Client{ID: "a", Secret: "s"})
	for name, c := range map[string]Client{
		"duplicate":  {ID: "a", Secret: "s"},
		"no id":      {Secret: "s"},
		"no secret":  {ID: "b"},
		"bad method": {ID: "c", Secret: "s", AuthMethod: "private_key_jwt"},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: AddClient did not panic", name)
				}
			}()
			idp.AddClient(c)
		}()
	}
}

func wantOAuthError(t *testing.T, err error, code string) {
	t.Helper()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		t.Fatalf("err = %v, want an oauth2 %s error", err, code)
	}
	if re.ErrorCode != code {
		t.Fatalf("error = %q (%s), want %q", re.ErrorCode, re.ErrorDescription, code)
	}
}

func TestAuthorizationResponseIss(t *testing.T) {
	t.Parallel()
	idp := New(t, Options{Users: []User{alice}, AuthorizationResponseIss: true})
	r := newRP(t, idp, Client{ID: "app", Secret: "s"})

	resp, err := http.Get(idp.Issuer() + PathDiscovery)
	if err != nil {
		t.Fatal(err)
	}
	var d map[string]any
	err = json.NewDecoder(resp.Body).Decode(&d)
	resp.Body.Close()
	if err != nil || d["authorization_response_iss_parameter_supported"] != true || d["issuer"] != idp.Issuer() {
		t.Errorf("discovery = %v, %v", d, err)
	}

	// A code response carries iss, and the code still works.
	tok, _ := r.fullFlow(t, alice)
	if tok.AccessToken == "" {
		t.Fatal("no access token")
	}
	cb, _, _, _ := r.signIn(t, alice)
	if q := cb.Query(); q.Get("iss") != idp.Issuer() || q.Get("code") == "" || len(q["iss"]) != 1 {
		t.Errorf("callback = %s, want code and iss", cb)
	}
	// So does an error response sent straight from the authorization endpoint.
	authURL := r.conf.AuthCodeURL("st", oauth2.SetAuthURLParam("code_challenge", oauth2.GenerateVerifier()),
		oauth2.SetAuthURLParam("code_challenge_method", "plain"))
	errCB, err := idp.Login(t.Context(), r.browser, authURL, alice.Username, alice.Password)
	if err != nil {
		t.Fatal(err)
	}
	if u, _ := url.Parse(errCB); u.Query().Get("error") == "" || u.Query().Get("iss") != idp.Issuer() {
		t.Errorf("error callback = %s, want error and iss", errCB)
	}

	// A one-shot override for mix-up tests.
	idp.NextAuthorizationResponseIss("http://evil.test")
	cb, _, _, _ = r.signIn(t, alice)
	if got := cb.Query()["iss"]; !slices.Equal(got, []string{"http://evil.test"}) {
		t.Errorf("overridden iss = %q", got)
	}
	cb, _, _, _ = r.signIn(t, alice)
	if got := cb.Query().Get("iss"); got != idp.Issuer() {
		t.Errorf("iss after the override = %q", got)
	}
}

func TestNoAuthorizationResponseIssByDefault(t *testing.T) {
	t.Parallel()
	idp := newIDP(t)
	r := newRP(t, idp, Client{ID: "app", Secret: "s"})
	if cb, _, _, _ := r.signIn(t, alice); cb.Query().Has("iss") {
		t.Errorf("callback %s has iss", cb)
	}
	idp.NextAuthorizationResponseIss(idp.Issuer())
	if cb, _, _, _ := r.signIn(t, alice); cb.Query().Get("iss") != idp.Issuer() {
		t.Errorf("callback %s lacks the one-shot iss", cb)
	}
	if cb, _, _, _ := r.signIn(t, alice); cb.Query().Has("iss") {
		t.Errorf("one-shot iss applied twice: %s", cb)
	}
}
