package sqlite

import (
	"context"
	"errors"

	"github.com/authgo/authgo/store"
)

// TEMPORARY (branch faults): stubs until wt-lib implements these; removed
// in this branch's last commit.

// UserSessions is a stub.
func (s *Store) UserSessions(ctx context.Context, userID string) ([]store.Session, error) {
	return nil, errors.New("not yet")
}

// DeleteUserSession is a stub.
func (s *Store) DeleteUserSession(ctx context.Context, userID, id string) (bool, error) {
	return false, errors.New("not yet")
}

// DeleteUserSessions is a stub.
func (s *Store) DeleteUserSessions(ctx context.Context, userID string) (int, error) {
	return 0, errors.New("not yet")
}
