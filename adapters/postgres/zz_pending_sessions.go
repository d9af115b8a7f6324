package postgres

// TEMPORARY: stand-ins for the three SessionStore methods that the lib
// branch adds to sessions.go, so that the interop branch compiles on the
// storeapi base. Deleted before the interop branch is merged.

import (
	"context"
	"errors"

	"github.com/authgo/authgo/store"
)

var errPending = errors.New("not yet")

// UserSessions is a stand-in (see the top of this file).
func (s *Store) UserSessions(context.Context, string) ([]store.Session, error) {
	return nil, errPending
}

// DeleteUserSession is a stand-in (see the top of this file).
func (s *Store) DeleteUserSession(context.Context, string, string) (bool, error) {
	return false, errPending
}

// DeleteUserSessions is a stand-in (see the top of this file).
func (s *Store) DeleteUserSessions(context.Context, string) (int, error) {
	return 0, errPending
}
