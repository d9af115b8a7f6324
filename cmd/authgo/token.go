package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/authgo/authgo/internal/jwe"
	"github.com/authgo/authgo/jwt"
)

// maxPayload caps the JSON read by token encode; a token made from more
// would not fit in the cookies a browser keeps anyway.
const maxPayload = 1 << 20

// maxMaxAge is the longest --max-age: a hundred years.
const maxMaxAge = 100 * 365 * 24 * 60 * 60

const secretFlagHelp = "`secret`, repeatable, newest first (default: $AUTH_SECRET, then $AUTH_SECRET_1.._3, which keep it out of the process list)"

// tokenSecrets returns the --secret values, or the secrets from the
// environment when there are none.
func tokenSecrets(c *cli, flagged []string) ([]string, bool) {
	for _, s := range flagged {
		if s == "" {
			c.errorf("--secret must not be empty")
			return nil, false
		}
	}
	if len(flagged) > 0 {
		return flagged, true
	}
	if s := envSecrets(c.getenv); len(s) > 0 {
		return s, true
	}
	c.errorf("no secret: pass --secret or set AUTH_SECRET (make one with: export AUTH_SECRET=$(authgo secret))")
	return nil, false
}

func runTokenEncode(_ context.Context, c *cli, args []string) int {
	fs := newFlagSet(c, "token encode", "token encode [--secret S]... [--salt NAME] [--max-age SECONDS] < payload.json", `
Read a JSON object on stdin and print a session token for it on stdout, as
Auth.js's encode does: "iat" is set to now, "exp" to now plus the max age,
"jti" to a fresh random id; every other claim is kept as given. The first
secret encrypts. The salt is the session cookie's name: authjs.session-token
over http, __Secure-authjs.session-token over https.

	echo '{"name":"Alice","email":"alice@example.com","sub":"user-1"}' | authgo token encode`)
	var secrets listFlag
	fs.Var(&secrets, "secret", secretFlagHelp)
	salt := fs.String("salt", jwt.CookieName, "the session cookie `name`, which is the key-derivation salt")
	maxAge := fs.Int64("max-age", int64(jwt.DefaultMaxAge/time.Second), "lifetime in `seconds`")
	pos, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		c.errorf("token encode reads the payload on stdin and takes no arguments")
		fs.Usage()
		return exitUsage
	}
	if *maxAge <= 0 || *maxAge > maxMaxAge {
		c.errorf("--max-age %d: want a number of seconds between 1 and %d", *maxAge, maxMaxAge)
		return exitUsage
	}
	if *salt == "" {
		c.errorf("--salt must not be empty")
		return exitUsage
	}
	keys, ok := tokenSecrets(c, secrets)
	if !ok {
		return exitUsage
	}

	data, err := io.ReadAll(io.LimitReader(c.stdin, maxPayload+1))
	if err != nil {
		c.errorf("reading the payload: %v", err)
		return exitFail
	}
	if len(data) > maxPayload {
		c.errorf("the payload on stdin is larger than %d bytes", maxPayload)
		return exitFail
	}
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		c.errorf("no payload: pipe a JSON object on stdin, e.g. echo '{\"name\":\"Alice\",\"sub\":\"user-1\"}' | authgo token encode")
		return exitFail
	}
	if !json.Valid(data) {
		c.errorf("the payload on stdin is not valid JSON: %v", jsonError(data))
		return exitFail
	}
	if data[0] != '{' {
		c.errorf("the payload on stdin must be a JSON object ({...}), not %s", jsonKind(data[0]))
		return exitFail
	}
	var t jwt.Token
	if err := t.UnmarshalJSON(data); err != nil {
		c.errorf("the payload is not a valid claims set: %v", err)
		return exitFail
	}
	if t.IssuedAt != 0 || t.ExpiresAt != 0 || t.ID != "" {
		c.errorf("note: iat, exp and jti are set by encode; the payload's values are replaced")
	}
	tok, err := jwt.Encode(jwt.EncodeParams{Token: &t, Secrets: keys, Salt: *salt, MaxAge: time.Duration(*maxAge) * time.Second})
	if err != nil {
		c.errorf("encode: %v", err)
		return exitFail
	}
	if len(tok) > jwe.MaxTokenLen {
		c.errorf("warning: the token is %d characters; decoders (authgo's included) refuse more than %d", len(tok), jwe.MaxTokenLen)
	}
	if _, err := fmt.Fprintln(c.stdout, tok); err != nil {
		c.errorf("%v", err)
		return exitFail
	}
	return exitOK
}

// jsonError returns why data is not valid JSON.
func jsonError(data []byte) error {
	var v any
	err := json.Unmarshal(data, &v)
	if err == nil {
		return errors.New("invalid JSON")
	}
	return err
}

func jsonKind(first byte) string {
	switch first {
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 'n':
		return "null"
	case 't', 'f':
		return "a boolean"
	}
	return "a number"
}

// saltNote says which cookie a default salt belongs to.
var saltNote = map[string]string{
	jwt.CookieName:       "the http cookie name",
	jwt.SecureCookieName: "the https cookie name",
}

func runTokenDecode(_ context.Context, c *cli, args []string) int {
	fs := newFlagSet(c, "token decode", "token decode [--secret S]... [--salt NAME] [TOKEN]", `
Decrypt and validate a session token and print its payload as indented JSON
on stdout. TOKEN is the value of the session cookie (authjs.session-token,
or the chunks .0, .1, ... joined); without it the token is read from stdin.
Without --salt both session cookie names are tried, and stderr says which
one opened the token. On failure stderr says why (expired, wrong secret or
salt, malformed) and the exit status is 1.`)
	var secrets listFlag
	fs.Var(&secrets, "secret", secretFlagHelp)
	salt := fs.String("salt", "", "the session cookie `name`, which is the key-derivation salt (default: try "+jwt.CookieName+" then "+jwt.SecureCookieName+")")
	pos, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	if len(pos) > 1 {
		c.errorf("token decode takes one TOKEN argument, got %d", len(pos))
		fs.Usage()
		return exitUsage
	}
	keys, ok := tokenSecrets(c, secrets)
	if !ok {
		return exitUsage
	}
	var raw string
	if len(pos) == 1 {
		raw = strings.TrimSpace(pos[0])
	} else {
		data, err := io.ReadAll(io.LimitReader(c.stdin, jwe.MaxTokenLen+1024))
		if err != nil {
			c.errorf("reading the token: %v", err)
			return exitFail
		}
		raw = strings.TrimSpace(string(data))
	}
	if raw == "" {
		c.errorf("no token: pass TOKEN or pipe it on stdin")
		return exitUsage
	}

	salts := []string{*salt}
	if *salt == "" {
		salts = []string{jwt.CookieName, jwt.SecureCookieName}
	}
	var (
		tok    *jwt.Token
		err    error
		opened string
	)
	for _, s := range salts {
		tok, err = jwt.Decode(jwt.DecodeParams{Token: raw, Secrets: keys, Salt: s})
		if err == nil || !wrongKey(err) {
			opened = s
			break
		}
	}
	if err != nil {
		c.errorf("cannot decode the token: %s", decodeProblem(err, opened, salts, len(keys)))
		return exitFail
	}
	body, err := tok.MarshalJSON()
	if err == nil {
		var out bytes.Buffer
		if err = json.Indent(&out, body, "", "  "); err == nil {
			out.WriteByte('\n')
			_, err = out.WriteTo(c.stdout)
		}
	}
	if err != nil {
		c.errorf("%v", err)
		return exitFail
	}
	if *salt == "" {
		c.errorf("opened with salt %s (%s)", opened, saltNote[opened])
	}
	return exitOK
}

// wrongKey reports whether err means no given secret (with this salt) fits
// the token, as opposed to a token that opened but is invalid, or one that
// is malformed whatever the key.
func wrongKey(err error) bool {
	return errors.Is(err, jwe.ErrNoKey) || errors.Is(err, jwe.ErrDecrypt)
}

// decodeProblem explains a decode failure. opened is the salt whose key
// opened the token, or "" when none did.
func decodeProblem(err error, opened string, salts []string, nsecrets int) string {
	with := ""
	if opened != "" && len(salts) > 1 {
		with = " (it opened with salt " + opened + ")"
	}
	switch {
	case errors.Is(err, jwt.ErrExpired):
		return "the token has expired" + with
	case errors.Is(err, jwt.ErrNotYetValid):
		return "the token is not valid yet: its nbf is in the future" + with
	case wrongKey(err):
		who := "the secret does not open"
		if nsecrets > 1 {
			who = fmt.Sprintf("none of the %d secrets opens", nsecrets)
		}
		return fmt.Sprintf("wrong secret or salt: %s it with salt %s (or the token was altered)",
			who, strings.Join(salts, " or "))
	case errors.Is(err, jwe.ErrTooLarge):
		return fmt.Sprintf("malformed token: longer than %d characters", jwe.MaxTokenLen)
	case errors.Is(err, jwe.ErrMalformed), errors.Is(err, jwe.ErrUnsupported):
		return "malformed token: not an Auth.js session token (" + err.Error() + ")"
	}
	return "invalid token: " + err.Error() + with
}
