package sqlite

// TEMPORARY (branch redis): stubs so that adapters/sqlite compiles against
// the extended store.SessionStore until the lib branch implements these
// methods. Deleted before the branch is merged.

import (
	"context"
	"errors"

	"github.com/authgo/authgo/store"
)

var errPending = errors.New("sqlite: not implemented on this branch")

func (s *Store) UserSessions(ctx context.Context, userID string) ([]store.Session, error) {
	return nil, errPending
}

func (s *Store) DeleteUserSession(ctx context.Context, userID, id string) (bool, error) {
	return false, errPending
}

func (s *Store) DeleteUserSessions(ctx context.Context, userID string) (int, error) {
	return 0, errPending
}
