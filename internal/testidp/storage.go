package testidp

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// storage is the in-memory [op.Storage] behind an [IDP]. It is modelled on
// zitadel's example storage, but every map belongs to one IDP (the example
// keeps its clients in a package-level map), refresh tokens are rotated with
// reuse detection (RFC 9700 §4.14.2), and "plain" PKCE is refused.
//
// All methods are safe for concurrent use.
type storage struct {
	accessTTL  time.Duration
	idTokenTTL time.Duration
	refreshTTL time.Duration

	key    *rsa.PrivateKey
	keyID  string
	extras []op.Key // guarded by mu

	mu            sync.Mutex
	users         map[string]*User // by username
	usersByID     map[string]*User
	clients       map[string]*client
	authRequests  map[string]*authRequest
	codes         map[string]string // code -> auth request id
	accessTokens  map[string]*accessToken
	refreshTokens map[string]*refreshToken
	// rotated maps a refresh token that was already exchanged to its family.
	// Presenting one again revokes the whole family.
	rotated map[string]string
}

var (
	_ op.Storage                   = (*storage)(nil)
	_ op.CanSetUserinfoFromRequest = (*storage)(nil)
)

func newStorage(o Options, key *rsa.PrivateKey) (*storage, error) {
	s := &storage{
		accessTTL:     o.AccessTokenLifetime,
		idTokenTTL:    o.IDTokenLifetime,
		refreshTTL:    o.RefreshTokenLifetime,
		key:           key,
		keyID:         "testidp-" + rand.Text()[:8],
		users:         make(map[string]*User),
		usersByID:     make(map[string]*User),
		clients:       make(map[string]*client),
		authRequests:  make(map[string]*authRequest),
		codes:         make(map[string]string),
		accessTokens:  make(map[string]*accessToken),
		refreshTokens: make(map[string]*refreshToken),
		rotated:       make(map[string]string),
	}
	for i := range o.Users {
		u := o.Users[i]
		if u.ID == "" || u.Username == "" {
			return nil, fmt.Errorf("testidp: user %d needs an ID and a Username", i)
		}
		if _, dup := s.users[u.Username]; dup {
			return nil, fmt.Errorf("testidp: duplicate username %q", u.Username)
		}
		if _, dup := s.usersByID[u.ID]; dup {
			return nil, fmt.Errorf("testidp: duplicate user ID %q", u.ID)
		}
		s.users[u.Username] = &u
		s.usersByID[u.ID] = &u
	}
	return s, nil
}

// ---- models ----

// client adapts a [Client] to [op.Client].
type client struct {
	c          Client
	idTokenTTL time.Duration
}

func (c *client) GetID() string                    { return c.c.ID }
func (c *client) RedirectURIs() []string           { return c.c.RedirectURIs }
func (c *client) PostLogoutRedirectURIs() []string { return c.c.PostLogoutRedirectURIs }
func (c *client) ApplicationType() op.ApplicationType {
	if c.c.AuthMethod == AuthMethodNone {
		return op.ApplicationTypeUserAgent
	}
	return op.ApplicationTypeWeb
}
func (c *client) AuthMethod() oidc.AuthMethod { return oidc.AuthMethod(c.c.AuthMethod) }
func (c *client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c *client) GrantTypes() []oidc.GrantType {
	return []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken}
}
func (c *client) LoginURL(id string) string {
	return loginPath + "?authRequestID=" + url.QueryEscape(id)
}
func (c *client) AccessTokenType() op.AccessTokenType  { return op.AccessTokenTypeBearer }
func (c *client) IDTokenLifetime() time.Duration       { return c.idTokenTTL }
func (c *client) DevMode() bool                        { return true } // allows http:// redirect URIs for public clients
func (c *client) IsScopeAllowed(string) bool           { return false }
func (c *client) IDTokenUserinfoClaimsAssertion() bool { return !c.c.MinimalIDToken }
func (c *client) ClockSkew() time.Duration             { return 0 }
func (c *client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

// authRequest is a stored authorization request. It implements [op.AuthRequest].
type authRequest struct {
	id            string
	clientID      string
	redirectURI   string
	state         string
	nonce         string
	scopes        []string
	responseType  oidc.ResponseType
	responseMode  oidc.ResponseMode
	codeChallenge *oidc.CodeChallenge

	// set by a successful login
	userID   string
	authTime time.Time
	done     bool
}

func (a *authRequest) GetID() string  { return a.id }
func (a *authRequest) GetACR() string { return "" }
func (a *authRequest) GetAMR() []string {
	if a.done {
		return []string{"pwd"}
	}
	return nil
}
func (a *authRequest) GetAudience() []string                 { return []string{a.clientID} }
func (a *authRequest) GetAuthTime() time.Time                { return a.authTime }
func (a *authRequest) GetClientID() string                   { return a.clientID }
func (a *authRequest) GetCodeChallenge() *oidc.CodeChallenge { return a.codeChallenge }
func (a *authRequest) GetNonce() string                      { return a.nonce }
func (a *authRequest) GetRedirectURI() string                { return a.redirectURI }
func (a *authRequest) GetResponseType() oidc.ResponseType    { return a.responseType }
func (a *authRequest) GetResponseMode() oidc.ResponseMode    { return a.responseMode }
func (a *authRequest) GetScopes() []string                   { return a.scopes }
func (a *authRequest) GetState() string                      { return a.state }
func (a *authRequest) GetSubject() string                    { return a.userID }
func (a *authRequest) Done() bool                            { return a.done }

type accessToken struct {
	id           string
	clientID     string
	subject      string
	refreshToken string // the refresh token issued with it, if any
	audience     []string
	scopes       []string
	expiry       time.Time
}

type refreshToken struct {
	token       string
	family      string // shared by every token rotated from the same grant
	clientID    string
	userID      string
	audience    []string
	scopes      []string
	amr         []string
	authTime    time.Time
	expiry      time.Time
	accessToken string // id of the access token issued with it
}

// refreshRequest is a snapshot of a refresh token. It implements
// [op.RefreshTokenRequest].
type refreshRequest struct {
	token    string
	clientID string
	userID   string
	audience []string
	scopes   []string
	amr      []string
	authTime time.Time
}

func (r *refreshRequest) GetAMR() []string            { return r.amr }
func (r *refreshRequest) GetAudience() []string       { return r.audience }
func (r *refreshRequest) GetAuthTime() time.Time      { return r.authTime }
func (r *refreshRequest) GetClientID() string         { return r.clientID }
func (r *refreshRequest) GetScopes() []string         { return r.scopes }
func (r *refreshRequest) GetSubject() string          { return r.userID }
func (r *refreshRequest) SetCurrentScopes(s []string) { r.scopes = s }

// signingKey implements [op.SigningKey] and, with the public half, [op.Key].
type signingKey struct {
	id  string
	key *rsa.PrivateKey
}

func (k *signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k *signingKey) Key() any                                    { return k.key }
func (k *signingKey) ID() string                                  { return k.id }

// publicKey is a key published in the JWKS.
type publicKey struct {
	id  string
	alg jose.SignatureAlgorithm
	key any
}

func (k *publicKey) ID() string                         { return k.id }
func (k *publicKey) Algorithm() jose.SignatureAlgorithm { return k.alg }
func (k *publicKey) Use() string                        { return "sig" }
func (k *publicKey) Key() any                           { return k.key }

// ---- helpers used by IDP ----

func (s *storage) addClient(c Client) error {
	if c.ID == "" {
		return errors.New("testidp: client needs an ID")
	}
	switch c.AuthMethod {
	case "":
		c.AuthMethod = AuthMethodBasic
	case AuthMethodBasic, AuthMethodPost, AuthMethodNone:
	default:
		return fmt.Errorf("testidp: client %q: unknown auth method %q", c.ID, c.AuthMethod)
	}
	if c.AuthMethod != AuthMethodNone && c.Secret == "" {
		return fmt.Errorf("testidp: client %q: auth method %s needs a Secret", c.ID, c.AuthMethod)
	}
	c.RedirectURIs = slices.Clone(c.RedirectURIs)
	c.PostLogoutRedirectURIs = slices.Clone(c.PostLogoutRedirectURIs)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.clients[c.ID]; dup {
		return fmt.Errorf("testidp: duplicate client ID %q", c.ID)
	}
	s.clients[c.ID] = &client{c: c, idTokenTTL: s.idTokenTTL}
	return nil
}

// checkLogin completes the auth request id for the user if the password is right.
func (s *storage) checkLogin(id, username, password string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.authRequests[id]
	if !ok {
		return errors.New("unknown auth request")
	}
	u, ok := s.users[username]
	want := "\x00no such user"
	if ok {
		want = u.Password
	}
	if subtle.ConstantTimeCompare([]byte(password), []byte(want)) != 1 || !ok {
		return errors.New("invalid username or password")
	}
	req.userID = u.ID
	req.authTime = time.Now()
	req.done = true
	return nil
}

func (s *storage) publish(k op.Key) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.extras = append(s.extras, k)
}

func (s *storage) refreshActive(token string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	rt, ok := s.refreshTokens[token]
	return ok && time.Now().Before(rt.expiry)
}

func (s *storage) accessActive(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	at, ok := s.accessTokens[id]
	return ok && time.Now().Before(at.expiry)
}

// revokeFamilyLocked deletes every live refresh token of family and the
// access tokens issued with them.
func (s *storage) revokeFamilyLocked(family string) {
	for tok, rt := range s.refreshTokens {
		if rt.family == family {
			delete(s.refreshTokens, tok)
			delete(s.accessTokens, rt.accessToken)
		}
	}
}

func (s *storage) newAccessTokenLocked(clientID, subject, refresh string, audience, scopes []string) *accessToken {
	at := &accessToken{
		id:           rand.Text(),
		clientID:     clientID,
		subject:      subject,
		refreshToken: refresh,
		audience:     audience,
		scopes:       scopes,
		expiry:       time.Now().Add(s.accessTTL),
	}
	s.accessTokens[at.id] = at
	return at
}

// ---- op.AuthStorage ----

// CreateAuthRequest implements [op.AuthStorage]. It refuses prompt=none (there
// is no login session to reuse) and PKCE methods other than S256.
func (s *storage) CreateAuthRequest(_ context.Context, r *oidc.AuthRequest, userID string) (op.AuthRequest, error) {
	if len(r.Prompt) == 1 && r.Prompt[0] == oidc.PromptNone {
		return nil, oidc.ErrLoginRequired()
	}
	var cc *oidc.CodeChallenge
	if r.CodeChallenge != "" {
		if r.CodeChallengeMethod != oidc.CodeChallengeMethodS256 {
			return nil, oidc.ErrInvalidRequest().WithDescription("code_challenge_method must be S256")
		}
		cc = &oidc.CodeChallenge{Challenge: r.CodeChallenge, Method: r.CodeChallengeMethod}
	}
	req := &authRequest{
		id:            rand.Text(),
		clientID:      r.ClientID,
		redirectURI:   r.RedirectURI,
		state:         r.State,
		nonce:         r.Nonce,
		scopes:        slices.Clone(r.Scopes),
		responseType:  r.ResponseType,
		responseMode:  r.ResponseMode,
		codeChallenge: cc,
		userID:        userID,
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.authRequests[req.id] = req
	return req, nil
}

// AuthRequestByID implements [op.AuthStorage].
func (s *storage) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.authRequests[id]
	if !ok {
		return nil, errors.New("auth request not found")
	}
	return req, nil
}

// AuthRequestByCode implements [op.AuthStorage]. A code works once: the op
// deletes the auth request (and so the code) when it issues tokens.
func (s *storage) AuthRequestByCode(_ context.Context, code string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.authRequests[s.codes[code]]
	if !ok {
		return nil, errors.New("code invalid or already used")
	}
	return req, nil
}

// SaveAuthCode implements [op.AuthStorage].
func (s *storage) SaveAuthCode(_ context.Context, id, code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes[code] = id
	return nil
}

// DeleteAuthRequest implements [op.AuthStorage].
func (s *storage) DeleteAuthRequest(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.authRequests, id)
	for code, rid := range s.codes {
		if rid == id {
			delete(s.codes, code)
		}
	}
	return nil
}

// CreateAccessToken implements [op.AuthStorage].
func (s *storage) CreateAccessToken(_ context.Context, r op.TokenRequest) (string, time.Time, error) {
	var clientID string
	if c, ok := r.(interface{ GetClientID() string }); ok {
		clientID = c.GetClientID()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	at := s.newAccessTokenLocked(clientID, r.GetSubject(), "", r.GetAudience(), r.GetScopes())
	return at.id, at.expiry, nil
}

// CreateAccessAndRefreshTokens implements [op.AuthStorage]. With an empty
// current token it starts a new refresh-token family (code flow with
// offline_access); otherwise it rotates current, which stops working.
func (s *storage) CreateAccessAndRefreshTokens(_ context.Context, r op.TokenRequest, current string) (string, string, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	newRefresh := rand.Text()
	if current == "" {
		ar, ok := r.(*authRequest)
		if !ok {
			return "", "", time.Time{}, fmt.Errorf("testidp: unexpected token request %T", r)
		}
		at := s.newAccessTokenLocked(ar.clientID, ar.userID, newRefresh, ar.GetAudience(), ar.scopes)
		s.refreshTokens[newRefresh] = &refreshToken{
			token:       newRefresh,
			family:      newRefresh,
			clientID:    ar.clientID,
			userID:      ar.userID,
			audience:    ar.GetAudience(),
			scopes:      ar.scopes,
			amr:         ar.GetAMR(),
			authTime:    ar.authTime,
			expiry:      time.Now().Add(s.refreshTTL),
			accessToken: at.id,
		}
		return at.id, newRefresh, at.expiry, nil
	}
	old, ok := s.refreshTokens[current]
	if !ok {
		// Lost a race with a concurrent refresh of the same token: reuse.
		if family, used := s.rotated[current]; used {
			s.revokeFamilyLocked(family)
		}
		return "", "", time.Time{}, oidc.ErrInvalidGrant().WithDescription("refresh token is invalid or was already used")
	}
	delete(s.refreshTokens, current)
	delete(s.accessTokens, old.accessToken)
	s.rotated[current] = old.family
	scopes := r.GetScopes() // may be narrowed by the request
	at := s.newAccessTokenLocked(old.clientID, old.userID, newRefresh, old.audience, scopes)
	s.refreshTokens[newRefresh] = &refreshToken{
		token:       newRefresh,
		family:      old.family,
		clientID:    old.clientID,
		userID:      old.userID,
		audience:    old.audience,
		scopes:      old.scopes, // narrowing applies to this response only
		amr:         old.amr,
		authTime:    old.authTime,
		expiry:      time.Now().Add(s.refreshTTL),
		accessToken: at.id,
	}
	return at.id, newRefresh, at.expiry, nil
}

// TokenRequestByRefreshToken implements [op.AuthStorage]. A token that was
// already rotated is reuse: the whole family is revoked and the grant fails.
func (s *storage) TokenRequestByRefreshToken(_ context.Context, token string) (op.RefreshTokenRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rt, ok := s.refreshTokens[token]
	if !ok {
		if family, used := s.rotated[token]; used {
			s.revokeFamilyLocked(family)
			return nil, errors.New("refresh token reused; family revoked")
		}
		return nil, errors.New("unknown refresh token")
	}
	if time.Now().After(rt.expiry) {
		return nil, errors.New("refresh token expired")
	}
	return &refreshRequest{
		token:    rt.token,
		clientID: rt.clientID,
		userID:   rt.userID,
		audience: slices.Clone(rt.audience),
		scopes:   slices.Clone(rt.scopes),
		amr:      slices.Clone(rt.amr),
		authTime: rt.authTime,
	}, nil
}

// TerminateSession implements [op.AuthStorage]: end_session removes the
// user's access and refresh tokens for the client.
func (s *storage) TerminateSession(_ context.Context, userID, clientID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, at := range s.accessTokens {
		if at.subject == userID && at.clientID == clientID {
			delete(s.accessTokens, id)
		}
	}
	for tok, rt := range s.refreshTokens {
		if rt.userID == userID && rt.clientID == clientID {
			delete(s.refreshTokens, tok)
		}
	}
	return nil
}

// GetRefreshTokenInfo implements [op.AuthStorage]. The token is its own ID.
func (s *storage) GetRefreshTokenInfo(_ context.Context, _ string, token string) (string, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rt, ok := s.refreshTokens[token]
	if !ok {
		return "", "", op.ErrInvalidRefreshToken
	}
	return rt.userID, rt.token, nil
}

// RevokeToken implements [op.AuthStorage] for RFC 7009. Revoking a refresh
// token also revokes the access token issued with it. Unknown tokens are
// ignored, as RFC 7009 §2.2 asks.
func (s *storage) RevokeToken(_ context.Context, tokenOrID, _ string, clientID string) *oidc.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if at, ok := s.accessTokens[tokenOrID]; ok {
		if at.clientID != clientID {
			return oidc.ErrInvalidClient().WithDescription("token was not issued to this client")
		}
		delete(s.accessTokens, tokenOrID)
		return nil
	}
	if rt, ok := s.refreshTokens[tokenOrID]; ok {
		if rt.clientID != clientID {
			return oidc.ErrInvalidClient().WithDescription("token was not issued to this client")
		}
		delete(s.refreshTokens, tokenOrID)
		delete(s.accessTokens, rt.accessToken)
	}
	return nil
}

// SigningKey implements [op.AuthStorage].
func (s *storage) SigningKey(context.Context) (op.SigningKey, error) {
	return &signingKey{id: s.keyID, key: s.key}, nil
}

// SignatureAlgorithms implements [op.AuthStorage].
func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

// KeySet implements [op.AuthStorage]: the signing key, then any key added
// with [IDP.PublishKey].
func (s *storage) KeySet(context.Context) ([]op.Key, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := []op.Key{&publicKey{id: s.keyID, alg: jose.RS256, key: &s.key.PublicKey}}
	return append(keys, s.extras...), nil
}

// ---- op.OPStorage ----

// GetClientByClientID implements [op.OPStorage].
func (s *storage) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[id]
	if !ok {
		return nil, oidc.ErrInvalidClient().WithDescription("unknown client")
	}
	return c, nil
}

// AuthorizeClientIDSecret implements [op.OPStorage].
func (s *storage) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[id]
	if !ok || c.c.AuthMethod == AuthMethodNone {
		return errors.New("unknown client")
	}
	if subtle.ConstantTimeCompare([]byte(secret), []byte(c.c.Secret)) != 1 {
		return errors.New("wrong client secret")
	}
	return nil
}

// SetUserinfoFromScopes implements [op.OPStorage]; the work is done in
// SetUserinfoFromRequest, as zitadel recommends.
func (s *storage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

// SetUserinfoFromRequest implements [op.CanSetUserinfoFromRequest]; it fills
// the ID token's user claims.
func (s *storage) SetUserinfoFromRequest(_ context.Context, info *oidc.UserInfo, r op.IDTokenRequest, scopes []string) error {
	return s.setUserinfo(info, r.GetSubject(), scopes)
}

// SetUserinfoFromToken implements [op.OPStorage] for the userinfo endpoint.
func (s *storage) SetUserinfoFromToken(_ context.Context, info *oidc.UserInfo, tokenID, _, _ string) error {
	s.mu.Lock()
	at, ok := s.accessTokens[tokenID]
	s.mu.Unlock()
	if !ok || time.Now().After(at.expiry) {
		return errors.New("access token invalid or expired")
	}
	return s.setUserinfo(info, at.subject, at.scopes)
}

// SetIntrospectionFromToken implements [op.OPStorage].
func (s *storage) SetIntrospectionFromToken(_ context.Context, resp *oidc.IntrospectionResponse, tokenID, subject, clientID string) error {
	s.mu.Lock()
	at, ok := s.accessTokens[tokenID]
	s.mu.Unlock()
	if !ok || time.Now().After(at.expiry) || !slices.Contains(at.audience, clientID) {
		return errors.New("access token invalid")
	}
	info := new(oidc.UserInfo)
	if err := s.setUserinfo(info, subject, at.scopes); err != nil {
		return err
	}
	resp.SetUserInfo(info)
	resp.Scope = at.scopes
	resp.ClientID = at.clientID
	resp.Expiration = oidc.FromTime(at.expiry)
	return nil
}

// GetPrivateClaimsFromScopes implements [op.OPStorage]; there are none.
func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

// GetKeyByIDAndClientID implements [op.OPStorage]; JWT profile grants are not
// supported.
func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errors.New("jwt profile not supported")
}

// ValidateJWTProfileScopes implements [op.OPStorage]; JWT profile grants are
// not supported.
func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("jwt profile not supported")
}

// Health implements [op.Storage].
func (s *storage) Health(context.Context) error { return nil }

func (s *storage) setUserinfo(info *oidc.UserInfo, userID string, scopes []string) error {
	s.mu.Lock()
	u, ok := s.usersByID[userID]
	s.mu.Unlock()
	if !ok {
		return errors.New("user not found")
	}
	for _, scope := range scopes {
		switch scope {
		case oidc.ScopeOpenID:
			info.Subject = u.ID
		case oidc.ScopeEmail:
			info.Email = u.Email
			info.EmailVerified = oidc.Bool(u.EmailVerified)
			if u.Email != "" && !u.EmailVerified {
				// oidc.UserInfo drops a false email_verified (omitempty).
				info.AppendClaims("email_verified", false)
			}
		case oidc.ScopeProfile:
			info.PreferredUsername = u.Username
			info.Name = u.Name
			info.GivenName = u.GivenName
			info.FamilyName = u.FamilyName
			info.Picture = u.Picture
		}
	}
	for k, v := range u.Claims {
		info.AppendClaims(k, v)
	}
	return nil
}
