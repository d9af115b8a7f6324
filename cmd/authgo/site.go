package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"path"
	"strings"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/internal/pages"
)

// site is the HTTP handler of authgo serve: the auth endpoints under the
// base path, the home page at /, the --protect paths (guarded by the
// library's matcher middleware, which shows them the home page's signed-in
// view until a front end is configured), and 404 for the rest. Its pages
// wear the Auth's Theme, as the built-in auth pages do.
type site struct {
	auth     *authgo.Auth
	brand    pages.Brand
	patterns []string // as given, for the home page
	log      *slog.Logger
	mux      *http.ServeMux
	handler  http.Handler
	upstream http.Handler // the app behind --upstream; nil without one
	mounted  []string     // the prefixes of mount, without a trailing slash
}

// newSite serves a's endpoints and serve's pages, which wear theme (the
// Theme a was configured with).
func newSite(a *authgo.Auth, t authgo.Theme, patterns []string, log *slog.Logger) *site {
	s := &site{auth: a, brand: pages.Brand{Name: t.Brand, Color: t.Color, Logo: t.Logo}, patterns: patterns, log: log, mux: http.NewServeMux()}
	s.mux.Handle(a.BasePath()+"/", a)
	s.mux.HandleFunc("/", s.servePath)
	s.handler = a.Middleware(s.mux)
	return s
}

// mount serves h at prefix and everything under it (an --api proxy, which
// checks its own session and anti-forgery header).
func (s *site) mount(prefix string, h http.Handler) {
	s.mounted = append(s.mounted, prefix)
	s.mux.Handle(prefix, h)
	s.mux.Handle(prefix+"/", h)
}

// gateway serves the forward-auth endpoints through g, and with upstream
// every path outside the base path and the --api prefixes (the home page
// included) from the app behind it.
func (s *site) gateway(g http.Handler, upstream bool) {
	base := s.auth.BasePath()
	s.mux.Handle(base+"/forward-auth", g)
	s.mux.Handle(base+"/forward-auth/redirect", g)
	if upstream {
		s.upstream = g
	}
}

// ServeHTTP refuses paths with an encoded slash, dot or backslash, which
// would let one path pass for another (the middleware does too, for the
// paths it guards), and hands the rest to the middleware and the mux
// (which redirects unclean paths such as //x or /a/../x to their clean
// form).
func (s *site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if ambiguousPath(r) {
		http.Error(w, "Bad request: encoded slash, dot or backslash in the path", http.StatusBadRequest)
		return
	}
	if s.upstream != nil && s.toUpstream(r.URL.Path) {
		// Where the mux would send it too, without the routing: in front
		// of an app the middleware guards nothing (the gateway does).
		s.upstream.ServeHTTP(w, r)
		return
	}
	s.handler.ServeHTTP(w, r)
}

// toUpstream reports whether the mux would hand path, as it is, to the
// app: a clean path (else the mux redirects to the clean one) outside the
// base path and the mounted prefixes.
func (s *site) toUpstream(p string) bool {
	if p == "" || p[0] != '/' || cleanPath(p) != p {
		return false
	}
	for _, pre := range s.mounted {
		if under(p, pre) {
			return false
		}
	}
	return !under(p, s.auth.BasePath())
}

// under reports whether p is prefix or below it.
func under(p, prefix string) bool {
	return prefix == "" || p == prefix || strings.HasPrefix(p, prefix) && p[len(prefix)] == '/'
}

// cleanPath is p as http.ServeMux cleans it before routing (a trailing
// slash kept): the mux redirects a request whose path it changes.
func cleanPath(p string) string {
	np := path.Clean(p)
	if p[len(p)-1] == '/' && np != "/" {
		np += "/"
	}
	return np
}

// ambiguousPath reports whether the request path, as sent, encodes a "/",
// "." or "\", or holds a literal "\".
func ambiguousPath(r *http.Request) bool {
	p := strings.ToLower(r.URL.EscapedPath())
	return strings.Contains(p, "%2f") || strings.Contains(p, "%2e") || strings.Contains(p, "%5c") ||
		strings.Contains(r.URL.Path, `\`)
}

// servePath serves everything outside the base path: the home page at /,
// at a path the middleware let through with a session (a --protect path)
// the same page's signed-in view, and elsewhere 404.
func (s *site) servePath(w http.ResponseWriter, r *http.Request) {
	if s.upstream != nil {
		s.upstream.ServeHTTP(w, r)
		return
	}
	guarded := s.auth.SessionFromContext(r.Context()) != nil
	if !guarded && r.URL.Path != "/" {
		s.notFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "Method not allowed", http.StatusMethodNotAllowed)
		return
	}
	s.home(w, r)
}

// expiresLayout formats a session expiry for the home page: "on 26 Dec
// 2026 at 15:09 UTC".
const expiresLayout = "on 2 Jan 2006 at 15:04 UTC"

// home renders the home page: who is signed in and their session, or a
// sign-in link.
func (s *site) home(w http.ResponseWriter, r *http.Request) {
	sess, err := s.auth.Session(r)
	if errors.Is(err, authgo.ErrSessionUnavailable) {
		w.Header().Set("Retry-After", "2")
		http.Error(w, "The session store is not answering; try again in a moment.", http.StatusServiceUnavailable)
		return
	}
	if err != nil {
		s.log.Error("reading the session", "err", err)
		http.Error(w, "Internal server error", http.StatusInternalServerError)
		return
	}
	base := s.auth.BasePath()
	d := pages.HomeData{Brand: s.brand, SignInURL: base + "/signin", Protected: s.patterns}
	if sess != nil {
		d.SignedIn = true
		if r.URL.Path != "/" {
			d.Path = r.URL.Path
		}
		if u := sess.User; u != nil {
			d.Name, d.Email, d.Image = u.Name, u.Email, u.Image
		}
		if !sess.Expires.IsZero() {
			d.Expires = sess.Expires.UTC().Format(expiresLayout)
		}
		js, err := json.MarshalIndent(sess, "", "  ")
		if err != nil {
			s.log.Error("session to JSON", "err", err)
			http.Error(w, "Internal server error", http.StatusInternalServerError)
			return
		}
		d.SessionJSON = string(js)
		d.SignOutURL = base + "/signout"
		d.CallbackURL = "/"
		d.CSRFToken, err = s.auth.CSRFToken(w, r)
		if err != nil {
			// The page still works; only its sign-out button will be
			// refused, and <base>/signout offers another.
			s.log.Warn("no csrf token for the sign-out form", "err", err)
		}
	}
	s.page(w, r, http.StatusOK, "the home page", func(b *bytes.Buffer) error { return pages.Home(b, d) })
}

// notFound answers 404: a page in the site's style to a browser (a request
// that accepts text/html, as every browser navigation does), and
// net/http's plain text to anything else, such as curl, fetch() or an API
// client.
func (s *site) notFound(w http.ResponseWriter, r *http.Request) {
	if !acceptsHTML(r) {
		http.NotFound(w, r)
		return
	}
	d := pages.NotFoundData{Brand: s.brand, HomeURL: "/"}
	s.page(w, r, http.StatusNotFound, "the not-found page", func(b *bytes.Buffer) error { return pages.NotFound(b, d) })
}

// acceptsHTML reports whether the Accept header names an HTML type.
func acceptsHTML(r *http.Request) bool {
	for _, v := range r.Header.Values("Accept") {
		for part := range strings.SplitSeq(v, ",") {
			mt, _, _ := strings.Cut(part, ";")
			switch strings.ToLower(strings.TrimSpace(mt)) {
			case "text/html", "application/xhtml+xml":
				return true
			}
		}
	}
	return false
}

// page renders a page and answers with it and the pages' headers.
func (s *site) page(w http.ResponseWriter, r *http.Request, status int, what string, render func(*bytes.Buffer) error) {
	var buf bytes.Buffer
	if err := render(&buf); err != nil {
		s.log.Error("rendering "+what, "err", err)
		http.Error(w, "Internal server error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", pages.ContentSecurityPolicy(s.brand))
	h.Set("Cache-Control", "private, no-cache, no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		buf.WriteTo(w)
	}
}
