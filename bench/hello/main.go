// Command hello is the baseline of the load benchmark: Go's bare net/http
// answering a small JSON body, the ceiling any Go handler works under.
package main

import (
	"flag"
	"log"
	"net/http"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:3002", "listen address")
	flag.Parse()
	body := []byte(`{"user":{"name":"Alice"}}`)
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})
	log.Fatal(http.ListenAndServe(*addr, nil))
}
