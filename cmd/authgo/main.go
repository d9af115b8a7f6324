// Command authgo runs authgo, an Auth.js v5 compatible authentication
// server, and helps with its secrets, session tokens and users.
//
// Usage:
//
//	authgo serve [flags]                  serve the Auth.js endpoints, a home page and protected paths
//	authgo config check [flags]           check serve's configuration and print it, secrets masked
//	authgo migrate [flags]                create or upgrade the database schema
//	authgo secret                         print a fresh random secret for AUTH_SECRET
//	authgo token encode|decode [flags]    make or read a session token
//	authgo user add|list|passwd|unlock|sessions|signout|delete [flags] [USERNAME]
//	                                      manage the password users
//	authgo version                        print the version of this build
//	authgo help [COMMAND]                 print help
//
// "authgo --help" lists every command, and "authgo serve --help" every
// flag and environment variable of serve; both come from the tables in
// this package (commands, serveSettings), as does the README's
// configuration table.
//
// # Environment
//
// Only this command reads the environment; the library takes everything in
// authgo.Config. The main variables: AUTH_SECRET (and AUTH_SECRET_1.._3
// for rotation), AUTH_URL, AUTH_TRUST_HOST (with AUTH_TRUSTED_PROXIES),
// AUTH_UPSTREAM, AUTH_DATABASE_URL (a SQLite
// file or a postgres:// URL, as --db), AUTH_REDIS_URL; the others
// configure sign-in providers (see "authgo serve --help").
//
// # Configuration file
//
// "authgo serve --config FILE" (or AUTH_CONFIG) also reads a TOML file
// with a key for every flag and variable: the flag's name, or the
// variable's without AUTH_, in lower case, with - for _. A flag beats its
// variable, which beats the file. "authgo config check" prints where
// each setting came from, secrets masked, and runs serve up to the moment
// it would listen, changing nothing.
//
// # Operations
//
// serve answers <base>/healthz and <base>/readyz (the stores answer),
// writes an access log in log/slog's text or JSON format (--access-log,
// --log-format text|json; accesslog.go), serves Prometheus metrics on a listener of its own with
// --metrics-addr, serves HTTPS with HTTP/2 with --tls-cert and --tls-key,
// and on SIGTERM or SIGINT finishes the requests in flight within
// --shutdown-grace before it exits 0 (ops.go, metrics.go).
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
	"slices"
	"strings"
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
	// annotate, when set, adds to an error message where the settings it
	// names came from (a variable, a line of the configuration file).
	annotate func(msg string) string
	// check: config check runs serve up to the moment it would listen,
	// changing nothing (see runConfigCheck).
	check bool
}

// errorf prints an error message for people on stderr.
// A message that starts with a library error's own "authgo: " gets the
// prefix once.
func (c *cli) errorf(format string, args ...any) {
	msg := strings.TrimPrefix(fmt.Sprintf(format, args...), "authgo: ")
	if c.annotate != nil {
		msg = c.annotate(msg)
	}
	fmt.Fprintf(c.stderr, "authgo: %s\n", msg)
}

// command is one command of the table that dispatches, and that "authgo
// help" and a group's help ("authgo user") list.
type command struct {
	name    string // one or two words: "serve", "user add"
	args    string // after the name in the usage line
	summary string
	run     func(ctx context.Context, c *cli, args []string) int
}

// commands lists every command, in the order help shows them.
var commands = []command{
	{"serve", "[flags]", "serve the Auth.js endpoints, a home page and protected paths", runServe},
	{"config check", "[--config FILE] [flags]", "check serve's configuration (flags, environment, file) without serving, and print each setting, where it came from, secrets masked", runConfigCheck},
	{"migrate", "[flags]", "create or upgrade the database schema (SQLite or PostgreSQL)", runMigrate},
	{"secret", "", "print a fresh random secret for AUTH_SECRET", runSecret},
	{"token encode", "[flags]", "read a JSON payload on stdin, print a session token", runTokenEncode},
	{"token decode", "[flags] [TOKEN]", "print the payload of a session token as JSON", runTokenDecode},
	{"user add", "[flags] USERNAME", "add a password user (password on stdin)", runUserAdd},
	{"user list", "[flags]", "list the password users and any sign-in lockout", runUserList},
	{"user passwd", "[flags] USERNAME", "set a user's password (on stdin); ends their sessions and lockout", runUserPasswd},
	{"user unlock", "[flags] USERNAME", "end a user's sign-in lockout now", runUserUnlock},
	{"user sessions", "[flags] USERNAME", "list a user's database sessions", runUserSessions},
	{"user signout", "[flags] USERNAME", "end every session of a user now, or one with --session", runUserSignOut},
	{"user delete", "[flags] USERNAME", "delete a user and end their sessions", runUserDelete},
	{"version", "", "print the version and VCS revision of this build", runVersion},
	{"help", "[COMMAND]", "print help about a command", nil},
}

// lookup finds the command args start with: its entry and the arguments
// after its name. A group word alone ("user") finds nothing; group is then
// that word.
func lookup(args []string) (cmd *command, rest []string, group string) {
	for i := range commands {
		words := strings.Fields(commands[i].name)
		if len(args) >= len(words) && slices.Equal(args[:len(words)], words) {
			return &commands[i], args[len(words):], ""
		}
	}
	if len(args) > 0 {
		for _, cmd := range commands {
			if first, _, two := strings.Cut(cmd.name, " "); two && first == args[0] {
				return nil, args[1:], first
			}
		}
	}
	return nil, args, ""
}

// run is the whole program: it parses args (without the program name) and
// returns the exit status.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	c := &cli{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
	if len(args) == 0 {
		usage(c.stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help":
		usage(c.stderr)
		return exitOK
	case "-v", "-version", "--version":
		return runVersion(ctx, c, nil)
	case "help":
		if len(args) == 1 {
			usage(c.stderr)
			return exitOK
		}
		cmd, rest, group := lookup(args[1:])
		switch {
		case cmd != nil && cmd.run != nil:
			return cmd.run(ctx, c, append(rest[:0:0], "-h"))
		case group != "":
			groupUsage(c.stderr, group)
			return exitOK
		}
		c.errorf("unknown command %q", strings.Join(args[1:], " "))
		usage(c.stderr)
		return exitUsage
	}
	cmd, rest, group := lookup(args)
	switch {
	case cmd != nil && cmd.run != nil:
		return cmd.run(ctx, c, rest)
	case group != "" && len(rest) > 0 && isHelpFlag(rest[0]):
		groupUsage(c.stderr, group)
		return exitOK
	case group != "" && len(rest) > 0:
		c.errorf("unknown command %q", group+" "+rest[0])
		groupUsage(c.stderr, group)
		return exitUsage
	case group != "":
		c.errorf("%s needs a command", group)
		groupUsage(c.stderr, group)
		return exitUsage
	}
	c.errorf("unknown command %q", args[0])
	usage(c.stderr)
	return exitUsage
}

func isHelpFlag(s string) bool {
	return s == "-h" || s == "-help" || s == "--help" || s == "help"
}

// usage prints the program's help: every command, from the table.
func usage(w io.Writer) {
	io.WriteString(w, "authgo is an Auth.js v5 compatible authentication server.\n\nUsage:\n\n\tauthgo <command> [flags] [arguments]\n\nCommands:\n\n")
	for _, cmd := range commands {
		printCommand(w, cmd)
	}
	io.WriteString(w, `
Quick start: authgo serve --dev
Run "authgo help <command>" or "authgo <command> -h" for a command's flags;
"authgo serve -h" lists every environment variable serve reads.
`)
}

// groupUsage prints the commands of group ("user", "token").
func groupUsage(w io.Writer, group string) {
	fmt.Fprintf(w, "Usage: authgo %s <command> [flags] [arguments]\n\nCommands:\n\n", group)
	for _, cmd := range commands {
		if strings.HasPrefix(cmd.name, group+" ") {
			printCommand(w, cmd)
		}
	}
	fmt.Fprintf(w, "\nRun \"authgo %s <command> -h\" for a command's flags.\n", group)
}

func printCommand(w io.Writer, cmd command) {
	line := strings.TrimSpace(cmd.name + " " + cmd.args)
	if len(line) > 30 {
		fmt.Fprintf(w, "\t%s\n\t%-30s  %s\n", line, "", cmd.summary)
		return
	}
	fmt.Fprintf(w, "\t%-30s  %s\n", line, cmd.summary)
}
