package authgo

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"

	"github.com/authgo/authgo/internal/challenge"
	"github.com/authgo/authgo/internal/cookie"
)

type tokenKey struct{ a *Auth }

// reqTokens is a guarded request's token and the writer that can still
// set its cookie.
type reqTokens struct {
	mu        sync.Mutex
	tok       *Token
	w         *sessionWriter
	refreshed bool // a refresh was tried for this request already
}

// sessionWriter is the ResponseWriter a guarded handler gets: when the
// handler refreshes the access token (AccessToken, Client), the new
// session cookie is added just before the response's headers go out. If
// they are out already, the successor cache gives the next request the
// new tokens.
type sessionWriter struct {
	http.ResponseWriter
	a       *Auth
	ctx     context.Context
	names   *cookie.Names // shared (namesRef)
	present []string
	raw     string // the session cookie's value
	pending *Token
	wrote   bool
}

func (w *sessionWriter) set(tok *Token) { w.pending = tok }

// flushCookies writes the pending session cookie into the headers.
func (w *sessionWriter) flushCookies() {
	if w.pending == nil {
		return
	}
	tok := w.pending
	w.pending = nil
	enc, err := w.a.strategy.seal(context.WithoutCancel(w.ctx), *w.names, tok, w.raw)
	if err != nil {
		w.a.log.Error("authgo: session cannot be written", "err", err)
		return
	}
	var q cookie.Queue
	setSession(&q, *w.names, w.present, enc, w.a.expiry(tok, w.a.now()))
	// Replace, never add to, session cookies set earlier on this response.
	h := w.Header()
	kept := h["Set-Cookie"][:0:0]
	for _, line := range h["Set-Cookie"] {
		name, _, _ := strings.Cut(line, "=")
		if !strings.HasPrefix(name, w.names.SessionToken) {
			kept = append(kept, line)
		}
	}
	h["Set-Cookie"] = kept
	q.Write(h)
	// A response that carries a session must never be stored by a shared
	// cache (attacks.md T11), whatever the handler or upstream said.
	if !strings.Contains(h.Get("Cache-Control"), "no-store") {
		h.Set("Cache-Control", "private, no-cache, no-store")
	}
	h.Del("Expires")
	h.Del("ETag")
	h.Del("Last-Modified")
	// The names now in the browser are those just written.
	w.present = w.present[:0]
	for _, c := range q.Cookies() {
		if c.MaxAge >= 0 {
			w.present = append(w.present, c.Name)
		}
	}
}

func (w *sessionWriter) WriteHeader(code int) {
	if code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
		// An interim response (100 Continue, 103 Early Hints): the
		// cookie waits for the final one.
		w.ResponseWriter.WriteHeader(code)
		return
	}
	if !w.wrote {
		w.wrote = true
		w.flushCookies()
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *sessionWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// Flush implements http.Flusher for streaming handlers.
func (w *sessionWriter) Flush() {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	http.NewResponseController(w.ResponseWriter).Flush()
}

// Hijack lets WebSocket handlers take the connection.
func (w *sessionWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if !w.wrote {
		// A proxied WebSocket handshake writes its 101 from these
		// headers after hijacking: a refreshed cookie goes with it.
		w.wrote = true
		w.flushCookies()
	}
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

// Unwrap gives http.ResponseController the underlying writer.
func (w *sessionWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// AccessToken returns the access token of r's session, refreshed first
// when it is about to expire (Config.Tokens), for calling an API on the
// user's behalf from server code. Behind Middleware or RequireSession a
// refreshed token is written back to the session cookie on this response;
// under StrategyDatabase the tokens live in the accounts row the session
// signed in with, which the refresh itself rewrites.
//
// Errors: ErrNoAccessToken when the session holds none (signed out, or
// its refresh token was refused: the session's error is then
// RefreshTokenError); ErrRefreshUnavailable when the token expired and a
// refresh failed for now.
func (a *Auth) AccessToken(r *http.Request) (string, error) {
	ctx := r.Context()
	st, _ := ctx.Value(tokenKey{a}).(*reqTokens)
	if st == nil {
		// Not behind the middleware: the whole read, refresh included.
		sr, err := a.readSession(r, nil, readToken, nil)
		if err != nil {
			return "", err
		}
		if sr.tok == nil {
			return "", ErrNoAccessToken
		}
		st = &reqTokens{tok: sr.tok, refreshed: true}
	}
	return a.accessToken(ctx, st)
}

// peekAccessToken is AccessToken for the gateway, which has read r's
// token already (peekToken): behind the middleware the request's tokens,
// else tok itself, refreshed when due, without reading the cookie again.
func (a *Auth) peekAccessToken(r *http.Request, tok *Token) (string, error) {
	ctx := r.Context()
	st, _ := ctx.Value(tokenKey{a}).(*reqTokens)
	if st == nil {
		if tok == nil {
			return "", ErrNoAccessToken
		}
		st = &reqTokens{tok: tok}
	}
	return a.accessToken(ctx, st)
}

// accessToken is AccessToken's answer from st: refreshed once per
// request when due, a new token written back through st.w when it can
// still be.
func (a *Auth) accessToken(ctx context.Context, st *reqTokens) (string, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if !st.refreshed {
		st.refreshed = true // once per request, whatever the clocks say
		fresh, _, err := a.refreshIfDue(ctx, st.tok)
		if err != nil {
			return "", err
		}
		if fresh != st.tok {
			st.tok = fresh
			if st.w != nil {
				if st.w.wrote {
					a.log.Debug("authgo: refreshed after the response started; the next request gets the new tokens")
				} else {
					st.w.set(fresh)
				}
			}
		}
	}
	if st.tok.StringClaim(ClaimError) != "" {
		return "", ErrNoAccessToken
	}
	at := st.tok.StringClaim(ClaimAccessToken)
	if at == "" {
		return "", ErrNoAccessToken
	}
	return at, nil
}

// MarkAccessTokenRejected tells authgo that an API refused token, the access
// token of r's session, before its recorded expiry: a 401 for which
// proxy.IsInvalidTokenResponse is true (the token was revoked, or the API rotated
// its keys). The session's next request refreshes it, once for this token
// value; r itself is not retried (its body may be gone, its method may not
// be idempotent). Client and the proxy package call it themselves.
//
// A token obtained less than 30 seconds ago is not marked: an API that
// refuses every token (a wrong audience, say) would otherwise cost a
// refresh per request; that case is logged. The mark is kept in this
// process; another instance marks the token when the API refuses it there.
func (a *Auth) MarkAccessTokenRejected(r *http.Request, token string) {
	if token == "" {
		return
	}
	var tok *Token
	if st, _ := r.Context().Value(tokenKey{a}).(*reqTokens); st != nil {
		st.mu.Lock()
		tok = st.tok
		st.mu.Unlock()
	} else if sr, err := a.readSession(r, nil, readDecode, nil); err == nil {
		tok = sr.tok
	}
	if tok == nil {
		return
	}
	st := tokenState(tok)
	if st.AccessToken != token || st.RefreshToken == "" {
		return // refreshed since, or nothing to refresh with
	}
	a.refresher.Rejected(st, "provider", tok.StringClaim(claimProvider))
}

// Client returns an HTTP client that calls APIs as r's user: every request
// it sends carries "Authorization: Bearer <access token>", refreshed as
// AccessToken does. Use it within r's handler; base (nil means
// http.DefaultTransport) carries the requests. Redirects are followed only
// on the same scheme and host (a redirect elsewhere is returned as the
// response, so the token never leaves for another host). When the API
// answers 401
// with error="invalid_token", the token is marked for a refresh on the
// session's next request (MarkAccessTokenRejected).
func (a *Auth) Client(r *http.Request, base http.RoundTripper) *http.Client {
	if base == nil {
		base = http.DefaultTransport
	}
	return &http.Client{Transport: &bearerTransport{a: a, r: r, base: base}, CheckRedirect: sameOriginRedirects}
}

// sameOriginRedirects follows a redirect only to the scheme and host it
// came from: the bearer token is attached on every hop, so a redirect
// elsewhere (or to http) would hand it over. Such a response comes back
// to the caller as it is.
func sameOriginRedirects(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("authgo: stopped after 10 redirects")
	}
	if prev := via[len(via)-1]; req.URL.Scheme != prev.URL.Scheme || req.URL.Host != prev.URL.Host {
		return http.ErrUseLastResponse
	}
	return nil
}

type bearerTransport struct {
	a    *Auth
	r    *http.Request
	base http.RoundTripper
}

func (t *bearerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	at, err := t.a.AccessToken(t.r)
	if err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	req = req.Clone(req.Context())
	req.Header.Set("Authorization", "Bearer "+at)
	res, err := t.base.RoundTrip(req)
	if err == nil && challenge.InvalidToken(res) {
		t.a.MarkAccessTokenRejected(t.r, at)
	}
	return res, err
}
