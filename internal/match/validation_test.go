package match

import (
	"errors"
	"strings"
	"testing"
)

// validationCases maps each row of the vector file's validation table
// (spec/matcher.md §3.3) to Go input. Rows about the JavaScript object form
// of config.matcher have no Go counterpart: Compile takes strings, so an
// unknown key, a RegExp object or a locale/has/missing object cannot be
// written at all. Those rows carry skip, the reason.
var validationCases = map[string]struct {
	patterns []string
	skip     string
}{
	"string, no leading slash":               {patterns: []string{"about"}},
	"docs object example source \"/api/*\"":  {patterns: []string{"/api/*"}},
	"object with regexp key (docs list it)":  {skip: "Go has no object form: Compile takes strings, so an unknown key such as regexp cannot be passed"},
	"object with locale:false + has/missing": {skip: "no object form; has/missing are left out on purpose (§4.3, see TestVectorsHasMissing) and locale is the Options.I18n switch"},
	"locale: true":                           {skip: "no per-pattern locale field exists in Go to set to true"},
	"has header without key":                 {skip: "has/missing are left out on purpose (§4.3)"},
	"missing name after colon":               {patterns: []string{"/:"}},
	"unbalanced group":                       {patterns: []string{"/(abc"}},
	"capturing group inside pattern":         {patterns: []string{"/((abc))"}},
	"pattern starting with ?":                {patterns: []string{"/(?abc)"}},
	"adjacent params":                        {patterns: []string{"/:a:b"}},
	"empty pattern":                          {patterns: []string{"/()"}},
	"non-capturing group inside pattern ok":  {patterns: []string{"/((?:a|b)c)"}},
	"lookahead ok":                           {patterns: []string{"/((?!api|_next/static|_next/image|favicon.ico).*)"}},
	"4097 chars":                             {patterns: []string{"/" + strings.Repeat("a", 4096)}},
	"RegExp object":                          {skip: "Compile takes strings; the type system refuses a *regexp.Regexp"},
	"repeat without prefix":                  {patterns: []string{"/foo:bar*"}},
	"mixed array ok":                         {patterns: []string{"/a/:p*", "/b"}}, // ['/a/:p*', {source:'/b'}]
}

func TestValidationVectors(t *testing.T) {
	v := loadVectors(t)
	var notApplicable []string
	for _, row := range v.Validation {
		c, ok := validationCases[row.Input]
		if !ok {
			t.Fatalf("no Go case for validation row %q", row.Input)
		}
		if c.skip != "" {
			// Rows about Next's JavaScript object form, which a Go []string
			// cannot express; they are no tests here, and the list of them
			// is checked below so that a new row cannot hide among them.
			notApplicable = append(notApplicable, row.Input)
			t.Logf("row %q does not apply: %s", row.Input, c.skip)
			continue
		}
		t.Run(row.Input, func(t *testing.T) {
			_, err := Compile(c.patterns...)
			if row.Next16 == "accepted" {
				if err != nil {
					t.Fatalf("Compile(%q): %v, Next accepts it", c.patterns, err)
				}
				return
			}
			want := strings.TrimPrefix(row.Next16, "REJECTED: ")
			// Next's Zod message repeats the source; PatternError keeps it
			// in Pattern and the rest in Reason.
			want = strings.TrimPrefix(want, "Invalid source '"+c.patterns[0]+"': ")
			var pe *PatternError
			if !errors.As(err, &pe) {
				t.Fatalf("Compile(%q) = %v, want a *PatternError (%s)", c.patterns, err, row.Next16)
			}
			if pe.Pattern != c.patterns[0] || pe.Reason != want {
				t.Errorf("got Pattern %q Reason %q\nwant Pattern %q Reason %q", pe.Pattern, pe.Reason, c.patterns[0], want)
			}
			if !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "match: invalid pattern ") {
				t.Errorf("Error() = %q", err)
			}
		})
	}
	if len(notApplicable) != 5 {
		t.Fatalf("%d rows do not apply (%q); the documented five are the JavaScript object forms", len(notApplicable), notApplicable)
	}
}

// TestValidationExtra covers what the vector table does not: the exact
// length limit, Go-only input, regex syntax, basePath, the pattern named
// among several.
func TestValidationExtra(t *testing.T) {
	tests := []struct {
		name     string
		opts     Options
		patterns []string
		reason   string // "" = accepted
	}{
		{"user part of 4019 is the most Next accepts", Options{}, []string{"/" + strings.Repeat("a", 4018)}, ""},
		{"4020 exceeds the wrapped limit", Options{}, []string{"/" + strings.Repeat("a", 4019)}, msgTooLong},
		{"limit counts UTF-16 units", Options{}, []string{"/" + strings.Repeat("é", 4018)}, ""},
		{"limit counts UTF-16 units, non-BMP", Options{}, []string{"/" + strings.Repeat("😀", 2010)}, msgTooLong},
		{"basePath counts", Options{BasePath: "/docs"}, []string{"/" + strings.Repeat("a", 4018)}, msgTooLong},
		{"NoNextForms keeps Next's limit", Options{NoNextForms: true}, []string{"/" + strings.Repeat("a", 4019)}, msgTooLong},
		{"invalid UTF-8", Options{}, []string{"/caf\xe9"}, "pattern is not valid UTF-8"},
		{"empty", Options{}, []string{""}, msgLeadingSlash},
		{"stray close brace", Options{}, []string{"/a}"}, "Unexpected CLOSE at 2, expected END"},
		{"missing close brace", Options{}, []string{"/{a"}, "Unexpected END at 3, expected CLOSE"},
		{"brace group with two names", Options{}, []string{"/{:a:b}"}, "Unexpected NAME at 4, expected CLOSE"},
		{"error offsets are UTF-16", Options{}, []string{"/😀/*"}, "Unexpected MODIFIER at 4, expected END"},
		{"adjacent after a group", Options{}, []string{"/(a):b"}, `Must have text between two parameters, missing text after "0"`},
		{"bad regex", Options{}, []string{"/([)"}, "invalid regular expression: "},
		{"bad quantifier", Options{}, []string{"/(a**)"}, "invalid regular expression: "},
		{"second pattern named", Options{}, []string{"/ok/:p*", "/bad/*"}, "Unexpected MODIFIER at 5, expected END"},
		{"trailing backslash breaks Next's wrapping", Options{}, []string{`/a\`}, "Unexpected CLOSE"},
		{"trailing backslash is fine unwrapped", Options{NoNextForms: true, BasePath: ""}, []string{`/a\`}, "Unexpected CLOSE"},
		{"basePath must start with /", Options{BasePath: "docs"}, []string{"/a"}, msgBasePathSlash},
		{"basePath must not end with /", Options{BasePath: "/docs/"}, []string{"/a"}, msgBasePathEnd},
		{"no patterns", Options{}, nil, ""},
		{"escaped modifier is literal", Options{}, []string{`/a\*`}, ""},
		{"named group in a custom pattern", Options{}, []string{`/:id((?<x>\d+))`}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.opts.Compile(tt.patterns...)
			if tt.reason == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if tt.opts.BasePath != "" && checkBasePath(tt.opts.BasePath) != "" {
				if err == nil || !strings.Contains(err.Error(), "match: invalid BasePath") || !strings.HasSuffix(err.Error(), tt.reason) {
					t.Fatalf("got %v, want an invalid BasePath error with %q", err, tt.reason)
				}
				return
			}
			var pe *PatternError
			if !errors.As(err, &pe) {
				t.Fatalf("got %v, want a *PatternError with %q", err, tt.reason)
			}
			if !strings.HasPrefix(pe.Reason, tt.reason) {
				t.Errorf("Reason = %q, want prefix %q", pe.Reason, tt.reason)
			}
			if tt.opts.BasePath == "" && len(tt.patterns) > 0 && pe.Pattern != tt.patterns[len(tt.patterns)-1] {
				t.Errorf("Pattern = %q, want the failing one", pe.Pattern)
			}
		})
	}
}
