package authgo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"

	"github.com/authgo/authgo/internal/cookie"
	"github.com/authgo/authgo/internal/csrf"
)

// Session returns the session of r, the way Auth.js's auth() does on the
// server: it decodes the session cookie and runs the JWT and Session
// callbacks. It returns (nil, nil) when the request is signed out, including
// when its cookie is expired, tampered with or made with another secret.
// It writes no cookie; GET <base>/session and the middleware do that.
//
// Behind RequireSession the session is already in the request context;
// Session then returns it without decoding again.
func (a *Auth) Session(r *http.Request) (*Session, error) {
	if s, ok := r.Context().Value(sessionKey{}).(*Session); ok {
		return s, nil
	}
	s, _, err := a.readSession(r)
	return s, err
}

// readSession decodes r's session and runs the callbacks. A bad or absent
// cookie is (nil, nil, nil); only a failing callback is an error.
func (a *Auth) readSession(r *http.Request) (*Session, *Token, error) {
	tok, _, _, err := a.decodeSession(r)
	if a.cfg.Debug {
		a.log.DebugContext(r.Context(), "authgo: Session", reqAttr(r), "state", sessionState(tok, err))
	}
	if err != nil {
		a.log.Debug("authgo: no session", "err", err)
		return nil, nil, nil
	}
	if tok == nil {
		return nil, nil, nil
	}
	ctx := r.Context()
	tok, err = a.runJWT(ctx, JWTParams{Token: tok})
	if err != nil || tok == nil {
		return nil, nil, err
	}
	s, err := a.buildSession(ctx, tok, a.now().Add(a.cfg.Session.MaxAge))
	if err != nil {
		return nil, nil, err
	}
	return s, tok, nil
}

type sessionKey struct{}

// SessionFromContext returns the session a RequireSession middleware put in
// ctx, or nil.
func SessionFromContext(ctx context.Context) *Session {
	s, _ := ctx.Value(sessionKey{}).(*Session)
	return s
}

// WithSession returns a copy of ctx carrying s, for tests and for
// middleware of your own.
func WithSession(ctx context.Context, s *Session) context.Context {
	return context.WithValue(ctx, sessionKey{}, s)
}

// newID returns a random version 4 UUID, the id Auth.js gives a user whose
// provider named none.
func newID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// CSRFToken returns the CSRF token for a form of the application's own that
// posts to the endpoints (a sign-out button, say), as GET <base>/csrf would
// give it. When r carries no valid CSRF cookie it mints one and sets it on
// w, so call it before writing the response body.
func (a *Auth) CSRFToken(w http.ResponseWriter, r *http.Request) (string, error) {
	o, err := a.requestOrigin(r)
	if err != nil {
		return "", err
	}
	names := cookie.NamesFor(o.scheme == "https")
	if v, ok := cookie.Parse(r.Header).Get(names.CSRFToken); ok {
		if tok, ok := csrf.Verify(v, a.csrfSecret); ok {
			return tok, nil
		}
	}
	tok, val := csrf.New(a.csrfSecret)
	var q cookie.Queue
	q.Set(cookie.New(names.CSRFToken, val, names.Secure, zeroTime))
	return tok, q.Write(w.Header())
}
