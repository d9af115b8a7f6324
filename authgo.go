package authgo

import (
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/authgo/authgo/client"
	"github.com/authgo/authgo/internal/cookie"
	"github.com/authgo/authgo/internal/csrf"
	"github.com/authgo/authgo/internal/logs"
	"github.com/authgo/authgo/internal/match"
	"github.com/authgo/authgo/internal/refresh"
	"github.com/authgo/authgo/jwt"
	"github.com/authgo/authgo/provider"
)

// Auth serves the Auth.js endpoints under its base path, reads sessions for
// server code, and guards handlers. Make one with New; it is immutable and
// safe for concurrent use.
type Auth struct {
	cfg        Config
	fixed      origin // zero when the origin comes from each request (TrustHost)
	codec      *jwt.Codec
	csrfSecret csrf.Key
	providers  map[string]provider.Provider
	log        *slog.Logger
	now        func() time.Time
	clientPath string
	clientJS   http.Handler
	// passkeyPath is <base>/passkey.js, the built-in page's passkey
	// script; "" without a WebAuthn provider.
	passkeyPath string
	// relyingParties are the WebAuthn relying parties of the providers,
	// made once at New for a fixed origin (Config.URL); nil under
	// TrustHost, where each request's origin makes its own.
	relyingParties map[string]*webauthn.WebAuthn
	matcher        *match.Matcher // nil without Config.Matcher
	signInPath     string         // decoded path of Pages.SignIn; "" without one
	apiPaths       []string       // Config.APIPaths without trailing slashes; "" for "/"
	refresher      *refresh.Manager
	strategy       sessionStrategy

	revocations    RevocationStore
	sessionCache   *sessionCache     // nil unless StrategyDatabase with a StoreCache
	revocationWarn refresh.Sometimes // the revocation store is down

	usedStates     onceStore         // OAuth states that reached a callback
	usedStatesWarn refresh.Sometimes // their memory is full, or their store down

	names [2]cookie.Names // cookieNames(false) and cookieNames(true)
}

// New checks cfg and returns an Auth. Every bad setting is an error naming
// the setting; nothing falls back to a weak default.
func New(cfg Config) (*Auth, error) {
	cfg.Secret = append([]string(nil), cfg.Secret...)
	cfg.Providers = append([]provider.Provider(nil), cfg.Providers...)
	cfg.Matcher = append([]string(nil), cfg.Matcher...)
	cfg.APIPaths = append([]string(nil), cfg.APIPaths...)
	cfg.Theme.Logo = slices.Clone(cfg.Theme.Logo)
	cfg.TrustedProxies = slices.Clone(cfg.TrustedProxies)
	o, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	a := &Auth{
		cfg:        cfg,
		fixed:      o,
		csrfSecret: csrf.Secret(cfg.Secret),
		providers:  make(map[string]provider.Provider, len(cfg.Providers)),
		log:        cfg.Logger,
		now:        cfg.Now,
	}
	a.names = [2]cookie.Names{cookie.NamesFor(false).WithDomain(cfg.CookieDomain), cookie.NamesFor(true).WithDomain(cfg.CookieDomain)}
	if a.log == nil {
		if cfg.Debug {
			a.log = logs.Fallback(slog.LevelDebug, true)
		} else {
			a.log = logs.Fallback(slog.LevelError, false)
		}
	}
	if a.now == nil {
		a.now = time.Now
	}
	a.strategy = jwtStrategy{a}
	if cfg.Session.Strategy == StrategyDatabase {
		a.strategy = dbStrategy{a, cfg.Session.Store}
	}
	if cfg.Session.Strategy == StrategyDatabase && cfg.Session.StoreCache >= 0 {
		ttl := cfg.Session.StoreCache
		if ttl == 0 {
			ttl = DefaultStoreCache
		}
		a.sessionCache = newSessionCache(ttl, a.now)
	}
	a.refresher = newRefresher(a)
	switch ttl := cfg.Session.RevocationCache; {
	case cfg.Session.Revocations == nil:
		a.revocations = newMemoryRevocations(a.now)
	case ttl < 0:
		a.revocations = cfg.Session.Revocations
	default:
		if ttl == 0 {
			ttl = DefaultRevocationCache
		}
		a.revocations = newCachedRevocations(cfg.Session.Revocations, ttl, a.now)
	}
	if s, ok := cfg.Session.Revocations.(onceStore); ok {
		a.usedStates = s
	} else {
		a.usedStates = newMemoryOnce(a.now, maxUsedStates, func() {
			a.warnSometimes(&a.usedStatesWarn, "authgo: the memory of used OAuth states and passkey challenges is full; the oldest are forgotten early, and a replay of one is left to the provider's one-time code or the passkey's counter")
		})
	}
	for _, p := range cfg.Providers {
		a.providers[p.ID()] = p
	}
	a.clientPath, a.clientJS = cfg.BasePath+"/client.js", client.Handler()
	for _, p := range cfg.Providers {
		if wp, ok := p.(provider.WebAuthnProvider); ok {
			a.passkeyPath = cfg.BasePath + "/passkey.js"
			if o.host != "" {
				rp, err := relyingParty(o, wp)
				if err != nil {
					return nil, fmt.Errorf("authgo: provider %q: %w", wp.ID(), err)
				}
				if a.relyingParties == nil {
					a.relyingParties = map[string]*webauthn.WebAuthn{}
				}
				a.relyingParties[wp.ID()] = rp
			}
		}
	}
	for _, p := range cfg.APIPaths {
		a.apiPaths = append(a.apiPaths, strings.TrimRight(p, "/"))
	}
	if len(cfg.Matcher) > 0 {
		m, err := match.Compile(cfg.Matcher...)
		if err != nil {
			return nil, fmt.Errorf("authgo: Matcher: %w", err)
		}
		a.matcher = m
	}
	a.signInPath, err = signInPagePath(cfg.Pages.SignIn, a.matcher)
	if err != nil {
		return nil, err
	}
	a.codec, err = jwt.NewCodec(jwt.Options{Secrets: cfg.Secret, MaxAge: cfg.Session.MaxAge, Now: a.now})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// BasePath returns the path the endpoints are served under, e.g. "/auth".
func (a *Auth) BasePath() string { return a.cfg.BasePath }
