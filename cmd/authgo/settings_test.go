package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the generated parts of README.md")

// TestSettingsAgree: the settings table, the environment serve reads, its
// flags, its help and the README's configuration table say the same.
func TestSettingsAgree(t *testing.T) {
	// Every variable serve reads, recorded during a real start.
	var mu sync.Mutex
	read := map[string]bool{}
	getenv := func(k string) string {
		mu.Lock()
		read[k] = true
		mu.Unlock()
		return map[string]string{"AUTH_SECRET": strings.Repeat("s", 40)}[k]
	}
	var stderr bytes.Buffer
	done := make(chan int)
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--data", t.TempDir()}, strings.NewReader(""), pw, &stderr, getenv)
		pw.Close()
	}()
	line, _ := bufioLine(pr)
	if !strings.HasPrefix(line, "authgo is running") {
		t.Fatalf("serve did not start: %q\n%s", line, stderr.String())
	}
	cancel()
	go io.Copy(io.Discard, pr)
	if code := <-done; code != 0 {
		t.Fatalf("serve exited %d: %s", code, stderr.String())
	}
	var table []string
	for _, s := range serveSettings {
		table = append(table, s.env...)
	}
	var got []string
	for k := range read {
		got = append(got, k)
	}
	slices.Sort(got)
	slices.Sort(table)
	if !slices.Equal(got, table) {
		t.Errorf("serve reads %v\nthe table lists %v", got, table)
	}

	// Every flag is in the table, the usage line and the help.
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var o serveOptions
	registerSettings(fs, &o)
	var help bytes.Buffer
	if code := run(t.Context(), []string{"serve", "--help"}, strings.NewReader(""), io.Discard, &help, getenv); code != 0 {
		t.Fatalf("serve --help exited %d", code)
	}
	usageLine, _, _ := strings.Cut(help.String(), "\n")
	fs.VisitAll(func(f *flag.Flag) {
		if !strings.Contains(usageLine, "[--"+f.Name+" ") && !strings.Contains(usageLine, "[--"+f.Name+"]") {
			t.Errorf("--%s is not in the usage line %q", f.Name, usageLine)
		}
		if !strings.Contains(help.String(), "\n  --"+f.Name) {
			t.Errorf("--%s is not described in serve --help", f.Name)
		}
	})
	for _, name := range table {
		if !strings.Contains(help.String(), name) {
			t.Errorf("%s is not in serve --help", name)
		}
	}

	// The README's tables are generated from the tables in the code.
	checkGenerated(t, "serve-settings", settingsMarkdown())
	checkGenerated(t, "commands", commandsMarkdown())
}

// TestHelpListsEveryCommand: authgo --help lists every command, and each
// command answers -h with its own usage.
func TestHelpListsEveryCommand(t *testing.T) {
	var top bytes.Buffer
	if code := run(t.Context(), []string{"--help"}, strings.NewReader(""), io.Discard, &top, env{}.get); code != 0 {
		t.Fatalf("--help exited %d", code)
	}
	for _, cmd := range commands {
		if !strings.Contains(top.String(), "\t"+cmd.name) {
			t.Errorf("authgo --help does not list %q:\n%s", cmd.name, top.String())
		}
		if cmd.run == nil {
			continue
		}
		var out bytes.Buffer
		args := append(strings.Fields(cmd.name), "-h")
		if code := run(t.Context(), args, strings.NewReader(""), io.Discard, &out, env{}.get); code != 0 || !strings.HasPrefix(out.String(), "Usage: authgo "+cmd.name) {
			t.Errorf("authgo %s -h = %d:\n%s", cmd.name, code, out.String())
		}
		out.Reset()
		if code := run(t.Context(), append([]string{"help"}, strings.Fields(cmd.name)...), strings.NewReader(""), io.Discard, &out, env{}.get); code != 0 || !strings.HasPrefix(out.String(), "Usage: authgo "+cmd.name) {
			t.Errorf("authgo help %s = %d:\n%s", cmd.name, code, out.String())
		}
	}
	for _, group := range []string{"user", "token"} {
		var out bytes.Buffer
		if code := run(t.Context(), []string{group, "--help"}, strings.NewReader(""), io.Discard, &out, env{}.get); code != 0 {
			t.Errorf("%s --help exited %d", group, code)
		}
		for _, cmd := range commands {
			if strings.HasPrefix(cmd.name, group+" ") && !strings.Contains(out.String(), cmd.name) {
				t.Errorf("authgo %s --help does not list %q", group, cmd.name)
			}
		}
	}
}

// checkGenerated compares the README between <!-- name:begin --> and
// <!-- name:end --> with want; with -update it rewrites it.
func checkGenerated(t *testing.T, name, want string) {
	t.Helper()
	path := filepath.Join("..", "..", "README.md")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	begin, end := "<!-- "+name+":begin -->\n", "<!-- "+name+":end -->"
	s := string(b)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatalf("README.md has no %q … %q section", begin, end)
	}
	got := s[i+len(begin) : j]
	want = strings.TrimLeft(want, "\n")
	if got == want {
		return
	}
	if *update {
		if err := os.WriteFile(path, []byte(s[:i+len(begin)]+want+s[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md's %s section is out of date: run go test ./cmd/authgo -run TestSettingsAgree -update\n--- README\n%s\n--- code\n%s", name, got, want)
}

// bufioLine reads one line from r.
func bufioLine(r io.Reader) (string, error) {
	return bufio.NewReader(r).ReadString('\n')
}
