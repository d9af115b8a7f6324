package memory_test

import (
	"context"
	"fmt"
	"time"

	"github.com/authgo/authgo/adapters/memory"
)

// A Counter limits anything per key: here, three tries per address in a
// minute. adapters/sqlite and adapters/redis share the counts between
// instances.
func ExampleNewCounter() {
	ctx := context.Background()
	counter := memory.NewCounter(0)
	for range 4 {
		n, _, err := counter.Add(ctx, "signup:203.0.113.7", time.Minute)
		if err != nil {
			panic(err)
		}
		if n > 3 {
			fmt.Println("try", n, "refused")
			continue
		}
		fmt.Println("try", n, "allowed")
	}
	// Output:
	// try 1 allowed
	// try 2 allowed
	// try 3 allowed
	// try 4 refused
}
