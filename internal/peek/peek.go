// Package peek lets authgo's own packages read a request's session token
// without the copy authgo.Auth.Token makes for the application, which may
// change what it gets: the gateway reads the identity of every proxied
// request and changes nothing. Package authgo sets Token.
package peek

import (
	"net/http"

	"github.com/authgo/authgo/jwt"
)

// Token returns the session token of r for a (an *authgo.Auth) as
// authgo.Auth.Token does, but possibly the very token other requests
// with the same cookie share (the decode cache's): the caller must not
// change it, nor its Extra map.
var Token func(a any, r *http.Request) (*jwt.Token, error)

// AccessToken returns the access token of r's session for a as
// authgo.Auth.AccessToken does, refreshed when due, but from tok (what
// Token returned for r) instead of reading the cookie again; behind the
// middleware it uses the request's tokens, as AccessToken does.
var AccessToken func(a any, r *http.Request, tok *jwt.Token) (string, error)
