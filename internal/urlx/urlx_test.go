package urlx

import (
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCanonicalHost(t *testing.T) {
	for _, c := range []struct{ scheme, host, want string }{
		{"http", "Example.COM:80", "example.com"},
		{"https", "example.com:443", "example.com"},
		{"http", "example.com:443", "example.com:443"},
		{"https", "example.com:80", "example.com:80"},
		{"https", "[::1]:443", "[::1]"},
		{"http", "example.com:8080", "example.com:8080"},
	} {
		if got := CanonicalHost(c.scheme, c.host); got != c.want {
			t.Errorf("CanonicalHost(%q, %q) = %q, want %q", c.scheme, c.host, got, c.want)
		}
	}
}

func TestDotSegment(t *testing.T) {
	for seg, want := range map[string]bool{
		".": true, "..": true, "%2e": true, "%2E%2e": true, ".%2E": true, "%2e.": true,
		"": false, "...": false, "%2e%2e%2e": false, "%2f": false, "a.": false, "%2": false, ".%2": false,
	} {
		if got := DotSegment(seg); got != want {
			t.Errorf("DotSegment(%q) = %v", seg, got)
		}
	}
}

func TestCleanSegments(t *testing.T) {
	for p, want := range map[string]bool{
		"": true, "/": true, "/a": true, "/a/": true, "/a/b.c": true,
		"a": false, "//": false, "/a//b": false, "/./a": false, "/a/%2e%2E": false, "/a/.%2e/b": false,
	} {
		if got := CleanSegments(p); got != want {
			t.Errorf("CleanSegments(%q) = %v", p, got)
		}
	}
}

func TestIsClean(t *testing.T) {
	for p, want := range map[string]bool{
		"/": true, "/a": true, "/a/": true, "/%2e": true, "//": true, // the root and its trailing slash
		"": false, "/a/../b": false, "/a/.": false, "/a//": false,
	} {
		if got := IsClean(p); got != want {
			t.Errorf("IsClean(%q) = %v", p, got)
		}
	}
}

func TestDoubleEscape(t *testing.T) {
	for p, want := range map[string]bool{"%2541": true, "%252e": true, "%25": false, "%254": false, "%25zz": false} {
		if got := DoubleEscape(p, 0); got != want {
			t.Errorf("DoubleEscape(%q) = %v", p, got)
		}
	}
}

// FuzzValidDecodedUTF8: with no runes refused, it agrees with decoding
// once and calling utf8.Valid.
func FuzzValidDecodedUTF8(f *testing.F) {
	for _, s := range []string{"/caf%C3%A9", "/%c0%ae", "/%ED%A0%80", "/\xff", "/%E2%80%A8", "/%F4%90%80%80", "/%C3", "/%zz%C3%A9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		var b []byte
		for i := 0; i < len(p); i++ {
			if c, ok := UnescapeAt(p, i); ok {
				b = append(b, c)
				i += 2
				continue
			}
			b = append(b, p[i])
		}
		if got, want := ValidDecodedUTF8(p, nil), utf8.Valid(b); got != want {
			t.Fatalf("ValidDecodedUTF8(%q) = %v, utf8.Valid = %v", p, got, want)
		}
		refuseE9 := func(r rune) bool { return r == 'é' }
		if dec, err := url.PathUnescape(p); err == nil && utf8.ValidString(dec) {
			if got, want := ValidDecodedUTF8(p, refuseE9), !strings.ContainsRune(dec, 'é'); got != want {
				t.Fatalf("ValidDecodedUTF8(%q, refuse é) = %v", p, got)
			}
		}
	})
}

func TestLowerASCII(t *testing.T) {
	for in, want := range map[string]string{
		"":                "",
		"example.com":     "example.com",
		"Example.COM:443": "example.com:443",
		"ÄBC@X.Org":       "Äbc@x.org", // only ASCII letters change
	} {
		if got := LowerASCII(in); got != want {
			t.Errorf("LowerASCII(%q) = %q, want %q", in, got, want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _ = LowerASCII("already.lower") }); n != 0 {
		t.Errorf("LowerASCII of a lower-case string allocates %v times, want 0", n)
	}
}
