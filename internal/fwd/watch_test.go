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

// silentUpstream accepts connections, reads what comes and never answers.
func silentUpstream(t *testing.T) string {
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
			go func() { io.Copy(io.Discard, c); c.Close() }()
		}
	}()
	return "http://" + ln.Addr().String()
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
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("error %v (%T) is not a timeout", err, err)
	}
	if took < testSilence || took > testSilence+time.Second {
		t.Errorf("timed out after %v; want a little over %v", took, testSilence)
	}
	c.CloseIdleConnections()
	waitStopped(t, w)
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
	res, err := c.Post(up.URL, "text/plain", pr)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if string(b) != "ABCDE" {
		t.Fatalf("answer %q, want ABCDE", b)
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
	res, err := c.Get(up.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil || string(b) != "data: one\n\ndata: two\n\n" {
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
	res, err := c.Get(up.URL + "/fast")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if string(b) != "ok" {
		t.Fatalf("answer %q", b)
	}
	res, err = c.Get(up.URL + "/slow")
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
		res, err := c.Get(up.URL + "/fast")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
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
