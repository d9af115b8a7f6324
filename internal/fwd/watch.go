package fwd

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// A watchdog gives up on an upstream that does not answer: when an
// answer's header block has not come a set time after a request went out
// on a connection (watchedConn says when the clock runs), that
// connection's read times out, and the request fails with a timeout error
// (a 504 for the proxies). This is http.Transport's ResponseHeaderTimeout
// without its cost: the transport arms a timer per request and selects on
// it, which took about a fifth of a proxied page's own overhead; here a
// write stores the time and one goroutine per watchdog looks at the
// connections a few times a second.
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
				if c.sent.Load() != s {
					// The answer came (or another request went out)
					// meanwhile: leave the connection be, unless its
					// reader has already seen the deadline.
					c.Conn.SetReadDeadline(time.Time{})
					c.silent.Store(false)
				}
			}
		}
		w.mu.Unlock()
	}
}

// watchedConn is an upstream connection under a watchdog. The clock runs
// from the start of a request (the transport writes its request line at
// the start of a write), moves with each later write while no answer has
// begun (its body going out), and stops at the end of the answer's header
// block; an interim answer (1xx other than 101) leaves it running. Writes
// after the answer has begun (a body still going out while the answer
// streams back) do not start it again.
type watchedConn struct {
	net.Conn
	w         *watchdog
	sent      atomic.Int64 // mono when the clock (re)started; 0: no answer awaited
	answering atomic.Bool  // the answer to the last request has begun
	switched  atomic.Bool  // the upstream answered 101: another protocol, never timed out
	silent    atomic.Bool  // the watchdog timed the connection out

	// The reader's alone: where it is in the answer's header block.
	head      [len("HTTP/1.1 101")]byte
	got       int  // bytes of head read
	inHeaders bool // head read: looking for the block's end
	interim   bool // the block is a 1xx other than 101: another one follows
	tail      [3]byte
	ntail     int // the block's last bytes so far, for an end split across reads
}

func (c *watchedConn) Write(b []byte) (int, error) {
	if !c.switched.Load() {
		switch {
		case startsRequest(b):
			c.answering.Store(false)
			c.sent.Store(mono())
		case !c.answering.Load() && c.sent.Load() != 0:
			c.sent.Store(mono()) // the request's body is still going out
		}
	}
	return c.Conn.Write(b)
}

// startsRequest reports whether b starts with a request line's method and
// target ("GET /", "OPTIONS *", "CONNECT host:port" …): a method of
// upper-case letters, a space, then a target's first byte.
func startsRequest(b []byte) bool {
	for i, ch := range b {
		switch {
		case 'A' <= ch && ch <= 'Z' && i < 20:
		case ch == ' ' && i > 0 && i+1 < len(b):
			t := b[i+1]
			return t == '/' || t == '*' || 'a' <= t && t <= 'z' || 'A' <= t && t <= 'Z' || '0' <= t && t <= '9' || t == '['
		default:
			return false
		}
	}
	return false
}

func (c *watchedConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 && c.sent.Load() != 0 {
		c.scan(b[:n])
	}
	if err != nil && c.silent.Load() {
		err = errSilent
	}
	return n, err
}

var crlfcrlf = []byte("\r\n\r\n")

// scan follows an awaited answer's header block through p, and stops the
// clock at its end.
func (c *watchedConn) scan(p []byte) {
	for len(p) > 0 {
		if !c.inHeaders {
			k := copy(c.head[c.got:], p)
			c.got += k
			p = p[k:]
			if c.got < len(c.head) {
				return
			}
			s := c.head[:]
			status := bytes.HasPrefix(s, []byte("HTTP/1.")) && s[8] == ' '
			if status && bytes.HasSuffix(s, []byte(" 101")) {
				c.switched.Store(true)
				c.answered()
				return
			}
			c.interim = status && s[9] == '1'
			c.inHeaders, c.ntail = true, 0
			continue
		}
		end := -1
		for j := min(c.ntail, 3); j >= 1 && end < 0; j-- {
			// The end split across reads: the last j bytes read before
			// and the first 4-j of p.
			if 4-j <= len(p) && string(c.tail[c.ntail-j:c.ntail])+string(p[:4-j]) == "\r\n\r\n" {
				end = 4 - j
			}
		}
		if end < 0 {
			if i := bytes.Index(p, crlfcrlf); i >= 0 {
				end = i + 4
			}
		}
		if end < 0 {
			// Keep the last three bytes read.
			if len(p) >= len(c.tail) {
				c.ntail = copy(c.tail[:], p[len(p)-len(c.tail):])
				return
			}
			drop := max(c.ntail+len(p)-len(c.tail), 0)
			copy(c.tail[:], c.tail[drop:c.ntail])
			c.ntail = c.ntail - drop + copy(c.tail[c.ntail-drop:], p)
			return
		}
		p = p[end:]
		c.inHeaders, c.got = false, 0
		if !c.interim {
			c.answered()
			return
		}
		c.interim = false // the next status line follows
	}
}

// answered stops the clock: the answer's header block has come.
func (c *watchedConn) answered() {
	c.got, c.inHeaders = 0, false
	c.answering.Store(true)
	c.sent.Store(0)
}

func (c *watchedConn) Close() error {
	c.w.mu.Lock()
	delete(c.w.conns, c)
	c.w.mu.Unlock()
	return c.Conn.Close()
}

// IsSilence reports whether err is a request's failure because its
// upstream stayed silent too long (a watchdog's timeout), also when
// net/http only quotes the read error's text (an answer cut off in its
// header block is "transport connection broken: …", not wrapped).
func IsSilence(err error) bool {
	return err != nil && (errors.Is(err, errSilent) || strings.Contains(err.Error(), errSilent.Error()))
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
