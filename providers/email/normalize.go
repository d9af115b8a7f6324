package email

import "github.com/authgo/authgo/internal/emailaddr"

// Errors of Normalize and AuthJSNormalize.
var (
	// ErrMissing is an empty address.
	ErrMissing = emailaddr.ErrMissing
	// ErrInvalid is an address the normaliser refuses.
	ErrInvalid = emailaddr.ErrInvalid
)

// AuthJSNormalize is the default address normaliser of @auth/core 0.41.3
// (its defaultNormalizer), as it behaves: NFKC, lower case (full Unicode
// case mapping, as JavaScript's toLowerCase), surrounding white space
// trimmed, a double quote refused, exactly one '@' with text on both sides,
// and the domain cut at its first comma. It is what a Next.js app on the
// same database stores as the identifier. [Normalize] is this and more.
func AuthJSNormalize(email string) (string, error) { return emailaddr.AuthJS(email) }

// Normalize is the address normaliser of the providers this package
// builds: [AuthJSNormalize], whose result it returns unchanged, after
// refusing what Auth.js lets through and a mail system could read another
// way: a list (a comma anywhere), quotes and a second '@' however it is
// written (the fullwidth and small commercial at become '@' under NFKC
// before they are counted), control characters and white space inside the
// address, the characters that delimit addresses in a mail header, lengths
// beyond RFC 5321's, and a domain that is not dot-separated labels. It
// returns ErrMissing or ErrInvalid, never the address.
func Normalize(email string) (string, error) { return emailaddr.Normalize(email) }
