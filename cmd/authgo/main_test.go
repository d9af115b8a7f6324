package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
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
		{"serve all interfaces", []string{"serve", "--addr", ":0"}, env{"AUTH_SECRET": secret}, "", 2, "AUTH_URL"},
		{"serve bad pattern", []string{"serve", "--protect", "/a/:p+"}, env{"AUTH_SECRET": secret}, "", 2, `--protect "/a/:p+"`},
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

func TestCompileMatcher(t *testing.T) {
	tests := []struct {
		pattern string
		ok      bool
		match   []string
		noMatch []string
	}{
		{"/mypage", true, []string{"/mypage"}, []string{"/", "/mypage/x", "/mypagex", "/MyPage"}},
		{"/mypage/:path*", true, []string{"/mypage", "/mypage/x", "/mypage/x/y"}, []string{"/", "/mypagex", "/other/mypage", "/Mypage/x"}},
		{"/a/b/:rest*", true, []string{"/a/b", "/a/b/c"}, []string{"/a", "/a/bc"}},
		{"/:path*", true, []string{"/", "/x", "/x/y"}, nil},
		{"/", true, []string{"/"}, []string{"/x"}},
		{"/a-b_c.d~e@f", true, []string{"/a-b_c.d~e@f"}, nil},
		{"mypage", false, nil, nil},
		{"", false, nil, nil},
		{"/mypage/", false, nil, nil},
		{"//mypage", false, nil, nil},
		{"/a/../b", false, nil, nil},
		{"/a/./b/:path*", false, nil, nil},
		{"/mypage/:path+", false, nil, nil},
		{"/mypage/:path", false, nil, nil},
		{"/mypage/:*", false, nil, nil},
		{"/mypage/:1x*", false, nil, nil},
		{"/mypage/(.*)", false, nil, nil},
		{"/a/:id/b", false, nil, nil},
		{"/a*", false, nil, nil},
		{"/a?", false, nil, nil},
		{"/a%2Fb", false, nil, nil},
		{`/a\b`, false, nil, nil},
		{"/a b", false, nil, nil},
		{"/{a}", false, nil, nil},
	}
	for _, tt := range tests {
		m, err := compileMatcher(tt.pattern)
		if (err == nil) != tt.ok {
			t.Errorf("compileMatcher(%q) error = %v, want ok %v", tt.pattern, err, tt.ok)
			continue
		}
		if err != nil {
			if !strings.Contains(err.Error(), "--protect") {
				t.Errorf("compileMatcher(%q) error %q does not name the flag", tt.pattern, err)
			}
			continue
		}
		for _, p := range tt.match {
			if !m.match(p) {
				t.Errorf("%q does not match %q", tt.pattern, p)
			}
		}
		for _, p := range tt.noMatch {
			if m.match(p) {
				t.Errorf("%q matches %q", tt.pattern, p)
			}
		}
	}
}
