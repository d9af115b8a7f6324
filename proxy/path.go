package proxy

import (
	"net/http"
	"strings"

	"github.com/authgo/authgo/internal/urlx"
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
	if len(esc) > maxPathLength || !checkEscapes(rest) || !urlx.CleanSegments(rest) {
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
			b, ok := urlx.UnescapeAt(p, i)
			if !ok {
				return false
			}
			switch {
			case b == '/' || b == '\\' || b == ';' || b < 0x20 || b == 0x7f:
				return false
			case b == '%':
				if urlx.DoubleEscape(p, i) {
					return false
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
	return !high || urlx.ValidDecodedUTF8(p, nil)
}

// cleanConfigPath reports whether a configured path ("/api", "/v1/x") is
// slash-separated non-empty segments of URL-safe characters, with no
// dot-segment.
func cleanConfigPath(p string) bool {
	if p == "" || p[0] != '/' || p == "/" {
		return false
	}
	for _, seg := range strings.Split(p[1:], "/") {
		if seg == "" || urlx.DotSegment(seg) {
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
