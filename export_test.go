package authgo

import "time"

// NewMemoryRevocations is the default in-memory RevocationStore, for the
// tests that share one between instances or wrap it.
func NewMemoryRevocations() RevocationStore { return newMemoryRevocations(time.Now) }
