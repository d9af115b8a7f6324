package sqlite_test

import (
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/authgo/authgo/adapters/sqlite"
)

// TestMigrateReports: Migrate says what it did, one line a change: every
// statement of every version on a new file, only versions 5 and 6 on a
// file of the previous schema (whose users and revocations New keeps, see
// TestMigrateFromV4), nothing when up to date.
func TestMigrateReports(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	line := regexp.MustCompile(`^version [1-9][0-9]*: (created table \w+|created (unique )?index \w+ on \w+|added column \w+\.\w+)$`)

	db := openDB(t, sqlite.DSN(filepath.Join(t.TempDir(), "authgo.db")))
	applied, err := sqlite.Migrate(ctx, db)
	if err != nil || len(applied) < 15 || applied[0] != "version 1: created table users" || !slices.Contains(applied, "version 5: created unique index authgo_accounts_provider on accounts") {
		t.Fatalf("Migrate of a new file = %q, %v", applied, err)
	}
	for _, l := range applied {
		if !line.MatchString(l) {
			t.Errorf("line %q does not say what changed", l)
		}
	}
	if again, err := sqlite.Migrate(ctx, db); err != nil || again != nil {
		t.Fatalf("second Migrate = %q, %v; want nothing", again, err)
	}

	old := openDB(t, sqlite.DSN(filepath.Join(t.TempDir(), "authgo.db")))
	for _, q := range schemaV4 {
		if _, err := old.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	applied, err = sqlite.Migrate(ctx, old)
	if err != nil || len(applied) == 0 {
		t.Fatalf("Migrate of version 4 = %q, %v", applied, err)
	}
	for _, l := range applied {
		if !regexp.MustCompile(`^version [5-7]: `).MatchString(l) {
			t.Errorf("Migrate of version 4 reported %q", l)
		}
	}
	if _, err := sqlite.Migrate(ctx, nil); err == nil {
		t.Fatal("Migrate(nil) succeeded")
	}
}
