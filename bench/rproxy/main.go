// Command rproxy is the floor of bench/gateway.sh's proxied-page runs: a
// bare httputil.ReverseProxy with pooled copy buffers and a transport that
// keeps as many idle upstream connections as the load has, in front of
// -upstream. No session, no headers added beyond ReverseProxy's own.
package main

import (
	"flag"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"

	"github.com/authgo/authgo/internal/fwd"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:3403", "listen address")
	upstream := flag.String("upstream", "http://127.0.0.1:3400", "upstream origin")
	flag.Parse()
	u, err := url.Parse(*upstream)
	if err != nil {
		log.Fatal(err)
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(u)
			r.SetXForwarded()
		},
		Transport:  &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 512, IdleConnTimeout: 90 * time.Second},
		BufferPool: fwd.BufferPool{},
	}
	srv := &http.Server{Addr: *addr, Handler: rp, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ListenAndServe())
}
