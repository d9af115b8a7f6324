package password_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/authgo/authgo/internal/password"
)

func Example() {
	// At sign-up: store the encoded hash, never the password.
	encoded, err := password.Hash("correct horse battery staple")
	if err != nil {
		fmt.Println("hash:", err)
		return
	}
	fmt.Println(strings.HasPrefix(encoded, "$argon2id$v=19$m=19456,t=2,p=1$"))

	// At sign-in: verify the submitted password against the stored hash.
	ok, err := password.Verify("correct horse battery staple", encoded)
	fmt.Println(ok, err)
	ok, err = password.Verify("Tr0ub4dor&3", encoded)
	fmt.Println(ok, err)
	// Output:
	// true
	// true <nil>
	// false <nil>
}

func ExampleVerifyDummy() {
	// lookup stands for a user store; it finds no user here.
	lookup := func(username string) (hash string, found bool) { return "", false }

	signIn := func(username, pw string) bool {
		hash, found := lookup(username)
		if !found {
			// Spend the same time as for a wrong password, so the
			// response does not reveal that the user is unknown.
			password.VerifyDummy(pw)
			return false
		}
		ok, err := password.Verify(pw, hash)
		if errors.Is(err, password.ErrTooLong) {
			return false
		}
		return err == nil && ok
	}
	fmt.Println(signIn("nobody", "guess"))
	// Output: false
}
