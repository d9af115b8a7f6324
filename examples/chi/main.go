// Command chi shows authgo with the chi router: the matcher middleware runs
// for every route (r.Use), the endpoints are mounted at /auth, and the
// handlers behind a protected pattern find the session in the request
// context.
//
//	AUTH_SECRET=$(go run ./cmd/authgo secret) go run ./examples/chi
package main

import (
	"context"
	"crypto/subtle"
	"fmt"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/provider"
	"github.com/authgo/authgo/providers/credentials"
)

func main() {
	h, err := newRouter(os.Getenv("AUTH_SECRET"), "http://127.0.0.1:3002/auth")
	if err != nil {
		log.Fatal(err)
	}
	log.Print("open http://127.0.0.1:3002/home/42/review/ (alice / wonderland)")
	srv := &http.Server{Addr: "127.0.0.1:3002", Handler: h, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ListenAndServe())
}

func newRouter(secret, authURL string) (http.Handler, error) {
	login, err := credentials.New(credentials.Options{
		Authorize: func(ctx context.Context, c provider.Credentials, r *http.Request) (*authgo.User, error) {
			ok := subtle.ConstantTimeCompare([]byte(c["username"]+"\x00"+c["password"]), []byte("alice\x00wonderland")) == 1
			if !ok {
				return nil, nil
			}
			return &authgo.User{ID: "user-1", Name: "Alice", Email: "alice@example.com"}, nil
		},
	})
	if err != nil {
		return nil, err
	}
	a, err := authgo.New(authgo.Config{
		Secret:    []string{secret},
		URL:       authURL,
		Providers: []provider.Provider{login},
		// The original setup's matcher, and an API that answers 401.
		Matcher:  []string{"/home/:stadiumId/review/:path*", "/api/:path*"},
		APIPaths: []string{"/api/"},
	})
	if err != nil {
		return nil, err
	}
	r := chi.NewRouter()
	r.Use(a.Middleware)
	r.Handle("/auth/*", a)
	r.Get("/home/{stadiumId}/review/*", func(w http.ResponseWriter, r *http.Request) {
		s := a.SessionFromContext(r.Context())
		fmt.Fprintf(w, "Reviews of stadium %s, for %s\n", chi.URLParam(r, "stadiumId"), s.User.Name)
	})
	r.Get("/api/me", func(w http.ResponseWriter, r *http.Request) {
		s := a.SessionFromContext(r.Context())
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, "{\"email\":%q}\n", s.User.Email)
	})
	r.Get("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "public home; try /home/42/review/")
	})
	return r, nil
}
