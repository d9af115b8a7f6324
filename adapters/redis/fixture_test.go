package redis_test

import "github.com/authgo/authgo/internal/backendtest"

// The back end, its provider and the clock: internal/backendtest, shared
// with the root package's and the proxy's tests.
type (
	backend         = backendtest.Backend
	backendProvider = backendtest.Provider
)

var (
	newBackend = backendtest.New
	newClock   = backendtest.NewClock
)
