package authgo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"

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

// RequireSession wraps h so it runs only for signed-in requests, with the
// session in the request context (SessionFromContext, or a.Session). A
// signed-out request for a page (GET or HEAD) is redirected to the sign-in
// page with a callbackUrl back to where it was going (303 for other
// methods); a request that asks for JSON and not HTML gets 401 with a JSON
// body.
func (a *Auth) RequireSession(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _, err := a.readSession(r)
		if err != nil {
			a.log.Error("authgo: session callback failed", "err", err)
		}
		if s == nil {
			a.deny(w, r)
			return
		}
		h.ServeHTTP(w, r.WithContext(WithSession(r.Context(), s)))
	})
}

// deny answers a request that needs a session and has none.
func (a *Auth) deny(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "private, no-cache, no-store")
	if wantsJSON(r) {
		writeJSON(w, http.StatusUnauthorized, []byte(`{"error":"unauthenticated","message":"sign in to use this resource"}`))
		return
	}
	o, err := a.requestOrigin(r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, []byte(`"Bad request."`))
		return
	}
	page := a.cfg.BasePath + "/signin"
	if a.cfg.Pages.SignIn != "" {
		page = a.cfg.Pages.SignIn
	}
	back := o.String() + r.URL.RequestURI()
	loc := o.String() + page + sep(page) + "callbackUrl=" + url.QueryEscape(back)
	status := http.StatusFound
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		status = http.StatusSeeOther
	}
	w.Header().Set("Location", loc)
	w.WriteHeader(status)
}

// wantsJSON reports whether the Accept header names application/json and
// not text/html.
func wantsJSON(r *http.Request) bool {
	acc := strings.ToLower(strings.Join(r.Header.Values("Accept"), ","))
	return strings.Contains(acc, "application/json") && !strings.Contains(acc, "text/html")
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
