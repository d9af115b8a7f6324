// Command proxyserver serves one upstream API twice for bench/proxy.sh:
// behind authgo's BFF proxy at /api/ (session cookie in, bearer out) and
// behind a bare httputil.ReverseProxy at /bare/. The upstream runs in the
// same process, so both paths pay for it equally. It prints a session
// cookie holding an access token, then serves.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/internal/fwd"
	"github.com/authgo/authgo/jwt"
	"github.com/authgo/authgo/proxy"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:3300", "listen address")
	flag.Parse()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	body := []byte(`{"orders":[{"id":1,"item":"ticket","stand":"north"},{"id":2,"item":"scarf"}]}`)
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "" && r.URL.Path != "/bare/orders" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	upstream := "http://" + ln.Addr().String()

	const secret = "bench-secret-0123456789abcdef0123456789abcdef"
	a, err := authgo.New(authgo.Config{Secret: []string{secret}, URL: "http://" + *addr + "/auth"})
	if err != nil {
		log.Fatal(err)
	}
	tok := &jwt.Token{Subject: "user-1", Name: "Alice"}
	tok.Set(authgo.ClaimAccessToken, "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2ln")
	tok.Set(authgo.ClaimExpiresAt, float64(time.Now().Add(24*time.Hour).Unix()))
	cookie, err := jwt.Encode(jwt.EncodeParams{Secrets: []string{secret}, Token: tok})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("Cookie: %s=%s\n", jwt.CookieName, cookie)

	// One transport for both, so the comparison is of the proxies alone.
	transport := &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 256, IdleConnTimeout: 90 * time.Second}
	px, err := proxy.New(a, proxy.Options{Prefix: "/api", Upstream: upstream, Origin: "http://" + *addr, Transport: transport})
	if err != nil {
		log.Fatal(err)
	}
	u, _ := url.Parse(upstream)
	bare := httputil.NewSingleHostReverseProxy(u)
	bare.Transport = transport
	// The same bare proxy with pooled copy buffers, as authgo's proxy has.
	pooled := httputil.NewSingleHostReverseProxy(u)
	pooled.Transport = transport
	pooled.BufferPool = fwd.BufferPool{}
	mux := http.NewServeMux()
	mux.Handle("/auth/", a)
	mux.Handle("/api/", a.RequireSession(px))
	mux.Handle("/bare/", bare)
	mux.Handle("/pooled/", http.StripPrefix("/pooled", pooledRewrite(pooled)))
	srv := &http.Server{Addr: *addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ListenAndServe())
}

// pooledRewrite maps /orders back under /bare/, the path the upstream
// answers without a bearer.
func pooledRewrite(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.URL.Path = "/bare" + r.URL.Path
		h.ServeHTTP(w, r)
	})
}
