package authgo

import (
	"context"
	"net/http"
	"time"

	"github.com/authgo/authgo/internal/jsonw"
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
	return u.appendJSON(make([]byte, 0, 128))
}

func (u *SessionUser) appendJSON(b []byte) ([]byte, error) {
	b = append(b, '{')
	var buf [4]string
	written := buf[:0]
	var err error
	for _, m := range [...]struct{ name, v string }{{"id", u.ID}, {"name", u.Name}, {"email", u.Email}, {"image", u.Image}} {
		if b, written, err = appendField(b, written, m.name, m.v, u.Extra); err != nil {
			return nil, err
		}
	}
	if b, err = jsonw.Extra(b, len(written) > 0, written, u.Extra); err != nil {
		return nil, err
	}
	return append(b, '}'), nil
}

// appendField appends a string member unless it is empty; an Extra value
// of the same name stands in for an empty one, in its place.
func appendField(b []byte, written []string, name, v string, extra map[string]any) ([]byte, []string, error) {
	x, fromExtra := extra[name]
	if v == "" && !fromExtra {
		return b, written, nil
	}
	if len(written) > 0 {
		b = append(b, ',')
	}
	b = append(jsonw.String(b, name), ':')
	if v != "" {
		return jsonw.String(b, v), append(written, name), nil
	}
	b, err := jsonw.Value(b, x)
	return b, append(written, name), err
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
// toISOString form. Extra members follow, in key order.
func (s Session) MarshalJSON() ([]byte, error) {
	return s.appendJSON(make([]byte, 0, 256))
}

func (s *Session) appendJSON(b []byte) ([]byte, error) {
	b = append(b, '{')
	var buf [2]string
	written := buf[:0]
	var err error
	if s.User != nil {
		b = append(b, `"user":`...)
		if b, err = s.User.appendJSON(b); err != nil {
			return nil, err
		}
		written = append(written, "user")
	}
	if !s.Expires.IsZero() {
		if len(written) > 0 {
			b = append(b, ',')
		}
		b = append(b, `"expires":"`...)
		b = append(s.Expires.UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z"), '"')
		written = append(written, "expires")
	} else if b, written, err = appendField(b, written, "expires", "", s.Extra); err != nil {
		return nil, err
	}
	if b, err = jsonw.Extra(b, len(written) > 0, written, s.Extra); err != nil {
		return nil, err
	}
	return append(b, '}'), nil
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
