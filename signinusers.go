package authgo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/authgo/authgo/internal/cookie"
	"github.com/authgo/authgo/provider"
	"github.com/authgo/authgo/store"
)

// dangerousLinker is the AllowDangerousEmailAccountLinking option of the
// oauth and oidc providers.
type dangerousLinker interface {
	AllowDangerousEmailAccountLinking() bool
}

// Errors of the account logic; OAuthAccountNotLinked to the browser.
var (
	errLinkedElsewhere = errors.New("the account is already associated with another user")
	errEmailTaken      = errors.New("another account already exists with the same e-mail address")
)

// signInUser finds or creates the users row u signs in as, and links
// account to it, by Auth.js's rules (spec/database.md §A4), when
// Config.Users is set:
//
//   - an account already linked signs in as its user, unless another user
//     is signed in (OAuthAccountNotLinked); its tokens are updated;
//   - an OAuth account not yet linked, while a user is signed in, is
//     linked to that user, without comparing emails;
//   - otherwise a user with the same email is an OAuthAccountNotLinked,
//     unless the provider has AllowDangerousEmailAccountLinking;
//   - otherwise a new user is created and the account linked: isNew.
//
// A credentials sign-in (not in Auth.js's adapter logic) upserts: the
// accounts row (type credentials, providerAccountId = the id Authorize
// returned) goes to the users row with that id when there is one (users
// made by adapters/sqlite's CreatePasswordUser), else to a new users row;
// an email belonging to another user is refused as above. An existing row
// takes what Authorize returned (upsertUser). A signed-in session is
// ignored: a credentials sign-in switches users.
//
// Events.CreateUser and Events.LinkAccount run after the store wrote the
// row, Events.UpdateUser after upsertUser rewrote one.
//
// The store not answering is Unavailable.
func (a *Auth) signInUser(rq *request, u *User, account *Account) (_ *store.User, isNew bool, err error) {
	ctx := rq.r.Context()
	us := a.cfg.Users
	unavailable := func(err error) error { return fail(CodeUnavailable, fmt.Errorf("users store: %w", err)) }
	credentials := account.Type == string(provider.TypeCredentials)
	email := u.Email
	if !credentials {
		email = strings.ToLower(email) // as Auth.js, before the lookups
	}
	row := store.Account{
		Type: account.Type, Provider: account.Provider, ProviderAccountID: account.ProviderAccountID,
		AccessToken: account.AccessToken, RefreshToken: account.RefreshToken, IDToken: account.IDToken,
		TokenType: account.TokenType, Scope: account.Scope, ExpiresAt: account.ExpiresAt,
	}
	current := ""
	if !credentials {
		current = a.signedInUser(ctx, rq)
	}

	for attempt := 0; ; attempt++ {
		linked, err := us.UserByAccount(ctx, row.Provider, row.ProviderAccountID)
		if err != nil {
			return nil, false, unavailable(err)
		}
		if linked != nil {
			if current != "" && current != linked.ID {
				return nil, false, fail(CodeOAuthAccountNotLinked, errLinkedElsewhere)
			}
			row.UserID = linked.ID
			err = us.UpdateAccount(ctx, row)
			a.sessionCache.invalidateAccount(row.Provider, row.ProviderAccountID)
			if err != nil {
				return nil, false, unavailable(err)
			}
			if credentials {
				linked = a.upsertUser(ctx, linked, u)
			}
			return linked, false, nil
		}
		if attempt > 0 {
			// A racing sign-in linked it and then unlinked it, or
			// the store refuses for another reason.
			return nil, false, fail(CodeConfiguration, errors.New("users store: the account could not be linked"))
		}

		var target *store.User
		switch {
		case current != "":
			if target, err = us.User(ctx, current); err != nil {
				return nil, false, unavailable(err)
			}
		case credentials:
			if target, err = us.User(ctx, u.ID); err != nil {
				return nil, false, unavailable(err)
			}
		}
		if target == nil && email != "" {
			byEmail, err := us.UserByEmail(ctx, email)
			if err != nil {
				return nil, false, unavailable(err)
			}
			if byEmail != nil {
				if dl, ok := a.providers[account.Provider].(dangerousLinker); !ok || !dl.AllowDangerousEmailAccountLinking() {
					// The email may be that of a racing first sign-in
					// of this very account, which linked it since the
					// lookup above: then sign in as its user.
					again, err := us.UserByAccount(ctx, row.Provider, row.ProviderAccountID)
					if err != nil {
						return nil, false, unavailable(err)
					}
					if again != nil {
						continue
					}
					return nil, false, fail(CodeOAuthAccountNotLinked, errEmailTaken)
				}
				target = byEmail
			}
		}
		created := false
		if target == nil {
			nu := store.User{Name: u.Name, Email: email, Image: u.Image}
			if credentials {
				nu.ID = u.ID
			}
			var made store.User
			cl, both := us.(store.UserWithAccountCreator)
			if both {
				// One transaction: a racing first sign-in of the same
				// account leaves no users row behind.
				made, err = cl.CreateUserWithAccount(ctx, nu, row)
				a.sessionCache.invalidateAccount(row.Provider, row.ProviderAccountID)
			} else {
				made, err = us.CreateUser(ctx, nu)
			}
			if err != nil {
				if !errors.Is(err, store.ErrAccountLinked) {
					// Perhaps a racing first sign-in of the same
					// account created the user: look again.
					a.log.Warn("authgo: creating a user failed; looking for the account again", "provider", account.Provider, "err", err)
				}
				continue
			}
			target, created = &made, true
			if ev := a.cfg.Events.CreateUser; ev != nil {
				a.event(ctx, "CreateUser", func() { ev(ctx, made) })
			}
			if both {
				row.UserID = target.ID
				if ev := a.cfg.Events.LinkAccount; ev != nil {
					a.event(ctx, "LinkAccount", func() { ev(ctx, *target, row) })
				}
				return target, true, nil
			}
		}
		row.UserID = target.ID
		err = us.LinkAccount(ctx, row)
		a.sessionCache.invalidateAccount(row.Provider, row.ProviderAccountID)
		if err != nil {
			if errors.Is(err, store.ErrAccountLinked) {
				continue // a racing sign-in won: use its row
			}
			return nil, false, unavailable(err)
		}
		if ev := a.cfg.Events.LinkAccount; ev != nil {
			a.event(ctx, "LinkAccount", func() { ev(ctx, *target, row) })
		}
		if credentials && !created {
			target = a.upsertUser(ctx, target, u)
		}
		return target, created, nil
	}
}

// upsertUser gives row, the users row of a credentials sign-in, the name,
// email and image Authorize returned in u, when they differ; an empty one
// leaves the row's. Authorize speaks for the application's own user
// records, and the session shows the row. An email that another user's row
// has is not taken over (the row keeps its own, and that is logged): two
// rows never share an email through authgo, as a new user's is refused. A
// new email is not verified. It returns the row as it is now. The sign-in
// does not depend on it: a store error is logged and the row is left as it
// was (a write racing another sign-in for the same email fails on
// adapters/sqlite's unique email, say).
func (a *Auth) upsertUser(ctx context.Context, row *store.User, u *User) *store.User {
	fail := func(err error) *store.User {
		a.log.Warn("authgo: the user's row could not take what the credentials sign-in returned; it is left as it was", "user", row.ID, "err", err)
		return row
	}
	next := *row
	if u.Name != "" {
		next.Name = u.Name
	}
	if u.Image != "" {
		next.Image = u.Image
	}
	if u.Email != "" && u.Email != row.Email {
		other, err := a.cfg.Users.UserByEmail(ctx, u.Email)
		if err != nil {
			return fail(err)
		}
		if other != nil && other.ID != row.ID {
			a.log.Warn("authgo: a credentials sign-in returned an email another user's row has; the user's row keeps its own", "user", row.ID, "other_user", other.ID)
		} else {
			next.Email, next.EmailVerified = u.Email, time.Time{}
		}
	}
	if next == *row {
		return row
	}
	written, err := a.updateUserRow(ctx, next)
	if err != nil {
		return fail(err)
	}
	return written
}

// updateUserRow writes next, a users row, drops the cached sessions of
// its user (whose name, email or emailVerified they show) and tells
// Events.UpdateUser: every change authgo makes to a users row goes
// through here.
func (a *Auth) updateUserRow(ctx context.Context, next store.User) (*store.User, error) {
	written, err := a.cfg.Users.UpdateUser(ctx, next)
	a.sessionCache.invalidateUser(next.ID)
	if err != nil {
		return nil, err
	}
	if ev := a.cfg.Events.UpdateUser; ev != nil {
		a.event(ctx, "UpdateUser", func() { ev(ctx, written) })
	}
	return &written, nil
}

// signedInUser returns the user id of the session rq carries, "" when none
// can be read.
func (a *Auth) signedInUser(ctx context.Context, rq *request) string {
	raw, _, err := cookie.ReadChunked(rq.jar, rq.names.SessionToken)
	if err != nil || raw == "" {
		return ""
	}
	tok, _, err := a.strategy.open(ctx, rq.names, raw)
	if err != nil || tok == nil {
		return ""
	}
	return tok.Subject
}
