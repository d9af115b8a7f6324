package match

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// DefaultMatchTimeout bounds one backtracking (regexp2) match when
// Options.MatchTimeout is zero.
const DefaultMatchTimeout = 10 * time.Millisecond

// Decision is what [Matcher.Match] says about a request path. The zero value
// is not a valid Decision; a caller should pass a request through only on
// NoMatch.
type Decision uint8

const (
	// NoMatch: the path is unambiguous and no pattern matches it in any of
	// its forms. The middleware lets the request through.
	NoMatch Decision = iota + 1
	// Match: some pattern matches the path in at least one of its forms. The
	// middleware requires a session.
	Match
	// Reject: the path is malformed or can be read two ways (see the package
	// documentation). The middleware answers 400 Bad Request, whatever the
	// session.
	Reject
)

func (d Decision) String() string {
	switch d {
	case NoMatch:
		return "NoMatch"
	case Match:
		return "Match"
	case Reject:
		return "Reject"
	}
	return "Decision(" + strconv.Itoa(int(d)) + ")"
}

// Options changes how [Options.Compile] builds a Matcher. The zero value is
// the default used by [Compile]: Next.js 15.5.16+/16 wrapping, no basePath,
// no i18n, %2F and ';' refused, [DefaultMatchTimeout].
type Options struct {
	// BasePath is Next's basePath: literal text put before every pattern
	// (and before Next's /_next/data prefix), e.g. "/docs". It must start
	// with "/" and must not end with "/".
	BasePath string

	// I18n emulates Next's i18n routing: every pattern also matches with a
	// locale segment in front (Next requires one, because it inserts the
	// default locale before matching; like Next, any first segment without
	// a dot counts as a locale), and, because a Go server sees the path
	// before any locale is inserted, also without one.
	I18n bool

	// NoNextForms compiles each pattern without the /_next/data/<id> prefix,
	// the .json/.rsc/.segments/….segment.rsc suffixes and the root's /index
	// forms. Those forms only add protection, and a gateway in front of a
	// Next.js app needs them (CVE-2026-44575); a plain Go server can turn
	// them off. Validation still follows Next, including its length limit
	// on the wrapped source.
	NoNextForms bool

	// AllowEncodedSlash accepts %2F in a path instead of rejecting it. The
	// path is then matched with %2F kept as text and with %2F read as "/",
	// and it matches when either does. Go's ServeMux routes on the first
	// reading while r.URL.Path shows the second: handlers must take path
	// parameters from r.PathValue or the router, never by splitting
	// r.URL.Path.
	AllowEncodedSlash bool

	// AllowSemicolon accepts ';' (raw or %3B) in a path. By default it is
	// refused, because some upstreams (Java servlet containers) strip
	// ";params" from segments and so serve /mypage;x=1/a as /mypage/a,
	// while Next.js, ServeMux and chi read ';' as text.
	AllowSemicolon bool

	// MatchTimeout bounds one regexp2 match; zero means
	// DefaultMatchTimeout. A match that runs out of time counts as a match
	// (fail closed), or as no match with Opens. regexp2 checks deadlines against a clock that ticks
	// every 100 ms, so a match stops between MatchTimeout+100 ms and
	// MatchTimeout+200 ms. RE2 matches need no bound: they run in linear
	// time.
	MatchTimeout time.Duration

	// Opens: the patterns open paths rather than guard them (a gateway's
	// public paths), so failing closed means the other way: a match that
	// runs out of time counts as no match.
	Opens bool

	// forceBacktrack runs every pattern on regexp2 (tests and benchmarks).
	forceBacktrack bool
}

// Matcher decides, per request path, whether one of its patterns applies.
// It is immutable after Compile and safe for concurrent use.
type Matcher struct {
	variants       []variant
	allowSlash     bool
	allowSemicolon bool
	opens          bool // Options.Opens
}

// variant is one compiled regex. A pattern has one, or two with Options.I18n.
type variant struct {
	source string // the Next regex source, as in middleware-manifest.json
	eng    *engine
	// A cheap test before the regex: the path must start with lead, then,
	// if lead2 is set, continue with lead2 or with "/_next/data/".
	lead, lead2 string
}

// match reports whether the variant matches s; a match that runs out of
// time counts as timedOut says (fail closed: true for patterns that guard,
// false for patterns that open).
func (v *variant) match(s string, timedOut bool) bool {
	if !strings.HasPrefix(s, v.lead) {
		return false
	}
	if v.lead2 != "" {
		rest := s[len(v.lead):]
		if !strings.HasPrefix(rest, v.lead2) && !strings.HasPrefix(rest, "/_next/data/") {
			return false
		}
	}
	ok, err := v.eng.match(s)
	if err != nil {
		return timedOut
	}
	return ok
}

// Compile compiles Next.js matcher patterns with the default [Options].
// Each pattern is path-to-regexp 6.3.0 syntax as Next.js 15.5.16+/16 reads
// it; an invalid pattern gives a [*PatternError] naming it. With no
// patterns the Matcher matches nothing (it still rejects malformed paths).
func Compile(patterns ...string) (*Matcher, error) {
	return Options{}.Compile(patterns...)
}

// Compile compiles patterns with these options. See the package-level
// [Compile].
func (o Options) Compile(patterns ...string) (*Matcher, error) {
	if reason := checkBasePath(o.BasePath); reason != "" {
		return nil, errors.New("match: invalid BasePath " + quote(o.BasePath) + ": " + reason)
	}
	timeout := o.MatchTimeout
	if timeout <= 0 {
		timeout = DefaultMatchTimeout
	}
	m := &Matcher{
		allowSlash:     o.AllowEncodedSlash,
		allowSemicolon: o.AllowSemicolon,
		opens:          o.Opens,
	}
	for _, src := range patterns {
		if reason := checkSource(src); reason != "" {
			return nil, &PatternError{Pattern: src, Reason: reason}
		}
		// Next checks the source again after its full wrapping: length,
		// then syntax (a trailing backslash escapes the suffix's "{").
		// This holds with NoNextForms too, so validation never depends on
		// the options.
		next := wrapSource(src, o.BasePath, true, o.I18n)
		if utf16Len(next) > maxBuiltLength {
			return nil, &PatternError{Pattern: src, Reason: msgTooLong}
		}
		if o.NoNextForms {
			if _, _, err := tryToParsePath(next); err != nil {
				return nil, &PatternError{Pattern: src, Reason: err.Error() + " (in Next's wrapped form " + quote(next) + ")"}
			}
		}
		v, err := o.variant(src, !o.NoNextForms, o.I18n, timeout)
		if err != nil {
			return nil, err
		}
		m.variants = append(m.variants, v)
		if o.I18n {
			v, err := o.variant(src, !o.NoNextForms, false, timeout)
			if err != nil {
				return nil, err
			}
			m.variants = append(m.variants, v)
		}
	}
	return m, nil
}

func (o Options) variant(src string, forms, locale bool, timeout time.Duration) (variant, error) {
	wrapped := wrapSource(src, o.BasePath, forms, locale)
	tokens, jsSrc, err := tryToParsePath(wrapped)
	if err != nil {
		return variant{}, &PatternError{Pattern: src, Reason: err.Error() + " (in Next's wrapped form " + quote(wrapped) + ")"}
	}
	v := variant{source: jsRegexSource(jsSrc)}
	v.eng, err = compileJS(v.source, timeout, o.forceBacktrack)
	if err != nil {
		return variant{}, &PatternError{Pattern: src, Reason: "invalid regular expression: " + err.Error()}
	}
	switch {
	case len(tokens) > 0 && !tokens[0].isKey:
		v.lead = tokens[0].text
		if len(tokens) > 2 && isDataKey(tokens[1]) && !tokens[2].isKey {
			v.lead2 = tokens[2].text
		}
	case len(tokens) > 1 && isDataKey(tokens[0]) && !tokens[1].isKey:
		v.lead2 = tokens[1].text
	}
	return v, nil
}

// isDataKey reports whether t is the optional /_next/data/<id> key of Next's
// wrapping, whose regex is (?:\/(_next\/data\/[^/]{1,}))?.
func isDataKey(t token) bool {
	return t.isKey && t.key.prefix == "/" && t.key.suffix == "" && t.key.modifier == "?" &&
		t.key.pattern == "_next/data/[^/]{1,}"
}

// Match decides for r's path. It reads r.URL.EscapedPath(), and also
// r.URL.RawPath when that differs (a raw "#" or raw non-ASCII bytes the
// client sent, or a RawPath left stale by an earlier handler, which chi
// would route on). See [Matcher.MatchPath].
func (m *Matcher) Match(r *http.Request) Decision {
	if r == nil || r.URL == nil {
		return Reject
	}
	p := r.URL.EscapedPath()
	d := m.MatchPath(p)
	if raw := r.URL.RawPath; raw != "" && raw != p && d != Reject {
		if d2 := m.MatchPath(raw); d2 != NoMatch {
			d = d2
		}
	}
	return d
}

// MatchPath decides for an escaped path: the path of a request-target as
// sent, without query or fragment. It returns Reject for a path the package
// documentation lists as malformed or ambiguous; otherwise Match when a
// pattern matches the path as sent, its percent-decoded form, the cleaned
// form of either (dot-segments resolved, repeated slashes merged), or the
// path with only its repeated slashes merged, and NoMatch when none does.
//
// It does not allocate for a clean path without escapes.
func (m *Matcher) MatchPath(p string) Decision {
	info := checkPath(p, m.allowSlash, m.allowSemicolon)
	if info.reject {
		return Reject
	}
	if m.matchAny(p) {
		return Match
	}
	dec := p
	if info.escaped {
		dec = decode(p)
		if m.matchAny(dec) {
			return Match
		}
	}
	if info.unclean {
		if m.matchAny(cleanPath(p)) {
			return Match
		}
		// Repeated slashes merged but dot-segments kept: how a router
		// that does not clean paths (chi) reads /mypage//../auth/x.
		if ms := mergeSlashes(p); ms != p && m.matchAny(ms) {
			return Match
		}
	}
	// Decoding makes new segments only from %2F (%2e dot-segments are
	// refused), so the decoded form needs its own cleaning only then.
	if info.escaped && (info.unclean || info.encSlash) {
		if c := cleanPath(dec); c != dec && m.matchAny(c) {
			return Match
		}
	}
	return NoMatch
}

func (m *Matcher) matchAny(s string) bool {
	for i := range m.variants {
		if m.variants[i].match(s, !m.opens) {
			return true
		}
	}
	return false
}

// mergeSlashes replaces every run of slashes in p with one.
func mergeSlashes(p string) string {
	if !strings.Contains(p, "//") {
		return p
	}
	var b strings.Builder
	b.Grow(len(p))
	for i := 0; i < len(p); i++ {
		if p[i] == '/' && i > 0 && p[i-1] == '/' {
			continue
		}
		b.WriteByte(p[i])
	}
	return b.String()
}
