package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

func runVersion(_ context.Context, c *cli, args []string) int {
	fs := newFlagSet(c, "version", "version", `
Print the module version of this authgo build, its VCS revision and
time when the build recorded them ("unknown" when it did not, as with
-buildvcs=false or go run), and the Go version.`)
	if code, ok := parseNoArgs(c, fs, args); !ok {
		return code
	}
	fmt.Fprintln(c.stdout, versionText(debug.ReadBuildInfo()))
	return exitOK
}

// versionText describes a build: "authgo v1.2.3 (revision 0123abcd…,
// 2026-12-07T10:00:00Z, modified) go1.26.8".
func versionText(bi *debug.BuildInfo, ok bool) string {
	version, revision, when, modified := "unknown", "unknown", "", false
	goVersion := runtime.Version()
	if ok && bi != nil {
		if v := bi.Main.Version; v != "" {
			version = v // "(devel)" for a build inside the module
		}
		goVersion = bi.GoVersion
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	out := "authgo " + version + " (revision " + revision
	if when != "" {
		out += ", " + when
	}
	if modified {
		out += ", modified"
	}
	return out + ") " + goVersion
}
