package main

import (
	"strings"
	"testing"
)

// TestDBValueNotAFile: a --db value that is neither a SQLite file nor a
// PostgreSQL URL (a key=value connection string, another scheme's URL)
// is refused by serve, config check and the user commands, without
// showing its password; config check's table masks it.
func TestDBValueNotAFile(t *testing.T) {
	for _, tc := range []struct{ db, want string }{
		{"host=127.0.0.1 port=5432 user=app password=KVSEKRIT dbname=app", "key=value connection string"},
		{"user=app password='KV SEKRIT'", "key=value connection string"},
		{"mysql://app:MYSEKRIT@127.0.0.1/app", "a mysql:// URL is not a database authgo opens"},
	} {
		e := env{"AUTH_SECRET": testSecret, "AUTH_DATABASE_URL": tc.db}
		for _, args := range [][]string{
			{"serve", "--addr", "127.0.0.1:0", "--data", t.TempDir()},
			{"config", "check", "--data", t.TempDir()},
			{"user", "list", "--data", t.TempDir()},
		} {
			code, stdout, stderr := runInEnv(t, e, args...)
			if code == 0 || !strings.Contains(stderr, tc.want) || strings.Contains(stdout+stderr, "SEKRIT") {
				t.Errorf("%s with --db %q = %d:\n%s\n%s", args[0], tc.db, code, stdout, stderr)
			}
		}
	}
	if got := showValue(fileKey{key: "db", env: "AUTH_DATABASE_URL"}, "host=h password=KVSEKRIT dbname=x"); got != "host=h password=xxxxx dbname=x" {
		t.Errorf("showValue = %q", got)
	}
}
