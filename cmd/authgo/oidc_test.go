package main

import (
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authgo/authgo/internal/testidp"
)

// TestServeOIDC: AUTH_OIDC_ISSUER/ID/SECRET turn on the generic OpenID
// Connect provider of authgo serve; a user signs in at a real OpenID
// provider and comes back with a session, whose sub is the id of the users
// row the sign-in made (not the provider's id), as under the database
// strategy.
func TestServeOIDC(t *testing.T) {
	data := t.TempDir()
	idp := testidp.New(t, testidp.Options{Users: []testidp.User{{ID: "u-7", Username: "ida", Password: "secret", Email: "Ida@Example.com", EmailVerified: true, Name: "Ida"}}})
	s := startServeEnv(t, env{
		"AUTH_SECRET":      strings.Repeat("k", 40),
		"AUTH_OIDC_ISSUER": idp.Issuer(),
		"AUTH_OIDC_ID":     "authgo-serve",
		"AUTH_OIDC_SECRET": "client-secret",
		"AUTH_OIDC_NAME":   "Test IdP",
	}, false, "--addr", "127.0.0.1:0", "--data", data)
	idp.AddClient(testidp.Client{ID: "authgo-serve", Secret: "client-secret", RedirectURIs: []string{s.origin + "/auth/callback/oidc"}})
	b := newBrowser(t, s.origin)

	if r := b.get("/auth/providers"); !strings.Contains(r.body, `"oidc":{"id":"oidc","name":"Test IdP","type":"oidc"`) {
		t.Fatalf("providers: %s", r.body)
	}
	if r := b.get("/auth/signin"); !strings.Contains(r.body, "Test IdP") {
		t.Fatal("no button on the sign-in page")
	}
	r := b.postForm("/auth/signin/oidc", url.Values{"csrfToken": {b.csrfToken()}, "callbackUrl": {"/"}})
	if r.status != http.StatusFound || !strings.HasPrefix(r.header.Get("Location"), idp.Issuer()) {
		t.Fatalf("sign-in: %d %q", r.status, r.header.Get("Location"))
	}
	back, err := idp.Login(t.Context(), b.Client, r.header.Get("Location"), "ida", "secret")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(back)
	r = b.get(u.RequestURI())
	if r.status != http.StatusFound || r.header.Get("Location") != s.origin+"/" {
		t.Fatalf("callback: %d %q", r.status, r.header.Get("Location"))
	}
	if r := b.get("/auth/session"); !strings.Contains(r.body, `"name":"Ida","email":"ida@example.com"`) {
		t.Fatalf("session: %s", r.body)
	}
	sub := sessionSub(t, b.sessionCookieOf(), strings.Repeat("k", 40))
	db, st, err := openStore(t.Context(), filepath.Join(data, "authgo.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if row, err := st.UserByAccount(t.Context(), "oidc", "u-7"); err != nil || row == nil || sub != row.ID || row.Email != "ida@example.com" {
		t.Fatalf("sub %q; the users row of the OIDC account: %+v, %v", sub, row, err)
	}
	if !strings.Contains(s.stderr.String(), "redirect_uri="+s.origin+"/auth/callback/oidc") {
		t.Errorf("the redirect URI to register is not logged:\n%s", s.stderr)
	}
}
