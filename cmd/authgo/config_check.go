package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/authgo/authgo/adapters/sqlite"
	"github.com/authgo/authgo/store"
)

const configCheckHelp = `
Check serve's configuration without serving: read the flags given here,
the environment and the configuration file (--config FILE or AUTH_CONFIG)
as serve does, print every setting with its value and where it came from
(flag, env, file:line or default), secrets masked, and start serve up to
the moment it would listen: every check serve makes at startup, with its
messages. It writes nothing: a SQLite database is stood in for by one in
memory, a PostgreSQL database and Redis are connected to but not changed
(and --dev adds no user), and no port is taken.

Exit status: 0 when serve would start; otherwise serve's, 2 for a bad
setting, 1 when the database or Redis does not answer.`

func runConfigCheck(ctx context.Context, c *cli, args []string) int {
	synopsis := "config check [--config FILE] [serve flags]"
	for _, a := range args {
		if a == "--" {
			break
		}
		if isHelpFlag(a) && a != "help" {
			fmt.Fprintf(c.stderr, "Usage: authgo %s\n\n%s\n\nIt takes serve's flags (authgo serve -h lists them).\n", synopsis, strings.TrimSpace(configCheckHelp))
			return exitOK
		}
	}
	// serve itself, up to the moment it would listen.
	cc := *c
	cc.check = true
	if code := runServe(ctx, &cc, args); code != exitOK {
		return code
	}
	fmt.Fprintln(c.stdout, "\nauthgo serve accepts this configuration")
	return exitOK
}

// print writes every key of the file with its value (masked when secret)
// and where it came from.
func (l *loaded) print(w io.Writer) {
	if l.file != nil {
		fmt.Fprintf(w, "configuration file: %s\n\n", l.file.path)
	} else {
		fmt.Fprintf(w, "configuration file: none (--config FILE or AUTH_CONFIG)\n\n")
	}
	if msg := l.readableSecrets(); msg != "" {
		fmt.Fprintf(w, "warning: %s\n\n", msg)
	}
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "KEY\tVALUE\tFROM\n")
	for _, k := range fileKeys() {
		o, ok := l.origins[k.key]
		if !ok {
			fmt.Fprintf(tw, "%s\t-\tnot set\n", k.key)
			continue
		}
		var v string
		switch {
		case o.from == "default":
			v = k.defaultValue()
		case k.flag != "":
			if lf, ok := l.fs.Lookup(k.flag).Value.(*listFlag); ok {
				var shown []string
				for _, e := range *lf {
					shown = append(shown, strconv.Quote(showValue(k, e)))
				}
				v = "[" + strings.Join(shown, ", ") + "]"
			} else {
				v = showValue(k, l.fs.Lookup(k.flag).Value.String())
			}
		default:
			v = showValue(k, l.getenv(k.env))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", k.key, oneLine(v), o)
	}
	tw.Flush()
}

// oneLine keeps a value on its line of the table.
func oneLine(s string) string {
	s = strings.NewReplacer("\n", `\n`, "\r", `\r`, "\t", `\t`).Replace(s)
	if s == "" {
		return `""`
	}
	return s
}

// noSecretError is serve's error when no secret is set.
func noSecretError(dataDir string) error {
	return fmt.Errorf(`AUTH_SECRET is not set. Make a secret and export it:

	export AUTH_SECRET=$(authgo secret)

(or set secret in the configuration file) and keep it: changing it signs
everybody out. To try authgo out, run "authgo serve --dev", which keeps a
generated secret in %s`, filepath.Join(dataDir, "dev-secret"))
}

// readableSecrets says, when the configuration file holds secrets and
// others may read it, what to do about it.
func (l *loaded) readableSecrets() string {
	if l.file == nil || !l.file.secrets {
		return ""
	}
	st, err := os.Stat(l.file.path)
	if err != nil || st.Mode().Perm()&0o077 == 0 {
		return ""
	}
	return fmt.Sprintf("%s holds secrets and is readable by others (mode %v): chmod 600 %s", l.file.path, st.Mode().Perm(), l.file.path)
}

// warn logs what serve should say about its configuration file.
func (l *loaded) warn(log *slog.Logger) {
	if msg := l.readableSecrets(); msg != "" {
		log.Warn(msg)
	}
}

// devSecret is serve --dev's secret, kept in <data>/dev-secret (made,
// with the directory, when missing). config check makes none: it reads
// the kept one, or uses a fresh one.
func (c *cli) devSecret(data *dataFlags) (secret string, created bool, err error) {
	file := filepath.Join(data.dir, "dev-secret")
	if c.check {
		if b, err := os.ReadFile(file); err == nil {
			return strings.TrimSpace(string(b)), false, nil
		}
		return newSecret(), false, nil
	}
	if err := data.ensureDir(); err != nil {
		return "", false, err
	}
	return devSecret(file)
}

// listen is net.Listen; config check takes no port, and gets a listener
// with the address that never accepts.
func (c *cli) listen(network, addr string) (net.Listener, error) {
	if !c.check {
		return net.Listen(network, addr)
	}
	a, err := net.ResolveTCPAddr(network, addr)
	if err != nil {
		return nil, err
	}
	return checkListener{a}, nil
}

// checkListener is the listener of config check.
type checkListener struct{ addr net.Addr }

func (l checkListener) Accept() (net.Conn, error) { return nil, net.ErrClosed }
func (l checkListener) Close() error              { return nil }
func (l checkListener) Addr() net.Addr            { return l.addr }

// checkDatabase is config check's database: PostgreSQL connected to and
// checked as serve does, a SQLite file stood in for by a database in
// memory (its directory checked); either keeps no outbox and adds no user.
func (c *cli) checkDatabase(ctx context.Context, data *dataFlags) (database, error) {
	if dsn := data.source(c.getenv); isPostgres(dsn) {
		plain := *c
		plain.check = false
		db, err := plain.openDatabase(ctx, data)
		if err != nil {
			return nil, err
		}
		return checkDB{db}, nil
	}
	if data.db != "" {
		if err := data.checkDBFile(); err != nil {
			return nil, err
		}
	}
	sqlDB, err := sql.Open("sqlite", "file::memory:")
	if err != nil {
		return nil, err
	}
	sqlDB.SetMaxOpenConns(1)
	st, err := sqlite.New(ctx, sqlDB)
	if err != nil {
		sqlDB.Close()
		return nil, err
	}
	return checkDB{&sqliteDB{Store: st, db: sqlDB, path: ":memory:"}}, nil
}

// checkDB is a database that config check does not change.
type checkDB struct{ database }

// outbox: none (serve's openJournal opens none for "").
func (checkDB) outbox(*dataFlags) (string, error) { return "", nil }

// createPasswordUser adds nobody (serve --dev's demo user).
func (checkDB) createPasswordUser(ctx context.Context, username, hash string, u store.User) (store.User, error) {
	return u, nil
}
