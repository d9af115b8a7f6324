//go:build loadtest

package main

import (
	"bufio"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// redisChild is a redis-server this test started on a port of its own, so
// that it can be killed and restarted without touching the shared Redis
// other packages' tests use. It keeps an append-only file fsynced on every
// write in a temporary directory: a sign-out recorded before the kill is
// still there after the restart, as in a production Redis with
// persistence (one without forgets every sign-out on a restart).
type redisChild struct {
	t    *testing.T
	bin  string
	addr string // 127.0.0.1:port
	dir  string
	cmd  *exec.Cmd
}

// startRedis starts a redis-server on a free port and stops it when the
// test ends. Without redis-server the test is skipped, and fails under
// CI=true.
func startRedis(t *testing.T) *redisChild {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("redis-server is required under CI: %v", err)
		}
		t.Skipf("no redis-server: %v", err)
	}
	r := &redisChild{t: t, bin: bin, addr: freeAddr(t), dir: t.TempDir()}
	r.start()
	t.Cleanup(r.kill)
	return r
}

func (r *redisChild) url() string { return "redis://" + r.addr + "/0" }

// start runs redis-server on r.addr and waits until it answers PING.
func (r *redisChild) start() {
	r.t.Helper()
	_, port, _ := net.SplitHostPort(r.addr)
	r.cmd = exec.Command(r.bin, "--bind", "127.0.0.1", "--port", port, "--dir", r.dir,
		"--save", "", "--appendonly", "yes", "--appendfsync", "always")
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

// ping reports whether the server answers PING.
func (r *redisChild) ping() bool {
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

// kill ends the server at once (SIGKILL), as a crash would.
func (r *redisChild) kill() {
	if r.cmd == nil {
		return
	}
	r.cmd.Process.Kill()
	r.cmd.Wait()
	r.cmd = nil
}
