package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"os"
	"strings"
	"time"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/adapters/redis"
	"github.com/authgo/authgo/adapters/sqlite"
	"github.com/authgo/authgo/internal/password"
)

const userHelp = `
Manage the password users of authgo serve.

	authgo user add [flags] USERNAME < password.txt
	authgo user signout [flags] USERNAME

Run "authgo user add -h" or "authgo user signout -h" for the flags.`

func runUser(ctx context.Context, c *cli, args []string) int {
	if len(args) > 0 {
		switch args[0] {
		case "add":
			return runUserAdd(ctx, c, args[1:])
		case "signout":
			return runUserSignOut(ctx, c, args[1:])
		case "-h", "-help", "--help", "help":
			fmt.Fprintf(c.stderr, "Usage: authgo user add|signout\n\n%s\n", strings.TrimSpace(userHelp))
			return exitOK
		}
		c.errorf("unknown user command %q (want add or signout)", args[0])
	} else {
		c.errorf("user needs a command: add or signout")
	}
	fmt.Fprintf(c.stderr, "Usage: authgo user add|signout\n\n%s\n", strings.TrimSpace(userHelp))
	return exitUsage
}

func runUserAdd(ctx context.Context, c *cli, args []string) int {
	fs := newFlagSet(c, "user add", "user add [--data DIR] [--db PATH] [--name N] [--email E] USERNAME", `
Add a user who signs in to authgo serve with USERNAME and a password. The
password is the first line of stdin (without its line ending; 1 to 1024
bytes). It is stored as an argon2id hash in the SQLite database.

	printf '%s\n' "$PASSWORD" | authgo user add alice --name "Alice Example"`)
	var data dataFlags
	data.register(fs)
	name := fs.String("name", "", "display `name` (default: the username)")
	email := fs.String("email", "", "email `address`, unique among users")
	pos, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		c.errorf("user add takes one USERNAME, got %d arguments", len(pos))
		fs.Usage()
		return exitUsage
	}
	username := pos[0]
	if err := sqlite.ValidateUsername(username); err != nil {
		c.errorf("username %q: %v", username, err)
		return exitUsage
	}
	if *email != "" {
		if a, err := mail.ParseAddress(*email); err != nil || a.Address != *email {
			c.errorf("--email %q is not a plain email address like alice@example.com", *email)
			return exitUsage
		}
	}

	if f, ok := c.stdin.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			fmt.Fprintf(c.stderr, "Password for %s (visible as you type; end with Enter): ", username)
		}
	}
	pw, err := readPassword(c.stdin)
	if err != nil {
		c.errorf("%v", err)
		return exitFail
	}
	hash, err := password.Hash(pw)
	if err != nil {
		c.errorf("%v", err)
		return exitFail
	}

	path, err := data.dbPath()
	if err != nil {
		c.errorf("%v", err)
		return exitFail
	}
	db, store, err := openStore(ctx, path)
	if err != nil {
		c.errorf("%v", err)
		return exitFail
	}
	defer db.Close()
	u, err := store.CreatePasswordUser(ctx, username, hash, sqlite.User{Name: *name, Email: *email})
	if errors.Is(err, sqlite.ErrUserExists) {
		c.errorf("cannot add user %q: %v (in %s)", username, err, path)
		return exitFail
	}
	if err != nil {
		c.errorf("cannot add user %q: %v", username, err)
		return exitFail
	}
	c.errorf("added user %q (id %s) to %s", username, u.ID, path)
	return exitOK
}

func runUserSignOut(ctx context.Context, c *cli, args []string) int {
	fs := newFlagSet(c, "user signout", "user signout [--data DIR] [--db PATH] USERNAME", `
End every session of USERNAME now, on every authgo serve that uses the
same database (and, with AUTH_REDIS_URL, the same Redis): copies of their
session cookies open nothing from now on. Use it when a password leaks or
an account must be shut out; the user can sign in again.`)
	var data dataFlags
	data.register(fs)
	pos, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		c.errorf("user signout takes one USERNAME, got %d arguments", len(pos))
		fs.Usage()
		return exitUsage
	}
	path, err := data.dbPath()
	if err != nil {
		c.errorf("%v", err)
		return exitFail
	}
	db, store, err := openStore(ctx, path)
	if err != nil {
		c.errorf("%v", err)
		return exitFail
	}
	defer db.Close()
	u, _, err := store.PasswordUser(ctx, pos[0])
	if errors.Is(err, sqlite.ErrNotFound) {
		c.errorf("no user %q in %s", pos[0], path)
		return exitFail
	}
	if err != nil {
		c.errorf("%v", err)
		return exitFail
	}
	stores := []authgo.RevocationStore{store}
	if raw := c.getenv("AUTH_REDIS_URL"); raw != "" {
		rdb, err := redis.Open(ctx, raw)
		if err != nil {
			c.errorf("AUTH_REDIS_URL: %v", err)
			return exitFail
		}
		defer rdb.Close()
		stores = append(stores, redis.NewRevocations(rdb, redis.RevocationsOptions{}))
	}
	now := time.Now()
	for _, s := range stores {
		// Kept as long as a cookie re-issued around now can live, and
		// an hour more (authgo.Auth.RevokeUser keeps it as long).
		if err := s.RevokeUser(ctx, u.ID, now, now.Add(authgo.DefaultMaxAge+time.Hour)); err != nil {
			c.errorf("cannot sign out %q: %v", pos[0], err)
			return exitFail
		}
	}
	c.errorf("signed out every session of %q (id %s)", pos[0], u.ID)
	if len(stores) == 1 {
		c.errorf("note: instances of authgo serve that run with AUTH_REDIS_URL read sign-outs from Redis; run this with the same AUTH_REDIS_URL for them")
	}
	return exitOK
}

// readPassword returns the first line of r without its line ending. It
// refuses an empty password and one longer than password.MaxLength bytes,
// reading no more than that.
func readPassword(r io.Reader) (string, error) {
	// Room for MaxLength bytes and "\r\n": anything longer is refused.
	line, err := bufio.NewReader(io.LimitReader(r, password.MaxLength+2)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading the password: %w", err)
	}
	line = strings.TrimSuffix(line, "\n")
	line = strings.TrimSuffix(line, "\r")
	switch {
	case line == "":
		return "", errors.New("empty password: write the password on stdin, e.g. printf '%s\\n' \"$PASSWORD\" | authgo user add NAME")
	case len(line) > password.MaxLength:
		return "", fmt.Errorf("password longer than %d bytes", password.MaxLength)
	}
	return line, nil
}
