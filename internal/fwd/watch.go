package fwd

import (
	"bytes"
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// A watchdog gives up on an upstream that stays silent: when it has sent
// nothing for a set time since the last byte of a request went out on a
// connection, that connection's read times out, and the request fails with
// a timeout error (a 504 for the proxies). This is http.Transport's
// ResponseHeaderTimeout (nginx's proxy_read_timeout before the first
// byte) without its cost: the transport arms a timer per request and
// selects on it, which took about a fifth of a proxied page's own CPU;
// here a write stores the time and one goroutine per watchdog looks at
// the connections a few times a second.
//
// It sees the bytes above TLS (dialTLS does the handshake), so it can tell
// a switch to another protocol (101: a WebSocket, whose upstream may be
// silent as long as it likes) from an answer; connections are HTTP/1.1,
// one request at a time, as the transport uses them without HTTP/2.
type watchdog struct {
	limit  time.Duration // the silence allowed
	tick   time.Duration // how often the connections are looked at
	dialer net.Dialer
	tr     *http.Transport // whose TLSClientConfig dialTLS uses (nil: defaults)

	mu      sync.Mutex
	conns   map[*watchedConn]struct{}
	running bool // loop is on: it stops when no connection is left
}

func newWatchdog(limit time.Duration) *watchdog {
	return &watchdog{
		limit:  limit,
		tick:   min(max(limit/10, 10*time.Millisecond), time.Second),
		dialer: net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second},
		conns:  make(map[*watchedConn]struct{}),
	}
}

// epoch is where monotonic readings (mono) count from.
var epoch = time.Now()

// mono is the time since epoch on the monotonic clock, never zero.
func mono() int64 { return int64(time.Since(epoch)) + 1 }

// dial is an http.Transport's DialContext.
func (w *watchdog) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := w.dialer.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return w.watch(c), nil
}

// tlsHandshakeTimeout bounds dialTLS's handshake.
const tlsHandshakeTimeout = 10 * time.Second

// dialTLS is an http.Transport's DialTLSContext: TLS as the transport's
// TLSClientConfig says (by default to addr's host name, with the system's
// roots), HTTP/1.1.
func (w *watchdog) dialTLS(ctx context.Context, network, addr string) (net.Conn, error) {
	raw, err := w.dialer.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		raw.Close()
		return nil, err
	}
	var cfg *tls.Config
	if w.tr != nil && w.tr.TLSClientConfig != nil {
		cfg = w.tr.TLSClientConfig.Clone()
	} else {
		cfg = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if cfg.ServerName == "" {
		cfg.ServerName = host
	}
	cfg.NextProtos = []string{"http/1.1"}
	tc := tls.Client(raw, cfg)
	hctx, cancel := context.WithTimeout(ctx, tlsHandshakeTimeout)
	defer cancel()
	if err := tc.HandshakeContext(hctx); err != nil {
		raw.Close()
		return nil, err
	}
	return w.watch(tc), nil
}

func (w *watchdog) watch(c net.Conn) *watchedConn {
	wc := &watchedConn{Conn: c, w: w}
	w.mu.Lock()
	w.conns[wc] = struct{}{}
	if !w.running {
		w.running = true
		go w.loop()
	}
	w.mu.Unlock()
	return wc
}

// loop times out the reads of connections silent for too long, until none
// is left.
func (w *watchdog) loop() {
	t := time.NewTicker(w.tick)
	defer t.Stop()
	for range t.C {
		now := mono()
		w.mu.Lock()
		if len(w.conns) == 0 {
			w.running = false
			w.mu.Unlock()
			return
		}
		for c := range w.conns {
			if s := c.sent.Load(); s != 0 && time.Duration(now-s) > w.limit && !c.switched.Load() {
				c.silent.Store(true)
				c.Conn.SetReadDeadline(time.Unix(1, 0)) // wakes the reader with a timeout
			}
		}
		w.mu.Unlock()
	}
}

// watchedConn is an upstream connection under a watchdog.
type watchedConn struct {
	net.Conn
	w        *watchdog
	sent     atomic.Int64 // mono at the last write not answered yet; 0: nothing awaited
	switched atomic.Bool  // the upstream answered 101: another protocol, never timed out
	silent   atomic.Bool  // the watchdog timed the connection out
	head     [len("HTTP/1.1 101")]byte
	got      int // bytes of head read (the reader's alone)
}

func (c *watchedConn) Write(b []byte) (int, error) {
	if !c.switched.Load() {
		c.sent.Store(mono())
	}
	return c.Conn.Write(b)
}

func (c *watchedConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 && c.sent.Load() != 0 {
		// The start of an answer: its status line says whether it
		// switches protocols.
		c.got += copy(c.head[c.got:], b[:n])
		if c.got == len(c.head) {
			if s := c.head[:]; bytes.HasPrefix(s, []byte("HTTP/1.")) && bytes.HasSuffix(s, []byte(" 101")) {
				c.switched.Store(true)
			}
			c.got = 0
			c.sent.Store(0)
		}
	}
	if err != nil && c.silent.Load() {
		err = errSilent
	}
	return n, err
}

func (c *watchedConn) Close() error {
	c.w.mu.Lock()
	delete(c.w.conns, c)
	c.w.mu.Unlock()
	return c.Conn.Close()
}

// errSilent is the read error of a connection whose upstream stayed
// silent too long: a timeout (net.Error), as os.ErrDeadlineExceeded.
var errSilent error = &silentError{}

type silentError struct{}

func (*silentError) Error() string {
	return "the upstream sent nothing in the time allowed after the request"
}
func (*silentError) Timeout() bool   { return true }
func (*silentError) Temporary() bool { return true }
func (*silentError) Unwrap() error   { return os.ErrDeadlineExceeded }

var _ net.Error = (*silentError)(nil)
