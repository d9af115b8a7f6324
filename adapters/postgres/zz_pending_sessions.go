package postgres

// TEMPORARY: the session-listing methods land with the lib branch; this
// file only lets the pg branch compile until then, and is deleted in its
// last commit.

import (
	"context"
	"errors"

	"github.com/authgo/authgo/store"
)

// UserSessions is a placeholder (see the file comment).
func (s *Store) UserSessions(ctx context.Context, userID string) ([]store.Session, error) {
	return nil, errors.New("not yet")
}

// DeleteUserSession is a placeholder (see the file comment).
func (s *Store) DeleteUserSession(ctx context.Context, userID, id string) (bool, error) {
	return false, errors.New("not yet")
}

// DeleteUserSessions is a placeholder (see the file comment).
func (s *Store) DeleteUserSessions(ctx context.Context, userID string) (int, error) {
	return 0, errors.New("not yet")
}
