package match

import (
	"net/url"
	"path"
	"strings"
	"testing"
	"time"
)

// FuzzCompile: any pattern either fails with a *PatternError or compiles to
// a Matcher that answers for any path; nothing panics and a match stays
// within the timeout.
func FuzzCompile(f *testing.F) {
	v := loadVectors(f)
	for _, r := range v.Match {
		f.Add(r.Pattern, r.Path)
	}
	for _, p := range []string{"/:", "/(abc", "/((abc))", "/(?abc)", "/:a:b", "/()", `/a\`, "/{a", "/a}", "/(a**)", "/((a+)+)$", "/((?:a|a)*b)"} {
		f.Add(p, "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaac")
	}
	f.Fuzz(func(t *testing.T, pattern, p string) {
		if len(pattern) > 1024 || len(p) > 1024 {
			return
		}
		start := time.Now()
		m, err := Options{MatchTimeout: 20 * time.Millisecond}.Compile(pattern)
		if err != nil {
			if _, ok := err.(*PatternError); !ok {
				t.Fatalf("Compile(%q) error %T: %v", pattern, err, err)
			}
			return
		}
		for _, path := range []string{p, "/" + p, "/", "/a/b", "/_next/data/x/a.json"} {
			if d := m.MatchPath(path); d != NoMatch && d != Match && d != Reject {
				t.Fatalf("MatchPath(%q) = %v", path, d)
			}
			// The literal pre-check never hides a match of the regex.
			for i := range m.variants {
				v := &m.variants[i]
				if ok, err := v.eng.match(path); err == nil && ok && !v.match(path, true) {
					t.Fatalf("pre-check (%q, %q) hides a match of %s on %q", v.lead, v.lead2, v.source, path)
				}
			}
		}
		// Compile is bounded by the pattern size; each match by the
		// timeout (generously, for a loaded machine under -race).
		if el := time.Since(start); el > 5*time.Second {
			t.Fatalf("Compile and 5 matches of %q took %v", pattern, el)
		}
	})
}

// fuzzPatterns are the patterns FuzzMatch checks its property on: the
// typical set, an exclusion list (regexp2), custom regexes and Next's
// special root.
var fuzzPatterns = []string{
	"/mypage/:path*", "/home/:stadiumId/review/:path*", "/settings/:path*", "/",
	"/((?!api/|api$|_next/static|_next/image|favicon\\.ico$).*)", `/user/:id(\d+)`, "/files/:name.:ext",
	"/about/(.*)", "/caf\u00e9/:p?",
}

// referenceClean is the test's own normalisation, written independently of
// cleanPath: decode once, then path.Clean, keeping a trailing slash the way
// RFC 3986 §5.2.4 does.
func referenceClean(p string) (string, bool) {
	d, err := url.PathUnescape(p)
	if err != nil || !strings.HasPrefix(d, "/") {
		return "", false
	}
	c := path.Clean(d)
	if c != "/" && (strings.HasSuffix(d, "/") || strings.HasSuffix(d, "/.") || strings.HasSuffix(d, "/..")) {
		c += "/"
	}
	return c, true
}

// FuzzMatch checks the property: when the normalised path matches,
// the path as sent gives Match or Reject, never NoMatch. It also checks that
// nothing panics and that Match on a request agrees with MatchPath.
func FuzzMatch(f *testing.F) {
	m, err := Options{MatchTimeout: time.Second}.Compile(fuzzPatterns...)
	if err != nil {
		f.Fatal(err)
	}
	v := loadVectors(f)
	for _, r := range v.Match {
		f.Add(r.Path)
	}
	for _, p := range bypassTargets {
		f.Add(p)
	}
	for _, p := range rootTargets {
		p, _, _ = strings.Cut(p, "?")
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, p string) {
		got := m.MatchPath(p)
		if got != NoMatch && got != Match && got != Reject {
			t.Fatalf("MatchPath(%q) = %v", p, got)
		}
		c, ok := referenceClean(p)
		if !ok {
			return
		}
		ce := (&url.URL{Path: c}).EscapedPath()
		if m.MatchPath(ce) == Match && got == NoMatch {
			t.Errorf("MatchPath(%q) = NoMatch, but its normal form %q matches", p, ce)
		}
		// A clean, unescaped path that is accepted is matched exactly as
		// the regexes say.
		if got != Reject && p == c && !strings.Contains(p, "%") && m.matchAny(p) != (got == Match) {
			t.Errorf("MatchPath(%q) = %v, regexes say %v", p, got, m.matchAny(p))
		}
	})
}
