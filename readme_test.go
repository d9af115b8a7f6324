package authgo_test

import (
	"bytes"
	"fmt"
	"go/format"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeGoBlocks compiles every ```go block of README.md, each a whole
// gofmt-formatted file as users copy it, in a module of its own that
// requires this one (replaced by this directory). It needs no network
// (GOPROXY=off; go.sum is this module's), only the module cache that
// building this module's tests filled.
func TestReadmeGoBlocks(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?ms)^```go\n(.*?)^```$").FindAllSubmatch(readme, -1)
	if len(blocks) == 0 {
		t.Fatal("README.md has no ```go block")
	}
	root, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	sum, err := os.ReadFile("go.sum")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	// The blocks' module requires what authgo's own go.mod requires, so
	// that Go loads the same pruned module graph and needs no go.mod file
	// beyond those a build of authgo has fetched (with only authgo
	// required, an older dependency's go.mod pulls in modules the cache of
	// a fresh machine does not hold, and GOPROXY is off).
	gomod, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	first, rest, ok := strings.Cut(string(gomod), "\n")
	if !ok || !strings.HasPrefix(first, "module ") {
		t.Fatalf("go.mod does not start with a module line: %q", first)
	}
	mod := "module readme.example\n" + rest +
		fmt.Sprintf("\nrequire github.com/authgo/authgo v0.0.0\n\nreplace github.com/authgo/authgo => %s\n", root)
	write := func(name string, data []byte) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(dir, "go.mod"), []byte(mod))
	write(filepath.Join(dir, "go.sum"), sum)
	for i, b := range blocks {
		src := b[1]
		if !strings.HasPrefix(string(src), "package ") {
			t.Errorf("README.md's ```go block %d is not a whole file (it must start with a package clause):\n%s", i+1, src)
			continue
		}
		if formatted, err := format.Source(src); err == nil && !bytes.Equal(formatted, src) {
			t.Errorf("README.md's ```go block %d is not gofmt-formatted; it should read:\n%s", i+1, formatted)
		}
		write(filepath.Join(dir, fmt.Sprintf("block%d", i+1), "main.go"), src)
	}
	if t.Failed() {
		return
	}
	cmd := exec.Command("go", "build", "-o", os.DevNull, "./...")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"GOFLAGS="+strings.TrimSpace(os.Getenv("GOFLAGS")+" -mod=mod"),
		"GOPROXY=off", "GOWORK=off", "GOTOOLCHAIN=local")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("README.md's Go blocks (block<N> is the Nth) do not compile: %v\n%s", err, out)
	}
}
