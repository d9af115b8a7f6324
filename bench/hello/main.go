// Command hello is the baseline of the load benchmark: Go's bare net/http
// answering a small JSON body, the ceiling any Go handler works under.
//
// With -count-conns it also counts the connections it accepted and
// answers GET /_conns with that number (bench/gateway.sh asks the
// upstream how many connections each proxy opened to it).
package main

import (
	"flag"
	"log"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:3002", "listen address")
	countConns := flag.Bool("count-conns", false, "count accepted connections, shown at GET /_conns")
	flag.Parse()
	body := []byte(`{"user":{"name":"Alice"}}`)
	srv := &http.Server{Addr: *addr}
	var conns atomic.Int64
	if *countConns {
		srv.ConnState = func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				conns.Add(1)
			}
		}
		http.HandleFunc("/_conns", func(w http.ResponseWriter, r *http.Request) {
			w.Write(strconv.AppendInt(nil, conns.Load(), 10))
		})
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})
	log.Fatal(srv.ListenAndServe())
}
