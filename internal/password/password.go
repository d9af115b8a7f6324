// Package password hashes and verifies user passwords with argon2id.
//
// Hashes are PHC strings, the format used by the argon2 reference
// implementation, libsodium, and most other languages' argon2 libraries:
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>
//
// where salt and key are unpadded standard base64. [Hash] uses the OWASP
// minimum parameters (19 MiB of memory, 2 passes, 1 lane), a 16-byte salt from
// crypto/rand and a 32-byte key. [Verify] accepts any argon2id v19 hash whose
// parameters are within sane bounds, so hashes made elsewhere, or with stronger
// parameters, keep working.
//
// # Cost
//
// Every call to [Hash] or [Verify] allocates about 19 MiB and takes tens of
// milliseconds of CPU. A server must bound how many run at once (for example
// with a semaphore around sign-in), or a burst of sign-in attempts becomes a
// memory and CPU exhaustion attack. Passwords longer than [MaxLength] are
// refused before any hashing, so input size never drives the cost.
//
// # Unknown users
//
// When a sign-in names a user that does not exist, call [VerifyDummy] with the
// submitted password. It does the same work as a [Verify] against a real hash,
// so the response time does not reveal which usernames exist.
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/crypto/argon2"
)

// MaxLength is the longest password, in bytes, that [Hash] and [Verify]
// accept. Longer passwords are rejected with [ErrTooLong] before any hashing.
const MaxLength = 1024

// Parameters used by [Hash]: the OWASP Password Storage Cheat Sheet minimum
// for argon2id.
const (
	memoryKiB = 19456 // m: 19 MiB
	passes    = 2     // t
	lanes     = 1     // p
	saltLen   = 16
	keyLen    = 32
)

// Bounds [Verify] enforces on a stored hash, so that a corrupt or hostile
// hash cannot make verification arbitrarily expensive.
const (
	maxMemoryKiB = 256 * 1024 // 256 MiB
	maxPasses    = 10
	maxLanes     = 16
	minSaltLen   = 8
	maxSaltLen   = 64
	minKeyLen    = 16
	maxKeyLen    = 64
	// maxEncodedLen bounds the input to the parser; the longest valid
	// encoding is well under this.
	maxEncodedLen = 256
)

const (
	algorithm = "argon2id"
	version   = argon2.Version // 0x13 = 19
)

var (
	// ErrTooLong is returned by [Hash] and [Verify] for a password longer
	// than [MaxLength] bytes.
	ErrTooLong = errors.New("password: password longer than " + strconv.Itoa(MaxLength) + " bytes")

	// ErrEmpty is returned by [Hash] for an empty password.
	ErrEmpty = errors.New("password: empty password")

	// ErrMalformedHash is returned, wrapped, by [Verify] when the encoded
	// hash is not an argon2id v19 PHC string with acceptable parameters.
	ErrMalformedHash = errors.New("password: malformed hash")
)

// b64 is the PHC string encoding of salt and key: standard alphabet, no
// padding, and (Strict) no non-zero trailing bits, so that every hash has
// exactly one encoding.
var b64 = base64.RawStdEncoding.Strict()

// params is a decoded PHC string.
type params struct {
	memory uint32 // KiB
	passes uint32
	lanes  uint8
	salt   []byte
	key    []byte
}

// Hash returns the argon2id PHC string of password with a fresh random salt.
// It returns [ErrEmpty] for an empty password and [ErrTooLong] for one longer
// than [MaxLength] bytes.
//
// Hash is expensive by design; see the package documentation about bounding
// concurrent calls.
func Hash(password string) (string, error) {
	if password == "" {
		return "", ErrEmpty
	}
	if len(password) > MaxLength {
		return "", ErrTooLong
	}
	p := params{
		memory: memoryKiB,
		passes: passes,
		lanes:  lanes,
		salt:   make([]byte, saltLen),
	}
	// crypto/rand.Read never returns an error; it crashes the program if
	// the system's random source fails.
	_, _ = rand.Read(p.salt)
	p.key = derive(password, &p, keyLen)
	return p.encode(), nil
}

// Verify reports whether password matches encoded, an argon2id PHC string as
// returned by [Hash]. The key is recomputed with the parameters stored in
// encoded and compared in constant time.
//
// A wrong password yields (false, nil). A malformed encoded hash, or one
// whose parameters are out of bounds (memory over 256 MiB, more than 10
// passes, more than 16 lanes, salt or key length out of bounds), yields an error
// wrapping [ErrMalformedHash]. A password longer than [MaxLength] yields
// [ErrTooLong] without hashing: no password [Hash] accepted can be that
// long, so a caller may treat it as a failed sign-in.
func Verify(password, encoded string) (bool, error) {
	p, err := parse(encoded)
	if err != nil {
		return false, err
	}
	if len(password) > MaxLength {
		return false, ErrTooLong
	}
	key := derive(password, &p, uint32(len(p.key)))
	return subtle.ConstantTimeCompare(key, p.key) == 1, nil
}

// dummy is the hash [VerifyDummy] verifies against. It is computed once, on
// first use, from a random password nobody knows; it never changes after
// that.
var dummy = sync.OnceValue(func() string {
	h, err := Hash(rand.Text())
	if err != nil {
		// Hash fails only for empty or too-long input.
		panic("password: hashing dummy password: " + err.Error())
	}
	return h
})

// VerifyDummy does the same work as [Verify] of password against a real hash
// made by [Hash], and discards the result. Call it when a sign-in names an
// unknown user, so that the time taken does not reveal whether the user
// exists.
//
// The dummy hash is computed on the first call, which therefore costs one
// extra hash.
func VerifyDummy(password string) {
	_, _ = Verify(password, dummy())
}

// derive computes the argon2id key of password for p.
func derive(password string, p *params, n uint32) []byte {
	return argon2.IDKey([]byte(password), p.salt, p.passes, p.memory, p.lanes, n)
}

// encode formats p as a PHC string.
func (p *params) encode() string {
	return fmt.Sprintf("$%s$v=%d$m=%d,t=%d,p=%d$%s$%s",
		algorithm, version, p.memory, p.passes, p.lanes,
		b64.EncodeToString(p.salt), b64.EncodeToString(p.key))
}

// malformed returns an error wrapping [ErrMalformedHash] with detail.
func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformedHash}, args...)...)
}

// parse decodes and validates an argon2id PHC string. It accepts exactly the
// canonical form [Hash] produces (fields in order, no optional fields,
// decimal numbers without sign or leading zeros, unpadded strict base64), so
// that every accepted string re-encodes to itself.
func parse(encoded string) (params, error) {
	var p params
	if len(encoded) > maxEncodedLen {
		return p, malformed("longer than %d bytes", maxEncodedLen)
	}
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, key
	f := strings.Split(encoded, "$")
	if len(f) != 6 || f[0] != "" {
		return p, malformed("want 5 $-separated fields")
	}
	if f[1] != algorithm {
		return p, malformed("algorithm %q is not %s", f[1], algorithm)
	}
	v, ok := strings.CutPrefix(f[2], "v=")
	if !ok {
		return p, malformed("missing version")
	}
	if n, ok := parseUint(v); !ok || n != version {
		return p, malformed("version %q is not %d", v, version)
	}

	ps := strings.Split(f[3], ",")
	if len(ps) != 3 {
		return p, malformed("want parameters m, t and p")
	}
	var vals [3]uint64
	for i, name := range [3]string{"m=", "t=", "p="} {
		s, ok := strings.CutPrefix(ps[i], name)
		if !ok {
			return p, malformed("parameter %d is not %s", i+1, name[:1])
		}
		if vals[i], ok = parseUint(s); !ok {
			return p, malformed("parameter %s is not a number", name[:1])
		}
	}
	m, t, l := vals[0], vals[1], vals[2]
	switch {
	case l < 1 || l > maxLanes:
		return p, malformed("parallelism %d out of range [1, %d]", l, maxLanes)
	case t < 1 || t > maxPasses:
		return p, malformed("time %d out of range [1, %d]", t, maxPasses)
	case m < 8*l || m > maxMemoryKiB:
		// argon2 needs at least 8 KiB per lane.
		return p, malformed("memory %d KiB out of range [%d, %d]", m, 8*l, maxMemoryKiB)
	}
	p.memory, p.passes, p.lanes = uint32(m), uint32(t), uint8(l)

	var err error
	if p.salt, err = decodeB64(f[4], minSaltLen, maxSaltLen); err != nil {
		return p, malformed("salt: %v", err)
	}
	if p.key, err = decodeB64(f[5], minKeyLen, maxKeyLen); err != nil {
		return p, malformed("key: %v", err)
	}
	return p, nil
}

// parseUint parses a canonical decimal number: ASCII digits only, no sign,
// no leading zeros, at most 10 digits.
func parseUint(s string) (uint64, bool) {
	if s == "" || len(s) > 10 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, true
}

// decodeB64 decodes unpadded strict base64 of between min and max bytes.
func decodeB64(s string, minLen, maxLen int) ([]byte, error) {
	if b64.DecodedLen(len(s)) > maxLen {
		return nil, fmt.Errorf("longer than %d bytes", maxLen)
	}
	// The decoder skips '\r' and '\n'; allow only the alphabet itself.
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/') {
			return nil, fmt.Errorf("invalid character at offset %d", i)
		}
	}
	b, err := b64.DecodeString(s)
	if err != nil {
		return nil, err
	}
	if len(b) < minLen {
		return nil, fmt.Errorf("shorter than %d bytes", minLen)
	}
	return b, nil
}
