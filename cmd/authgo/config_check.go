package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/adapters/sqlite"
	"github.com/authgo/authgo/internal/match"
	"github.com/authgo/authgo/provider"
	"github.com/authgo/authgo/providers/backend"
	providerenv "github.com/authgo/authgo/providers/env"
	"github.com/authgo/authgo/proxy"
)

const configCheckHelp = `
Check serve's configuration without serving: read the flags given here,
the environment and the configuration file (--config FILE or AUTH_CONFIG)
as serve does, make the checks serve makes at startup, and print every
setting with its value and where it came from (flag, env, file:line or
default), secrets masked. It opens no database and listens on nothing.

Exit status: 0 when serve would accept the configuration, 2 when not.`

func runConfigCheck(ctx context.Context, c *cli, args []string) int {
	synopsis := "config check [--config FILE] [serve flags]"
	fs := newFlagSet(c, "config check", synopsis, configCheckHelp)
	var o serveOptions
	registerSettings(fs, &o)
	fs.Usage = func() {
		fmt.Fprintf(c.stderr, "Usage: authgo %s\n\n%s\n\nIt takes serve's flags (authgo serve -h lists them).\n", synopsis, strings.TrimSpace(configCheckHelp))
	}
	pos, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		c.errorf("config check takes no arguments, got %q", pos)
		fs.Usage()
		return exitUsage
	}
	l, err := loadSettings(fs, c.getenv)
	if err != nil {
		c.errorf("%v", err)
		return exitUsage
	}
	c = l.cli(c)
	l.print(c.stdout)
	if err := checkServe(ctx, c, fs, &o); err != nil {
		c.errorf("%v", err)
		return exitUsage
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

// checkServe makes the checks serve makes at startup before it opens its
// database and listens, with the same messages, and then builds the
// authgo.Config serve would build (over a database in memory) so that
// authgo.New and proxy.New check it too. It touches no file.
func checkServe(ctx context.Context, c *cli, fs *flag.FlagSet, o *serveOptions) error {
	session, err := sessionConfig(o)
	if err != nil {
		return err
	}
	if _, err := sessionStore(o, c.getenv); err != nil {
		return err
	}
	tlsConf, err := checkOps(o)
	if err != nil {
		return err
	}
	var logo []byte
	if o.logo != "" {
		if logo, err = readLogo(o.logo); err != nil {
			return fmt.Errorf("--logo %s: %v", o.logo, err)
		}
	}
	if _, err := match.Compile(o.protect...); len(o.protect) > 0 && err != nil {
		return fmt.Errorf("--protect: %v", err)
	}
	oauthProviders, err := providerenv.FromEnv(c.getenv, providerenv.Options{})
	if err != nil {
		return err
	}
	backendProvider, err := backend.FromEnv(c.getenv)
	if err != nil {
		return err
	}
	authURL := c.getenv("AUTH_URL")
	trustHost := false
	if v := c.getenv("AUTH_TRUST_HOST"); v != "" {
		if trustHost, err = strconv.ParseBool(v); err != nil {
			return fmt.Errorf("AUTH_TRUST_HOST=%q is not a boolean: use true or false", v)
		}
	}
	if trustHost && len(o.gw.trustedProxies) == 0 {
		return fmt.Errorf("AUTH_TRUST_HOST=true needs --trusted-proxy CIDR (AUTH_TRUSTED_PROXIES), the proxies whose X-Forwarded-Host and X-Forwarded-Proto are believed; 0.0.0.0/0 and ::/0 trust every peer, as Auth.js does")
	}
	if err := checkRedirectAllow(o.gw.redirectAllow); err != nil {
		return err
	}
	host, _, err := net.SplitHostPort(o.addr)
	if err != nil {
		return fmt.Errorf("--addr %q: %v", o.addr, err)
	}
	if authURL == "" && !trustHost && allInterfaces(host) {
		return fmt.Errorf("--addr %s listens on all interfaces, so the public URL is unknown: set AUTH_URL (e.g. AUTH_URL=https://auth.example.com/auth), or AUTH_TRUST_HOST=true behind a proxy that sets X-Forwarded-Host and X-Forwarded-Proto", o.addr)
	}
	secrets := envSecrets(c.getenv)
	if c.getenv("AUTH_SECRET") == "" {
		if !o.dev {
			return noSecretError(o.data.dir)
		}
		// serve --dev reads the kept secret, or makes one.
		s := newSecret()
		if b, err := os.ReadFile(filepath.Join(o.data.dir, "dev-secret")); err == nil {
			s = strings.TrimSpace(string(b))
		}
		secrets = append([]string{s}, secrets...)
	}
	if dsn := o.data.source(c.getenv); dsn != "" && isPostgres(dsn) {
		if _, err := url.Parse(dsn); err != nil {
			shown, _ := redactURL(dsn)
			return fmt.Errorf("--db %s: not a URL", shown)
		}
	} else if dsn != "" {
		if st, err := os.Stat(filepath.Dir(dsn)); err != nil || !st.IsDir() {
			return fmt.Errorf("--db %s: directory %s does not exist", dsn, filepath.Dir(dsn))
		}
	}

	// The Config serve builds, over a database in memory.
	sqlDB, err := sql.Open("sqlite", "file::memory:")
	if err != nil {
		return err
	}
	defer sqlDB.Close()
	sqlDB.SetMaxOpenConns(1)
	st, err := sqlite.New(ctx, sqlDB)
	if err != nil {
		return err
	}
	db := &sqliteDB{Store: st, db: sqlDB, path: ":memory:"}
	log := slog.New(slog.DiscardHandler)
	cfg := authgo.Config{
		Secret:         secrets,
		URL:            authURL,
		TrustHost:      trustHost,
		TrustedProxies: o.gw.trustedProxies,
		Logger:         log,
		Matcher:        o.protect,
		Theme:          authgo.Theme{Brand: o.brand, Color: o.brandColor, Logo: logo},
		Session:        session,
		Debug:          o.debug,
		Users:          db,
	}
	cfg.Session.Revocations = db
	switch o.sessionStrategy {
	case "", "jwt":
	case "database":
		cfg.Session.Strategy = authgo.StrategyDatabase
		cfg.Session.Store = db
	default:
		return fmt.Errorf("--session-strategy %q: want jwt or database", o.sessionStrategy)
	}
	if authURL == "" && !trustHost {
		cfg.URL = "http://" + o.addr
		if tlsConf != nil {
			cfg.URL = "https://" + o.addr
		}
	}
	var form provider.Provider = backendProvider
	if backendProvider == nil {
		if form, err = newCredentials(db, db.counter(), log, o.gw.trustedProxies); err != nil {
			return err
		}
	}
	cfg.Providers = append([]provider.Provider{form}, oauthProviders...)
	a, err := authgo.New(cfg)
	if err != nil {
		if s, ok := settingOf(err); ok {
			return fmt.Errorf("--%s %s: %s", s.flag, fs.Lookup(s.flag).Value, strings.TrimPrefix(err.Error(), "authgo: "))
		}
		return err
	}
	for _, spec := range o.apis {
		prefix, upstream, _ := strings.Cut(spec, "=")
		if _, err := proxy.New(a, proxy.Options{Prefix: prefix, Upstream: upstream, Logger: log}); err != nil {
			return fmt.Errorf("--api %q: %v", spec, err)
		}
	}
	return nil
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
