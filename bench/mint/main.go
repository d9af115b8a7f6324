// Command mint prints session cookies for the flood phase of
// bench/load.sh, one Cookie header value a line: -n distinct valid ones
// (each its own subject and jti) made with the secret in AUTH_SECRET, or
// with -forged, as many that look valid but open nothing (a real token's
// last bytes replaced, so each one costs the server a full decryption
// attempt).
package main

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"os"

	"github.com/authgo/authgo/jwt"
)

func main() {
	n := flag.Int("n", 20000, "how many cookies")
	forged := flag.Bool("forged", false, "forged cookies instead of valid ones")
	flag.Parse()
	secret := os.Getenv("AUTH_SECRET")
	if secret == "" {
		log.Fatal("mint: set AUTH_SECRET")
	}
	c, err := jwt.NewCodec(jwt.Options{Secrets: []string{secret}, CacheSize: -1})
	if err != nil {
		log.Fatal(err)
	}
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	for i := range *n {
		tok, err := c.Encode(jwt.CookieName, &jwt.Token{Subject: fmt.Sprint("flood-", i), Name: "Flood"}, 0)
		if err != nil {
			log.Fatal(err)
		}
		if *forged {
			tok = tok[:len(tok)-8] + fmt.Sprintf("%08d", i)
		}
		fmt.Fprintf(w, "%s=%s\n", jwt.CookieName, tok)
	}
}
