package backend

import (
	"errors"
	"fmt"
	"strings"
)

// envVars are the variables FromEnv reads, AUTH_BACKEND_LOGIN_URL first.
var envVars = []string{
	"AUTH_BACKEND_LOGIN_URL",
	"AUTH_BACKEND_REFRESH_URL",
	"AUTH_BACKEND_USERINFO_URL",
	"AUTH_BACKEND_JWKS_URL",
	"AUTH_BACKEND_ISSUER",
	"AUTH_BACKEND_AUDIENCE",
	"AUTH_BACKEND_INTROSPECTION_URL",
	"AUTH_BACKEND_CLIENT_ID",
	"AUTH_BACKEND_CLIENT_SECRET",
	"AUTH_BACKEND_ACCESS_TOKEN_FIELD",
	"AUTH_BACKEND_REFRESH_TOKEN_FIELD",
	"AUTH_BACKEND_EXPIRES_IN_FIELD",
}

// FromEnv builds the provider from the AUTH_BACKEND_* variables listed in
// the package doc. getenv returns "" for an unset variable, as os.Getenv
// does; an empty value counts as unset. It returns (nil, nil) when
// AUTH_BACKEND_LOGIN_URL is unset and no other of the variables is set,
// and an error naming the variables when the set is incomplete (a JWKS URL
// without an issuer, an introspection URL without client credentials, …).
func FromEnv(getenv func(string) string) (*Provider, error) {
	var set []string
	for _, n := range envVars {
		if getenv(n) != "" {
			set = append(set, n)
		}
	}
	if getenv("AUTH_BACKEND_LOGIN_URL") == "" {
		if len(set) > 0 {
			return nil, fmt.Errorf("backend: %s set but AUTH_BACKEND_LOGIN_URL not", strings.Join(set, ", "))
		}
		return nil, nil
	}
	has := func(n string) bool { return getenv(n) != "" }
	switch {
	case has("AUTH_BACKEND_JWKS_URL") && !has("AUTH_BACKEND_ISSUER"):
		return nil, errors.New("backend: AUTH_BACKEND_JWKS_URL set but AUTH_BACKEND_ISSUER not")
	case has("AUTH_BACKEND_INTROSPECTION_URL") && (!has("AUTH_BACKEND_CLIENT_ID") || !has("AUTH_BACKEND_CLIENT_SECRET")):
		return nil, errors.New("backend: AUTH_BACKEND_INTROSPECTION_URL needs AUTH_BACKEND_CLIENT_ID and AUTH_BACKEND_CLIENT_SECRET")
	case !has("AUTH_BACKEND_INTROSPECTION_URL") && (has("AUTH_BACKEND_CLIENT_ID") || has("AUTH_BACKEND_CLIENT_SECRET")):
		return nil, errors.New("backend: AUTH_BACKEND_CLIENT_ID and AUTH_BACKEND_CLIENT_SECRET set but AUTH_BACKEND_INTROSPECTION_URL not")
	case !has("AUTH_BACKEND_JWKS_URL") && !has("AUTH_BACKEND_INTROSPECTION_URL") && (has("AUTH_BACKEND_ISSUER") || has("AUTH_BACKEND_AUDIENCE")):
		return nil, errors.New("backend: AUTH_BACKEND_ISSUER and AUTH_BACKEND_AUDIENCE need AUTH_BACKEND_JWKS_URL or AUTH_BACKEND_INTROSPECTION_URL")
	}
	p, err := New(Options{
		LoginURL:          getenv("AUTH_BACKEND_LOGIN_URL"),
		RefreshURL:        getenv("AUTH_BACKEND_REFRESH_URL"),
		UserinfoURL:       getenv("AUTH_BACKEND_USERINFO_URL"),
		JWKSURL:           getenv("AUTH_BACKEND_JWKS_URL"),
		Issuer:            getenv("AUTH_BACKEND_ISSUER"),
		Audience:          getenv("AUTH_BACKEND_AUDIENCE"),
		IntrospectionURL:  getenv("AUTH_BACKEND_INTROSPECTION_URL"),
		ClientID:          getenv("AUTH_BACKEND_CLIENT_ID"),
		ClientSecret:      getenv("AUTH_BACKEND_CLIENT_SECRET"),
		AccessTokenField:  getenv("AUTH_BACKEND_ACCESS_TOKEN_FIELD"),
		RefreshTokenField: getenv("AUTH_BACKEND_REFRESH_TOKEN_FIELD"),
		ExpiresInField:    getenv("AUTH_BACKEND_EXPIRES_IN_FIELD"),
	})
	if err != nil {
		return nil, fmt.Errorf("%w (from the AUTH_BACKEND_* variables)", err)
	}
	return p, nil
}
