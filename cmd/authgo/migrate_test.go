package main

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// testdata/authgo-v4.db is a data file the release before database
// sessions (schema version 4, commit 442de2b^) wrote: `authgo user add`
// alice (password alice-password, with a name and email) and bob, then
// `authgo user signout bob`; the revocation's expiry was then moved to
// 2100 so that the fixture does not age.
const (
	v4Alice = "05c77500-e485-4ce0-8248-ca0e7ca3fcfd"
	v4Bob   = "f4f86c63-c25f-4a79-8782-bb9032acd76f"
)

// v4Copy copies the version 4 data file into a new data directory and
// returns the directory.
func v4Copy(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("testdata/authgo-v4.db")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "authgo.db"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestMigrateSQLiteFromV4: authgo migrate upgrades a data file of the
// previous schema, printing a line per change, then "up to date"; the
// users and the sign-out are kept. serve, which migrates SQLite itself,
// signs a user of such a file in, with her users row id as sub.
func TestMigrateSQLiteFromV4(t *testing.T) {
	dir := v4Copy(t)
	code, stdout, stderr := runIn(t, "", "migrate", "--data", dir)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if code != 0 || len(lines) < 8 || lines[0] != "version 5: created table accounts" || lines[len(lines)-1] != "version 7: created table authgo_authenticators" {
		t.Fatalf("migrate = %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, l := range lines {
		if !regexp.MustCompile(`^version [5-7]: (created (unique )?(table|index) \w+|added column \w+\.\w+)`).MatchString(l) {
			t.Errorf("migrate line %q", l)
		}
	}
	if code, stdout, _ := runIn(t, "", "migrate", "--data", dir); code != 0 || stdout != "up to date\n" {
		t.Fatalf("second migrate = %d %q", code, stdout)
	}
	code, stdout, _ = runIn(t, "", "user", "list", "--data", dir)
	if code != 0 || !regexp.MustCompile(`(?m)^alice\s+`+v4Alice+`\s+Alice Example\s+alice@example\.com\s`).MatchString(stdout) ||
		!regexp.MustCompile(`(?m)^bob\s+`+v4Bob+`\s+-\s+-\s`).MatchString(stdout) {
		t.Fatalf("user list after migrating = %d\n%s", code, stdout)
	}
	db, s, err := openStore(t.Context(), filepath.Join(dir, "authgo.db"))
	if err != nil {
		t.Fatal(err)
	}
	_, cutoff, err := s.Check(t.Context(), "", v4Bob)
	db.Close()
	if err != nil || cutoff.IsZero() {
		t.Fatalf("bob's sign-out after migrating: %v, %v", cutoff, err)
	}

	// serve on another copy, not migrated first.
	const secret = "v4-test-secret-0123456789abcdef0123456789"
	srv := startServeEnv(t, env{"AUTH_SECRET": secret}, false, "--addr", "127.0.0.1:0", "--data", v4Copy(t))
	b := newBrowser(t, srv.origin)
	if res := b.signIn(b.csrfToken(), "alice", "alice-password"); res.status != http.StatusFound || strings.Contains(res.header.Get("Location"), "error") {
		t.Fatalf("alice's sign-in on a version 4 file: %d %s", res.status, res.header.Get("Location"))
	}
	if sub := sessionSub(t, b.sessionCookieOf(), secret); sub != v4Alice {
		t.Fatalf("alice's sub = %q, want her users row id %s", sub, v4Alice)
	}
	if code := srv.stop(t); code != 0 {
		t.Fatalf("serve exited %d", code)
	}
}

// TestMigrateSQLiteNew: on a data directory without a database, migrate
// creates the file (mode 0600) with every version; it takes no arguments.
func TestMigrateSQLiteNew(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	code, stdout, stderr := runIn(t, "", "migrate", "--data", dir)
	if code != 0 || !strings.HasPrefix(stdout, "version 1: created table users\n") || !strings.Contains(stdout, "\nversion 6: ") ||
		!strings.Contains(stderr, "migrated "+filepath.Join(dir, "authgo.db")) {
		t.Fatalf("migrate = %d\n%s%s", code, stdout, stderr)
	}
	if st, err := os.Stat(filepath.Join(dir, "authgo.db")); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("database file: %v, %v", st, err)
	}
	if code, stdout, _ := runIn(t, "", "migrate", "--db", filepath.Join(dir, "authgo.db")); code != 0 || stdout != "up to date\n" {
		t.Fatalf("migrate --db FILE = %d %q", code, stdout)
	}
	if code, _, stderr := runIn(t, "", "migrate", "--data", dir, "extra"); code != exitUsage || !strings.Contains(stderr, "migrate takes no arguments") {
		t.Fatalf("migrate with an argument = %d %s", code, stderr)
	}
}
