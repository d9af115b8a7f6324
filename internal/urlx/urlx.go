// Package urlx holds the URL rules that the root package, internal/match
// and proxy must apply alike: the canonical form of an origin's host, what
// counts as a dot-segment in any spelling, what a clean path is, and
// percent-escape decoding, and the one ASCII lowercaser (LowerASCII).
//
// The checks built on these rules differ on purpose (the matcher resolves
// a plain ".." and matches the result, the proxy refuses it); the rules
// themselves live here once, so that the packages cannot drift apart on
// them.
package urlx

import (
	"path"
	"strings"
	"unicode/utf8"
)

// CanonicalHost lowercases host and drops the scheme's default port (":80"
// for http, ":443" for https), so that two spellings of one origin compare
// equal. scheme must be lowercase.
func CanonicalHost(scheme, host string) string {
	host = strings.ToLower(host)
	switch {
	case scheme == "http" && strings.HasSuffix(host, ":80"):
		return strings.TrimSuffix(host, ":80")
	case scheme == "https" && strings.HasSuffix(host, ":443"):
		return strings.TrimSuffix(host, ":443")
	}
	return host
}

// IsClean reports whether p, a decoded path such as r.URL.Path, has no "."
// or ".." segment and no empty segment (a trailing slash aside): whether
// path.Clean leaves it as it is.
func IsClean(p string) bool {
	c := path.Clean(p)
	return c == p || c+"/" == p
}

// CleanSegments reports whether the escaped path p ("" or "/…") has no
// empty segment (a trailing one aside) and no dot-segment in any spelling
// (see [DotSegment]).
func CleanSegments(p string) bool {
	if p == "" {
		return true
	}
	if p[0] != '/' {
		return false
	}
	start := 1
	for i := 1; i <= len(p); i++ {
		if i < len(p) && p[i] != '/' {
			continue
		}
		seg := p[start:i]
		if seg == "" && i < len(p) || DotSegment(seg) {
			return false
		}
		start = i + 1
	}
	return true
}

// DotSegment reports whether the escaped segment seg decodes to "." or
// "..": each dot written as "." or as %2e or %2E. WHATWG URL and Next.js
// resolve "%2e%2e" as ".."; ServeMux and chi keep it as a name.
func DotSegment(seg string) bool {
	if len(seg) > 6 {
		return false
	}
	dots := 0
	for i := 0; i < len(seg); {
		switch {
		case seg[i] == '.':
			i++
		case seg[i] == '%' && i+2 < len(seg) && seg[i+1] == '2' && (seg[i+2] == 'e' || seg[i+2] == 'E'):
			i += 3
		default:
			return false
		}
		dots++
	}
	return dots == 1 || dots == 2
}

// Unhex returns the value of the hex digit c.
func Unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// UnescapeAt decodes the escape "%XX" at p[i]; ok is false when p[i] is not
// '%' or is not followed by two hex digits.
func UnescapeAt(p string, i int) (b byte, ok bool) {
	if i+2 >= len(p) || p[i] != '%' {
		return 0, false
	}
	hi, ok1 := Unhex(p[i+1])
	lo, ok2 := Unhex(p[i+2])
	return hi<<4 | lo, ok1 && ok2
}

// DoubleEscape reports whether the escape at p[i], which decodes to '%'
// (%25), is followed by two hex digits: a second level of escaping, which
// one server may decode once and another twice.
func DoubleEscape(p string, i int) bool {
	if i+4 >= len(p) {
		return false
	}
	_, ok1 := Unhex(p[i+3])
	_, ok2 := Unhex(p[i+4])
	return ok1 && ok2
}

// ValidDecodedUTF8 reports whether p, an escaped path decoded once, is
// valid UTF-8 and holds no non-ASCII rune that refuse (when not nil)
// refuses. A malformed escape counts as its literal bytes. It decodes rune by rune
// without allocating.
func ValidDecodedUTF8(p string, refuse func(rune) bool) bool {
	var buf [utf8.UTFMax]byte
	n, need := 0, 0
	for i := 0; i < len(p); i++ {
		c := p[i]
		if b, ok := UnescapeAt(p, i); ok {
			c = b
			i += 2
		}
		if n == 0 {
			switch {
			case c < 0x80:
				continue
			case c&0xE0 == 0xC0:
				need = 2
			case c&0xF0 == 0xE0:
				need = 3
			case c&0xF8 == 0xF0:
				need = 4
			default:
				return false
			}
			buf[0] = c
			n = 1
			continue
		}
		if c&0xC0 != 0x80 {
			return false
		}
		buf[n] = c
		n++
		if n == need {
			// An invalid sequence decodes with size 1, never need.
			r, size := utf8.DecodeRune(buf[:need])
			if size != need || refuse != nil && refuse(r) {
				return false
			}
			n = 0
		}
	}
	return n == 0
}

// LowerASCII lowercases the ASCII letters of s and leaves every other
// byte as it is (hosts, schemes, email addresses); s itself when it has
// no upper-case letter, without a copy.
func LowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
