package backend

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/provider"
	"github.com/authgo/authgo/providers/internal/oauthcore"
)

// invalidToken is a token that failed a check, as opposed to a verifier
// that could not be asked.
type invalidToken struct{ reason string }

func (e *invalidToken) Error() string { return "invalid token: " + e.reason }

func invalid(format string, a ...any) error { return &invalidToken{fmt.Sprintf(format, a...)} }

// tokenSignIn verifies a posted access token and signs its user in.
func (p *Provider) tokenSignIn(ctx context.Context, at string) (*authgo.User, *provider.TokenSet, error) {
	if len(at) > maxTokenSize {
		return refuse(invalid("longer than %d bytes", maxTokenSize))
	}
	var (
		claims       map[string]any
		fromUserinfo bool
		err          error
	)
	switch {
	case p.keys != nil:
		claims, err = p.verifyJWT(ctx, at)
	case p.o.IntrospectionURL != "":
		claims, err = p.introspect(ctx, at)
	case p.o.UserinfoURL != "":
		claims, err = p.userinfo(ctx, at)
		fromUserinfo = true
	default:
		return refuse(errors.New("signing in with an access token is off (no JWKSURL, IntrospectionURL or UserinfoURL)"))
	}
	var it *invalidToken
	if errors.As(err, &it) {
		return refuse(err)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("backend: verifying a posted access token: %w", err)
	}
	u, err := p.user(ctx, at, claims, fromUserinfo)
	if errors.As(err, &it) {
		return refuse(err)
	}
	if err != nil {
		return nil, nil, err
	}
	set := &provider.TokenSet{AccessToken: at}
	if exp, ok := numericDate(claims, "exp"); ok {
		set.Expiry = exp
	}
	return u, set, nil
}

// user asks UserinfoURL (unless claims came from it) and maps the claims.
func (p *Provider) user(ctx context.Context, at string, claims map[string]any, fromUserinfo bool) (*authgo.User, error) {
	if p.o.UserinfoURL != "" && !fromUserinfo {
		info, err := p.userinfo(ctx, at)
		if err != nil {
			return nil, fmt.Errorf("backend: userinfo: %w", err)
		}
		sub, infoSub := oauthcore.ID(claims, "sub"), oauthcore.ID(info, "sub")
		if sub != "" && infoSub != "" && sub != infoSub {
			return nil, invalid("userinfo names another subject than the token")
		}
		merged := make(map[string]any, len(claims)+len(info))
		for k, v := range claims {
			merged[k] = v
		}
		for k, v := range info {
			if k != "sub" || sub == "" {
				merged[k] = v
			}
		}
		claims = merged
	}
	sub := oauthcore.ID(claims, "sub")
	if sub == "" {
		if claims == nil {
			return nil, errors.New("backend: the access token is not a JWT and no UserinfoURL is configured: cannot tell who signed in")
		}
		return nil, invalid("no sub")
	}
	if p.o.Profile != nil {
		u, err := p.o.Profile(claims)
		if err != nil {
			return nil, fmt.Errorf("backend: profile: %w", err)
		}
		if u == nil {
			return nil, errors.New("backend: profile returned no user")
		}
		if u.ID == "" {
			u.ID = sub
		}
		return u, nil
	}
	name := oauthcore.String(claims, "name")
	if name == "" {
		name = oauthcore.String(claims, "preferred_username")
	}
	return &authgo.User{ID: sub, Name: name, Email: oauthcore.String(claims, "email"), Image: oauthcore.String(claims, "picture")}, nil
}

// unverifiedClaims decodes a JWS's payload without checking anything, or
// returns nil when the token is not one.
func unverifiedClaims(tok string) map[string]any {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 || len(tok) > maxTokenSize {
		return nil
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil
	}
	var m map[string]any
	if oauthcore.DecodeJSON(b, &m) != nil {
		return nil
	}
	return m
}

// verifyJWT checks a JWT access token against the JWKS (RFC 8725 §3; the
// order of tokens-bff.md §7.1) and returns its claims. A bad token is an
// *invalidToken; an unreachable JWKS another error.
func (p *Provider) verifyJWT(ctx context.Context, raw string) (map[string]any, error) {
	if len(raw) > maxTokenSize {
		return nil, invalid("longer than %d bytes", maxTokenSize)
	}
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return nil, invalid("not a compact JWS")
	}
	hb, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return nil, invalid("malformed header")
	}
	var hdr map[string]any
	if err := json.Unmarshal(hb, &hdr); err != nil || hdr == nil {
		return nil, invalid("malformed header")
	}
	alg, _ := hdr["alg"].(string)
	if !slices.Contains(p.algs, jose.SignatureAlgorithm(alg)) {
		return nil, invalid("algorithm %.20q not allowed", alg)
	}
	if _, ok := hdr["crit"]; ok {
		return nil, invalid("crit header")
	}
	if want := p.o.TokenType; want != "" {
		typ, _ := hdr["typ"].(string)
		if !typeIs(typ, want) {
			return nil, invalid("typ %.40q, want %q", typ, want)
		}
	}
	jws, err := jose.ParseSignedCompact(raw, p.algs)
	if err != nil || len(jws.Signatures) != 1 {
		return nil, invalid("malformed JWS")
	}
	payload, err := p.keys.Verify(ctx, jws)
	if errors.Is(err, oauthcore.ErrSignature) {
		return nil, invalid("%v", err)
	}
	if err != nil {
		return nil, err
	}
	var claims map[string]any
	if err := oauthcore.DecodeJSON(payload, &claims); err != nil || claims == nil {
		return nil, invalid("the payload is not a JSON object")
	}
	if iss, _ := claims["iss"].(string); iss != p.o.Issuer {
		return nil, invalid("iss %.100q, want %q", iss, p.o.Issuer)
	}
	if err := p.checkTimes(claims, true); err != nil {
		return nil, err
	}
	if p.o.Audience != "" && !hasAudience(claims["aud"], p.o.Audience) {
		return nil, invalid("aud does not contain %q", p.o.Audience)
	}
	if oauthcore.ID(claims, "sub") == "" {
		return nil, invalid("no sub")
	}
	return claims, nil
}

// typeIs compares media types as RFC 7515 §4.1.9 says: without case, with
// "application/" optional.
func typeIs(typ, want string) bool {
	norm := func(s string) string {
		s = strings.ToLower(s)
		return strings.TrimPrefix(s, "application/")
	}
	return norm(typ) == norm(want)
}

// checkTimes checks exp (required if needExp), nbf and iat with the leeway.
func (p *Provider) checkTimes(claims map[string]any, needExp bool) error {
	now, leeway := p.o.Now(), p.o.Leeway
	for _, name := range []string{"exp", "nbf", "iat"} {
		if _, present := claims[name]; present {
			if _, ok := numericDate(claims, name); !ok {
				return invalid("%s is not a NumericDate", name)
			}
		}
	}
	exp, ok := numericDate(claims, "exp")
	switch {
	case !ok && needExp:
		return invalid("no exp")
	case ok && !now.Before(exp.Add(leeway)):
		return invalid("expired")
	}
	if nbf, ok := numericDate(claims, "nbf"); ok && now.Before(nbf.Add(-leeway)) {
		return invalid("not valid yet (nbf)")
	}
	if iat, ok := numericDate(claims, "iat"); ok && iat.After(now.Add(leeway)) {
		return invalid("issued in the future (iat)")
	}
	return nil
}

// numericDate reads a NumericDate claim (RFC 7519 §2): a JSON number of
// seconds.
func numericDate(claims map[string]any, name string) (time.Time, bool) {
	n, ok := claims[name].(json.Number)
	if !ok {
		return time.Time{}, false
	}
	f, err := n.Float64()
	if err != nil || f < 0 || f > 1e11 {
		return time.Time{}, false
	}
	return time.Unix(0, 0).Add(time.Duration(f * float64(time.Second))), true
}

// hasAudience reports whether aud (a string or an array of strings, RFC
// 7519 §4.1.3) contains want.
func hasAudience(aud any, want string) bool {
	switch aud := aud.(type) {
	case string:
		return aud == want
	case []any:
		for _, a := range aud {
			if s, ok := a.(string); ok && s == want {
				return true
			}
		}
	}
	return false
}

// introspect asks IntrospectionURL about at (RFC 7662) and returns the
// answer when the token is active.
func (p *Provider) introspect(ctx context.Context, at string) (map[string]any, error) {
	form := url.Values{"token": {at}, "token_type_hint": {"access_token"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.o.IntrospectionURL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", oauthcore.BasicAuth(p.o.ClientID, p.o.ClientSecret))
	status, body, err := p.do(req)
	if err != nil {
		return nil, fmt.Errorf("introspection: %w", err)
	}
	if status == http.StatusUnauthorized {
		return nil, errors.New("introspection: the endpoint refused our client credentials (status 401)")
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("introspection: status %d", status)
	}
	var m map[string]any
	if err := oauthcore.DecodeJSON(body, &m); err != nil || m == nil {
		return nil, errors.New("introspection: the answer is not a JSON object")
	}
	if active, _ := m["active"].(bool); !active {
		return nil, invalid("inactive (introspection)")
	}
	if err := p.checkTimes(m, false); err != nil {
		return nil, err
	}
	if iss, ok := m["iss"]; ok && p.o.Issuer != "" && iss != p.o.Issuer {
		return nil, invalid("iss is not %q (introspection)", p.o.Issuer)
	}
	if aud, ok := m["aud"]; ok && p.o.Audience != "" && !hasAudience(aud, p.o.Audience) {
		return nil, invalid("aud does not contain %q (introspection)", p.o.Audience)
	}
	return m, nil
}

// userinfo GETs UserinfoURL with at as Bearer. A 401 or 403 means the
// token is not good.
func (p *Provider) userinfo(ctx context.Context, at string) (map[string]any, error) {
	m, err := oauthcore.GetJSON(ctx, p.hc, p.o.UserinfoURL, at, nil)
	var se *oauthcore.StatusError
	if errors.As(err, &se) && (se.Status == http.StatusUnauthorized || se.Status == http.StatusForbidden) {
		return nil, invalid("refused by userinfo (status %d)", se.Status)
	}
	return m, err
}
