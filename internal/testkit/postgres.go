package testkit

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Postgres is a PostgreSQL server a test started from the installed
// binaries, with a data directory and a port of its own, so that it can
// stop it, start it again and cut its connections without touching the
// shared server other packages' tests use at the same time.
//
// It listens on 127.0.0.1 only (no Unix socket), trusts every local
// connection as the superuser postgres, and runs with fsync off: what it
// holds survives Stop and Start, not a crash of the machine.
type Postgres struct {
	t     testing.TB
	bin   string // the directory of initdb, postgres, pg_isready and psql
	data  string // the data directory
	log   string // the server's log file
	port  int
	owner func(*exec.Cmd) // makes a command run as the data directory's owner
	cmd   *exec.Cmd
	done  chan struct{} // closed when cmd has exited
}

// StartPostgres creates a database cluster in a temporary directory of
// the test (initdb), starts a server on a free port of 127.0.0.1 and
// waits until it accepts connections; the server is stopped when the test
// ends. The binaries are looked for in /usr/lib/postgresql/<version>/bin
// (the newest version) and then on the PATH. initdb and postgres refuse to
// run as root: run as root, the test runs them as the OS user postgres,
// which owns the data directory. Without the binaries, or as root without
// that user, the test is skipped, and fails under CI=true.
func StartPostgres(t testing.TB) *Postgres {
	t.Helper()
	bin, err := postgresBin()
	if err != nil {
		Missing(t, "no PostgreSQL server binaries (install postgresql): %v", err)
	}
	dir := t.TempDir()
	owner, err := postgresOwner(dir)
	if err != nil {
		Missing(t, "cannot run PostgreSQL for this test: %v", err)
	}
	p := &Postgres{t: t, bin: bin, data: filepath.Join(dir, "data"), log: filepath.Join(dir, "postgres.log"), owner: owner}
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", p.data, "-U", "postgres", "-A", "trust",
		"-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions")
	owner(initdb)
	if out, err := initdb.CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.port = ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	p.start()
	t.Cleanup(p.Stop)
	return p
}

// postgresBin returns the directory of the server binaries: the newest
// /usr/lib/postgresql/<version>/bin that has them, else the one of the
// initdb on the PATH.
func postgresBin() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	version := func(d string) int {
		n, _ := strconv.Atoi(filepath.Base(filepath.Dir(d)))
		return n
	}
	slices.SortFunc(dirs, func(a, b string) int { return version(b) - version(a) })
	for _, d := range dirs {
		if isFile(filepath.Join(d, "initdb")) && isFile(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	initdb, err := exec.LookPath("initdb")
	if err != nil {
		return "", err
	}
	d := filepath.Dir(initdb)
	if !isFile(filepath.Join(d, "postgres")) {
		return "", fmt.Errorf("%s has no postgres beside it", initdb)
	}
	return d, nil
}

func isFile(name string) bool {
	fi, err := os.Stat(name)
	return err == nil && fi.Mode().IsRegular()
}

// URL is the server's URL for the database postgres as the superuser
// postgres, for pgx (sslmode=disable).
func (p *Postgres) URL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", p.port)
}

// Port is the server's TCP port on 127.0.0.1; it stays the same across
// Stop and Start.
func (p *Postgres) Port() int { return p.port }

// Start starts the stopped server again, on the same port and data, and
// waits until it accepts connections. A running server is left alone.
func (p *Postgres) Start() {
	p.t.Helper()
	if p.cmd != nil {
		return
	}
	p.start()
}

func (p *Postgres) start() {
	p.t.Helper()
	logf, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		p.t.Fatal(err)
	}
	defer logf.Close()
	p.cmd = exec.Command(filepath.Join(p.bin, "postgres"), "-D", p.data,
		"-p", strconv.Itoa(p.port),
		"-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories=",
		"-c", "fsync=off",
		"-c", "synchronous_commit=off",
		"-c", "full_page_writes=off",
		"-c", "max_connections=200",
		"-c", "shared_buffers=32MB",
	)
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	p.owner(p.cmd)
	if err := p.cmd.Start(); err != nil {
		p.cmd = nil
		p.t.Fatalf("postgres: %v", err)
	}
	p.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) {
		cmd.Wait()
		close(done)
	}(p.cmd, p.done)
	deadline := time.Now().Add(30 * time.Second)
	for {
		ready := exec.Command(filepath.Join(p.bin, "pg_isready"), "-q", "-h", "127.0.0.1", "-p", strconv.Itoa(p.port), "-t", "1")
		if ready.Run() == nil {
			return
		}
		select {
		case <-p.done:
			p.cmd = nil
			p.t.Fatalf("postgres on port %d exited at start:\n%s", p.port, p.logTail())
		default:
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("postgres on port %d did not accept connections within 30 s:\n%s", p.port, p.logTail())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop shuts the server down in PostgreSQL's fast mode (SIGINT): open
// transactions are rolled back, every connection is closed, and what was
// committed stays in the data directory for Start. It waits until the
// server has exited; a server that has not after 20 s is killed.
func (p *Postgres) Stop() {
	if p.cmd == nil {
		return
	}
	p.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
	p.cmd = nil
}

// TerminateBackends ends every client connection to the server but its
// own (pg_terminate_backend), as an administrator or a failover would,
// and returns how many it ended. The server keeps running.
func (p *Postgres) TerminateBackends() int {
	p.t.Helper()
	out, err := p.psql(`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'`)
	if err != nil {
		p.t.Fatalf("pg_terminate_backend: %v", err)
	}
	n, err := strconv.Atoi(out)
	if err != nil {
		p.t.Fatalf("pg_terminate_backend: answer %q", out)
	}
	return n
}

// psql runs one statement in the database postgres and returns its
// answer, unaligned and without headers.
func (p *Postgres) psql(sql string) (string, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(filepath.Join(p.bin, "psql"), "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1",
		"-h", "127.0.0.1", "-p", strconv.Itoa(p.port), "-U", "postgres", "-d", "postgres", "-c", sql)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(stdout.String()), nil
}

// logTail is the end of the server's log, for a failure message.
func (p *Postgres) logTail() string {
	b, err := os.ReadFile(p.log)
	if err != nil {
		return err.Error()
	}
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}
