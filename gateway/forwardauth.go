package gateway

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/internal/clientip"
	"github.com/authgo/authgo/internal/peek"
	"github.com/authgo/authgo/internal/urlx"
)

// ForwardAuth returns the handler of GET <base>/forward-auth, for nginx's
// auth_request: 200 with the identity headers (as configured) when the
// original request may go on, 401 when it needs a session, 403 for a
// signed-in user the allow-list refuses, 503 when the session store
// cannot answer; never a redirect, which nginx turns into a 500.
//
// The original request-target is read from X-Forwarded-Uri and
// X-Original-URI, and only when the request came straight from one of
// Config.TrustedProxies; when both are sent, each is checked and the
// stricter answer counts. From any other peer, or without either header,
// the original path is unknown and a session is required (fail closed);
// the log says why.
func (g *Gateway) ForwardAuth() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { g.forwardAuth(w, r, false) })
}

// ForwardAuthRedirect returns the handler of GET
// <base>/forward-auth/redirect, for Traefik's forwardAuth and Caddy's
// forward_auth, which hand a non-2xx answer to the browser: as
// ForwardAuth, but a request that needs a session gets 302 to the sign-in
// page, with an absolute Location (Traefik would resolve a relative one
// against authgo's own address) and a callbackUrl back to the original
// URL (X-Forwarded-Proto, X-Forwarded-Host and X-Forwarded-Uri of a
// trusted proxy).
func (g *Gateway) ForwardAuthRedirect() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { g.forwardAuth(w, r, true) })
}

// faWriter is the session guard's ResponseWriter during forward-auth: it
// keeps what the guard writes so that forwardAuth can answer in the
// forward-auth protocol instead.
type faWriter struct {
	h       http.Header
	status  int
	reached bool // the guard let the request through
}

func (w *faWriter) Header() http.Header { return w.h }
func (w *faWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}
func (w *faWriter) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return len(b), nil
}

type faKey struct{}

func (g *Gateway) forwardAuth(w http.ResponseWriter, r *http.Request, redirect bool) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
		return
	}
	ctx := r.Context()
	trusted := g.a.TrustedPeer(r)
	fwdURI, origURI := r.Header.Values("X-Forwarded-Uri"), r.Header.Values("X-Original-Uri")
	uris := append(append([]string(nil), fwdURI...), origURI...)
	protected, target := true, ""
	switch {
	case !trusted && (len(uris) > 0 || r.Header.Get("X-Forwarded-Host") != ""):
		g.log.Warn("gateway: forward-auth request from a peer that is not a trusted proxy: its X-Forwarded-Uri, X-Original-URI and X-Forwarded-Host are ignored and a session is required (add the proxy's address to --trusted-proxy / Config.TrustedProxies)", "peer", r.RemoteAddr)
	case !trusted:
	case len(uris) == 0:
		g.log.Debug("gateway: forward-auth request without X-Forwarded-Uri or X-Original-URI: a session is required", "peer", r.RemoteAddr)
	default:
		protected = false
		for _, u := range uris {
			if p, _ := g.Protected(u); p {
				protected = true
			}
		}
		target = uris[0]
	}
	if !protected {
		if g.identity {
			if tok, err := g.token(r); err == nil && g.Allowed(ctx, tok) {
				g.identityHeaders(h, r, tok)
			}
		}
		w.WriteHeader(http.StatusOK)
		return
	}
	fw := &faWriter{h: http.Header{}}
	g.faGuard.ServeHTTP(fw, r.WithContext(context.WithValue(ctx, faKey{}, fw)))
	// A re-issued (or cleared) session cookie goes out only when it is
	// one Set-Cookie: nginx passes on only one.
	if sc := fw.h["Set-Cookie"]; len(sc) == 1 {
		h["Set-Cookie"] = sc
	}
	switch {
	case fw.reached && fw.status == http.StatusForbidden:
		writeJSON(w, http.StatusForbidden, `{"error":"forbidden"}`)
	case fw.reached:
		for k, v := range fw.h {
			if k != "Set-Cookie" {
				h[k] = v
			}
		}
		w.WriteHeader(http.StatusOK)
	case fw.status == http.StatusServiceUnavailable:
		h.Set("Retry-After", "2")
		writeJSON(w, http.StatusServiceUnavailable, `{"error":"session_unavailable"}`)
	case redirect:
		origin, err := g.a.Origin(r)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, `{"error":"bad_request"}`)
			return
		}
		back := origin + "/"
		if trusted {
			if o := forwardedOrigin(r); o != "" {
				back = o
			}
			if target != "" && strings.HasPrefix(target, "/") && !strings.HasPrefix(target, "//") {
				back = strings.TrimSuffix(back, "/") + target
			}
		}
		h.Set("Location", g.a.SignInURL(origin, back))
		w.WriteHeader(http.StatusFound)
	default:
		writeJSON(w, http.StatusUnauthorized, `{"error":"unauthenticated"}`)
	}
}

// forwardAuthSignedIn runs behind the session guard.
func (g *Gateway) forwardAuthSignedIn(w http.ResponseWriter, r *http.Request) {
	fw, _ := r.Context().Value(faKey{}).(*faWriter)
	if fw == nil {
		return
	}
	fw.reached = true
	tok, err := g.token(r)
	if err != nil || tok == nil {
		fw.reached = false
		fw.status = http.StatusServiceUnavailable
		return
	}
	if !g.Allowed(r.Context(), tok) {
		g.log.Info("gateway: signed-in user not allowed in", "user", tok.Subject, "provider", tok.StringClaim(authgo.ClaimProvider))
		fw.status = http.StatusForbidden
		return
	}
	if errors.Is(g.identityHeaders(w.Header(), r, tok), authgo.ErrRefreshUnavailable) {
		fw.reached = false
		fw.status = http.StatusServiceUnavailable
	}
}

// identityHeaders sets the configured identity headers of tok on h: the
// forward-auth answer's. The error is ErrRefreshUnavailable (accessToken).
func (g *Gateway) identityHeaders(h http.Header, r *http.Request, tok *authgo.Token) error {
	at, err := g.accessToken(r, tok)
	if err != nil {
		return err
	}
	g.setIdentity(h, tok, at, make(values, 0, 5))
	return nil
}

// accessToken is the access token the identity headers carry, refreshed
// when due: "" when neither PassAccessToken nor PassAuthorizationHeader
// is set or the session holds none; ErrRefreshUnavailable when it expired
// and could not be refreshed now.
//
// tok is r's token as the gateway read it (token): on a public path, not
// behind the session guard, its access token is refreshed from it
// without reading the cookie a second time.
func (g *Gateway) accessToken(r *http.Request, tok *authgo.Token) (string, error) {
	if !g.o.PassAccessToken && !g.o.PassAuthorizationHeader {
		return "", nil
	}
	at, err := peek.AccessToken(g.a, r, tok)
	if errors.Is(err, authgo.ErrRefreshUnavailable) {
		return "", err
	}
	return headerSafe(at), nil
}

// setIdentity sets the configured identity headers of tok, with the
// access token at (accessToken), on h: the forward-auth answer's or the
// upstream request's (rewrite). The values come from vals.
func (g *Gateway) setIdentity(h http.Header, tok *authgo.Token, at string, vals values) {
	if g.o.PassIdentity {
		set := func(name, v string) {
			if v = headerSafe(v); v != "" {
				h[name] = vals.one(v)
			}
		}
		set(HeaderUser, tok.Subject)
		set(HeaderEmail, tok.Email)
		set(HeaderPreferredUsername, tok.StringClaim(authgo.ClaimPreferredUsername))
	}
	if at != "" {
		if g.o.PassAccessToken {
			h[HeaderAccessToken] = vals.one(at)
		}
		if g.o.PassAuthorizationHeader {
			h["Authorization"] = vals.one("Bearer " + at)
		}
	}
}

// forwardedOrigin is the origin a trusted proxy names in
// X-Forwarded-Proto and X-Forwarded-Host (right-most values), "" when it
// names none or a malformed one.
func forwardedOrigin(r *http.Request) string {
	proto, host := strings.ToLower(clientip.LastValue(r.Header, "X-Forwarded-Proto")), clientip.LastValue(r.Header, "X-Forwarded-Host")
	if host == "" {
		return ""
	}
	if proto == "" {
		proto = "http"
	}
	if proto != "http" && proto != "https" {
		return ""
	}
	u, err := url.Parse(proto + "://" + host)
	if err != nil || u.Host != host || u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(host, "/\\@ ") {
		return ""
	}
	return proto + "://" + urlx.CanonicalHost(proto, host)
}

// values hands out one-element header values ([]string{v}) from one
// allocation: a request's few headers cost one instead of one each.
type values []string

func (v *values) one(s string) []string {
	*v = append(*v, s)
	n := len(*v)
	return (*v)[n-1 : n : n] // full: an append to it copies
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write([]byte(body))
}
