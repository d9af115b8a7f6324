package postgres_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/authgo/authgo/adapters/postgres"
	"github.com/authgo/authgo/internal/testkit"
	"github.com/authgo/authgo/store"
)

// TestCheck: an empty database, and one pg-adapter's schema made, are
// not migrated (Check names what is missing); a migrated one is; the
// unique indexes Migrate may skip are not required.
func TestCheck(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool := freshDatabase(t)
	err := postgres.Check(ctx, pool)
	if !errors.Is(err, postgres.ErrNotMigrated) || !strings.Contains(err.Error(), "missing verification_token, accounts, sessions, users, authgo_sessions") {
		t.Fatalf("Check of an empty database = %v", err)
	}
	if _, err := pool.Exec(ctx, testkit.PGAdapterSchema); err != nil {
		t.Fatal(err)
	}
	err = postgres.Check(ctx, pool)
	if !errors.Is(err, postgres.ErrNotMigrated) || !strings.Contains(err.Error(), "missing authgo_sessions,") || strings.Contains(err.Error(), " users") {
		t.Fatalf("Check of pg-adapter's schema = %v", err)
	}
	if _, err := postgres.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	if err := postgres.Check(ctx, pool); err != nil {
		t.Fatalf("Check after Migrate = %v", err)
	}
	if _, err := pool.Exec(ctx, `DROP INDEX authgo_accounts_provider_key`); err != nil {
		t.Fatal(err)
	}
	if err := postgres.Check(ctx, pool); err != nil {
		t.Fatalf("Check without a unique index Migrate may skip = %v", err)
	}
}

// previousSchema turns a migrated database into one the previous release
// of this package migrated: without the password users and the used-once
// keys.
const previousSchema = `DROP TABLE authgo_credentials; DROP TABLE authgo_used;
	DELETE FROM authgo_migrations WHERE change IN ('created table authgo_credentials', 'created table authgo_used', 'created index authgo_used_expires')`

// TestMigrateFromPrevious: a database the previous release migrated, with
// its sessions and revocations in it, is refused by Check, naming the new
// tables; Migrate adds exactly those, and keeps the rows.
func TestMigrateFromPrevious(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, pool := newStore(t)
	if _, err := pool.Exec(ctx, previousSchema); err != nil {
		t.Fatal(err)
	}
	u, err := s.CreateUser(ctx, store.User{Name: "Old"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeUser(ctx, u.ID, time.Now(), time.Now().Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	err = postgres.Check(ctx, pool)
	if !errors.Is(err, postgres.ErrNotMigrated) || !strings.HasSuffix(err.Error(), "missing authgo_credentials, authgo_used, authgo_used_expires") {
		t.Fatalf("Check of the previous schema = %v", err)
	}
	applied, err := postgres.Migrate(ctx, pool)
	if want := []string{"created table authgo_credentials", "created table authgo_used", "created index authgo_used_expires"}; err != nil || !slices.Equal(applied, want) {
		t.Fatalf("Migrate = %q, %v; want %q", applied, err, want)
	}
	if got, err := s.User(ctx, u.ID); err != nil || got == nil || got.Name != "Old" {
		t.Fatalf("the user after migrating: %+v, %v", got, err)
	}
	if _, cutoff, err := s.Check(ctx, "", u.ID); err != nil || cutoff.IsZero() {
		t.Fatalf("the revocation after migrating: %v, %v", cutoff, err)
	}
	if _, err := s.CreatePasswordUser(ctx, "new", testHash, store.User{}); err != nil {
		t.Fatal(err)
	}
}
