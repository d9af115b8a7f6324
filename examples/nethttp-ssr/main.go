// Command nethttp-ssr is the server-side rendering example: a net/http site
// whose pages read the session on the server (Auth.js's auth()), render the
// signed-in page directly, and hand the same session to the browser client
// so the first paint never shows "loading" — the equivalent of
// <SessionProvider session={await auth()}> in a Next.js app.
//
//	AUTH_SECRET=$(go run ./cmd/authgo secret) go run ./examples/nethttp-ssr
//
// then open http://127.0.0.1:3001/ and sign in as alice / wonderland. With
// the React example built (cd examples/react-next-auth && npm ci && npx vite
// build --base /react/), -react serves it at /react/ on the same origin.
package main

import (
	"cmp"
	"flag"
	"log"
	"net/http"
	"os"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:3001", "listen address")
	react := flag.String("react", "", "directory of the built next-auth/react example, served at /react/")
	flag.Parse()
	h, err := newApp(appConfig{
		Secret:    os.Getenv("AUTH_SECRET"),
		URL:       cmp.Or(os.Getenv("AUTH_URL"), "http://"+*addr+"/auth"),
		ReactDist: *react,
	})
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("open http://%s/ (alice / wonderland)", *addr)
	srv := &http.Server{Addr: *addr, Handler: h, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ListenAndServe())
}
