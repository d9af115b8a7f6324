package postgres_test

import (
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/authgo/authgo/internal/testkit"
)

// freshDatabase creates a database of this test alone on the test server
// (testkit.FreshPostgres), dropped at the end, and returns a pool on it,
// closed before the drop.
func freshDatabase(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(t.Context(), testkit.FreshPostgres(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}
