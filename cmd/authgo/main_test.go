package main

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/authgo/authgo/internal/match"
)

// TestMain lets testscript run this test binary as the authgo command.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"authgo": main})
}

// TestScripts runs testdata/script/*.txtar.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{Dir: "testdata/script"})
}

// env is a fake environment.
type env map[string]string

func (e env) get(k string) string { return e[k] }

// TestExitCodes checks the exit status of run, in process.
func TestExitCodes(t *testing.T) {
	const secret = "exit-code-test-secret-0123456789abcdef0123"
	tests := []struct {
		name   string
		args   []string
		env    env
		stdin  string
		want   int
		stderr string
	}{
		{"no args", nil, nil, "", 2, "Usage:"},
		{"help", []string{"help"}, nil, "", 0, "Usage:"},
		{"unknown", []string{"nope"}, nil, "", 2, `unknown command "nope"`},
		{"secret", []string{"secret"}, nil, "", 0, ""},
		{"secret -h", []string{"secret", "-h"}, nil, "", 0, "Usage: authgo secret"},
		{"bad flag", []string{"secret", "--bad"}, nil, "", 2, "not defined"},
		{"encode without secret", []string{"token", "encode"}, nil, "{}", 2, "no secret"},
		{"encode bad json", []string{"token", "encode", "--secret", secret}, nil, "{", 1, "not valid JSON"},
		{"encode not object", []string{"token", "encode", "--secret", secret}, nil, `"x"`, 1, "not a string"},
		{"encode", []string{"token", "encode"}, env{"AUTH_SECRET": secret}, `{"sub":"u"}`, 0, ""},
		{"decode garbage", []string{"token", "decode", "--secret", secret, "a.b.c.d.e"}, nil, "", 1, "malformed token"},
		{"serve without secret", []string{"serve", "--data", t.TempDir()}, nil, "", 2, "export AUTH_SECRET=$(authgo secret)"},
		{"serve bad trust host", []string{"serve"}, env{"AUTH_SECRET": secret, "AUTH_TRUST_HOST": "maybe"}, "", 2, "AUTH_TRUST_HOST"},
		{"serve trust host without proxies", []string{"serve", "--data", t.TempDir()}, env{"AUTH_SECRET": secret, "AUTH_TRUST_HOST": "true"}, "", 2, "needs --trusted-proxy CIDR (AUTH_TRUSTED_PROXIES), the proxies whose X-Forwarded-Host and X-Forwarded-Proto are believed; 0.0.0.0/0 and ::/0 trust every peer"},
		{"serve bad trusted proxy", []string{"serve", "--trusted-proxy", "10.0.0.0/33"}, env{"AUTH_SECRET": secret}, "", 2, "not an address range"},
		{"serve bad trusted proxies variable", []string{"serve"}, env{"AUTH_SECRET": secret, "AUTH_TRUSTED_PROXIES": "10.0.0.0/8,nope"}, "", 2, "AUTH_TRUSTED_PROXIES"},
		{"serve bad public pattern", []string{"serve", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--public", "/api/*"}, env{"AUTH_SECRET": secret}, "", 2, `--public: `},
		{"serve bad allow domain", []string{"serve", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--allow-email-domain", "a@b.example"}, env{"AUTH_SECRET": secret}, "", 2, "--allow-email-domain"},
		{"serve bad upstream", []string{"serve", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--upstream", "http://app/base"}, env{"AUTH_SECRET": secret}, "", 2, "--upstream"},
		{"serve bad cookie domain", []string{"serve", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--cookie-domain", "other.example"}, env{"AUTH_SECRET": secret}, "", 2, "--cookie-domain other.example"},
		{"serve all interfaces", []string{"serve", "--addr", ":0"}, env{"AUTH_SECRET": secret}, "", 2, "AUTH_URL"},
		{"serve bad pattern", []string{"serve", "--protect", "/api/*"}, env{"AUTH_SECRET": secret}, "", 2, `"/api/*"`},
		{"user add no name", []string{"user", "add"}, nil, "pw\n", 2, "takes one USERNAME"},
		{"user add", []string{"user", "add", "--data", t.TempDir(), "alice"}, nil, "pw\n", 0, `added user "alice"`},
		{"user add empty password", []string{"user", "add", "--data", t.TempDir(), "alice"}, nil, "\n", 1, "empty password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			got := run(t.Context(), tt.args, strings.NewReader(tt.stdin), &stdout, &stderr, tt.env.get)
			if got != tt.want {
				t.Errorf("run(%q) = %d, want %d; stderr:\n%s", tt.args, got, tt.want, stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("stderr = %q, want it to contain %q", stderr.String(), tt.stderr)
			}
		})
	}
}

// TestProtectPatterns: --protect takes the full Next.js matcher syntax and
// names a bad pattern before anything starts.
func TestProtectPatterns(t *testing.T) {
	for _, p := range []string{"/admin", "/mypage/:path*", "/home/:stadiumId/review/:path*", "/user/:id(\\d+)", "/settings/:path+"} {
		if _, err := match.Compile(p); err != nil {
			t.Errorf("%q refused: %v", p, err)
		}
	}
	var stderr strings.Builder
	code := run(t.Context(), []string{"serve", "--protect", "/api/*"}, strings.NewReader(""), io.Discard, &stderr,
		func(k string) string { return map[string]string{"AUTH_SECRET": strings.Repeat("s", 40)}[k] })
	if code != exitUsage || !strings.Contains(stderr.String(), "--protect") || !strings.Contains(stderr.String(), "/api/*") {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
}
