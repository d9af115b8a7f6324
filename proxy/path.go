package proxy

import (
	"net/http"
	"strings"
	"unicode/utf8"
)

// maxPathLength is the longest escaped path forwarded.
const maxPathLength = 8 << 10

// route maps esc, the request path escaped as the client sent it, to the
// escaped upstream path. The status is 0 when it can be forwarded, 404
// when it lies outside the prefix (or under the auth endpoints), 400 when
// it could be read two ways.
//
// The refusals are the root middleware's (internal/match), stricter: a
// dot-segment or an empty segment in any spelling is refused rather than
// resolved, so that no upstream, whatever its own cleaning, can be led
// above the base path.
func (p *Proxy) route(esc string) (string, int) {
	if esc != p.prefix && !(strings.HasPrefix(esc, p.prefix) && esc[len(p.prefix)] == '/') {
		return "", http.StatusNotFound
	}
	rest := esc[len(p.prefix):]
	if len(esc) > maxPathLength || !checkEscapes(rest) || !cleanSegments(rest) {
		return "", http.StatusBadRequest
	}
	if p.authDir != "" && (esc == p.authDir || strings.HasPrefix(esc, p.authDir+"/")) {
		return "", http.StatusNotFound
	}
	out := p.base + rest
	if out == "" {
		out = "/"
	}
	return out, 0
}

// checkEscapes reports whether p, an escaped path, has only well-formed
// escapes, none of them for "/", "\", ";", a control character or a second
// level of escaping, no raw "\", ";", "#", "?" or control character, and
// decodes to valid UTF-8.
func checkEscapes(p string) bool {
	high := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '%':
			b, ok := unescapeAt(p, i)
			if !ok {
				return false
			}
			switch {
			case b == '/' || b == '\\' || b == ';' || b < 0x20 || b == 0x7f:
				return false
			case b == '%':
				if i+4 < len(p) && isHex(p[i+3]) && isHex(p[i+4]) {
					return false // %25 and two hex digits: double encoding
				}
			case b >= 0x80:
				high = true
			}
			i += 2
		case c < 0x20 || c == 0x7f || c == '\\' || c == ';' || c == '#' || c == '?':
			return false
		case c >= 0x80:
			high = true
		}
	}
	return !high || validDecodedUTF8(p)
}

// cleanSegments reports whether the escaped path p ("" or "/…") has no
// empty segment (but a trailing one) and no segment that decodes to "."
// or "..".
func cleanSegments(p string) bool {
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
		if seg == "" && i < len(p) || dotSegment(seg) {
			return false
		}
		start = i + 1
	}
	return true
}

// dotSegment reports whether the escaped segment seg decodes to "." or "..".
func dotSegment(seg string) bool {
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

// cleanConfigPath reports whether a configured path ("/api", "/v1/x") is
// slash-separated non-empty segments of URL-safe characters, with no
// dot-segment.
func cleanConfigPath(p string) bool {
	if p == "" || p[0] != '/' || p == "/" {
		return false
	}
	for _, seg := range strings.Split(p[1:], "/") {
		if seg == "" || dotSegment(seg) {
			return false
		}
		for i := 0; i < len(seg); i++ {
			c := seg[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~!$&'()*+,=:@%", c) >= 0) {
				return false
			}
		}
	}
	return true
}

func unhex(c byte) (byte, bool) {
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

func isHex(c byte) bool { _, ok := unhex(c); return ok }

// unescapeAt decodes the %XX escape at p[i].
func unescapeAt(p string, i int) (byte, bool) {
	if i+2 >= len(p) || p[i] != '%' {
		return 0, false
	}
	hi, ok1 := unhex(p[i+1])
	lo, ok2 := unhex(p[i+2])
	return hi<<4 | lo, ok1 && ok2
}

// validDecodedUTF8 reports whether p decoded once is valid UTF-8.
func validDecodedUTF8(p string) bool {
	b := make([]byte, 0, len(p))
	for i := 0; i < len(p); i++ {
		if c, ok := unescapeAt(p, i); ok {
			b = append(b, c)
			i += 2
			continue
		}
		b = append(b, p[i])
	}
	return utf8.Valid(b)
}

// upgrade reads a request's protocol upgrade: ws is true for a WebSocket
// handshake; ok is false for any other upgrade (h2c among them), which is
// refused.
func upgrade(h http.Header) (ws, ok bool) {
	up, has := h["Upgrade"]
	if !has {
		return false, true
	}
	if len(up) != 1 || !strings.EqualFold(strings.TrimSpace(up[0]), "websocket") {
		return false, false
	}
	for _, v := range h["Connection"] {
		for tok := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(tok), "upgrade") {
				return true, true
			}
		}
	}
	return false, false
}

// canonicalHost lowercases host and drops the scheme's default port, as
// the root package does for AUTH_URL.
func canonicalHost(scheme, host string) string {
	host = strings.ToLower(host)
	switch {
	case scheme == "http" && strings.HasSuffix(host, ":80"):
		return strings.TrimSuffix(host, ":80")
	case scheme == "https" && strings.HasSuffix(host, ":443"):
		return strings.TrimSuffix(host, ":443")
	}
	return host
}
