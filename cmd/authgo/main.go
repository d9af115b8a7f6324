// Command authgo runs authgo, an Auth.js v5 compatible authentication
// server, and helps with its secrets, session tokens and users.
//
// Usage:
//
//	authgo serve [flags]          serve the Auth.js endpoints, a home page and protected paths
//	authgo secret                 print a fresh random secret for AUTH_SECRET
//	authgo token encode [flags]   read a JSON payload on stdin, print a session token
//	authgo token decode [flags] [TOKEN]
//	                              print the payload of a session token as JSON
//	authgo user add [flags] USERNAME
//	                              add a password user (password on stdin)
//	authgo help [COMMAND]         print help
//
// # Environment
//
// Only this command reads the environment; the library takes everything in
// authgo.Config.
//
//	AUTH_SECRET          the current secret: encrypts session cookies (serve, token)
//	AUTH_SECRET_1.._3    older secrets, newest first, still accepted (rotation)
//	AUTH_URL             public URL of the auth endpoints, e.g. https://example.com/auth (serve)
//	AUTH_TRUST_HOST      true: take the origin from X-Forwarded-Host/-Proto (serve)
//
// # Quick start
//
//	go run ./cmd/authgo serve --dev
//
// generates a secret in ./.authgo/dev-secret, creates the user demo with a
// random password printed once, and serves http://127.0.0.1:3000/.
//
// Exit status: 0 on success, 1 when the operation fails, 2 for bad usage or
// configuration.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// Exit codes.
const (
	exitOK    = 0
	exitFail  = 1 // the operation failed
	exitUsage = 2 // bad usage or configuration
)

// cli is what a subcommand may touch of the outside world. Nothing else in
// this package reads the environment or the standard streams.
type cli struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
}

// errorf prints an error message for people on stderr.
func (c *cli) errorf(format string, args ...any) {
	fmt.Fprintf(c.stderr, "authgo: "+format+"\n", args...)
}

// subcommands maps a command name to its implementation, which gets the
// arguments after the name and returns the exit status.
var subcommands = map[string]func(ctx context.Context, c *cli, args []string) int{
	"serve":  runServe,
	"secret": runSecret,
	"token":  runToken,
	"user":   runUser,
}

// run is the whole program: it parses args (without the program name) and
// returns the exit status.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	c := &cli{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
	if len(args) == 0 {
		usage(c.stderr)
		return exitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		if name == "help" && len(rest) > 0 {
			sub, ok := subcommands[rest[0]]
			if !ok {
				c.errorf("unknown command %q", rest[0])
				usage(c.stderr)
				return exitUsage
			}
			return sub(ctx, c, append(rest[1:len(rest):len(rest)], "-h"))
		}
		usage(c.stderr)
		return exitOK
	}
	if sub, ok := subcommands[name]; ok {
		return sub(ctx, c, rest)
	}
	c.errorf("unknown command %q", name)
	usage(c.stderr)
	return exitUsage
}

const usageText = `authgo is an Auth.js v5 compatible authentication server.

Usage:

	authgo <command> [flags] [arguments]

Commands:

	serve                   serve the Auth.js endpoints, a home page and protected paths
	secret                  print a fresh random secret for AUTH_SECRET
	token encode            read a JSON payload on stdin, print a session token
	token decode [TOKEN]    print the payload of a session token as JSON
	user add USERNAME       add a password user (password on stdin)
	help [command]          print help about a command

Environment:

	AUTH_SECRET             the current secret (make one: export AUTH_SECRET=$(authgo secret))
	AUTH_SECRET_1.._3       older secrets, newest first, still accepted
	AUTH_URL                public URL of the auth endpoints, e.g. https://example.com/auth
	AUTH_TRUST_HOST         true: take the origin from X-Forwarded-Host/-Proto

Quick start: authgo serve --dev
Run "authgo help <command>" or "authgo <command> -h" for a command's flags.
`

func usage(w io.Writer) { io.WriteString(w, usageText) }
