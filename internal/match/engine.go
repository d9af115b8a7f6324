package match

import (
	"errors"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dlclark/regexp2/v2"
)

// engine runs one compiled JavaScript regex. Exactly one of re2 and bt is
// set.
type engine struct {
	re2 *regexp.Regexp  // Go's RE2: linear time, used when the regex means the same there
	bt  *regexp2.Regexp // backtracking, ECMAScript mode, with a match timeout
}

// errTimeout marks a regexp2 match that hit its timeout or stack limit.
var errTimeout = errors.New("match: regex match timed out")

// match reports whether s matches. A timeout is returned as an error; the
// caller treats it as a match (fail closed).
func (e *engine) match(s string) (bool, error) {
	if e.re2 != nil {
		return e.re2.MatchString(s), nil
	}
	ok, err := e.bt.MatchString(s)
	if err != nil {
		return false, errTimeout
	}
	return ok, nil
}

// compileJS compiles a JavaScript regex source (no flags) the way Next's
// runtime does with new RegExp(source). It is always checked with regexp2 in
// ECMAScript mode, which is what decides whether the regex is valid. When the
// source uses only constructs that mean the same in RE2 (see toRE2), the RE2
// translation is used to run it; otherwise regexp2 runs it, with timeout.
func compileJS(src string, timeout time.Duration, forceBacktrack bool) (*engine, error) {
	bt, err := regexp2.Compile(src, regexp2.ECMAScript)
	if err != nil {
		return nil, err
	}
	if !forceBacktrack {
		if tr, ok := toRE2(src); ok {
			if re, err := regexp.Compile(tr); err == nil {
				return &engine{re2: re}, nil
			}
		}
	}
	bt.MatchTimeout = timeout
	return &engine{bt: bt}, nil
}

// toRE2 translates a JavaScript regex source (no flags, not Unicode mode)
// into RE2 syntax with the same meaning, or reports false when the source
// uses anything outside a small subset known to behave identically:
// literals, escaped punctuation, \d \D \w \W \b \B \n \r \t \f \v, simple
// character classes, (…) and (?:…) groups, alternation, ^ $, and the
// quantifiers * + ? {n} {n,} {n,m} with optional laziness. In particular
// lookaround, backreferences, named groups, \s, \u/\x escapes, identity
// escapes of letters, and characters outside the BMP all go to regexp2.
//
// JavaScript's "." excludes \n, \r, U+2028 and U+2029; RE2's excludes only
// \n, so "." becomes an explicit class. Because only a yes/no answer is
// needed from an anchored regex, groups become non-capturing and lazy
// quantifiers greedy: neither changes which strings match, and RE2 runs the
// result about twice as fast.
func toRE2(src string) (string, bool) {
	var b strings.Builder
	b.Grow(len(src) + 32)
	canQuantify := false
	for i := 0; i < len(src); {
		c := src[i]
		switch c {
		case '\\':
			if i+1 >= len(src) {
				return "", false
			}
			e := src[i+1]
			switch {
			case strings.IndexByte("dDwW", e) >= 0:
				canQuantify = true
			case strings.IndexByte("nrtfv", e) >= 0:
				canQuantify = true
			case e == 'b' || e == 'B':
				canQuantify = false
			case isASCIIPunct(e):
				canQuantify = true
			default:
				return "", false
			}
			b.WriteString(src[i : i+2])
			i += 2
		case '.':
			b.WriteString(`[^\n\r\x{2028}\x{2029}]`)
			canQuantify = true
			i++
		case '[':
			n, ok := re2Class(src[i:])
			if !ok {
				return "", false
			}
			b.WriteString(src[i : i+n])
			canQuantify = true
			i += n
		case '(':
			if strings.HasPrefix(src[i:], "(?:") {
				b.WriteString("(?:")
				i += 3
			} else if i+1 < len(src) && src[i+1] == '?' {
				return "", false // lookaround or named group
			} else {
				b.WriteString("(?:") // only a yes/no answer is needed
				i++
			}
			canQuantify = false
		case ')':
			b.WriteByte(')')
			canQuantify = true
			i++
		case '*', '+', '?':
			if !canQuantify {
				return "", false
			}
			b.WriteByte(c)
			i++
			if i < len(src) && src[i] == '?' {
				i++ // laziness does not change whether a match exists
			}
			canQuantify = false
		case '{':
			n := braceQuantifier(src[i:])
			if n == 0 || !canQuantify {
				return "", false // JavaScript reads a lone { as a literal; leave that to regexp2
			}
			b.WriteString(src[i : i+n])
			i += n
			if i < len(src) && src[i] == '?' {
				i++
			}
			canQuantify = false
		case '}', ']':
			return "", false
		case '^', '$', '|':
			b.WriteByte(c)
			canQuantify = false
			i++
		default:
			r, size := utf8.DecodeRuneInString(src[i:])
			if r == utf8.RuneError && size <= 1 || r >= 0x10000 {
				return "", false
			}
			b.WriteString(src[i : i+size])
			canQuantify = true
			i += size
		}
	}
	return b.String(), true
}

func isASCIIPunct(c byte) bool {
	return c >= 0x20 && c < 0x7f && !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z')
}

// braceQuantifier returns the length of a {n}, {n,} or {n,m} quantifier at
// the start of s, or 0.
func braceQuantifier(s string) int {
	i := 1
	digits := func() int {
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i - start
	}
	if digits() == 0 {
		return 0
	}
	if i < len(s) && s[i] == ',' {
		i++
		digits()
	}
	if i < len(s) && s[i] == '}' {
		return i + 1
	}
	return 0
}

// re2Class checks a character class at the start of s and returns its
// length. Accepted: literal BMP characters other than [ and \, escaped
// punctuation, \d \D \w \W \n \r \t \f \v, and ranges between two single
// characters. An empty class ([] or [^], which RE2 reads differently) and
// anything else are refused.
func re2Class(s string) (int, bool) {
	i := 1
	if i < len(s) && s[i] == '^' {
		i++
	}
	if i < len(s) && s[i] == ']' {
		return 0, false
	}
	prevClassEscape := false // the previous item was \d, \w, …
	prevDash := false        // the previous item was a '-' that may form a range
	for i < len(s) {
		c := s[i]
		switch {
		case c == ']':
			return i + 1, true
		case c == '[':
			return 0, false
		case c == '\\':
			if i+1 >= len(s) {
				return 0, false
			}
			e := s[i+1]
			isClassEscape := strings.IndexByte("dDwW", e) >= 0
			if !isClassEscape && strings.IndexByte("nrtfv", e) < 0 && !isASCIIPunct(e) {
				return 0, false
			}
			if isClassEscape && prevDash {
				return 0, false
			}
			prevClassEscape = isClassEscape
			prevDash = false
			i += 2
		case c == '-':
			if prevClassEscape {
				return 0, false
			}
			prevDash = true
			i++
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size <= 1 || r >= 0x10000 {
				return 0, false
			}
			prevClassEscape = false
			prevDash = false
			i += size
		}
	}
	return 0, false
}
