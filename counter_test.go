package authgo_test

import (
	"testing"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/internal/storetest"
)

func TestMemoryCounter(t *testing.T) {
	storetest.Counter(t, func(*testing.T) authgo.Counter { return authgo.NewMemoryCounter(0) })
}
