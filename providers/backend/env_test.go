package backend_test

import (
	"net/url"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/providers/backend"
)

func TestFromEnv(t *testing.T) {
	t.Parallel()
	const u = "https://api.example.com"
	for _, tc := range []struct {
		name    string
		env     map[string]string
		wantErr string // "" = no error
		wantNil bool
	}{
		{name: "nothing set", wantNil: true},
		{name: "empty login URL", env: map[string]string{"AUTH_BACKEND_LOGIN_URL": ""}, wantNil: true},
		{name: "login only", env: map[string]string{"AUTH_BACKEND_LOGIN_URL": u + "/login"}},
		{name: "refresh without login", env: map[string]string{"AUTH_BACKEND_REFRESH_URL": u + "/refresh"},
			wantErr: "AUTH_BACKEND_REFRESH_URL set but AUTH_BACKEND_LOGIN_URL not"},
		{name: "field without login", env: map[string]string{"AUTH_BACKEND_ACCESS_TOKEN_FIELD": "token"},
			wantErr: "AUTH_BACKEND_ACCESS_TOKEN_FIELD set but AUTH_BACKEND_LOGIN_URL not"},
		{name: "plain http", env: map[string]string{"AUTH_BACKEND_LOGIN_URL": "http://api.example.com/login"}, wantErr: "LoginURL"},
		{name: "bad refresh URL", env: map[string]string{"AUTH_BACKEND_LOGIN_URL": u, "AUTH_BACKEND_REFRESH_URL": "refresh"}, wantErr: "RefreshURL"},
		{name: "jwks without issuer", env: map[string]string{"AUTH_BACKEND_LOGIN_URL": u, "AUTH_BACKEND_JWKS_URL": u + "/jwks"},
			wantErr: "AUTH_BACKEND_ISSUER"},
		{name: "introspection without client", env: map[string]string{"AUTH_BACKEND_LOGIN_URL": u, "AUTH_BACKEND_INTROSPECTION_URL": u + "/i", "AUTH_BACKEND_CLIENT_ID": "a"},
			wantErr: "AUTH_BACKEND_CLIENT_SECRET"},
		{name: "client without introspection", env: map[string]string{"AUTH_BACKEND_LOGIN_URL": u, "AUTH_BACKEND_CLIENT_ID": "a", "AUTH_BACKEND_CLIENT_SECRET": "b"},
			wantErr: "AUTH_BACKEND_INTROSPECTION_URL not"},
		{name: "audience alone", env: map[string]string{"AUTH_BACKEND_LOGIN_URL": u, "AUTH_BACKEND_AUDIENCE": "x"},
			wantErr: "AUTH_BACKEND_JWKS_URL or AUTH_BACKEND_INTROSPECTION_URL"},
		{name: "everything", env: map[string]string{
			"AUTH_BACKEND_LOGIN_URL": u + "/login", "AUTH_BACKEND_REFRESH_URL": u + "/refresh", "AUTH_BACKEND_USERINFO_URL": u + "/me",
			"AUTH_BACKEND_JWKS_URL": u + "/jwks", "AUTH_BACKEND_ISSUER": u, "AUTH_BACKEND_AUDIENCE": "api",
			"AUTH_BACKEND_INTROSPECTION_URL": u + "/i", "AUTH_BACKEND_CLIENT_ID": "a", "AUTH_BACKEND_CLIENT_SECRET": "b",
			"AUTH_BACKEND_ACCESS_TOKEN_FIELD": "access_token", "AUTH_BACKEND_REFRESH_TOKEN_FIELD": "refresh_token", "AUTH_BACKEND_EXPIRES_IN_FIELD": "expires_in",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := backend.FromEnv(func(k string) string { return tc.env[k] })
			switch {
			case tc.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || p != nil {
					t.Fatalf("got %v, want an error with %q", err, tc.wantErr)
				}
			case tc.wantNil:
				if p != nil || err != nil {
					t.Fatal(p, err)
				}
			default:
				if err != nil || p == nil || p.ID() != "credentials" {
					t.Fatal(p, err)
				}
			}
		})
	}
}

// TestFromEnvWorks: the variables reach the provider: field names, the
// refresh endpoint and the JWKS.
func TestFromEnvWorks(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.atField, f.rtField, f.rtReqField, f.expField = "access_token", "refresh_token", "refresh_token", "expires_in"
	f.expiresIn = 120
	env := map[string]string{
		"AUTH_BACKEND_LOGIN_URL": f.URL + "/login", "AUTH_BACKEND_REFRESH_URL": f.URL + "/refresh",
		"AUTH_BACKEND_JWKS_URL": f.URL + "/jwks", "AUTH_BACKEND_ISSUER": f.URL, "AUTH_BACKEND_AUDIENCE": audience,
		"AUTH_BACKEND_ACCESS_TOKEN_FIELD": "access_token", "AUTH_BACKEND_REFRESH_TOKEN_FIELD": "refresh_token", "AUTH_BACKEND_EXPIRES_IN_FIELD": "expires_in",
	}
	p, err := backend.FromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	a := site(t, p, nil)
	_, cookie := signIn(t, a, url.Values{"username": {"alice"}, "password": {"wonderland"}})
	if cookie == "" {
		t.Fatal("no session")
	}
	tok := decode(t, cookie)
	if _, err := p.Refresh(t.Context(), tok.StringClaim(authgo.ClaimRefreshToken)); err != nil {
		t.Fatal(err)
	}
	// The JWKS is in force: a token from another key is refused.
	_, evil := keys()
	if _, cookie := signIn(t, a, url.Values{"accessToken": {sign(f.claims("user-1"), evil, "k1", jose.RS256, nil)}}); cookie != "" {
		t.Fatal("a forged token signed in")
	}
	if _, cookie := signIn(t, a, url.Values{"accessToken": {sign(f.claims("user-1"), f.key, "k1", jose.RS256, nil)}}); cookie == "" {
		t.Fatal("a good token was refused")
	}
}
