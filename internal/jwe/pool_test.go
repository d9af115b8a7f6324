package jwe

import (
	"fmt"
	"testing"
)

func TestPooledModes(t *testing.T) {
	kr, _ := NewKeyring([]string{"x"}, "s")
	st := kr.cbc[0].state.Get().(*cbcState)
	if st.enc == nil || st.dec == nil {
		t.Fatal("CBC modes cannot take a new IV: the pool saves nothing")
	}
}

// TestConcurrentSealOpen: pooled HMACs and block modes are never shared
// between goroutines (run with -race).
func TestConcurrentSealOpen(t *testing.T) {
	kr, _ := NewKeyring([]string{"x", "y"}, "s")
	done := make(chan error, 8)
	for g := 0; g < 8; g++ {
		go func(g int) {
			for i := 0; i < 200; i++ {
				pt := []byte{byte(g), byte(i), 'p', 'a', 'y'}
				tok, err := kr.Seal(pt)
				if err != nil {
					done <- err
					return
				}
				got, err := kr.Open(tok)
				if err != nil || string(got) != string(pt) {
					done <- fmt.Errorf("goroutine %d: %q %v", g, got, err)
					return
				}
			}
			done <- nil
		}(g)
	}
	for g := 0; g < 8; g++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}
