package main

import (
	"context"
	"crypto/subtle"
	_ "embed"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"os"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/provider"
	"github.com/authgo/authgo/providers/credentials"
)

type appConfig struct {
	Secret    string
	URL       string // the public URL of the auth endpoints, e.g. http://127.0.0.1:3001/auth
	ReactDist string // optional: the built React example, served at /react/
	Logger    *slog.Logger
	// Providers are offered next to the example's credentials provider,
	// e.g. an OpenID Connect provider (the browser tests add one).
	Providers []provider.Provider
}

// The example's users. A real site keeps argon2id hashes in a database
// (see authgo serve); the comparison is still constant-time here.
var users = map[string]struct{ password, id, name, email string }{
	"alice": {"wonderland", "user-1", "Alice", "alice@example.com"},
	"bob":   {"builder", "user-2", "Bob Builder", "bob@example.com"},
}

//go:embed page.html
var pageHTML string

var page = template.Must(template.New("page").Parse(pageHTML))

// pageData is what page.html renders. Session goes into the page twice:
// as HTML (the server's render) and as JSON for the client (html/template
// escapes it for the <script> it sits in).
type pageData struct {
	Title     string
	Path      string
	BasePath  string
	Session   *authgo.Session // nil when signed out
	Embed     bool            // embed Session for the client (SSR) or let it fetch
	CSRFToken string
}

// newApp wires authgo and the example's pages: / and /dashboard/ render
// the session on the server, /dashboard/ and below need a session (the
// matcher middleware), /vanilla renders nothing on the server and lets the
// browser client fetch the session.
func newApp(cfg appConfig) (http.Handler, error) {
	login, err := credentials.New(credentials.Options{
		Authorize: func(ctx context.Context, c provider.Credentials, r *http.Request) (*authgo.User, error) {
			u, ok := users[c["username"]]
			want := u.password
			if !ok {
				want = "\x00never" // compare anyway: same time for unknown users
			}
			if subtle.ConstantTimeCompare([]byte(c["password"]), []byte(want)) != 1 || !ok {
				return nil, nil
			}
			return &authgo.User{ID: u.id, Name: u.name, Email: u.email}, nil
		},
	})
	if err != nil {
		return nil, err
	}
	if cfg.Secret == "" {
		return nil, errors.New("AUTH_SECRET is not set: export AUTH_SECRET=$(go run ./cmd/authgo secret)")
	}
	a, err := authgo.New(authgo.Config{
		Secret:    []string{cfg.Secret},
		URL:       cfg.URL,
		Providers: append([]provider.Provider{login}, cfg.Providers...),
		Matcher:   []string{"/dashboard/:path*"},
		Logger:    cfg.Logger,
	})
	if err != nil {
		return nil, err
	}

	render := func(title string, embed bool) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			s, err := a.Session(r) // from the middleware's context on /dashboard/
			if errors.Is(err, authgo.ErrSessionUnavailable) {
				w.Header().Set("Retry-After", "2")
				http.Error(w, "session store unavailable, try again", http.StatusServiceUnavailable)
				return
			}
			if err != nil {
				http.Error(w, "session unavailable", http.StatusInternalServerError)
				return
			}
			d := pageData{Title: title, Path: r.URL.Path, BasePath: a.BasePath(), Session: s, Embed: embed}
			if s != nil {
				if d.CSRFToken, err = a.CSRFToken(w, r); err != nil {
					http.Error(w, "no csrf token", http.StatusInternalServerError)
					return
				}
			}
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Cache-Control", "private, no-store")
			if err := page.Execute(w, d); err != nil {
				slog.Error("render", "err", err)
			}
		}
	}

	mux := http.NewServeMux()
	mux.Handle(a.BasePath()+"/", a)
	mux.Handle("GET /{$}", render("Home", true))
	mux.Handle("GET /dashboard/", render("Dashboard", true))
	mux.Handle("GET /dashboard", http.RedirectHandler("/dashboard/", http.StatusMovedPermanently))
	mux.Handle("GET /vanilla", render("Vanilla client", false))
	if cfg.ReactDist != "" {
		if _, err := os.Stat(cfg.ReactDist); err != nil {
			return nil, err
		}
		mux.Handle("GET /react/", http.StripPrefix("/react/", http.FileServer(http.Dir(cfg.ReactDist))))
	}
	return a.Middleware(mux), nil
}
