package main

import (
	"errors"
	"flag"
	"fmt"
	"strings"
)

// newFlagSet returns a FlagSet for one subcommand that reports errors on
// stderr instead of exiting. synopsis follows "authgo " in the usage line;
// help is printed between it and the flags.
func newFlagSet(c *cli, name, synopsis, help string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.Usage = func() {
		fmt.Fprintf(c.stderr, "Usage: authgo %s\n\n%s\n", synopsis, strings.TrimSpace(help))
		hasFlags := false
		fs.VisitAll(func(*flag.Flag) { hasFlags = true })
		if hasFlags {
			fmt.Fprintf(c.stderr, "\nFlags:\n")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parseArgs parses args with fs, allowing flags after positional arguments
// ("user add alice --name Alice") until a "--". It returns the positional
// arguments, or ok false and the exit status when parsing ends the command:
// 0 after -h, 2 after a bad flag (the flag package has printed why).
func parseArgs(fs *flag.FlagSet, args []string) (pos []string, code int, ok bool) {
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, exitOK, false
			}
			return nil, exitUsage, false
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, 0, true
		}
		// fs.Parse stops at the first non-flag or after "--"; a "--" it
		// consumed is the last element before rest.
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), 0, true
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// parseNoArgs is parseArgs for a command that takes flags only: a
// positional argument is a usage error ("<name> takes no arguments", the
// flag set's name, then the usage). On false, code is the exit code.
func parseNoArgs(c *cli, fs *flag.FlagSet, args []string) (code int, ok bool) {
	pos, code, ok := parseArgs(fs, args)
	if !ok {
		return code, false
	}
	if len(pos) > 0 {
		c.errorf("%s takes no arguments", fs.Name())
		fs.Usage()
		return exitUsage, false
	}
	return 0, true
}

// listFlag is a flag that may be repeated; each use appends a value.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ", ") }

func (l *listFlag) Set(v string) error {
	*l = append(*l, v)
	return nil
}

// envSecrets returns the secrets from the environment, newest first:
// AUTH_SECRET, then AUTH_SECRET_1, _2 and _3, leaving out unset ones.
func envSecrets(getenv func(string) string) []string {
	var out []string
	for _, name := range secretVars {
		if v := getenv(name); v != "" {
			out = append(out, v)
		}
	}
	return out
}

var secretVars = []string{"AUTH_SECRET", "AUTH_SECRET_1", "AUTH_SECRET_2", "AUTH_SECRET_3"}
