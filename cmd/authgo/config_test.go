package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net"
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
			// The table is printed before serve's checks, which may refuse
			// a combination (trust-host with nothing else) for reasons of
			// their own.
			_, rows, stdout, stderr := configCheck(t, tc.e, tc.args...)
			if len(rows) == 0 {
				t.Fatalf("config check printed no table\n%s\n%s", stdout, stderr)
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

// TestConfigFileErrors: unknown keys, values of the wrong type and bad
// TOML are errors naming the file and line, from serve and config check
// alike, and nothing starts.
func TestConfigFileErrors(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       []string
	}{
		{"unknown key", "brand = \"x\"\n\nsesion-max-age = 60\n", []string{`:3: unknown key "sesion-max-age" (did you mean session-max-age?)`}},
		{"variable name as key", "# comment\nAUTH_URL = \"https://example.com/auth\"\n", []string{`:2: unknown key "AUTH_URL" (did you mean url?)`}},
		{"far from every key", "frobnicate = 1\n", []string{`:1: unknown key "frobnicate"`}},
		{"table", "brand = \"x\"\n[github]\nid = \"x\"\n", []string{`:2: unknown key "github" (did you mean github-id?): every key is at the top level`}},
		{"dotted key", "github.id = \"x\"\n", []string{`:1: unknown key "github"`}},
		{"string wanted", "\nbrand = 12\n", []string{`:2: brand: want a string, got an integer`}},
		{"array wanted", "protect = \"/admin\"\n", []string{`:1: protect: want an array of strings, got a string`}},
		{"array of strings wanted", "protect = [\"/a\", 2]\n", []string{`:1: protect: element 2: want a string, got an integer`}},
		{"boolean wanted", "debug = \"yes\"\n", []string{`:1: debug: want true or false, got a string`}},
		{"duration", "session-max-age = \"soon\"\n", []string{`:1: session-max-age = "soon": want seconds (2592000) or a duration (720h)`}},
		{"duration type", "session-max-age = 1.5\n", []string{`:1: session-max-age: want seconds (2592000) or a duration string ("720h"), got a float`}},
		{"variable given an array", "url = [\"a\"]\n", []string{`:1: url: want a string, got an array`}},
		{"several, in line order", "debug = 1\nbrand = 2\nnope = 3\n", []string{":1: debug", ":2: brand", `:3: unknown key "nope"`}},
		{"syntax", "brand = \"x\"\naddr = \n", []string{":2:"}},
		{"duplicate", "brand = \"x\"\nbrand = \"y\"\n", []string{":2:"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeConfig(t, tc.text)
			for _, cmd := range [][]string{{"serve", "--addr", "127.0.0.1:0", "--data", t.TempDir()}, {"config", "check"}} {
				code, stdout, stderr := runInEnv(t, env{"AUTH_SECRET": testSecret, "AUTH_CONFIG": path}, cmd...)
				if code != exitUsage || stdout != "" {
					t.Errorf("%s = %d, stdout %q", cmd[0], code, stdout)
				}
				last := 0
				for _, w := range tc.want {
					i := strings.Index(stderr, path+w)
					if i < last {
						t.Errorf("%s: stderr does not say %q (after the previous message):\n%s", cmd[0], path+w, stderr)
					}
					last = i
				}
			}
		})
	}
}

// TestConfigBadPath: a configuration file that cannot be read is an error
// naming it.
func TestConfigBadPath(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.toml")
	for _, args := range [][]string{
		{"serve", "--config", missing, "--addr", "127.0.0.1:0"},
		{"config", "check", "--config", missing},
	} {
		code, stdout, stderr := runInEnv(t, env{"AUTH_SECRET": testSecret}, args...)
		if code != exitUsage || stdout != "" || !strings.Contains(stderr, "authgo: --config: open "+missing+": no such file or directory") {
			t.Errorf("%v = %d\nstdout %q\nstderr %q", args, code, stdout, stderr)
		}
	}
	code, _, stderr := runInEnv(t, env{"AUTH_SECRET": testSecret, "AUTH_CONFIG": t.TempDir()}, "config", "check")
	if code != exitUsage || !strings.Contains(stderr, "--config") {
		t.Errorf("AUTH_CONFIG=<a directory>: %d %q", code, stderr)
	}
}

// TestConfigCheckMasksSecrets: config check shows that a secret is set,
// never its value, wherever it came from: the secrets, client secrets and
// the passwords in database and Redis URLs.
func TestConfigCheckMasksSecrets(t *testing.T) {
	secrets := []string{
		"file-secret-0123456789abcdef0123456789abcdef", "old-secret-0123456789abcdef0123456789abcdef",
		"gh-client-secret-42", "oidc-client-secret-43", "backend-client-secret-44",
		"db-pass-word", "redis-pass-word", "env-oidc-client-secret",
	}
	path := writeConfig(t, fmt.Sprintf(`secret = %q
secret-1 = %q
github-id = "gh-id"
github-secret = %q
oidc-secret = %q
backend-client-secret = %q
db = "postgres://authgo:%s@127.0.0.1:5432/authgo?sslmode=disable"
redis-url = "redis://default:%s@127.0.0.1:6379/0"
`, secrets[0], secrets[1], secrets[2], secrets[3], secrets[4], secrets[5], secrets[6]))
	// Not to be accepted (the OIDC provider is incomplete): the table is
	// printed all the same.
	code, rows, stdout, stderr := configCheck(t, env{"AUTH_CONFIG": path, "AUTH_OIDC_SECRET": secrets[7]})
	if code != exitUsage {
		t.Errorf("config check = %d, want %d (an incomplete provider)", code, exitUsage)
	}
	for _, s := range secrets {
		if strings.Contains(stdout+stderr, s) {
			t.Errorf("config check shows %q:\n%s\n%s", s, stdout, stderr)
		}
	}
	for key, want := range map[string]checked{
		"secret":                {"********", "file " + path + ":1"},
		"secret-1":              {"********", "file " + path + ":2"},
		"github-id":             {"gh-id", "file " + path + ":3"},
		"github-secret":         {"********", "file " + path + ":4"},
		"oidc-secret":           {"********", "env AUTH_OIDC_SECRET"},
		"backend-client-secret": {"********", "file " + path + ":6"},
		"db":                    {"postgres://authgo:xxxxx@127.0.0.1:5432/authgo?sslmode=disable", "file " + path + ":7"},
		"redis-url":             {"redis://default:xxxxx@127.0.0.1:6379/0", "file " + path + ":8"},
		"secret-2":              {"-", "not set"},
	} {
		if got := rows[key]; got != want {
			t.Errorf("%s = %+v, want %+v", key, got, want)
		}
	}
	// A file holding secrets that others may read gets a warning.
	path = writeConfig(t, fmt.Sprintf("secret = %q\n", secrets[0]))
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stdout, stderr = configCheck(t, env{"AUTH_CONFIG": path})
	if code != 0 || !strings.Contains(stdout, "holds secrets and is readable by others") {
		t.Errorf("config check = %d, no warning about a readable file of secrets:\n%s\n%s", code, stdout, stderr)
	}
	// (serve stops at the database, after the warning.)
	code, _, stderr = runInEnv(t, env{"AUTH_CONFIG": path}, "serve", "--db", filepath.Join(t.TempDir(), "no", "such.db"))
	if code != exitFail || !strings.Contains(stderr, "holds secrets and is readable by others") {
		t.Errorf("serve = %d, no warning about a readable file of secrets:\n%s", code, stderr)
	}
}

// TestConfigCheckAsServe: config check refuses what serve refuses, with
// serve's message, and says which line of the file set the value.
func TestConfigCheckAsServe(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		e          env
		want       string
	}{
		{"no secret", "brand = \"x\"\n", env{}, "AUTH_SECRET is not set"},
		{"short secret", "secret = \"0123456789\"\n", env{}, "(set by secret at FILE:1)"},
		{"strategy", "secret = \"" + testSecret + "\"\nsession-strategy = \"cookie\"\n", env{}, `--session-strategy "cookie": want jwt or database (set by session-strategy at FILE:2)`},
		{"strategy from the environment", "", env{"AUTH_SECRET": testSecret, "AUTH_SESSION_STRATEGY": "cookie"}, `--session-strategy "cookie": want jwt or database (set by AUTH_SESSION_STRATEGY)`},
		{"store without strategy", "session-store = \"redis\"\n", env{"AUTH_SECRET": testSecret}, "--session-store redis keeps database sessions"},
		{"all interfaces", "addr = \":0\"\n", env{"AUTH_SECRET": testSecret}, "listens on all interfaces"},
		{"trust host", "trust-host = \"maybe\"\n", env{"AUTH_SECRET": testSecret}, `AUTH_TRUST_HOST="maybe" is not a boolean: use true or false (set by trust-host at FILE:1)`},
		{"protect", "protect = [\"admin\"]\n", env{"AUTH_SECRET": testSecret}, `--protect: `},
		{"colour", "brand-color = \"red\"\n", env{"AUTH_SECRET": testSecret}, `--brand-color red: Theme.Color "red" must be #rgb or #rrggbb (set by brand-color at FILE:1)`},
		{"max age", "session-max-age = \"10ms\"\n", env{"AUTH_SECRET": testSecret}, `--session-max-age 10ms: must be at least one second`},
		{"api", "api = [\"/api=ftp://backend\"]\n", env{"AUTH_SECRET": testSecret}, `--api "/api=ftp://backend": `},
		{"provider", "github-id = \"x\"\n", env{"AUTH_SECRET": testSecret}, `AUTH_GITHUB_SECRET`},
		{"log format", "log-format = \"xml\"\n", env{"AUTH_SECRET": testSecret}, `--log-format "xml": want text or json`},
		{"metrics addr", "metrics-addr = \"9090\"\n", env{"AUTH_SECRET": testSecret}, `--metrics-addr "9090": `},
		{"shutdown grace", "shutdown-grace = \"-5s\"\n", env{"AUTH_SECRET": testSecret}, `--shutdown-grace -5s: must not be negative`},
		{"tls", "tls-cert = \"cert.pem\"\n", env{"AUTH_SECRET": testSecret}, `--tls-cert needs --tls-key`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeConfig(t, tc.text)
			want := strings.ReplaceAll(tc.want, "FILE", path)
			args := []string{"--config", path, "--data", t.TempDir()}
			if !strings.Contains(tc.text, "addr") {
				args = append(args, "--addr", "127.0.0.1:0")
			}
			code, _, checkErr := runInEnv(t, tc.e, append([]string{"config", "check"}, args...)...)
			if code != exitUsage || !strings.Contains(checkErr, want) {
				t.Errorf("config check = %d, stderr:\n%s\nwant %q", code, checkErr, want)
			}
			code, _, serveErr := runInEnv(t, tc.e, append([]string{"serve"}, args...)...)
			if code != exitUsage || !strings.Contains(serveErr, want) {
				t.Errorf("serve = %d, stderr:\n%s\nwant %q", code, serveErr, want)
			}
			// The same message, word for word.
			if i, j := strings.Index(serveErr, "authgo: "), strings.Index(checkErr, "authgo: "); i < 0 || j < 0 || serveErr[i:] != checkErr[j:] {
				t.Errorf("serve and config check differ:\nserve:\n%s\nconfig check:\n%s", serveErr, checkErr)
			}
		})
	}
}

// TestServeConfigFileOnly: serve started with nothing but a configuration
// file (through AUTH_CONFIG) listens where it says, guards its paths, and
// signs a user in; config check accepts the same file.
func TestServeConfigFileOnly(t *testing.T) {
	dir := t.TempDir()
	path := writeConfig(t, fmt.Sprintf(`# authgo serve, from this file alone
addr = "127.0.0.1:0"
data = %q
secret = %q
protect = ["/mypage/:path*"]
brand = "Config Co"
session-strategy = "database"
`, dir, testSecret))
	e := env{"AUTH_CONFIG": path}
	// The user commands work on the file's database too.
	if code, _, stderr := runInEnvStdin(t, e, "pw-from-stdin\n", "user", "add", "carol"); code != 0 {
		t.Fatalf("user add: %s", stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "authgo.db")); err != nil {
		t.Fatalf("user add did not use the file's data directory: %v", err)
	}
	// Their flags beat the file.
	other := t.TempDir()
	if code, stdout, stderr := runInEnv(t, e, "user", "list", "--data", other); code != 0 || strings.Contains(stdout, "carol") {
		t.Errorf("user list --data %s = %d\n%s\n%s", other, code, stdout, stderr)
	}
	if code, _, stdout, stderr := configCheck(t, e); code != 0 || !strings.Contains(stdout, "authgo serve accepts this configuration") {
		t.Fatalf("config check = %d\n%s\n%s", code, stdout, stderr)
	}
	srv := startServeEnv(t, e, false)
	b := newBrowser(t, srv.origin)
	if res := b.get("/mypage/x"); res.status != http.StatusFound {
		t.Errorf("GET /mypage/x signed out = %d, want 302", res.status)
	}
	if res := b.get("/auth/signin"); !strings.Contains(res.body, "Config Co") {
		t.Errorf("the sign-in page does not show the file's brand")
	}
	if res := b.signIn(b.csrfToken(), "carol", "pw-from-stdin"); res.status != http.StatusFound {
		t.Fatalf("sign-in = %d", res.status)
	}
	if res := b.get("/mypage/x"); res.status != 200 || !strings.Contains(res.body, "Signed in as carol") {
		t.Errorf("GET /mypage/x signed in = %d\n%s", res.status, res.body)
	}
	// Database sessions, as the file says: the user has one.
	if code, stdout, stderr := runInEnv(t, env{}, "user", "sessions", "--config", path, "carol"); code != 0 || strings.Count(strings.TrimSpace(stdout), "\n") < 1 {
		t.Errorf("user sessions = %d\n%s\n%s", code, stdout, stderr)
	}
	if code := srv.stop(t); code != 0 {
		t.Errorf("serve exited %d:\n%s", code, srv.stderr)
	}
	if strings.Contains(srv.stderr.String(), testSecret) {
		t.Errorf("serve logged the secret")
	}
}

// TestExampleConfig: examples/authgo.toml is accepted by config check,
// and sets only keys that exist (a key of the example that the table
// lost would fail here).
func TestExampleConfig(t *testing.T) {
	path := filepath.Join("..", "..", "examples", "authgo.toml")
	code, rows, stdout, stderr := configCheck(t, env{"AUTH_SECRET": testSecret}, "--config", path)
	if code != 0 {
		t.Fatalf("config check %s = %d\n%s\n%s", path, code, stdout, stderr)
	}
	n := 0
	for _, r := range rows {
		if strings.HasPrefix(r.from, "file ") {
			n++
		}
	}
	if n < 5 {
		t.Errorf("the example sets %d keys; it is meant to show several", n)
	}
	// The keys it shows commented out exist too.
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	commented := regexp.MustCompile(`(?m)^# ([a-z0-9-]+) = `).FindAllStringSubmatch(string(b), -1)
	if len(commented) == 0 {
		t.Errorf("the example shows no commented-out key")
	}
	for _, m := range commented {
		if _, ok := rows[m[1]]; !ok {
			t.Errorf("the example's commented-out key %q is not a key", m[1])
		}
	}
}

// TestConfigCheckChangesNothing: config check runs serve's start without
// its effects: --dev makes no data directory, secret or demo user, a
// SQLite file is not created, no port is taken; a PostgreSQL database is
// checked as serve checks it (refused before authgo migrate, with serve's
// message) and left as it was; its password shows nowhere.
func TestConfigCheckChangesNothing(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	busy := freeAddr(t)
	ln, err := net.Listen("tcp", busy)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	code, _, stdout, stderr := configCheck(t, env{}, "--dev", "--data", data, "--addr", busy)
	if code != 0 || !strings.Contains(stdout, "authgo serve accepts this configuration") {
		t.Fatalf("config check --dev = %d\n%s\n%s", code, stdout, stderr)
	}
	if _, err := os.Stat(data); !os.IsNotExist(err) {
		t.Errorf("config check --dev made %s (%v)", data, err)
	}
	db := filepath.Join(t.TempDir(), "users.db")
	if code, _, _, stderr := configCheck(t, env{"AUTH_SECRET": testSecret}, "--db", db, "--addr", busy); code != 0 {
		t.Errorf("config check --db %s = %d\n%s", db, code, stderr)
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Errorf("config check made %s (%v)", db, err)
	}

	dsn := freshPostgres(t)
	path := writeConfig(t, fmt.Sprintf("db = %q\nsession-strategy = \"database\"\n", dsn))
	e := env{"AUTH_SECRET": testSecret, "AUTH_CONFIG": path}
	code, _, checkOut, checkErr := configCheck(t, e, "--dev", "--data", data)
	_, _, serveErr := runInEnv(t, e, "serve", "--dev", "--data", t.TempDir())
	if code != exitFail || !strings.Contains(checkErr, "is not migrated") {
		t.Errorf("config check on a database before migrate = %d\n%s", code, checkErr)
	}
	if i, j := strings.Index(serveErr, "authgo: "), strings.Index(checkErr, "authgo: "); i < 0 || j < 0 || serveErr[i:] != checkErr[j:] {
		t.Errorf("serve and config check differ:\nserve:\n%s\nconfig check:\n%s", serveErr, checkErr)
	}
	noPassword(t, "config check", checkOut+checkErr)
	// migrate takes the file's database.
	if code, _, stderr := runInEnv(t, env{}, "migrate", "--config", path); code != 0 {
		t.Fatalf("migrate: %s", stderr)
	}
	code, _, checkOut, checkErr = configCheck(t, e, "--dev", "--data", data)
	if code != 0 {
		t.Errorf("config check on a migrated database = %d\n%s", code, checkErr)
	}
	noPassword(t, "config check", checkOut+checkErr)
	var users int
	pgQuery(t, dsn, "SELECT count(*) FROM users", &users)
	if users != 0 {
		t.Errorf("config check --dev added %d users to the database", users)
	}
	if _, err := os.Stat(data); !os.IsNotExist(err) {
		t.Errorf("config check made %s (%v)", data, err)
	}
}

// TestConfigEmptyValueIsUnset: an empty string in the file counts as
// unset, as an empty variable does: brand = "" keeps the default, an
// empty key for a variable does not hide the environment's value, and
// neither is reported as coming from the file.
func TestConfigEmptyValueIsUnset(t *testing.T) {
	path := writeConfig(t, "brand = \"\"\nsecret = \"\"\nurl = \"\"\nsession-max-age = \"\"\n")
	var o serveOptions
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	registerSettings(fs, &o)
	if err := fs.Parse([]string{"--config", path}); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"AUTH_SECRET": "", "AUTH_URL": "https://env.example/auth"}
	l, err := loadSettings(fs, func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("loadSettings: %v", err)
	}
	if o.brand != "authgo" {
		t.Errorf("brand = %q, want the default authgo", o.brand)
	}
	if got := l.getenv("AUTH_URL"); got != "https://env.example/auth" {
		t.Errorf("AUTH_URL = %q, want the environment's", got)
	}
	for _, key := range []string{"brand", "secret", "url", "session-max-age"} {
		if o := l.origins[key]; o.from == "file" {
			t.Errorf("%s: origin %v, want not the file", key, o)
		}
	}
	if l.file.secrets {
		t.Error("an empty secret counts as a secret the file sets")
	}
}
