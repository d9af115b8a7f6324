package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/adapters/outbox"
	"github.com/authgo/authgo/adapters/redis"
	"github.com/authgo/authgo/internal/clientip"
	"github.com/authgo/authgo/internal/fwd"
	"github.com/authgo/authgo/internal/match"
	"github.com/authgo/authgo/internal/password"
	"github.com/authgo/authgo/provider"
	"github.com/authgo/authgo/providers/backend"
	"github.com/authgo/authgo/providers/credentials"
	providerenv "github.com/authgo/authgo/providers/env"
	"github.com/authgo/authgo/providers/passkey"
	"github.com/authgo/authgo/proxy"
	"github.com/authgo/authgo/store"
)

// Server timeouts and limits (attacks.md T57, T58). Variables only so
// that a test can shorten them.
var (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 120 * time.Second
	maxHeaderBytes    = 64 << 10
)

// outboxPath is the journal of the sign-outs the revocation store could
// not take (adapters/outbox): beside the database, named after it
// (<data>/authgo.outbox).
func outboxPath(dbPath string) string {
	if filepath.Ext(dbPath) == ".outbox" {
		return dbPath + ".outbox"
	}
	return strings.TrimSuffix(dbPath, filepath.Ext(dbPath)) + ".outbox"
}

// outboxMaxRetry is the longest wait between deliveries of the outbox
// while the store is down; a variable only so a test can shorten it.
var outboxMaxRetry = 10 * time.Second

// openJournal opens the outbox journal at path. When another process
// holds it (two instances on one data directory), it warns and returns
// nil: this instance then keeps no sign-outs through an outage.
func openJournal(path string, log *slog.Logger) (*outbox.File, error) {
	if path == "" {
		return nil, nil // none (config check)
	}
	j, err := outbox.OpenFile(path)
	if errors.Is(err, outbox.ErrLocked) {
		log.Warn("another authgo uses this data directory's sign-out outbox; sign-outs made here while the store is down are not kept: give each instance its own --data", "file", path)
		return nil, nil
	}
	return j, err
}

// pending is how many sign-outs j holds for the store; 0 for nil.
func pending(ctx context.Context, j *outbox.File) int {
	if j == nil {
		return 0
	}
	recs, _ := j.Records(ctx)
	return len(recs)
}

// readLogo reads the --logo file, refusing one larger than the library
// takes before reading it all.
func readLogo(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, authgo.MaxLogoSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > authgo.MaxLogoSize {
		return nil, fmt.Errorf("larger than %d KiB: use a smaller image", authgo.MaxLogoSize>>10)
	}
	if len(b) == 0 {
		return nil, errors.New("the file is empty")
	}
	return b, nil
}

// sessionConfig is the session lifetimes of the --session-* flags (or
// their AUTH_SESSION_* variables); unset ones keep the library's defaults.
func sessionConfig(o *serveOptions) (authgo.SessionConfig, error) {
	var sc authgo.SessionConfig
	for _, f := range []struct {
		name string
		v    durationFlag
		dst  *time.Duration
		none bool // a negative value means "no limit"
	}{
		{"--session-max-age", o.sessionMaxAge, &sc.MaxAge, false},
		{"--session-update-age", o.sessionUpdateAge, &sc.UpdateAge, false},
		{"--session-max-lifetime", o.sessionMaxLifetime, &sc.MaxLifetime, true},
	} {
		switch {
		case !f.v.set:
		case f.v.d < 0 && f.none:
			*f.dst = -1
		case f.v.d < time.Second:
			hint := ""
			if f.none {
				hint = " (-1 for no limit)"
			}
			return sc, fmt.Errorf("%s %s: must be at least one second%s", f.name, f.v.d, hint)
		default:
			*f.dst = f.v.d
		}
	}
	return sc, nil
}

// demoUser is the user --dev creates in an empty store.
const demoUser = "demo"

const serveHelp = `
Serve the Auth.js endpoints (under /auth, or the path of AUTH_URL) with a
username and password sign-in over the users of "authgo user add", a home
page at / that shows who is signed in, and the --protect paths, which need
a session. Everything else is 404, unless --upstream puts authgo in front
of an app: then every other path goes to the app, and needs a session
unless --public matches it. GET <base>/forward-auth answers nginx,
Traefik and Caddy in front of an app.

Try it: authgo serve --dev`

func runServe(ctx context.Context, c *cli, args []string) int {
	fs := newFlagSet(c, "serve", serveSynopsis(), serveHelp)
	var o serveOptions
	registerSettings(fs, &o)
	fs.Usage = func() {
		fmt.Fprintf(c.stderr, "Usage: authgo %s\n\n%s\n", serveSynopsis(), strings.TrimSpace(serveHelp))
		printSettings(c.stderr)
	}
	pos, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		c.errorf("serve takes no arguments, got %q", pos)
		fs.Usage()
		return exitUsage
	}
	// The environment, then the configuration file, fill in what the
	// command line did not set; c reads the file's variables too.
	loaded, err := loadSettings(fs, c.getenv)
	if err != nil {
		c.errorf("%v", err)
		return exitUsage
	}
	c = loaded.cli(c)
	if c.check {
		loaded.print(c.stdout)
	}
	addr, data, dev, apis, protect := &o.addr, o.data, &o.dev, o.apis, o.protect
	session, err := sessionConfig(&o)
	if err != nil {
		c.errorf("%v", err)
		return exitUsage
	}
	redisSessions, err := sessionStore(&o, c.getenv)
	if err != nil {
		c.errorf("%v", err)
		return exitUsage
	}
	level := slog.LevelInfo
	if o.debug {
		level = slog.LevelDebug
	}
	tlsConf, err := checkOps(&o)
	if err != nil {
		c.errorf("%v", err)
		return exitUsage
	}
	out := &logOut{w: c.stderr}
	defer out.Flush()
	log, _ := newLogger(out, o.logFormat, level)
	alog := newAccessLog(out.Later(), o.logFormat, level)
	scheme := "http"
	if tlsConf != nil {
		scheme = "https"
	}
	var m *metrics
	if o.metricsAddr != "" {
		m = newMetrics()
	}

	var logo []byte
	if o.logo != "" {
		var err error
		logo, err = readLogo(o.logo)
		if err != nil {
			c.errorf("--logo %s: %v", o.logo, err)
			return exitUsage
		}
	}
	// Checked here too, so a bad pattern is named before anything opens.
	if _, err := match.Compile(protect...); len(protect) > 0 && err != nil {
		c.errorf("--protect: %v", err)
		return exitUsage
	}
	// OAuth/OIDC providers from the Auth.js variable names
	// (AUTH_GITHUB_ID/SECRET, …, AUTH_OIDC_ISSUER/ID/SECRET).
	oauthProviders, err := providerenv.FromEnv(c.getenv, providerenv.Options{})
	if err != nil {
		c.errorf("%v", err)
		return exitUsage
	}
	// Sign-in by email (AUTH_EMAIL_SERVER, or printed links under --dev).
	emailProvider, err := newEmailProvider(c.getenv, *dev, c.stdout)
	if err != nil {
		c.errorf("%v", err)
		return exitUsage
	}
	// The original setup's back end as the sign-in form's provider.
	backendProvider, err := backend.FromEnv(c.getenv)
	if err != nil {
		c.errorf("%v", err)
		return exitUsage
	}
	authURL := c.getenv("AUTH_URL")
	trustHost := false
	if v := c.getenv("AUTH_TRUST_HOST"); v != "" {
		trustHost, err = strconv.ParseBool(v)
		if err != nil {
			c.errorf("AUTH_TRUST_HOST=%q is not a boolean: use true or false", v)
			return exitUsage
		}
	}
	if trustHost && len(o.gw.trustedProxies) == 0 {
		c.errorf("AUTH_TRUST_HOST=true needs --trusted-proxy CIDR (AUTH_TRUSTED_PROXIES), the proxies whose X-Forwarded-Host and X-Forwarded-Proto are believed; 0.0.0.0/0 and ::/0 trust every peer, as Auth.js does")
		return exitUsage
	}
	if err := checkRedirectAllow(o.gw.redirectAllow); err != nil {
		c.errorf("%v", err)
		return exitUsage
	}
	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		c.errorf("--addr %q: %v", *addr, err)
		return exitUsage
	}
	if o.passkeys {
		if err := passkeysURL(authURL, trustHost, host); err != nil {
			c.errorf("%v", err)
			return exitUsage
		}
	}
	if authURL == "" && !trustHost && allInterfaces(host) {
		c.errorf("--addr %s listens on all interfaces, so the public URL is unknown: set AUTH_URL (e.g. AUTH_URL=https://auth.example.com/auth), or AUTH_TRUST_HOST=true with --trusted-proxy behind a proxy that sets X-Forwarded-Host and X-Forwarded-Proto", *addr)
		return exitUsage
	}

	secrets := envSecrets(c.getenv)
	if c.getenv("AUTH_SECRET") == "" {
		if !*dev {
			c.errorf("%v", noSecretError(data.dir))
			return exitUsage
		}
		s, created, err := c.devSecret(&data)
		if err != nil {
			c.errorf("%v", err)
			return exitFail
		}
		if created {
			log.Info("generated a development secret", "file", filepath.Join(data.dir, "dev-secret"))
		}
		secrets = append([]string{s}, secrets...)
	}
	if *dev {
		log.Warn("development mode (--dev) is on: do not use it in production")
	}
	loaded.warn(log)

	// The database: users, sessions, sign-outs, lockouts (SQLite, or
	// PostgreSQL with --db postgres://…).
	db, err := c.openDatabase(ctx, &data)
	if err != nil {
		c.errorf("%v", err)
		return exitFail
	}
	defer db.close()
	op := &ops{log: log, alog: alog, access: o.accessLog, metrics: m}
	op.addReady("database", db.ping)
	// Sign-outs the store cannot take now (Redis down, the database
	// locked) are kept in a journal in the data directory (beside a SQLite
	// file), and delivered when the store answers.
	journalPath, err := db.outbox(&data)
	if err != nil {
		c.errorf("%v", err)
		return exitFail
	}
	journal, err := openJournal(journalPath, log)
	if err != nil {
		c.errorf("%v", err)
		return exitFail
	}
	if journal != nil {
		defer journal.Close()
	}

	ln, err := c.listen("tcp", *addr)
	if err != nil {
		c.errorf("%v", err)
		return exitFail
	}
	defer ln.Close()

	cfg := authgo.Config{
		Secret:    secrets,
		URL:       authURL,
		TrustHost: trustHost,
		Logger:    log,
		Matcher:   protect,
		// The one source of trust for forwarding headers.
		TrustedProxies: o.gw.trustedProxies,
		CookieDomain:   o.gw.cookieDomain,
		Theme:          authgo.Theme{Brand: o.brand, Color: o.brandColor, Logo: logo},
		Session:        session,
		Debug:          o.debug,
	}
	// Sign-outs are recorded in the database, so every instance on it, and
	// a restart, honour them; with Redis, in Redis (below).
	cfg.Session.Revocations = db
	// Users and their linked accounts live in the database under either
	// strategy: every sign-in finds or creates the user's row, and a
	// session's sub is that row's id.
	cfg.Users = db
	switch o.sessionStrategy {
	case "", "jwt":
	case "database":
		// Sessions in the database too.
		cfg.Session.Strategy = authgo.StrategyDatabase
		cfg.Session.Store = db
	default:
		c.errorf("--session-strategy %q: want jwt or database", o.sessionStrategy)
		return exitUsage
	}
	if authURL == "" && !trustHost {
		cfg.URL = scheme + "://" + ln.Addr().String()
		if o.passkeys {
			// A passkey's relying party id is a host name, never an IP
			// address: the loopback address by its name.
			_, port, _ := net.SplitHostPort(ln.Addr().String())
			cfg.URL = scheme + "://localhost:" + port
		}
	}
	if o.gw.upstream != "" {
		// In front of an app the gateway guards the paths (--public,
		// --protect); the middleware has nothing left to guard.
		cfg.Matcher = nil
	}
	if len(o.gw.redirectAllow) > 0 {
		cfg.Callbacks.Redirect = redirectCallback(o.gw.redirectAllow)
	}
	// Sign-in failures are counted in the database too, so a lockout holds
	// across instances and restarts and authgo user unlock can end it.
	counter := db.counter()
	if u := c.getenv("AUTH_REDIS_URL"); u != "" {
		// Several instances share refreshes, sign-outs and lockouts
		// through Redis.
		rdb, err := openRedis(ctx, u, log)
		if n := pending(ctx, journal); err != nil && n > 0 {
			// An instance that holds sign-outs Redis has not taken starts
			// while Redis is down, to refuse them; otherwise an
			// unreachable AUTH_REDIS_URL is a mistake to report.
			log.Warn("Redis does not answer; starting anyway to refuse the sign-outs kept in the outbox until Redis takes them, and every other session until it answers", "sign_outs", n, "err", err)
			rdb, err = redisClient(u)
		}
		if err != nil {
			c.errorf("%v", err)
			return exitFail
		}
		defer rdb.Close()
		op.addReady("redis", func(ctx context.Context) error { return rdb.Ping(ctx).Err() })
		cfg.Tokens.Locker = redis.NewLocker(rdb, redis.LockerOptions{Logger: log})
		cfg.Session.Revocations = redis.NewRevocations(rdb, redis.RevocationsOptions{})
		counter = redis.NewCounter(rdb, redis.CounterOptions{})
		log.Info("refreshes, sign-outs and sign-in lockouts are shared through Redis")
		if redisSessions {
			// Users and their accounts stay in the database.
			cfg.Session.Store = redis.NewSessions(rdb, cfg.Users, redis.SessionsOptions{})
			log.Info("database sessions are kept in Redis")
		}
	}
	counter = m.instrumentStores(&cfg, counter)
	if journal != nil {
		box, err := outbox.New(ctx, cfg.Session.Revocations, journal, outbox.Options{Logger: log, MaxRetry: outboxMaxRetry})
		if err != nil {
			c.errorf("%v", err)
			return exitFail
		}
		defer box.Close()
		cfg.Session.Revocations = box
	}
	var form provider.Provider = backendProvider
	if backendProvider == nil {
		form, err = newCredentials(db, counter, log, o.gw.trustedProxies)
		if err != nil {
			c.errorf("%v", err)
			return exitFail
		}
	} else {
		log.Info("the sign-in form signs in against the back end", "login_url", c.getenv("AUTH_BACKEND_LOGIN_URL"))
	}
	cfg.Providers = append([]provider.Provider{form}, oauthProviders...)
	emailAllow := &emailAllowList{log: log}
	noList := !o.gw.allowAny && len(o.gw.allowEmails) == 0 && len(o.gw.allowDomains) == 0
	emailAllow.open = noList && *dev
	if emailProvider != nil {
		cfg.Providers = append(cfg.Providers, emailProvider)
		cfg.Email = emailLimits(&o.email, counter)
		cfg.Email.Tokens = db // the verification_token table
		cfg.Callbacks.SignIn = emailAllow.signIn
		switch {
		case emailProvider.Server() == "":
			log.Info("email sign-in is on: --dev prints each link to standard output instead of sending it", "provider", emailProvider.ID())
		default:
			log.Info("email sign-in is on", "provider", emailProvider.ID(), "smtp", emailProvider.Server())
		}
		if noList && !*dev {
			log.Warn("email sign-in sends no link until you say who may have one: --allow-email ADDR, --allow-email-domain DOMAIN or --allow-any")
		}
	}
	if o.passkeys {
		cfg.Providers = append(cfg.Providers, passkey.New())
		cfg.Callbacks.SignIn = passkeySignUps(cfg.Callbacks.SignIn, emailAllow)
		if noList && !*dev {
			log.Warn("--passkeys: nobody may sign up with a passkey until you say who may: set --allow-email ADDR, --allow-email-domain DOMAIN or --allow-any; signed-in users may add one")
		}
	}
	m.installEvents(&cfg)
	a, err := authgo.New(cfg)
	if err != nil {
		// New names the Config field it refuses; say which flag set it.
		if s, ok := settingOf(err); ok {
			c.errorf("--%s %s: %s", s.flag, fs.Lookup(s.flag).Value, strings.TrimPrefix(err.Error(), "authgo: "))
		} else {
			c.errorf("%v", err)
		}
		return exitUsage
	}
	for _, p := range oauthProviders {
		log.Info("sign-in provider on", "provider", p.ID(), "redirect_uri", redirectURI(cfg.URL, a.BasePath(), p.ID()))
	}

	var demoPassword string
	if *dev {
		demoPassword, err = addDemoUser(ctx, db)
		if err != nil {
			c.errorf("%v", err)
			return exitFail
		}
	}

	site := newSite(a, cfg.Theme, protect, log)
	g, err := newGateway(a, &o, protect, db, form.ID(), log, site, m.transport("upstream", fwd.DefaultTransport()))
	if err != nil {
		c.errorf("%v", err)
		return exitUsage
	}
	site.gateway(g, o.gw.upstream != "")
	emailAllow.g.Store(g)
	if o.gw.upstream != "" {
		log.Info("in front of the app", "upstream", o.gw.upstream, "public", []string(o.gw.public), "protect", []string(protect))
	}
	warnAllowList(&o.gw, oauthProviders, log)
	for _, spec := range apis {
		prefix, upstream, _ := strings.Cut(spec, "=")
		origin := ""
		if u, err := url.Parse(cfg.URL); err == nil && cfg.URL != "" {
			origin = u.Scheme + "://" + u.Host
		}
		px, err := proxy.New(a, proxy.Options{Prefix: prefix, Upstream: upstream, Origin: origin, Logger: log, Transport: m.transport("api", proxy.NewTransport())})
		if err != nil {
			c.errorf("--api %q: %v", spec, err)
			return exitUsage
		}
		site.mount(strings.TrimSuffix(prefix, "/"), px)
		log.Info("proxying the API", "prefix", prefix, "upstream", upstream)
	}

	if err := op.configure(a, cfg, protect, apis, o.gw.upstream); err != nil {
		c.errorf("%v", err)
		return exitUsage
	}
	if c.check {
		return exitOK // config check: everything but listening (keep this last before the servers)
	}
	srv := &http.Server{
		Handler:           op.wrap(site),
		TLSConfig:         tlsConf,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	stopSweep := startSessionSweep(ctx, db, sessionSweepEvery, time.Now, log)
	defer stopSweep()
	served := make(chan error, 2)
	go func() {
		if tlsConf != nil {
			served <- srv.ServeTLS(ln, "", "")
			return
		}
		served <- srv.Serve(ln)
	}()
	var msrv *http.Server
	if m != nil {
		if msrv, err = op.serveMetrics(o.metricsAddr, served); err != nil {
			srv.Close()
			c.errorf("--metrics-addr %s: %v", o.metricsAddr, err)
			return exitFail
		}
	}

	homeFrom := authURL
	if o.passkeys && authURL == "" {
		homeFrom = cfg.URL // localhost, not the loopback address
	}
	home := homeURL(scheme, homeFrom, ln.Addr())
	log.Info("listening", "addr", ln.Addr().String(), "url", home, "auth", a.BasePath(), "db", db.where(), "protect", []string(protect))
	fmt.Fprintf(c.stdout, "authgo is running: open %s\n", home)
	if demoPassword != "" {
		fmt.Fprintf(c.stdout, "sign in as %s / %s\n", demoUser, demoPassword)
	}

	select {
	case err := <-served:
		c.errorf("%v", err)
		return exitFail
	case <-ctx.Done():
	}
	grace := defaultShutdownGrace
	if o.shutdownGrace.set {
		grace = o.shutdownGrace.d
	}
	log.Info("shutting down: finishing the requests in flight", "grace", grace)
	if err := op.shutdown(srv, grace); err != nil {
		log.Warn("shutdown: the grace ran out; closed the connections still open", "grace", grace, "err", err)
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		c.errorf("%v", err)
		return exitFail
	}
	if msrv != nil {
		shutdown(msrv, time.Second)
	}
	log.Info("stopped")
	return exitOK
}

// sessionStore reports whether --session-store (AUTH_SESSION_STORE) puts
// database sessions in Redis, and refuses the combinations that cannot.
func sessionStore(o *serveOptions, getenv func(string) string) (inRedis bool, err error) {
	switch o.sessionStore {
	case "", "db":
		return false, nil
	case "redis":
	default:
		return false, fmt.Errorf("--session-store %q: want db or redis", o.sessionStore)
	}
	if o.sessionStrategy != "database" {
		return false, errors.New("--session-store redis keeps database sessions: add --session-strategy database (AUTH_SESSION_STRATEGY=database)")
	}
	if getenv("AUTH_REDIS_URL") == "" {
		return false, errors.New("--session-store redis needs AUTH_REDIS_URL, the Redis to keep sessions in (e.g. redis://127.0.0.1:6379/0)")
	}
	return true, nil
}

// allInterfaces reports whether host (from --addr) listens on every
// interface.
func allInterfaces(host string) bool {
	if host == "" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsUnspecified()
}

// homeURL is the URL printed at start: the origin of AUTH_URL, or the
// address listened on.
func homeURL(scheme, authURL string, addr net.Addr) string {
	if authURL != "" {
		if u, err := url.Parse(authURL); err == nil && u.Host != "" {
			return u.Scheme + "://" + u.Host + "/"
		}
	}
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return scheme + "://" + addr.String() + "/"
	}
	if allInterfaces(host) {
		host = "localhost"
	}
	return scheme + "://" + net.JoinHostPort(host, port) + "/"
}

// devSecret returns the secret kept in file, making it (mode 0600) when
// the file does not exist yet.
func devSecret(file string) (secret string, created bool, err error) {
	b, err := os.ReadFile(file)
	if err == nil {
		s := strings.TrimSpace(string(b))
		if len(s) < authgo.MinSecretLength {
			return "", false, fmt.Errorf("%s holds a secret shorter than %d bytes: delete the file to make a new one", file, authgo.MinSecretLength)
		}
		return s, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", false, fmt.Errorf("dev secret: %w", err)
	}
	// Written whole to a temporary file, then linked into place: another
	// authgo starting on the same data directory never reads a file that
	// is still being written, and a link fails when the name exists.
	s := newSecret()
	f, err := os.CreateTemp(filepath.Dir(file), ".dev-secret-*")
	if err != nil {
		return "", false, fmt.Errorf("dev secret: %w", err)
	}
	defer os.Remove(f.Name())
	if _, err := f.WriteString(s + "\n"); err != nil {
		f.Close()
		return "", false, fmt.Errorf("dev secret: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", false, fmt.Errorf("dev secret: %w", err)
	}
	if err := os.Link(f.Name(), file); errors.Is(err, fs.ErrExist) {
		// Another authgo made it just now; use theirs.
		return devSecret(file)
	} else if err != nil {
		return "", false, fmt.Errorf("dev secret: %w", err)
	}
	return s, true, nil
}

// addDemoUser adds the user demo with a random password when the store has
// no users, and returns the password ("" when there were users).
func addDemoUser(ctx context.Context, db database) (string, error) {
	n, err := db.CountUsers(ctx)
	if err != nil || n > 0 {
		return "", err
	}
	pw := rand.Text()
	hash, err := password.Hash(pw)
	if err != nil {
		return "", err
	}
	_, err = db.createPasswordUser(ctx, demoUser, hash, store.User{Name: demoUser})
	if errors.Is(err, errUserExists) {
		return "", nil // another authgo --dev added it just now
	}
	if err != nil {
		return "", fmt.Errorf("adding the demo user: %w", err)
	}
	return pw, nil
}

// passwordUsers finds a password user and their password hash, or
// errNoUser (a database does).
type passwordUsers interface {
	passwordUser(ctx context.Context, username string) (store.User, string, error)
}

// newCredentials returns the username and password provider over users,
// with sign-in failures counted in counter (see lockout). The id it gives
// authgo is the users row's, so the sign-in's accounts row (type
// credentials) goes to that row.
//
// At most GOMAXPROCS password verifications run at once: each allocates
// about 19 MiB. When the last one in flight ends, that memory goes back to
// the operating system at once rather than over the runtime's next minutes,
// so a sign-in does not leave the server 20 MiB larger while it serves
// session reads.
func newCredentials(users passwordUsers, counter authgo.Counter, log *slog.Logger, trusted []netip.Prefix) (*credentials.Provider, error) {
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var inflight atomic.Int32
	lock := lockout{counter: counter}
	return credentials.New(credentials.Options{
		Fields: []provider.Field{
			{Name: "username", Label: "Username", Type: "text", Autocomplete: "username"},
			{Name: "password", Label: "Password", Type: "password", Autocomplete: "current-password"},
		},
		Authorize: func(ctx context.Context, cr provider.Credentials, r *http.Request) (*authgo.User, error) {
			username, pw := cr["username"], cr["password"]
			if username == "" || pw == "" {
				return nil, nil // nobody has an empty name or password; nothing to time
			}
			keys := lock.keys(username, clientAddr(r, trusted))
			if left, err := lock.blocked(ctx, keys); err != nil {
				return nil, err
			} else if left > 0 {
				// The same answer whether or not the user exists.
				log.Warn("sign-in throttled", "retry_in", left.Round(time.Second))
				return nil, &provider.CredentialsError{Code: "rate_limited", RetryAfter: left}
			}
			select {
			case sem <- struct{}{}:
				inflight.Add(1)
				defer func() {
					<-sem
					if inflight.Add(-1) == 0 {
						go debug.FreeOSMemory()
					}
				}()
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			u, hash, err := users.passwordUser(ctx, username)
			if errors.Is(err, errNoUser) {
				password.VerifyDummy(pw) // as long as a wrong password takes
				log.Info("sign-in refused", "reason", "unknown user")
				return nil, lock.failed(ctx, keys)
			}
			if err != nil {
				return nil, err
			}
			ok, err := password.Verify(pw, hash)
			if errors.Is(err, password.ErrTooLong) {
				return nil, lock.failed(ctx, keys)
			}
			if err != nil {
				return nil, fmt.Errorf("user %s: %w", u.ID, err)
			}
			if !ok {
				log.Info("sign-in refused", "reason", "wrong password", "user", u.ID)
				return nil, lock.failed(ctx, keys)
			}
			if err := lock.succeeded(ctx, keys); err != nil {
				log.Error("sign-in lockout: resetting the user's failures", "err", err)
			}
			return &authgo.User{ID: u.ID, Name: cmp.Or(u.Name, username), Email: u.Email, Image: u.Image,
				Extra: map[string]any{authgo.ClaimPreferredUsername: username}}, nil
		},
	})
}

// redirectURI is the callback URL to register at an OAuth provider: the
// public origin, the base path (which is the public URL's path when it has
// one), the callback. Without a fixed public URL (AUTH_TRUST_HOST), only
// the path is known.
func redirectURI(publicURL, base, id string) string {
	u, err := url.Parse(publicURL)
	if err != nil || u.Host == "" {
		return base + "/callback/" + id
	}
	return u.Scheme + "://" + u.Host + base + "/callback/" + id
}

// clientAddr is the address sign-in attempts are counted against: the TCP
// peer, or behind --trusted-proxy proxies the right-most X-Forwarded-For
// address that is not theirs (Config.TrustedProxies' rule).
func clientAddr(r *http.Request, trusted []netip.Prefix) string {
	if a, ok := clientip.Addr(r.RemoteAddr, r.Header.Values("X-Forwarded-For"), trusted); ok {
		return a.String()
	}
	return r.RemoteAddr
}
