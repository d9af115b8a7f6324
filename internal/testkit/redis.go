package testkit

import (
	"bufio"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Redis is a redis-server a test started on a port of its own, so that it
// can kill and restart it without touching the shared Redis other
// packages' tests use at the same time.
type Redis struct {
	t       testing.TB
	bin     string
	addr    string // 127.0.0.1:port
	dir     string
	persist bool
	cmd     *exec.Cmd
}

// StartRedis starts a redis-server on a free port and kills it when the
// test ends. With persist, it keeps an append-only file fsynced on every
// write, as a production Redis should: what it held survives Kill and
// Restart; without, a restart comes back empty. Without redis-server the
// test is skipped, and fails under CI=true.
func StartRedis(t testing.TB, persist bool) *Redis {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		Missing(t, "no redis-server (apt-get install -y redis-server): %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	r := &Redis{t: t, bin: bin, addr: addr, dir: t.TempDir(), persist: persist}
	r.Restart()
	t.Cleanup(r.Kill)
	return r
}

// Addr is the server's host:port.
func (r *Redis) Addr() string { return r.addr }

// URL is the server's redis:// URL, database 0.
func (r *Redis) URL() string { return "redis://" + r.addr + "/0" }

// Restart starts the server again on the same port (or the first time)
// and waits until it answers PING.
func (r *Redis) Restart() {
	r.t.Helper()
	if r.cmd != nil {
		return
	}
	_, port, _ := net.SplitHostPort(r.addr)
	args := []string{"--bind", "127.0.0.1", "--port", port, "--dir", r.dir, "--save", ""}
	if r.persist {
		args = append(args, "--appendonly", "yes", "--appendfsync", "always")
	} else {
		args = append(args, "--appendonly", "no")
	}
	r.cmd = exec.Command(r.bin, args...)
	if err := r.cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !r.ping() {
		if time.Now().After(deadline) {
			r.t.Fatalf("redis-server on %s did not answer", r.addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Kill ends the server at once (SIGKILL), as a crash would.
func (r *Redis) Kill() {
	if r.cmd == nil {
		return
	}
	r.cmd.Process.Kill()
	r.cmd.Wait()
	r.cmd = nil
}

// ping reports whether the server answers PING.
func (r *Redis) ping() bool {
	c, err := net.DialTimeout("tcp", r.addr, 200*time.Millisecond)
	if err != nil {
		return false
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && strings.HasPrefix(line, "+PONG")
}
