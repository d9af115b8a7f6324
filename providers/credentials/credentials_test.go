package credentials_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/provider"
	"github.com/authgo/authgo/providers/credentials"
)

func TestNew(t *testing.T) {
	if _, err := credentials.New(credentials.Options{}); err == nil {
		t.Fatal("no Authorize accepted")
	}
	auth := func(context.Context, provider.Credentials, *http.Request) (*authgo.User, error) { return nil, nil }
	if _, err := credentials.New(credentials.Options{Authorize: auth, Fields: []provider.Field{{Name: "csrfToken"}}}); err == nil {
		t.Fatal("a field named csrfToken accepted")
	}
	p, err := credentials.New(credentials.Options{Authorize: auth})
	if err != nil {
		t.Fatal(err)
	}
	if p.ID() != "credentials" || p.Name() != "Credentials" || len(p.Fields()) != 2 || p.Fields()[1].Type != "password" {
		t.Fatalf("defaults: %s %s %+v", p.ID(), p.Name(), p.Fields())
	}
	p.Fields()[0].Name = "changed"
	if p.Fields()[0].Name != "username" {
		t.Fatal("Fields exposes internal state")
	}
}
