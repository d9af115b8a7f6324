package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// setting is one thing authgo serve can be told: a flag, environment
// variables, or both. serveSettings is the single table that registers
// serve's flags, prints its help and makes the README's configuration
// table; TestSettingsAgree fails when the environment serve reads, its
// flags, its help or the README disagree with it.
type setting struct {
	flag  string   // flag name without dashes; "" when only the environment sets it
	env   []string // environment variables read for it
	arg   string   // the value's placeholder in help ("HOST:PORT"); "" for a boolean flag
	def   string   // default, as shown; "" for none
	usage string   // one sentence or more, for people
	group string   // heading in help and the README
	// value returns where the flag's value goes: a *string, *bool or
	// *listFlag inside o (nil for environment-only settings).
	value func(o *serveOptions) any
	// repeat: the flag may be given more than once.
	repeat bool
	// field is the authgo.Config field the flag sets, as New's errors
	// name it ("Theme.Color"), so that such an error can name the flag.
	field string
}

// serveOptions holds the parsed flags of authgo serve.
type serveOptions struct {
	config     string
	addr       string
	data       dataFlags
	dev        bool
	debug      bool
	protect    listFlag
	apis       listFlag
	brand      string
	brandColor string
	logo       string

	sessionMaxAge      durationFlag
	sessionUpdateAge   durationFlag
	sessionMaxLifetime durationFlag
	sessionStrategy    string
	sessionStore       string

	gw    gatewayOptions
	email emailOptions

	passkeys bool

	metricsAddr   string
	logFormat     string
	accessLog     bool
	shutdownGrace durationFlag
	tlsCert       string
	tlsKey        string
}

// Setting groups, in the order help shows them.
const (
	groupServer    = "Server"
	groupSecrets   = "Secrets and public URL"
	groupSessions  = "Sessions"
	groupPages     = "Pages"
	groupBackend   = "The back end (the original setup's login API)"
	groupProviders = "OAuth and OpenID Connect providers"
	groupEmail     = "Sign-in by email"
	groupShared    = "Several instances"
	groupGateway   = "In front of an app"
	groupOps       = "Operations"
)

var settingGroups = []string{groupServer, groupSecrets, groupSessions, groupPages, groupBackend, groupProviders, groupEmail, groupShared, groupGateway, groupOps}

var serveSettings = []setting{
	{flag: configSetting, env: []string{"AUTH_CONFIG"}, arg: "FILE", group: groupServer,
		usage: "read settings from this TOML file, where every flag and variable below has a key: the flag's name, or the variable's without AUTH_, in lower case, with - for _ (AUTH_GITHUB_ID: github-id); a flag beats its variable, which beats the file, which beats the default (authgo config check prints where each setting came from)",
		value: func(o *serveOptions) any { return &o.config }},
	{flag: "addr", arg: "HOST:PORT", def: "127.0.0.1:3000", group: groupServer,
		usage: "address to listen on; without AUTH_URL the public origin is http://HOST:PORT, so an address on all interfaces (:3000, 0.0.0.0:3000) needs AUTH_URL or AUTH_TRUST_HOST",
		value: func(o *serveOptions) any { return &o.addr }},
	{flag: "data", arg: "DIR", def: "./" + defaultDataDir, group: groupServer,
		usage: "data directory, created (mode 0700) when missing: holds authgo.db, authgo.outbox (sign-outs kept while the store is down) and the --dev secret",
		value: func(o *serveOptions) any { return &o.data.dir }},
	{flag: "db", env: []string{"AUTH_DATABASE_URL"}, arg: "FILE|URL", def: "<data>/authgo.db", group: groupServer,
		usage: "the database of users and their accounts, password users, sign-outs, sign-in lockouts and database sessions: a SQLite file (created and migrated when needed) or a PostgreSQL URL, postgres://user:password@host/db, whose schema authgo migrate makes first (the tables of @auth/pg-adapter, shared with a Next.js app, and authgo_ tables); the sign-out outbox stays in the data directory",
		value: func(o *serveOptions) any { return &o.data.db }},
	{flag: "dev", group: groupServer,
		usage: "development mode: without AUTH_SECRET, make a secret and keep it in <data>/dev-secret; with no users yet, add the user demo with a random password printed once (lost it? authgo user passwd demo); email sign-in is on, and without AUTH_EMAIL_SERVER each link is printed to standard output instead of sent",
		value: func(o *serveOptions) any { return &o.dev }},
	{flag: "protect", arg: "PATTERN", group: groupServer, repeat: true,
		usage: "path that needs a session, in Next.js matcher syntax: /admin, /admin/:path* (the path and everything below it), /home/:id/review/:path*, /user/:id(\\d+), /((?!api).*)",
		value: func(o *serveOptions) any { return &o.protect }},
	{flag: "api", arg: "PREFIX=UPSTREAM", group: groupServer, repeat: true,
		usage: "the backend-for-frontend proxy: browser requests under PREFIX (with the header X-CSRF: 1) go to the API at UPSTREAM with Authorization: Bearer <access token> and without the browser's cookies; /api=http://backend:8080 keeps the path, /api=http://backend:8080/v1 replaces the prefix",
		value: func(o *serveOptions) any { return &o.apis }},
	{flag: "session-max-age", field: "Session.MaxAge", env: []string{"AUTH_SESSION_MAX_AGE"}, arg: "DURATION", def: "30 days", group: groupSessions,
		usage: "how long an idle session lives; every read slides it (seconds, as Auth.js counts them, or a Go duration: 720h)",
		value: func(o *serveOptions) any { return &o.sessionMaxAge }},
	{flag: "session-update-age", field: "Session.UpdateAge", env: []string{"AUTH_SESSION_UPDATE_AGE"}, arg: "DURATION", def: "24h", group: groupSessions,
		usage: "how old a session cookie may get before a guarded page re-issues it (seconds or a Go duration)",
		value: func(o *serveOptions) any { return &o.sessionUpdateAge }},
	{flag: "session-max-lifetime", field: "Session.MaxLifetime", env: []string{"AUTH_SESSION_MAX_LIFETIME"}, arg: "DURATION", def: "90 days", group: groupSessions,
		usage: "how long a session may live in all from its sign-in, however often it is used; -1 for no limit, as Auth.js (seconds or a Go duration)",
		value: func(o *serveOptions) any { return &o.sessionMaxLifetime }},
	{flag: "session-strategy", env: []string{"AUTH_SESSION_STRATEGY"}, arg: "jwt|database", def: "jwt", group: groupSessions,
		usage: "where sessions live: jwt, an encrypted cookie; database, a row in the --db database with an opaque token in the cookie (a sign-out deletes the row; authgo user sessions lists them). Users and their accounts are kept in the database under both",
		value: func(o *serveOptions) any { return &o.sessionStrategy }},
	{flag: "session-store", env: []string{"AUTH_SESSION_STORE"}, arg: "db|redis", def: "db", group: groupSessions,
		usage: "where database sessions live: db, the --db database; redis, the Redis of AUTH_REDIS_URL, a key per session named by the SHA-256 of its token and expiring with the session, while users and their accounts stay in the --db database (needs --session-strategy database)",
		value: func(o *serveOptions) any { return &o.sessionStore }},
	{flag: "debug", group: groupServer,
		usage: "log each request's decisions (session found, refused, refreshed; never a secret) at debug level",
		value: func(o *serveOptions) any { return &o.debug }},

	{env: []string{"AUTH_SECRET"}, def: "required", group: groupSecrets,
		usage: "the secret that encrypts session cookies, at least 32 bytes: export AUTH_SECRET=$(authgo secret) (--dev makes and keeps one). The same value lets authgo and a Next.js app read each other's cookies"},
	{env: []string{"AUTH_SECRET_1", "AUTH_SECRET_2", "AUTH_SECRET_3"}, group: groupSecrets,
		usage: "older secrets, newest first, still accepted: rotate without signing anybody out"},
	{env: []string{"AUTH_URL"}, def: "http://<addr>/auth", group: groupSecrets,
		usage: "public URL of the auth endpoints, e.g. https://example.com/auth; its path is the base path (/api/auth as in next-auth), and https turns on __Secure- cookies"},
	{env: []string{"AUTH_TRUST_HOST"}, def: "false", group: groupSecrets,
		usage: "true: take the public origin from the X-Forwarded-Host/-Proto of the --trusted-proxy peers (required with it); only behind a proxy that sets them"},

	{flag: "brand", field: "Theme.Brand", arg: "NAME", def: "authgo", group: groupPages,
		usage: "product name shown on the built-in pages",
		value: func(o *serveOptions) any { return &o.brand }},
	{flag: "brand-color", field: "Theme.Color", arg: "HEX", group: groupPages,
		usage: "accent colour of the built-in pages, #rgb or #rrggbb",
		value: func(o *serveOptions) any { return &o.brandColor }},
	{flag: "logo", field: "Theme.Logo", arg: "FILE", group: groupPages,
		usage: "image shown on the built-in pages (PNG, JPEG, GIF, WebP or SVG, embedded in the page)",
		value: func(o *serveOptions) any { return &o.logo }},

	{env: []string{"AUTH_BACKEND_LOGIN_URL"}, group: groupBackend,
		usage: `the sign-in form posts {"username","password"} as JSON here and gets {"accessToken","refreshToken","expiresIn"}; replaces the local users`},
	{env: []string{"AUTH_BACKEND_REFRESH_URL"}, group: groupBackend,
		usage: `refreshes the access token: posts {"refreshToken"}, same answer; without it no refresh token is kept`},
	{env: []string{"AUTH_BACKEND_USERINFO_URL"}, group: groupBackend,
		usage: "the user's profile from the back end (GET with the bearer) instead of the token's claims"},
	{env: []string{"AUTH_BACKEND_JWKS_URL", "AUTH_BACKEND_ISSUER", "AUTH_BACKEND_AUDIENCE"}, group: groupBackend,
		usage: "verify the back end's JWT access tokens (and allow signing in by posting an accessToken)"},
	{env: []string{"AUTH_BACKEND_INTROSPECTION_URL", "AUTH_BACKEND_CLIENT_ID", "AUTH_BACKEND_CLIENT_SECRET"}, group: groupBackend,
		usage: "verify a posted accessToken by RFC 7662 introspection instead"},
	{env: []string{"AUTH_BACKEND_ACCESS_TOKEN_FIELD", "AUTH_BACKEND_REFRESH_TOKEN_FIELD", "AUTH_BACKEND_EXPIRES_IN_FIELD"}, def: "accessToken, refreshToken, expiresIn", group: groupBackend,
		usage: "the back end's JSON field names"},

	{flag: "passkeys", env: []string{"AUTH_PASSKEYS"}, def: "false", group: groupProviders,
		usage: "sign-in with passkeys (Auth.js's passkey provider): a passkey button and passkey autofill on the sign-in page, sign-up with a passkey, and signed-in users add one; the credentials are kept in the database. The relying party id is AUTH_URL's host name, which must be a name, not an IP address; without AUTH_URL, on a loopback --addr, serve uses http://localhost:PORT",
		value: func(o *serveOptions) any { return &o.passkeys }},
	{env: []string{"AUTH_GITHUB_ID", "AUTH_GITHUB_SECRET"}, group: groupProviders,
		usage: "GitHub sign-in"},
	{env: []string{"AUTH_GOOGLE_ID", "AUTH_GOOGLE_SECRET", "AUTH_GOOGLE_ISSUER"}, group: groupProviders,
		usage: "Google sign-in (the issuer only for tests)"},
	{env: []string{"AUTH_KAKAO_ID", "AUTH_KAKAO_SECRET"}, group: groupProviders,
		usage: "Kakao sign-in"},
	{env: []string{"AUTH_NAVER_ID", "AUTH_NAVER_SECRET"}, group: groupProviders,
		usage: "Naver sign-in"},
	{env: []string{"AUTH_OIDC_ISSUER", "AUTH_OIDC_ID", "AUTH_OIDC_SECRET", "AUTH_OIDC_NAME"}, group: groupProviders,
		usage: "any OpenID Connect provider (id oidc; name default \"OpenID Connect\"); serve logs the redirect URI to register"},

	{env: []string{"AUTH_EMAIL_SERVER"}, group: groupEmail,
		usage: "turns on sign-in by a link sent by email (provider nodemailer, as in Auth.js v5) through this SMTP server: smtp://user:pass@host:587 (STARTTLS required), smtps://user:pass@host:465 (TLS), smtp://127.0.0.1:25 (plain SMTP only to loopback); links go only to addresses the --allow-email, --allow-email-domain or --allow-any list lets in, and the answer is the same for the others. Under --dev it is on without a server: each link is printed to standard output instead of sent"},
	{env: []string{"AUTH_EMAIL_FROM"}, group: groupEmail,
		usage: "the sender of the links, \"Example <no-reply@example.com>\" (needed with AUTH_EMAIL_SERVER)"},
	{flag: "email-limit-address", env: []string{"AUTH_EMAIL_LIMIT_ADDRESS"}, arg: "N", def: "5", group: groupEmail,
		usage: "links one address may be sent per hour; beyond, 429 with Retry-After (-1: no limit). Counted in the database, or Redis with AUTH_REDIS_URL, as sign-in lockouts are",
		value: func(o *serveOptions) any { return &o.email.perAddress }},
	{flag: "email-limit-client", env: []string{"AUTH_EMAIL_LIMIT_CLIENT"}, arg: "N", def: "20", group: groupEmail,
		usage: "links one client address may ask for per hour, to any addresses (-1: no limit)",
		value: func(o *serveOptions) any { return &o.email.perClient }},

	{env: []string{"AUTH_REDIS_URL"}, group: groupShared,
		usage: "redis://host:6379/0: instances share refreshes, sign-outs and sign-in lockouts through Redis (and sessions, with --session-store redis); run it with persistence (appendonly yes), or a restart forgets the sign-outs (and signs everybody out)"},

	{flag: "upstream", env: []string{"AUTH_UPSTREAM"}, arg: "URL", group: groupGateway,
		usage: "the app to put authgo in front of, http://127.0.0.1:8080: every path outside the base path and the --api prefixes goes there (WebSockets and server-sent events too), and needs a session unless --public matches it; the app learns who is signed in only through the --pass-* headers",
		value: func(o *serveOptions) any { return &o.gw.upstream }},
	{flag: "public", arg: "PATTERN", group: groupGateway, repeat: true,
		usage: "path of the app that needs no session (Next.js matcher syntax: /, /_next/:path*, /docs/:path*); --protect guards paths again inside it; applies to --upstream and forward-auth",
		value: func(o *serveOptions) any { return &o.gw.public }},
	{flag: "pass-identity", group: groupGateway,
		usage: "send the signed-in user to the app (and in forward-auth answers) as X-Auth-Request-User (the session's sub), X-Auth-Request-Email and X-Auth-Request-Preferred-Username, oauth2-proxy's names; whatever the client sent under those names, in any spelling, is always removed",
		value: func(o *serveOptions) any { return &o.gw.passIdentity }},
	{flag: "pass-access-token", group: groupGateway,
		usage: "send the session's access token (refreshed when due) as X-Forwarded-Access-Token",
		value: func(o *serveOptions) any { return &o.gw.passAccessToken }},
	{flag: "pass-authorization-header", group: groupGateway,
		usage: "send the session's access token as Authorization: Bearer, replacing the client's Authorization header",
		value: func(o *serveOptions) any { return &o.gw.passAuthorization }},
	{flag: "pass-session-cookie", group: groupGateway,
		usage: "let the session cookie through to the app (a Next.js app with the same AUTH_SECRET can read it with auth()); by default the app never sees authgo's cookies",
		value: func(o *serveOptions) any { return &o.gw.passSessionCookie }},
	{flag: "allow-email", arg: "ADDR", group: groupGateway, repeat: true,
		usage: "a user who signed in through GitHub, Google, Kakao, Naver or OIDC with this verified address may pass --upstream and forward-auth (users of authgo's own store and of the back end always may)",
		value: func(o *serveOptions) any { return &o.gw.allowEmails }},
	{flag: "allow-email-domain", arg: "DOMAIN", group: groupGateway, repeat: true,
		usage: "as --allow-email, for every verified address at DOMAIN (example.com; not its subdomains)",
		value: func(o *serveOptions) any { return &o.gw.allowDomains }},
	{flag: "allow-any", group: groupGateway,
		usage: "every signed-in user may pass, verified or not (oauth2-proxy's --email-domain=*)",
		value: func(o *serveOptions) any { return &o.gw.allowAny }},
	{flag: "trusted-proxy", env: []string{"AUTH_TRUSTED_PROXIES"}, arg: "CIDR", group: groupGateway, repeat: true,
		usage: "address range of a reverse proxy in front of authgo (10.0.0.0/8, 127.0.0.1/32; the variable takes a comma-separated list): only its X-Forwarded-For, -Host, -Proto, -Uri and X-Original-URI are believed, for forward-auth, AUTH_TRUST_HOST, sign-in throttling and session addresses. None by default; 0.0.0.0/0 and ::/0 trust every peer",
		value: func(o *serveOptions) any { return &o.gw.trustedProxies }},
	{flag: "cookie-domain", field: "CookieDomain", env: []string{"AUTH_COOKIE_DOMAIN"}, arg: "DOMAIN", group: groupGateway,
		usage: "scope authgo's cookies to DOMAIN (example.com) so that apps on sibling subdomains share the session; over https the CSRF cookie is then __Secure-authjs.csrf-token (__Host- forbids a domain). Default: host-only cookies, so the app and the base path share a host",
		value: func(o *serveOptions) any { return &o.gw.cookieDomain }},
	{flag: "redirect-allow", arg: "HOST", group: groupGateway, repeat: true,
		usage: "another host a callbackUrl may send the browser to after sign-in or sign-out (app.example.com), for apps on sibling subdomains of authgo",
		value: func(o *serveOptions) any { return &o.gw.redirectAllow }},
	{flag: "metrics-addr", env: []string{"AUTH_METRICS_ADDR"}, arg: "HOST:PORT", group: groupOps,
		usage: "serve Prometheus metrics at http://HOST:PORT/metrics (and /healthz, /readyz) on a listener of their own, to keep them off the public address; off when empty",
		value: func(o *serveOptions) any { return &o.metricsAddr }},
	{flag: "log-format", env: []string{"AUTH_LOG_FORMAT"}, arg: "text|json", def: "text", group: groupOps,
		usage: "the log's format on stderr: text (key=value) or json (one object a line)",
		value: func(o *serveOptions) any { return &o.logFormat }},
	{flag: "access-log", env: []string{"AUTH_ACCESS_LOG"}, def: "true", group: groupOps,
		usage: "log one line per request: method, route class, path without its query, status, bytes, duration and client address, never a cookie, token or query string; --access-log=false turns it off",
		value: func(o *serveOptions) any { return &o.accessLog }},
	{flag: "shutdown-grace", env: []string{"AUTH_SHUTDOWN_GRACE"}, arg: "DURATION", def: "10s", group: groupOps,
		usage: "on SIGTERM or SIGINT, stop accepting and give requests in flight this long to finish (seconds or a Go duration), then close what is still open (a long stream) and exit 0",
		value: func(o *serveOptions) any { return &o.shutdownGrace }},
	{flag: "tls-cert", env: []string{"AUTH_TLS_CERT"}, arg: "FILE", group: groupOps,
		usage: "serve HTTPS (HTTP/2 and HTTP/1.1) with this certificate chain in PEM; needs --tls-key. Without AUTH_URL the public URL becomes https://HOST:PORT",
		value: func(o *serveOptions) any { return &o.tlsCert }},
	{flag: "tls-key", env: []string{"AUTH_TLS_KEY"}, arg: "FILE", group: groupOps,
		usage: "the private key of --tls-cert, in PEM",
		value: func(o *serveOptions) any { return &o.tlsKey }},
}

// register defines the flags of the table on fs, writing into o.
func registerSettings(fs *flag.FlagSet, o *serveOptions) {
	for _, s := range serveSettings {
		if s.flag == "" {
			continue
		}
		usage := s.usage
		switch p := s.value(o).(type) {
		case *string:
			def := s.def
			if strings.Contains(def, "<") {
				def = "" // derived from another setting; shown in help only
			}
			fs.StringVar(p, s.flag, def, usage)
		case *bool:
			fs.BoolVar(p, s.flag, s.def == "true", usage)
		case *listFlag:
			fs.Var(p, s.flag, usage)
		case *durationFlag:
			fs.Var(p, s.flag, usage)
		case flag.Value:
			fs.Var(p, s.flag, usage)
		default:
			panic(fmt.Sprintf("setting --%s: unsupported value %T", s.flag, p))
		}
	}
}

// synopsis is the usage line: every flag, repeatable ones marked "...".
func serveSynopsis() string {
	var b strings.Builder
	b.WriteString("serve")
	for _, s := range serveSettings {
		if s.flag == "" {
			continue
		}
		b.WriteString(" [--" + s.flag)
		if s.arg != "" {
			b.WriteString(" " + s.arg)
		}
		b.WriteString("]")
		if s.repeat {
			b.WriteString("...")
		}
	}
	return b.String()
}

// names is how a setting is written: "--addr HOST:PORT", "AUTH_URL".
func (s setting) names() string {
	var parts []string
	if s.flag != "" {
		p := "--" + s.flag
		if s.arg != "" {
			p += " " + s.arg
		}
		parts = append(parts, p)
	}
	parts = append(parts, s.env...)
	return strings.Join(parts, ", ")
}

// printSettings writes serve's flags and environment, by group, for
// --help.
func printSettings(w io.Writer) {
	for _, g := range settingGroups {
		fmt.Fprintf(w, "\n%s:\n", g)
		for _, s := range serveSettings {
			if s.group != g {
				continue
			}
			fmt.Fprintf(w, "  %s\n", s.names())
			text := s.usage
			if s.repeat {
				text += " (repeatable)"
			}
			if s.def != "" {
				text += " (default " + s.def + ")"
			}
			// A flag's key is its name; a variable's is shown.
			if k := settingKeys(s); len(k) > 0 && k[0] != s.flag {
				text += " (in the --config file: " + strings.Join(k, ", ") + ")"
			}
			for _, line := range wrap(text, 72) {
				fmt.Fprintf(w, "      %s\n", line)
			}
		}
	}
}

// wrap breaks text into lines of at most width bytes, at spaces.
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(text) {
		if line != "" && len(line)+1+len(word) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

// settingsMarkdown is the README's table of serve's settings.
func settingsMarkdown() string {
	var b strings.Builder
	for _, g := range settingGroups {
		fmt.Fprintf(&b, "\n**%s**\n\n| flag / variable | file key | default | meaning |\n|---|---|---|---|\n", g)
		for _, s := range serveSettings {
			if s.group != g {
				continue
			}
			var names []string
			if s.flag != "" {
				n := "--" + s.flag
				if s.arg != "" {
					n += " " + s.arg
				}
				names = append(names, "`"+n+"`")
			}
			for _, e := range s.env {
				names = append(names, "`"+e+"`")
			}
			def := s.def
			if def == "" {
				def = "—"
			}
			usage := s.usage
			if s.repeat {
				usage += " (repeatable)"
			}
			// A "|" splits a table cell even inside a code span.
			cell := strings.ReplaceAll(strings.Join(names, ", "), "|", `\|`)
			keys := "—"
			if k := settingKeys(s); len(k) > 0 {
				keys = "`" + strings.Join(k, "`, `") + "`"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", cell, keys, mdEscape(def), mdEscape(usage))
		}
	}
	return b.String()
}

// mdEscape keeps a table cell one cell.
func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;").Replace(s)
}

// commandsMarkdown is the README's list of commands.
func commandsMarkdown() string {
	var b strings.Builder
	b.WriteString("| command | what it does |\n|---|---|\n")
	for _, cmd := range commands {
		fmt.Fprintf(&b, "| `authgo %s` | %s |\n", strings.TrimSpace(cmd.name+" "+cmd.args), mdEscape(cmd.summary))
	}
	return b.String()
}

// applyEnv gives each flag that also has an environment variable the
// variable's value, unless the flag was given: a flag beats the
// environment. It names the variable in an error.
func applyEnv(fs *flag.FlagSet, getenv func(string) string) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	for _, s := range serveSettings {
		if s.flag == "" || len(s.env) != 1 || given[s.flag] {
			continue
		}
		if v := getenv(s.env[0]); v != "" {
			if err := fs.Set(s.flag, v); err != nil {
				return fmt.Errorf("%s=%q: %v", s.env[0], v, err)
			}
		}
	}
	return nil
}

// durationFlag is a duration given as seconds (as Auth.js counts maxAge)
// or as a Go duration ("720h", "90m"); "-1" (or any negative) means none
// where the setting allows it. Unset is zero: the library's default.
type durationFlag struct {
	d   time.Duration
	set bool
}

func (f *durationFlag) String() string {
	if !f.set {
		return ""
	}
	return f.d.String()
}

func (f *durationFlag) Set(v string) error {
	v = strings.TrimSpace(v)
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n > math.MaxInt64/int64(time.Second) || n < math.MinInt64/int64(time.Second) {
			return errors.New("too large")
		}
		f.d, f.set = time.Duration(n)*time.Second, true
		return nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return errors.New("want seconds (2592000) or a duration (720h)")
	}
	f.d, f.set = d, true
	return nil
}

// settingOf is the flag whose Config field err (from authgo.New) names.
func settingOf(err error) (setting, bool) {
	msg := err.Error()
	for _, s := range serveSettings {
		if s.field == "" {
			continue
		}
		if strings.Contains(msg, s.field+" ") || strings.Contains(msg, s.field+":") {
			return s, true
		}
	}
	return setting{}, false
}
