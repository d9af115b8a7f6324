// Package cookie knows the Auth.js cookies: their names over http and https,
// their attributes, how the request's Cookie header is read, and how a
// session token too long for one cookie is split into numbered chunks and put
// back together.
package cookie

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ChunkSize is the longest value Auth.js puts in one cookie: 4096 minus 160
// bytes left for the name and attributes.
const ChunkSize = 4096 - 160

// MaxChunks caps how many chunks a session token may arrive in. Eight chunks
// hold more than 31,000 characters, several times what a browser keeps for
// one site in practice.
const MaxChunks = 8

// Base names of the Auth.js cookies, without the __Secure- / __Host- prefix.
const (
	SessionToken     = "authjs.session-token"
	CallbackURL      = "authjs.callback-url"
	CSRFToken        = "authjs.csrf-token"
	PKCECodeVerifier = "authjs.pkce.code_verifier"
	State            = "authjs.state"
	Nonce            = "authjs.nonce"
	// Challenge holds a WebAuthn (passkey) ceremony's challenge.
	Challenge = "authjs.challenge"
	// SignInForm is authgo's own, not Auth.js's: the built-in sign-in
	// page's non-secret fields after a failed credentials sign-in.
	SignInForm = "authgo.signin-form"
)

// Names are the cookie names in effect for one scheme.
type Names struct {
	Secure           bool
	SessionToken     string
	CallbackURL      string
	CSRFToken        string
	PKCECodeVerifier string
	State            string
	Nonce            string
	SignInForm       string
	Challenge        string
	// Domain, when set, is every cookie's Domain attribute, so that the
	// cookies reach sibling subdomains; the CSRF cookie is then named
	// __Secure- over https, since __Host- forbids a domain.
	Domain string
}

// WithDomain returns n with every cookie scoped to domain ("" leaves n
// host-only).
func (n Names) WithDomain(domain string) Names {
	if domain == "" {
		return n
	}
	n.Domain = domain
	if n.Secure {
		n.CSRFToken = "__Secure-" + CSRFToken
	}
	return n
}

// NamesFor returns the Auth.js names: plain over http; over https every name
// gets __Secure- except the CSRF cookie, which gets __Host-.
func NamesFor(secure bool) Names {
	if !secure {
		return Names{false, SessionToken, CallbackURL, CSRFToken, PKCECodeVerifier, State, Nonce, SignInForm, Challenge, ""}
	}
	s := "__Secure-"
	return Names{true, s + SessionToken, s + CallbackURL, "__Host-" + CSRFToken, s + PKCECodeVerifier, s + State, s + Nonce, s + SignInForm, s + Challenge, ""}
}

// Jar is the request's cookies in header order.
type Jar []Pair

// Pair is one name=value from a Cookie header. Value is as sent; Get and
// ReadChunked percent-decode it.
type Pair struct{ Name, Value string }

// maxPairs bounds the work done on a hostile Cookie header; the server's
// MaxHeaderBytes bounds its size.
const maxPairs = 256

// ParsePrefix is Parse keeping only the cookies whose name starts with
// prefix: what a session read needs, without the rest of the header.
func ParsePrefix(h http.Header, prefix string) Jar {
	var j Jar
	for _, line := range h["Cookie"] {
		if !strings.Contains(line, prefix) {
			continue
		}
		for line != "" && len(j) < maxPairs {
			var part string
			part, line, _ = strings.Cut(line, ";")
			name, value, ok := strings.Cut(part, "=")
			if !ok {
				continue
			}
			if name = strings.TrimSpace(name); strings.HasPrefix(name, prefix) {
				j = append(j, Pair{name, strings.TrimSpace(value)})
			}
		}
	}
	return j
}

// Parse reads every Cookie header of h the way Auth.js does: pairs split on
// ";", blanks trimmed, surrounding quotes kept, pairs without "=" skipped.
// Values are percent-decoded when read (Get, ReadChunked), not here: most
// requests read one or two of their cookies.
func Parse(h http.Header) Jar {
	n := 0
	for _, line := range h["Cookie"] {
		n += strings.Count(line, ";") + 1
	}
	if n == 0 {
		return nil
	}
	j := make(Jar, 0, min(n, maxPairs))
	for _, line := range h["Cookie"] {
		for line != "" && len(j) < maxPairs {
			var part string
			part, line, _ = strings.Cut(line, ";")
			name, value, ok := strings.Cut(part, "=")
			if !ok {
				continue
			}
			name = strings.TrimSpace(name)
			value = strings.TrimSpace(value)
			if name == "" {
				continue
			}
			j = append(j, Pair{name, value})
		}
	}
	return j
}

// Get returns the first value sent under name, as Auth.js does,
// percent-decoded when it contains "%" (kept as sent if that fails).
func (j Jar) Get(name string) (string, bool) {
	for _, p := range j {
		if p.Name == name {
			return decode(p.Value), true
		}
	}
	return "", false
}

func decode(v string) string {
	if strings.IndexByte(v, '%') < 0 {
		return v
	}
	if d, err := url.PathUnescape(v); err == nil {
		return d
	}
	return v
}

// ErrChunks reports a set of session cookies that does not form one token:
// a bare cookie beside chunks, a missing or repeated chunk, too many chunks,
// or a name that only starts like the session cookie.
var ErrChunks = errors.New("cookie: inconsistent session cookie chunks")

// ReadChunked reassembles the value stored under name, whole or as
// name.0, name.1, …. It also returns every distinct cookie name starting with
// name that carried a value, so the caller can delete them all (Auth.js
// clears everything it read before writing a new token).
//
// It is stricter than Auth.js, which concatenates whatever starts with name
// in numeric order: here an index must be canonical ("1", not "01" or "+1"),
// the chunks must run from 0 without a gap, and a stray name poisons the
// set. An empty value with no error means no session cookie.
func ReadChunked(j Jar, name string) (value string, present []string, err error) {
	var bare string
	var hasBare bool
	var chunks [MaxChunks]string
	var have [MaxChunks]bool
	n, bad := 0, false
	for _, p := range j {
		if !strings.HasPrefix(p.Name, name) || p.Value == "" || slices.Contains(present, p.Name) || !ValidName(p.Name) {
			// A name that is no cookie token was not written by us, and
			// could not be deleted either.
			continue
		}
		present = append(present, p.Name)
		v := decode(p.Value)
		rest := p.Name[len(name):]
		if rest == "" {
			bare, hasBare = v, true
			continue
		}
		i, ok := chunkIndex(rest)
		if !ok {
			bad = true
			continue
		}
		chunks[i], have[i] = v, true
		n++
	}
	switch {
	case bad || (hasBare && n > 0):
		return "", present, ErrChunks
	case hasBare:
		return bare, present, nil
	case n == 0:
		return "", present, nil
	}
	var sb strings.Builder
	for i := 0; i < n; i++ {
		if !have[i] {
			return "", present, ErrChunks
		}
		sb.WriteString(chunks[i])
	}
	return sb.String(), present, nil
}

// chunkIndex parses ".N" with N a canonical decimal below MaxChunks.
func chunkIndex(s string) (int, bool) {
	if len(s) < 2 || s[0] != '.' {
		return 0, false
	}
	d := s[1:]
	if len(d) > 1 && d[0] == '0' {
		return 0, false
	}
	for i := 0; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return 0, false
		}
	}
	i, err := strconv.Atoi(d)
	if err != nil || i >= MaxChunks {
		return 0, false
	}
	return i, true
}

// Split cuts value into the cookies Auth.js would write: one cookie under
// name when it fits in ChunkSize, otherwise name.0, name.1, ….
func Split(name, value string) []Pair {
	if value == "" {
		return nil
	}
	if len(value) <= ChunkSize {
		return []Pair{{name, value}}
	}
	var out []Pair
	for i := 0; len(value) > 0; i++ {
		n := min(ChunkSize, len(value))
		out = append(out, Pair{name + "." + strconv.Itoa(i), value[:n]})
		value = value[n:]
	}
	return out
}

// New builds a cookie with the Auth.js attributes: Path=/, HttpOnly,
// SameSite=Lax, Secure when n.Secure, and n.Domain when set. The value is written the way
// JavaScript's encodeURIComponent writes it. A zero expires makes a browser
// session cookie.
func New(name, value string, n Names, expires time.Time) *http.Cookie {
	return &http.Cookie{
		Name:     name,
		Value:    encodeURIComponent(value),
		Path:     "/",
		Domain:   n.Domain,
		Expires:  expires,
		HttpOnly: true,
		Secure:   n.Secure,
		SameSite: http.SameSiteLaxMode,
	}
}

// Expired builds the deletion of name: empty value and Max-Age=0.
func Expired(name string, n Names) *http.Cookie {
	c := New(name, "", n, time.Time{})
	c.MaxAge = -1
	return c
}

// encodeURIComponent escapes everything but A–Z a–z 0–9 - _ . ! ~ * ' ( ).
func encodeURIComponent(s string) string {
	const hex = "0123456789ABCDEF"
	n := 0
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) {
			b = append(b, c)
		} else {
			b = append(b, '%', hex[c>>4], hex[c&15])
		}
	}
	return string(b)
}

func unreserved(c byte) bool { return unreservedTable[c] }

var unreservedTable = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("-_.!~*'()", byte(c)) >= 0
	}
	return t
}()

// Queue collects the Set-Cookie headers of one response. A later cookie of
// the same name replaces an earlier one, so "delete everything read, then
// write the new chunks" leaves one header per name. The zero value is ready.
type Queue struct{ list []*http.Cookie }

// Set queues c, replacing a queued cookie of the same name.
func (q *Queue) Set(c *http.Cookie) {
	for i, o := range q.list {
		if o.Name == c.Name {
			q.list[i] = c
			return
		}
	}
	q.list = append(q.list, c)
}

// Len reports how many cookies are queued.
func (q *Queue) Len() int { return len(q.list) }

// Cookies returns the queued cookies in order.
func (q *Queue) Cookies() []*http.Cookie { return q.list }

// Write adds one Set-Cookie header per queued cookie. A cookie that
// net/http would silently drop or alter is an error instead.
func (q *Queue) Write(h http.Header) error {
	lines := slices.Grow(h["Set-Cookie"], len(q.list))
	for _, c := range q.list {
		line, err := format(c)
		if err != nil {
			return err
		}
		lines = append(lines, line)
	}
	if len(lines) > 0 {
		h["Set-Cookie"] = lines
	}
	return nil
}

// ValidName reports whether name is an RFC 6265 cookie name (an HTTP
// token), one that a Set-Cookie header can carry.
func ValidName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		if b := name[i]; b <= ' ' || b >= 0x7f || strings.IndexByte("()<>@,;:\\\"/[]?={}", b) >= 0 {
			return false
		}
	}
	return true
}

// format writes c as http.Cookie.String does for the attributes Auth.js
// cookies use, refusing (instead of silently dropping) a bad name or value.
// It is on the path of every session read.
func format(c *http.Cookie) (string, error) {
	if c.Name == "" || !validDomain(c.Domain) || c.Partitioned || c.Quoted || c.Raw != "" || len(c.Unparsed) > 0 {
		return "", fmt.Errorf("cookie: %q: unsupported attributes", c.Name)
	}
	if !ValidName(c.Name) {
		return "", fmt.Errorf("cookie: invalid name %q", c.Name)
	}
	for i := 0; i < len(c.Value); i++ {
		if b := c.Value[i]; b <= ' ' || b >= 0x7f || b == '"' || b == ',' || b == ';' || b == '\\' {
			return "", fmt.Errorf("cookie: %s: invalid value", c.Name)
		}
	}
	var b strings.Builder
	b.Grow(len(c.Name) + len(c.Value) + 110)
	b.WriteString(c.Name)
	b.WriteByte('=')
	b.WriteString(c.Value)
	if c.Path != "" {
		b.WriteString("; Path=")
		b.WriteString(c.Path)
	}
	if c.Domain != "" {
		b.WriteString("; Domain=")
		b.WriteString(c.Domain)
	}
	if !c.Expires.IsZero() {
		if c.Expires.Year() < 1601 {
			return "", fmt.Errorf("cookie: %s: expires before 1601", c.Name)
		}
		b.WriteString("; Expires=")
		var tb [40]byte
		b.Write(c.Expires.UTC().AppendFormat(tb[:0], http.TimeFormat))
	}
	if c.MaxAge > 0 {
		b.WriteString("; Max-Age=")
		b.WriteString(strconv.Itoa(c.MaxAge))
	} else if c.MaxAge < 0 {
		b.WriteString("; Max-Age=0")
	}
	if c.HttpOnly {
		b.WriteString("; HttpOnly")
	}
	if c.Secure {
		b.WriteString("; Secure")
	}
	switch c.SameSite {
	case http.SameSiteLaxMode:
		b.WriteString("; SameSite=Lax")
	case http.SameSiteStrictMode:
		b.WriteString("; SameSite=Strict")
	case http.SameSiteNoneMode:
		b.WriteString("; SameSite=None")
	}
	return b.String(), nil
}

// validDomain accepts "" (host-only) or lowercase letters, digits, "-"
// and "." (the root package checks the whole domain name).
func validDomain(d string) bool {
	for i := 0; i < len(d); i++ {
		c := d[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}
