package authgo_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authgo/authgo"
)

// The rows of spec/database.md §A4 for OAuth sign-ins, on the database
// strategy and adapters/sqlite, with the fixture provider.

// oauthSignIn runs the whole OAuth sign-in with provider id in c (the
// CSRF-protected POST /signin/<id>, then the callback) and returns the
// callback's answer.
func oauthSignIn(t *testing.T, c *client, id string) *result {
	t.Helper()
	u := startFlow(t, c, id, "")
	return c.get(O + "/auth/callback/" + id + "?code=the-code&state=" + url.QueryEscape(u.Query().Get("state")))
}

// subOf is the user id of c's session, "" when signed out.
func (f *dbFixture) subOf(t *testing.T, c *client) string {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, O+"/", nil)
	if v := c.Cookie("authjs.session-token"); v != "" {
		r.AddCookie(&http.Cookie{Name: "authjs.session-token", Value: v})
	}
	tok, err := f.a.Token(r)
	if err != nil {
		t.Fatal(err)
	}
	if tok == nil {
		return ""
	}
	return tok.Subject
}

// accountUser is the user the accounts row (provider, id) is linked to.
func (f *dbFixture) accountUser(t *testing.T, prov, id string) string {
	t.Helper()
	a, err := f.store.Account(t.Context(), prov, id)
	if err != nil {
		t.Fatal(err)
	}
	if a == nil {
		return ""
	}
	return a.UserID
}

type signInRecord struct {
	trigger authgo.Trigger
	sub     string
	isNew   bool
}

// recordSignIns records the JWT callback's sign-ins.
func recordSignIns(c *authgo.Config, into *[]signInRecord) {
	c.Callbacks.JWT = func(_ context.Context, p authgo.JWTParams) (*authgo.Token, error) {
		if p.Trigger == authgo.TriggerSignIn || p.Trigger == authgo.TriggerSignUp {
			*into = append(*into, signInRecord{p.Trigger, p.Token.Subject, p.IsNewUser})
		}
		return p.Token, nil
	}
}

func TestAccountAlreadyLinkedSameUser(t *testing.T) {
	idp := &stubIdP{id: "gh"}
	var got []signInRecord
	f := newDBAuth(t, func(c *authgo.Config) {
		c.Providers = append(c.Providers, idp)
		recordSignIns(c, &got)
	})
	if r := oauthSignIn(t, f.c, "gh"); r.StatusCode != http.StatusFound || r.Header.Get("Location") != O+"/after" {
		t.Fatalf("first sign-in: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	first := f.subOf(t, f.c)
	// Another browser, the same provider account.
	c2 := newClient(t, f.a)
	if r := oauthSignIn(t, c2, "gh"); r.StatusCode != http.StatusFound || r.Header.Get("Location") != O+"/after" {
		t.Fatalf("second sign-in: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	second := f.subOf(t, c2)
	if first == "" || first == "idp-42" || second != first || f.accountUser(t, "gh", "idp-42") != first {
		t.Fatalf("user ids: first %q, second %q, account row %q", first, second, f.accountUser(t, "gh", "idp-42"))
	}
	if len(got) != 2 || got[0] != (signInRecord{authgo.TriggerSignUp, first, true}) || got[1] != (signInRecord{authgo.TriggerSignIn, first, false}) {
		t.Fatalf("sign-ins = %+v", got)
	}
	var users int
	if err := f.db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM users`).Scan(&users); err != nil || users != 1 {
		t.Fatalf("users rows = %d, %v", users, err)
	}
}

func TestAccountLinkedToAnotherUser(t *testing.T) {
	idp := &stubIdP{id: "gh"}
	f := newDBAuth(t, func(c *authgo.Config) { c.Providers = append(c.Providers, idp) })
	// The provider account belongs to the user its first sign-in made.
	if r := oauthSignIn(t, f.c, "gh"); r.StatusCode != http.StatusFound {
		t.Fatalf("first sign-in: %d", r.StatusCode)
	}
	owner := f.subOf(t, f.c)

	// Alice, signed in, signs in with that provider account.
	c2 := newClient(t, f.a)
	if r := c2.signIn(O, "alice", "wonderland"); r.StatusCode != http.StatusFound {
		t.Fatalf("credentials sign-in: %d", r.StatusCode)
	}
	r := oauthSignIn(t, c2, "gh")
	if loc := r.Header.Get("Location"); r.StatusCode != http.StatusFound || !strings.Contains(loc, "/auth/signin?error=OAuthAccountNotLinked") {
		t.Fatalf("link to another user: %d %q", r.StatusCode, loc)
	}
	if sub := f.subOf(t, c2); sub != "user-1" {
		t.Fatalf("alice's session became %q", sub)
	}
	if u := f.accountUser(t, "gh", "idp-42"); u != owner {
		t.Fatalf("the account moved to %q", u)
	}
}

func TestSignedInUserLinksProvider(t *testing.T) {
	// The provider's email is not alice's: a signed-in user links
	// without an email comparison.
	idp := &stubIdP{id: "gh", user: &authgo.User{ID: "gh-7", Name: "Al", Email: "al@elsewhere.example"}}
	var got []signInRecord
	f := newDBAuth(t, func(c *authgo.Config) {
		c.Providers = append(c.Providers, idp)
		recordSignIns(c, &got)
	})
	if r := f.c.signIn(O, "alice", "wonderland"); r.StatusCode != http.StatusFound {
		t.Fatalf("credentials sign-in: %d", r.StatusCode)
	}
	if r := oauthSignIn(t, f.c, "gh"); r.StatusCode != http.StatusFound || r.Header.Get("Location") != O+"/after" {
		t.Fatalf("linking sign-in: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	if u := f.accountUser(t, "gh", "gh-7"); u != "user-1" {
		t.Fatalf("account linked to %q", u)
	}
	if sub := f.subOf(t, f.c); sub != "user-1" {
		t.Fatalf("session user = %q", sub)
	}
	if s := f.c.session(O); s["user"].(map[string]any)["email"] != "alice@example.com" {
		t.Fatalf("session = %v", s)
	}
	// Signed out, the provider alone now signs in as alice.
	c2 := newClient(t, f.a)
	oauthSignIn(t, c2, "gh")
	if sub := f.subOf(t, c2); sub != "user-1" {
		t.Fatalf("later sign-in with the linked provider: %q", sub)
	}
	if len(got) != 3 || got[1].isNew || got[1].trigger != authgo.TriggerSignIn || got[2].sub != "user-1" {
		t.Fatalf("sign-ins = %+v", got)
	}
}

func TestDangerousEmailAccountLinking(t *testing.T) {
	// Alice's address, in another case: Auth.js lower-cases it first.
	who := &authgo.User{ID: "x-1", Name: "A.", Email: "Alice@Example.COM"}
	safe := &stubIdP{id: "safe", user: who}
	risky := &stubIdP{id: "risky", user: who, dangerous: true}
	var got []signInRecord
	f := newDBAuth(t, func(c *authgo.Config) {
		c.Providers = append(c.Providers, safe, risky)
		recordSignIns(c, &got)
	})
	// Alice's users row exists (a credentials sign-in), then she signs out.
	f.c.signIn(O, "alice", "wonderland")
	f.c.postForm(O+"/auth/signout", url.Values{"csrfToken": {f.c.csrf(O)}})
	if sub := f.subOf(t, f.c); sub != "" {
		t.Fatalf("still signed in as %q", sub)
	}

	r := oauthSignIn(t, f.c, "safe")
	if loc := r.Header.Get("Location"); !strings.Contains(loc, "error=OAuthAccountNotLinked") {
		t.Fatalf("email match without the option: %d %q", r.StatusCode, loc)
	}
	if u := f.accountUser(t, "safe", "x-1"); u != "" {
		t.Fatalf("linked to %q", u)
	}

	r = oauthSignIn(t, f.c, "risky")
	if loc := r.Header.Get("Location"); r.StatusCode != http.StatusFound || loc != O+"/after" {
		t.Fatalf("email match with AllowDangerousEmailAccountLinking: %d %q", r.StatusCode, loc)
	}
	if u := f.accountUser(t, "risky", "x-1"); u != "user-1" {
		t.Fatalf("linked to %q", u)
	}
	if sub := f.subOf(t, f.c); sub != "user-1" {
		t.Fatalf("session user = %q", sub)
	}
	if last := got[len(got)-1]; last != (signInRecord{authgo.TriggerSignIn, "user-1", false}) {
		t.Fatalf("last sign-in = %+v", last)
	}
}

// TestConcurrentFirstSignIns: a new OAuth user's first sign-in from many
// browsers at once, on SQLite: every one signs in, as one users row with
// one accounts row (the store's CreateUserWithAccount makes both in one
// transaction, so a losing sign-in adds nothing and takes the winner's).
// An OAuth user, because a new users row gets a fresh id: a credentials
// user's row takes the id Authorize returned, so two racing inserts of it
// collide and cannot leave an orphan either way.
func TestConcurrentFirstSignIns(t *testing.T) {
	idp := &stubIdP{id: "stub", profile: map[string]any{"sub": "idp-42", "email": "ida@example.com", "email_verified": true}}
	f := newDBAuth(t, func(c *authgo.Config) { c.Providers = append(c.Providers, idp) })
	const n = 8
	var wg sync.WaitGroup
	subs := make([]string, n)
	for i := range n {
		c := newClient(t, f.a)
		u := startFlow(t, c, "stub", "")
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := c.get(O + "/auth/callback/stub?code=the-code&state=" + url.QueryEscape(u.Query().Get("state")))
			if r.StatusCode != http.StatusFound || strings.Contains(r.Header.Get("Location"), "error") {
				t.Errorf("browser %d: sign-in %d %s", i, r.StatusCode, r.Header.Get("Location"))
				return
			}
			if tok, err := f.a.Token(requestOf(c)); err == nil && tok != nil {
				subs[i] = tok.Subject
			}
		}()
	}
	wg.Wait()
	for i, s := range subs {
		if s == "" || s != subs[0] {
			t.Errorf("browser %d signed in as %q, browser 0 as %q", i, s, subs[0])
		}
	}
	var users, accounts int
	if err := f.db.QueryRowContext(t.Context(), `SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM accounts)`).Scan(&users, &accounts); err != nil {
		t.Fatal(err)
	}
	if users != 1 || accounts != 1 {
		t.Errorf("%d users rows and %d accounts rows after %d first sign-ins at once, want 1 and 1", users, accounts, n)
	}
}

// TestEmailVerifiedRecorded: an OAuth sign-in whose provider verified the
// users row's address marks the row (emailVerified), so that a database
// session carries email_verified; an unverified address, or a verified
// one that is not the row's, leaves the row alone.
func TestEmailVerifiedRecorded(t *testing.T) {
	for _, tc := range []struct {
		name    string
		profile map[string]any
		want    bool
	}{
		{"verified", map[string]any{"sub": "idp-42", "email": "ida@example.com", "email_verified": true}, true},
		{"not verified", map[string]any{"sub": "idp-42", "email": "ida@example.com", "email_verified": false}, false},
		{"unknown", map[string]any{"sub": "idp-42", "email": "ida@example.com"}, false},
		{"another address verified", map[string]any{"sub": "idp-42", "email": "other@example.com", "email_verified": true}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			idp := &stubIdP{id: "stub", profile: tc.profile}
			f := newDBAuth(t, func(c *authgo.Config) { c.Providers = append(c.Providers, idp) })
			if r := oauthSignIn(t, f.c, "stub"); r.StatusCode != 302 {
				t.Fatalf("sign-in: %d", r.StatusCode)
			}
			u, err := f.store.UserByEmail(t.Context(), "ida@example.com")
			if err != nil || u == nil {
				t.Fatalf("users row: %v %v", u, err)
			}
			if got := !u.EmailVerified.IsZero(); got != tc.want {
				t.Errorf("emailVerified set = %v, want %v", got, tc.want)
			}
			r := httptest.NewRequest(http.MethodGet, O+"/", nil)
			r.AddCookie(&http.Cookie{Name: "authjs.session-token", Value: f.c.Cookie("authjs.session-token")})
			tok, err := f.a.Token(r)
			if err != nil || tok == nil {
				t.Fatalf("token: %v %v", tok, err)
			}
			if v, _ := tok.Extra["email_verified"].(bool); v != tc.want {
				t.Errorf("database session's email_verified = %v, want %v", tok.Extra["email_verified"], tc.want)
			}
		})
	}
}

// TestEmailVerifiedSeenByCachedSessions: when a later sign-in records
// that the provider verified the users row's address, a session of the
// same user already in the session cache shows email_verified at once,
// not after the cache's TTL.
func TestEmailVerifiedSeenByCachedSessions(t *testing.T) {
	idp := &stubIdP{id: "stub", profile: map[string]any{"sub": "idp-42", "email": "ida@example.com", "email_verified": false}}
	// A second provider, linked by the address, that verified it: its
	// sign-in rewrites only its own accounts row, so nothing but the
	// users row's update can drop the first browser's cached session.
	idp2 := &stubIdP{id: "stub2", dangerous: true, profile: map[string]any{"sub": "idp-42", "email": "ida@example.com", "email_verified": true}}
	f := newDBAuth(t, func(c *authgo.Config) {
		c.Providers = append(c.Providers, idp, idp2)
		c.Session.StoreCache = time.Hour // only an invalidation can refresh it
	})
	if r := oauthSignIn(t, f.c, "stub"); r.StatusCode != 302 {
		t.Fatalf("first sign-in: %d", r.StatusCode)
	}
	verified := func() bool {
		t.Helper()
		r := httptest.NewRequest(http.MethodGet, O+"/", nil)
		r.AddCookie(&http.Cookie{Name: "authjs.session-token", Value: f.c.Cookie("authjs.session-token")})
		tok, err := f.a.Token(r)
		if err != nil || tok == nil {
			t.Fatalf("token: %v %v", tok, err)
		}
		v, _ := tok.Extra[authgo.ClaimEmailVerified].(bool)
		return v
	}
	if verified() { // and now cached
		t.Fatal("email_verified before the provider said so")
	}
	if r := oauthSignIn(t, newClient(t, f.a), "stub2"); r.StatusCode != 302 || strings.Contains(r.Header.Get("Location"), "error") {
		t.Fatalf("second sign-in: %d", r.StatusCode)
	}
	if !verified() {
		t.Error("the first browser's cached session still shows the address unverified")
	}
}
