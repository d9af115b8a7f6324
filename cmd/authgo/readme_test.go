package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestREADMETokenDecode: the walk-through's `token decode` output lists
// the claims, in the order, that decoding a cookie of authgo serve prints.
func TestREADMETokenDecode(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	block := regexp.MustCompile(`(?s)authgo token decode [^\n]*\n# \{\n(.*?)# \}\n`).FindSubmatch(readme)
	if block == nil {
		t.Fatal("README.md has no token decode output block")
	}
	var documented []string
	for _, m := range regexp.MustCompile(`(?m)^#   "([a-z_]+)":`).FindAllSubmatch(block[1], -1) {
		documented = append(documented, string(m[1]))
	}

	const secret = "readme-token-decode-secret-0123456789abcdef"
	dir := filepath.Join(t.TempDir(), "data")
	if code, _, errOut := runIn(t, "wonderland\n", "user", "add", "--data", dir, "--name", "Alice", "--email", "alice@example.com", "alice"); code != 0 {
		t.Fatal(errOut)
	}
	srv := startServeEnv(t, env{"AUTH_SECRET": secret}, false, "--addr", "127.0.0.1:0", "--data", dir)
	b := newBrowser(t, srv.origin)
	if res := b.signIn(b.csrfToken(), "alice", "wonderland"); res.status != 302 {
		t.Fatalf("sign-in: %d", res.status)
	}
	var out, errOut bytes.Buffer
	if code := run(t.Context(), []string{"token", "decode", strings.TrimPrefix(b.sessionCookieOf(), "authjs.session-token=")}, strings.NewReader(""), &out, &errOut, env{"AUTH_SECRET": secret}.get); code != 0 {
		t.Fatalf("token decode: %d %s", code, errOut.String())
	}
	var printed []string
	dec := json.NewDecoder(&out)
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		printed = append(printed, k.(string))
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
	}
	if strings.Join(printed, ",") != strings.Join(documented, ",") {
		t.Fatalf("token decode prints %v; the README shows %v", printed, documented)
	}
}

// TestREADMEConfigExample: the configuration file the README shows passes
// config check, with the secrets its comments leave to the environment.
func TestREADMEConfigExample(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	block := regexp.MustCompile("(?s)### Configuration file\n.*?```toml\n(.*?)```").FindSubmatch(readme)
	if block == nil {
		t.Fatal("README.md has no TOML block under Configuration file")
	}
	path := writeConfig(t, string(block[1]))
	e := env{"AUTH_SECRET": testSecret, "AUTH_GITHUB_SECRET": "gh-secret"}
	code, stdout, stderr := runInEnv(t, e, "config", "check", "--config", path, "--data", t.TempDir())
	if code != 0 {
		t.Fatalf("config check of the README's file = %d:\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "session-strategy") || !strings.Contains(stdout, "database") {
		t.Errorf("config check output:\n%s", stdout)
	}
}
