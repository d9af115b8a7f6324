package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/internal/clientip"
	"github.com/authgo/authgo/internal/match"
)

// Operations: health endpoints, the access log, the request metrics, the
// metrics listener, TLS and the shutdown grace of authgo serve.

// defaultShutdownGrace is how long a stopping serve waits for in-flight
// requests (--shutdown-grace).
const defaultShutdownGrace = 10 * time.Second

// newLogger is serve's logger: text or JSON (--log-format) on w.
func newLogger(w io.Writer, format string, level slog.Level) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{Level: level}
	switch format {
	case "", "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", format)
}

// logOut is serve's log output. The access log's lines (Later) are
// gathered and written together, at most accessFlushDelay after the first
// of them or as soon as accessBufferSize bytes have gathered, instead of
// one write per request; every other line (Write) goes out at once, after
// those gathered, so the order of the lines holds. Flush writes what is
// gathered; serve calls it before it exits.
type logOut struct {
	mu      sync.Mutex
	w       io.Writer
	buf     []byte
	pending bool // a Flush is scheduled
}

// The access log's batching: at most this late, at most this much.
const (
	accessFlushDelay = 100 * time.Millisecond
	accessBufferSize = 32 << 10
)

func (o *logOut) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.flushLocked()
	return o.w.Write(p)
}

// Later is the writer of the access log's lines.
func (o *logOut) Later() io.Writer { return laterWriter{o} }

type laterWriter struct{ o *logOut }

func (l laterWriter) Write(p []byte) (int, error) {
	o := l.o
	o.mu.Lock()
	defer o.mu.Unlock()
	o.buf = append(o.buf, p...)
	switch {
	case len(o.buf) >= accessBufferSize:
		o.flushLocked()
	case !o.pending:
		o.pending = true
		time.AfterFunc(accessFlushDelay, o.Flush)
	}
	return len(p), nil
}

// Flush writes the gathered lines now.
func (o *logOut) Flush() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.pending = false
	o.flushLocked()
}

func (o *logOut) flushLocked() {
	if len(o.buf) > 0 {
		o.w.Write(o.buf)
		o.buf = o.buf[:0]
	}
}

// checkOps checks the Operations settings of o, with the messages serve
// gives (serve and config check both call it), and returns the TLS
// configuration of --tls-cert and --tls-key (nil without them).
func checkOps(o *serveOptions) (*tls.Config, error) {
	if _, err := newLogger(io.Discard, o.logFormat, slog.LevelInfo); err != nil {
		return nil, err
	}
	if o.metricsAddr != "" {
		if _, _, err := net.SplitHostPort(o.metricsAddr); err != nil {
			return nil, fmt.Errorf("--metrics-addr %q: %v", o.metricsAddr, err)
		}
	}
	if o.shutdownGrace.set && o.shutdownGrace.d < 0 {
		return nil, fmt.Errorf("--shutdown-grace %s: must not be negative", o.shutdownGrace.d)
	}
	return loadTLS(o.tlsCert, o.tlsKey)
}

// readyCheck is one part readyz asks: the database, Redis, an upstream.
type readyCheck struct {
	name  string // shown in readyz's body: a fixed word, never a DSN
	check func(ctx context.Context) error
	ok    atomic.Bool // the last answer, for logging changes only
}

// readyTimeout bounds each readiness check.
const readyTimeout = 2 * time.Second

// ops wraps serve's handler with the health endpoints, the access log and
// the request metrics.
type ops struct {
	base    string // the endpoints' base path
	log     *slog.Logger
	access  bool       // write the access log
	alog    *accessLog // the access log's lines; nil: through log
	metrics *metrics   // nil without --metrics-addr
	trusted []netip.Prefix
	apis    []string // the --api prefixes, without a trailing "/"
	// upstream is set when everything that is not the base path or an
	// --api prefix goes to an app (the gateway's --upstream): the route
	// class of such requests is then upstream rather than page or other.
	upstream bool
	// protected reports whether a path is a --protect path (route class
	// page); nil for none.
	protected func(path string) bool

	mu     sync.Mutex
	checks []*readyCheck

	readyMu sync.Mutex // one round of readiness checks at a time
	readyAt time.Time  // when down was found
	down    []string

	// handlers counts the requests being handled, WebSockets included,
	// which http.Server.Shutdown does not wait for once hijacked.
	handlers sync.WaitGroup
}

// addReady adds a readiness check named name (a fixed word: "database",
// "redis", "upstream").
func (o *ops) addReady(name string, check func(ctx context.Context) error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	c := &readyCheck{name: name, check: check}
	c.ok.Store(true)
	o.checks = append(o.checks, c)
}

// healthz answers 200 "ok": the process serves HTTP.
func (o *ops) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	io.WriteString(w, "ok\n")
}

// readyz answers 200 "ok" when every part answered, or 503 naming the
// parts that did not (see readiness). The causes go to the log (once per
// change), never into the body.
func (o *ops) readyz(w http.ResponseWriter, r *http.Request) {
	down := o.readiness()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if len(down) > 0 {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, "not ready: %s\n", strings.Join(down, ", "))
		return
	}
	io.WriteString(w, "ok\n")
}

// readyCacheFor is how long a readiness answer is reused: readyz is
// public, and a flood of it must not become a flood of database pings.
const readyCacheFor = time.Second

// readiness asks every check at once, each within readyTimeout, and
// returns the names of those that failed. Concurrent callers share one
// round of checks, and its answer serves for readyCacheFor.
func (o *ops) readiness() []string {
	o.readyMu.Lock()
	defer o.readyMu.Unlock()
	if !o.readyAt.IsZero() && time.Since(o.readyAt) < readyCacheFor {
		return o.down
	}
	o.mu.Lock()
	checks := append([]*readyCheck(nil), o.checks...)
	o.mu.Unlock()
	errs := make([]error, len(checks))
	var wg sync.WaitGroup
	for i, c := range checks {
		wg.Go(func() {
			// Not the request's context: the answer is shared.
			ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
			defer cancel()
			errs[i] = c.check(ctx)
		})
	}
	wg.Wait()
	var down []string
	for i, c := range checks {
		err := errs[i]
		if err != nil {
			down = append(down, c.name)
		}
		if was := c.ok.Swap(err == nil); was != (err == nil) {
			if err != nil {
				o.log.Warn("not ready: a part does not answer", "part", c.name, "err", err)
			} else {
				o.log.Info("ready again", "part", c.name)
			}
		}
	}
	o.down, o.readyAt = down, time.Now()
	return down
}

// health serves healthz and readyz at path (both under the base path on
// the main listener; also at the root on the metrics listener), and
// reports whether path was one of them.
func (o *ops) health(w http.ResponseWriter, r *http.Request, path string) bool {
	var h http.HandlerFunc
	switch path {
	case "/healthz":
		h = o.healthz
	case "/readyz":
		h = o.readyz
	default:
		return false
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "Method not allowed", http.StatusMethodNotAllowed)
		return true
	}
	h(w, r)
	return true
}

// route is the route class of a request for path: a fixed word, so
// metrics and logs can group requests without holding a path.
func (o *ops) route(path string) string {
	if rest, ok := strings.CutPrefix(path, o.base); ok && (rest == "" || rest[0] == '/') {
		action, _, _ := strings.Cut(strings.TrimPrefix(rest, "/"), "/")
		switch action {
		case "signin":
			return routeSignIn
		case "callback":
			return routeCallback
		case "session":
			return routeSession
		case "signout":
			return routeSignOut
		case "csrf":
			return routeCSRF
		case "providers":
			return routeProviders
		case "forward-auth":
			return routeForwardAuth
		case "healthz", "readyz":
			if !strings.Contains(strings.TrimPrefix(rest, "/"), "/") {
				return routeHealth
			}
		}
		return routeAuthOther
	}
	for _, p := range o.apis {
		if path == p || strings.HasPrefix(path, p+"/") {
			return routeAPI
		}
	}
	if o.upstream {
		return routeUpstream
	}
	if path == "/" || (o.protected != nil && o.protected(path)) {
		return routePage
	}
	return routeOther
}

// wrap serves healthz and readyz under the base path before anything else
// (never guarded), and writes one access-log line and the request metrics
// for every request.
func (o *ops) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.handlers.Add(1)
		defer o.handlers.Done()
		start := time.Now()
		route := o.route(r.URL.Path)
		sw := &statusWriter{ResponseWriter: w}
		if m := o.metrics; m != nil {
			m.inflight.Inc()
			defer m.inflight.Dec()
		}
		defer func() {
			// A handler that panics (http.ErrAbortHandler from a proxy
			// whose client went away) is still logged and counted, then
			// the panic goes on to net/http.
			end := time.Now()
			d := end.Sub(start)
			status := sw.status
			if status == 0 {
				status = http.StatusOK
				if p := recover(); p != nil {
					status = 0 // no answer was sent
					defer panic(p)
				}
			}
			o.metrics.request(route, status, d)
			if o.access {
				o.accessLine(r, route, status, sw.bytes, end, d)
			}
		}()
		if route == routeHealth && o.health(sw, r, strings.TrimPrefix(r.URL.Path, o.base)) {
			return
		}
		next.ServeHTTP(sw, r)
	})
}

// maxLoggedPath bounds the path in an access-log line.
const maxLoggedPath = 1024

// accessLine logs one request: never its query string (an OAuth
// callback's holds the code), cookies, headers or body. Health probes,
// which come every few seconds from an orchestrator, are logged at debug
// level only.
func (o *ops) accessLine(r *http.Request, route string, status int, n int64, end time.Time, d time.Duration) {
	level := slog.LevelInfo
	if route == routeHealth {
		level = slog.LevelDebug
	}
	// Straight to the handler: the record needs no caller's PC (no
	// source is shown), which Logger.LogAttrs would look up per line.
	var h slog.Handler
	if o.alog == nil {
		h = o.log.Handler()
		if !h.Enabled(r.Context(), level) {
			return
		}
	} else if level < o.alog.level {
		return
	}
	path := r.URL.Path
	if len(path) > maxLoggedPath {
		path = path[:maxLoggedPath] + "…"
	}
	client := r.RemoteAddr
	if a, ok := clientip.Addr(r.RemoteAddr, r.Header["X-Forwarded-For"], o.trusted); ok {
		client = a.String()
	}
	f := accessFields{method: r.Method, route: route, path: path, status: status,
		bytes: n, duration: d, client: client, proto: r.Proto}
	if o.alog != nil {
		o.alog.write(end, level, &f)
	} else {
		slogAccessLine(r.Context(), h, end, level, &f)
	}
}

// statusWriter records the status and body size of a response. It keeps
// http.ResponseController working (Unwrap) and passes on Flush and Hijack,
// which streamed and WebSocket proxying need.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if w.status == 0 {
		w.status = http.StatusSwitchingProtocols
	}
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

// metricsHandler is the metrics listener's handler: /metrics, and
// healthz and readyz at the root and under the base path.
func (o *ops) metricsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", o.metrics.handler())
	for _, p := range []string{"/healthz", "/readyz"} {
		for _, at := range []string{p, o.base + p} {
			mux.HandleFunc(at, func(w http.ResponseWriter, r *http.Request) { o.health(w, r, p) })
		}
	}
	return mux
}

// loadTLS reads the --tls-cert and --tls-key files into a TLS
// configuration that offers HTTP/2 and HTTP/1.1; nil when neither is set.
func loadTLS(certFile, keyFile string) (*tls.Config, error) {
	switch {
	case certFile == "" && keyFile == "":
		return nil, nil
	case certFile == "":
		return nil, errors.New("--tls-key needs --tls-cert, the certificate (chain) in PEM")
	case keyFile == "":
		return nil, errors.New("--tls-cert needs --tls-key, the certificate's private key in PEM")
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("--tls-cert %s --tls-key %s: %v", certFile, keyFile, err)
	}
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{cert},
		NextProtos:   []string{"h2", "http/1.1"},
	}, nil
}

// shutdown stops srv within grace: it stops accepting, lets in-flight
// requests finish, and after grace closes what is still open (a long
// stream). It returns how it went for the log.
func shutdown(srv *http.Server, grace time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := srv.Shutdown(ctx)
	if err != nil {
		srv.Close()
	}
	return err
}

// shutdown stops srv (serving o.wrap) within grace, as the function
// shutdown does, and also waits, within the same grace, for the handlers
// of hijacked connections (a proxied WebSocket), which Shutdown neither
// waits for nor closes; those still open when grace runs out end with the
// process.
func (o *ops) shutdown(srv *http.Server, grace time.Duration) error {
	deadline := time.Now().Add(grace)
	if err := shutdown(srv, grace); err != nil {
		return err
	}
	// No request can start now: the listeners are closed and every
	// connection that was not hijacked is gone.
	done := make(chan struct{})
	go func() {
		o.handlers.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-time.After(time.Until(deadline)):
		return errors.New("WebSockets still open")
	}
}

// configure gives o what it needs from the configured Auth: the base
// path, the trusted proxies, the --protect patterns and the --api
// prefixes (for route classes), and the Events behind the sign-in and
// refresh metrics (already installed in cfg).
func (o *ops) configure(a *authgo.Auth, cfg authgo.Config, protect, apis []string, upstream string) error {
	o.base = a.BasePath()
	if upstream != "" {
		addr, err := dialAddr(upstream)
		if err != nil {
			return fmt.Errorf("--upstream %s: %v", upstream, err)
		}
		o.upstream = true
		o.addReady("upstream", func(ctx context.Context) error {
			c, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
			if err != nil {
				return err
			}
			return c.Close()
		})
	}
	trusted, err := clientip.Prefixes(cfg.TrustedProxies)
	if err != nil {
		return err
	}
	o.trusted = trusted
	if len(protect) > 0 {
		mt, err := match.Compile(protect...)
		if err != nil {
			return fmt.Errorf("--protect: %v", err)
		}
		o.protected = func(p string) bool { return mt.MatchPath(p) == match.Match }
	}
	for _, spec := range apis {
		prefix, _, _ := strings.Cut(spec, "=")
		o.apis = append(o.apis, strings.TrimSuffix(prefix, "/"))
	}
	return nil
}

// dialAddr is the host:port a readiness check dials for an upstream URL.
func dialAddr(rawURL string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", err
	}
	if u.Host == "" {
		return "", errors.New("no host")
	}
	if u.Port() != "" {
		return u.Host, nil
	}
	port := "80"
	if u.Scheme == "https" {
		port = "443"
	}
	return net.JoinHostPort(u.Hostname(), port), nil
}

// serveMetrics listens on addr and serves the metrics listener there,
// sending Serve's end to served.
func (o *ops) serveMetrics(addr string, served chan<- error) (*http.Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	srv := &http.Server{
		Handler:           o.metricsHandler(),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(o.log.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			served <- fmt.Errorf("the metrics listener: %w", err)
		}
	}()
	o.log.Info("serving metrics", "url", "http://"+ln.Addr().String()+"/metrics")
	return srv, nil
}
