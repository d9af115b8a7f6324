package gateway

import (
	"context"
	"errors"
	"fmt"
	"html"
	"log"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"time"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/internal/fwd"
	"github.com/authgo/authgo/internal/logs"
	"github.com/authgo/authgo/internal/match"
	"github.com/authgo/authgo/internal/pages"
	"github.com/authgo/authgo/internal/peek"
	"github.com/authgo/authgo/internal/urlx"
	"github.com/authgo/authgo/provider"
)

// Options configure a Gateway. All fields are optional: without Upstream
// the Gateway answers forward-auth requests only.
type Options struct {
	// Upstream is the app's URL: scheme, host and optional port, such as
	// "http://127.0.0.1:8080". Every request that is not for the auth
	// endpoints goes there, path and query unchanged. No path, user info,
	// query or fragment.
	Upstream string

	// Public lists the paths that need no session, in Next.js matcher
	// syntax ("/", "/_next/:path*", "/docs/:path*"). Every other path
	// needs one. A public path is public only when the path as sent and
	// its decoded form both match, so an escape cannot turn a protected
	// path into a public one.
	Public []string

	// Protect lists paths that need a session even inside a Public
	// pattern: Public "/:path*" with Protect "/mypage/:path*" guards
	// /mypage only. A protected path is protected when any form of it
	// matches (as sent, decoded, cleaned).
	Protect []string

	// Allow says which signed-in users may pass, besides the operator's
	// own (see [Gateway.Allowed]).
	Allow Allow

	// Own, when set, names more users as the operator's own, who always
	// pass: for instance users of a store of the application's that a
	// session token does not show. Users who signed in through a
	// credentials provider are the operator's own without it. It gets a
	// copy of the request's token, which it may change.
	Own func(ctx context.Context, tok *authgo.Token) bool

	// PassIdentity sends the signed-in user to the upstream (and in the
	// forward-auth answer) as X-Auth-Request-User (the session's sub),
	// X-Auth-Request-Email and X-Auth-Request-Preferred-Username, each
	// left out when unknown: oauth2-proxy's names.
	PassIdentity bool
	// PassAccessToken sends the session's access token (refreshed when
	// due) as X-Forwarded-Access-Token.
	PassAccessToken bool
	// PassAuthorizationHeader sends it as "Authorization: Bearer <token>",
	// replacing any Authorization header the client sent (which is then
	// removed even when no token is sent).
	PassAuthorizationHeader bool
	// PassSessionCookie lets the session cookie (every chunk) and
	// authgo's other cookies through to the upstream, and the upstream's
	// Set-Cookie for them back: a Next.js app with the same AUTH_SECRET
	// can then read the session itself with auth(). Without it the
	// upstream never sees them, nor with it a WebSocket handshake from
	// another origin (which goes anonymous on a public path and gets 403
	// on a protected one).
	PassSessionCookie bool

	// Transport carries the requests to the upstream. Nil means a
	// dedicated http.Transport that ignores proxy environment variables
	// and speaks HTTP/1.1, with a 10 s dial and TLS-handshake timeout, and
	// a timeout (504) when the upstream's answer headers have not come
	// 60 s after a request; a WebSocket's upstream may stay silent.
	Transport http.RoundTripper

	// TransferIdleTimeout, when set, lets a proxied request outlive the
	// server's ReadTimeout and WriteTimeout as long as it moves: each read
	// of the request body and each write of the response pushes the
	// connection's deadline this far ahead (nginx's send_timeout), so an
	// upload or a download of any length works while a stalled client is
	// still cut off. Event streams and WebSockets are never cut. Zero
	// leaves the server's deadlines as they are.
	TransferIdleTimeout time.Duration

	// Forbidden answers a signed-in user whom Allow does not let in
	// (status 403). Nil means a short page that names the signed-in
	// address and links to the sign-out page, or JSON
	// {"error":"forbidden"} for a client that asks for JSON.
	Forbidden http.Handler

	// Logger receives upstream failures and the forward-auth requests
	// whose forwarding headers were ignored. Nil sends errors to
	// slog.Default().
	Logger *slog.Logger
}

// Allow is who may pass besides the operator's own users. Addresses match
// only when the provider vouched for them (the session's email_verified
// claim is true).
type Allow struct {
	// Emails are exact addresses, compared without ASCII case (the
	// Kelvin sign is not a "k"). An address with more than one '@'
	// never matches.
	Emails []string
	// Domains are email domains ("example.com" lets in
	// alice@example.com, not alice@sub.example.com nor
	// alice@example.com.), compared without ASCII case.
	Domains []string
	// Any lets every signed-in user in, verified or not, as
	// oauth2-proxy's --email-domain=* does.
	Any bool
}

// Gateway guards an app: it decides which requests need a session and
// who may pass, proxies to the upstream, and answers forward-auth
// requests from reverse proxies. Make one with New; it is an
// http.Handler, immutable and safe for concurrent use.
type Gateway struct {
	a        *authgo.Auth
	o        Options
	public   *match.Matcher // nil without Public
	protect  *match.Matcher // nil without Protect
	any      *match.Matcher // no patterns: only refuses malformed paths
	emails   map[string]bool
	domains  map[string]bool
	log      *slog.Logger
	rp       *httputil.ReverseProxy // nil without Upstream
	up       *url.URL
	base     string
	guarded  http.Handler // the upstream behind the session guard
	faGuard  http.Handler // forward-auth behind the session guard
	identity bool         // some identity header is configured
}

// Header names the gateway sends.
const (
	HeaderUser              = "X-Auth-Request-User"
	HeaderEmail             = "X-Auth-Request-Email"
	HeaderPreferredUsername = "X-Auth-Request-Preferred-Username"
	HeaderAccessToken       = "X-Forwarded-Access-Token"
)

// New checks o and returns a Gateway for a's sessions. A bad option is an
// error naming it.
func New(a *authgo.Auth, o Options) (*Gateway, error) {
	if a == nil {
		return nil, errors.New("gateway: no *authgo.Auth")
	}
	g := &Gateway{a: a, o: o, log: o.Logger, base: a.BasePath(), emails: map[string]bool{}, domains: map[string]bool{}}
	if g.log == nil {
		g.log = logs.Fallback(slog.LevelError, false)
	}
	var err error
	if len(o.Public) > 0 {
		// A public pattern whose match runs out of time opens nothing.
		if g.public, err = (match.Options{Opens: true}).Compile(o.Public...); err != nil {
			return nil, fmt.Errorf("gateway: Public: %w", err)
		}
	}
	if len(o.Protect) > 0 {
		if g.protect, err = match.Compile(o.Protect...); err != nil {
			return nil, fmt.Errorf("gateway: Protect: %w", err)
		}
	}
	if g.any, err = match.Compile(); err != nil {
		return nil, err
	}
	for _, e := range o.Allow.Emails {
		e = urlx.LowerASCII(strings.TrimSpace(e))
		if i := strings.IndexByte(e, '@'); i <= 0 || i == len(e)-1 || strings.Count(e, "@") != 1 {
			return nil, fmt.Errorf("gateway: Allow.Emails entry %q is not an address like alice@example.com", e)
		}
		g.emails[e] = true
	}
	for _, d := range o.Allow.Domains {
		d = urlx.LowerASCII(strings.TrimPrefix(strings.TrimSpace(d), "@"))
		if d == "" || strings.ContainsAny(d, "@/ ") || d == "*" {
			return nil, fmt.Errorf("gateway: Allow.Domains entry %q is not a domain like example.com (Allow.Any lets everybody in)", d)
		}
		g.domains[d] = true
	}
	g.identity = o.PassIdentity || o.PassAccessToken || o.PassAuthorizationHeader
	if o.Upstream != "" {
		u, err := url.Parse(o.Upstream)
		if err != nil {
			return nil, fmt.Errorf("gateway: Upstream %q: %w", o.Upstream, err)
		}
		if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || u.Opaque != "" || u.User != nil ||
			u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
			return nil, fmt.Errorf("gateway: Upstream %q must be a scheme, a host and an optional port, like http://127.0.0.1:8080", o.Upstream)
		}
		g.up = &url.URL{Scheme: u.Scheme, Host: u.Host}
		rt := o.Transport
		if rt == nil {
			rt = fwd.DefaultTransport()
		}
		g.rp = &httputil.ReverseProxy{
			Rewrite:        g.rewrite,
			Transport:      rt,
			ModifyResponse: g.modifyResponse,
			ErrorHandler:   g.upstreamError,
			BufferPool:     fwd.BufferPool{},
			ErrorLog:       log.New(logWriter{g.log}, "", 0),
		}
		g.guarded = a.RequireSession(http.HandlerFunc(g.signedIn))
	}
	g.faGuard = a.RequireSession(http.HandlerFunc(g.forwardAuthSignedIn))
	return g, nil
}

// Protected reports whether a request for target (a request-target as
// sent: an escaped path, optionally with a query) needs a session. A
// target that is malformed (a space or a control byte in the path) or can
// be read two ways (an encoded slash, a dot-segment, a backslash…) is
// reported as bad, and needs a session too.
func (g *Gateway) Protected(target string) (protected, bad bool) {
	esc, _, _ := strings.Cut(target, "?")
	if esc == "" || esc[0] != '/' {
		return true, true
	}
	// A request-target has no space or control byte; a forwarded one
	// that does is a list ("/pub/x, /admin": a proxy that appended its
	// own value to the client's) or forged.
	for i := 0; i < len(esc); i++ {
		if c := esc[i]; c <= ' ' || c == 0x7f {
			return true, true
		}
	}
	dec, err := url.PathUnescape(esc)
	if err != nil || !urlx.IsClean(dec) || !urlx.CleanSegments(esc) {
		return true, true
	}
	if g.protect != nil {
		switch g.protect.MatchPath(esc) {
		case match.Reject:
			return true, true
		case match.Match:
			return true, false
		}
	}
	if g.public == nil {
		return true, g.any.MatchPath(esc) == match.Reject
	}
	d := g.public.MatchPath(esc)
	if d == match.Reject {
		return true, true
	}
	// Public only when the decoded form matches too, written with Go's
	// canonical escapes: "/%61dmin" is not public under "/((?!admin).*)".
	canon := (&url.URL{Path: dec}).EscapedPath()
	return !(d == match.Match && (canon == esc || g.public.MatchPath(canon) == match.Match)), false
}

// Allowed reports whether the user of tok may pass: the operator's own
// users (signed in through a credentials provider, such as authgo serve's
// own users and its back end's, or named by Options.Own), everybody with
// Allow.Any, and users whose email the provider verified when it is in
// Allow.Emails or its domain in Allow.Domains.
func (g *Gateway) Allowed(ctx context.Context, tok *authgo.Token) bool {
	if tok == nil {
		return false
	}
	if id := tok.StringClaim(authgo.ClaimProvider); id != "" && g.a.ProviderType(id) == provider.TypeCredentials {
		return true
	}
	// Own last: it may ask a store (authgo serve's users, under the
	// database strategy), which the allow-list spares.
	return g.o.Allow.Any || g.listed(tok) || g.o.Own != nil && g.o.Own(ctx, tok.Clone())
}

// token is the session token of r, read without a copy (internal/peek):
// the gateway never changes it, and hands Options.Own a copy.
func (g *Gateway) token(r *http.Request) (*authgo.Token, error) {
	return peek.Token(g.a, r)
}

// AllowsEmail reports whether the allow-list lets in addr once it is
// verified: Allow.Any, or addr in Allow.Emails or its domain in
// Allow.Domains, compared as Allowed compares them. authgo serve asks it
// before sending a sign-in link, so that a link goes only to an address
// that may pass.
func (g *Gateway) AllowsEmail(addr string) bool {
	return g.o.Allow.Any || g.inList(addr)
}

// listed reports whether tok's email, verified by the provider, is in
// Allow.Emails or its domain in Allow.Domains.
func (g *Gateway) listed(tok *authgo.Token) bool {
	v, _ := tok.Extra[authgo.ClaimEmailVerified].(bool)
	return v && tok.Email != "" && g.inList(tok.Email)
}

// inList reports whether addr is in Allow.Emails or its domain in
// Allow.Domains.
func (g *Gateway) inList(addr string) bool {
	// One '@' only (GHSA-c5c4-8r6x-56w3: "a@evil.com@example.com" is
	// nobody's mailbox at example.com), and only ASCII letters folded:
	// strings.ToLower turns the Kelvin sign into "k" and "İ" into "i",
	// so that a lookalike domain would pass as the listed one.
	e := urlx.LowerASCII(addr)
	if strings.Count(e, "@") != 1 {
		return false
	}
	if g.emails[e] {
		return true
	}
	i := strings.IndexByte(e, '@')
	return i > 0 && g.domains[e[i+1:]]
}

// ServeHTTP serves the auth endpoints (the base path, forward-auth
// included) and sends everything else to the upstream, after the
// session check. Without Upstream, paths outside the base path get 404.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if g.endpoint(r) {
		switch r.URL.Path {
		case g.base + "/forward-auth":
			g.forwardAuth(w, r, false)
		case g.base + "/forward-auth/redirect":
			g.forwardAuth(w, r, true)
		default:
			g.a.ServeHTTP(w, r)
		}
		return
	}
	if g.rp == nil {
		http.NotFound(w, r)
		return
	}
	switch r.Method {
	case http.MethodTrace, "TRACK", http.MethodConnect:
		w.Header().Set("Allow", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS")
		http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
		return
	}
	if up, ok := r.Header["Upgrade"]; ok && (len(up) != 1 || !strings.EqualFold(strings.TrimSpace(up[0]), "websocket")) {
		http.Error(w, "Bad Request: only WebSocket upgrades are forwarded", http.StatusBadRequest)
		return
	}
	protected, bad := g.Protected(r.URL.EscapedPath())
	if bad {
		w.Header().Set("Cache-Control", "no-store")
		http.Error(w, "Bad Request: ambiguous path", http.StatusBadRequest)
		return
	}
	// A WebSocket handshake from a page of another origin carries the
	// browser's cookies (same-site pages, and every page with
	// SameSite=None): it must not open the app in the user's name.
	_, upgrade := r.Header["Upgrade"]
	foreign := upgrade && !g.sameOrigin(r)
	if protected {
		if foreign {
			g.log.Info("gateway: refused a WebSocket handshake from another origin", "origin", headerSafe(r.Header.Get("Origin")))
			w.Header().Set("Cache-Control", "no-store")
			http.Error(w, "Forbidden: a WebSocket from another origin", http.StatusForbidden)
			return
		}
		g.guarded.ServeHTTP(w, r)
		return
	}
	// A public path: the identity goes along when a permitted user is
	// signed in; nobody is turned away. A WebSocket from another origin
	// goes as anonymous.
	ctx := r.Context()
	var tok *authgo.Token
	if g.identity && !foreign {
		if t, err := g.token(r); err == nil && g.Allowed(ctx, t) {
			tok = t
		}
	}
	g.proxy(w, r, tok, foreign)
}

// sameOrigin reports whether r has no Origin header (not a browser's
// request) or one naming the public origin r was sent to.
func (g *Gateway) sameOrigin(r *http.Request) bool {
	v := r.Header.Values("Origin")
	if len(v) == 0 {
		return true
	}
	o, err := g.a.Origin(r)
	if len(v) != 1 || err != nil {
		return false
	}
	u, err := url.Parse(strings.TrimSpace(v[0]))
	if err != nil || u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.Host == "" {
		return false
	}
	scheme := urlx.LowerASCII(u.Scheme)
	return scheme+"://"+urlx.CanonicalHost(scheme, urlx.LowerASCII(u.Host)) == o
}

// endpoint reports whether r is for the auth endpoints: a clean path under
// the base path, read the same decoded and as sent.
func (g *Gateway) endpoint(r *http.Request) bool {
	p, raw, base := r.URL.Path, r.URL.RawPath, g.base+"/"
	return strings.HasPrefix(p, base) && urlx.IsClean(p) && (raw == "" || strings.HasPrefix(raw, base))
}

// signedIn runs behind the session guard for a protected path.
func (g *Gateway) signedIn(w http.ResponseWriter, r *http.Request) {
	tok, err := g.token(r)
	if err != nil || tok == nil {
		w.Header().Set("Cache-Control", "no-store")
		http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
		return
	}
	if !g.Allowed(r.Context(), tok) {
		g.forbidden(w, r, tok)
		return
	}
	g.proxy(w, r, tok, false)
}

// forbidden answers a signed-in user whom the allow-list does not let in.
func (g *Gateway) forbidden(w http.ResponseWriter, r *http.Request, tok *authgo.Token) {
	g.log.Info("gateway: signed-in user not allowed in", "user", tok.Subject, "provider", tok.StringClaim(authgo.ClaimProvider))
	if g.o.Forbidden != nil {
		g.o.Forbidden.ServeHTTP(w, r)
		return
	}
	h := w.Header()
	h.Set("Cache-Control", "private, no-cache, no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if pages.WantsJSON(r) {
		h.Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `{"error":"forbidden","message":"this account may not use this site"}`)
		return
	}
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w.WriteHeader(http.StatusForbidden)
	who := tok.Email
	if who == "" {
		who = tok.Name
	}
	fmt.Fprintf(w, `<!doctype html><meta charset="utf-8"><title>Not allowed</title><style>body{font:16px system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}</style>
<h1>Not allowed</h1><p>You are signed in as <b>%s</b>, but this account may not use this site.</p>
<p><a href="%s/signout">Sign out</a> and sign in with another account.</p>
`, html.EscapeString(who), html.EscapeString(g.base))
}

// logWriter sends httputil.ReverseProxy's own log lines to the Logger.
type logWriter struct{ l *slog.Logger }

func (w logWriter) Write(b []byte) (int, error) {
	w.l.Warn("gateway: " + strings.TrimSpace(string(b)))
	return len(b), nil
}
