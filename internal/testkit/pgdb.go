package testkit

import (
	"context"
	"crypto/rand"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// PostgresServer is the URL of the PostgreSQL server the tests share:
// AUTHGO_TEST_POSTGRES_URL, a database URL whose user may create
// databases, or else the local server (127.0.0.1:5432, user postgres,
// database test).
func PostgresServer() string {
	if u := os.Getenv("AUTHGO_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// FreshPostgres creates a database of this test alone, authgo_test_<random>,
// on PostgresServer, drops it when the test ends, and returns its URL.
// Its drop is registered now, so it runs after the cleanups the caller
// registers later (closing its pools, stopping its servers); the drop
// also ends any connection left open. Without a server the test is
// skipped, and under CI=true, where nothing may be skipped, it fails.
func FreshPostgres(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	server := PostgresServer()
	u, err := url.Parse(server)
	if err != nil {
		t.Fatalf("AUTHGO_TEST_POSTGRES_URL is not a URL: %v", err)
	}
	admin, err := pgx.Connect(ctx, server)
	if err != nil {
		Missing(t, "no PostgreSQL at %s (%v): start one (docker run -e POSTGRES_HOST_AUTH_METHOD=trust -p 5432:5432 postgres) or set AUTHGO_TEST_POSTGRES_URL", u.Redacted(), err)
	}
	defer admin.Close(ctx)
	name := "authgo_test_" + strings.ToLower(rand.Text())
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
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
	u.Path = "/" + name
	return u.String()
}
