// Package oidc is the generic OpenID Connect provider, Auth.js's provider
// of type "oidc": any standards-compliant identity provider, found by its
// issuer URL.
//
// The provider reads the issuer's discovery document
// (<issuer>/.well-known/openid-configuration) at its first use, not in
// [New] (unless Options.EagerDiscovery), keeps it, and tries again at the
// next sign-in if it failed. It signs users in with the authorization code
// flow, PKCE (S256) and a nonce, and takes who signed in from the ID token
// after verifying it with github.com/coreos/go-oidc/v3.
//
// # ID token checks
//
// An ID token is accepted only if all of these hold:
//   - it is a compact JWS signed with one of the allowed algorithms: those
//     the provider advertises (RS256 when it advertises none) that are
//     also in Options.SigningAlgorithms (by default the asymmetric ones:
//     RS256/384/512, PS256/384/512, ES256/384/512, EdDSA); never "none" or
//     an HMAC algorithm;
//   - by a key from the issuer's jwks_uri (at most 100 keys, RSA up to 4096
//     bits, public signing keys only; an unknown kid makes the set be
//     fetched again at most once a minute); keys named in the token's own
//     headers (jku, x5u, jwk) are never used;
//   - iss equals the issuer, aud contains the client id, and when aud has
//     several values azp equals the client id (azp, when present, always
//     must);
//   - exp is in the future and iat not in the future, give or take
//     Options.ClockSkew;
//   - at sign-in, nonce equals the one authgo sent (compared in constant
//     time); at_hash, when present, matches the access token; sub is not
//     empty.
//
// The callback's iss parameter (RFC 9207), when present, must equal the
// issuer; when the discovery document says
// authorization_response_iss_parameter_supported it must be present.
//
// Userinfo is fetched only with Options.FetchUserinfo, and then its sub
// must equal the ID token's: the identity always comes from the ID token.
//
// # Outbound calls
//
// Discovery, token, JWKS, userinfo and revocation requests go through a
// copy of Options.HTTPClient that follows no redirects, gives up after
// Options.Timeout (10 seconds by default) and refuses a body over 1 MiB.
//
// # Errors
//
// Errors start with "oidc: ". An error response of the token endpoint
// stays in the chain as *oauth2.RetrieveError (see [Provider.Refresh]).
package oidc

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"
	"golang.org/x/sync/singleflight"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/provider"
	"github.com/authgo/authgo/providers/internal/oauthcore"
	"github.com/authgo/authgo/providers/oauth"
)

// signingAlgorithms is the allowlist behind DefaultSigningAlgorithms; a
// package variable nobody outside can change.
var signingAlgorithms = []string{
	"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
}

// DefaultSigningAlgorithms returns the ID token signature algorithms
// allowed unless Options.SigningAlgorithms says otherwise (a copy: the
// allowlist itself cannot be changed from outside), and the only ones
// Options.SigningAlgorithms may name.
func DefaultSigningAlgorithms() []string { return slices.Clone(signingAlgorithms) }

// DefaultClockSkew is how far exp and iat may be off by default.
const DefaultClockSkew = 30 * time.Second

// ProfileFunc maps the profile (the ID token's claims, and with
// FetchUserinfo the userinfo response over them; numbers as json.Number)
// to the user who signed in. User.ID must be the provider's stable id for
// them; the default uses the ID token's sub.
type ProfileFunc func(ctx context.Context, claims map[string]any, tokens provider.TokenSet) (*authgo.User, error)

// Options configure an OpenID Connect provider. Only Issuer, ClientID and
// ClientSecret are required.
type Options struct {
	// ID is the provider id, the last segment of <base>/signin/<id>.
	// Default "oidc".
	ID string
	// Name is shown on the sign-in page. Default "OpenID Connect".
	Name string

	// Issuer is the provider's issuer identifier, e.g.
	// "https://accounts.google.com": https (http only on loopback hosts).
	// The discovery document must name exactly this issuer, and so must
	// every ID token. Required.
	Issuer string
	// ClientID and ClientSecret are the client's credentials. ClientID is
	// required; ClientSecret too unless AuthStyle is oauth.AuthStyleNone.
	ClientID     string
	ClientSecret string
	// AuthStyle is the client authentication method at the token and
	// revocation endpoints. Default: client_secret_basic, as in Auth.js.
	AuthStyle oauth.AuthStyle

	// Scopes are sent as the scope parameter. Default: openid, profile,
	// email. "openid" is added when missing.
	Scopes []string
	// AuthParams are added to the authorization request, e.g.
	// access_type=offline and prompt=consent for a Google refresh token.
	// The parameters authgo sets (state, code_challenge,
	// code_challenge_method, nonce, redirect_uri, client_id, response_type,
	// response_mode, request, request_uri) cannot be given here.
	AuthParams url.Values

	// Profile maps the claims to the user. Default: id from sub, name from
	// name, nickname or preferred_username, email, image from picture.
	Profile ProfileFunc
	// FetchUserinfo makes Exchange fetch the userinfo endpoint too and lay
	// its claims over the ID token's in the profile. Its sub must equal the
	// ID token's, or the sign-in fails.
	FetchUserinfo bool

	// SignOutAtProvider makes authgo sign the user out at the provider too
	// (RP-initiated logout through the end_session_endpoint) when they
	// sign out; authgo then keeps the ID token in the session token.
	SignOutAtProvider bool

	// AllowDangerousEmailAccountLinking lets an adapter link this
	// provider's account to an existing user with the same email address
	// without asking, as Auth.js's option of that name does. Turn it on
	// only for a provider that verifies addresses and never reassigns
	// them. The provider only stores it; see
	// [Provider.AllowDangerousEmailAccountLinking].
	AllowDangerousEmailAccountLinking bool

	// SigningAlgorithms narrows the ID token algorithms allowed; only
	// asymmetric JWS algorithms may be named. Default:
	// DefaultSigningAlgorithms().
	SigningAlgorithms []string
	// ClockSkew is how far exp and iat may be off. Default 30 seconds.
	ClockSkew time.Duration

	// EagerDiscovery makes New fetch the discovery document and fail if it
	// cannot; by default nothing is fetched before the first sign-in.
	EagerDiscovery bool

	// HTTPClient is copied for the calls to the provider (its Transport,
	// Jar and Timeout), with the limits of the package doc. Default:
	// http.DefaultTransport.
	HTTPClient *http.Client
	// Timeout bounds each outbound request. Default: HTTPClient.Timeout if
	// set, otherwise 10 seconds.
	Timeout time.Duration
	// Now is the clock for token checks, token expiry and the JWKS refetch
	// interval. Default: time.Now.
	Now func() time.Time
}

// Provider is an OpenID Connect provider. It implements
// [provider.OAuthProvider], [provider.Refresher],
// [provider.RevokingProvider] and [provider.EndSessionProvider]. It is safe for
// concurrent use; its options never change after New.
type Provider struct {
	o      Options
	params url.Values
	style  oauth.AuthStyle
	http   *http.Client
	algs   []string

	mu        sync.Mutex
	md        *metadata
	discovery singleflight.Group // one fetch at a time
}

// metadata is what discovery found, and what was built from it.
type metadata struct {
	issuer        string
	authURL       string
	userinfoURL   string
	endSessionURL string
	revocationURL string
	issParam      bool
	client        *oauthcore.Client
	verifier      *gooidc.IDTokenVerifier
}

// New returns an OpenID Connect provider. It checks the options and makes
// no request unless o.EagerDiscovery is set.
func New(o Options) (*Provider, error) {
	if o.ID == "" {
		o.ID = "oidc"
	}
	if !oauthcore.ValidID(o.ID) {
		return nil, fmt.Errorf("oidc: provider id %q: want lowercase letters, digits, '-' and '_' (at most 64)", o.ID)
	}
	if o.Name == "" {
		o.Name = "OpenID Connect"
	}
	if o.Issuer == "" {
		return nil, fmt.Errorf("oidc: %s: Options.Issuer is required", o.ID)
	}
	if err := oauthcore.ValidEndpoint(o.Issuer); err != nil {
		return nil, fmt.Errorf("oidc: %s: Options.Issuer: %w", o.ID, err)
	}
	if u, _ := url.Parse(o.Issuer); u.RawQuery != "" {
		return nil, fmt.Errorf("oidc: %s: Options.Issuer: %q has a query", o.ID, o.Issuer)
	}
	if o.ClientID == "" {
		return nil, fmt.Errorf("oidc: %s: Options.ClientID is required", o.ID)
	}
	switch o.AuthStyle {
	case oauth.AuthStyleBasic, oauth.AuthStylePost:
		if o.ClientSecret == "" {
			return nil, fmt.Errorf("oidc: %s: Options.ClientSecret is required with %s", o.ID, o.AuthStyle)
		}
	case oauth.AuthStyleNone:
		if o.ClientSecret != "" {
			return nil, fmt.Errorf("oidc: %s: AuthStyleNone sends no client secret, but Options.ClientSecret is set", o.ID)
		}
	default:
		return nil, fmt.Errorf("oidc: %s: unknown AuthStyle %d", o.ID, int(o.AuthStyle))
	}
	for k := range o.AuthParams {
		if oauthcore.Reserved[k] {
			return nil, fmt.Errorf("oidc: %s: Options.AuthParams may not set %q; authgo sets it", o.ID, k)
		}
	}
	algs := o.SigningAlgorithms
	if len(algs) == 0 {
		algs = slices.Clone(signingAlgorithms)
	}
	for _, a := range algs {
		if !slices.Contains(signingAlgorithms, a) {
			return nil, fmt.Errorf("oidc: %s: signing algorithm %q is not allowed (want one of %s)", o.ID, a, strings.Join(signingAlgorithms, ", "))
		}
	}
	if o.ClockSkew <= 0 {
		o.ClockSkew = DefaultClockSkew
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	scopes := o.Scopes
	if len(scopes) == 0 {
		scopes = []string{"openid", "profile", "email"}
	}
	params := url.Values{"scope": {strings.Join(scopes, " ")}}
	for k, vs := range o.AuthParams {
		params[k] = append([]string(nil), vs...)
	}
	o.AuthParams, o.Scopes, o.SigningAlgorithms = nil, append([]string(nil), scopes...), nil
	p := &Provider{
		o:      o,
		params: params,
		style:  o.AuthStyle,
		http:   oauthcore.NewClient(o.HTTPClient, o.Timeout),
		algs:   slices.Clone(algs),
	}
	if o.EagerDiscovery {
		if _, err := p.metadata(context.Background()); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// ID implements provider.Provider.
func (p *Provider) ID() string { return p.o.ID }

// Name implements provider.Provider.
func (p *Provider) Name() string { return p.o.Name }

// Type implements provider.Provider: provider.TypeOIDC.
func (p *Provider) Type() provider.Type { return provider.TypeOIDC }

// UsesNonce implements provider.OAuthProvider: true.
func (p *Provider) UsesNonce() bool { return true }

// Issuer returns the issuer identifier.
func (p *Provider) Issuer() string { return p.o.Issuer }

// SignOutAtProvider implements provider.EndSessionProvider.
func (p *Provider) SignOutAtProvider() bool { return p.o.SignOutAtProvider }

// AllowDangerousEmailAccountLinking reports the option of that name.
func (p *Provider) AllowDangerousEmailAccountLinking() bool {
	return p.o.AllowDangerousEmailAccountLinking
}

// HTTPClient returns the client the provider makes its requests with: a
// copy of Options.HTTPClient with the limits described in the package doc.
func (p *Provider) HTTPClient() *http.Client { return p.http }

// Discover fetches the discovery document now, if it has not been, and
// reports whether the provider is usable. Sign-ins call it as needed; a
// program may call it at startup to fail early.
func (p *Provider) Discover(ctx context.Context) error {
	_, err := p.metadata(ctx)
	return err
}

// metadata returns the discovery result, fetching it once; a failure is
// not kept, so the next call tries again. Concurrent calls share a fetch.
func (p *Provider) metadata(ctx context.Context) (*metadata, error) {
	if md := p.known(); md != nil {
		return md, nil
	}
	// Detached, so that one caller going away does not fail the others.
	detached := context.WithoutCancel(ctx)
	ch := p.discovery.DoChan("", func() (any, error) {
		if md := p.known(); md != nil {
			return md, nil // a fetch finished since known was called
		}
		md, err := p.discover(detached)
		if err == nil {
			p.mu.Lock()
			p.md = md
			p.mu.Unlock()
		}
		return md, err
	})
	select {
	case r := <-ch:
		md, _ := r.Val.(*metadata)
		return md, r.Err
	case <-ctx.Done():
		return nil, fmt.Errorf("oidc: discovery: %w", ctx.Err())
	}
}

// known returns the discovery result, or nil before one succeeded.
func (p *Provider) known() *metadata {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.md
}

func (p *Provider) discover(ctx context.Context) (*metadata, error) {
	fail := func(err error) (*metadata, error) {
		return nil, fmt.Errorf("oidc: discovery of %s: %w", p.o.Issuer, err)
	}
	gp, err := gooidc.NewProvider(gooidc.ClientContext(ctx, p.http), p.o.Issuer)
	if err != nil {
		return fail(err)
	}
	var doc struct {
		JWKSURL       string   `json:"jwks_uri"`
		EndSession    string   `json:"end_session_endpoint"`
		Revocation    string   `json:"revocation_endpoint"`
		IssParam      bool     `json:"authorization_response_iss_parameter_supported"`
		Algorithms    []string `json:"id_token_signing_alg_values_supported"`
		ResponseTypes []string `json:"response_types_supported"`
	}
	if err := gp.Claims(&doc); err != nil {
		return fail(err)
	}
	ep := gp.Endpoint()
	for _, e := range []struct {
		name, url string
		required  bool
	}{
		{"authorization_endpoint", ep.AuthURL, true},
		{"token_endpoint", ep.TokenURL, true},
		{"jwks_uri", doc.JWKSURL, true},
		{"userinfo_endpoint", gp.UserInfoEndpoint(), p.o.FetchUserinfo},
		{"end_session_endpoint", doc.EndSession, false},
		{"revocation_endpoint", doc.Revocation, false},
	} {
		if e.url == "" {
			if e.required {
				return fail(fmt.Errorf("no %s", e.name))
			}
			continue
		}
		if err := oauthcore.ValidEndpoint(e.url); err != nil {
			return fail(fmt.Errorf("%s: %w", e.name, err))
		}
	}
	if len(doc.ResponseTypes) > 0 && !slices.Contains(doc.ResponseTypes, "code") {
		return fail(errors.New(`the provider does not support response_type "code"`))
	}
	advertised := doc.Algorithms
	if len(advertised) == 0 {
		advertised = []string{"RS256"} // OpenID Connect Discovery's default
	}
	var algs []string
	for _, a := range advertised {
		if slices.Contains(p.algs, a) && !slices.Contains(algs, a) {
			algs = append(algs, a)
		}
	}
	if len(algs) == 0 {
		return fail(fmt.Errorf("no allowed ID token signing algorithm among %q", advertised))
	}
	joseAlgs := make([]jose.SignatureAlgorithm, len(algs))
	for i, a := range algs {
		joseAlgs[i] = jose.SignatureAlgorithm(a)
	}
	style := oauth2AuthStyle(p.style)
	keys := keySet{&oauthcore.KeySet{URL: doc.JWKSURL, HTTP: p.http, Now: p.o.Now, RefetchInterval: refetchInterval}, joseAlgs}
	skew := p.o.ClockSkew
	now := p.o.Now
	return &metadata{
		issuer:        p.o.Issuer,
		authURL:       ep.AuthURL,
		userinfoURL:   gp.UserInfoEndpoint(),
		endSessionURL: doc.EndSession,
		revocationURL: doc.Revocation,
		issParam:      doc.IssParam,
		client: &oauthcore.Client{
			ClientID: p.o.ClientID, ClientSecret: p.o.ClientSecret, TokenURL: ep.TokenURL,
			Style: style, HTTP: p.http, Now: now,
		},
		verifier: gooidc.NewVerifier(p.o.Issuer, keys, &gooidc.Config{
			ClientID:             p.o.ClientID,
			SupportedSigningAlgs: algs,
			// exp is checked against now-skew: a token that expired less
			// than skew ago still passes.
			Now: func() time.Time { return now().Add(-skew) },
		}),
	}, nil
}

// AuthCodeURL implements provider.OAuthProvider. It may fetch the discovery
// document. The URL carries, in this order, the configured parameters
// (scope, AuthParams), response_type=code, client_id and redirect_uri, the
// sign-in request's parameters (c.Extra; they replace configured ones of
// the same name, never the ones authgo sets), then state, code_challenge,
// code_challenge_method=S256 and nonce. The scope always includes
// "openid".
func (p *Provider) AuthCodeURL(ctx context.Context, c provider.AuthCodeParams) (string, error) {
	if c.Nonce == "" {
		return "", errors.New("oidc: a nonce is required")
	}
	md, err := p.metadata(ctx)
	if err != nil {
		return "", err
	}
	u, err := oauthcore.AuthURL(oauthcore.AuthRequest{
		Endpoint: md.authURL, Params: p.params, ClientID: p.o.ClientID, P: c, RequireOpenID: true,
	})
	if err != nil {
		return "", fmt.Errorf("oidc: %w", err)
	}
	return u, nil
}

// Exchange implements provider.OAuthProvider: it checks the callback's iss
// parameter (RFC 9207), redeems the code with the PKCE verifier, verifies
// the ID token and its nonce (see the package doc), optionally fetches
// userinfo, and maps the claims to the user.
func (p *Provider) Exchange(ctx context.Context, e provider.ExchangeParams) (*provider.OAuthResult, error) {
	md, err := p.metadata(ctx)
	if err != nil {
		return nil, err
	}
	if err := oauthcore.CheckIssuerParam(e.Params, e.Callback, md.issuer, md.issParam); err != nil {
		return nil, fmt.Errorf("oidc: %w", err)
	}
	if e.Nonce == "" {
		return nil, errors.New("oidc: no nonce to check the ID token against")
	}
	_, ts, err := md.client.Exchange(ctx, e.Code, e.CodeVerifier, e.RedirectURI)
	if err != nil {
		return nil, fmt.Errorf("oidc: token request: %w", err)
	}
	if ts.IDToken == "" {
		return nil, errors.New("oidc: the token response has no id_token")
	}
	claims, sub, err := p.verify(ctx, md, ts.IDToken, e.Nonce, ts.AccessToken)
	if err != nil {
		return nil, fmt.Errorf("oidc: id token: %w", err)
	}
	if p.o.FetchUserinfo {
		ui, err := oauthcore.GetJSON(ctx, p.http, md.userinfoURL, ts.AccessToken, nil)
		if err != nil {
			return nil, fmt.Errorf("oidc: userinfo: %w", err)
		}
		if got := oauthcore.String(ui, "sub"); got != sub {
			return nil, fmt.Errorf("oidc: userinfo sub %q is not the ID token's %q", got, sub)
		}
		for k, v := range ui {
			claims[k] = v
		}
	}
	var u *authgo.User
	if p.o.Profile != nil {
		u, err = p.o.Profile(ctx, claims, ts)
	} else {
		u, err = oauthcore.DefaultUser(claims)
		if u != nil {
			u.ID = sub
		}
	}
	if err != nil {
		return nil, fmt.Errorf("oidc: profile: %w", err)
	}
	if u == nil || u.ID == "" {
		return nil, errors.New("oidc: profile: no user id")
	}
	return &provider.OAuthResult{User: u, Tokens: ts, Profile: claims}, nil
}

// claimsMap decodes claims with numbers as json.Number.
type claimsMap map[string]any

func (m *claimsMap) UnmarshalJSON(b []byte) error {
	var v map[string]any
	if err := oauthcore.DecodeJSON(b, &v); err != nil {
		return err
	}
	*m = v
	return nil
}

// verify checks an ID token (see the package doc) and returns its claims
// and sub. With nonce "" (a refresh) the nonce is not checked; with
// accessToken "" neither is at_hash.
func (p *Provider) verify(ctx context.Context, md *metadata, raw, nonce, accessToken string) (map[string]any, string, error) {
	idt, err := md.verifier.Verify(ctx, raw)
	if err != nil {
		return nil, "", err
	}
	var claims claimsMap
	if err := idt.Claims(&claims); err != nil {
		return nil, "", err
	}
	if idt.Subject == "" {
		return nil, "", errors.New("no sub")
	}
	if len(idt.Audience) > 1 || claims["azp"] != nil {
		azp, _ := claims["azp"].(string)
		if azp != p.o.ClientID {
			return nil, "", fmt.Errorf("azp %q is not the client id (aud %q)", azp, idt.Audience)
		}
	}
	if idt.IssuedAt.IsZero() {
		return nil, "", errors.New("no iat")
	}
	if now := p.o.Now(); idt.IssuedAt.After(now.Add(p.o.ClockSkew)) {
		return nil, "", fmt.Errorf("issued in the future (iat %s, now %s)", idt.IssuedAt.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	if nonce != "" && subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(nonce)) != 1 {
		return nil, "", errors.New("nonce mismatch")
	}
	if accessToken != "" && idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(accessToken); err != nil {
			return nil, "", err
		}
	}
	return claims, idt.Subject, nil
}

// Refresh implements provider.Refresher: a refresh_token grant at
// the token endpoint. A new ID token in the response is verified (without
// a nonce) and returned; otherwise TokenSet.IDToken is empty. The TokenSet
// carries the rotated refresh token, or the one given. A dead refresh
// token comes back as an error wrapping *oauth2.RetrieveError with
// ErrorCode "invalid_grant".
func (p *Provider) Refresh(ctx context.Context, refreshToken string) (*provider.TokenSet, error) {
	return p.RefreshFor(ctx, refreshToken, "")
}

// RefreshFor is Refresh for the user subject (the session's sub): a new ID
// token in the answer must name the same user (OpenID Connect Core §12.2),
// or the refresh fails for good. authgo calls it when it knows the sub.
func (p *Provider) RefreshFor(ctx context.Context, refreshToken, subject string) (*provider.TokenSet, error) {
	md, err := p.metadata(ctx)
	if err != nil {
		return nil, &provider.RefreshError{Code: "discovery", Err: err}
	}
	_, ts, err := md.client.Refresh(ctx, refreshToken)
	if err != nil {
		return nil, fmt.Errorf("oidc: refresh: %w", err)
	}
	if ts.IDToken != "" {
		claims, _, err := p.verify(ctx, md, ts.IDToken, "", ts.AccessToken)
		if err != nil {
			return nil, &provider.RefreshError{Code: "invalid_id_token", Terminal: true, Err: fmt.Errorf("oidc: refresh: id token: %w", err)}
		}
		if sub, _ := claims["sub"].(string); subject != "" && sub != subject {
			return nil, &provider.RefreshError{Code: "subject_changed", Terminal: true, Err: errors.New("oidc: refresh: the new ID token names another user")}
		}
	}
	return &ts, nil
}

// Revoke implements provider.RevokingProvider: an RFC 7009 request to the
// discovered revocation_endpoint, with the client's authentication. When
// the provider has none it returns an error wrapping errors.ErrUnsupported
// and makes no request.
func (p *Provider) Revoke(ctx context.Context, token, tokenTypeHint string) error {
	md, err := p.metadata(ctx)
	if err != nil {
		return err
	}
	if md.revocationURL == "" {
		return fmt.Errorf("oidc: no revocation_endpoint: %w", errors.ErrUnsupported)
	}
	if err := md.client.Revoke(ctx, md.revocationURL, token, tokenTypeHint); err != nil {
		return fmt.Errorf("oidc: revoke: %w", err)
	}
	return nil
}

// EndSessionURL implements provider.EndSessionProvider: the discovered
// end_session_endpoint with id_token_hint, post_logout_redirect_uri (when
// given) and client_id; "" when the provider has no end_session_endpoint.
// The post-logout URL must be registered at the provider.
func (p *Provider) EndSessionURL(ctx context.Context, idToken, postLogoutRedirect string) (string, error) {
	md, err := p.metadata(ctx)
	if err != nil {
		return "", err
	}
	if md.endSessionURL == "" {
		return "", nil
	}
	u, err := url.Parse(md.endSessionURL)
	if err != nil {
		return "", fmt.Errorf("oidc: end_session_endpoint: %w", err)
	}
	q := u.Query()
	if idToken != "" {
		q.Set("id_token_hint", idToken)
	}
	if postLogoutRedirect != "" {
		q.Set("post_logout_redirect_uri", postLogoutRedirect)
	}
	q.Set("client_id", p.o.ClientID)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

var (
	_ provider.OAuthProvider      = (*Provider)(nil)
	_ provider.Refresher          = (*Provider)(nil)
	_ provider.RevokingProvider   = (*Provider)(nil)
	_ provider.EndSessionProvider = (*Provider)(nil)
)

func oauth2AuthStyle(s oauth.AuthStyle) oauth2.AuthStyle {
	if s == oauth.AuthStyleBasic {
		return oauth2.AuthStyleInHeader
	}
	return oauth2.AuthStyleInParams
}
