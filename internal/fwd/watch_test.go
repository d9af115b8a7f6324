package fwd

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

const testSilence = 300 * time.Millisecond

// silentUpstream reads requests and never answers.
func silentUpstream(t *testing.T) string {
	return rawUpstream(t, func(c net.Conn) { io.Copy(io.Discard, c) })
}

// TestSilentUpstreamTimesOut: an upstream that reads the request and
// sends nothing fails the request with a timeout error (a 504 for the
// proxies) after the silence allowed, not before, and not much later.
func TestSilentUpstreamTimesOut(t *testing.T) {
	w := newWatchdog(testSilence)
	c := &http.Client{Transport: newTransport(w)}
	start := time.Now()
	res, err := c.Get(silentUpstream(t) + "/page")
	took := time.Since(start)
	if err == nil {
		res.Body.Close()
		t.Fatalf("a silent upstream answered %d", res.StatusCode)
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() || !IsSilence(err) {
		t.Fatalf("error %v (%T) is not the watchdog's timeout", err, err)
	}
	if took < testSilence || took > testSilence+time.Second {
		t.Errorf("timed out after %v; want a little over %v", took, testSilence)
	}
	c.CloseIdleConnections()
	waitStopped(t, w)
	// With no connection left its goroutine has ended; the next dial
	// starts it again, and a silent upstream is timed out as before.
	if res, err := c.Get(silentUpstream(t) + "/again"); err == nil {
		res.Body.Close()
		t.Fatal("a silent upstream answered after the watchdog restarted")
	} else if !IsSilence(err) {
		t.Fatalf("after the restart: %v, want the watchdog's timeout", err)
	}
	c.CloseIdleConnections()
	waitStopped(t, w)
}

// answer returns the body of a request's answer, or the request's
// error.
func answer(res *http.Response, err error) (string, error) {
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return string(b), err
}

// waitStopped waits for w's goroutine to end once it has no connection.
func waitStopped(t *testing.T, w *watchdog) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		w.mu.Lock()
		running, n := w.running, len(w.conns)
		w.mu.Unlock()
		if !running {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the watchdog still runs with %d connections", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestMovingUploadNotCut: a request body sent slowly, each pause shorter
// than the silence allowed but all of it longer, reaches the upstream
// whole: the clock starts at the last byte sent.
func TestMovingUploadNotCut(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		io.WriteString(w, strings.ToUpper(string(b)))
	}))
	defer up.Close()
	c := &http.Client{Transport: newTransport(newWatchdog(testSilence))}
	pr, pw := io.Pipe()
	go func() {
		for _, s := range []string{"a", "b", "c", "d", "e"} {
			pw.Write([]byte(s))
			time.Sleep(testSilence / 2)
		}
		pw.Close()
	}()
	if b, err := answer(c.Post(up.URL, "text/plain", pr)); err != nil || b != "ABCDE" {
		t.Fatalf("answer %q, err %v; want ABCDE", b, err)
	}
}

// TestQuietStreamNotCut: once the answer has begun (an event stream), the
// upstream may pause longer than the silence allowed.
func TestQuietStreamNotCut(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: one\n\n")
		w.(http.Flusher).Flush()
		time.Sleep(3 * testSilence)
		io.WriteString(w, "data: two\n\n")
	}))
	defer up.Close()
	c := &http.Client{Transport: newTransport(newWatchdog(testSilence))}
	if b, err := answer(c.Get(up.URL)); err != nil || b != "data: one\n\ndata: two\n\n" {
		t.Fatalf("stream %q, err %v", b, err)
	}
}

// TestSwitchedConnNeverTimesOut: after a 101 the connection carries
// another protocol (a WebSocket): the client may write and the upstream
// stay silent longer than the silence allowed, over plain TCP and over
// TLS (the watchdog reads the status above TLS).
func TestSwitchedConnNeverTimesOut(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "echo" {
			http.Error(w, "no upgrade", http.StatusBadRequest)
			return
		}
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
		brw.Flush()
		line, err := brw.ReadString('\n')
		if err != nil {
			return
		}
		time.Sleep(3 * testSilence) // silent while the client waits
		brw.WriteString(strings.ToUpper(line))
		brw.Flush()
	})
	for _, tlsOn := range []bool{false, true} {
		var up *httptest.Server
		tr := newTransport(newWatchdog(testSilence))
		if tlsOn {
			up = httptest.NewTLSServer(h)
			tr.TLSClientConfig = up.Client().Transport.(*http.Transport).TLSClientConfig
		} else {
			up = httptest.NewServer(h)
		}
		req, _ := http.NewRequest("GET", up.URL+"/ws", nil)
		req.Header.Set("Connection", "Upgrade")
		req.Header.Set("Upgrade", "echo")
		res, err := (&http.Client{Transport: tr}).Do(req)
		if err != nil {
			t.Fatalf("tls %v: %v", tlsOn, err)
		}
		if res.StatusCode != http.StatusSwitchingProtocols {
			t.Fatalf("tls %v: status %d", tlsOn, res.StatusCode)
		}
		rw := res.Body.(io.ReadWriteCloser)
		if _, err := io.WriteString(rw, "hello\n"); err != nil {
			t.Fatal(err)
		}
		got, err := bufio.NewReader(rw).ReadString('\n')
		rw.Close()
		if err != nil || got != "HELLO\n" {
			t.Errorf("tls %v: after a silence, read %q, err %v; want HELLO", tlsOn, got, err)
		}
		up.Close()
	}
}

// TestTLSUpstream: over TLS the watchdog times a silent upstream out too,
// a normal answer comes through with the caller's TLSClientConfig (its
// roots), and without it the test CA is not trusted.
func TestTLSUpstream(t *testing.T) {
	up := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			time.Sleep(3 * testSilence)
		}
		if r.ProtoMajor != 1 {
			t.Errorf("upstream request over %s, want HTTP/1.1", r.Proto)
		}
		io.WriteString(w, "ok")
	}))
	defer up.Close()
	tr := newTransport(newWatchdog(testSilence))
	tr.TLSClientConfig = up.Client().Transport.(*http.Transport).TLSClientConfig // its CA, as a caller may set
	c := &http.Client{Transport: tr}
	if b, err := answer(c.Get(up.URL + "/fast")); err != nil || b != "ok" {
		t.Fatalf("answer %q, err %v", b, err)
	}
	res, err := c.Get(up.URL + "/slow")
	var ne net.Error
	if err == nil {
		res.Body.Close()
		t.Fatal("a silent TLS upstream answered")
	} else if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("error %v is not a timeout", err)
	}
	// A certificate the system does not trust is refused.
	c2 := &http.Client{Transport: newTransport(newWatchdog(testSilence))}
	if res, err := c2.Get(up.URL + "/fast"); err == nil {
		res.Body.Close()
		t.Fatal("an untrusted certificate was accepted")
	}
}

// TestReusedConnRearms: a connection that answered in time is timed again
// for the next request on it.
func TestReusedConnRearms(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			time.Sleep(3 * testSilence)
		}
		io.WriteString(w, "ok")
	}))
	defer up.Close()
	w := newWatchdog(testSilence)
	c := &http.Client{Transport: newTransport(w)}
	for range 3 {
		if b, err := answer(c.Get(up.URL + "/fast")); err != nil || b != "ok" {
			t.Fatalf("answer %q, err %v", b, err)
		}
	}
	w.mu.Lock()
	n := len(w.conns)
	w.mu.Unlock()
	if n != 1 {
		t.Fatalf("%d connections, want the one reused", n)
	}
	res, err := c.Get(up.URL + "/slow")
	if err == nil {
		res.Body.Close()
		t.Fatal("the slow answer on a reused connection was not timed out")
	}
}

// rawUpstream answers each request it reads (http.ReadRequest) with
// respond, given the connection.
func rawUpstream(t *testing.T, respond func(c net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					io.Copy(io.Discard, req.Body)
					respond(c)
				}
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}

// TestUnfinishedAnswersTimeOut: the clock runs until the end of the
// answer's header block, not its first bytes, and an interim answer (103
// Early Hints) leaves it running.
func TestUnfinishedAnswersTimeOut(t *testing.T) {
	for name, start := range map[string]string{
		"status line only":  "HTTP/1.1 200 OK\r\n",
		"early hints":       "HTTP/1.1 103 Early Hints\r\nLink: </app.css>; rel=preload\r\n\r\n",
		"half a header":     "HTTP/1.1 200 OK\r\nContent-Le",
		"twelve bytes only": "HTTP/1.1 200",
	} {
		up := rawUpstream(t, func(c net.Conn) {
			io.WriteString(c, start)
			time.Sleep(10 * testSilence)
		})
		c := &http.Client{Transport: newTransport(newWatchdog(testSilence))}
		begin := time.Now()
		res, err := c.Get(up + "/x")
		if err == nil {
			res.Body.Close()
			t.Errorf("%s: answered %d", name, res.StatusCode)
		} else if !IsSilence(err) && name != "half a header" || time.Since(begin) > testSilence+2*time.Second {
			// (Cut in the middle of a header line, net/http reports a
			// malformed header, not the read error: a 502, not a 504.)
			t.Errorf("%s: %v after %v; want the watchdog's timeout soon after %v", name, err, time.Since(begin), testSilence)
		}
	}
}

// TestSlowHeaderBlockEnds: a header block that comes a byte at a time,
// its end split across reads, after an interim answer, stops the clock
// where it ends; the body may then take longer than the silence allowed.
func TestSlowHeaderBlockEnds(t *testing.T) {
	up := rawUpstream(t, func(c net.Conn) {
		for _, b := range []byte("HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n") {
			c.Write([]byte{b})
			time.Sleep(time.Millisecond)
		}
		time.Sleep(3 * testSilence)
		io.WriteString(c, "done")
	})
	c := &http.Client{Transport: newTransport(newWatchdog(testSilence))}
	if b, err := answer(c.Get(up + "/x")); err != nil || b != "done" {
		t.Fatalf("body %q, err %v", b, err)
	}
}

// TestFullDuplexQuietAnswerNotCut: an upstream that answers while the
// request body still comes (full duplex) and then pauses longer than the
// silence allowed is not cut: the body's last writes come after the
// answer began and do not start the clock again.
func TestFullDuplexQuietAnswerNotCut(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.NewResponseController(w).EnableFullDuplex()
		io.WriteString(w, "first\n")
		w.(http.Flusher).Flush()
		io.Copy(io.Discard, r.Body)
		time.Sleep(3 * testSilence)
		io.WriteString(w, "last\n")
	}))
	defer up.Close()
	c := &http.Client{Transport: newTransport(newWatchdog(testSilence))}
	pr, pw := io.Pipe()
	go func() {
		pw.Write([]byte("part one"))
		time.Sleep(testSilence / 2)
		pw.Write([]byte("part two"))
		pw.Close()
	}()
	if b, err := answer(c.Post(up.URL, "text/plain", pr)); err != nil || b != "first\nlast\n" {
		t.Fatalf("answer %q, err %v", b, err)
	}
}

func TestStartsRequest(t *testing.T) {
	for s, want := range map[string]bool{
		"GET / HTTP/1.1\r\n": true, "POST /api HTTP/1.1": true, "OPTIONS * HTTP/1.1": true,
		"CONNECT example.com:443 HTTP/1.1": true, "GET http://x/ HTTP/1.1": true,
		"": false, "GET": false, "GET ": false, " / HTTP/1.1": false, "get / HTTP/1.1": false,
		"{\"json\": 1}": false, "\x00\x01": false, "ABCDEFGHIJKLMNOPQRSTUVWXYZ /": false,
	} {
		if got := startsRequest([]byte(s)); got != want {
			t.Errorf("startsRequest(%q) = %v, want %v", s, got, want)
		}
	}
}
