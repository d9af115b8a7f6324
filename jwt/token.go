package jwt

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/authgo/authgo/internal/jsonw"
)

// Token is the claims set inside an Auth.js session token: the claims
// Auth.js itself writes, typed, and every other claim in Extra, so a token
// minted by a Next.js app with custom claims survives a decode and re-encode
// in Go unchanged.
//
// A standard claim that arrives with a JSON type other than the one below
// (Auth.js writes "picture": null for an OAuth user without an avatar) is
// kept in Extra under its own name, so it round-trips too. The time claims
// and "sub" and "jti" are checked instead: a wrong type there makes the
// token invalid.
type Token struct {
	Name    string // "name"
	Email   string // "email"
	Picture string // "picture" (the session's user.image)
	Subject string // "sub": the user's id

	IssuedAt  int64  // "iat", Unix seconds; set by Encode
	ExpiresAt int64  // "exp", Unix seconds; set by Encode
	NotBefore int64  // "nbf", Unix seconds; 0 when absent
	ID        string // "jti"; set by Encode

	// Extra holds every other claim, decoded as encoding/json decodes into
	// an any (numbers are float64). Values must be JSON-serialisable.
	Extra map[string]any
}

// The standard claims, in the order Auth.js writes them.
var standard = []string{"name", "email", "picture", "sub", "nbf", "iat", "exp", "jti"}

// Claim returns the claim called name, standard or extra, as it would
// appear in the JSON: a string, a float64, a bool, nil, []any or
// map[string]any. ok is false when the token has no such claim.
func (t *Token) Claim(name string) (v any, ok bool) {
	switch name {
	case "name":
		if t.Name != "" {
			return t.Name, true
		}
	case "email":
		if t.Email != "" {
			return t.Email, true
		}
	case "picture":
		if t.Picture != "" {
			return t.Picture, true
		}
	case "sub":
		return t.Subject, t.Subject != ""
	case "iat":
		return float64(t.IssuedAt), t.IssuedAt != 0
	case "exp":
		return float64(t.ExpiresAt), t.ExpiresAt != 0
	case "nbf":
		return float64(t.NotBefore), t.NotBefore != 0
	case "jti":
		return t.ID, t.ID != ""
	}
	v, ok = t.Extra[name]
	return v, ok
}

// StringClaim returns the extra claim name when it is a string.
func (t *Token) StringClaim(name string) string {
	s, _ := t.Extra[name].(string)
	return s
}

// Int returns the extra claim name when it is a whole number.
func (t *Token) Int(name string) (int64, bool) {
	f, ok := t.Extra[name].(float64)
	if !ok || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, false
	}
	return int64(f), true
}

// Set stores v under an extra claim name, allocating Extra when needed.
// For "name", "email" and "picture", a value in Extra is written only while
// the typed field is empty (that is how a null or non-string value
// round-trips); "sub", "iat", "exp", "nbf" and "jti" in Extra are never
// written: use the typed fields.
func (t *Token) Set(name string, v any) {
	if t.Extra == nil {
		t.Extra = make(map[string]any)
	}
	t.Extra[name] = v
}

// Clone returns a copy whose Extra map can be changed without touching t.
// Values inside Extra are shared.
func (t *Token) Clone() *Token {
	c := *t
	if t.Extra != nil {
		c.Extra = make(map[string]any, len(t.Extra))
		for k, v := range t.Extra {
			c.Extra[k] = v
		}
	}
	return &c
}

// MarshalJSON writes the claims as one JSON object. Empty standard claims are
// left out; an Extra entry never duplicates a standard claim that is set.
func (t Token) MarshalJSON() ([]byte, error) {
	return t.AppendJSON(make([]byte, 0, 256))
}

// AppendJSON appends MarshalJSON's output to b: the encoder of every
// session write, so it allocates only for extra claims that are not
// strings or numbers.
func (t *Token) AppendJSON(b []byte) ([]byte, error) {
	b = append(b, '{')
	n := len(b)
	var err error
	member := func(b []byte, name string) []byte {
		if len(b) > n {
			b = append(b, ',')
		}
		b = jsonw.String(b, name)
		return append(b, ':')
	}
	str := func(b []byte, name, v string) ([]byte, error) {
		if v != "" {
			return jsonw.String(member(b, name), v), nil
		}
		if x, ok := t.Extra[name]; ok {
			return appendClaim(member(b, name), name, x)
		}
		return b, nil
	}
	if b, err = str(b, "name", t.Name); err != nil {
		return nil, err
	}
	if b, err = str(b, "email", t.Email); err != nil {
		return nil, err
	}
	if b, err = str(b, "picture", t.Picture); err != nil {
		return nil, err
	}
	if t.Subject != "" {
		b = jsonw.String(member(b, "sub"), t.Subject)
	}
	if len(t.Extra) > 0 {
		var buf [16]string
		keys := buf[:0]
		for k := range t.Extra {
			if !slices.Contains(standard, k) {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			if b, err = appendClaim(member(b, k), k, t.Extra[k]); err != nil {
				return nil, err
			}
		}
	}
	for _, c := range [...]struct {
		name string
		v    int64
	}{{"nbf", t.NotBefore}, {"iat", t.IssuedAt}, {"exp", t.ExpiresAt}} {
		if c.v != 0 {
			b = strconv.AppendInt(member(b, c.name), c.v, 10)
		}
	}
	if t.ID != "" {
		b = jsonw.String(member(b, "jti"), t.ID)
	}
	return append(b, '}'), nil
}

// appendClaim appends an extra claim's value, naming the claim in an
// error.
func appendClaim(b []byte, name string, v any) ([]byte, error) {
	b, err := jsonw.Value(b, v)
	if err != nil {
		return nil, fmt.Errorf("jwt: claim %q: %w", name, err)
	}
	return b, nil
}

// maxTime is the last second of year 9999: a time claim beyond it is not a
// time any issuer meant.
const maxTime = 253402300799

var errClaimType = errors.New("jwt: claim has the wrong type")

// UnmarshalJSON reads a claims object. The time claims must be whole numbers
// between 0 and year 9999, "sub" a non-empty string and "jti" a string;
// anything else is an error rather than a silent coercion. A member that
// appears twice counts once, with its last value, as in JavaScript.
//
// Session reads run this on every request, so the top level is walked by
// hand over input json.Valid has checked, and only members other than the
// standard claims go through encoding/json.
func (t *Token) UnmarshalJSON(data []byte) error {
	if !json.Valid(data) {
		return errors.New("jwt: claims are not valid JSON")
	}
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return errors.New("jwt: claims are not an object")
	}
	*t = Token{}
	i = skipSpace(data, i+1)
	if data[i] == '}' {
		return nil
	}
	for {
		kEnd := skipValue(data, i)
		key, err := jsonString(data[i:kEnd])
		if err != nil {
			return err
		}
		i = skipSpace(data, kEnd)
		i = skipSpace(data, i+1) // the colon
		vEnd := skipValue(data, i)
		if err := t.setClaim(key, data[i:vEnd]); err != nil {
			return err
		}
		i = skipSpace(data, vEnd)
		if data[i] == '}' {
			return nil
		}
		i = skipSpace(data, i+1) // the comma
	}
}

func (t *Token) setClaim(key string, raw []byte) error {
	var err error
	switch key {
	case "name", "email", "picture":
		if raw[0] != '"' {
			var v any
			json.Unmarshal(raw, &v)
			t.Set(key, v)
			return nil
		}
		s, err := jsonString(raw)
		if err != nil {
			return err
		}
		delete(t.Extra, key)
		if s == "" {
			t.Set(key, "") // keep "name":"" apart from no name at all
			return nil
		}
		switch key {
		case "name":
			t.Name = s
		case "email":
			t.Email = s
		default:
			t.Picture = s
		}
	case "sub":
		s, err := jsonString(raw)
		if err != nil || s == "" {
			return fmt.Errorf("%w: sub", errClaimType)
		}
		t.Subject = s
	case "jti":
		s, err := jsonString(raw)
		if err != nil {
			return fmt.Errorf("%w: jti", errClaimType)
		}
		t.ID = s
	case "iat":
		t.IssuedAt, err = timeClaim(key, raw)
	case "exp":
		t.ExpiresAt, err = timeClaim(key, raw)
	case "nbf":
		t.NotBefore, err = timeClaim(key, raw)
	default:
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return fmt.Errorf("jwt: claim %q: %w", key, err)
		}
		t.Set(key, v)
	}
	return err
}

// The scanners below assume input json.Valid accepted.

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the index just past the value starting at b[i].
func skipValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		for j := i + 1; j < len(b); j++ {
			switch b[j] {
			case '\\':
				j++
			case '"':
				return j + 1
			}
		}
		return len(b)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				j = skipValue(b, j) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return len(b)
	}
	j := i
	for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\t' && b[j] != '\n' && b[j] != '\r' {
		j++
	}
	return j
}

// jsonString decodes a JSON string literal; one without escapes is sliced.
func jsonString(raw []byte) (string, error) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", errClaimType
	}
	inner := raw[1 : len(raw)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return string(inner), nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", errClaimType
	}
	return s, nil
}

func timeClaim(name string, raw []byte) (int64, error) {
	if c := raw[0]; c != '-' && (c < '0' || c > '9') {
		return 0, fmt.Errorf("%w: %s", errClaimType, name)
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || f != math.Trunc(f) || f < 0 || f > maxTime {
		return 0, fmt.Errorf("%w: %s", errClaimType, name)
	}
	return int64(f), nil
}

// newUUID returns a random version 4 UUID in lowercase, as
// crypto.randomUUID() does for Auth.js's jti.
func newUUID(r [16]byte) string {
	r[6] = r[6]&0x0f | 0x40
	r[8] = r[8]&0x3f | 0x80
	const hex = "0123456789abcdef"
	var sb strings.Builder
	sb.Grow(36)
	for i, c := range r {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			sb.WriteByte('-')
		}
		sb.WriteByte(hex[c>>4])
		sb.WriteByte(hex[c&15])
	}
	return sb.String()
}
