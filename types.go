package authgo

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"time"

	"github.com/authgo/authgo/jwt"
)

// Token is the claims set kept in the session cookie. See [jwt.Token].
type Token = jwt.Token

// User is who signed in, as a provider describes them: Auth.js's User.
type User struct {
	ID    string `json:"id,omitempty"`
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
	Image string `json:"image,omitempty"`
	// Extra carries whatever else a provider knows about the sign-in, such
	// as the access token a back end returned. It reaches the JWT callback
	// (JWTParams.User) and goes no further unless that callback copies it
	// into the token.
	Extra map[string]any `json:"-"`
}

// Account is how a user signed in: the provider and, for OAuth providers,
// the tokens it returned. Auth.js's Account.
type Account struct {
	Provider          string `json:"provider"`
	Type              string `json:"type"`
	ProviderAccountID string `json:"providerAccountId"`
	AccessToken       string `json:"access_token,omitempty"`
	RefreshToken      string `json:"refresh_token,omitempty"`
	IDToken           string `json:"id_token,omitempty"`
	TokenType         string `json:"token_type,omitempty"`
	Scope             string `json:"scope,omitempty"`
	ExpiresAt         int64  `json:"expires_at,omitempty"` // Unix seconds
}

// SessionUser is the "user" object of a session. The default session has
// Name, Email and Image; a Session callback may fill ID and Extra.
type SessionUser struct {
	ID    string
	Name  string
	Email string
	Image string
	// Extra members of the user object, written after the ones above.
	Extra map[string]any
}

// MarshalJSON writes the set fields, then Extra in key order.
func (u SessionUser) MarshalJSON() ([]byte, error) {
	return marshalObject([]member{{"id", u.ID}, {"name", u.Name}, {"email", u.Email}, {"image", u.Image}}, u.Extra)
}

// Session is what GET <base>/session returns and what [Auth.Session] gives
// server code: Auth.js's {"user":{…},"expires":"…"} plus whatever a Session
// callback adds in Extra.
type Session struct {
	User    *SessionUser
	Expires time.Time
	// Extra top-level members, e.g. {"accessToken": …} when a Session
	// callback chooses to expose one.
	Extra map[string]any
}

// MarshalJSON writes the session as Auth.js does; Expires in JavaScript's
// toISOString form (UTC, milliseconds).
func (s Session) MarshalJSON() ([]byte, error) {
	m := []member{}
	if s.User != nil {
		m = append(m, member{"user", s.User})
	}
	if !s.Expires.IsZero() {
		m = append(m, member{"expires", s.Expires.UTC().Format("2006-01-02T15:04:05.000Z")})
	}
	return marshalObject(m, s.Extra)
}

type member struct {
	name  string
	value any
}

// marshalObject writes the members that are not empty strings, then extra
// in key order, skipping extra keys that repeat a member. Strings and
// nested objects of ours are written directly: this runs on every session
// read.
func marshalObject(ms []member, extra map[string]any) ([]byte, error) {
	b := make([]byte, 0, 256)
	b = append(b, '{')
	var names [8]string
	n := 0
	write := func(name string, v any) error {
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = appendString(b, name)
		b = append(b, ':')
		switch v := v.(type) {
		case string:
			b = appendString(b, v)
		case json.Marshaler:
			enc, err := v.MarshalJSON()
			if err != nil {
				return err
			}
			b = append(b, enc...)
		default:
			enc, err := json.Marshal(v)
			if err != nil {
				return err
			}
			b = append(b, enc...)
		}
		return nil
	}
	for _, m := range ms {
		if s, ok := m.value.(string); ok && s == "" {
			x, ok := extra[m.name]
			if !ok {
				continue
			}
			m.value = x // an Extra value stands in for an empty field, in its place
		}
		if n < len(names) {
			names[n] = m.name
			n++
		}
		if err := write(m.name, m.value); err != nil {
			return nil, err
		}
	}
	if len(extra) > 0 {
		keys := make([]string, 0, len(extra))
		for k := range extra {
			if !slices.Contains(names[:n], k) {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			if err := write(k, extra[k]); err != nil {
				return nil, err
			}
		}
	}
	return append(b, '}'), nil
}

// appendString appends s as a JSON string, escaping as encoding/json does
// but leaving <, > and & alone (the body is served as application/json).
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x7f {
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			enc.Encode(s)
			return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// ProviderType is the kind of a provider, as GET <base>/providers reports it.
type ProviderType string

// Provider types.
const (
	TypeCredentials ProviderType = "credentials"
	TypeOAuth       ProviderType = "oauth"
	TypeOIDC        ProviderType = "oidc"
	TypeEmail       ProviderType = "email"
)

// Provider is a way to sign in. What it can do beyond naming itself is
// discovered by type assertion: a [CredentialsProvider] checks a form.
type Provider interface {
	// ID is the provider's URL segment: <base>/signin/<id>. Lowercase
	// letters, digits, "-" and "_".
	ID() string
	// Name is shown on the sign-in page.
	Name() string
	// Type is reported by GET <base>/providers.
	Type() ProviderType
}

// Field describes one input of a credentials form on the built-in sign-in
// page.
type Field struct {
	Name         string // form field name, e.g. "username"
	Label        string // shown to the user; Name when empty
	Type         string // "text", "password", "email", …
	Placeholder  string
	Autocomplete string
}

// Credentials are the fields posted to <base>/callback/<id>, without
// csrfToken and callbackUrl. A field posted twice, or posted as JSON that
// is not a string, makes the sign-in fail before Authorize is called.
type Credentials map[string]string

// CredentialsProvider checks posted credentials. The providers/credentials
// package builds one from a function.
type CredentialsProvider interface {
	Provider
	// Fields describe the form on the built-in sign-in page.
	Fields() []Field
	// Authorize returns the user the credentials belong to, or (nil, nil)
	// when they are wrong. Returning a *[CredentialsError] picks the code
	// the sign-in page gets; any other error is logged and answered as a
	// configuration error.
	Authorize(ctx context.Context, c Credentials, r *http.Request) (*User, error)
}

// TokenCredentialsProvider is a CredentialsProvider whose sign-in also
// yields tokens: a back end that answers a login with an access token and
// a refresh token. authgo keeps them in the session token (never in the
// session page scripts see) and refreshes them through the provider's
// Refresh method when it has one.
type TokenCredentialsProvider interface {
	CredentialsProvider
	AuthorizeWithTokens(ctx context.Context, c Credentials, r *http.Request) (*User, *TokenSet, error)
}
