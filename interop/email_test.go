package interop_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/adapters/postgres"
	"github.com/authgo/authgo/provider"
	"github.com/authgo/authgo/providers/email"
)

// jsMail is a link server.mjs's email provider kept.
type jsMail struct {
	Identifier string `json:"identifier"`
	URL        string `json:"url"`
}

// authjsMails returns the links the Auth.js server at base has made.
func authjsMails(t *testing.T, base string) []jsMail {
	t.Helper()
	res, err := http.Get(base + "/__test/mail")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var m []jsMail
	if err := json.NewDecoder(res.Body).Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

// emailPair is Auth.js (@auth/core + @auth/pg-adapter, an email provider)
// and authgo (adapters/postgres, providers/email) on one database.
type emailPair struct {
	js, ag string
	mu     sync.Mutex
	agMail []provider.VerificationRequest
}

func newEmailPair(t *testing.T, jsSecret string, agSecrets []string) *emailPair {
	t.Helper()
	pgAdapterAvailable(t)
	pool, dsn := freshDatabase(t)
	if _, err := postgres.Migrate(t.Context(), pool); err != nil {
		t.Fatal(err)
	}
	p := &emailPair{js: startAuthJS(t, map[string]string{"AUTH_SECRET": jsSecret, "AUTHJS_DATABASE_URL": dsn, "AUTHJS_EMAIL": "1"})}
	s, err := postgres.New(pool)
	if err != nil {
		t.Fatal(err)
	}
	ep, err := email.New(email.Config{SendVerificationRequest: func(_ context.Context, r provider.VerificationRequest) error {
		p.mu.Lock()
		p.agMail = append(p.agMail, r)
		p.mu.Unlock()
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(nil)
	p.ag = "http://" + srv.Listener.Addr().String()
	a, err := authgo.New(authgo.Config{
		Secret: agSecrets, URL: p.ag, Providers: []provider.Provider{ep}, Users: s,
		Session: authgo.SessionConfig{Strategy: authgo.StrategyDatabase, Store: s, Revocations: s, StoreCache: -1},
	})
	if err != nil {
		t.Fatal(err)
	}
	serveAuthgo(t, srv, a, func(tok *authgo.Token) string { return tok.Email })
	return p
}

// ask asks base's email provider for a link to addr.
func ask(t *testing.T, base, addr string) {
	t.Helper()
	b := newBrowser(t, base)
	r := b.post("/auth/signin/nodemailer", url.Values{"csrfToken": {b.csrf()}, "email": {addr}, "callbackUrl": {base + "/home"}})
	if r.status != http.StatusFound || r.header.Get("Location") != base+"/auth/verify-request?provider=nodemailer&type=email" {
		t.Fatalf("%s: ask for a link: %d %q", base, r.status, r.header.Get("Location"))
	}
}

// open opens link (made for another server) on base: its path and query
// as they are.
func open(t *testing.T, base, link string) (*browser, *reply) {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, base)
	return b, b.get(u.RequestURI())
}

// TestEmailLinkInterop: a link Auth.js made signs in on authgo, one authgo
// made signs in on Auth.js, and each is single use across both.
func TestEmailLinkInterop(t *testing.T) {
	p := newEmailPair(t, dbSecret, []string{dbSecret})

	// Auth.js → authgo.
	ask(t, p.js, " Erin@Example.COM")
	mails := authjsMails(t, p.js)
	if len(mails) != 1 || mails[0].Identifier != "erin@example.com" {
		t.Fatalf("Auth.js made %+v", mails)
	}
	if !strings.Contains(mails[0].URL, "/auth/callback/nodemailer?callbackUrl=") || !strings.Contains(mails[0].URL, "&email=erin%40example.com") {
		t.Fatalf("Auth.js link %q", mails[0].URL)
	}
	b, r := open(t, p.ag, mails[0].URL)
	if r.status != http.StatusFound || strings.Contains(r.header.Get("Location"), "error") || b.Cookie("authjs.session-token") == "" {
		t.Fatalf("authgo on Auth.js's link: %d %q", r.status, r.header.Get("Location"))
	}
	if who := b.get("/whoami"); who.body != "erin@example.com" {
		t.Fatalf("authgo session: %d %q", who.status, who.body)
	}
	// Used up, on Auth.js too.
	if _, r := open(t, p.js, mails[0].URL); r.status != http.StatusFound || !strings.Contains(r.header.Get("Location"), "error=Verification") {
		t.Fatalf("Auth.js on its used link: %d %q", r.status, r.header.Get("Location"))
	}

	// authgo → Auth.js: the user authgo created signs in there.
	ask(t, p.ag, "erin@example.com")
	p.mu.Lock()
	link := p.agMail[0].URL
	p.mu.Unlock()
	b, r = open(t, p.js, link)
	if r.status != http.StatusFound || strings.Contains(r.header.Get("Location"), "error") || b.Cookie("authjs.session-token") == "" {
		t.Fatalf("Auth.js on authgo's link: %d %q", r.status, r.header.Get("Location"))
	}
	if s := b.get("/auth/session"); !strings.Contains(s.body, `"email":"erin@example.com"`) {
		t.Fatalf("Auth.js session: %s", s.body)
	}
	if _, r := open(t, p.ag, link); r.status != http.StatusFound || !strings.Contains(r.header.Get("Location"), "error=Verification") {
		t.Fatalf("authgo on its link used by Auth.js: %d %q", r.status, r.header.Get("Location"))
	}
}

// TestEmailLinkSecretList: Auth.js configured with a list of secrets
// hashes with them comma-joined; authgo with the same list accepts its
// links, and Auth.js with the list accepts none of authgo's (which hash
// with the newest alone): the one-way rotation the README states.
func TestEmailLinkSecretList(t *testing.T) {
	newer := "interop-newer-secret-0123456789abcdef0123456789"
	p := newEmailPair(t, newer+","+dbSecret, []string{newer, dbSecret})
	ask(t, p.js, "finn@example.com")
	mails := authjsMails(t, p.js)
	b, r := open(t, p.ag, mails[0].URL)
	if r.status != http.StatusFound || strings.Contains(r.header.Get("Location"), "error") || b.Cookie("authjs.session-token") == "" {
		t.Fatalf("authgo on the link Auth.js hashed with the list: %d %q", r.status, r.header.Get("Location"))
	}
	ask(t, p.ag, "finn@example.com")
	p.mu.Lock()
	link := p.agMail[0].URL
	p.mu.Unlock()
	if _, r := open(t, p.js, link); r.status != http.StatusFound || !strings.Contains(r.header.Get("Location"), "error=Verification") {
		t.Fatalf("Auth.js with a list on authgo's link: %d %q (Auth.js hashes with the joined list)", r.status, r.header.Get("Location"))
	}
}
