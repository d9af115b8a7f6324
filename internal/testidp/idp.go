package testidp

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/pkg/op"
)

// Paths served by an IDP, relative to [IDP.Issuer]. They are zitadel's
// defaults; discovery advertises the same ones.
const (
	PathDiscovery  = "/.well-known/openid-configuration"
	PathAuthorize  = "/authorize"
	PathToken      = "/oauth/token"
	PathUserinfo   = "/userinfo"
	PathRevoke     = "/revoke"
	PathEndSession = "/end_session"
	PathJWKS       = "/keys"
	PathLoggedOut  = "/logged-out" // where end_session goes when no client asked for a post_logout_redirect_uri
	loginPath      = "/login"
	// authorizeCallbackPath is where the login form sends the browser; the
	// op redirects from there to the client's redirect_uri.
	authorizeCallbackPath = PathAuthorize + "/callback"
)

// User is an account at the IdP. ID becomes the sub claim.
type User struct {
	ID            string
	Username      string
	Password      string
	Email         string
	EmailVerified bool
	Name          string
	GivenName     string
	FamilyName    string
	Picture       string
	// Claims are extra claims put in the ID token and the userinfo response.
	// They cannot replace the standard claims above.
	Claims map[string]any
}

// AuthMethod is how a client authenticates at the token and revocation
// endpoints.
type AuthMethod string

// Client authentication methods.
const (
	AuthMethodBasic AuthMethod = "client_secret_basic" // the default
	AuthMethodPost  AuthMethod = "client_secret_post"
	AuthMethodNone  AuthMethod = "none" // public client; PKCE is then required
)

// Client is a relying party registered at the IdP. Every client may use the
// authorization code and refresh_token grants.
type Client struct {
	ID     string
	Secret string // required unless AuthMethod is AuthMethodNone
	// RedirectURIs are matched exactly; http:// is allowed.
	RedirectURIs []string
	// PostLogoutRedirectURIs are matched exactly at end_session.
	PostLogoutRedirectURIs []string
	AuthMethod             AuthMethod // zero means AuthMethodBasic
	// MinimalIDToken keeps profile and email claims out of ID tokens issued
	// with an access token, as OIDC Core §5.4 prescribes; they are then
	// only served by userinfo. By default the ID token carries them, as
	// Google's and most IdPs' do.
	MinimalIDToken bool
}

// Options configure an IDP. Zero fields take the documented defaults.
//
// There is no clock option: zitadel's op stamps iat and exp of the ID
// tokens it mints with time.Now and offers no way to inject a clock, so the
// IDP (token expiry, [IDP.IDTokenClaims]) runs on real time throughout. A
// relying party under test with a fake clock should start that clock at
// time.Now(); to test expiry, use short lifetimes here or sign an expired
// token with [IDP.SignIDToken].
type Options struct {
	Users []User
	// AccessTokenLifetime defaults to 5 minutes; it is also the expires_in
	// of token responses.
	AccessTokenLifetime time.Duration
	// IDTokenLifetime defaults to 1 hour.
	IDTokenLifetime time.Duration
	// RefreshTokenLifetime defaults to 24 hours.
	RefreshTokenLifetime time.Duration
	// AuthorizationResponseIss makes the IdP send the iss parameter of RFC
	// 9207 with every authorization response (code or error) and advertise
	// authorization_response_iss_parameter_supported in discovery, as
	// mix-up defences expect (RFC 9700 §4.4.2). zitadel's op does neither
	// by itself. See also [IDP.NextAuthorizationResponseIss].
	AuthorizationResponseIss bool
}

// ErrLoginFailed is returned by [IDP.Login] when the IdP refuses the
// username or password.
var ErrLoginFailed = errors.New("testidp: login failed")

// IDP is a real OpenID Provider (zitadel's op package) with in-memory
// storage, served over plain HTTP by an httptest.Server.
//
// It supports discovery, JWKS (RS256), the authorization code flow with
// PKCE (S256 only) and nonce, refresh tokens when offline_access is
// requested, userinfo, RFC 7009 revocation and RP-initiated logout. Refresh
// tokens rotate on every use; presenting a rotated token again fails with
// invalid_grant and revokes every token descended from the same grant
// (RFC 9700 §4.14.2). Authorization codes work once.
//
// Clients and users belong to one IDP, so parallel tests may share one with
// distinct client IDs, or (simpler) each start their own. The one-shot
// overrides [IDP.NextIDToken] and [IDP.NextUserinfo] apply to whichever client
// calls next, so a test using them should own its IDP.
//
// An IDP is safe for concurrent use.
type IDP struct {
	srv      *httptest.Server
	issuer   string
	provider *op.Provider
	store    *storage
	opts     Options

	foreignOnce sync.Once
	foreign     *rsa.PrivateKey

	mu           sync.Mutex
	requests     map[string][]url.Values // by path
	nextIDToken  *string
	nextUserinfo map[string]any
	nextIss      *string
}

// New starts an IDP; t.Cleanup stops it. It calls t.Fatal on bad options.
func New(t testing.TB, o Options) *IDP {
	t.Helper()
	if o.AccessTokenLifetime <= 0 {
		o.AccessTokenLifetime = 5 * time.Minute
	}
	if o.IDTokenLifetime <= 0 {
		o.IDTokenLifetime = time.Hour
	}
	if o.RefreshTokenLifetime <= 0 {
		o.RefreshTokenLifetime = 24 * time.Hour
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("testidp: %v", err)
	}
	store, err := newStorage(o, key)
	if err != nil {
		t.Fatal(err)
	}
	p := &IDP{store: store, opts: o, requests: make(map[string][]url.Values)}

	// The op needs its issuer before it exists, so take the listener's
	// address first and start serving afterwards.
	p.srv = httptest.NewUnstartedServer(nil)
	p.issuer = "http://" + p.srv.Listener.Addr().String()
	cfg := &op.Config{
		DefaultLogoutRedirectURI: p.issuer + PathLoggedOut,
		CodeMethodS256:           true,
		AuthMethodPost:           true,
		GrantTypeRefreshToken:    true,
	}
	if _, err := rand.Read(cfg.CryptoKey[:]); err != nil {
		t.Fatalf("testidp: %v", err)
	}
	p.provider, err = op.NewProvider(cfg, store, op.StaticIssuer(p.issuer), op.WithAllowInsecure())
	if err != nil {
		p.srv.Close()
		t.Fatalf("testidp: %v", err)
	}
	p.srv.Config.Handler = http.HandlerFunc(p.serveHTTP)
	p.srv.Start()
	t.Cleanup(p.srv.Close)
	return p
}

// Issuer returns the issuer URL, such as "http://127.0.0.1:41234" (no
// trailing slash). Discovery is at Issuer()+PathDiscovery.
func (p *IDP) Issuer() string { return p.issuer }

// AddClient registers a client. It panics on an empty or duplicate ID, an
// unknown AuthMethod, or a missing Secret: those are mistakes in the test.
func (p *IDP) AddClient(c Client) {
	if err := p.store.addClient(c); err != nil {
		panic(err)
	}
}

// TokenCalls reports how many requests reached the token endpoint, for any
// grant and whether or not they succeeded.
func (p *IDP) TokenCalls() int { return len(p.Requests(PathToken)) }

// RefreshCalls reports how many token-endpoint requests had
// grant_type=refresh_token.
func (p *IDP) RefreshCalls() int {
	n := 0
	for _, v := range p.Requests(PathToken) {
		if v.Get("grant_type") == "refresh_token" {
			n++
		}
	}
	return n
}

// RevokeCalls reports how many requests reached the revocation endpoint.
func (p *IDP) RevokeCalls() int { return len(p.Requests(PathRevoke)) }

// RevokedTokens returns the token parameter of every request to the
// revocation endpoint, oldest first, whether or not the IdP accepted it
// (an unknown token is accepted, as RFC 7009 §2.2 asks). Use
// [IDP.RefreshTokenActive] to check that a token is really dead.
func (p *IDP) RevokedTokens() []string {
	var out []string
	for _, v := range p.Requests(PathRevoke) {
		out = append(out, v.Get("token"))
	}
	return out
}

// EndSessionCalls reports how many requests reached the end_session endpoint.
func (p *IDP) EndSessionCalls() int { return len(p.Requests(PathEndSession)) }

// UserinfoCalls reports how many requests reached the userinfo endpoint.
func (p *IDP) UserinfoCalls() int { return len(p.Requests(PathUserinfo)) }

// Requests returns the parameters (query and form body) of every request
// received so far on path, one of PathAuthorize, PathToken, PathUserinfo,
// PathRevoke or PathEndSession, oldest first. Client credentials sent with
// HTTP Basic authentication are not included; a client_secret sent in the
// body is. The result is a copy.
func (p *IDP) Requests(path string) []url.Values {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]url.Values, len(p.requests[path]))
	for i, v := range p.requests[path] {
		out[i] = cloneValues(v)
	}
	return out
}

// NextIDToken makes the next successful token response (from any client, for
// any grant) carry idToken instead of the one the op minted. Pair it with
// [IDP.SignIDToken] to send a relying party a broken ID token through an
// otherwise genuine exchange.
func (p *IDP) NextIDToken(idToken string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.nextIDToken = &idToken
}

// NextUserinfo makes the next successful userinfo response (for any client)
// be claims instead of the real profile, e.g. a sub that differs from the ID
// token's (OIDC Core §5.3.2).
func (p *IDP) NextUserinfo(claims map[string]any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.nextUserinfo = maps.Clone(claims)
	if p.nextUserinfo == nil {
		p.nextUserinfo = map[string]any{}
	}
}

// NextAuthorizationResponseIss makes the next authorization response that
// leaves the IdP for a client's redirect_uri (from any client, code or
// error) carry iss as its RFC 9207 iss parameter, whether or not
// [Options.AuthorizationResponseIss] is set: a mix-up attempt, or with
// iss == Issuer() a single response that has it. Only the query response
// mode is rewritten (relying parties under test use the default).
func (p *IDP) NextAuthorizationResponseIss(iss string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.nextIss = &iss
}

// RefreshTokenActive reports whether the IdP would still accept the refresh
// token (it has not been rotated, revoked, ended or expired).
func (p *IDP) RefreshTokenActive(token string) bool { return p.store.refreshActive(token) }

// AccessTokenActive reports whether the IdP would still accept the access
// token at userinfo.
func (p *IDP) AccessTokenActive(token string) bool {
	plain, err := p.provider.Crypto().Decrypt(token)
	if err != nil {
		return false
	}
	id, _, ok := strings.Cut(plain, ":")
	return ok && p.store.accessActive(id)
}

// Login signs a user in at the IdP without a browser. authURL is the
// authorization URL the relying party redirected to. Login walks the IdP's
// real endpoints with client (redirects are not followed automatically; a
// nil client means http.DefaultClient's transport and no jar): the
// authorization endpoint, the login form (posting username and password),
// and the op's callback. It returns the first URL that leaves the IdP
// without requesting it: the relying party's redirect_uri carrying code and
// state, or error and state if the op refused the request.
//
// It returns an error wrapping [ErrLoginFailed] for wrong credentials, and
// an error if the IdP answers with anything but a redirect (e.g. an unknown
// client or redirect_uri, which the op refuses without redirecting).
func (p *IDP) Login(ctx context.Context, client *http.Client, authURL, username, password string) (string, error) {
	c := http.Client{}
	if client != nil {
		c = *client
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	next := authURL
	for range 10 {
		u, err := url.Parse(next)
		if err != nil {
			return "", fmt.Errorf("testidp: login: %w", err)
		}
		if u.Scheme+"://"+u.Host != p.issuer {
			return next, nil
		}
		var resp *http.Response
		if u.Path == loginPath {
			// Fetch the form as a browser would, then submit it.
			if _, err := p.do(ctx, &c, http.MethodGet, next, nil); err != nil {
				return "", err
			}
			form := url.Values{
				"id":       {u.Query().Get("authRequestID")},
				"username": {username},
				"password": {password},
			}
			resp, err = p.do(ctx, &c, http.MethodPost, p.issuer+loginPath, form)
		} else {
			resp, err = p.do(ctx, &c, http.MethodGet, next, nil)
		}
		if err != nil {
			return "", err
		}
		loc, err := resp.Location()
		if err != nil {
			return "", fmt.Errorf("testidp: login: %s answered %s, not a redirect", u.Path, resp.Status)
		}
		next = loc.String()
	}
	return "", errors.New("testidp: login: too many redirects")
}

// do sends one request and returns the response with its body drained.
// A 200 answer from the login form POST means the credentials were refused.
func (p *IDP) do(ctx context.Context, c *http.Client, method, target string, form url.Values) (*http.Response, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return nil, fmt.Errorf("testidp: login: %w", err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("testidp: login: %w", err)
	}
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	if method == http.MethodPost && resp.StatusCode == http.StatusUnauthorized {
		return nil, fmt.Errorf("%w for %q", ErrLoginFailed, form.Get("username"))
	}
	if resp.StatusCode >= 400 {
		return nil, fmt.Errorf("testidp: login: %s %s: %s: %s", method, req.URL.Path, resp.Status, bytes.TrimSpace(msg))
	}
	return resp, nil
}

// ---- HTTP ----

// verifierRE is RFC 7636 §4.1: 43 to 128 unreserved characters.
var verifierRE = regexp.MustCompile(`^[A-Za-z0-9._~-]{43,128}$`)

func (p *IDP) serveHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case loginPath:
		p.serveLogin(w, r)
		return
	case PathLoggedOut:
		io.WriteString(w, "signed out\n")
		return
	case PathDiscovery:
		if p.opts.AuthorizationResponseIss {
			p.serveDiscovery(w, r)
			return
		}
	case authorizeCallbackPath:
		w = &issWriter{ResponseWriter: w, p: p}
	case PathAuthorize, PathToken, PathUserinfo, PathRevoke, PathEndSession:
		params, err := readParams(r)
		if err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		p.mu.Lock()
		p.requests[r.URL.Path] = append(p.requests[r.URL.Path], params)
		p.mu.Unlock()
		if r.URL.Path == PathToken {
			// zitadel checks the verifier's hash but not its shape.
			if v, ok := params["code_verifier"]; ok && (len(v) != 1 || !verifierRE.MatchString(v[0])) {
				writeJSON(w, http.StatusBadRequest, map[string]string{
					"error": "invalid_request", "error_description": "malformed code_verifier",
				})
				return
			}
			p.serveRewritten(w, r, "id_token")
			return
		}
		if r.URL.Path == PathUserinfo {
			p.serveRewritten(w, r, "")
			return
		}
		if r.URL.Path == PathAuthorize {
			w = &issWriter{ResponseWriter: w, p: p}
		}
	}
	p.provider.ServeHTTP(w, r)
}

// serveDiscovery serves the op's discovery document with
// authorization_response_iss_parameter_supported added.
func (p *IDP) serveDiscovery(w http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	p.provider.ServeHTTP(rec, r)
	body := rec.Body.Bytes()
	var m map[string]any
	if rec.Code == http.StatusOK && json.Unmarshal(body, &m) == nil {
		m["authorization_response_iss_parameter_supported"] = true
		body, _ = json.Marshal(m)
	}
	h := w.Header()
	maps.Copy(h, rec.Header())
	h.Del("Content-Length")
	w.WriteHeader(rec.Code)
	w.Write(body)
}

// responseIss returns the iss parameter the next authorization response
// should carry, consuming a pending [IDP.NextAuthorizationResponseIss].
func (p *IDP) responseIss() (string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.nextIss != nil {
		iss := *p.nextIss
		p.nextIss = nil
		return iss, true
	}
	return p.issuer, p.opts.AuthorizationResponseIss
}

// issWriter adds the RFC 9207 iss parameter to a redirect that leaves the
// IdP, that is an authorization response to a client's redirect_uri. The
// op's redirects to its own login form are left alone.
type issWriter struct {
	http.ResponseWriter
	p     *IDP
	wrote bool
}

func (w *issWriter) WriteHeader(code int) {
	if !w.wrote {
		w.wrote = true
		if loc := w.Header().Get("Location"); code >= 300 && code < 400 && loc != "" {
			if u, err := url.Parse(loc); err == nil && u.IsAbs() && u.Scheme+"://"+u.Host != w.p.issuer {
				if iss, ok := w.p.responseIss(); ok {
					if u.RawQuery != "" {
						u.RawQuery += "&"
					}
					u.RawQuery += "iss=" + url.QueryEscape(iss)
					w.Header().Set("Location", u.String())
				}
			}
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *issWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *issWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// serveRewritten passes r to the op and, if a one-shot override is pending
// and the op answered 200, rewrites the JSON body: the field idField of a
// token response, or (idField == "") the whole userinfo response.
func (p *IDP) serveRewritten(w http.ResponseWriter, r *http.Request, idField string) {
	p.mu.Lock()
	pending := (idField != "" && p.nextIDToken != nil) || (idField == "" && p.nextUserinfo != nil)
	p.mu.Unlock()
	if !pending {
		p.provider.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	p.provider.ServeHTTP(rec, r)
	body := rec.Body.Bytes()
	if rec.Code == http.StatusOK {
		p.mu.Lock()
		switch {
		case idField != "" && p.nextIDToken != nil:
			var m map[string]any
			if json.Unmarshal(body, &m) == nil {
				m[idField] = *p.nextIDToken
				body, _ = json.Marshal(m)
				p.nextIDToken = nil
			}
		case idField == "" && p.nextUserinfo != nil:
			body, _ = json.Marshal(p.nextUserinfo)
			p.nextUserinfo = nil
		}
		p.mu.Unlock()
	}
	h := w.Header()
	maps.Copy(h, rec.Header())
	h.Del("Content-Length")
	w.WriteHeader(rec.Code)
	w.Write(body)
}

// readParams returns the query and, for a form POST, the body parameters of
// r, leaving the body readable for the op.
func readParams(r *http.Request) (url.Values, error) {
	params := cloneValues(r.URL.Query())
	if r.Method != http.MethodPost || r.Body == nil {
		return params, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, err
		}
		for k, v := range form {
			params[k] = append(params[k], v...)
		}
	}
	return params, nil
}

var loginPage = template.Must(template.New("login").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Test IdP sign-in</title></head>
<body><form method="POST" action="/login">
<input type="hidden" name="id" value="{{.ID}}">
<label>Username <input name="username" autocomplete="username"></label>
<label>Password <input name="password" type="password" autocomplete="current-password"></label>
{{with .Error}}<p role="alert">{{.}}</p>{{end}}
<button type="submit">Sign in</button>
</form></body></html>
`))

// serveLogin is the IdP's login UI: GET shows the form, POST checks the
// password, marks the auth request done and sends the browser back to the
// op's callback, which redirects to the relying party with a code.
func (p *IDP) serveLogin(w http.ResponseWriter, r *http.Request) {
	render := func(status int, id, msg string) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		loginPage.Execute(w, struct{ ID, Error string }{id, msg})
	}
	switch r.Method {
	case http.MethodGet:
		render(http.StatusOK, r.URL.Query().Get("authRequestID"), "")
	case http.MethodPost:
		id := r.PostFormValue("id")
		if err := p.store.checkLogin(id, r.PostFormValue("username"), r.PostFormValue("password")); err != nil {
			render(http.StatusUnauthorized, id, err.Error())
			return
		}
		cb := p.provider.AuthorizationEndpoint().Absolute(p.issuer) + "/callback?id=" + url.QueryEscape(id)
		http.Redirect(w, r, cb, http.StatusFound)
	default:
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}
