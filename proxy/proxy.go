package proxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/http/httputil"
	"net/url"
	"strings"
	"time"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/internal/fwd"
	"github.com/authgo/authgo/internal/logs"
	"github.com/authgo/authgo/internal/urlx"
)

// Options configure a Proxy. Prefix and Upstream are required.
type Options struct {
	// Prefix is the path the proxy serves, e.g. "/api": it forwards /api
	// and everything under /api/. It must not be "/" and must not be, or
	// lie under, the auth endpoints' base path; when the base path lies
	// under it ("/api" and "/api/auth"), the endpoints' paths are not
	// forwarded (404).
	Prefix string

	// Upstream is the API's URL: scheme, host, optional port and optional
	// path. Without a path the request path is kept:
	// "http://backend:8080" forwards /api/x as /api/x. With one, the path
	// replaces the prefix: "http://backend:8080/v1" forwards /api/x as
	// /v1/x, and "http://backend:8080/" forwards it as /x. No user info,
	// query or fragment.
	Upstream string

	// Origin is the public origin of the site, e.g.
	// "https://app.example.com" (AUTH_URL's scheme and host). WebSocket
	// handshakes must carry exactly this Origin; X-Forwarded-Host and
	// X-Forwarded-Proto are taken from it; an absolute-form request-target
	// is accepted only when it names it. Empty: a WebSocket's Origin must
	// name the request's own Host (what http.CrossOriginProtection checks),
	// X-Forwarded-Host is the request's Host, and absolute-form targets
	// are refused.
	Origin string

	// SafeMethodsWithoutCSRF lets GET and HEAD requests through without
	// the X-CSRF header. A session is still required, and other methods
	// still need the header. Prefer SkipCSRF, which can exempt only the
	// routes that need it.
	SafeMethodsWithoutCSRF bool

	// SkipCSRF, when set, is asked about GET and HEAD requests without a
	// valid X-CSRF header; true lets the request through (a file download
	// from a plain link, say). It is never asked about other methods. It
	// sees the request as the browser sent it.
	SkipCSRF func(r *http.Request) bool

	// PassCookies forwards the browser's cookies to the upstream, except
	// authgo's own (authjs.*, __Secure-authjs.*, __Host-authjs.*), and
	// lets the upstream's Set-Cookie headers through, except those for
	// authgo's names. By default no Cookie header is forwarded and every
	// Set-Cookie from the upstream is dropped.
	PassCookies bool

	// Transport carries the requests to the upstream. Nil means a
	// dedicated http.Transport that ignores proxy environment variables
	// and speaks HTTP/1.1, with a 10 s dial and TLS-handshake timeout, a
	// timeout (504) when the upstream's answer headers have not come 60 s
	// after a request, and up to 256 idle connections to the upstream.
	Transport http.RoundTripper

	// FlushInterval is how often a response body is flushed to the client
	// while it is copied, as in httputil.ReverseProxy: zero means no
	// periodic flush, a negative value flushes after every write. Streamed
	// responses (unknown length, or text/event-stream) are flushed after
	// every write anyway.
	FlushInterval time.Duration

	// MaxBodyBytes caps a request body; a longer one gets 413. Zero means
	// no cap (bodies are streamed, so the size costs no memory).
	MaxBodyBytes int64

	// Logger receives errors (an unreachable or timed-out upstream),
	// warnings (a response header that carried the access token, a session
	// without an access token) and debug lines for refused requests. No
	// token or cookie value is logged. Nil sends errors (slog.LevelError
	// and above) to slog.Default() and drops the rest, as
	// authgo.Config.Logger does and as httputil.ReverseProxy logs its
	// errors to the log package's standard logger without an ErrorLog.
	Logger *slog.Logger
}

// Proxy forwards browser requests under its prefix to the upstream with
// the session's access token attached. Make one with New; it is an
// http.Handler, immutable, and safe for concurrent use.
type Proxy struct {
	a       *authgo.Auth
	o       Options
	prefix  string   // escaped, no trailing "/"
	base    string   // escaped upstream base path, no trailing "/"; "" for the root
	up      *url.URL // scheme and host
	origin  *url.URL // nil when not configured
	authDir string   // the endpoints' base path, when it lies under prefix
	log     *slog.Logger
	rp      *httputil.ReverseProxy
	guarded http.Handler
}

// New checks o and returns a Proxy for a's sessions. Every bad option is an
// error naming it.
func New(a *authgo.Auth, o Options) (*Proxy, error) {
	if a == nil {
		return nil, errors.New("proxy: no *authgo.Auth")
	}
	p := &Proxy{a: a, o: o, log: o.Logger}
	if p.log == nil {
		p.log = logs.Fallback(slog.LevelError, false)
	}

	prefix := strings.TrimSuffix(o.Prefix, "/")
	if prefix == "" || !cleanConfigPath(prefix) || strings.Contains(prefix, "%") {
		return nil, fmt.Errorf("proxy: Prefix %q must look like /api: slash-separated segments of URL-safe characters, not /", o.Prefix)
	}
	p.prefix = prefix
	switch base := a.BasePath(); {
	case base == prefix || strings.HasPrefix(prefix, base+"/"):
		return nil, fmt.Errorf("proxy: Prefix %q lies within the auth endpoints' base path %q", o.Prefix, base)
	case strings.HasPrefix(base, prefix+"/"):
		p.authDir = base
	}

	u, err := url.Parse(o.Upstream)
	if err != nil {
		return nil, fmt.Errorf("proxy: Upstream %q: %w", o.Upstream, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || u.Opaque != "" {
		return nil, fmt.Errorf("proxy: Upstream %q must be an absolute http or https URL", o.Upstream)
	}
	if u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return nil, fmt.Errorf("proxy: Upstream %q must not carry user info, a query or a fragment", o.Upstream)
	}
	switch ep := u.EscapedPath(); {
	case ep == "":
		p.base = prefix
	case ep == "/":
		p.base = ""
	default:
		ep = strings.TrimSuffix(ep, "/")
		if !cleanConfigPath(ep) || !checkEscapes(ep) {
			return nil, fmt.Errorf("proxy: the path of Upstream %q must be clean: no dot-segments, empty segments or encoded slashes", o.Upstream)
		}
		p.base = ep
	}
	p.up = &url.URL{Scheme: u.Scheme, Host: u.Host}

	if o.Origin != "" {
		ou, err := url.Parse(o.Origin)
		if err != nil || ou.Scheme != "http" && ou.Scheme != "https" || ou.Host == "" || ou.User != nil ||
			ou.Path != "" && ou.Path != "/" || ou.RawQuery != "" || ou.Fragment != "" {
			return nil, fmt.Errorf("proxy: Origin %q must be a scheme and a host, like https://app.example.com", o.Origin)
		}
		p.origin = &url.URL{Scheme: ou.Scheme, Host: urlx.CanonicalHost(ou.Scheme, ou.Host)}
	}
	if o.MaxBodyBytes < 0 {
		return nil, errors.New("proxy: MaxBodyBytes must not be negative")
	}

	rt := o.Transport
	if rt == nil {
		rt = fwd.DefaultTransport()
	}
	p.rp = &httputil.ReverseProxy{
		Rewrite:        p.rewrite,
		Transport:      quietTransport{rt},
		FlushInterval:  o.FlushInterval,
		ModifyResponse: p.modifyResponse,
		ErrorHandler:   p.upstreamError,
		BufferPool:     fwd.BufferPool{},
		ErrorLog:       log.New(logWriter{p.log}, "", 0),
	}
	p.guarded = a.RequireSession(http.HandlerFunc(p.forward))
	return p, nil
}

// NewTransport returns a new Transport of the kind a Proxy uses when
// Options.Transport is nil, for a caller that wraps it (to time the
// upstream's answers, say) and passes the wrapper as Options.Transport.
// Its DialContext and DialTLSContext keep the 60 s upstream timeout (a
// watchdog on the connections they open; the transport's
// ResponseHeaderTimeout is not set): a caller who replaces them, or sends
// through a Proxy, should set ResponseHeaderTimeout. It dials TLS itself,
// with its TLSClientConfig when one is set (not a Clone's), so a
// response's TLS field stays nil.
func NewTransport() *http.Transport { return fwd.DefaultTransport() }

// Error codes the proxy answers with, in the body and the Authgo-Error
// header.
const (
	codeBadRequest         = "bad_request"
	codeNotFound           = "not_found"
	codeMethodNotAllowed   = "method_not_allowed"
	codeCSRF               = "csrf"
	codeTooLarge           = "too_large"
	codeNoSession          = "no_session"
	codeRefreshUnavailable = "refresh_unavailable"
	codeBadGateway         = "bad_gateway"
	codeUpstreamTimeout    = "upstream_timeout"
)

// writeError answers with the proxy's own JSON error.
func writeError(w http.ResponseWriter, status int, code string) {
	h := w.Header()
	h.Del("Location")
	h.Del("Content-Length")
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Authgo-Error", code)
	if status == http.StatusServiceUnavailable {
		h.Set("Retry-After", "2")
	}
	w.WriteHeader(status)
	io.WriteString(w, `{"error":"`+code+`"}`)
}

type exchangeKey struct{}

// exchange is one request's state, from ServeHTTP to the upstream's
// response. While the session guard runs it is also the guard's
// ResponseWriter, so that a refusal becomes the proxy's own 401.
type exchange struct {
	w       http.ResponseWriter
	path    string // decoded upstream path
	rawPath string // the same, escaped as the client sent it
	token   string
	reached bool // the guard let the request through
	state   uint8
}

const (
	undecided uint8 = iota
	passing         // the guard's 503 or the proxied response
	replaced        // the guard's refusal, replaced by our 401
)

func (x *exchange) Header() http.Header { return x.w.Header() }

func (x *exchange) WriteHeader(code int) {
	switch x.state {
	case passing:
		x.w.WriteHeader(code)
		return
	case replaced:
		return
	}
	// The guard writes only to refuse (redirect, 401, 400) or to say that
	// the token cannot be refreshed now (503, already in our format).
	if x.reached || code == http.StatusServiceUnavailable {
		x.state = passing
		x.w.WriteHeader(code)
		return
	}
	x.state = replaced
	writeError(x.w, http.StatusUnauthorized, codeNoSession)
}

func (x *exchange) Write(b []byte) (int, error) {
	if x.state == undecided {
		x.WriteHeader(http.StatusOK)
	}
	if x.state == replaced {
		return len(b), nil
	}
	return x.w.Write(b)
}

// Unwrap gives http.ResponseController the caller's writer (flushes,
// WebSocket hijacks).
func (x *exchange) Unwrap() http.ResponseWriter { return x.w }

// ServeHTTP checks r and forwards it (package documentation: "Checks, in
// order").
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodConnect, http.MethodTrace, "TRACK":
		p.refuse(w, r, http.StatusMethodNotAllowed, codeMethodNotAllowed, "method")
		return
	}
	if r.URL.Host != "" || r.URL.Scheme != "" || r.URL.Opaque != "" {
		if p.origin == nil || r.URL.Opaque != "" || !strings.EqualFold(r.URL.Scheme, p.origin.Scheme) ||
			urlx.CanonicalHost(strings.ToLower(r.URL.Scheme), r.URL.Host) != p.origin.Host {
			p.refuse(w, r, http.StatusBadRequest, codeBadRequest, "absolute-form target")
			return
		}
	}
	x := &exchange{w: w}
	esc := r.URL.EscapedPath()
	switch raw, status := p.route(esc); status {
	case http.StatusNotFound:
		p.refuse(w, r, status, codeNotFound, "outside the prefix")
		return
	case http.StatusBadRequest:
		p.refuse(w, r, status, codeBadRequest, "ambiguous path")
		return
	default:
		x.rawPath = raw
		x.path, _ = url.PathUnescape(raw) // route checked the escapes
	}
	ws, ok := upgrade(r.Header)
	if !ok {
		p.refuse(w, r, http.StatusBadRequest, codeBadRequest, "upgrade")
		return
	}
	if ws {
		if r.Method != http.MethodGet || !p.sameOrigin(r) {
			p.refuse(w, r, http.StatusForbidden, codeCSRF, "websocket origin")
			return
		}
	} else if !p.csrfOK(r) {
		p.refuse(w, r, http.StatusForbidden, codeCSRF, "no X-CSRF header")
		return
	}
	if max := p.o.MaxBodyBytes; max > 0 && r.ContentLength > max {
		p.refuse(w, r, http.StatusRequestEntityTooLarge, codeTooLarge, "body too large")
		return
	}

	ctx := r.Context()
	r = r.WithContext(context.WithValue(ctx, exchangeKey{}, x))
	if max := p.o.MaxBodyBytes; max > 0 && r.Body != nil && r.Body != http.NoBody {
		r.Body = http.MaxBytesReader(w, r.Body, max)
	}
	if p.a.SessionFromContext(ctx) != nil {
		// Already behind Middleware or RequireSession: the guard has run.
		p.forward(w, r)
		return
	}
	p.guarded.ServeHTTP(x, r)
	if x.state == undecided && !x.reached {
		writeError(w, http.StatusUnauthorized, codeNoSession) // fail closed
	}
}

// refuse answers a request the proxy will not forward.
func (p *Proxy) refuse(w http.ResponseWriter, r *http.Request, status int, code, why string) {
	p.log.Debug("proxy: request refused", "status", status, "reason", why, "method", r.Method)
	writeError(w, status, code)
}

// csrfOK: exactly one X-CSRF header whose value is exactly "1", or an
// exempt GET or HEAD.
func (p *Proxy) csrfOK(r *http.Request) bool {
	if v := r.Header["X-Csrf"]; len(v) == 1 && v[0] == "1" {
		return true
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	return p.o.SafeMethodsWithoutCSRF || p.o.SkipCSRF != nil && p.o.SkipCSRF(r)
}

// sameOrigin checks a WebSocket handshake's Origin.
func (p *Proxy) sameOrigin(r *http.Request) bool {
	v := r.Header["Origin"]
	if len(v) != 1 {
		return false
	}
	o, err := url.Parse(v[0])
	if err != nil || o.Scheme != "http" && o.Scheme != "https" || o.Host == "" || o.User != nil || o.Path != "" || o.RawQuery != "" {
		return false
	}
	if p.origin != nil {
		return o.Scheme == p.origin.Scheme && urlx.CanonicalHost(o.Scheme, o.Host) == p.origin.Host
	}
	return strings.EqualFold(o.Host, r.Host)
}

// forward runs behind the session guard: token, then upstream.
func (p *Proxy) forward(w http.ResponseWriter, r *http.Request) {
	x := r.Context().Value(exchangeKey{}).(*exchange)
	x.reached = true
	at, err := p.a.AccessToken(r)
	switch {
	case err == nil:
	case errors.Is(err, authgo.ErrRefreshUnavailable):
		writeError(w, http.StatusServiceUnavailable, codeRefreshUnavailable)
		return
	default:
		code := codeNoSession
		if s := p.a.SessionFromContext(r.Context()); s != nil {
			if s.Extra["error"] == authgo.RefreshTokenError {
				code = authgo.RefreshTokenError
			} else {
				p.log.Warn("proxy: the session holds no access token; was it signed in with a provider that gives none?")
			}
		}
		writeError(w, http.StatusUnauthorized, code)
		return
	}
	x.token = at
	p.rp.ServeHTTP(w, r)
}

// upstreamError answers when the upstream could not be asked or answered
// badly. The body is fixed: no error text, URL or token reaches the
// browser.
func (p *Proxy) upstreamError(w http.ResponseWriter, r *http.Request, err error) {
	var mbe *http.MaxBytesError
	var ne net.Error
	switch {
	case errors.As(err, &mbe):
		writeError(w, http.StatusRequestEntityTooLarge, codeTooLarge)
	case r.Context().Err() != nil:
		p.log.Debug("proxy: the client went away", "err", err)
		w.WriteHeader(http.StatusBadGateway)
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() || fwd.IsSilence(err):
		p.log.Error("proxy: the upstream timed out", "err", err)
		writeError(w, http.StatusGatewayTimeout, codeUpstreamTimeout)
	default:
		p.log.Error("proxy: the upstream failed", "err", err)
		writeError(w, http.StatusBadGateway, codeBadGateway)
	}
}

// quietTransport hides httputil.ReverseProxy's client trace from the
// transport, so that 1xx responses from the upstream are not relayed:
// ReverseProxy writes them through the ResponseWriter and then clears its
// header map, which would lose a refreshed session cookie waiting to go
// out with the final response.
type quietTransport struct{ http.RoundTripper }

func (t quietTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return t.RoundTripper.RoundTrip(req.WithContext(noTrace{req.Context()}))
}

// noTrace is a context without client traces.
type noTrace struct{ context.Context }

func (c noTrace) Value(key any) any {
	v := c.Context.Value(key)
	if _, ok := v.(*httptrace.ClientTrace); ok {
		return nil
	}
	return v
}

// logWriter sends httputil.ReverseProxy's own log lines to the Logger.
type logWriter struct{ l *slog.Logger }

func (w logWriter) Write(b []byte) (int, error) {
	w.l.Warn("proxy: " + strings.TrimSpace(string(b)))
	return len(b), nil
}
