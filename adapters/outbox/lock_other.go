//go:build !unix

package outbox

import "os"

// lock does nothing here: give every process its own journal.
func lock(*os.File) error { return nil }
