package match

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file ports the parts of path-to-regexp 6.3.0 that Next.js uses for
// matchers: the lexer, parse with default options, and tokensToRegexp with
// default options (strict=false, start=true, end=true, delimiter "/#?",
// endsWith "", identity encode). The sensitive=false "i" flag is not kept,
// because Next keeps only the regex source (spec/matcher.md §2.2, §2.3).
//
// The port works on bytes. path-to-regexp works on UTF-16 code units, but
// every character it treats specially is ASCII and every other character is
// copied through unchanged, so the regex source comes out identical. Error
// positions are converted to UTF-16 offsets so that messages read like
// Next's.

type lexKind uint8

const (
	lexOpen lexKind = iota
	lexClose
	lexPattern
	lexName
	lexChar
	lexEscapedChar
	lexModifier
	lexEnd
)

var lexNames = [...]string{
	lexOpen:        "OPEN",
	lexClose:       "CLOSE",
	lexPattern:     "PATTERN",
	lexName:        "NAME",
	lexChar:        "CHAR",
	lexEscapedChar: "ESCAPED_CHAR",
	lexModifier:    "MODIFIER",
	lexEnd:         "END",
}

type lexToken struct {
	kind  lexKind
	index int // byte offset in the source
	value string
}

// parseError is a path-to-regexp TypeError. Its message uses UTF-16 offsets,
// as the JavaScript original does.
type parseError struct{ msg string }

func (e *parseError) Error() string { return e.msg }

// jsIndex converts a byte offset in s to a UTF-16 code unit offset.
func jsIndex(s string, byteOff int) int {
	if byteOff > len(s) {
		byteOff = len(s)
	}
	n := 0
	for _, r := range s[:byteOff] {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

func isNameByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '_'
}

func lex(str string) ([]lexToken, error) {
	var tokens []lexToken
	at := func(i int) string { return strconv.Itoa(jsIndex(str, i)) }
	i := 0
	for i < len(str) {
		c := str[i]
		switch c {
		case '*', '+', '?':
			tokens = append(tokens, lexToken{lexModifier, i, str[i : i+1]})
			i++
			continue
		case '\\':
			// A backslash at the very end escapes nothing; JavaScript reads
			// undefined there, which later counts as no text.
			v := ""
			if i+1 < len(str) {
				v = str[i+1 : i+2]
			}
			tokens = append(tokens, lexToken{lexEscapedChar, i, v})
			i += 2
			continue
		case '{':
			tokens = append(tokens, lexToken{lexOpen, i, "{"})
			i++
			continue
		case '}':
			tokens = append(tokens, lexToken{lexClose, i, "}"})
			i++
			continue
		case ':':
			j := i + 1
			for j < len(str) && isNameByte(str[j]) {
				j++
			}
			if j == i+1 {
				return nil, &parseError{"Missing parameter name at " + at(i)}
			}
			tokens = append(tokens, lexToken{lexName, i, str[i+1 : j]})
			i = j
			continue
		case '(':
			count := 1
			j := i + 1
			if j < len(str) && str[j] == '?' {
				return nil, &parseError{`Pattern cannot start with "?" at ` + at(j)}
			}
			var pattern strings.Builder
			for j < len(str) {
				if str[j] == '\\' {
					pattern.WriteByte('\\')
					if j+1 < len(str) {
						pattern.WriteByte(str[j+1])
					}
					j += 2
					continue
				}
				if str[j] == ')' {
					count--
					if count == 0 {
						j++
						break
					}
				} else if str[j] == '(' {
					count++
					if j+1 >= len(str) || str[j+1] != '?' {
						return nil, &parseError{"Capturing groups are not allowed at " + at(j)}
					}
				}
				pattern.WriteByte(str[j])
				j++
			}
			if count != 0 {
				return nil, &parseError{"Unbalanced pattern at " + at(i)}
			}
			if pattern.Len() == 0 {
				return nil, &parseError{"Missing pattern at " + at(i)}
			}
			tokens = append(tokens, lexToken{lexPattern, i, pattern.String()})
			i = j
			continue
		}
		tokens = append(tokens, lexToken{lexChar, i, str[i : i+1]})
		i++
	}
	if i > len(str) {
		i = len(str) + 1 // a trailing backslash moved past the end
	}
	tokens = append(tokens, lexToken{lexEnd, i, ""})
	return tokens, nil
}

// key is a path-to-regexp Key: a named or numbered parameter, or a brace
// group.
type key struct {
	name     string // parameter name, or the decimal number of an unnamed (…) group; "" for a plain brace group
	prefix   string
	suffix   string
	pattern  string
	modifier string // "", "?", "*" or "+"
}

// token is a literal string (isKey false) or a key.
type token struct {
	text  string
	isKey bool
	key   key
}

const (
	defaultDelimiter = "/#?"
	defaultPrefixes  = "./"
)

// parse is path-to-regexp's parse(str) with default options.
func parse(str string) ([]token, error) {
	lexed, err := lex(str)
	if err != nil {
		return nil, err
	}
	var result []token
	keyNum := 0
	i := 0
	path := ""

	tryConsume := func(k lexKind) (string, bool) {
		if i < len(lexed) && lexed[i].kind == k {
			v := lexed[i].value
			i++
			return v, true
		}
		return "", false
	}
	mustConsume := func(k lexKind) error {
		if _, ok := tryConsume(k); ok {
			return nil
		}
		t := lexed[i]
		return &parseError{"Unexpected " + lexNames[t.kind] + " at " + strconv.Itoa(jsIndexEnd(str, t.index)) + ", expected " + lexNames[k]}
	}
	consumeText := func() string {
		var b strings.Builder
		for {
			v, ok := tryConsume(lexChar)
			if !ok {
				v, _ = tryConsume(lexEscapedChar)
			}
			if v == "" { // JavaScript: undefined or "" ends the loop
				return b.String()
			}
			b.WriteString(v)
		}
	}
	safePattern := func(prefix string) (string, error) {
		var prev *token
		if len(result) > 0 {
			prev = &result[len(result)-1]
		}
		prevText := prefix
		if prevText == "" && prev != nil && !prev.isKey {
			prevText = prev.text
		}
		if prev != nil && prevText == "" {
			return "", &parseError{`Must have text between two parameters, missing text after "` + prev.key.name + `"`}
		}
		if prevText == "" || strings.ContainsAny(prevText, defaultDelimiter) {
			return `[^` + escapeString(defaultDelimiter) + `]+?`, nil
		}
		return `(?:(?!` + escapeString(prevText) + `)[^` + escapeString(defaultDelimiter) + `])+?`, nil
	}

	for i < len(lexed) {
		char, hasChar := tryConsume(lexChar)
		name, _ := tryConsume(lexName)
		pattern, _ := tryConsume(lexPattern)

		if name != "" || pattern != "" {
			prefix := char
			if !hasChar || !strings.Contains(defaultPrefixes, prefix) {
				path += prefix
				prefix = ""
			}
			if path != "" {
				result = append(result, token{text: path})
				path = ""
			}
			k := key{name: name, prefix: prefix}
			if name == "" {
				k.name = strconv.Itoa(keyNum)
				keyNum++
			}
			if pattern != "" {
				k.pattern = pattern
			} else {
				p, err := safePattern(prefix)
				if err != nil {
					return nil, err
				}
				k.pattern = p
			}
			k.modifier, _ = tryConsume(lexModifier)
			result = append(result, token{isKey: true, key: k})
			continue
		}

		value := char
		if !hasChar {
			value, _ = tryConsume(lexEscapedChar)
		}
		if value != "" {
			path += value
			continue
		}

		if path != "" {
			result = append(result, token{text: path})
			path = ""
		}

		if _, ok := tryConsume(lexOpen); ok {
			prefix := consumeText()
			name, _ := tryConsume(lexName)
			pattern, _ := tryConsume(lexPattern)
			suffix := consumeText()
			if err := mustConsume(lexClose); err != nil {
				return nil, err
			}
			k := key{name: name, prefix: prefix, suffix: suffix}
			if name == "" && pattern != "" {
				k.name = strconv.Itoa(keyNum)
				keyNum++
			}
			if name != "" && pattern == "" {
				p, err := safePattern(prefix)
				if err != nil {
					return nil, err
				}
				k.pattern = p
			} else {
				k.pattern = pattern
			}
			k.modifier, _ = tryConsume(lexModifier)
			result = append(result, token{isKey: true, key: k})
			continue
		}

		if err := mustConsume(lexEnd); err != nil {
			return nil, err
		}
	}
	return result, nil
}

// jsIndexEnd is jsIndex that also accepts the offset one past the end, which
// the END token has after a trailing backslash.
func jsIndexEnd(s string, byteOff int) int {
	if byteOff > len(s) {
		return jsIndex(s, len(s)) + (byteOff - len(s))
	}
	return jsIndex(s, byteOff)
}

// escapeString is path-to-regexp's escapeString: a backslash before each of
// . + * ? = ^ ! : $ { } ( ) [ ] | / \
func escapeString(s string) string {
	if !strings.ContainsAny(s, `.+*?=^!:${}()[]|/\`) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(`.+*?=^!:${}()[]|/\`, s[i]) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// errRepeat is tokensToRegexp's "Can not repeat" error.
type errRepeat struct{ name string }

func (e *errRepeat) Error() string {
	return `Can not repeat "` + e.name + `" without a prefix and suffix`
}

// tokensToRegexp is path-to-regexp's tokensToRegexp(tokens) with default
// options. It returns the regex source as handed to new RegExp.
func tokensToRegexp(tokens []token) (string, error) {
	var b strings.Builder
	b.WriteByte('^')
	for _, t := range tokens {
		if !t.isKey {
			b.WriteString(escapeString(t.text))
			continue
		}
		k := t.key
		prefix := escapeString(k.prefix)
		suffix := escapeString(k.suffix)
		if k.pattern == "" {
			b.WriteString("(?:" + prefix + suffix + ")" + k.modifier)
			continue
		}
		repeat := k.modifier == "+" || k.modifier == "*"
		switch {
		case (prefix != "" || suffix != "") && repeat:
			mod := ""
			if k.modifier == "*" {
				mod = "?"
			}
			b.WriteString("(?:" + prefix + "((?:" + k.pattern + ")(?:" + suffix + prefix + "(?:" + k.pattern + "))*)" + suffix + ")" + mod)
		case prefix != "" || suffix != "":
			b.WriteString("(?:" + prefix + "(" + k.pattern + ")" + suffix + ")" + k.modifier)
		case repeat:
			return "", &errRepeat{k.name}
		default:
			b.WriteString("(" + k.pattern + ")" + k.modifier)
		}
	}
	b.WriteString(`[\/#\?]?$`)
	return b.String(), nil
}

// normalizeTokensForRegexp is Next's fallback for the "Can not repeat"
// error: every repeated key with neither prefix nor suffix gets the prefix
// "/" (route-pattern-normalizer.ts). So /foo:bar* matches /foo/x, not /foox.
func normalizeTokensForRegexp(tokens []token) []token {
	out := make([]token, len(tokens))
	copy(out, tokens)
	for i := range out {
		k := &out[i].key
		if out[i].isKey && (k.modifier == "*" || k.modifier == "+") && k.prefix == "" && k.suffix == "" {
			k.prefix = "/"
		}
	}
	return out
}

// jsRegexSource returns what RegExp.prototype.source gives for a regex built
// from src in V8: an unescaped "/" outside a character class becomes "\/",
// and line terminators become escapes. Next stores this string in its
// middleware manifest and compiles it again, so it is the regex authgo uses.
func jsRegexSource(src string) string {
	if src == "" {
		return "(?:)"
	}
	var b strings.Builder
	b.Grow(len(src) + 16)
	inClass := false
	for i := 0; i < len(src); {
		r, size := utf8.DecodeRuneInString(src[i:])
		switch {
		case r == '\\':
			next, nsize := utf8.DecodeRuneInString(src[i+size:])
			if nsize > 0 && isLineTerminator(next) {
				// The backslash is dropped: the terminator is escaped below.
				i += size
				continue
			}
			b.WriteString(src[i : i+size+nsize])
			i += size + nsize
			continue
		case r == '/' && !inClass:
			b.WriteString(`\/`)
		case r == '[':
			inClass = true
			b.WriteRune(r)
		case r == ']':
			inClass = false
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == 0x2028:
			b.WriteString(`\u2028`)
		case r == 0x2029:
			b.WriteString(`\u2029`)
		default:
			b.WriteString(src[i : i+size])
		}
		i += size
	}
	return b.String()
}

func isLineTerminator(r rune) bool {
	return r == '\n' || r == '\r' || r == 0x2028 || r == 0x2029
}
