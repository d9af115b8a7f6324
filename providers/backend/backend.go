package backend

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/provider"
	"github.com/authgo/authgo/providers/internal/oauthcore"
)

// AccessTokenCredential is the credentials field a client posts an access
// token in, to sign in with it instead of a username and password.
const AccessTokenCredential = "accessToken"

// DefaultLeeway is the clock skew allowed when checking exp, nbf and iat.
const DefaultLeeway = 30 * time.Second

// maxTokenSize is the longest access token that is parsed or sent to a
// verifier.
const maxTokenSize = 8 << 10

// Options configure a back-end provider. Only LoginURL is required.
type Options struct {
	// ID is the provider id, the last segment of <base>/callback/<id>.
	// Default "credentials", the built-in sign-in form's.
	ID string
	// Name is shown on the sign-in page. Default "Credentials".
	Name string

	// LoginURL receives POST {UsernameField: …, PasswordField: …} as JSON
	// and answers with the tokens. Required; https, or http on a loopback
	// host.
	LoginURL string
	// RefreshURL receives POST {RefreshRequestField: …} as JSON and answers
	// like LoginURL. Without it the provider keeps no refresh token and
	// sessions last as long as their access token.
	RefreshURL string
	// UserinfoURL, when set, is asked (GET, the access token as Bearer) who
	// signed in; its JSON answer's sub, name, email and picture win over
	// the token's claims. A sub different from a token's is an error.
	UserinfoURL string

	// JWKSURL is the back end's JSON Web Key Set. When set, every access
	// token is verified with it: posted ones, and those login and refresh
	// answer with. Requires Issuer.
	JWKSURL string
	// Issuer is the iss the access tokens must carry, exactly. Also checked
	// against an introspection answer's iss when it has one.
	Issuer string
	// Audience, when set, must be in the tokens' aud (and an introspection
	// answer's, when it has one). When empty, aud is not checked: any
	// token the issuer signs, for whichever API, is accepted. Set it when
	// the issuer serves more than this back end.
	Audience string
	// Algorithms allowed for the JWS signature. Default RS256, RS384,
	// RS512, PS256, PS384, PS512, ES256, ES384, ES512 and EdDSA; only
	// those (asymmetric ones) may be listed.
	Algorithms []string
	// TokenType, when set, is the typ the JWS header must carry, e.g.
	// "at+jwt" for an RFC 9068 issuer (which stops its ID tokens passing as
	// access tokens). Compared without case, "application/" optional.
	TokenType string
	// Leeway is the clock skew allowed for exp, nbf and iat. Default 30 s.
	Leeway time.Duration

	// IntrospectionURL is an RFC 7662 endpoint that verifies posted access
	// tokens when JWKSURL is not set. Requires ClientID and ClientSecret.
	IntrospectionURL string
	// ClientID and ClientSecret authenticate authgo at IntrospectionURL
	// (HTTP Basic).
	ClientID     string
	ClientSecret string

	// Request field names. Defaults "username", "password", and
	// RefreshTokenField.
	UsernameField       string
	PasswordField       string
	RefreshRequestField string
	// Response field names. Defaults "accessToken", "refreshToken",
	// "expiresIn" (seconds, a JSON number or a numeric string).
	AccessTokenField  string
	RefreshTokenField string
	ExpiresInField    string

	// Profile maps the claims (the token's, merged with userinfo's) to the
	// user. Default: id from sub, name from name or preferred_username,
	// email, image from picture. An empty ID is filled with the sub.
	Profile func(claims map[string]any) (*authgo.User, error)

	// HTTPClient makes the outbound requests; its Transport is used, its
	// redirects are never followed and bodies are capped at 1 MiB. Nil
	// means http.DefaultTransport.
	HTTPClient *http.Client
	// Timeout bounds each outbound request. Default: HTTPClient's Timeout,
	// or 10 s.
	Timeout time.Duration
	// Now is the clock for exp, nbf, iat and expiresIn; nil means time.Now.
	Now func() time.Time
}

// Provider is a back-end credentials provider. It is immutable (but for
// its cache of the JWKS) and safe for concurrent use.
type Provider struct {
	o    Options
	hc   *http.Client
	keys *oauthcore.KeySet // nil without JWKSURL
	algs []jose.SignatureAlgorithm
}

var asymmetric = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512, jose.EdDSA,
}

// New returns a back-end provider. It checks the options and makes no
// request: the JWKS is fetched at the first token that needs it.
func New(o Options) (*Provider, error) {
	if o.ID == "" {
		o.ID = "credentials"
	}
	if o.Name == "" {
		o.Name = "Credentials"
	}
	if !oauthcore.ValidID(o.ID) {
		return nil, fmt.Errorf("backend: invalid provider id %q", o.ID)
	}
	if o.LoginURL == "" {
		return nil, errors.New("backend: Options.LoginURL is required")
	}
	for _, u := range []struct{ name, v string }{
		{"LoginURL", o.LoginURL}, {"RefreshURL", o.RefreshURL}, {"UserinfoURL", o.UserinfoURL},
		{"JWKSURL", o.JWKSURL}, {"IntrospectionURL", o.IntrospectionURL},
	} {
		if u.v == "" {
			continue
		}
		if err := oauthcore.ValidEndpoint(u.v); err != nil {
			return nil, fmt.Errorf("backend: Options.%s: %w", u.name, err)
		}
	}
	switch {
	case o.JWKSURL != "" && o.Issuer == "":
		return nil, errors.New("backend: Options.JWKSURL needs Options.Issuer")
	case o.IntrospectionURL != "" && (o.ClientID == "" || o.ClientSecret == ""):
		return nil, errors.New("backend: Options.IntrospectionURL needs Options.ClientID and Options.ClientSecret")
	case o.IntrospectionURL == "" && (o.ClientID != "" || o.ClientSecret != ""):
		return nil, errors.New("backend: Options.ClientID and ClientSecret are only used with Options.IntrospectionURL")
	case o.JWKSURL == "" && o.IntrospectionURL == "" && (o.Issuer != "" || o.Audience != ""):
		return nil, errors.New("backend: Options.Issuer and Audience need Options.JWKSURL or Options.IntrospectionURL")
	case o.JWKSURL == "" && (o.TokenType != "" || len(o.Algorithms) > 0):
		return nil, errors.New("backend: Options.TokenType and Algorithms need Options.JWKSURL")
	case o.Leeway < 0 || o.Timeout < 0:
		return nil, errors.New("backend: Options.Leeway and Timeout may not be negative")
	}
	if o.Leeway == 0 {
		o.Leeway = DefaultLeeway
	}
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&o.UsernameField, "username")
	def(&o.PasswordField, "password")
	def(&o.AccessTokenField, "accessToken")
	def(&o.RefreshTokenField, "refreshToken")
	def(&o.ExpiresInField, "expiresIn")
	def(&o.RefreshRequestField, o.RefreshTokenField)
	if o.UsernameField == o.PasswordField {
		return nil, errors.New("backend: Options.UsernameField and PasswordField are the same")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	p := &Provider{o: o, hc: oauthcore.NewClient(o.HTTPClient, o.Timeout)}
	if o.JWKSURL != "" {
		if len(o.Algorithms) == 0 {
			p.algs = asymmetric
		}
		for _, a := range o.Algorithms {
			alg := jose.SignatureAlgorithm(a)
			found := false
			for _, ok := range asymmetric {
				found = found || ok == alg
			}
			if !found {
				return nil, fmt.Errorf("backend: algorithm %q is not allowed (only asymmetric ones: RS*, PS*, ES*, EdDSA)", a)
			}
			p.algs = append(p.algs, alg)
		}
		// Tokens naming unknown kids make at most one fetch per 30 s
		// (tokens-bff.md §7.1).
		p.keys = &oauthcore.KeySet{URL: o.JWKSURL, HTTP: p.hc, Now: o.Now, RefetchInterval: 30 * time.Second}
	}
	p.o.Algorithms = nil
	return p, nil
}

// ID implements provider.Provider.
func (p *Provider) ID() string { return p.o.ID }

// Name implements provider.Provider.
func (p *Provider) Name() string { return p.o.Name }

// Type implements provider.Provider.
func (p *Provider) Type() provider.Type { return provider.TypeCredentials }

// Fields implements provider.CredentialsProvider: a username and a password.
// (A client posting an access token sends the field "accessToken", which
// the built-in form does not show.)
func (p *Provider) Fields() []provider.Field {
	return []provider.Field{
		{Name: "username", Label: "Username", Type: "text", Autocomplete: "username"},
		{Name: "password", Label: "Password", Type: "password", Autocomplete: "current-password"},
	}
}

// Authorize implements provider.CredentialsProvider; it is
// AuthorizeWithTokens without the tokens.
func (p *Provider) Authorize(ctx context.Context, c provider.Credentials, r *http.Request) (*authgo.User, error) {
	u, _, err := p.AuthorizeWithTokens(ctx, c, r)
	return u, err
}

// AuthorizeWithTokens implements provider.TokenCredentialsProvider. With a
// username and password it logs in at LoginURL; with an "accessToken"
// field it verifies that token (see the package doc). Wrong credentials
// and refused tokens return no user; a back end or verifier that cannot
// be reached returns an error.
func (p *Provider) AuthorizeWithTokens(ctx context.Context, c provider.Credentials, r *http.Request) (*authgo.User, *provider.TokenSet, error) {
	if at := c[AccessTokenCredential]; at != "" {
		if c["username"] != "" || c["password"] != "" {
			return refuse(errors.New("an access token posted with a username or password"))
		}
		return p.tokenSignIn(ctx, at)
	}
	return p.login(ctx, c["username"], c["password"])
}

// refuse fails a sign-in with CredentialsSignin, logging why.
func refuse(why error) (*authgo.User, *provider.TokenSet, error) {
	return nil, nil, &provider.CredentialsError{Code: "credentials", Err: fmt.Errorf("backend: access token refused: %w", why)}
}

func (p *Provider) login(ctx context.Context, username, password string) (*authgo.User, *provider.TokenSet, error) {
	if username == "" || password == "" {
		return nil, nil, nil
	}
	t0 := p.o.Now()
	status, body, err := p.postJSON(ctx, p.o.LoginURL, map[string]string{p.o.UsernameField: username, p.o.PasswordField: password})
	if err != nil {
		return nil, nil, fmt.Errorf("backend: login: %w", err)
	}
	switch {
	case status == http.StatusBadRequest || status == http.StatusUnauthorized || status == http.StatusForbidden:
		return nil, nil, nil
	case status/100 != 2:
		return nil, nil, fmt.Errorf("backend: login: status %d", status)
	}
	set, err := p.tokenSet(body, t0)
	if err != nil {
		return nil, nil, fmt.Errorf("backend: login answer: %w", err)
	}
	if p.o.RefreshURL == "" {
		set.RefreshToken = "" // nothing would ever use it
	}
	var claims map[string]any
	if p.keys != nil {
		if claims, err = p.verifyJWT(ctx, set.AccessToken); err != nil {
			return nil, nil, fmt.Errorf("backend: the login answer's access token: %w", err)
		}
	} else {
		// Trusted without a signature check: it came from the back end in
		// answer to our own request (see the package doc).
		claims = unverifiedClaims(set.AccessToken)
	}
	u, err := p.user(ctx, set.AccessToken, claims, false)
	if err != nil {
		return nil, nil, err
	}
	return u, set, nil
}

// Refresh implements the refresh authgo runs before the access token
// expires. Failures are *provider.RefreshError: terminal for a 400 or 401 or
// a terminal RFC 6749 error code, transient for timeouts, 5xx, 429 and
// answers that are not JSON or have no access token.
func (p *Provider) Refresh(ctx context.Context, refreshToken string) (*provider.TokenSet, error) {
	if p.o.RefreshURL == "" {
		return nil, &provider.RefreshError{Code: "no_refresh_url", Terminal: true, Err: errors.New("backend: no RefreshURL configured")}
	}
	t0 := p.o.Now()
	status, body, err := p.postJSON(ctx, p.o.RefreshURL, map[string]string{p.o.RefreshRequestField: refreshToken})
	if err != nil {
		return nil, &provider.RefreshError{Code: "unreachable", Err: fmt.Errorf("backend: refresh: %w", err)}
	}
	code := errorCode(body)
	httpCode := "http_" + strconv.Itoa(status)
	switch {
	case status >= 500 || status == http.StatusTooManyRequests:
		return nil, &provider.RefreshError{Code: httpCode}
	case code == "temporarily_unavailable" || code == "server_error":
		return nil, &provider.RefreshError{Code: code}
	case provider.IsTerminalRefreshCode(code):
		return nil, &provider.RefreshError{Code: code, Terminal: true}
	case status == http.StatusBadRequest || status == http.StatusUnauthorized:
		if code == "" {
			code = httpCode
		}
		return nil, &provider.RefreshError{Code: code, Terminal: true}
	case status/100 != 2:
		return nil, &provider.RefreshError{Code: httpCode}
	}
	set, err := p.tokenSet(body, t0)
	if err != nil {
		return nil, &provider.RefreshError{Code: "bad_response", Err: fmt.Errorf("backend: refresh answer: %w", err)}
	}
	if p.keys != nil {
		if _, err := p.verifyJWT(ctx, set.AccessToken); err != nil {
			// The old refresh token is spent on this answer; trying again
			// with it would only be refused.
			var it *invalidToken
			return nil, &provider.RefreshError{Code: "invalid_access_token", Terminal: errors.As(err, &it),
				Err: fmt.Errorf("backend: the refresh answer's access token: %w", err)}
		}
	}
	return set, nil
}

// postJSON posts v as JSON and returns the status and body.
func (p *Provider) postJSON(ctx context.Context, endpoint string, v map[string]string) (int, []byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return 0, nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(b))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	return p.do(req)
}

func (p *Provider) do(req *http.Request) (int, []byte, error) {
	res, err := p.hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, nil, err
	}
	return res.StatusCode, body, nil
}

// errorCode is the "error" member of a JSON object body, or "".
func errorCode(body []byte) string {
	var e struct {
		Error any `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	s, _ := e.Error.(string)
	return s
}

// tokenSet reads a login or refresh answer; t0 is when the request was
// sent, which expiresIn counts from.
func (p *Provider) tokenSet(body []byte, t0 time.Time) (*provider.TokenSet, error) {
	var m map[string]any
	if err := oauthcore.DecodeJSON(body, &m); err != nil || m == nil {
		return nil, errors.New("not a JSON object")
	}
	at, ok := m[p.o.AccessTokenField].(string)
	if !ok || at == "" {
		return nil, fmt.Errorf("no %q string", p.o.AccessTokenField)
	}
	set := &provider.TokenSet{AccessToken: at}
	switch rt := m[p.o.RefreshTokenField].(type) {
	case nil:
	case string:
		set.RefreshToken = rt
	default:
		return nil, fmt.Errorf("%q is not a string", p.o.RefreshTokenField)
	}
	if n, ok := number(m[p.o.ExpiresInField]); ok && n > 0 && n < math.MaxInt32 {
		set.Expiry = t0.Add(time.Duration(n * float64(time.Second)))
	}
	return set, nil
}

// number reads a JSON number, or a string holding one.
func number(v any) (float64, bool) {
	var s string
	switch v := v.(type) {
	case json.Number:
		s = string(v)
	case string:
		s = v
	default:
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}
