// Package oauthcore is what the oauth and oidc provider packages share: the
// outbound HTTP client with its limits, the authorization URL, the token
// requests made through golang.org/x/oauth2, userinfo, RFC 7009 revocation
// and the default profile mapping.
package oauthcore

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/provider"
)

// DefaultTimeout bounds each outbound request (token, userinfo, discovery,
// JWKS, revocation) when neither the options nor the HTTP client set one.
const DefaultTimeout = 10 * time.Second

// MaxBody is the most a response body may hold; a longer one is an error.
const MaxBody = 1 << 20

// ErrBodyTooLarge is returned while reading a response body longer than
// MaxBody.
var ErrBodyTooLarge = errors.New("response body larger than 1 MiB")

// idPattern is the root package's provider id pattern.
var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// ValidID reports whether id can be a provider id.
func ValidID(id string) bool { return idPattern.MatchString(id) }

// ValidEndpoint checks that raw is an absolute https URL (or http on a
// loopback host, for tests and local identity providers) without user
// information or a fragment.
func ValidEndpoint(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if u.Host == "" || u.Opaque != "" {
		return fmt.Errorf("%q is not an absolute URL", raw)
	}
	if u.User != nil || u.Fragment != "" || strings.Contains(raw, "#") {
		return fmt.Errorf("%q has user information or a fragment", raw)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if IsLoopback(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("%q is not https (plain http is only allowed on loopback hosts)", raw)
	}
	return fmt.Errorf("%q is not an https URL", raw)
}

// IsLoopback reports whether host is localhost or a loopback address.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// NewClient returns a copy of base (or of a zero http.Client) for calls to
// the provider: it follows no redirects, fails reading a body longer than
// MaxBody, and times each request out after timeout, or after base's own
// Timeout, or after DefaultTimeout.
func NewClient(base *http.Client, timeout time.Duration) *http.Client {
	c := &http.Client{}
	if base != nil {
		c.Transport = base.Transport
		c.Jar = base.Jar
		c.Timeout = base.Timeout
	}
	rt := c.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	c.Transport = limitTransport{rt}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	switch {
	case timeout > 0:
		c.Timeout = timeout
	case c.Timeout == 0:
		c.Timeout = DefaultTimeout
	}
	return c
}

type limitTransport struct{ rt http.RoundTripper }

func (t limitTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := t.rt.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	if res.ContentLength > MaxBody {
		res.Body.Close()
		return nil, fmt.Errorf("%s %s: %w", r.Method, r.URL.Redacted(), ErrBodyTooLarge)
	}
	res.Body = &limitedBody{rc: res.Body, left: MaxBody}
	return res, nil
}

type limitedBody struct {
	rc   io.ReadCloser
	left int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		var one [1]byte
		n, err := b.rc.Read(one[:])
		if n > 0 {
			return 0, ErrBodyTooLarge
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }

// Reserved are the authorization request parameters the flow sets; the
// configured parameters and the sign-in request's query never replace them.
var Reserved = map[string]bool{
	"state": true, "code_challenge": true, "code_challenge_method": true, "nonce": true,
	"redirect_uri": true, "client_id": true, "response_type": true, "response_mode": true,
	"request": true, "request_uri": true,
}

// params is an ordered query string in which Set replaces a value in
// place, as URLSearchParams.set does.
type params struct {
	keys []string
	vals map[string]string
}

func (q *params) Set(k, v string) {
	if q.vals == nil {
		q.vals = map[string]string{}
	}
	if _, ok := q.vals[k]; !ok {
		q.keys = append(q.keys, k)
	}
	q.vals[k] = v
}

func (q *params) Has(k string) bool { _, ok := q.vals[k]; return ok }

func (q *params) Get(k string) string { return q.vals[k] }

func (q *params) Encode() string {
	var b strings.Builder
	for i, k := range q.keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(k))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(q.vals[k]))
	}
	return b.String()
}

// AuthRequest describes an authorization request.
type AuthRequest struct {
	Endpoint string     // the authorization endpoint; its own query comes first
	Params   url.Values // configured parameters (scope, prompt, access_type, …)
	ClientID string
	P        provider.AuthCodeParams
	// RequireOpenID puts "openid" into the scope when Extra replaced it
	// with one that lacks it (OIDC).
	RequireOpenID bool
}

// AuthURL builds the authorization URL in Auth.js's order: the endpoint's
// query and the configured parameters, then response_type, client_id and
// redirect_uri, then the sign-in request's parameters (which replace
// configured ones, never the reserved ones), then state, code_challenge,
// code_challenge_method=S256 and nonce. Reserved parameters found in the
// endpoint's query or the configured ones are dropped.
func AuthURL(a AuthRequest) (string, error) {
	p := a.P
	if p.State == "" || p.CodeChallenge == "" || p.RedirectURI == "" {
		return "", errors.New("state, code challenge and redirect URI are required")
	}
	u, err := url.Parse(a.Endpoint)
	if err != nil {
		return "", err
	}
	var q params
	if u.RawQuery != "" {
		for _, kv := range strings.Split(u.RawQuery, "&") {
			k, v, _ := strings.Cut(kv, "=")
			k, err1 := url.QueryUnescape(k)
			v, err2 := url.QueryUnescape(v)
			if err1 != nil || err2 != nil || k == "" || Reserved[k] {
				continue
			}
			q.Set(k, v)
		}
	}
	for _, k := range sortedKeys(a.Params) {
		if vs := a.Params[k]; len(vs) > 0 && !Reserved[k] {
			q.Set(k, vs[len(vs)-1])
		}
	}
	q.Set("response_type", "code")
	q.Set("client_id", a.ClientID)
	q.Set("redirect_uri", p.RedirectURI)
	for _, k := range sortedKeys(p.Extra) {
		if vs := p.Extra[k]; len(vs) > 0 && !Reserved[k] {
			q.Set(k, vs[len(vs)-1])
		}
	}
	if a.RequireOpenID && !hasScope(q.Get("scope"), "openid") {
		q.Set("scope", strings.TrimSpace("openid "+q.Get("scope")))
	}
	q.Set("state", p.State)
	q.Set("code_challenge", p.CodeChallenge)
	q.Set("code_challenge_method", "S256")
	if p.Nonce != "" {
		q.Set("nonce", p.Nonce)
	}
	u.RawQuery = q.Encode()
	u.ForceQuery = false
	return u.String(), nil
}

func hasScope(scope, s string) bool { return slices.Contains(strings.Fields(scope), s) }

func sortedKeys(v url.Values) []string { return slices.Sorted(maps.Keys(v)) }

// Client makes the token endpoint requests of one provider.
type Client struct {
	ClientID     string
	ClientSecret string
	TokenURL     string
	// Style is oauth2.AuthStyleInHeader (client_secret_basic) or
	// oauth2.AuthStyleInParams (client_secret_post; with no secret, only
	// client_id is sent).
	Style oauth2.AuthStyle
	HTTP  *http.Client
	Now   func() time.Time
}

func (c *Client) ctx(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, c.HTTP)
}

func (c *Client) config(redirectURI string) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     c.ClientID,
		ClientSecret: c.ClientSecret,
		Endpoint:     oauth2.Endpoint{TokenURL: c.TokenURL, AuthStyle: c.Style},
		RedirectURL:  redirectURI,
	}
}

// Exchange redeems code at the token endpoint with the PKCE verifier. A
// token endpoint error response comes back as *oauth2.RetrieveError.
func (c *Client) Exchange(ctx context.Context, code, verifier, redirectURI string) (*oauth2.Token, provider.TokenSet, error) {
	if code == "" || verifier == "" {
		return nil, provider.TokenSet{}, errors.New("no code or no PKCE verifier")
	}
	tok, err := c.config(redirectURI).Exchange(c.ctx(ctx), code, oauth2.VerifierOption(verifier))
	if err != nil {
		return nil, provider.TokenSet{}, err
	}
	return tok, c.TokenSet(tok), nil
}

// Refresh makes a refresh_token grant. When the response names no new
// refresh token, the TokenSet keeps the one given.
func (c *Client) Refresh(ctx context.Context, refreshToken string) (*oauth2.Token, provider.TokenSet, error) {
	if refreshToken == "" {
		return nil, provider.TokenSet{}, errors.New("no refresh token")
	}
	ctx = c.ctx(ctx)
	tok, err := c.config("").TokenSource(ctx, &oauth2.Token{RefreshToken: refreshToken}).Token()
	if err != nil {
		return nil, provider.TokenSet{}, RefreshError(err)
	}
	return tok, c.TokenSet(tok), nil
}

// RefreshError classifies a failed refresh_token grant for authgo: an
// RFC 6749 error answer with a terminal code (invalid_grant, …) ends the
// session's tokens; anything else (timeouts, 5xx, 429, an unreadable body)
// is transient. The *oauth2.RetrieveError stays in the chain.
func RefreshError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		code := re.ErrorCode
		terminal := provider.IsTerminalRefreshCode(code)
		if code == "" && re.Response != nil {
			code = fmt.Sprintf("http_%d", re.Response.StatusCode)
			terminal = re.Response.StatusCode == 400 || re.Response.StatusCode == 401
		}
		return &provider.RefreshError{Code: code, Terminal: terminal, Err: err}
	}
	return &provider.RefreshError{Code: "unavailable", Err: err}
}

// TokenSet converts a token response.
func (c *Client) TokenSet(tok *oauth2.Token) provider.TokenSet {
	ts := provider.TokenSet{
		AccessToken:  tok.AccessToken,
		RefreshToken: tok.RefreshToken,
		TokenType:    tok.TokenType,
	}
	ts.IDToken, _ = tok.Extra("id_token").(string)
	ts.Scope, _ = tok.Extra("scope").(string)
	// The lifetime in seconds, counted on our clock: x/oauth2's Expiry
	// takes any number, zero and negative ones included (tokens-bff.md
	// E7: those mean "unknown"), and form-encoded answers reach it only
	// through Expiry.
	secs := tok.ExpiresIn
	if secs == 0 {
		switch v := tok.Extra("expires_in").(type) {
		case string:
			secs, _ = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		case float64:
			secs = int64(v)
		case int64: // x/oauth2 parses form values that look like numbers
			secs = v
		}
	}
	if secs > 0 && secs < math.MaxInt32 {
		ts.Expiry = c.now().Add(time.Duration(secs) * time.Second).Truncate(time.Second)
	}
	return ts
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Revoke revokes token at endpoint (RFC 7009), authenticating the client
// as the token endpoint requests do. An error response comes back as
// *oauth2.RetrieveError.
func (c *Client) Revoke(ctx context.Context, endpoint, token, hint string) error {
	if token == "" {
		return errors.New("no token to revoke")
	}
	form := url.Values{"token": {token}}
	if hint != "" {
		form.Set("token_type_hint", hint)
	}
	if c.Style == oauth2.AuthStyleInParams {
		form.Set("client_id", c.ClientID)
		if c.ClientSecret != "" {
			form.Set("client_secret", c.ClientSecret)
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if c.Style != oauth2.AuthStyleInParams {
		req.Header.Set("Authorization", BasicAuth(c.ClientID, c.ClientSecret))
	}
	res, err := c.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode == http.StatusOK {
		return nil
	}
	re := &oauth2.RetrieveError{Response: res, Body: body}
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
		URI         string `json:"error_uri"`
	}
	if json.Unmarshal(body, &e) == nil {
		re.ErrorCode, re.ErrorDescription, re.ErrorURI = e.Error, e.Description, e.URI
	}
	return re
}

// BasicAuth is the client_secret_basic header value: each part
// form-urlencoded (RFC 6749 §2.3.1), as Auth.js and x/oauth2 send it.
func BasicAuth(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
}

// GetJSON fetches a JSON object from endpoint with the access token as a
// Bearer token. Numbers come back as json.Number.
func GetJSON(ctx context.Context, hc *http.Client, endpoint, accessToken string, header http.Header) (map[string]any, error) {
	var m map[string]any
	if err := GetJSONInto(ctx, hc, endpoint, accessToken, header, &m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, errors.New("the response is not a JSON object")
	}
	return m, nil
}

// GetJSONInto is GetJSON decoding into v.
func GetJSONInto(ctx context.Context, hc *http.Client, endpoint, accessToken string, header http.Header, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint, nil)
	if err != nil {
		return err
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "application/json")
	}
	if accessToken != "" {
		req.Header.Set("Authorization", "Bearer "+accessToken)
	}
	res, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		return &StatusError{URL: req.URL.Redacted(), Status: res.StatusCode}
	}
	return DecodeJSON(body, v)
}

// DecodeJSON decodes one JSON value, numbers as json.Number.
func DecodeJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after JSON value")
	}
	return nil
}

// StatusError is a GET that did not answer 200.
type StatusError struct {
	URL    string
	Status int
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("GET %s: status %d", e.URL, e.Status)
}

// String returns the claim k of m as a string, or "" when it is absent or
// not a string.
func String(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

// ID returns the claim k of m as an id: a string as it is, a number in
// integer form when it is an integer.
func ID(m map[string]any, k string) string {
	switch v := m[k].(type) {
	case string:
		return v
	case json.Number:
		return formatNumber(string(v))
	case float64:
		return formatNumber(strconv.FormatFloat(v, 'f', -1, 64))
	case int:
		return strconv.Itoa(v)
	case int64:
		return strconv.FormatInt(v, 10)
	}
	return ""
}

func formatNumber(s string) string {
	if _, err := strconv.ParseInt(s, 10, 64); err == nil {
		return s
	}
	f, _, err := big.ParseFloat(s, 10, 256, big.ToNearestEven)
	if err != nil {
		return s
	}
	if i, acc := f.Int(nil); acc == big.Exact {
		return i.String()
	}
	return s
}

// Object returns the claim k of m as an object, or nil.
func Object(m map[string]any, k string) map[string]any {
	o, _ := m[k].(map[string]any)
	return o
}

// DefaultUser maps a profile as Auth.js's default profile does: id from
// "sub" or "id", name from "name", "nickname", "preferred_username" or
// "login", email, and image from "picture", "avatar_url" or "image". Unlike
// Auth.js, a profile without an id is an error, not a random id.
func DefaultUser(raw map[string]any) (*authgo.User, error) {
	u := &authgo.User{
		ID:    first(ID(raw, "sub"), ID(raw, "id")),
		Name:  first(String(raw, "name"), String(raw, "nickname"), String(raw, "preferred_username"), String(raw, "login")),
		Email: String(raw, "email"),
		Image: first(String(raw, "picture"), String(raw, "avatar_url"), String(raw, "image")),
	}
	if u.ID == "" {
		return nil, errors.New(`the profile has no "sub" or "id"`)
	}
	return u, nil
}

func first(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// CheckIssuerParam is the RFC 9207 check of the callback's iss parameter:
// when present it must equal issuer; when required (the server said
// authorization_response_iss_parameter_supported) it must be present.
func CheckIssuerParam(params url.Values, r *http.Request, issuer string, required bool) error {
	got, present := IssuerParam(params, r)
	if !present {
		if required {
			return errors.New("the authorization response has no iss parameter (RFC 9207)")
		}
		return nil
	}
	if issuer == "" {
		return nil
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(issuer)) != 1 {
		return fmt.Errorf("the authorization response came from issuer %q, not %q (RFC 9207)", got, issuer)
	}
	return nil
}

// IssuerParam returns the callback's iss parameter: from params (what
// authgo read from the query or a form_post body) when given, else from
// the request's query or parsed form.
func IssuerParam(params url.Values, r *http.Request) (string, bool) {
	if params != nil {
		vs, ok := params["iss"]
		if ok && len(vs) > 0 {
			return vs[0], true
		}
		return "", false
	}
	if r == nil {
		return "", false
	}
	if r.URL != nil {
		if vs, ok := r.URL.Query()["iss"]; ok && len(vs) > 0 {
			return vs[0], true
		}
	}
	if vs, ok := r.PostForm["iss"]; ok && len(vs) > 0 {
		return vs[0], true
	}
	return "", false
}
