package authgo

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/authgo/authgo/internal/clientip"
	"github.com/authgo/authgo/internal/pages"
	"github.com/authgo/authgo/internal/urlx"
	"github.com/authgo/authgo/provider"
	"github.com/authgo/authgo/store"
)

// Config configures an Auth. The zero value of every field but Secret and
// one of URL or TrustHost is a documented default. authgo.New checks all of
// it and returns an error instead of guessing.
type Config struct {
	// Secret lists the secrets, newest first: the first encrypts session
	// cookies, all of them decrypt, which is how a secret is rotated. Each
	// must be at least 32 bytes; `authgo secret` prints a good one.
	// (authgo serve reads AUTH_SECRET, then AUTH_SECRET_1.._3.)
	Secret []string

	// URL is the public URL of the auth endpoints, as AUTH_URL is in
	// Auth.js: its origin is the one every absolute URL and redirect is
	// built on, and an https origin switches cookies to their __Secure- /
	// __Host- names. A path other than "/" sets the base path
	// ("https://example.com/auth" → "/auth").
	URL string

	// BasePath is where the endpoints live. Default "/auth", as in
	// @auth/core (next-auth uses "/api/auth"). When URL has a path, BasePath
	// must be empty or equal to it.
	BasePath string

	// TrustHost takes the origin from X-Forwarded-Proto and
	// X-Forwarded-Host (falling back to the Host header) when URL is empty,
	// for requests whose TCP peer is one of TrustedProxies; from any other
	// peer those headers are ignored and the origin is the Host header's.
	// Turn it on only behind a proxy that sets those headers itself; either
	// URL or TrustHost is required, and TrustHost requires TrustedProxies
	// (0.0.0.0/0 and ::/0 trust every peer, as Auth.js's trustHost does).
	TrustHost bool

	// TrustedProxies are the reverse proxies in front of this server
	// whose X-Forwarded-For is believed, such as
	// netip.MustParsePrefix("10.0.0.0/8") (a /32 or /128 for one
	// address). A request's client address is its TCP peer, unless the
	// peer is one of them: then it is the right-most X-Forwarded-For
	// address that is not (the left-most when all are; the nearest
	// trusted one when an entry is not an address). So a client cannot
	// choose its address by sending the header itself. Empty: the peer,
	// always. authgo records that address with each database session
	// (store.Session.ClientAddr, shown by Sessions). They are the one
	// source of trust for forwarding headers: TrustHost believes
	// X-Forwarded-Host and X-Forwarded-Proto only from them, and so does
	// package gateway for X-Forwarded-Uri.
	TrustedProxies []netip.Prefix

	// CookieDomain, when set, is the Domain attribute of every cookie
	// authgo sets ("example.com"), so that the session reaches apps on
	// sibling subdomains (app.example.com next to auth.example.com).
	// Over https the CSRF cookie is then named __Secure-authjs.csrf-token
	// instead of __Host-authjs.csrf-token (__Host- forbids a domain); a
	// Next.js app sharing the cookies must be configured with the same
	// names and domain. URL's host must be the domain or lie under it.
	// Empty (the default) keeps every cookie host-only, as Auth.js does.
	CookieDomain string

	// Session configures sessions.
	Session SessionConfig

	// Users keeps users and their linked accounts (Auth.js's adapter):
	// adapters/sqlite's Store, say. When set, every sign-in, under either
	// strategy, finds or creates the user's row and links the provider
	// account to it, as Auth.js does with an adapter: a session's sub is
	// then the users row's id, not the provider's. Nil: no users are kept,
	// and sub is the id the provider gave. StrategyDatabase requires it.
	Users store.UserStore

	// Tokens configures access-token management: refresh before expiry,
	// one refresh per refresh token, the cross-instance lock.
	Tokens TokensConfig

	// Email configures sign-in by links sent by email: where their
	// tokens are kept and how many may be sent. Used only with an email
	// provider (providers/email).
	Email EmailConfig

	// Providers are the ways to sign in, in the order the sign-in page
	// lists them. IDs must be unique.
	Providers []provider.Provider

	// Callbacks let the application decide; nil ones keep Auth.js's
	// defaults.
	Callbacks Callbacks

	// Events are told what happened.
	Events Events

	// Pages replace the built-in pages with the application's own paths.
	Pages Pages

	// Matcher lists the paths Middleware protects, in Next.js matcher
	// syntax: "/mypage/:path*", "/home/:stadiumId/review/:path*",
	// "/user/:id(\d+)", "/((?!api|_next/static|favicon.ico).*)". Matching is
	// case-sensitive, as in Next.js. A pattern that does not compile is an
	// error from New that names it.
	Matcher []string

	// APIPaths are path prefixes ("/api/") whose refused requests get 401
	// with a JSON body rather than a redirect to the sign-in page, whatever
	// their Accept header.
	APIPaths []string

	// Theme brands the built-in pages.
	Theme Theme

	// Logger receives errors, warnings, and with Debug the decisions made
	// for each request. Nothing secret is logged: no cookie value, token,
	// password, code, state or Authorization header. Nil sends errors
	// (slog.LevelError and above) to slog.Default(), looked up when each is
	// logged, and drops the rest, as net/http.Server does with a nil
	// ErrorLog: an error page that says "check the server logs" has logs
	// to check.
	Logger *slog.Logger

	// Debug logs, at slog.LevelDebug, what was decided for each request
	// and why, as Auth.js's debug option does: which action answered it,
	// whether a session was found, absent, expired or revoked, the CSRF
	// check, a refresh and its outcome, and the middleware's allow,
	// redirect or 401. The lines go to Logger, whose handler must enable
	// slog.LevelDebug to show them. With Logger nil every record, debug
	// included, goes to slog.Default()'s handler even though it would
	// drop debug records itself. Leave it off in production: it logs a
	// line or more per request.
	Debug bool

	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// SessionStrategy is where sessions live.
type SessionStrategy int

// Session strategies.
const (
	// StrategyJWT keeps the session in an encrypted cookie (the default).
	StrategyJWT SessionStrategy = iota
	// StrategyDatabase keeps the session in SessionConfig.Store and only
	// an opaque token in the cookie: 32 random bytes, base64url (a token
	// Auth.js wrote, a UUID, is read too). Unlike Auth.js, which switches
	// to it whenever an adapter is set, authgo uses it only when asked.
	StrategyDatabase
)

// SessionConfig configures sessions.
type SessionConfig struct {
	// Strategy is StrategyJWT (the default) or StrategyDatabase.
	Strategy SessionStrategy
	// Store keeps database sessions; StrategyDatabase requires it (and
	// Config.Users, which its sessions' users live in). Unused with
	// StrategyJWT.
	Store store.SessionStore
	// MaxAge is how long an idle session lives; each read of
	// <base>/session extends it. Default 30 days.
	MaxAge time.Duration
	// UpdateAge is how old a session cookie may get before the middleware
	// re-issues it (GET <base>/session re-issues on every call, as Auth.js
	// does). Default 24 hours.
	UpdateAge time.Duration
	// MaxLifetime is how long a session may live in all, counted from the
	// sign-in (the auth_time claim), however often it is used: every read
	// refuses a session older than that, and a re-issued cookie never
	// expires after it. Default 90 days (DefaultMaxLifetime); negative
	// means none, as Auth.js, whose sliding expiry lets a cookie used once
	// a month live forever.
	MaxLifetime time.Duration
	// Revocations records sessions ended by sign-out or RevokeUser, so a
	// kept copy of their cookie opens nothing. Nil means this process's
	// memory: enough for one instance, forgotten at restart. Several
	// instances share adapters/sqlite's or adapters/redis's.
	Revocations RevocationStore
	// RevocationCache is how long this instance trusts a "not revoked"
	// answer from Revocations before asking again, so that a session read
	// costs no round trip: a sign-out made through another instance takes
	// effect here within it, one made through this instance at once.
	// Default 2 s (DefaultRevocationCache); negative asks on every read.
	// Unused with the default memory store.
	RevocationCache time.Duration
	// StoreCache is how long this instance keeps what it read from the
	// stores for a database session (its row, its user, and the accounts
	// row holding its provider tokens) before reading them again, so that
	// a guarded page or GET <base>/session costs no round trip while it
	// lasts. The cache is keyed by store.SessionID of the token (never the
	// token), holds only sessions the store returned (a cookie naming no
	// session never enters it) and at most 10,000 of them.
	//
	// Staleness: every write this instance makes (sign-out, the UpdateAge
	// rewrite, RevokeSession, RevokeUser, a refresh's write-back, a
	// sign-in's update of the user or account) takes effect here at once.
	// A change made elsewhere (a sign-out on another authgo instance, or
	// in a Next.js app with Auth.js on the same database; a row deleted by
	// hand) is seen by this instance within StoreCache: until then the
	// session still opens here. Expiry and MaxLifetime are checked against
	// the clock on every read, cached or not, so a cached entry never
	// outlives its session.
	//
	// Default 2 s (DefaultStoreCache); negative asks the stores on every
	// read. Unused with StrategyJWT.
	StoreCache time.Duration
}

// Pages are application paths that replace the built-in pages. Each must be
// a path on this site ("/login"), not a full URL.
//
// The middleware never guards the sign-in page (that would loop), at
// exactly its path. So New refuses a SignIn page at the root ("/", "/?x",
// "/."), which would leave the home page open to everybody signed out, a
// path with "//", "." or ".." segments, needless escapes ("/log%69n") or
// an escaped slash, and, with a Matcher, a path it refuses with 400 (";",
// a backslash).
type Pages struct {
	SignIn  string
	SignOut string
	Error   string
	// VerifyRequest is the "check your email" page of email sign-in:
	// GET <base>/verify-request redirects there with its query
	// (provider, type), as Auth.js's pages.verifyRequest.
	VerifyRequest string
}

// Theme brands the built-in pages.
type Theme struct {
	Brand string // product name shown on the pages; default "authgo"
	Color string // accent colour: #rgb or #rrggbb
	// Logo is an image shown at the top of every built-in page, next to
	// Brand and in place of authgo's mark: the bytes of a PNG, JPEG, GIF,
	// WebP or SVG file, at most MaxLogoSize. The type is sniffed from the
	// bytes (http.DetectContentType; an SVG is XML whose root element is
	// <svg>), and New refuses anything else. The pages embed the logo as a
	// data: URI in an <img> element, so it costs no request, and an SVG
	// shown that way can run no script and load nothing. Every page carries
	// it, so keep it small. Nil or empty means no logo.
	Logo []byte
}

// Defaults and limits.
const (
	DefaultBasePath  = "/auth"
	DefaultMaxAge    = 30 * 24 * time.Hour
	DefaultUpdateAge = 24 * time.Hour
	// DefaultMaxLifetime is a session's absolute lifetime by default
	// (SessionConfig.MaxLifetime).
	DefaultMaxLifetime = 90 * 24 * time.Hour
	// DefaultRevocationCache is how long an instance trusts a shared
	// revocation store's "not revoked" by default
	// (SessionConfig.RevocationCache).
	DefaultRevocationCache = 2 * time.Second
	// DefaultStoreCache is how long an instance keeps a database
	// session's rows by default (SessionConfig.StoreCache).
	DefaultStoreCache = 2 * time.Second
	// MinSecretLength is the shortest secret New accepts, in bytes.
	MinSecretLength = 32
	// MaxLogoSize is the largest Theme.Logo New accepts, in bytes.
	MaxLogoSize = pages.MaxLogoSize
	// MaxCounterKey is the longest key a Counter must accept, in bytes.
	MaxCounterKey = 512
)

var (
	providerIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)
	colorPattern      = regexp.MustCompile(`^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)
	// cookieDomainPattern: two or more DNS labels, the last not numeric.
	cookieDomainPattern = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$`)
	// basePathPattern: "/" then segments of URL-safe characters.
	basePathPattern = regexp.MustCompile(`^(/[A-Za-z0-9._~!$&'()*+,;=:@-]+)+$`)
)

// origin is the public origin, fixed by Config.URL.
type origin struct {
	scheme, host string // host includes a non-default port
	s            string // scheme://host, made by newOrigin
}

func (o origin) String() string {
	if o.s != "" {
		return o.s
	}
	return o.scheme + "://" + o.host
}

// newOrigin returns the origin of scheme and host, its string made once.
func newOrigin(scheme, host string) origin {
	host = urlx.CanonicalHost(scheme, host)
	return origin{scheme: scheme, host: host, s: scheme + "://" + host}
}

// validate checks c, fills defaults, and returns the fixed origin (zero when
// the origin comes from each request).
func (c *Config) validate() (origin, error) {
	var o origin
	if len(c.Secret) == 0 {
		return o, errors.New("authgo: no secret: set Config.Secret (AUTH_SECRET); `authgo secret` prints one")
	}
	for i, s := range c.Secret {
		if len(s) < MinSecretLength {
			name := "AUTH_SECRET"
			if i > 0 {
				name = fmt.Sprintf("AUTH_SECRET_%d", i)
			}
			return o, fmt.Errorf("authgo: Config.Secret[%d] (%s) is %d bytes; at least %d are needed: `authgo secret` prints a good one", i, name, len(s), MinSecretLength)
		}
	}

	urlPath := ""
	if c.URL != "" {
		u, err := url.Parse(c.URL)
		if err != nil {
			return o, fmt.Errorf("authgo: URL (AUTH_URL) %q: %w", c.URL, err)
		}
		if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || u.Opaque != "" {
			return o, fmt.Errorf("authgo: URL (AUTH_URL) %q must be an absolute http or https URL", c.URL)
		}
		if u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
			return o, fmt.Errorf("authgo: URL (AUTH_URL) %q must not carry user info, a query or a fragment", c.URL)
		}
		if u.Port() != "" {
			if _, err := parsePort(u.Port()); err != nil {
				return o, fmt.Errorf("authgo: URL (AUTH_URL) %q: %w", c.URL, err)
			}
		}
		o = newOrigin(u.Scheme, u.Host)
		urlPath = strings.TrimSuffix(u.Path, "/")
	} else if !c.TrustHost {
		return o, errors.New("authgo: the public origin is unknown: set Config.URL (AUTH_URL), or Config.TrustHost (AUTH_TRUST_HOST=true) behind a proxy that sets X-Forwarded-Host and X-Forwarded-Proto")
	}

	if c.CookieDomain != "" {
		d := strings.ToLower(strings.TrimPrefix(c.CookieDomain, "."))
		if !cookieDomainPattern.MatchString(d) {
			return o, fmt.Errorf("authgo: CookieDomain %q must be a domain name like example.com", c.CookieDomain)
		}
		if h := o.host; h != "" {
			if i := strings.LastIndexByte(h, ':'); i >= 0 && !strings.HasSuffix(h, "]") {
				h = h[:i]
			}
			if h != d && !strings.HasSuffix(h, "."+d) {
				return o, fmt.Errorf("authgo: CookieDomain %q does not cover the host of URL (AUTH_URL) %q: browsers would drop the cookies", c.CookieDomain, c.URL)
			}
		}
		c.CookieDomain = d
	}

	bp := strings.TrimSuffix(c.BasePath, "/")
	switch {
	case urlPath != "" && bp != "" && bp != urlPath:
		return o, fmt.Errorf("authgo: BasePath %q disagrees with the path of URL (AUTH_URL) %q", c.BasePath, c.URL)
	case bp == "" && urlPath != "":
		bp = urlPath
	case bp == "":
		bp = DefaultBasePath
	}
	if !basePathPattern.MatchString(bp) || strings.Contains(bp, "/./") || strings.Contains(bp, "/../") || strings.HasSuffix(bp, "/..") || strings.HasSuffix(bp, "/.") {
		return o, fmt.Errorf("authgo: base path %q must look like /auth: slash-separated segments of URL-safe characters", bp)
	}
	c.BasePath = bp

	switch c.Session.Strategy {
	case StrategyJWT:
	case StrategyDatabase:
		if c.Session.Store == nil || c.Users == nil {
			return o, errors.New("authgo: StrategyDatabase needs Session.Store and Users (adapters/sqlite's Store is both)")
		}
	default:
		return o, fmt.Errorf("authgo: unknown session strategy %d", c.Session.Strategy)
	}
	if c.Session.MaxAge < 0 || c.Session.UpdateAge < 0 {
		return o, errors.New("authgo: Session.MaxAge and Session.UpdateAge must not be negative")
	}
	if c.Session.MaxAge == 0 {
		c.Session.MaxAge = DefaultMaxAge
	}
	if c.Session.MaxAge < time.Second {
		return o, errors.New("authgo: Session.MaxAge must be at least one second")
	}
	if c.Session.UpdateAge == 0 {
		c.Session.UpdateAge = DefaultUpdateAge
	}
	switch {
	case c.Session.MaxLifetime == 0:
		c.Session.MaxLifetime = DefaultMaxLifetime
	case c.Session.MaxLifetime > 0 && c.Session.MaxLifetime < time.Second:
		return o, errors.New("authgo: Session.MaxLifetime must be at least one second (or negative for none)")
	}

	if c.Tokens.RefreshSkew < 0 || c.Tokens.RefreshTimeout < 0 {
		return o, errors.New("authgo: Tokens.RefreshSkew and Tokens.RefreshTimeout must not be negative")
	}
	if c.Tokens.RefreshSkew == 0 {
		c.Tokens.RefreshSkew = defaultRefreshSkew
	}
	if c.Tokens.RefreshTimeout == 0 {
		c.Tokens.RefreshTimeout = defaultRefreshTimeout
	}

	seen := map[string]bool{}
	for i, p := range c.Providers {
		if p == nil {
			return o, fmt.Errorf("authgo: provider %d is nil", i)
		}
		id := p.ID()
		if !providerIDPattern.MatchString(id) || id == "undefined" {
			return o, fmt.Errorf("authgo: provider id %q must be 1 to 64 lowercase letters, digits, '-' or '_'", id)
		}
		if seen[id] {
			return o, fmt.Errorf("authgo: two providers have the id %q", id)
		}
		seen[id] = true
		if p.Name() == "" {
			return o, fmt.Errorf("authgo: provider %q has no name", id)
		}
		switch p.Type() {
		case provider.TypeCredentials:
			if _, ok := p.(provider.CredentialsProvider); !ok {
				return o, fmt.Errorf("authgo: provider %q says it is a credentials provider but has no Authorize method", id)
			}
		case provider.TypeOAuth, provider.TypeOIDC:
			if _, ok := p.(provider.OAuthProvider); !ok {
				return o, fmt.Errorf("authgo: provider %q says it is an %s provider but has no AuthCodeURL and Exchange methods", id, p.Type())
			}
		case provider.TypeEmail:
			if _, ok := p.(provider.EmailProvider); !ok {
				return o, fmt.Errorf("authgo: provider %q says it is an email provider but has no SendVerificationRequest method", id)
			}
		case provider.TypeWebAuthn:
			if err := c.validateWebAuthn(p, o); err != nil {
				return o, err
			}
		default:
			return o, fmt.Errorf("authgo: provider %q has type %q, which this version does not support", id, p.Type())
		}
	}

	if err := c.emailSetup(); err != nil {
		return o, err
	}
	for name, p := range map[string]string{"SignIn": c.Pages.SignIn, "SignOut": c.Pages.SignOut, "Error": c.Pages.Error, "VerifyRequest": c.Pages.VerifyRequest} {
		if p == "" {
			continue
		}
		u, err := url.Parse(p)
		if err != nil || !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") || u.Fragment != "" {
			return o, fmt.Errorf("authgo: Pages.%s %q must be a path on this site, like /login", name, p)
		}
	}
	for _, p := range c.APIPaths {
		if !strings.HasPrefix(p, "/") {
			return o, fmt.Errorf("authgo: APIPaths entry %q must start with /", p)
		}
	}
	ps, err := clientip.Prefixes(c.TrustedProxies)
	if err != nil {
		return o, fmt.Errorf("authgo: TrustedProxies: %w", err)
	}
	c.TrustedProxies = ps
	if c.TrustHost && len(ps) == 0 {
		return o, errors.New("authgo: TrustHost (AUTH_TRUST_HOST) needs TrustedProxies (--trusted-proxy), the addresses of the proxies whose X-Forwarded-Host and X-Forwarded-Proto are believed: without them any client could choose the origin; 0.0.0.0/0 and ::/0 trust every peer, as Auth.js does")
	}
	if c.Theme.Color != "" && !colorPattern.MatchString(c.Theme.Color) {
		return o, fmt.Errorf("authgo: Theme.Color %q must be #rgb or #rrggbb", c.Theme.Color)
	}
	if len(c.Theme.Logo) > 0 {
		if _, err := pages.LogoType(c.Theme.Logo); err != nil {
			return o, fmt.Errorf("authgo: Theme.Logo: %w", err)
		}
	}
	return o, nil
}

func parsePort(p string) (int, error) {
	n := 0
	for _, c := range p {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("bad port %q", p)
		}
		n = n*10 + int(c-'0')
		if n > 65535 {
			return 0, fmt.Errorf("bad port %q", p)
		}
	}
	return n, nil
}

// validateWebAuthn checks what a passkey provider needs: the methods, a
// users store that keeps credentials, and a host name (not an IP address)
// in URL to be the relying party id.
func (c *Config) validateWebAuthn(p provider.Provider, o origin) error {
	id := p.ID()
	if _, ok := p.(provider.WebAuthnProvider); !ok {
		return fmt.Errorf("authgo: provider %q says it is a webauthn provider but has no WebAuthn method", id)
	}
	if _, ok := c.Users.(store.AuthenticatorStore); !ok {
		return fmt.Errorf("authgo: provider %q (passkeys) needs Users to keep credentials: a store.AuthenticatorStore such as adapters/sqlite's or adapters/postgres's Store", id)
	}
	if o.host != "" {
		name := o.host
		if h, _, err := net.SplitHostPort(name); err == nil {
			name = h
		}
		if net.ParseIP(strings.Trim(name, "[]")) != nil {
			return fmt.Errorf("authgo: provider %q (passkeys) needs URL (AUTH_URL) to name the host: %s is an IP address, which cannot be a WebAuthn relying party id", id, name)
		}
	}
	return nil
}
