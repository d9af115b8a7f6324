package match

import (
	"net/http/httptest"
	"testing"
)

var benchPatterns = []string{"/mypage/:path*", "/home/:stadiumId/review/:path*", "/settings/:path*"}

var benchPaths = []struct {
	name, path string
	want       Decision
}{
	{"match", "/mypage/a/b", Match},
	{"match-deep", "/home/42/review/7/edit", Match},
	{"match-last", "/settings/profile", Match},
	{"nomatch", "/dashboard/stats", NoMatch},
	{"nomatch-prefix", "/mypagex/a", NoMatch},       // passes the literal pre-check, the regex says no
	{"match-escaped", "/%6Dypage/a", Match},         // decodes: allocates
	{"match-unclean", "/public/../mypage/a", Match}, // cleans: allocates
	{"reject", "/mypage%2Fa", Reject},
}

// BenchmarkMatchPath measures MatchPath for the typical three patterns, on
// RE2 (what these patterns use) and forced onto regexp2 (what a pattern with
// lookahead uses).
func BenchmarkMatchPath(b *testing.B) {
	for _, engine := range []struct {
		name string
		opts Options
	}{{"re2", Options{}}, {"regexp2", Options{forceBacktrack: true}}} {
		m, err := engine.opts.Compile(benchPatterns...)
		if err != nil {
			b.Fatal(err)
		}
		for _, p := range benchPaths {
			b.Run(engine.name+"/"+p.name, func(b *testing.B) {
				if got := m.MatchPath(p.path); got != p.want {
					b.Fatalf("MatchPath(%q) = %v, want %v", p.path, got, p.want)
				}
				b.ReportAllocs()
				for b.Loop() {
					m.MatchPath(p.path)
				}
			})
		}
	}
}

// BenchmarkMatchRequest measures Match on a server-side request, which adds
// r.URL.EscapedPath().
func BenchmarkMatchRequest(b *testing.B) {
	m, err := Compile(benchPatterns...)
	if err != nil {
		b.Fatal(err)
	}
	for _, p := range benchPaths[:5] {
		r := httptest.NewRequest("GET", p.path, nil)
		b.Run(p.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				m.Match(r)
			}
		})
	}
}

// BenchmarkExclusion is the common "protect everything but" matcher, which
// needs lookahead and so runs on regexp2.
func BenchmarkExclusion(b *testing.B) {
	m, err := Compile("/((?!api|_next/static|_next/image|favicon.ico).*)")
	if err != nil {
		b.Fatal(err)
	}
	for _, p := range []string{"/dashboard/stats", "/api/users"} {
		b.Run(p, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				m.MatchPath(p)
			}
		})
	}
}

func BenchmarkCompile(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(benchPatterns...); err != nil {
			b.Fatal(err)
		}
	}
}
