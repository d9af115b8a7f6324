// Package jwt reads and writes Auth.js v5 session tokens: the encrypted JWT
// (a JWE, "alg":"dir", "enc":"A256CBC-HS512") that Auth.js and NextAuth keep
// in the authjs.session-token cookie.
//
// A Go API server behind a Next.js front end can use this package on its own
// to read the session cookie the Next.js app set, given the same AUTH_SECRET:
//
//	codec, err := jwt.NewCodec(jwt.Options{Secrets: []string{os.Getenv("AUTH_SECRET")}})
//	…
//	tok, err := codec.GetToken(r, nil) // nil, nil when the request has no session
//
// # Wire format
//
// The key is HKDF-SHA256(secret, salt, "Auth.js Generated Encryption Key
// (<salt>)", 64 bytes), and the salt is the session cookie's name, so a token
// issued over http ("authjs.session-token") does not open under the https
// name ("__Secure-authjs.session-token"). The protected header carries the
// key's RFC 7638 thumbprint as "kid"; with several secrets (newest first) the
// first one encrypts and Decode picks the one whose thumbprint matches, which
// is how a secret is rotated. A header without "kid" is tried with the first
// secret only, as Auth.js does.
//
// # Validation
//
// Decode accepts what Auth.js's decode accepts, with a 15-second clock
// tolerance on "exp" and "nbf", and refuses a little more: a missing "exp",
// an "iat" in the future, time claims that are not whole numbers in range,
// an empty or non-string "sub", and any protected header other than alg dir
// with enc A256CBC-HS512 or A256GCM, an optional kid, typ and cty.
//
// Keys are derived once, when a [Codec] is made (or on the first use of a
// salt it was not told about); the package-level [Encode] and [Decode]
// derive them on every call and suit tools and tests.
package jwt

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/authgo/authgo/internal/cookie"
	"github.com/authgo/authgo/internal/jwe"
)

// Cookie names, which are also the key-derivation salts.
const (
	// CookieName is the session cookie over http.
	CookieName = "authjs.session-token"
	// SecureCookieName is the session cookie over https.
	SecureCookieName = "__Secure-authjs.session-token"
)

// DefaultMaxAge is Auth.js's session lifetime: 30 days.
const DefaultMaxAge = 30 * 24 * time.Hour

// ClockTolerance is how far "exp" and "nbf" may be off, as in Auth.js.
const ClockTolerance = 15 * time.Second

// Errors from Decode. Every decode failure wraps ErrInvalid; expiry and
// not-yet-valid are told apart because callers log them differently.
var (
	ErrInvalid     = errors.New("jwt: invalid session token")
	ErrExpired     = fmt.Errorf("%w: expired", ErrInvalid)
	ErrNotYetValid = fmt.Errorf("%w: not yet valid", ErrInvalid)
)

// Options configure a Codec.
type Options struct {
	// Secrets, newest first. The first encrypts; all decrypt. Required.
	// The jwt package accepts secrets of any length (Auth.js's own test
	// vectors use short ones); authgo.New insists on 32 bytes.
	Secrets []string
	// MaxAge is the lifetime Encode writes into "exp". Zero means
	// DefaultMaxAge.
	MaxAge time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Salts whose keys are derived up front, besides CookieName and
	// SecureCookieName.
	Salts []string
	// CacheSize is how many decoded tokens the Codec remembers, so that a
	// cookie sent again is not decrypted again (expiry is still checked on
	// every use). Zero means 1024; a negative value turns the cache off.
	CacheSize int
}

// Codec encodes and decodes session tokens with keys derived once. It is
// immutable and safe for concurrent use.
type Codec struct {
	secrets []string
	maxAge  time.Duration
	now     func() time.Time
	rings   sync.Map // salt → *jwe.Keyring
	cache   *decodeCache
}

// NewCodec derives the keys for the default cookie names (and o.Salts) and
// returns a Codec. It fails when there is no secret or one is empty.
func NewCodec(o Options) (*Codec, error) {
	if len(o.Secrets) == 0 {
		return nil, errors.New("jwt: no secret")
	}
	c := &Codec{secrets: append([]string(nil), o.Secrets...), maxAge: o.MaxAge, now: o.Now}
	if c.maxAge == 0 {
		c.maxAge = DefaultMaxAge
	}
	if c.maxAge < 0 {
		return nil, errors.New("jwt: negative MaxAge")
	}
	if c.now == nil {
		c.now = time.Now
	}
	switch {
	case o.CacheSize == 0:
		c.cache = &decodeCache{max: 1024}
	case o.CacheSize > 0:
		c.cache = &decodeCache{max: o.CacheSize}
	}
	for _, salt := range append([]string{CookieName, SecureCookieName}, o.Salts...) {
		if _, err := c.keyring(salt); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (c *Codec) keyring(salt string) (*jwe.Keyring, error) {
	if kr, ok := c.rings.Load(salt); ok {
		return kr.(*jwe.Keyring), nil
	}
	kr, err := jwe.NewKeyring(c.secrets, salt)
	if err != nil {
		return nil, fmt.Errorf("jwt: %w", err)
	}
	actual, _ := c.rings.LoadOrStore(salt, kr)
	return actual.(*jwe.Keyring), nil
}

// MaxAge returns the lifetime Encode uses by default.
func (c *Codec) MaxAge() time.Duration { return c.maxAge }

// Encode seals t for the cookie named salt. Like Auth.js it sets "iat" to
// now, "exp" to now+maxAge (the Codec's MaxAge when maxAge is zero) and a
// fresh random "jti", whatever t held; t itself is not changed. A nil t
// encodes just those three claims.
func (c *Codec) Encode(salt string, t *Token, maxAge time.Duration) (string, error) {
	kr, err := c.keyring(salt)
	if err != nil {
		return "", err
	}
	if maxAge == 0 {
		maxAge = c.maxAge
	}
	var claims Token
	if t != nil {
		claims = *t
	}
	now := c.now().Unix()
	claims.IssuedAt = now
	claims.ExpiresAt = now + int64(maxAge/time.Second)
	var r [16]byte
	rand.Read(r[:])
	claims.ID = newUUID(r)
	bp := plaintexts.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= 16<<10 {
			plaintexts.Put(bp)
		}
	}()
	pt, err := claims.AppendJSON((*bp)[:0])
	if err != nil {
		return "", err
	}
	*bp = pt
	return kr.Seal(pt)
}

// plaintexts are Encode's buffers for the claims JSON, which Seal
// encrypts into a string of its own.
var plaintexts = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// Decode opens token (issued for the cookie named salt) and validates its
// claims. An empty token is (nil, nil): no session, not an error. Every
// failure wraps ErrInvalid.
func (c *Codec) Decode(salt, token string) (*Token, error) {
	t, _, err := c.decode(salt, token, false)
	return t, err
}

// DecodeShared is Decode for a caller that only reads the token, on a hot
// path: a token decoded before whose Extra holds no map or slice (only
// strings, numbers, booleans and nulls) comes back as the decode cache's
// own copy, shared with every other caller, and shared is true. A shared
// token must not be changed, nor its Extra map; its Clone is a copy that
// shares nothing changeable with it. Otherwise it is Decode, with shared
// false. The token is validated (its time claims checked) on every call
// either way.
func (c *Codec) DecodeShared(salt, token string) (t *Token, shared bool, err error) {
	return c.decode(salt, token, true)
}

func (c *Codec) decode(salt, token string, share bool) (*Token, bool, error) {
	if token == "" {
		return nil, false, nil
	}
	now := c.now()
	if t, shared := c.cache.get(salt, token, share); t != nil {
		if err := t.validate(now); err != nil {
			return nil, false, err
		}
		return t, shared, nil
	}
	kr, err := c.keyring(salt)
	if err != nil {
		return nil, false, err
	}
	t, err := decodeWith(kr, token, now)
	if err == nil {
		c.cache.put(salt, token, t)
	}
	return t, false, err
}

func decodeWith(o jwe.Opener, token string, now time.Time) (*Token, error) {
	pt, err := o.Open(token)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if !utf8.Valid(pt) {
		return nil, fmt.Errorf("%w: payload is not UTF-8", ErrInvalid)
	}
	t := new(Token)
	if err := t.UnmarshalJSON(pt); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if err := t.validate(now); err != nil {
		return nil, err
	}
	return t, nil
}

func (t *Token) validate(now time.Time) error {
	tol := int64(ClockTolerance / time.Second)
	n := now.Unix()
	switch {
	case t.ExpiresAt == 0:
		return fmt.Errorf("%w: no exp claim", ErrInvalid)
	case t.ExpiresAt <= n-tol:
		return ErrExpired
	case t.NotBefore > n+tol:
		return ErrNotYetValid
	case t.IssuedAt > n+tol:
		return fmt.Errorf("%w: issued in the future", ErrInvalid)
	}
	return nil
}

// GetTokenOptions adjust GetToken.
type GetTokenOptions struct {
	// CookieName overrides the session cookie name (and so the salt). By
	// default it is SecureCookieName when the request arrived over TLS and
	// CookieName otherwise; behind a TLS-terminating proxy, set it.
	CookieName string
	// NoBearer turns off the Authorization: Bearer fallback.
	NoBearer bool
}

// GetToken reads the session token of r, like Auth.js's getToken: from the
// session cookie (reassembling chunks) or, when there is none, from an
// "Authorization: Bearer" header. It returns (nil, nil) when the request
// carries no token and an error wrapping ErrInvalid when it carries a bad
// one.
func (c *Codec) GetToken(r *http.Request, o *GetTokenOptions) (*Token, error) {
	if o == nil {
		o = &GetTokenOptions{}
	}
	name := o.CookieName
	if name == "" {
		name = CookieName
		if r.TLS != nil {
			name = SecureCookieName
		}
	}
	raw, _, err := cookie.ReadChunked(cookie.Parse(r.Header), name)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if raw == "" && !o.NoBearer {
		if v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			raw = strings.TrimSpace(v)
		}
	}
	return c.Decode(name, raw)
}

// EncodeParams are the arguments of the package-level Encode.
type EncodeParams struct {
	Token   *Token
	Secrets []string // newest first; the first encrypts
	Salt    string   // the cookie name; CookieName when empty
	MaxAge  time.Duration
	Now     func() time.Time
}

// Encode is Codec.Encode with keys derived for this call only.
func Encode(p EncodeParams) (string, error) {
	c, err := oneShot(p.Secrets, p.Salt, p.MaxAge, p.Now)
	if err != nil {
		return "", err
	}
	if p.Token == nil {
		p.Token = &Token{}
	}
	return c.Encode(saltOr(p.Salt), p.Token, 0)
}

// DecodeParams are the arguments of the package-level Decode.
type DecodeParams struct {
	Token   string
	Secrets []string // newest first; all are tried by kid
	Salt    string   // the cookie name; CookieName when empty
	Now     func() time.Time
}

// Decode is Codec.Decode with keys derived for this call only.
func Decode(p DecodeParams) (*Token, error) {
	c, err := oneShot(p.Secrets, p.Salt, 0, p.Now)
	if err != nil {
		return nil, err
	}
	return c.Decode(saltOr(p.Salt), p.Token)
}

func saltOr(s string) string {
	if s == "" {
		return CookieName
	}
	return s
}

func oneShot(secrets []string, salt string, maxAge time.Duration, now func() time.Time) (*Codec, error) {
	if len(secrets) == 0 {
		return nil, errors.New("jwt: no secret")
	}
	c := &Codec{secrets: secrets, maxAge: maxAge, now: now}
	if c.maxAge == 0 {
		c.maxAge = DefaultMaxAge
	}
	if c.now == nil {
		c.now = time.Now
	}
	if _, err := c.keyring(saltOr(salt)); err != nil {
		return nil, err
	}
	return c, nil
}
