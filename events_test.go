package authgo_test

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/adapters/sqlite"
	"github.com/authgo/authgo/internal/testkit"
	"github.com/authgo/authgo/internal/testkit/sqlitetest"
	"github.com/authgo/authgo/provider"
	"github.com/authgo/authgo/store"
)

// userEvents records the CreateUser, UpdateUser and LinkAccount events.
type userEvents struct {
	created []store.User
	updated []store.User
	linked  []string // "user-id provider/providerAccountId access_token"
}

func (e *userEvents) install(c *authgo.Config) {
	c.Events.CreateUser = func(_ context.Context, u store.User) { e.created = append(e.created, u) }
	c.Events.UpdateUser = func(_ context.Context, u store.User) { e.updated = append(e.updated, u) }
	c.Events.LinkAccount = func(_ context.Context, u store.User, a store.Account) {
		if a.UserID != u.ID {
			panic(fmt.Sprintf("LinkAccount: account of %q given with user %q", a.UserID, u.ID))
		}
		e.linked = append(e.linked, fmt.Sprintf("%s %s/%s %s", u.ID, a.Provider, a.ProviderAccountID, a.AccessToken))
	}
}

func (e *userEvents) reset() { *e = userEvents{} }

// TestEventsFirstSignIn: a first OAuth sign-in creates the user and links
// the account, each told once, after the row is written, with the rows;
// the next sign-in writes no user or account and tells nothing.
func TestEventsFirstSignIn(t *testing.T) {
	idp := &stubIdP{id: "gh", user: &authgo.User{ID: "gh-7", Name: "Ida", Email: "Ida@Example.com"}}
	var ev userEvents
	var f *dbFixture
	f = newDBAuth(t, func(c *authgo.Config) {
		c.Providers = append(c.Providers, idp)
		ev.install(c)
		c.Events.CreateUser = func(ctx context.Context, u store.User) {
			// Told after the fact: the row is there.
			if got, err := f.store.User(ctx, u.ID); err != nil || got == nil {
				t.Errorf("CreateUser told before the row exists: %v, %v", got, err)
			}
			ev.created = append(ev.created, u)
		}
	})
	if r := oauthSignIn(t, f.c, "gh"); r.StatusCode != http.StatusFound || r.Header.Get("Location") != O+"/after" {
		t.Fatalf("sign-in: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	sub := f.subOf(t, f.c)
	if len(ev.created) != 1 || ev.created[0].ID != sub || ev.created[0].Name != "Ida" || ev.created[0].Email != "ida@example.com" {
		t.Fatalf("CreateUser events = %+v; want one, user %s", ev.created, sub)
	}
	if want := sub + " gh/gh-7 at"; len(ev.linked) != 1 || ev.linked[0] != want {
		t.Fatalf("LinkAccount events = %q; want [%q]", ev.linked, want)
	}
	if len(ev.updated) != 0 {
		t.Fatalf("UpdateUser events = %+v", ev.updated)
	}
	ev.reset()
	oauthSignIn(t, newClient(t, f.a), "gh")
	if len(ev.created)+len(ev.updated)+len(ev.linked) != 0 {
		t.Fatalf("a returning user's sign-in told %+v", ev)
	}
}

// TestEventsLinkAndNotLinked: a signed-in user linking a provider is told
// as LinkAccount alone; the OAuthAccountNotLinked paths (the account is
// another user's; the email is another user's) tell nothing;
// AllowDangerousEmailAccountLinking links without a CreateUser (unlike
// Auth.js, which fires it with the existing user).
func TestEventsLinkAndNotLinked(t *testing.T) {
	gh := &stubIdP{id: "gh", user: &authgo.User{ID: "gh-7", Name: "Al", Email: "al@elsewhere.example"}}
	safe := &stubIdP{id: "safe", user: &authgo.User{ID: "s-1", Name: "A.", Email: "alice@example.com"}}
	risky := &stubIdP{id: "risky", user: &authgo.User{ID: "r-1", Name: "A.", Email: "alice@example.com"}, dangerous: true}
	var ev userEvents
	f := newDBAuth(t, func(c *authgo.Config) {
		c.Providers = append(c.Providers, gh, safe, risky)
		ev.install(c)
	})
	f.c.signIn(O, "alice", "wonderland")
	if len(ev.created) != 1 || ev.created[0].ID != "user-1" || len(ev.linked) != 1 || ev.linked[0] != "user-1 credentials/user-1 " {
		t.Fatalf("credentials first sign-in told %+v", ev)
	}
	ev.reset()
	oauthSignIn(t, f.c, "gh")
	if len(ev.created) != 0 || len(ev.linked) != 1 || ev.linked[0] != "user-1 gh/gh-7 at" {
		t.Fatalf("linking a provider told %+v", ev)
	}

	// Bob, signed in, with alice's gh account: OAuthAccountNotLinked.
	ev.reset()
	bob := newClient(t, f.a)
	bob.signIn(O, "bob", "builder")
	ev.reset()
	if r := oauthSignIn(t, bob, "gh"); !strings.Contains(r.Header.Get("Location"), "error=OAuthAccountNotLinked") {
		t.Fatalf("another user's account: %s", r.Header.Get("Location"))
	}
	// Signed out, alice's email through a provider without the option.
	anon := newClient(t, f.a)
	if r := oauthSignIn(t, anon, "safe"); !strings.Contains(r.Header.Get("Location"), "error=OAuthAccountNotLinked") {
		t.Fatalf("email match: %s", r.Header.Get("Location"))
	}
	if len(ev.created)+len(ev.updated)+len(ev.linked) != 0 {
		t.Fatalf("OAuthAccountNotLinked told %+v", ev)
	}
	if r := oauthSignIn(t, anon, "risky"); r.Header.Get("Location") != O+"/after" {
		t.Fatalf("dangerous linking: %s", r.Header.Get("Location"))
	}
	if len(ev.created) != 0 || len(ev.linked) != 1 || ev.linked[0] != "user-1 risky/r-1 at" {
		t.Fatalf("dangerous linking told %+v", ev)
	}
}

// TestEventsUpdateUser: a credentials sign-in upserts the user's row with
// what Authorize returned: a changed name and image rewrite it (told once,
// with the row as written, and shown by the session), the same answer
// again writes nothing, and an email another user's row has is not taken
// over. Under the JWT strategy with a users store.
func TestEventsUpdateUser(t *testing.T) {
	s, db := newSQLiteStore(t)
	carol := authgo.User{ID: "carol", Name: "Carol", Email: "carol@example.com"}
	p, err := credentialsProvider(func(_ context.Context, c provider.Credentials, _ *http.Request) (*authgo.User, error) {
		if c["username"] == "dave" {
			return &authgo.User{ID: "dave", Name: "Dave", Email: "dave@example.com"}, nil
		}
		u := carol
		return &u, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var ev userEvents
	a := newAuth(t, func(c *authgo.Config) {
		c.Providers = []provider.Provider{p}
		c.Users = s
		ev.install(c)
	})
	c := newClient(t, a)
	c.signIn(O, "carol", "x")
	newClient(t, a).signIn(O, "dave", "x")
	if len(ev.created) != 2 || len(ev.updated) != 0 {
		t.Fatalf("first sign-ins told %+v", ev)
	}

	ev.reset()
	carol.Name, carol.Image = "Carol Shaw", "https://example.com/carol.png"
	c.signIn(O, "carol", "x")
	if len(ev.updated) != 1 || ev.updated[0].ID != "carol" || ev.updated[0].Name != "Carol Shaw" || ev.updated[0].Image != carol.Image || ev.updated[0].Email != "carol@example.com" {
		t.Fatalf("UpdateUser events = %+v", ev.updated)
	}
	if row, err := s.User(t.Context(), "carol"); err != nil || row == nil || row.Name != "Carol Shaw" {
		t.Fatalf("row = %+v, %v", row, err)
	}
	if u := c.session(O)["user"].(map[string]any); u["name"] != "Carol Shaw" || u["image"] != carol.Image {
		t.Fatalf("session user = %v", u)
	}
	if len(ev.created) != 0 || len(ev.linked) != 0 {
		t.Fatalf("a returning user's sign-in told %+v", ev)
	}

	ev.reset()
	c.signIn(O, "carol", "x")
	if len(ev.updated) != 0 {
		t.Fatalf("the same answer rewrote the row: %+v", ev.updated)
	}

	// Dave's email: the row keeps carol's.
	carol.Email = "dave@example.com"
	c.signIn(O, "carol", "x")
	if len(ev.updated) != 0 {
		t.Fatalf("another user's email was taken over: %+v", ev.updated)
	}
	if row, err := s.User(t.Context(), "carol"); err != nil || row == nil || row.Email != "carol@example.com" {
		t.Fatalf("row = %+v, %v", row, err)
	}

	// A store that refuses the rewrite does not fail the sign-in: the
	// row stays as it was, and so does the session.
	if _, err := db.ExecContext(t.Context(), `CREATE TRIGGER users_read_only BEFORE UPDATE ON users BEGIN SELECT RAISE(ABORT, 'read-only'); END`); err != nil {
		t.Fatal(err)
	}
	carol.Name = "C. Shaw"
	if r := c.signIn(O, "carol", "x"); r.StatusCode != http.StatusFound || strings.Contains(r.Header.Get("Location"), "error") {
		t.Fatalf("sign-in with the row read-only: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	if len(ev.updated) != 0 {
		t.Fatalf("UpdateUser told of a failed write: %+v", ev.updated)
	}
	if u := c.session(O)["user"].(map[string]any); u["name"] != "Carol Shaw" {
		t.Fatalf("session user = %v", u)
	}
}

// TestEventPanicDoesNotFailSignIn: an event that panics is logged as
// EventError; the sign-in it was told about stands.
func TestEventPanicDoesNotFailSignIn(t *testing.T) {
	var logs testkit.Buffer
	f := newDBAuth(t, func(c *authgo.Config) {
		c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		c.Events.CreateUser = func(context.Context, store.User) { panic("boom in CreateUser") }
		c.Events.LinkAccount = func(context.Context, store.User, store.Account) { panic("boom in LinkAccount") }
		c.Events.SignIn = func(context.Context, authgo.SignInEvent) { panic("boom in SignIn") }
		c.Events.Session = func(context.Context, authgo.SessionEvent) { panic("boom in Session") }
	})
	if r := f.c.signIn(O, "alice", "wonderland"); r.StatusCode != http.StatusFound || r.setCook["authjs.session-token"] == nil {
		t.Fatalf("sign-in with panicking events: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	if s := f.c.session(O); s["user"].(map[string]any)["email"] != "alice@example.com" {
		t.Fatalf("session = %v", s)
	}
	for _, ev := range []string{"CreateUser", "LinkAccount", "SignIn", "Session"} {
		if !strings.Contains(logs.String(), "the "+ev+" event panicked (EventError)") || !strings.Contains(logs.String(), "boom in "+ev) {
			t.Errorf("the %s panic was not logged:\n%s", ev, logs.String())
		}
	}
}

// newSQLiteStore is adapters/sqlite's Store on a fresh file.
func newSQLiteStore(t testing.TB) (*sqlite.Store, *sql.DB) {
	t.Helper()
	return sqlitetest.New(t)
}
