package testkit

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestPostgres: the private server accepts connections on its port,
// TerminateBackends ends an open connection (its next query fails) and
// counts it, and committed rows survive Stop and Start on the same port.
func TestPostgres(t *testing.T) {
	p := StartPostgres(t)
	if !strings.Contains(p.URL(), "127.0.0.1:") {
		t.Fatalf("URL %q", p.URL())
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, p.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var fsync string
	if err := conn.QueryRow(ctx, `SHOW fsync`).Scan(&fsync); err != nil || fsync != "off" {
		t.Fatalf("fsync = %q, %v", fsync, err)
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE kept (v text); INSERT INTO kept VALUES ('before the stop')`); err != nil {
		t.Fatal(err)
	}

	if n := p.TerminateBackends(); n != 1 {
		t.Errorf("TerminateBackends ended %d connections, want 1", n)
	}
	if _, err := conn.Exec(ctx, `SELECT 1`); err == nil {
		t.Error("a terminated connection still answered")
	}

	p.Stop()
	if _, err := pgx.Connect(ctx, p.URL()); err == nil {
		t.Fatal("connected to a stopped server")
	}
	p.Stop() // stopping twice is harmless
	p.Start()
	conn2, err := pgx.Connect(ctx, p.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn2.Close(ctx)
	var v string
	if err := conn2.QueryRow(ctx, `SELECT v FROM kept`).Scan(&v); err != nil || v != "before the stop" {
		t.Fatalf("after Stop and Start: %q, %v", v, err)
	}
}
