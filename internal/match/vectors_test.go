package match

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/authgo/authgo/internal/urlx"
)

// vectors is testdata/matcher-next.json, produced by running the real Next.js
// code (see shared/spec/matcher.md §5, §6).
type vectors struct {
	Match []struct {
		Pattern string `json:"pattern"`
		Path    string `json:"path"`
		Config  struct {
			BasePath string `json:"basePath"`
			I18n     *struct {
				Locales []string `json:"locales"`
			} `json:"i18n"`
		} `json:"config"`
		Next16   string `json:"next16"`
		Next14   string `json:"next14"`
		Regexp16 string `json:"regexp16"`
		Note     string `json:"note"`
	} `json:"match"`
	HasMissing []struct {
		Source string `json:"source"`
		Path   string `json:"path"`
		Runs   bool   `json:"runs"`
	} `json:"has_missing"`
	Validation []struct {
		Input  string `json:"input"`
		Next16 string `json:"next16"`
	} `json:"validation"`
}

func loadVectors(t testing.TB) *vectors {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "matcher-next.json"))
	if err != nil {
		t.Fatal(err)
	}
	var v vectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Match) != 97 || len(v.HasMissing) != 14 || len(v.Validation) != 18 {
		t.Fatalf("vector file has %d/%d/%d rows, want 97/14/18", len(v.Match), len(v.HasMissing), len(v.Validation))
	}
	return &v
}

// testTimeout replaces DefaultMatchTimeout where a test expects NoMatch from
// a regexp2 pattern: a timed-out match counts as a match, and a loaded
// machine running -race can stall a goroutine for longer than 10 ms.
const testTimeout = time.Minute

// jsDecodeURIComponent is JavaScript's decodeURIComponent: every %XX is
// decoded, and a malformed escape or invalid UTF-8 throws (ok false).
func jsDecodeURIComponent(s string) (string, bool) {
	var b []byte
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b = append(b, s[i])
			continue
		}
		c, ok := urlx.UnescapeAt(s, i)
		if !ok {
			return "", false
		}
		b = append(b, c)
		i += 2
	}
	if !utf8.Valid(b) {
		return "", false
	}
	return string(b), true
}

// TestVectorsCompiler checks the port of the compiler: the regex source
// equals Next 16's byte for byte, and Next's runtime rule (test the pathname,
// then its decodeURIComponent form) on that one regex gives Next 16's answer
// for all 97 rows, on both engines.
func TestVectorsCompiler(t *testing.T) {
	v := loadVectors(t)
	for _, backtrack := range []bool{false, true} {
		for i, r := range v.Match {
			name := fmt.Sprintf("row%02d/backtrack=%v", i+1, backtrack)
			t.Run(name, func(t *testing.T) {
				o := Options{BasePath: r.Config.BasePath, I18n: r.Config.I18n != nil, MatchTimeout: testTimeout}
				o.forceBacktrack = backtrack
				m, err := o.Compile(r.Pattern)
				if err != nil {
					t.Fatal(err)
				}
				v0 := &m.variants[0]
				if v0.source != r.Regexp16 {
					t.Errorf("regex source\n got %s\nwant %s", v0.source, r.Regexp16)
				}
				if !backtrack && (v0.eng.re2 == nil) != needsBacktracking(r.Regexp16) {
					t.Errorf("engine: re2=%v for %s", v0.eng.re2 != nil, r.Regexp16)
				}
				got := "no"
				if v0.match(r.Path, true) {
					got = "raw"
				} else if d, ok := jsDecodeURIComponent(r.Path); ok && v0.match(d, true) {
					got = "decoded"
				}
				if got != r.Next16 {
					t.Errorf("%q on %q: got %s, Next 16 says %s (%s)", r.Pattern, r.Path, got, r.Next16, r.Note)
				}
			})
		}
	}
}

// needsBacktracking is the test's own view of which regexes RE2 cannot run:
// those with lookaround (spec/matcher.md §2.8: 21 of the 97 rows).
func needsBacktracking(src string) bool {
	return strings.Contains(src, "(?!") || strings.Contains(src, "(?=")
}

// matchOverride is where authgo's Match deliberately differs from "does
// Next's middleware run for this pathname", and why.
type matchOverride struct {
	want Decision
	why  string
}

var defaultOverrides = map[int]matchOverride{
	30: {Match, "cleaned to /mypage/a; Next 308-redirects // first, chi routes /mypage//a to the protected handler"},
	34: {Reject, "%2F is refused by default (§4.5): ServeMux routes on it as text, r.URL.Path shows a slash"},
	35: {Reject, "%2F is refused by default"},
	36: {Reject, "a dot-segment spelled %2e%2e is refused: Next resolves it, ServeMux and chi do not"},
	37: {Reject, "';' is refused by default: Java upstreams strip ;params"},
	38: {Reject, "%3B decodes to ';', refused by default"},
	39: {Reject, "a '#' inside the path: Next never sees it, Go keeps it in r.URL.Path"},
	46: {Reject, "%2F is refused by default"},
	79: {Match, "// cleans to /, which the root pattern matches; Next 308-redirects // to / and then runs the middleware"},
	92: {Reject, "%0D decodes to a control character"},
	93: {Reject, "invalid UTF-8 once decoded"},
	97: {Match, "I18n: Next inserts the default locale before matching, so /mypage/a reaches Next's middleware as /en/mypage/a; a Go server sees it without the locale, so authgo matches both"},
}

// With AllowEncodedSlash and AllowSemicolon, these rows follow Next again.
var allowOverrides = map[int]matchOverride{
	34: {Match, "decoded form /mypage/a matches"},
	35: {Match, "raw form matches"},
	37: {NoMatch, "';' is text, as in Next"},
	38: {NoMatch, "';' is text, as in Next"},
	46: {Match, "raw form matches, as in Next"},
}

// TestVectorsMatch runs every row through MatchPath and through Match on a
// request built from the raw target, with the 15.5.16+/16.x expectation
// ("raw"/"decoded" = Match, "no" = NoMatch) except where a row is listed in
// defaultOverrides.
func TestVectorsMatch(t *testing.T) {
	v := loadVectors(t)
	for _, allow := range []bool{false, true} {
		for i, r := range v.Match {
			row := i + 1
			t.Run(fmt.Sprintf("row%02d/allow=%v", row, allow), func(t *testing.T) {
				o := Options{BasePath: r.Config.BasePath, I18n: r.Config.I18n != nil, MatchTimeout: testTimeout}
				o.AllowEncodedSlash, o.AllowSemicolon = allow, allow
				m, err := o.Compile(r.Pattern)
				if err != nil {
					t.Fatal(err)
				}
				want, why := Match, "Next 16: "+r.Next16
				if r.Next16 == "no" {
					want = NoMatch
				}
				if ov, ok := defaultOverrides[row]; ok {
					want, why = ov.want, ov.why
				}
				if ov, ok := allowOverrides[row]; ok && allow {
					want, why = ov.want, ov.why
				}
				if got := m.MatchPath(r.Path); got != want {
					t.Errorf("MatchPath(%q) with %q = %v, want %v (%s)", r.Path, r.Pattern, got, want, why)
				}
				req := httptest.NewRequest("GET", r.Path, nil)
				if got := m.Match(req); got != want {
					t.Errorf("Match(GET %s) with %q = %v, want %v (%s)", r.Path, r.Pattern, got, want, why)
				}
			})
		}
	}
}

// TestVectorsHasMissing: authgo has no has/missing conditions (§4.3: the
// client controls headers, cookies, query and Host, so they must never
// switch protection off). Every row's path is therefore matched whatever the
// condition says, including the rows where Next would skip its middleware.
func TestVectorsHasMissing(t *testing.T) {
	v := loadVectors(t)
	for i, r := range v.HasMissing {
		t.Run(fmt.Sprintf("H%d", i+1), func(t *testing.T) {
			m, err := Compile(r.Source)
			if err != nil {
				t.Fatal(err)
			}
			if got := m.MatchPath(r.Path); got != Match {
				t.Errorf("%q on %q = %v, want Match (Next runs=%v)", r.Source, r.Path, got, r.Runs)
			}
		})
	}
}
