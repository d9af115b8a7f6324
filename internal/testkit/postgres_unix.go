//go:build unix

package testkit

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

var errNoPostgresUser = errors.New("running as root, and there is no OS user postgres to run initdb and postgres as (they refuse root)")

// postgresOwner prepares dir, an empty directory of the test, for the
// server and returns what makes a command run as the server's owner. Run
// as root, that is the OS user postgres: dir is handed to it and the test's
// temporary directory above it made passable (o+x, not readable), since
// initdb and postgres refuse to run as root. Otherwise the command runs as
// the test's own user.
func postgresOwner(dir string) (func(*exec.Cmd), error) {
	if os.Geteuid() != 0 {
		return func(*exec.Cmd) {}, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errNoPostgresUser, err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("user postgres has uid %q, gid %q", u.Uid, u.Gid)
	}
	if err := os.Chown(dir, int(uid), int(gid)); err != nil {
		return nil, err
	}
	// t.TempDir's parent is the test's own directory, made 0700.
	parent := filepath.Dir(dir)
	if fi, err := os.Stat(parent); err == nil && fi.Mode().Perm()&0o001 == 0 {
		if err := os.Chmod(parent, fi.Mode().Perm()|0o001); err != nil {
			return nil, err
		}
	}
	return func(cmd *exec.Cmd) {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
		cmd.Dir = dir // the test's working directory may be closed to postgres
	}, nil
}
