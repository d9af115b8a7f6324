package authgo_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/adapters/adaptertest"
)

func TestMemoryCounter(t *testing.T) {
	adaptertest.Counter(t, func(*testing.T) authgo.Counter { return authgo.NewMemoryCounter(0) })
}

func BenchmarkMemoryCounterAdd(b *testing.B) {
	c := authgo.NewMemoryCounter(0)
	i := 0
	for b.Loop() {
		if _, _, err := c.Add(b.Context(), fmt.Sprint("signin:user:u", i%1000), time.Hour); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
