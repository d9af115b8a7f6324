package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/mail"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/adapters/redis"
	"github.com/authgo/authgo/internal/password"
	usernames "github.com/authgo/authgo/internal/username"
	"github.com/authgo/authgo/store"
)

func runUserAdd(ctx context.Context, c *cli, args []string) int {
	fs := newFlagSet(c, "user add", "user add [--data DIR] [--db FILE|URL] [--name N] [--email E] USERNAME", `
Add a user who signs in to authgo serve with USERNAME and a password. The
password is the first line of stdin (without its line ending; 1 to 1024
bytes). It is stored as an argon2id hash in the database (SQLite, or
PostgreSQL with --db postgres://…).

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
	if err := usernames.Validate(username); err != nil {
		c.errorf("username %q: invalid username: %v", username, err)
		return exitUsage
	}
	if *email != "" {
		if a, err := mail.ParseAddress(*email); err != nil || a.Address != *email {
			c.errorf("--email %q is not a plain email address like alice@example.com", *email)
			return exitUsage
		}
	}

	promptPassword(c, "Password for "+username)
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

	db, err := c.openDatabase(ctx, &data)
	if err != nil {
		c.errorf("%v", err)
		return exitFail
	}
	defer db.close()
	u, err := db.createPasswordUser(ctx, username, hash, store.User{Name: *name, Email: *email})
	if errors.Is(err, errUserExists) {
		c.errorf("cannot add user %q: %v (in %s)", username, err, db.where())
		return exitFail
	}
	if err != nil {
		c.errorf("cannot add user %q: %v", username, err)
		return exitFail
	}
	c.errorf("added user %q (id %s) to %s", username, u.ID, db.where())
	return exitOK
}

func runUserSignOut(ctx context.Context, c *cli, args []string) int {
	var session string
	u, code, ok := c.userCommand(ctx, args, "user signout", `
End every session of USERNAME now, on every authgo serve that uses the
same database (and, with AUTH_REDIS_URL, the same Redis): copies of their
session cookies open nothing from now on, and their database sessions
are deleted (in a PostgreSQL database shared with Auth.js, for the
Next.js app too; with AUTH_SESSION_STORE=redis, in that Redis). Use it
when a password leaks or an account must be shut out; the user can sign
in again.

With --session ID, end only that database session (the IDs are those of
"authgo user sessions USERNAME").`, func(fs *flag.FlagSet) {
		fs.StringVar(&session, "session", "", "end only the database session with this `ID`")
	})
	if !ok {
		return code
	}
	defer u.close()
	if session != "" {
		found, err := u.endSession(ctx, session)
		if err != nil {
			c.errorf("cannot end session %s of %q: %v", session, u.name, err)
			return exitFail
		}
		if !found {
			c.errorf("%q has no session %s (authgo user sessions %s lists them)", u.name, session, u.name)
			return exitFail
		}
		c.errorf("ended session %s of %q", session, u.name)
		return exitOK
	}
	if err := u.signOut(ctx); err != nil {
		c.errorf("cannot sign out %q: %v", u.name, err)
		return exitFail
	}
	c.errorf("signed out every session of %q (id %s)", u.name, u.user.ID)
	u.noteRedis(c)
	return exitOK
}

func runUserSessions(ctx context.Context, c *cli, args []string) int {
	u, code, ok := c.userCommand(ctx, args, "user sessions", `
List the database sessions of USERNAME (authgo serve --session-strategy
database), the most recently seen first: ID, when the session signed in,
when it was last seen, when it expires, the client address and the user
agent. A session Auth.js made has no sign-in or last-seen time ("-").
"authgo user signout USERNAME --session ID" ends one.

Sessions of the JWT strategy (serve's default) live in the browsers'
cookies, not in the database: they cannot be listed, only ended all at
once with "authgo user signout USERNAME".`, nil)
	if !ok {
		return code
	}
	defer u.close()
	sessions, err := u.userSessions(ctx)
	if err != nil {
		c.errorf("cannot list the sessions of %q: %v", u.name, err)
		return exitFail
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSIGNED IN\tLAST SEEN\tEXPIRES\tCLIENT\tUSER AGENT")
	for _, s := range sessions {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.ID, timestamp(s.Created), timestamp(s.LastSeen), timestamp(s.Expires),
			dash(s.ClientAddr), dash(printable(s.UserAgent)))
	}
	if err := tw.Flush(); err != nil {
		c.errorf("%v", err)
		return exitFail
	}
	if len(sessions) == 0 {
		c.errorf("%q has no database sessions in %s. Under the JWT strategy (serve's default) sessions live in the browsers' cookies, not in the database, so they cannot be listed: authgo user signout %s ends them all", u.name, u.db.where(), u.name)
	}
	return exitOK
}

func runUserUnlock(ctx context.Context, c *cli, args []string) int {
	u, code, ok := c.userCommand(ctx, args, "user unlock", `
End the sign-in lockout of USERNAME now: after 10 wrong passwords in 15
minutes, authgo serve refuses their sign-ins until the 15 minutes are
over. The lockout is kept in the database (and in Redis with
AUTH_REDIS_URL), so this works while serve runs. Failures counted against
a client address are not affected.`, nil)
	if !ok {
		return code
	}
	defer u.close()
	n, _, err := u.lockState(ctx)
	if err == nil {
		err = u.unlock(ctx)
	}
	if err != nil {
		c.errorf("cannot unlock %q: %v", u.name, err)
		return exitFail
	}
	if n >= userMaxFailures {
		c.errorf("unlocked %q: they can sign in again now", u.name)
	} else {
		c.errorf("%q was not locked out (%d failed attempts forgotten)", u.name, n)
	}
	return exitOK
}

func runUserPasswd(ctx context.Context, c *cli, args []string) int {
	var keep bool
	u, code, ok := c.userCommand(ctx, args, "user passwd", `
Set the password of USERNAME to the first line of stdin (1 to 1024 bytes),
end their sessions everywhere (unless --keep-sessions) and their sign-in
lockout. A lost --dev password is recovered the same way:

	printf '%s\n' "$NEW_PASSWORD" | authgo user passwd demo`, func(fs *flag.FlagSet) {
		fs.BoolVar(&keep, "keep-sessions", false, "leave the user's existing sessions open")
	})
	if !ok {
		return code
	}
	defer u.close()
	promptPassword(c, "New password for "+u.name)
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
	if err := u.db.setPassword(ctx, u.name, hash); err != nil {
		c.errorf("cannot set the password of %q: %v", u.name, err)
		return exitFail
	}
	if !keep {
		if err := u.signOut(ctx); err != nil {
			c.errorf("password changed, but ending the sessions of %q failed: %v", u.name, err)
			return exitFail
		}
	}
	if err := u.unlock(ctx); err != nil {
		c.errorf("password changed, but ending the lockout of %q failed: %v", u.name, err)
		return exitFail
	}
	if keep {
		c.errorf("changed the password of %q; their sessions stay open", u.name)
	} else {
		c.errorf("changed the password of %q and ended their sessions", u.name)
		u.noteRedis(c)
	}
	return exitOK
}

func runUserDelete(ctx context.Context, c *cli, args []string) int {
	u, code, ok := c.userCommand(ctx, args, "user delete", `
Delete USERNAME: their row in the users table and their password. Their
sessions end everywhere, as with "authgo user signout".`, nil)
	if !ok {
		return code
	}
	defer u.close()
	if _, err := u.db.deletePasswordUser(ctx, u.name); err != nil {
		c.errorf("cannot delete %q: %v", u.name, err)
		return exitFail
	}
	if err := u.signOut(ctx); err != nil {
		c.errorf("deleted %q, but ending their sessions failed: %v", u.name, err)
		return exitFail
	}
	if err := u.unlock(ctx); err != nil {
		c.errorf("deleted %q, but clearing their lockout failed: %v", u.name, err)
		return exitFail
	}
	c.errorf("deleted user %q (id %s) and ended their sessions", u.name, u.user.ID)
	u.noteRedis(c)
	return exitOK
}

func runUserList(ctx context.Context, c *cli, args []string) int {
	fs := newFlagSet(c, "user list", "user list [--data DIR] [--db FILE|URL]", `
List the password users, one per line: username, id, name, email, when
the password was set, and any sign-in lockout (read from Redis too with
AUTH_REDIS_URL).`)
	var data dataFlags
	data.register(fs)
	if code, ok := parseNoArgs(c, fs, args); !ok {
		return code
	}
	st, err := c.openUserStores(ctx, &data)
	if err != nil {
		c.errorf("%v", err)
		return exitFail
	}
	defer st.close()
	users, err := st.db.listPasswordUsers(ctx)
	if err != nil {
		c.errorf("%v", err)
		return exitFail
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "USERNAME\tID\tNAME\tEMAIL\tPASSWORD SET\tSIGN-IN")
	for _, p := range users {
		state := "ok"
		u := &userEnv{userStores: st, name: p.Username}
		n, ends, err := u.lockState(ctx)
		switch {
		case err != nil:
			state = "unknown: " + err.Error()
		case n >= userMaxFailures:
			state = fmt.Sprintf("locked for %s (authgo user unlock %s)", minutes(time.Until(ends)), p.Username)
		case n > 0:
			state = fmt.Sprintf("ok, %d failed attempts", n)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", p.Username, p.ID, dash(p.Name), dash(p.Email), p.PasswordSet, state)
	}
	if err := tw.Flush(); err != nil {
		c.errorf("%v", err)
		return exitFail
	}
	if len(users) == 0 {
		c.errorf("no users in %s: add one with authgo user add NAME", st.db.where())
	}
	return exitOK
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// timestamp shows t in UTC to the second; "-" for none.
func timestamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// printable replaces what a terminal would act on (control characters, a
// user agent's escape sequences) with U+FFFD.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return unicode.ReplacementChar
		}
		return r
	}, s)
}

// minutes rounds d up to whole minutes, for people.
func minutes(d time.Duration) string {
	m := (d + time.Minute - 1) / time.Minute
	if m <= 1 {
		return "1 minute"
	}
	return fmt.Sprintf("%d minutes", m)
}

// userStores are where a user's data lives: the database (SQLite or
// PostgreSQL) and, with AUTH_REDIS_URL, Redis (sign-outs and lockouts).
type userStores struct {
	db       database
	revokers []authgo.RevocationStore
	counters []authgo.Counter
	sessions []store.SessionStore // where database sessions live: the database first
	rdb      io.Closer
}

func (s *userStores) close() {
	if s.rdb != nil {
		s.rdb.Close()
	}
	s.db.close()
}

// openUserStores opens the database of data and, with AUTH_REDIS_URL,
// Redis.
func (c *cli) openUserStores(ctx context.Context, data *dataFlags) (*userStores, error) {
	db, err := c.openDatabase(ctx, data)
	if err != nil {
		return nil, err
	}
	s := &userStores{db: db, revokers: []authgo.RevocationStore{db}, counters: []authgo.Counter{db.counter()},
		sessions: []store.SessionStore{db}}
	if raw := c.getenv("AUTH_REDIS_URL"); raw != "" {
		rdb, err := openRedis(ctx, raw, nil)
		if err != nil {
			db.close()
			return nil, err
		}
		s.rdb = rdb
		s.revokers = append(s.revokers, redis.NewRevocations(rdb, redis.RevocationsOptions{}))
		s.counters = append(s.counters, redis.NewCounter(rdb, redis.CounterOptions{}))
		if c.getenv("AUTH_SESSION_STORE") == "redis" {
			s.sessions = append(s.sessions, redis.NewSessions(rdb, db, redis.SessionsOptions{}))
		}
	} else if c.getenv("AUTH_SESSION_STORE") == "redis" {
		db.close()
		return nil, errors.New("AUTH_SESSION_STORE=redis needs AUTH_REDIS_URL, the Redis that serve keeps sessions in")
	}
	return s, nil
}

// userEnv is one existing user and the stores.
type userEnv struct {
	*userStores
	name string
	user store.User
}

// userCommand parses the flags and the USERNAME of a user subcommand,
// opens the stores and finds the user. more adds flags.
func (c *cli) userCommand(ctx context.Context, args []string, name, help string, more func(*flag.FlagSet)) (*userEnv, int, bool) {
	fs := newFlagSet(c, name, name+" [--data DIR] [--db FILE|URL] USERNAME", help)
	var data dataFlags
	data.register(fs)
	if more != nil {
		more(fs)
	}
	pos, code, ok := parseArgs(fs, args)
	if !ok {
		return nil, code, false
	}
	if len(pos) != 1 {
		c.errorf("%s takes one USERNAME, got %d arguments", name, len(pos))
		fs.Usage()
		return nil, exitUsage, false
	}
	st, err := c.openUserStores(ctx, &data)
	if err != nil {
		c.errorf("%v", err)
		return nil, exitFail, false
	}
	u, _, err := st.db.passwordUser(ctx, pos[0])
	if errors.Is(err, errNoUser) {
		st.close()
		c.errorf("no user %q in %s (authgo user list shows who there is)", pos[0], st.db.where())
		return nil, exitFail, false
	}
	if err != nil {
		st.close()
		c.errorf("%v", err)
		return nil, exitFail, false
	}
	return &userEnv{userStores: st, name: pos[0], user: u}, 0, true
}

// signOut ends every session of the user in every store: a revocation
// cutoff for the JWT sessions, and the database sessions deleted.
func (u *userEnv) signOut(ctx context.Context) error {
	now := time.Now()
	for _, s := range u.revokers {
		// Kept as long as a cookie re-issued around now can live, and
		// an hour more (authgo.Auth.RevokeUser keeps it as long).
		if err := s.RevokeUser(ctx, u.user.ID, now, now.Add(authgo.DefaultMaxAge+time.Hour)); err != nil {
			return err
		}
	}
	for _, s := range u.sessions {
		if _, err := s.DeleteUserSessions(ctx, u.user.ID); err != nil {
			return err
		}
	}
	return nil
}

// userSessions lists the user's database sessions in every store, the
// most recently seen first.
func (u *userEnv) userSessions(ctx context.Context) ([]store.Session, error) {
	var all []store.Session
	for _, s := range u.sessions {
		list, err := s.UserSessions(ctx, u.user.ID)
		if err != nil {
			return nil, err
		}
		all = append(all, list...)
	}
	slices.SortStableFunc(all, func(a, b store.Session) int { return b.LastSeen.Compare(a.LastSeen) })
	return all, nil
}

// endSession ends the user's database session id, in whichever store
// holds it, and reports whether one did.
func (u *userEnv) endSession(ctx context.Context, id string) (bool, error) {
	for _, s := range u.sessions {
		found, err := s.DeleteUserSession(ctx, u.user.ID, id)
		if err != nil || found {
			return found, err
		}
	}
	return false, nil
}

// lockState is the user's failed sign-ins in the current window, the
// highest any store counts, and when that window ends.
func (u *userEnv) lockState(ctx context.Context) (int64, time.Time, error) {
	var n int64
	var ends time.Time
	for _, ctr := range u.counters {
		cn, ce, err := ctr.Count(ctx, userLockKey(u.name))
		if err != nil {
			return 0, time.Time{}, err
		}
		if cn > n {
			n, ends = cn, ce
		}
	}
	return n, ends, nil
}

// unlock forgets the user's failed sign-ins in every store.
func (u *userEnv) unlock(ctx context.Context) error {
	for _, ctr := range u.counters {
		if err := ctr.Reset(ctx, userLockKey(u.name)); err != nil {
			return err
		}
	}
	return nil
}

// noteRedis reminds that instances on Redis read sign-outs there.
func (u *userEnv) noteRedis(c *cli) {
	if u.rdb == nil {
		c.errorf("note: instances of authgo serve that run with AUTH_REDIS_URL read sign-outs from Redis; run this with the same AUTH_REDIS_URL for them")
	}
}

// promptPassword asks for the password when stdin is a terminal.
func promptPassword(c *cli, prompt string) {
	if f, ok := c.stdin.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			fmt.Fprintf(c.stderr, "%s (visible as you type; end with Enter): ", prompt)
		}
	}
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
