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
	"os"
	"runtime/pprof"
	"strconv"
	"time"

	"github.com/authgo/authgo/internal/fwd"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:3403", "listen address")
	upstream := flag.String("upstream", "http://127.0.0.1:3400", "upstream origin")
	flag.Parse()
	// As authgo's benchprof build: RPROXY_CPUPROFILE=FILE profiles the
	// first RPROXY_CPUPROFILE_SECONDS (10) after RPROXY_CPUPROFILE_DELAY (0).
	if path := os.Getenv("RPROXY_CPUPROFILE"); path != "" {
		secs, _ := strconv.Atoi(os.Getenv("RPROXY_CPUPROFILE_SECONDS"))
		if secs <= 0 {
			secs = 10
		}
		delay, _ := strconv.Atoi(os.Getenv("RPROXY_CPUPROFILE_DELAY"))
		go func() {
			time.Sleep(time.Duration(delay) * time.Second)
			f, err := os.Create(path)
			if err != nil {
				log.Print(err)
				return
			}
			defer f.Close()
			if err := pprof.StartCPUProfile(f); err != nil {
				log.Print(err)
				return
			}
			time.Sleep(time.Duration(secs) * time.Second)
			pprof.StopCPUProfile()
		}()
	}
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
