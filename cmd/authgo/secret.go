package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
)

// secretBytes is the size of a generated secret, as `npx auth secret` makes.
const secretBytes = 32

// newSecret returns secretBytes random bytes in standard base64: 44
// characters, more than authgo's 32-byte minimum.
func newSecret() string {
	b := make([]byte, secretBytes)
	rand.Read(b) // never fails; crashes the program if the system's source does
	return base64.StdEncoding.EncodeToString(b)
}

func runSecret(_ context.Context, c *cli, args []string) int {
	fs := newFlagSet(c, "secret", "secret", `
Print a fresh random secret (32 bytes from crypto/rand, base64) on stdout,
alone on its line, like "npx auth secret". Use it as AUTH_SECRET:

	export AUTH_SECRET=$(authgo secret)

The same AUTH_SECRET lets authgo and an Auth.js (Next.js) app read each
other's session cookies.`)
	if code, ok := parseNoArgs(c, fs, args); !ok {
		return code
	}
	if _, err := fmt.Fprintln(c.stdout, newSecret()); err != nil {
		c.errorf("%v", err)
		return exitFail
	}
	return exitOK
}
