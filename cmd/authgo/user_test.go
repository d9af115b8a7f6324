package main

import (
	"bytes"
	"image"
	pngenc "image/png"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/authgo/authgo/adapters/sqlite"
	"github.com/authgo/authgo/internal/password"
)

func runIn(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(t.Context(), args, strings.NewReader(stdin), &o, &e, env{}.get)
	return code, o.String(), e.String()
}

// TestUserCommands: list, passwd, signout, unlock and delete on a real
// database, including the unknown user and the empty database.
func TestUserCommands(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if code, out, errOut := runIn(t, "", "user", "list", "--data", dir); code != 0 || out != "USERNAME  ID  NAME  EMAIL  PASSWORD SET  SIGN-IN\n" || !strings.Contains(errOut, "no users in") {
		t.Fatalf("list of an empty database = %d %q %q", code, out, errOut)
	}
	for _, args := range [][]string{
		{"user", "add", "--data", dir, "--name", "Alice Example", "--email", "alice@example.com", "alice"},
		{"user", "add", "--data", dir, "bob"},
	} {
		if code, _, errOut := runIn(t, "first-password\n", args...); code != 0 {
			t.Fatalf("%q: %d %s", args, code, errOut)
		}
	}
	code, out, _ := runIn(t, "", "user", "list", "--data", dir)
	rows := regexp.MustCompile(`(?m)^(\S+)\s+([0-9a-f-]{36})\s+(.+?)\s+(\S+)\s+(\d{4}-\d\d-\d\dT\S+Z)\s+ok$`).FindAllStringSubmatch(out, -1)
	if code != 0 || len(rows) != 2 || rows[0][1] != "alice" || rows[0][3] != "Alice Example" || rows[0][4] != "alice@example.com" || rows[1][1] != "bob" || rows[1][3] != "-" {
		t.Fatalf("user list = %d\n%s", code, out)
	}

	// passwd: the new password works, the old one does not.
	if code, _, errOut := runIn(t, "second-password\n", "user", "passwd", "--data", dir, "alice"); code != 0 || !strings.Contains(errOut, `changed the password of "alice" and ended their sessions`) {
		t.Fatalf("passwd = %d %s", code, errOut)
	}
	db, store, err := openStore(t.Context(), filepath.Join(dir, "authgo.db"))
	if err != nil {
		t.Fatal(err)
	}
	_, hash, err := store.PasswordUser(t.Context(), "alice")
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := password.Verify("second-password", hash); !ok {
		t.Fatal("the new password does not verify")
	}
	if ok, _ := password.Verify("first-password", hash); ok {
		t.Fatal("the old password still verifies")
	}
	if code, _, errOut := runIn(t, "\n", "user", "passwd", "--data", dir, "alice"); code != 1 || !strings.Contains(errOut, "empty password") {
		t.Fatalf("passwd with an empty password = %d %s", code, errOut)
	}
	if code, _, errOut := runIn(t, "x\n", "user", "passwd", "--data", dir, "--keep-sessions", "alice"); code != 0 || !strings.Contains(errOut, "sessions stay open") {
		t.Fatalf("passwd --keep-sessions = %d %s", code, errOut)
	}

	// Unknown users, for each command that takes one.
	for _, cmd := range []string{"passwd", "unlock", "signout", "delete"} {
		code, _, errOut := runIn(t, "pw\n", "user", cmd, "--data", dir, "carol")
		if code != 1 || !strings.Contains(errOut, `no user "carol"`) || strings.Count(errOut, "authgo:") != 1 {
			t.Errorf("user %s carol = %d %q", cmd, code, errOut)
		}
		if code, _, _ := runIn(t, "", "user", cmd, "--data", dir); code != 2 {
			t.Errorf("user %s without a name = %d, want 2", cmd, code)
		}
	}

	// delete: gone from the list, the username free again.
	if code, _, errOut := runIn(t, "", "user", "delete", "--data", dir, "alice"); code != 0 || !strings.Contains(errOut, `deleted user "alice"`) {
		t.Fatalf("delete = %d %s", code, errOut)
	}
	if _, out, _ := runIn(t, "", "user", "list", "--data", dir); strings.Contains(out, "alice") || !strings.Contains(out, "bob") {
		t.Fatalf("list after delete:\n%s", out)
	}
	db, store, err = openStore(t.Context(), filepath.Join(dir, "authgo.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if n, err := store.CountUsers(t.Context()); err != nil || n != 1 {
		t.Fatalf("%d rows left in users, want 1 (bob): %v", n, err)
	}
	if _, err := store.CreatePasswordUser(t.Context(), "alice", "h", sqlite.User{Email: "alice@example.com"}); err != nil {
		t.Fatalf("alice's username or email is still taken: %v", err)
	}
}

// TestDevPasswordRecovery: the README's recovery for a lost --dev password
// (user passwd demo) lets the demo user sign in with the new one.
func TestDevPasswordRecovery(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	srv := startServe(t, true, "--dev", "--addr", "127.0.0.1:0", "--data", dir)
	b := newBrowser(t, srv.origin)
	if res := b.signIn(b.csrfToken(), "demo", srv.demoPassword); res.status != 302 || strings.Contains(res.header.Get("Location"), "error=") {
		t.Fatalf("sign-in: %d %s", res.status, res.header.Get("Location"))
	}
	kept := b.sessionCookieOf()
	if code, _, errOut := runIn(t, "recovered-password\n", "user", "passwd", "--data", dir, "demo"); code != 0 {
		t.Fatalf("passwd demo = %d %s", code, errOut)
	}
	// The session made with the old password ends (serve trusts a "not
	// revoked" answer for up to 2 s).
	deadline := time.Now().Add(5 * time.Second)
	for replay(t, srv.origin, kept) != "null" {
		if time.Now().After(deadline) {
			t.Fatal("a session survived user passwd")
		}
		time.Sleep(200 * time.Millisecond)
	}
	if res := b.signIn(b.csrfToken(), "demo", srv.demoPassword); !strings.Contains(res.header.Get("Location"), "error=CredentialsSignin") {
		t.Fatalf("the lost password still works: %s", res.header.Get("Location"))
	}
	if res := b.signIn(b.csrfToken(), "demo", "recovered-password"); res.status != 302 || strings.Contains(res.header.Get("Location"), "error=") {
		t.Fatalf("the new password does not work: %d %s", res.status, res.header.Get("Location"))
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := runIn(t, "", "version")
	if code != 0 || !regexp.MustCompile(`^authgo \S+ \(revision \S+.*\) go1\.\d+`).MatchString(out) {
		t.Fatalf("version = %d %q", code, out)
	}
	if code, out2, _ := runIn(t, "", "--version"); code != 0 || out2 != out {
		t.Fatalf("--version = %d %q", code, out2)
	}
	for _, tt := range []struct {
		bi   *debug.BuildInfo
		ok   bool
		want string
	}{
		{nil, false, "authgo unknown (revision unknown) "},
		{&debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.3"}}, true, "authgo v1.2.3 (revision unknown) go1.26.8"},
		{&debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123abcd"}, {Key: "vcs.time", Value: "2026-12-07T10:00:00Z"}, {Key: "vcs.modified", Value: "true"},
		}}, true, "authgo (devel) (revision 0123abcd, 2026-12-07T10:00:00Z, modified) go1.26.8"},
	} {
		if got := versionText(tt.bi, tt.ok); !strings.HasPrefix(got, tt.want) {
			t.Errorf("versionText = %q, want %q", got, tt.want)
		}
	}
}

// TestServeRedisUnreachable: an AUTH_REDIS_URL nobody answers is one line
// that names the variable, without go-redis's own retry lines, and the
// exit status 1.
func TestServeRedisUnreachable(t *testing.T) {
	e := env{"AUTH_SECRET": strings.Repeat("s", 40), "AUTH_REDIS_URL": "redis://:hunter2@" + freeAddr(t) + "/0"}
	for _, args := range [][]string{
		{"serve", "--addr", "127.0.0.1:0", "--data", t.TempDir()},
		{"user", "list", "--data", t.TempDir()},
	} {
		var stderr bytes.Buffer
		code := run(t.Context(), args, strings.NewReader(""), io.Discard, &stderr, e.get)
		lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
		if code != 1 || len(lines) != 1 || !strings.HasPrefix(lines[0], "authgo: AUTH_REDIS_URL: ping redis://:xxxxx@127.0.0.1:") || strings.Contains(stderr.String(), "hunter2") {
			t.Errorf("%q: exit %d, stderr:\n%s", args, code, stderr.String())
		}
	}
}

// TestServeDebug: --debug logs the decisions of each request at debug
// level, and never the session cookie.
func TestServeDebug(t *testing.T) {
	srv := startServe(t, true, "--dev", "--debug", "--addr", "127.0.0.1:0", "--data", filepath.Join(t.TempDir(), "data"), "--protect", "/private")
	b := newBrowser(t, srv.origin)
	if res := b.get("/private"); res.status != 302 {
		t.Fatalf("GET /private = %d", res.status)
	}
	b.signIn(b.csrfToken(), "demo", srv.demoPassword)
	cookie := b.sessionCookieOf()
	if res := b.get("/auth/session"); res.status != 200 {
		t.Fatalf("GET /auth/session = %d", res.status)
	}
	srv.stop(t)
	logs := srv.stderr.String()
	if !strings.Contains(logs, "level=DEBUG") || !strings.Contains(logs, "/private") {
		t.Fatalf("no debug lines about the request:\n%s", logs)
	}
	_, value, _ := strings.Cut(cookie, "=")
	if value == "" || strings.Contains(logs, value) || strings.Contains(logs, srv.demoPassword) {
		t.Fatalf("the log holds the session cookie or the password:\n%s", logs)
	}
}

// TestServeBrandFlags: --brand, --brand-color and --logo reach the pages;
// a bad colour or logo is a usage error naming the flag.
func TestServeBrandFlags(t *testing.T) {
	dir := t.TempDir()
	var png bytes.Buffer
	img := image.NewRGBA(image.Rect(0, 0, 2, 2))
	if err := pngenc.Encode(&png, img); err != nil {
		t.Fatal(err)
	}
	logo := filepath.Join(dir, "logo.png")
	text := filepath.Join(dir, "logo.txt")
	if err := os.WriteFile(logo, png.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(text, []byte("not an image"), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := startServe(t, true, "--dev", "--addr", "127.0.0.1:0", "--data", filepath.Join(dir, "data"),
		"--brand", "Acme Stadium", "--brand-color", "#0d9488", "--logo", logo)
	b := newBrowser(t, srv.origin)
	for _, path := range []string{"/", "/auth/signin"} {
		res := b.get(path)
		if res.status != 200 || !strings.Contains(res.body, "Acme Stadium") || !strings.Contains(res.body, "#0d9488") ||
			!strings.Contains(res.body, `src="data:image/png;base64,`) {
			t.Errorf("GET %s = %d without the brand, colour or logo:\n%s", path, res.status, res.body)
		}
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--brand-color", "teal"}, `authgo: --brand-color teal: Theme.Color "teal" must be #rgb or #rrggbb`},
		{[]string{"--logo", text}, "--logo " + text + ": Theme.Logo: unsupported image type"},
		{[]string{"--logo", filepath.Join(dir, "missing.png")}, "--logo " + filepath.Join(dir, "missing.png")},
	} {
		var stderr bytes.Buffer
		args := append([]string{"serve", "--addr", "127.0.0.1:0", "--data", filepath.Join(dir, "d2")}, tt.args...)
		code := run(t.Context(), args, strings.NewReader(""), io.Discard, &stderr, env{"AUTH_SECRET": strings.Repeat("s", 40)}.get)
		if code != exitUsage || !strings.Contains(stderr.String(), tt.want) {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", tt.args, code, stderr.String(), tt.want)
		}
	}
}
