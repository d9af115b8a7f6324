// Command protected serves the same small html/template page twice, bare at
// /bare/ and behind authgo's matcher middleware at /protected/, for
// bench/middleware.sh to load side by side. It prints a session cookie
// for the middleware to accept, then serves.
package main

import (
	"flag"
	"fmt"
	"html/template"
	"log"
	"net/http"
	"time"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/jwt"
)

var page = template.Must(template.New("p").Parse(`<!doctype html><title>{{.Title}}</title><h1>{{.Title}}</h1><p>Hello, {{.Name}}.</p><ul>{{range .Items}}<li>{{.}}</li>{{end}}</ul>`))

func main() {
	addr := flag.String("addr", "127.0.0.1:3200", "listen address")
	flag.Parse()
	const secret = "bench-secret-0123456789abcdef0123456789abcdef"
	a, err := authgo.New(authgo.Config{
		Secret:  []string{secret},
		URL:     "http://" + *addr + "/auth",
		Matcher: []string{"/protected/:path*"},
	})
	if err != nil {
		log.Fatal(err)
	}
	cookie, err := jwt.Encode(jwt.EncodeParams{Secrets: []string{secret}, Token: &jwt.Token{Subject: "user-1", Name: "Alice", Email: "alice@example.com"}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("Cookie: %s=%s\n", jwt.CookieName, cookie)

	render := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := "guest"
		if s := a.SessionFromContext(r.Context()); s != nil {
			name = s.User.Name
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		page.Execute(w, map[string]any{"Title": "Reviews", "Name": name, "Items": []string{"north stand", "south stand", "pitch"}})
	})
	mux := http.NewServeMux()
	mux.Handle("/auth/", a)
	mux.Handle("/bare/", render)
	mux.Handle("/protected/", render)
	srv := &http.Server{Addr: *addr, Handler: a.Middleware(mux), ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ListenAndServe())
}
