package gateway

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"strings"
	"time"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/internal/fwd"
)

// passed is what one proxied request sends the upstream about its user,
// with the request's context and writers, in one allocation.
type passed struct {
	tok       *authgo.Token // the user the identity headers name; nil: none
	at        string        // their access token (accessToken)
	origin    string        // scheme://host for X-Forwarded-Proto/-Host
	w         http.ResponseWriter
	anonymous bool        // no authgo cookie either, whatever PassSessionCookie says
	idle      *idleWriter // nil without TransferIdleTimeout; else &iw
	iw        idleWriter
	rc        http.ResponseController
	ctx       passedCtx
}

type passedKey struct{}

// passedCtx is a proxied request's context: its parent, with the passed
// it belongs to (passedKey), as context.WithValue would carry it.
type passedCtx struct {
	context.Context
	p *passed
}

func (c *passedCtx) Value(key any) any {
	if _, ok := key.(passedKey); ok {
		return c.p
	}
	return c.Context.Value(key)
}

// passedFrom returns the passed of a proxied request's context, or nil.
func passedFrom(ctx context.Context) *passed {
	if c, ok := ctx.(*passedCtx); ok {
		return c.p
	}
	p, _ := ctx.Value(passedKey{}).(*passed)
	return p
}

// proxy sends r to the upstream with tok's identity (nil: none);
// anonymous, it also keeps authgo's cookies from the upstream even with
// PassSessionCookie.
func (g *Gateway) proxy(w http.ResponseWriter, r *http.Request, tok *authgo.Token, anonymous bool) {
	p := &passed{w: w, anonymous: anonymous}
	if o, err := g.a.Origin(r); err == nil {
		p.origin = o
	}
	if tok != nil && g.identity {
		// The access token first: a refresh that fails is a 503 before
		// anything is proxied. rewrite sets the headers.
		at, err := g.accessToken(r, tok)
		if err != nil {
			w.Header().Set("Retry-After", "2")
			http.Error(w, "Service Unavailable: the access token could not be refreshed now", http.StatusServiceUnavailable)
			return
		}
		p.tok, p.at = tok, at
	}
	p.rc = *http.NewResponseController(w)
	if _, up := r.Header["Upgrade"]; up {
		// A WebSocket lasts as long as the page: the server's timeouts
		// must not cut it.
		p.rc.SetReadDeadline(time.Time{})
		p.rc.SetWriteDeadline(time.Time{})
	} else if d := g.o.TransferIdleTimeout; d > 0 {
		p.iw = idleWriter{ResponseWriter: w, rc: &p.rc, d: d}
		p.idle = &p.iw
		w = p.idle
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = &idleBody{ReadCloser: r.Body, rc: &p.rc, d: d}
		}
	}
	p.ctx = passedCtx{Context: r.Context(), p: p}
	g.rp.ServeHTTP(w, r.WithContext(&p.ctx))
}

// idleWriter keeps the connection's write deadline d ahead of each write
// (TransferIdleTimeout), until off. A write less than d/8 after the last
// push leaves the deadline where it is (at least 7d/8 ahead): setting a
// deadline costs more than the write of a small answer.
type idleWriter struct {
	http.ResponseWriter
	rc     *http.ResponseController
	d      time.Duration
	pushed time.Time // when the deadline was last set d ahead; zero: never
	off    bool
}

func (w *idleWriter) Write(b []byte) (int, error) {
	if !w.off {
		if now := time.Now(); w.pushed.IsZero() || now.Sub(w.pushed) >= w.d/8 {
			w.rc.SetWriteDeadline(now.Add(w.d))
			w.pushed = now
		}
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap gives http.ResponseController (flushes) the writer below.
func (w *idleWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// idleBody pushes the connection's read deadline ahead at each read of
// the request body (TransferIdleTimeout).
type idleBody struct {
	io.ReadCloser
	rc *http.ResponseController
	d  time.Duration
}

func (b *idleBody) Read(p []byte) (int, error) {
	b.rc.SetReadDeadline(time.Now().Add(b.d))
	return b.ReadCloser.Read(p)
}

// headerSafe returns s, or "" when it cannot be a header value.
func headerSafe(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return ""
		}
	}
	return strings.TrimSpace(s)
}

// keptNames are headers the BFF proxy strips that an app behind the
// gateway may rely on.
var keptNames = map[string]bool{
	"authorization":          true, // the app's own, unless PassAuthorizationHeader
	"x-csrf":                 true,
	"dpop":                   true,
	"x-http-method-override": true,
	"x-http-method":          true,
	"x-method-override":      true,
}

// stripped reports whether the client's header name must not reach the
// upstream: a claim of identity or address in any spelling (case, "_" for
// "-"), the gateway's own identity headers among them.
func (g *Gateway) stripped(name string) bool {
	if !fwd.Stripped(name) {
		return false
	}
	n := fwd.Normalize(name)
	if n == "authorization" {
		return g.o.PassAuthorizationHeader
	}
	return !keptNames[n]
}

// rewrite builds the upstream request.
func (g *Gateway) rewrite(pr *httputil.ProxyRequest) {
	p := passedFrom(pr.In.Context())
	if p == nil {
		p = &passed{}
	}
	out, in := pr.Out, pr.In
	out.URL.Scheme, out.URL.Host = g.up.Scheme, g.up.Host
	out.Host = in.Host // the app sees the host the browser asked for
	h := out.Header
	for k, v := range h {
		switch {
		case k == "Cookie":
			if !g.o.PassSessionCookie || p.anonymous {
				if kept := fwd.ForeignCookies(v); len(kept) > 0 {
					h[k] = []string{strings.Join(kept, "; ")}
				} else {
					delete(h, k)
				}
			}
		case g.stripped(k):
			delete(h, k)
		}
	}
	vals := make(values, 0, 8)
	// X-Forwarded-For: the client's chain only when a trusted proxy sent
	// it, then the peer.
	if host, _, err := net.SplitHostPort(in.RemoteAddr); err == nil {
		if prior := in.Header.Values("X-Forwarded-For"); len(prior) > 0 && g.a.TrustedPeer(in) {
			h["X-Forwarded-For"] = vals.one(strings.Join(prior, ", ") + ", " + host)
		} else {
			h["X-Forwarded-For"] = vals.one(host)
		}
	}
	if scheme, host, ok := strings.Cut(p.origin, "://"); ok {
		h["X-Forwarded-Proto"] = vals.one(scheme)
		h["X-Forwarded-Host"] = vals.one(host)
	}
	if p.tok != nil {
		g.setIdentity(h, p.tok, p.at, vals)
	}
}

// modifyResponse keeps the upstream from setting authgo's cookies (unless
// PassSessionCookie) and lets event streams outlive the write timeout.
func (g *Gateway) modifyResponse(res *http.Response) error {
	h := res.Header
	var p *passed
	if res.Request != nil {
		p = passedFrom(res.Request.Context())
	}
	// An anonymous request (a cross-origin WebSocket on a public path)
	// keeps authgo's cookies out both ways, whatever PassSessionCookie says.
	if sc, ok := h["Set-Cookie"]; ok && (!g.o.PassSessionCookie || p != nil && p.anonymous) {
		if kept := fwd.ForeignSetCookies(sc); len(kept) == 0 {
			delete(h, "Set-Cookie")
		} else {
			h["Set-Cookie"] = kept
		}
	}
	if ct, _, _ := strings.Cut(h.Get("Content-Type"), ";"); strings.EqualFold(strings.TrimSpace(ct), "text/event-stream") && p != nil {
		// An event stream lasts as long as the page: the server's write
		// timeout must not cut it.
		if p.idle != nil {
			p.idle.off = true
		}
		http.NewResponseController(p.w).SetWriteDeadline(time.Time{})
	}
	return nil
}

// upstreamError answers when the upstream could not be asked or answered
// badly; no error text reaches the client.
func (g *Gateway) upstreamError(w http.ResponseWriter, r *http.Request, err error) {
	var ne net.Error
	switch {
	case r.Context().Err() != nil:
		g.log.Debug("gateway: the client went away", "err", err)
		w.WriteHeader(http.StatusBadGateway)
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() || fwd.IsSilence(err):
		g.log.Error("gateway: the upstream timed out", "err", err)
		http.Error(w, "Gateway Timeout: the app did not answer in time", http.StatusGatewayTimeout)
	default:
		g.log.Error("gateway: the upstream failed", "err", err)
		http.Error(w, "Bad Gateway: the app could not be reached", http.StatusBadGateway)
	}
}
