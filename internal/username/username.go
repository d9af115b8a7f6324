// Package username holds the rule for the usernames of authgo's password
// users, shared by the stores that keep them (adapters/sqlite,
// adapters/postgres) and the binary that adds them, so that a name one
// store accepts the other accepts too.
package username

import (
	"errors"
	"fmt"
	"unicode"
	"unicode/utf8"
)

// MaxLength is the longest username, in characters (runes).
const MaxLength = 64

// Validate reports why username is not acceptable, or nil: it must be
// valid UTF-8 of 1 to MaxLength characters, with no white space, control
// characters or invisible formatting characters (such as zero-width spaces
// and bidirectional overrides, which make different names look alike).
// The error says what is wrong ("empty", "contains U+200B"); the stores
// wrap it in their own ErrInvalidUsername.
func Validate(username string) error {
	if username == "" {
		return errors.New("empty")
	}
	if !utf8.ValidString(username) {
		return errors.New("not valid UTF-8")
	}
	if n := utf8.RuneCountInString(username); n > MaxLength {
		return fmt.Errorf("%d characters, more than %d", n, MaxLength)
	}
	for _, r := range username {
		if unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return fmt.Errorf("contains %U", r)
		}
	}
	return nil
}
