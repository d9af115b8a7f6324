package authgo

// With Config.Debug on, the endpoints, Session and the middleware log each
// decision at slog.LevelDebug, each call behind `if a.cfg.Debug` so that
// the arguments cost nothing when it is off. The lines name decisions and
// carry no secret: never a cookie value, token, password, code, state,
// query string or Authorization header.

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/authgo/authgo/jwt"
)

// sessionState names what a session read found, for the debug log: tok and
// err are what decodeSession or open returned.
func sessionState(tok *Token, err error) string {
	switch {
	case errors.Is(err, errRevoked):
		return "revoked"
	case errors.Is(err, errRevocationUnknown):
		return "refused: the revocation store did not answer (cookie kept)"
	case errors.Is(err, jwt.ErrExpired):
		return "expired"
	case errors.Is(err, errLifetime):
		return "expired: older than Session.MaxLifetime"
	case err != nil:
		return "invalid"
	case tok == nil:
		return "absent"
	}
	return "found"
}

// csrfState names the outcome of the CSRF check of a POST to an endpoint,
// for the debug log.
func csrfState(cookie, cookieOK bool, posted string, verified bool) string {
	switch {
	case verified:
		return "passed"
	case !cookie:
		return "failed: no CSRF cookie"
	case !cookieOK:
		return "failed: the CSRF cookie is forged or made with another secret"
	case posted == "":
		return "failed: no csrfToken posted"
	}
	return "failed: the posted csrfToken does not match the cookie"
}

// reqAttr names the request in debug lines: method and path, never the
// query (it can carry an OAuth code or state).
func reqAttr(r *http.Request) slog.Attr {
	return slog.Group("request", "method", r.Method, "path", r.URL.Path)
}
