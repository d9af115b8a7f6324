package main

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/store"
)

// metrics are serve's Prometheus metrics, on a registry of their own (not
// the global default, so two servers in one test process do not share
// counters). Every label has a bounded set of values: route classes,
// status classes, configured provider ids, Auth.js error codes, store
// names. No user id, email, path or token is ever a label.
//
// A nil *metrics records nothing: every method may be called on it.
type metrics struct {
	reg *prometheus.Registry

	requests  *prometheus.CounterVec   // route, code
	duration  *prometheus.HistogramVec // route
	inflight  prometheus.Gauge
	signIns   *prometheus.CounterVec   // provider, outcome
	refreshes *prometheus.CounterVec   // provider, outcome
	upstream  *prometheus.HistogramVec // proxy, code
	storeErrs *prometheus.CounterVec   // store, kind
}

// Route classes: the route label of the request metrics and the access
// log. A closed set, so a label never carries a path.
const (
	routeSignIn      = "signin"
	routeCallback    = "callback"
	routeSession     = "session"
	routeSignOut     = "signout"
	routeCSRF        = "csrf"
	routeProviders   = "providers"
	routeAuthOther   = "auth_other" // other endpoints under the base path: error page, client.js, …
	routePage        = "page"       // the home page and the --protect paths
	routeAPI         = "api"        // an --api prefix (the backend-for-frontend proxy)
	routeForwardAuth = "forward_auth"
	routeUpstream    = "upstream" // the --upstream app
	routeHealth      = "health"   // healthz and readyz
	routeOther       = "other"    // anything else (404)
)

// newMetrics registers serve's metrics and the Go and process collectors
// on a new registry.
func newMetrics() *metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	m := &metrics{
		reg: reg,
		requests: counterVec("authgo_http_requests_total",
			"HTTP requests served, by route class and status class (2xx, 3xx, 4xx, 5xx).",
			"route", "code"),
		duration: histogramVec("authgo_http_request_duration_seconds",
			"Time to serve an HTTP request, to the end of its body, by route class.",
			"route"),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "authgo_http_requests_in_flight",
			Help: "HTTP requests being served now.",
		}),
		signIns: counterVec("authgo_signins_total",
			"Sign-in attempts by provider and outcome: success, or the Auth.js error code (CredentialsSignin, OAuthCallbackError, AccessDenied, MissingCSRF, Unavailable, Configuration, …).",
			"provider", "outcome"),
		refreshes: counterVec("authgo_token_refreshes_total",
			"Access-token refreshes at the provider by provider and outcome: success, transient (may pass; the session keeps its tokens) or terminal (the refresh token was refused; the session needs a new sign-in).",
			"provider", "outcome"),
		upstream: histogramVec("authgo_upstream_duration_seconds",
			"Time from sending a proxied request to the upstream to its response headers, by proxy (api: the --api backend-for-frontend proxy; upstream: the --upstream app) and status class (error when no response came).",
			"proxy", "code"),
		storeErrs: counterVec("authgo_store_errors_total",
			"Failed calls to a store, by store (database: the --db database; redis: AUTH_REDIS_URL) and kind (sessions, users, revocations, counter, locker).",
			"store", "kind"),
	}
	reg.MustRegister(m.requests, m.duration, m.inflight, m.signIns, m.refreshes, m.upstream, m.storeErrs)
	return m
}

// counterVec is a counter vector with the given labels.
func counterVec(name, help string, labels ...string) *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
}

// histogramVec is a histogram vector with the default buckets and the
// given labels.
func histogramVec(name, help string, labels ...string) *prometheus.HistogramVec {
	return prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: prometheus.DefBuckets}, labels)
}

// handler serves the registry in the Prometheus text format, counting its
// own scrapes (promhttp_metric_handler_requests_total).
func (m *metrics) handler() http.Handler {
	return promhttp.InstrumentMetricHandler(m.reg, promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
}

// codeClasses are the values of the code label, by status/100 (0: none).
var codeClasses = [...]string{"error", "1xx", "2xx", "3xx", "4xx", "5xx"}

// codeClass is a status's class: "2xx", …; "error" for none. A constant
// string: it runs on every request, so it allocates nothing.
func codeClass(status int) string {
	if status >= 100 && status < 600 {
		return codeClasses[status/100]
	}
	return codeClasses[0]
}

// request records one served request.
func (m *metrics) request(route string, status int, d time.Duration) {
	if m == nil {
		return
	}
	m.requests.WithLabelValues(route, codeClass(status)).Inc()
	m.duration.WithLabelValues(route).Observe(d.Seconds())
}

// installEvents adds the sign-in and refresh counters to cfg's Events,
// after any event already there.
func (m *metrics) installEvents(cfg *authgo.Config) {
	if m == nil {
		return
	}
	ids := map[string]bool{}
	for _, p := range cfg.Providers {
		ids[p.ID()] = true
	}
	// provider keeps the label bounded by the configured providers.
	provider := func(id string) string {
		if ids[id] {
			return id
		}
		return ""
	}
	signIn := cfg.Events.SignIn
	cfg.Events.SignIn = func(ctx context.Context, e authgo.SignInEvent) {
		id := ""
		if e.Account != nil {
			id = e.Account.Provider
		}
		m.signIns.WithLabelValues(provider(id), "success").Inc()
		if signIn != nil {
			signIn(ctx, e)
		}
	}
	signInErr := cfg.Events.SignInError
	cfg.Events.SignInError = func(ctx context.Context, e authgo.SignInErrorEvent) {
		m.signIns.WithLabelValues(provider(e.Provider), boundedCode(e.Code)).Inc()
		if signInErr != nil {
			signInErr(ctx, e)
		}
	}
	refresh := cfg.Events.Refresh
	cfg.Events.Refresh = func(ctx context.Context, e authgo.RefreshEvent) {
		outcome := "success"
		switch {
		case e.Err == nil:
		case e.Terminal:
			outcome = "terminal"
		default:
			outcome = "transient"
		}
		m.refreshes.WithLabelValues(provider(e.Provider), outcome).Inc()
		if refresh != nil {
			refresh(ctx, e)
		}
	}
}

// boundedCode is an Auth.js error code as a label value: letters only and
// short, "other" otherwise (codes are authgo's constants; this only
// guards the label set).
func boundedCode(code string) string {
	if code == "" || len(code) > 40 || strings.IndexFunc(code, func(r rune) bool {
		return (r < 'a' || r > 'z') && (r < 'A' || r > 'Z')
	}) >= 0 {
		return "other"
	}
	return code
}

// transport times the round trips of a proxy (name "api" or
// "upstream") to its upstream: the time to the response headers. Nil m
// returns base.
func (m *metrics) transport(name string, base http.RoundTripper) http.RoundTripper {
	if m == nil {
		return base
	}
	return timedTransport{base: base, obs: m.upstream, name: name}
}

type timedTransport struct {
	base http.RoundTripper
	obs  *prometheus.HistogramVec
	name string
}

func (t timedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	res, err := t.base.RoundTrip(req)
	code := "error"
	if err == nil {
		code = codeClass(res.StatusCode)
	}
	t.obs.WithLabelValues(t.name, code).Observe(time.Since(start).Seconds())
	return res, err
}

// storeName is the store label of v: redis for the Redis adapter's
// types, database for the rest (SQLite, PostgreSQL).
func storeName(v any) string {
	t := reflect.TypeOf(v)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t != nil && strings.HasSuffix(t.PkgPath(), "/adapters/redis") {
		return "redis"
	}
	return "database"
}

// storeErr counts err, unless it is nil or the caller went away, and
// returns it.
func (m *metrics) storeErr(storeLabel, kind string, err error) error {
	if err != nil && !errors.Is(err, context.Canceled) {
		m.storeErrs.WithLabelValues(storeLabel, kind).Inc()
	}
	return err
}

// instrumentStores wraps the stores of cfg so that their failures are
// counted. Call it before anything else wraps them (the outbox), so that
// failures the wrapper absorbs are counted too. It returns counter
// wrapped likewise.
//
// A wrapper has the methods of the interface it wraps, so an optional
// interface the library finds by type assertion (onceStore,
// store.UserWithAccountCreator) is forwarded by a second wrapper type,
// chosen when the store has it: add one here for each new such interface
// (TestInstrumentKeepsOptionalInterfaces checks the known ones).
func (m *metrics) instrumentStores(cfg *authgo.Config, counter authgo.Counter) authgo.Counter {
	if m == nil {
		return counter
	}
	if r := cfg.Session.Revocations; r != nil {
		cr := countedRevocations{RevocationStore: r, m: m, store: storeName(r)}
		if o, ok := r.(onceStore); ok {
			cfg.Session.Revocations = countedOnceRevocations{cr, o}
		} else {
			cfg.Session.Revocations = cr
		}
	}
	if s := cfg.Session.Store; s != nil {
		cfg.Session.Store = countedSessions{SessionStore: s, m: m, store: storeName(s)}
	}
	if u := cfg.Users; u != nil {
		cu := countedUsers{UserStore: u, m: m, store: storeName(u)}
		if c, ok := u.(store.UserWithAccountCreator); ok {
			cfg.Users = countedUsersWithAccount{cu, c}
			if as, ok := u.(store.AuthenticatorStore); ok {
				cfg.Users = countedPasskeyUsers{countedUsersWithAccount{cu, c}, as}
			}
		} else {
			cfg.Users = cu
		}
	}
	if l := cfg.Tokens.Locker; l != nil {
		cfg.Tokens.Locker = countedLocker{l: l, m: m, store: storeName(l)}
	}
	if counter != nil {
		counter = countedCounter{c: counter, m: m, store: storeName(counter)}
	}
	return counter
}

// onceStore is the optional method of authgo.RevocationStore that makes
// an OAuth callback usable once across instances.
type onceStore interface {
	UseOnce(ctx context.Context, key string, until time.Time) (first bool, err error)
}

type countedRevocations struct {
	authgo.RevocationStore
	m     *metrics
	store string
}

func (c countedRevocations) RevokeSession(ctx context.Context, id string, until time.Time) error {
	return c.m.storeErr(c.store, "revocations", c.RevocationStore.RevokeSession(ctx, id, until))
}

func (c countedRevocations) RevokeUser(ctx context.Context, sub string, at, until time.Time) error {
	return c.m.storeErr(c.store, "revocations", c.RevocationStore.RevokeUser(ctx, sub, at, until))
}

func (c countedRevocations) Check(ctx context.Context, id, sub string) (bool, time.Time, error) {
	revoked, cutoff, err := c.RevocationStore.Check(ctx, id, sub)
	return revoked, cutoff, c.m.storeErr(c.store, "revocations", err)
}

type countedOnceRevocations struct {
	countedRevocations
	once onceStore
}

func (c countedOnceRevocations) UseOnce(ctx context.Context, key string, until time.Time) (bool, error) {
	first, err := c.once.UseOnce(ctx, key, until)
	return first, c.m.storeErr(c.store, "revocations", err)
}

type countedSessions struct {
	store.SessionStore
	m     *metrics
	store string
}

func (c countedSessions) err(err error) error { return c.m.storeErr(c.store, "sessions", err) }

func (c countedSessions) CreateSession(ctx context.Context, s store.Session) error {
	return c.err(c.SessionStore.CreateSession(ctx, s))
}

func (c countedSessions) SessionAndUser(ctx context.Context, token string) (*store.Session, *store.User, error) {
	s, u, err := c.SessionStore.SessionAndUser(ctx, token)
	return s, u, c.err(err)
}

func (c countedSessions) UpdateSession(ctx context.Context, token string, expires, lastSeen time.Time) error {
	return c.err(c.SessionStore.UpdateSession(ctx, token, expires, lastSeen))
}

func (c countedSessions) DeleteSession(ctx context.Context, token string) error {
	return c.err(c.SessionStore.DeleteSession(ctx, token))
}

func (c countedSessions) UserSessions(ctx context.Context, userID string) ([]store.Session, error) {
	s, err := c.SessionStore.UserSessions(ctx, userID)
	return s, c.err(err)
}

func (c countedSessions) DeleteUserSession(ctx context.Context, userID, id string) (bool, error) {
	ok, err := c.SessionStore.DeleteUserSession(ctx, userID, id)
	return ok, c.err(err)
}

func (c countedSessions) DeleteUserSessions(ctx context.Context, userID string) (int, error) {
	n, err := c.SessionStore.DeleteUserSessions(ctx, userID)
	return n, c.err(err)
}

type countedUsers struct {
	store.UserStore
	m     *metrics
	store string
}

func (c countedUsers) err(err error) error { return c.m.storeErr(c.store, "users", err) }

func (c countedUsers) CreateUser(ctx context.Context, u store.User) (store.User, error) {
	u, err := c.UserStore.CreateUser(ctx, u)
	return u, c.err(err)
}

func (c countedUsers) User(ctx context.Context, id string) (*store.User, error) {
	u, err := c.UserStore.User(ctx, id)
	return u, c.err(err)
}

func (c countedUsers) UserByEmail(ctx context.Context, email string) (*store.User, error) {
	u, err := c.UserStore.UserByEmail(ctx, email)
	return u, c.err(err)
}

func (c countedUsers) UserByAccount(ctx context.Context, provider, providerAccountID string) (*store.User, error) {
	u, err := c.UserStore.UserByAccount(ctx, provider, providerAccountID)
	return u, c.err(err)
}

func (c countedUsers) UpdateUser(ctx context.Context, u store.User) (store.User, error) {
	u, err := c.UserStore.UpdateUser(ctx, u)
	return u, c.err(err)
}

func (c countedUsers) LinkAccount(ctx context.Context, a store.Account) error {
	return c.err(c.UserStore.LinkAccount(ctx, a))
}

func (c countedUsers) UpdateAccount(ctx context.Context, a store.Account) error {
	return c.err(c.UserStore.UpdateAccount(ctx, a))
}

func (c countedUsers) Account(ctx context.Context, provider, providerAccountID string) (*store.Account, error) {
	a, err := c.UserStore.Account(ctx, provider, providerAccountID)
	return a, c.err(err)
}

// countedPasskeyUsers is a users store that keeps WebAuthn credentials
// too (the passkey provider's), counted as the users store.
type countedPasskeyUsers struct {
	countedUsersWithAccount
	a store.AuthenticatorStore
}

func (c countedPasskeyUsers) Authenticator(ctx context.Context, credentialID string) (*store.Authenticator, error) {
	a, err := c.a.Authenticator(ctx, credentialID)
	return a, c.err(err)
}

func (c countedPasskeyUsers) CreateAuthenticator(ctx context.Context, a store.Authenticator) error {
	err := c.a.CreateAuthenticator(ctx, a)
	if errors.Is(err, store.ErrAuthenticatorExists) {
		return err // an answer, not a failure
	}
	return c.err(err)
}

func (c countedPasskeyUsers) UserAuthenticators(ctx context.Context, userID string) ([]store.Authenticator, error) {
	as, err := c.a.UserAuthenticators(ctx, userID)
	return as, c.err(err)
}

func (c countedPasskeyUsers) UpdateAuthenticatorCounter(ctx context.Context, credentialID string, counter int64) (bool, error) {
	ok, err := c.a.UpdateAuthenticatorCounter(ctx, credentialID, counter)
	return ok, c.err(err)
}

type countedUsersWithAccount struct {
	countedUsers
	c store.UserWithAccountCreator
}

func (c countedUsersWithAccount) CreateUserWithAccount(ctx context.Context, u store.User, a store.Account) (store.User, error) {
	u, err := c.c.CreateUserWithAccount(ctx, u, a)
	if errors.Is(err, store.ErrAccountLinked) {
		return u, err // an answer, not a failure
	}
	return u, c.err(err)
}

type countedLocker struct {
	l     authgo.RefreshLocker
	m     *metrics
	store string
}

func (c countedLocker) err(err error) error { return c.m.storeErr(c.store, "locker", err) }

func (c countedLocker) TryLock(ctx context.Context, key string) (func(), bool, error) {
	unlock, ok, err := c.l.TryLock(ctx, key)
	return unlock, ok, c.err(err)
}

func (c countedLocker) Result(ctx context.Context, key string) ([]byte, error) {
	b, err := c.l.Result(ctx, key)
	return b, c.err(err)
}

func (c countedLocker) SetResult(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	return c.err(c.l.SetResult(ctx, key, value, ttl))
}

type countedCounter struct {
	c     authgo.Counter
	m     *metrics
	store string
}

func (c countedCounter) err(err error) error { return c.m.storeErr(c.store, "counter", err) }

func (c countedCounter) Add(ctx context.Context, key string, window time.Duration) (int64, time.Time, error) {
	n, ends, err := c.c.Add(ctx, key, window)
	return n, ends, c.err(err)
}

func (c countedCounter) Count(ctx context.Context, key string) (int64, time.Time, error) {
	n, ends, err := c.c.Count(ctx, key)
	return n, ends, c.err(err)
}

func (c countedCounter) Reset(ctx context.Context, key string) error {
	return c.err(c.c.Reset(ctx, key))
}
