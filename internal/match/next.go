package match

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// What Next.js's getMiddlewareMatchers (15.5.16+, 16.2.5+) puts around each
// source (spec/matcher.md §2.4).
const (
	nextDataPrefix   = `/:nextData(_next/data/[^/]{1,})?`
	nextSuffix       = `{(\.json|\.rsc|\.segments/.+\.segment\.rsc)}?`
	nextRootIndex    = `/?index|/?index\.json|/?index(?:\.rsc|\.segments/.+\.segment\.rsc)`
	nextLocaleSeg    = `/:nextInternalLocale((?!_next/)[^/.]{1,})`
	maxBuiltLength   = 4096
	msgTooLong       = "exceeds max built length of 4096 for route"
	msgLeadingSlash  = "source must start with /"
	msgBasePathSlash = "basePath has to start with a /"
	msgBasePathEnd   = "basePath should not end with /"
)

// PatternError reports a matcher pattern that does not compile. Reason uses
// Next.js's own wording where Next rejects the pattern too, for example
// `Unexpected MODIFIER at 5, expected END` for "/api/*".
type PatternError struct {
	Pattern string // the pattern as given to Compile
	Reason  string
}

func (e *PatternError) Error() string {
	return "match: invalid pattern " + quote(e.Pattern) + ": " + e.Reason
}

// quote is strconv.Quote limited to a readable length, so that a 4 KiB
// pattern does not flood a log line.
func quote(s string) string {
	const max = 120
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return strconv.Quote(s[:cut]) + "…"
	}
	return strconv.Quote(s)
}

// utf16Len is the length of s in UTF-16 code units, which is what Next's
// 4096 limit counts.
func utf16Len(s string) int { return jsIndex(s, len(s)) }

// tryToParsePath is Next's tryToParsePath(route): parse, then
// tokensToRegexp, retrying with normalizeTokensForRegexp when that throws.
// It returns the tokens used and the regex source passed to new RegExp.
func tryToParsePath(route string) ([]token, string, error) {
	tokens, err := parse(route)
	if err != nil {
		return nil, "", err
	}
	src, err := tokensToRegexp(tokens)
	if err != nil {
		tokens = normalizeTokensForRegexp(tokens)
		src, err = tokensToRegexp(tokens)
		if err != nil {
			return nil, "", err
		}
	}
	return tokens, src, nil
}

// wrapSource applies Next's wrapping to a user source. forms adds the
// /_next/data/<id> prefix and the transport suffixes, locale the i18n locale
// segment, basePath the literal base path.
func wrapSource(source, basePath string, forms, locale bool) string {
	isRoot := source == "/"
	s := source
	if locale {
		if isRoot {
			s = nextLocaleSeg
		} else {
			s = nextLocaleSeg + s
		}
	}
	if forms {
		if isRoot {
			alt := nextRootIndex
			if locale {
				alt = `|\.json|` + alt
			}
			s = nextDataPrefix + s + "(" + alt + ")?"
		} else {
			s = nextDataPrefix + s + nextSuffix
		}
	}
	return basePath + s
}

// checkSource validates a user source as Next's SourceSchema does, before
// wrapping.
func checkSource(source string) string {
	if !utf8.ValidString(source) {
		return "pattern is not valid UTF-8"
	}
	if utf16Len(source) > maxBuiltLength {
		return msgTooLong
	}
	if !strings.HasPrefix(source, "/") {
		return msgLeadingSlash
	}
	if _, _, err := tryToParsePath(source); err != nil {
		return err.Error()
	}
	return ""
}

// checkBasePath validates Options.BasePath as next.config does.
func checkBasePath(bp string) string {
	if bp == "" {
		return ""
	}
	if !utf8.ValidString(bp) {
		return "basePath is not valid UTF-8"
	}
	if !strings.HasPrefix(bp, "/") {
		return msgBasePathSlash
	}
	if strings.HasSuffix(bp, "/") {
		return msgBasePathEnd
	}
	return ""
}
