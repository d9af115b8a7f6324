// Package match implements Next.js middleware matchers for authgo's route
// protection: it compiles patterns such as "/mypage/:path*" exactly as
// Next.js 15.5.16+ and 16 do, and decides per request whether a path is
// protected, refusing the path spellings that make a matcher and a router
// disagree.
//
// The behaviour follows shared/spec/matcher.md, and the tests run the 97
// match rows and the validation rows of shared/spec/vectors/matcher-next.json,
// which were produced by running the real Next.js code.
//
// # Pattern syntax
//
// Patterns use path-to-regexp 6.3.0 syntax, which Next.js copies:
//
//   - "/about" matches /about and /about/ (one trailing "/" is allowed).
//   - ":name" matches one segment. Names are made of [A-Za-z0-9_], so
//     "/auth/:reset-password" is the parameter reset followed by the text
//     "-password".
//   - ":name*" matches zero or more segments, so "/mypage/:path*" also
//     matches /mypage. ":name+" needs at least one, ":name?" at most one.
//   - ":name(regex)" and "(regex)" restrict a parameter with a JavaScript
//     regex. "/about/(.*)" does not match /about: the "/" is required.
//   - "{…}" groups text and a parameter into one optional or repeated unit:
//     "/docs{/v:version}?". "\" makes the next character literal.
//   - A repeated parameter with nothing before it ("/foo:bar*") gets "/" as
//     its prefix, as Next does: it matches /foo/x, not /foox.
//
// Matching is case-sensitive, as in Next.js: "/mypage/:path*" does not
// match /MYPAGE/x. The handlers behind the matcher must be case-sensitive
// too; Go's ServeMux and chi are, a case-insensitive file system or
// upstream is not.
//
// A lookahead exclusion is a string-prefix test: "/((?!api|_next/static).*)"
// leaves /apikeys and /api-docs unprotected as well as /api. Write
// "/((?!api/|api$|_next/static).*)" to exclude only the /api segment.
//
// # What Next.js adds around a pattern
//
// By default every pattern also matches Next's transport forms of the same
// page: the prefix /_next/data/<build id>, and the suffixes .json, .rsc and
// .segments/….segment.rsc (CVE-2026-44575 was a Next.js matcher that missed
// the last two). The root pattern "/" also matches /index, /index.json and
// their .rsc forms. These forms only add protection; a gateway in front of a
// Next.js app needs them, and a plain Go server can drop them with
// [Options].NoNextForms. [Options].BasePath and [Options].I18n reproduce
// Next's basePath and i18n wrapping.
//
// Not implemented, on purpose: has/missing conditions (they read headers,
// cookies, query and Host, which the client controls, so they must never
// switch protection off), the per-pattern locale switch, and the object
// form of config.matcher.
//
// # Validation
//
// [Compile] rejects what Next.js rejects, with Next's message in
// [PatternError].Reason: a pattern that does not start with "/", path-to-
// regexp syntax errors ("Unexpected MODIFIER at 5, expected END" for
// "/api/*"), a Next-wrapped source over 4096 UTF-16 units (4019 for the
// pattern itself without basePath or i18n), and a regex that JavaScript
// would not compile. It also rejects invalid UTF-8.
//
// # Regex engines
//
// Next.js runs its regexes in V8. Most of them use only constructs that mean
// the same in Go's RE2 engine, which runs in linear time; those run on RE2,
// with JavaScript's "." (which excludes \r, U+2028 and U+2029) spelled out.
// The rest, about one in five in practice (lookahead exclusions,
// ":name.:ext", the i18n locale segment), run on
// github.com/dlclark/regexp2/v2 in ECMAScript mode, which backtracks; each
// such match is bounded by [Options].MatchTimeout, and a match that runs
// out of time counts as a match (fail closed).
//
// # Deciding for a request
//
// [Matcher.Match] and [Matcher.MatchPath] look at the path as the client
// sent it (percent-escapes intact) and answer with a [Decision]:
//
// Reject, for a path that is malformed or can be read two ways. The
// middleware answers 400. These are refused:
//
//   - a path that does not start with "/", or is longer than 16 KiB;
//   - a raw "#", "?" or "\" in the path, or a control character;
//   - a malformed escape ("%", "%4", "%zz");
//   - %2F (an encoded "/": ServeMux routes on it as text while r.URL.Path
//     shows a "/"), unless [Options].AllowEncodedSlash is set;
//   - %5C (an encoded "\");
//   - %25 followed by two hex digits (double encoding);
//   - after one decoding: a control character (U+0000–U+001F, U+007F),
//     invalid UTF-8, U+2028 or U+2029;
//   - a "." or ".." segment spelled with %2e (Next and WHATWG URL resolve
//     it, ServeMux and chi do not);
//   - ";", raw or as %3B (Java servlet containers strip ";params" from a
//     segment), unless [Options].AllowSemicolon is set.
//
// Match, when a pattern matches any of these forms of the path: as sent;
// percent-decoded once; and each of those cleaned, that is with "." and ".."
// segments resolved and repeated slashes merged (RFC 3986 §5.2.4; a
// trailing slash is kept). Each form is what some router acts on: ServeMux
// routes /%6Dypage/a to a /mypage/ handler, chi routes /mypage//a and
// /mypage/../x to /mypage/* without cleaning them, and Next.js and file
// servers resolve dot-segments.
//
// NoMatch otherwise. The middleware lets the request through.
//
// # Notes for the middleware
//
// A Decision's zero value is invalid: pass a request through on NoMatch
// only. The matcher is one gate. Handlers should still check the session
// (a matcher mistake should not become a data leak), take route parameters
// from the router (r.PathValue, chi.URLParam) and never from the query, and
// the server should strip internal headers such as x-middleware-subrequest
// on ingress; this package does neither. A reverse proxy should forward
// only a path that it has checked.
package match
