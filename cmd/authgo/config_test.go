package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

const testSecret = "config-test-secret-0123456789abcdef0123456789"

// writeConfig writes a configuration file (mode 0600) and returns its path.
func writeConfig(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "authgo.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// checked is one row of authgo config check's table.
type checked struct{ value, from string }

// configCheck runs authgo config check and returns its table by key.
func configCheck(t *testing.T, e env, args ...string) (code int, rows map[string]checked, stdout, stderr string) {
	t.Helper()
	code, stdout, stderr = runInEnv(t, e, append([]string{"config", "check"}, args...)...)
	rows = map[string]checked{}
	row := regexp.MustCompile(`^(\S+)\s{2,}(.+?)\s{2,}(\S.*)$`)
	for _, line := range strings.Split(stdout, "\n") {
		if m := row.FindStringSubmatch(line); m != nil && m[1] != "KEY" {
			rows[m[1]] = checked{m[2], m[3]}
		}
	}
	return code, rows, stdout, stderr
}

// TestFileKeys: every flag and variable of the table has one key of its
// own, a bare TOML key, by the documented rule.
func TestFileKeys(t *testing.T) {
	seen := map[string]bool{}
	bare := regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	for _, k := range fileKeys() {
		if seen[k.key] {
			t.Errorf("two settings have the key %q", k.key)
		}
		seen[k.key] = true
		if !bare.MatchString(k.key) {
			t.Errorf("key %q is not a lower-case bare key", k.key)
		}
	}
	for _, s := range serveSettings {
		if s.flag == configSetting {
			continue
		}
		if s.flag != "" && !seen[s.flag] {
			t.Errorf("--%s has no key", s.flag)
		}
		for _, e := range s.env {
			want := envKey(e)
			if s.flag != "" && len(s.env) == 1 {
				want = s.flag
			}
			if !seen[want] {
				t.Errorf("%s has no key (want %q)", e, want)
			}
		}
		if len(settingKeys(s)) == 0 {
			t.Errorf("setting %s has no key in the README", s.names())
		}
	}
	for env, key := range map[string]string{"AUTH_SECRET": "secret", "AUTH_SECRET_1": "secret-1", "AUTH_GITHUB_ID": "github-id", "AUTH_URL": "url", "AUTH_BACKEND_CLIENT_SECRET": "backend-client-secret"} {
		if got := envKey(env); got != key {
			t.Errorf("envKey(%s) = %q, want %q", env, got, key)
		}
	}
}

// TestConfigPrecedence: a flag beats its variable, which beats the file,
// which beats the default, for a string, a boolean, a duration and a
// repeatable setting, as config check reports and serve uses them.
func TestConfigPrecedence(t *testing.T) {
	file := writeConfig(t, `# every layer below sets these
session-strategy = "database"
session-max-age = 3600
debug = true
trust-host = true
protect = ["/from-file", "/file/:path*"]
brand = "File Brand"
`)
	base := env{"AUTH_SECRET": testSecret}
	with := func(kv ...string) env {
		e := env{}
		for k, v := range base {
			e[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			e[kv[i]] = kv[i+1]
		}
		return e
	}
	for _, tc := range []struct {
		name string
		e    env
		args []string
		want map[string]checked
	}{
		{"default", base, nil, map[string]checked{
			"session-strategy": {"jwt", "default"},
			"session-max-age":  {"30 days", "default"},
			"debug":            {"false", "default"},
			"trust-host":       {"false", "default"},
			"protect":          {"-", "not set"},
			"brand":            {"authgo", "default"},
		}},
		{"file", base, []string{"--config", file}, map[string]checked{
			"session-strategy": {"database", "file " + file + ":2"},
			"session-max-age":  {"1h0m0s", "file " + file + ":3"},
			"debug":            {"true", "file " + file + ":4"},
			"trust-host":       {"true", "file " + file + ":5"},
			"protect":          {`["/from-file", "/file/:path*"]`, "file " + file + ":6"},
			"brand":            {"File Brand", "file " + file + ":7"},
		}},
		{"env beats file", with("AUTH_CONFIG", file, "AUTH_SESSION_STRATEGY", "jwt", "AUTH_SESSION_MAX_AGE", "720h", "AUTH_TRUST_HOST", "false"), nil, map[string]checked{
			"session-strategy": {"jwt", "env AUTH_SESSION_STRATEGY"},
			"session-max-age":  {"720h0m0s", "env AUTH_SESSION_MAX_AGE"},
			"trust-host":       {"false", "env AUTH_TRUST_HOST"},
			"debug":            {"true", "file " + file + ":4"},
		}},
		{"flag beats env and file", with("AUTH_SESSION_STRATEGY", "jwt", "AUTH_SESSION_MAX_AGE", "720h"),
			[]string{"--config", file, "--session-strategy", "database", "--session-max-age", "60", "--debug=false", "--protect", "/flag", "--brand", "Flag"},
			map[string]checked{
				"session-strategy": {"database", "flag --session-strategy"},
				"session-max-age":  {"1m0s", "flag --session-max-age"},
				"debug":            {"false", "flag --debug"},
				// The flag's list replaces the file's; it does not add to it.
				"protect": {`["/flag"]`, "flag --protect"},
				"brand":   {"Flag", "flag --brand"},
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, rows, stdout, stderr := configCheck(t, tc.e, tc.args...)
			if code != 0 {
				t.Fatalf("config check = %d\n%s\n%s", code, stdout, stderr)
			}
			for k, want := range tc.want {
				if got := rows[k]; got != want {
					t.Errorf("%s = %+v, want %+v\n%s", k, got, want, stdout)
				}
			}
		})
	}

	// serve uses the same layers: the file's session-max-age, under the
	// flag's strategy, shows in the session's expiry.
	dir := t.TempDir()
	if code, _, stderr := runInEnvStdin(t, base, "pw-123456\n", "user", "add", "--data", dir, "alice"); code != 0 {
		t.Fatalf("user add: %s", stderr)
	}
	srv := startServeEnv(t, with("AUTH_TRUST_HOST", "false"), false, "--config", file, "--addr", "127.0.0.1:0", "--data", dir, "--session-strategy", "jwt")
	b := newBrowser(t, srv.origin)
	if res := b.signIn(b.csrfToken(), "alice", "pw-123456"); res.status != http.StatusFound {
		t.Fatalf("sign-in = %d", res.status)
	}
	// GET /session slides the session: it expires an hour from now.
	res := b.get("/auth/session")
	var sess struct{ Expires time.Time }
	if err := json.Unmarshal([]byte(res.body), &sess); err != nil || sess.Expires.IsZero() {
		t.Fatalf("GET /auth/session = %d %s", res.status, res.body)
	}
	if left := time.Until(sess.Expires); left < 55*time.Minute || left > 65*time.Minute {
		t.Errorf("the session expires in %v, want the file's session-max-age, 1h", left)
	}
	if res := b.get("/from-file"); !strings.Contains(res.body, "Signed in as") {
		t.Errorf("GET /from-file (protected by the file) = %d", res.status)
	}
	if !strings.Contains(srv.stderr.String(), "level=DEBUG") {
		t.Errorf("debug = true in the file did not turn on debug logging")
	}
}
