package username_test

import (
	"fmt"

	"github.com/authgo/authgo/internal/username"
)

func ExampleValidate() {
	for _, name := range []string{"alice", "Zoë", "", "bob smith", "eve\u200b"} {
		fmt.Printf("%q: %v\n", name, username.Validate(name))
	}
	// Output:
	// "alice": <nil>
	// "Zoë": <nil>
	// "": empty
	// "bob smith": contains U+0020
	// "eve\u200b": contains U+200B
}
