//go:build !unix

package testkit

import "os/exec"

// postgresOwner: outside Unix the command runs as the test's own user.
func postgresOwner(string) (func(*exec.Cmd), error) {
	return func(*exec.Cmd) {}, nil
}
