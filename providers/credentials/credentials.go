// Package credentials is the Auth.js Credentials provider: the user types
// what the form asks for (a username and password, a one-time code, …) and
// the application's Authorize function says who that is.
//
// Sessions made this way are JWT sessions, as in Auth.js. Authorize is the
// place to compare passwords in constant time and to spend the same time on
// unknown users as on wrong passwords.
package credentials

import (
	"context"
	"errors"
	"net/http"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/provider"
)

// Options configure a credentials provider.
type Options struct {
	// ID is the provider id, the last segment of <base>/callback/<id>.
	// Default "credentials".
	ID string
	// Name is shown on the sign-in page. Default "Credentials".
	Name string
	// Fields describe the form on the built-in sign-in page. Default: a
	// "username" text field and a "password" password field.
	Fields []provider.Field
	// Authorize returns the user the credentials belong to, (nil, nil) when
	// they are wrong, or a *provider.CredentialsError to choose the code the
	// sign-in page shows. Any other error is logged and shown as a server
	// error. Required.
	Authorize func(ctx context.Context, c provider.Credentials, r *http.Request) (*authgo.User, error)
}

// Provider is a credentials provider. It is immutable and safe for
// concurrent use.
type Provider struct{ o Options }

// New returns a credentials provider. It fails without an Authorize
// function.
func New(o Options) (*Provider, error) {
	if o.Authorize == nil {
		return nil, errors.New("credentials: Options.Authorize is required")
	}
	if o.ID == "" {
		o.ID = "credentials"
	}
	if o.Name == "" {
		o.Name = "Credentials"
	}
	if len(o.Fields) == 0 {
		o.Fields = []provider.Field{
			{Name: "username", Label: "Username", Type: "text", Autocomplete: "username"},
			{Name: "password", Label: "Password", Type: "password", Autocomplete: "current-password"},
		}
	}
	for _, f := range o.Fields {
		if f.Name == "" || f.Name == "csrfToken" || f.Name == "callbackUrl" {
			return nil, errors.New("credentials: a field needs a name other than csrfToken and callbackUrl")
		}
	}
	o.Fields = append([]provider.Field(nil), o.Fields...)
	return &Provider{o}, nil
}

// ID implements provider.Provider.
func (p *Provider) ID() string { return p.o.ID }

// Name implements provider.Provider.
func (p *Provider) Name() string { return p.o.Name }

// Type implements provider.Provider.
func (p *Provider) Type() provider.Type { return provider.TypeCredentials }

// Fields implements provider.CredentialsProvider.
func (p *Provider) Fields() []provider.Field { return append([]provider.Field(nil), p.o.Fields...) }

// Authorize implements provider.CredentialsProvider.
func (p *Provider) Authorize(ctx context.Context, c provider.Credentials, r *http.Request) (*authgo.User, error) {
	return p.o.Authorize(ctx, c, r)
}
