package postgres_test

import (
	"context"
	"crypto/rand"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// testServer is the PostgreSQL the tests use: AUTHGO_TEST_POSTGRES_URL, a
// database URL whose user may create databases, or the local server.
func testServer() string {
	if u := os.Getenv("AUTHGO_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// freshDatabase creates a database of this test alone, authgo_test_<random>,
// on the test server, and drops it at the end; it returns a pool on it.
// Without a server the test is skipped, and under CI=true, where nothing
// may be skipped, it fails.
func freshDatabase(t testing.TB) *pgxpool.Pool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	server := testServer()
	admin, err := pgx.Connect(ctx, server)
	if err != nil {
		msg := "no PostgreSQL at %s (%v): start one (docker run -e POSTGRES_HOST_AUTH_METHOD=trust -p 5432:5432 postgres) or set AUTHGO_TEST_POSTGRES_URL"
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true: "+msg, server, err)
		}
		t.Skipf(msg, server, err)
	}
	defer admin.Close(ctx)
	name := "authgo_test_" + strings.ToLower(rand.Text())
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	cfg, err := pgxpool.ParseConfig(server)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.Database = name
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		pool.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, server)
		if err != nil {
			t.Errorf("drop database %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	return pool
}
