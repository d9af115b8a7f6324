package main

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/internal/pages"
)

// site is the HTTP handler of authgo serve: the auth endpoints under the
// base path, the home page at /, the --protect paths (guarded by the
// library's matcher middleware, which shows them the home page's signed-in
// view until a front end is configured), and 404 for the rest.
type site struct {
	auth     *authgo.Auth
	patterns []string // as given, for the home page
	log      *slog.Logger
	mux      *http.ServeMux
	handler  http.Handler
}

func newSite(a *authgo.Auth, patterns []string, log *slog.Logger) *site {
	s := &site{auth: a, patterns: patterns, log: log, mux: http.NewServeMux()}
	s.mux.Handle(a.BasePath()+"/", a)
	s.mux.HandleFunc("/", s.servePath)
	s.handler = a.Middleware(s.mux)
	return s
}

// mount serves h at prefix and everything under it (an --api proxy, which
// checks its own session and anti-forgery header).
func (s *site) mount(prefix string, h http.Handler) {
	s.mux.Handle(prefix, h)
	s.mux.Handle(prefix+"/", h)
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
	s.handler.ServeHTTP(w, r)
}

// ambiguousPath reports whether the request path, as sent, encodes a "/",
// "." or "\", or holds a literal "\".
func ambiguousPath(r *http.Request) bool {
	p := strings.ToLower(r.URL.EscapedPath())
	return strings.Contains(p, "%2f") || strings.Contains(p, "%2e") || strings.Contains(p, "%5c") ||
		strings.Contains(r.URL.Path, `\`)
}

// servePath serves everything outside the base path: the home page at /,
// and at a path the middleware let through with a session (a --protect
// path), the same page's signed-in view.
func (s *site) servePath(w http.ResponseWriter, r *http.Request) {
	guarded := authgo.SessionFromContext(r.Context()) != nil
	if !guarded && r.URL.Path != "/" {
		http.NotFound(w, r)
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
	if err != nil {
		s.log.Error("reading the session", "err", err)
		http.Error(w, "Internal server error", http.StatusInternalServerError)
		return
	}
	base := s.auth.BasePath()
	d := pages.HomeData{SignInURL: base + "/signin", Protected: s.patterns}
	if sess != nil {
		d.SignedIn = true
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
	var buf bytes.Buffer
	if err := pages.Home(&buf, d); err != nil {
		s.log.Error("rendering the home page", "err", err)
		http.Error(w, "Internal server error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", pages.ContentSecurityPolicy(pages.Brand{}))
	h.Set("Cache-Control", "private, no-cache, no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		buf.WriteTo(w)
	}
}
