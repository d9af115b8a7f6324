package memory_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/adapters/adaptertest"
	"github.com/authgo/authgo/adapters/memory"
)

func TestCounterConformance(t *testing.T) {
	adaptertest.Counter(t, func(*testing.T) authgo.Counter { return memory.NewCounter(0) })
}

func BenchmarkCounterAdd(b *testing.B) {
	c := memory.NewCounter(0)
	i := 0
	for b.Loop() {
		if _, _, err := c.Add(b.Context(), fmt.Sprint("signin:user:u", i%1000), time.Hour); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
