package match

import (
	"bytes"
	"strings"
	"unicode/utf8"
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

// escapeAt decodes the %XX escape at p[i], which must be '%'.
func escapeAt(p string, i int) (byte, bool) {
	if i+2 >= len(p) {
		return 0, false
	}
	hi, ok1 := unhex(p[i+1])
	lo, ok2 := unhex(p[i+2])
	return hi<<4 | lo, ok1 && ok2
}

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
			case len(seg) <= 6 && encodedDotSegment(seg):
				// A dot-segment spelled with %2e: ServeMux and chi keep
				// it as a name, WHATWG URL and Next resolve it.
				return pathInfo{reject: true}
			}
			segStart = i + 1
		case clsEscape:
			b, ok := escapeAt(p, i)
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
				// %25 followed by two hex digits: double encoding.
				if _, ok := escapeAt(p, i+2); ok {
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
	if highBytes && !validDecodedUTF8(p) {
		return pathInfo{reject: true}
	}
	return info
}

// encodedDotSegment reports whether seg decodes to "." or ".." while
// containing an escape.
func encodedDotSegment(seg string) bool {
	if strings.IndexByte(seg, '%') < 0 {
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

// validDecodedUTF8 reports whether p, decoded once, is valid UTF-8 with no
// U+2028 or U+2029 (line terminators that JavaScript's "." refuses). It
// decodes rune by rune without allocating.
func validDecodedUTF8(p string) bool {
	var buf [utf8.UTFMax]byte
	n, need := 0, 0
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c == '%' {
			if b, ok := escapeAt(p, i); ok {
				c = b
				i += 2
			}
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
			r, size := utf8.DecodeRune(buf[:need])
			if r == utf8.RuneError || size != need || r == 0x2028 || r == 0x2029 {
				return false
			}
			n = 0
		}
	}
	return n == 0
}

// decode percent-decodes p once. p must have passed checkPath.
func decode(p string) string {
	var b strings.Builder
	b.Grow(len(p))
	for i := 0; i < len(p); i++ {
		if p[i] == '%' {
			if c, ok := escapeAt(p, i); ok {
				b.WriteByte(c)
				i += 2
				continue
			}
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
