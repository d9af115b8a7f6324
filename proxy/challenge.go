package proxy

import (
	"net/http"

	"github.com/authgo/authgo/internal/challenge"
)

// IsInvalidTokenResponse reports whether res is an API's refusal of the
// bearer token it was sent: status 401 with a Bearer challenge whose error
// is "invalid_token" (RFC 6750 §3.1: expired, revoked or malformed). A 401
// without that challenge, or a 403 insufficient_scope, is not.
//
// The proxy and authgo's Client check every answer with it and call
// [authgo.Auth.MarkAccessTokenRejected] themselves; call it when you send
// the session's access token to an API some other way.
func IsInvalidTokenResponse(res *http.Response) bool { return challenge.InvalidToken(res) }
