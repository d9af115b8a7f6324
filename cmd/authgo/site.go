package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"path"
	"strings"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/internal/pages"
)

// site is the HTTP handler of authgo serve: the auth endpoints under the
// base path, the home page at /, the protected paths, and 404 for the rest.
type site struct {
	auth     *authgo.Auth
	matchers []matcher
	patterns []string // as given, for the home page
	log      *slog.Logger
	mux      *http.ServeMux
	guarded  http.Handler // the home page behind RequireSession
}

func newSite(a *authgo.Auth, matchers []matcher, log *slog.Logger) *site {
	s := &site{auth: a, matchers: matchers, log: log, mux: http.NewServeMux()}
	base := a.BasePath()
	for _, m := range matchers {
		s.patterns = append(s.patterns, m.pattern)
		if m.match(base) || m.match(base+"/session") {
			log.Warn("a --protect pattern covers the auth endpoints, which stay public", "pattern", m.pattern, "base", base)
		}
	}
	s.guarded = a.RequireSession(http.HandlerFunc(s.home))
	s.mux.Handle(base+"/", a)
	s.mux.HandleFunc("/", s.servePath)
	return s
}

// ServeHTTP refuses paths with an encoded slash, dot or backslash, which
// would let one path pass for another, and hands the rest to the mux (which
// redirects unclean paths such as //x or /a/../x to their clean form).
func (s *site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if ambiguousPath(r) {
		http.Error(w, "Bad request: encoded slash, dot or backslash in the path", http.StatusBadRequest)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// ambiguousPath reports whether the request path, as sent, encodes a "/",
// "." or "\", or holds a literal "\".
func ambiguousPath(r *http.Request) bool {
	p := strings.ToLower(r.URL.EscapedPath())
	return strings.Contains(p, "%2f") || strings.Contains(p, "%2e") || strings.Contains(p, "%5c") ||
		strings.Contains(r.URL.Path, `\`)
}

// servePath serves everything outside the base path.
func (s *site) servePath(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.URL.Path, "/") {
		http.NotFound(w, r)
		return
	}
	p := path.Clean(r.URL.Path)
	protected := false
	for _, m := range s.matchers {
		if m.match(p) {
			protected = true
			break
		}
	}
	if !protected && p != "/" {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "Method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if protected {
		s.guarded.ServeHTTP(w, r)
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

// matcher is one --protect pattern. This version knows literal paths
// ("/admin") and "/prefix/:name*" (the prefix and every path below it);
// the full Next.js matcher syntax comes with the library's middleware.
type matcher struct {
	pattern string
	prefix  string // for "/prefix/:name*"; "" with all for "/:name*"
	all     bool   // the pattern ends in "/:name*"
}

// match reports whether the clean path p is covered. Matching is
// case-sensitive, as in Next.js.
func (m matcher) match(p string) bool {
	if !m.all {
		return p == m.pattern
	}
	return m.prefix == "" || p == m.prefix || strings.HasPrefix(p, m.prefix+"/")
}

func compileMatchers(patterns []string) ([]matcher, error) {
	var out []matcher
	for _, p := range patterns {
		m, err := compileMatcher(p)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

func compileMatcher(p string) (matcher, error) {
	unsupported := fmt.Errorf("--protect %q: only literal paths (/admin) and /prefix/:path* (the prefix and everything below it) are supported so far", p)
	if !strings.HasPrefix(p, "/") {
		return matcher{}, fmt.Errorf("--protect %q: a pattern starts with /", p)
	}
	m := matcher{pattern: p}
	lit := p
	if i := strings.LastIndex(p, "/:"); i >= 0 && strings.HasSuffix(p, "*") {
		if !isParamName(p[i+2 : len(p)-1]) {
			return matcher{}, unsupported
		}
		m.prefix, m.all, lit = p[:i], true, p[:i]
		if lit == "" {
			return m, nil
		}
	}
	for _, c := range lit {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("/-._~!$&',;=@", c)) {
			return matcher{}, unsupported
		}
	}
	if path.Clean(lit) != lit {
		return matcher{}, fmt.Errorf("--protect %q: write the path in its clean form, %q (no trailing slash, no //, . or ..)", p, path.Clean(lit)+p[len(lit):])
	}
	return m, nil
}

// isParamName reports whether s is a path-to-regexp parameter name.
func isParamName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
