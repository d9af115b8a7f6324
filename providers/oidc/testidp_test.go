package oidc_test

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/authgo/authgo/internal/testidp"
	"github.com/authgo/authgo/provider"
	"github.com/authgo/authgo/providers/oauth"
	"github.com/authgo/authgo/providers/oidc"
)

const redirectURI = "http://localhost:3000/auth/callback/oidc"

var alice = testidp.User{
	ID: "alice-sub-1", Username: "alice", Password: "wonderland",
	Email: "alice@example.com", EmailVerified: true, Name: "Alice Liddell", Picture: "https://example.com/alice.png",
}

// countingTransport counts the requests the provider makes.
type countingTransport struct{ n atomic.Int32 }

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return http.DefaultTransport.RoundTrip(r)
}

type rp struct {
	t      *testing.T
	idp    *testidp.IDP
	p      *oidc.Provider
	client testidp.Client
	calls  *countingTransport
}

func newRP(t *testing.T, method testidp.AuthMethod, mod func(*oidc.Options)) *rp {
	t.Helper()
	idp := testidp.New(t, testidp.Options{Users: []testidp.User{alice}})
	c := testidp.Client{
		ID: "rp-" + strings.ReplaceAll(t.Name(), "/", "-"), Secret: "s3cr3t/+ x",
		RedirectURIs:           []string{redirectURI},
		PostLogoutRedirectURIs: []string{"http://localhost:3000/signed-out"},
		AuthMethod:             method,
	}
	if method == testidp.AuthMethodNone {
		c.Secret = ""
	}
	idp.AddClient(c)
	ct := &countingTransport{}
	o := oidc.Options{
		Issuer: idp.Issuer(), ClientID: c.ID, ClientSecret: c.Secret,
		Scopes:     []string{"openid", "profile", "email", "offline_access"},
		HTTPClient: &http.Client{Transport: ct},
	}
	switch method {
	case testidp.AuthMethodPost:
		o.AuthStyle = oauth.AuthStylePost
	case testidp.AuthMethodNone:
		o.AuthStyle = oauth.AuthStyleNone
	}
	if mod != nil {
		mod(&o)
	}
	p, err := oidc.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return &rp{t: t, idp: idp, p: p, client: c, calls: ct}
}

func random() string {
	return rand.Text() + rand.Text()
}

// flow is one sign-in's secrets, as authgo's cookies would hold them.
type flow struct {
	state, verifier, nonce string
	callback               string
}

// login sends the browser (a cookie-jar client) through the IdP.
func (r *rp) login(nonce string) (*flow, error) {
	r.t.Helper()
	f := &flow{state: random(), verifier: random(), nonce: nonce}
	if f.nonce == "" {
		f.nonce = random()
	}
	sum := sha256.Sum256([]byte(f.verifier))
	authURL, err := r.p.AuthCodeURL(r.t.Context(), provider.AuthCodeParams{
		State: f.state, CodeChallenge: base64.RawURLEncoding.EncodeToString(sum[:]), Nonce: f.nonce, RedirectURI: redirectURI,
	})
	if err != nil {
		return nil, err
	}
	jar, _ := cookiejar.New(nil)
	f.callback, err = r.idp.Login(r.t.Context(), &http.Client{Jar: jar}, authURL, alice.Username, alice.Password)
	if err != nil {
		return nil, err
	}
	cb, _ := url.Parse(f.callback)
	if !strings.HasPrefix(f.callback, redirectURI+"?") || cb.Query().Get("state") != f.state || cb.Query().Get("code") == "" {
		r.t.Fatalf("callback %s", f.callback)
	}
	return f, nil
}

func (r *rp) exchange(f *flow, nonce string) (*provider.OAuthResult, error) {
	r.t.Helper()
	cb, _ := url.Parse(f.callback)
	return r.p.Exchange(r.t.Context(), provider.ExchangeParams{
		Code: cb.Query().Get("code"), CodeVerifier: f.verifier, Nonce: nonce, RedirectURI: redirectURI,
		Callback: httptest.NewRequest("GET", f.callback, nil),
	})
}

func (r *rp) signIn() *provider.OAuthResult {
	r.t.Helper()
	f, err := r.login("")
	if err != nil {
		r.t.Fatal(err)
	}
	res, err := r.exchange(f, f.nonce)
	if err != nil {
		r.t.Fatal(err)
	}
	return res
}

func TestTestIDPCodeFlow(t *testing.T) {
	for _, m := range []testidp.AuthMethod{testidp.AuthMethodBasic, testidp.AuthMethodPost, testidp.AuthMethodNone} {
		t.Run(string(m), func(t *testing.T) {
			t.Parallel()
			r := newRP(t, m, nil)
			if n := r.calls.n.Load(); n != 0 {
				t.Fatalf("New made %d requests", n)
			}
			res := r.signIn()
			u := res.User
			if u.ID != alice.ID || u.Email != alice.Email || u.Name != alice.Name || u.Image != alice.Picture {
				t.Errorf("user = %+v", u)
			}
			if res.Profile["email_verified"] != true || res.Profile["iss"] != r.idp.Issuer() {
				t.Errorf("profile = %v", res.Profile)
			}
			ts := res.Tokens
			if ts.AccessToken == "" || ts.RefreshToken == "" || ts.IDToken == "" || ts.Expiry.IsZero() || !strings.EqualFold(ts.TokenType, "bearer") {
				t.Errorf("tokens = %+v", ts)
			}
			if r.idp.TokenCalls() != 1 || r.idp.UserinfoCalls() != 0 {
				t.Errorf("token calls %d, userinfo calls %d", r.idp.TokenCalls(), r.idp.UserinfoCalls())
			}
			if tr := r.idp.Requests(testidp.PathToken)[0]; tr.Get("code_verifier") == "" {
				t.Errorf("token request without code_verifier: %v", tr)
			}
		})
	}
}

func TestTestIDPNonceMismatch(t *testing.T) {
	r := newRP(t, testidp.AuthMethodBasic, nil)
	f, err := r.login("")
	if err != nil {
		t.Fatal(err)
	}
	if res, err := r.exchange(f, "another-flows-nonce"); err == nil {
		t.Fatalf("accepted: %+v", res.User)
	} else if !strings.Contains(err.Error(), "nonce") {
		t.Errorf("err = %v", err)
	}
}

func TestTestIDPCodeReplay(t *testing.T) {
	r := newRP(t, testidp.AuthMethodBasic, nil)
	f, err := r.login("")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.exchange(f, f.nonce); err != nil {
		t.Fatal(err)
	}
	_, err = r.exchange(f, f.nonce)
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Errorf("replayed code: %v", err)
	}
}

func TestTestIDPWrongVerifier(t *testing.T) {
	r := newRP(t, testidp.AuthMethodBasic, nil)
	f, err := r.login("")
	if err != nil {
		t.Fatal(err)
	}
	f.verifier = random()
	if res, err := r.exchange(f, f.nonce); err == nil {
		t.Fatalf("accepted with another verifier: %+v", res.User)
	}
}

// TestTestIDPBrokenIDTokens serves ID tokens the op would never mint
// through an otherwise genuine exchange (T26).
func TestTestIDPBrokenIDTokens(t *testing.T) {
	for _, c := range []struct {
		name string
		mint func(idp *testidp.IDP, client, nonce string) string
		ok   bool
	}{
		{"genuine re-signed", func(idp *testidp.IDP, client, nonce string) string {
			return idp.SignIDToken(idp.IDTokenClaims(client, alice.ID, nonce), testidp.SignOptions{})
		}, true},
		{"wrong iss", func(idp *testidp.IDP, client, nonce string) string {
			return idp.SignIDToken(with(idp.IDTokenClaims(client, alice.ID, nonce), "iss", "https://evil.example"), testidp.SignOptions{})
		}, false},
		{"wrong aud", func(idp *testidp.IDP, client, nonce string) string {
			c := idp.IDTokenClaims(client, alice.ID, nonce)
			c["aud"], c["azp"] = "another-client", "another-client"
			return idp.SignIDToken(c, testidp.SignOptions{})
		}, false},
		{"expired", func(idp *testidp.IDP, client, nonce string) string {
			c := idp.IDTokenClaims(client, alice.ID, nonce)
			c["iat"], c["exp"] = time.Now().Add(-2*time.Hour).Unix(), time.Now().Add(-time.Hour).Unix()
			return idp.SignIDToken(c, testidp.SignOptions{})
		}, false},
		{"alg none", func(idp *testidp.IDP, client, nonce string) string {
			return idp.SignIDToken(idp.IDTokenClaims(client, alice.ID, nonce), testidp.SignOptions{Alg: testidp.AlgNone})
		}, false},
		{"HS256 with the public key", func(idp *testidp.IDP, client, nonce string) string {
			return idp.SignIDToken(idp.IDTokenClaims(client, alice.ID, nonce), testidp.SignOptions{Alg: testidp.AlgHS256})
		}, false},
		{"unknown kid", func(idp *testidp.IDP, client, nonce string) string {
			return idp.SignIDToken(idp.IDTokenClaims(client, alice.ID, nonce), testidp.SignOptions{KID: "no-such-key"})
		}, false},
		{"foreign key", func(idp *testidp.IDP, client, nonce string) string {
			return idp.SignIDToken(idp.IDTokenClaims(client, alice.ID, nonce), testidp.SignOptions{ForeignKey: true})
		}, false},
		{"foreign key under the real kid", func(idp *testidp.IDP, client, nonce string) string {
			return idp.SignIDToken(idp.IDTokenClaims(client, alice.ID, nonce), testidp.SignOptions{ForeignKey: true, KID: idp.KeyID()})
		}, false},
		{"foreign key in jwk header", func(idp *testidp.IDP, client, nonce string) string {
			return idp.SignIDToken(idp.IDTokenClaims(client, alice.ID, nonce), testidp.SignOptions{
				ForeignKey: true, OmitKID: true, Headers: map[string]any{"jwk": idp.ForeignJWK()},
			})
		}, false},
		{"no nonce", func(idp *testidp.IDP, client, nonce string) string {
			return idp.SignIDToken(idp.IDTokenClaims(client, alice.ID, ""), testidp.SignOptions{})
		}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := newRP(t, testidp.AuthMethodBasic, nil)
			f, err := r.login("")
			if err != nil {
				t.Fatal(err)
			}
			r.idp.NextIDToken(c.mint(r.idp, r.client.ID, f.nonce))
			res, err := r.exchange(f, f.nonce)
			if c.ok && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !c.ok && err == nil {
				t.Fatalf("accepted: %+v", res.User)
			}
		})
	}
}

// TestTestIDPOctKeyInJWKS: an IdP that publishes a symmetric key does not
// make HS256 tokens keyed with it acceptable.
func TestTestIDPOctKeyInJWKS(t *testing.T) {
	r := newRP(t, testidp.AuthMethodBasic, nil)
	secret := []byte("0123456789abcdef0123456789abcdef")
	r.idp.PublishKey("oct-1", "HS256", secret)
	f, err := r.login("")
	if err != nil {
		t.Fatal(err)
	}
	r.idp.NextIDToken(r.idp.SignIDToken(r.idp.IDTokenClaims(r.client.ID, alice.ID, f.nonce),
		testidp.SignOptions{Alg: testidp.AlgHS256, HMACKey: secret, KID: "oct-1"}))
	if res, err := r.exchange(f, f.nonce); err == nil {
		t.Fatalf("accepted: %+v", res.User)
	}
}

func TestTestIDPUserinfo(t *testing.T) {
	r := newRP(t, testidp.AuthMethodBasic, func(o *oidc.Options) { o.FetchUserinfo = true })
	res := r.signIn()
	if res.User.ID != alice.ID || r.idp.UserinfoCalls() != 1 {
		t.Errorf("user %+v, userinfo calls %d", res.User, r.idp.UserinfoCalls())
	}
	// T27(c): the userinfo sub differs from the ID token's.
	f, err := r.login("")
	if err != nil {
		t.Fatal(err)
	}
	r.idp.NextUserinfo(map[string]any{"sub": "999", "email": alice.Email, "email_verified": true})
	if res, err := r.exchange(f, f.nonce); err == nil {
		t.Fatalf("accepted: %+v", res.User)
	}
}

func TestTestIDPRefreshRotatesAndReuseFails(t *testing.T) {
	r := newRP(t, testidp.AuthMethodBasic, nil)
	first := r.signIn().Tokens
	next, err := r.p.Refresh(t.Context(), first.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if next.RefreshToken == "" || next.RefreshToken == first.RefreshToken || next.AccessToken == first.AccessToken {
		t.Errorf("no rotation: %+v", next)
	}
	if next.IDToken == "" {
		t.Log("the op sent no new ID token on refresh")
	}
	if !r.idp.RefreshTokenActive(next.RefreshToken) || r.idp.RefreshTokenActive(first.RefreshToken) {
		t.Error("the IdP's view of the refresh tokens is not rotated")
	}
	_, err = r.p.Refresh(t.Context(), first.RefreshToken)
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Fatalf("reuse: %v, want a RetrieveError invalid_grant", err)
	}
	if !strings.HasPrefix(err.Error(), "oidc: refresh: ") {
		t.Errorf("err = %q", err)
	}
}

func TestTestIDPEndSessionAndRevoke(t *testing.T) {
	r := newRP(t, testidp.AuthMethodBasic, func(o *oidc.Options) { o.SignOutAtProvider = true })
	ts := r.signIn().Tokens
	got, err := r.p.EndSessionURL(t.Context(), ts.IDToken, "http://localhost:3000/signed-out")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(got)
	q := u.Query()
	if u.Scheme+"://"+u.Host+u.Path != r.idp.Issuer()+testidp.PathEndSession ||
		q.Get("id_token_hint") != ts.IDToken || q.Get("post_logout_redirect_uri") != "http://localhost:3000/signed-out" || q.Get("client_id") != r.client.ID {
		t.Errorf("EndSessionURL = %s", got)
	}
	// The op accepts it and sends the browser back.
	res, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Get(got)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if loc := res.Header.Get("Location"); !strings.HasPrefix(loc, "http://localhost:3000/signed-out") {
		t.Errorf("end_session answered %s, Location %q", res.Status, loc)
	}

	ts = r.signIn().Tokens
	if !r.idp.RefreshTokenActive(ts.RefreshToken) {
		t.Fatal("refresh token not active before revocation")
	}
	if err := r.p.Revoke(t.Context(), ts.RefreshToken, "refresh_token"); err != nil {
		t.Fatal(err)
	}
	if r.idp.RevokeCalls() != 1 || r.idp.RefreshTokenActive(ts.RefreshToken) {
		t.Errorf("revoke calls %d, still active %v", r.idp.RevokeCalls(), r.idp.RefreshTokenActive(ts.RefreshToken))
	}
	if _, err := r.p.Refresh(t.Context(), ts.RefreshToken); err == nil {
		t.Error("a revoked refresh token still refreshes")
	}
}
