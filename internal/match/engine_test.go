package match

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestToRE2(t *testing.T) {
	tests := []struct {
		src  string
		want string // "" = left to regexp2
	}{
		{`^\/about[\/#\?]?$`, `^\/about[\/#\?]?$`},
		{`^(?:\/(.*))[\/#\?]?$`, `^(?:\/(?:[^\n\r\x{2028}\x{2029}]*))[\/#\?]?$`},
		{`^(?:\/(\d+))$`, `^(?:\/(?:\d+))$`},
		{`^a{2}b{1,}c{1,3}?$`, `^a{2}b{1,}c{1,3}$`},
		{`^a+?b*?c??$`, `^a+b*c?$`},
		{`^[a-z_\-\]]$`, `^[a-z_\-\]]$`},
		{`^[^/]{1,}$`, `^[^/]{1,}$`},
		{`^caf\u00e9$`, ""},  // \u escape
		{`^café$`, `^café$`}, // literal BMP character
		{`^😀$`, ""},          // outside the BMP: JavaScript sees two code units
		{`^(?!api).*$`, ""},  // lookahead
		{`^(?=a)$`, ""},
		{`^(?<=a)b$`, ""},
		{`^(?<n>a)$`, ""}, // named group
		{`^(a)\1$`, ""},   // backreference
		{`^\s$`, ""},      // \s is Unicode in JavaScript, ASCII in RE2
		{`^\p{L}$`, ""},   // identity escape p in JavaScript, a class in RE2
		{`^\a$`, ""},      // identity escape a in JavaScript, BEL in RE2
		{`^[]a]$`, ""},    // empty class in JavaScript, "]" or "a" in RE2
		{`^[^]$`, ""},
		{`^[[:alpha:]]$`, ""},
		{`^[\d-z]$`, ""},
		{`^[a-\d]$`, ""},
		{`^[\b]$`, ""},
		{`^a{$`, ""}, // literal { in JavaScript
		{`^a{,3}$`, ""},
		{`^a}$`, ""},
		{`^a]$`, ""},
		{`^*$`, ""}, // nothing to repeat
		{`^a**$`, ""},
		{`^(?:a|*)$`, ""},
		{`^\b*$`, ""},
		{`^a\`, ""},
	}
	for _, tt := range tests {
		got, ok := toRE2(tt.src)
		if !ok {
			got = ""
		}
		if got != tt.want {
			t.Errorf("toRE2(%s) = %q, %v; want %q", tt.src, got, ok, tt.want)
		}
	}
}

// enginePatterns are patterns whose regexes both engines can run, for the
// differential tests; they cover the constructs toRE2 accepts.
var enginePatterns = []string{
	"/about", "/about/:path", "/about/:path*", "/about/:path+", "/about/:path?", "/about/(.*)", "/about(.*)",
	"/mypage/:path*", "/home/:stadiumId/review/:path*", `/user/:id(\d+)`, "/:locale(en|fr)/dashboard/:path*",
	"/docs{/v:version}?", "/:id", "/", "/foo:bar*", "/café", "/vercel copy.svg", "/:path*", "/auth/:reset-password",
	`/api\:v1/:path*`, `/x/:a([a-c]{2,3})`, `/x/:a(\w+\.\d*)`, `/x/(a|b.c|)`, `/x/:a([^.]+)/(.+)`,
	`/x/:a((?:ab)+?)`, `/x/:a(\W\D[\-\]])`, `/{:a}?/b`, `/{/x:a}+/b`, `/{x}?y`,
}

var enginePaths = []string{
	"/", "//", "/about", "/about/", "/about/a", "/about/a/b", "/aboutus", "/About", "/about.json", "/about.rsc",
	"/about/a.segments/x/y.segment.rsc", "/_next/data/b1/about.json", "/_next/data//about", "/user/123", "/user/12a",
	"/fr/dashboard/x", "/docs/v2", "/docs/v", "/apple", "/apple.json", "/foo/x", "/foox", "/café", "/caf", "/vercel copy.svg",
	"/auth/x-password", "/api:v1/x", "/x/ab", "/x/abcd", "/x/a_1.", "/x/a", "/x/b.c", "/x/bxc", "/x/", "/x/a.b/c",
	"/x/ababab", "/x/!a-", "/x/!a]", "/b", "/x/b", "/x/x/b", "/y", "/xy", "/about/a\u00e9\u4e2d", "/about/#", "/about?",
	"/index", "/index.json", "/_next/data/b1/index.json", "/x/\u00a0", "/about/\t",
}

// TestEnginesAgree runs the same regexes on RE2 and on regexp2 and requires
// the same answers: the translation of "." and the subset toRE2 accepts do
// not change the meaning.
func TestEnginesAgree(t *testing.T) {
	for _, p := range enginePatterns {
		re2m, err := Compile(p)
		if err != nil {
			t.Fatalf("%q: %v", p, err)
		}
		if re2m.variants[0].eng.re2 == nil {
			t.Errorf("%q: expected the RE2 engine for %s", p, re2m.variants[0].source)
		}
		btm, err := Options{forceBacktrack: true, MatchTimeout: testTimeout}.Compile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range enginePaths {
			a, _ := re2m.variants[0].eng.match(path)
			b, err := btm.variants[0].eng.match(path)
			if err != nil {
				t.Fatal(err)
			}
			if a != b {
				t.Errorf("%q on %q: RE2 %v, regexp2 %v (%s)", p, path, a, b, re2m.variants[0].source)
			}
		}
	}
}

// FuzzEngines is the differential test with fuzzed patterns and paths.
func FuzzEngines(f *testing.F) {
	for i, p := range enginePatterns {
		f.Add(p, enginePaths[i%len(enginePaths)])
	}
	f.Fuzz(func(t *testing.T, pattern, path string) {
		if len(pattern) > 200 || len(path) > 200 || !utf8.ValidString(path) ||
			strings.ContainsAny(path, "\n\r\u2028\u2029") {
			return // Match refuses line terminators before any regex runs
		}
		a, err := Compile(pattern)
		if err != nil {
			return
		}
		b, err := Options{forceBacktrack: true, MatchTimeout: time.Second}.Compile(pattern)
		if err != nil {
			t.Fatalf("regexp2-only compile failed where the default did not: %v", err)
		}
		for i := range a.variants {
			if a.variants[i].eng.re2 == nil {
				continue
			}
			x, _ := a.variants[i].eng.match(path)
			y, err := b.variants[i].eng.match(path)
			if err != nil {
				continue
			}
			if x != y {
				t.Errorf("%q on %q: RE2 %v, regexp2 %v (%s)", pattern, path, x, y, a.variants[i].source)
			}
		}
	})
}
