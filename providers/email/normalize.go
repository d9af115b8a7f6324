package email

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/language"
	"golang.org/x/text/unicode/norm"
)

// Errors of Normalize.
var (
	// ErrMissing is an empty address.
	ErrMissing = errors.New("email: missing email address")
	// ErrInvalid is an address the normaliser refuses.
	ErrInvalid = errors.New("email: invalid email address")
)

// Lengths of RFC 5321 §4.5.3.1: a local part of at most 64 octets, a
// domain of at most 255, and a path (<local@domain>) of at most 256, so an
// address of at most 254.
const (
	maxLocal   = 64
	maxDomain  = 255
	maxAddress = 254
	// maxInput bounds the work done on a posted value before it is
	// refused: NFKC can grow a string, so it is checked before and after.
	maxInput = 4 * maxAddress
)

var lower = cases.Lower(language.Und)

// AuthJSNormalize is the default address normaliser of @auth/core 0.41.3
// (its defaultNormalizer), as it behaves: NFKC, lower case (full Unicode
// case mapping, as JavaScript's toLowerCase), surrounding white space
// trimmed, a double quote refused, exactly one '@' with text on both sides,
// and the domain cut at its first comma. It is what a Next.js app on the
// same database stores as the identifier. [Normalize] is this and more.
func AuthJSNormalize(email string) (string, error) {
	if email == "" {
		return "", ErrMissing
	}
	s := strings.TrimFunc(lower.String(norm.NFKC.String(email)), jsSpace)
	if strings.Contains(s, `"`) {
		return "", ErrInvalid
	}
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || domain == "" || strings.Contains(domain, "@") {
		return "", ErrInvalid
	}
	domain, _, _ = strings.Cut(domain, ",")
	if domain == "" {
		return "", ErrInvalid
	}
	return local + "@" + domain, nil
}

// jsSpace reports what JavaScript's String.prototype.trim removes: white
// space, line terminators and the byte order mark.
func jsSpace(r rune) bool {
	return unicode.Is(unicode.White_Space, r) || r == '\ufeff'
}

// Normalize is the address normaliser of the providers this package
// builds: [AuthJSNormalize], whose result it returns unchanged, after
// refusing what Auth.js lets through and a mail system could read another
// way. It refuses
//
//   - a list: a comma anywhere ("a@x.com,b@y.com", which Auth.js cuts to
//     its first address; GHSA-xv97-c62v-4587);
//   - quotes, and a second '@' however it is written: the fullwidth and
//     small commercial at (U+FF20, U+FE6B) become '@' under NFKC before
//     they are counted (GHSA-5jpx-9hw9-2fx4, GHSA-7rqj-j65f-68wh);
//   - control characters (CR and LF would start a new mail header) and
//     white space inside the address (around it they are trimmed), and the characters that delimit addresses, comments and
//     routes in a header: <>()[]\;: and the backtick;
//   - an address, local part or domain longer than RFC 5321 allows (254,
//     64 and 255 octets), a domain label longer than 63 octets;
//   - a domain that is not dot-separated labels of letters, digits and
//     hyphens (internationalised letters allowed), and a local part or
//     domain that begins or ends with a dot or has two in a row.
//
// Both functions return ErrMissing or ErrInvalid, never the address.
func Normalize(email string) (string, error) {
	if len(email) > maxInput {
		return "", ErrInvalid
	}
	if !utf8.ValidString(email) {
		return "", ErrInvalid
	}
	for _, r := range strings.TrimFunc(email, jsSpace) {
		// Checked on the input too (white space around it aside, which
		// both trim): NFKC must not make a line break or a list
		// disappear before the checks below.
		if r == ',' || unicode.IsControl(r) {
			return "", ErrInvalid
		}
	}
	s, err := AuthJSNormalize(email)
	if err != nil {
		return "", err
	}
	if len(s) > maxAddress {
		return "", ErrInvalid
	}
	local, domain, _ := strings.Cut(s, "@")
	if len(local) > maxLocal || len(domain) > maxDomain {
		return "", ErrInvalid
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) || strings.ContainsRune("<>()[]\\;:`,\"", r) {
			return "", ErrInvalid
		}
	}
	if !dotted(local) {
		return "", ErrInvalid
	}
	for label := range strings.SplitSeq(domain, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return "", ErrInvalid
		}
		for _, r := range label {
			if !(r == '-' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r)) {
				return "", ErrInvalid
			}
		}
	}
	return s, nil
}

// dotted reports whether s neither begins nor ends with a dot and has no
// two in a row.
func dotted(s string) bool {
	return s != "" && s[0] != '.' && s[len(s)-1] != '.' && !strings.Contains(s, "..")
}
