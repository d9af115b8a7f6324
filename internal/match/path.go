package match

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"github.com/authgo/authgo/internal/urlx"
)

// maxPathLength is the longest escaped path Match accepts. Node refuses
// request heads over 16 KiB, so Next never serves a longer path.
const maxPathLength = 16 << 10

// pathInfo is what checkPath learns about an escaped path.
type pathInfo struct {
	reject   bool
	escaped  bool // has a %XX escape
	encSlash bool // has %2F (only when allowed)
	unclean  bool // has an empty segment other than a trailing one, or a "." or ".." segment
}

// byteClass sorts path bytes for checkPath: 0 for bytes with nothing to
// check.
var byteClass = func() (t [256]uint8) {
	for c := 0; c < 0x20; c++ {
		t[c] = clsBad
	}
	for c := 0x80; c < 0x100; c++ {
		t[c] = clsHigh
	}
	t[0x7f] = clsBad
	t['#'], t['?'], t['\\'] = clsBad, clsBad, clsBad
	t['%'] = clsEscape
	t[';'] = clsSemicolon
	t['/'] = clsSlash
	return t
}()

const (
	clsBad = iota + 1
	clsHigh
	clsEscape
	clsSemicolon
	clsSlash
)

// checkPath applies the refusals of spec/matcher.md §4.5 to an escaped path
// (the request-target's path as sent): see the package documentation for
// the list. It does not allocate.
func checkPath(p string, allowSlash, allowSemicolon bool) pathInfo {
	var info pathInfo
	if len(p) == 0 || p[0] != '/' || len(p) > maxPathLength {
		return pathInfo{reject: true}
	}
	highBytes := false
	segStart := 1 // start of the segment after p[0]
	for i := 1; i <= len(p); i++ {
		var cls uint8 = clsSlash
		if i < len(p) {
			cls = byteClass[p[i]]
			if cls == 0 {
				continue
			}
		}
		switch cls {
		case clsSlash:
			// End of the segment p[segStart:i].
			switch seg := p[segStart:i]; {
			case seg == "":
				if i < len(p) {
					info.unclean = true // "//"
				}
			case seg == "." || seg == "..":
				info.unclean = true
			case urlx.DotSegment(seg):
				// A dot-segment spelled with %2e: ServeMux and chi keep
				// it as a name, WHATWG URL and Next resolve it.
				return pathInfo{reject: true}
			}
			segStart = i + 1
		case clsEscape:
			b, ok := urlx.UnescapeAt(p, i)
			if !ok {
				return pathInfo{reject: true} // malformed escape
			}
			switch {
			case b == '/':
				if !allowSlash {
					return pathInfo{reject: true}
				}
				info.encSlash = true
			case b == '\\' || b < 0x20 || b == 0x7f:
				return pathInfo{reject: true}
			case b == ';':
				if !allowSemicolon {
					return pathInfo{reject: true}
				}
			case b == '%':
				if urlx.DoubleEscape(p, i) {
					return pathInfo{reject: true}
				}
			case b >= 0x80:
				highBytes = true
			}
			info.escaped = true
			i += 2
		case clsSemicolon:
			if !allowSemicolon {
				return pathInfo{reject: true}
			}
		case clsHigh:
			highBytes = true
		default: // clsBad
			return pathInfo{reject: true}
		}
	}
	if highBytes && !urlx.ValidDecodedUTF8(p, jsRefused) {
		return pathInfo{reject: true}
	}
	return info
}

// jsRefused reports whether r, a rune of a decoded path, is refused
// besides invalid UTF-8: U+2028 and U+2029, line terminators that
// JavaScript's "." does not match, and U+FFFD.
func jsRefused(r rune) bool {
	return r == utf8.RuneError || r == 0x2028 || r == 0x2029
}

// decode percent-decodes p once. p must have passed checkPath.
func decode(p string) string {
	var b strings.Builder
	b.Grow(len(p))
	for i := 0; i < len(p); i++ {
		if c, ok := urlx.UnescapeAt(p, i); ok {
			b.WriteByte(c)
			i += 2
			continue
		}
		b.WriteByte(p[i])
	}
	return b.String()
}

// cleanPath collapses runs of "/" and resolves "." and ".." segments as RFC
// 3986 §5.2.4 does, keeping a trailing "/" (also the one a final "." or ".."
// leaves). ".." at the root stays at the root.
func cleanPath(p string) string {
	buf := make([]byte, 0, len(p))
	trailing := false
	for i := 0; i < len(p); {
		// p[i] == '/': read the segment after it.
		j := i + 1
		for j < len(p) && p[j] != '/' {
			j++
		}
		seg := p[i+1 : j]
		last := j == len(p)
		switch seg {
		case "", ".":
			trailing = last
		case "..":
			if k := bytes.LastIndexByte(buf, '/'); k >= 0 {
				buf = buf[:k]
			}
			trailing = last
		default:
			buf = append(buf, '/')
			buf = append(buf, seg...)
			trailing = false
		}
		i = j
	}
	if trailing || len(buf) == 0 {
		buf = append(buf, '/')
	}
	return string(buf)
}
