package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/gateway"
	"github.com/authgo/authgo/internal/testkit"
)

// TestServePasskeysNeedsName: --passkeys refuses to start without a host
// name for the relying party id, and says so.
func TestServePasskeysNeedsName(t *testing.T) {
	for _, tc := range []struct {
		e    env
		args []string
		want string
	}{
		{env{"AUTH_URL": "http://127.0.0.1:3000/auth"}, []string{"--addr", "127.0.0.1:0"}, "127.0.0.1 is an IP address"},
		{env{"AUTH_URL": "http://[::1]:3000/auth"}, []string{"--addr", "127.0.0.1:0"}, "::1 is an IP address"},
		{env{}, []string{"--addr", "0.0.0.0:0"}, "--addr 0.0.0.0 is not a loopback address"},
		{env{}, []string{"--addr", ":0"}, "--addr without a host listens on all interfaces"},
		{env{}, []string{"--addr", "[::]:0"}, "--addr :: is not a loopback address"},
		{env{"AUTH_TRUST_HOST": "true"}, []string{"--addr", "127.0.0.1:0", "--trusted-proxy", "127.0.0.1/32"}, "AUTH_TRUST_HOST takes the host from each request"},
	} {
		var stderr bytes.Buffer
		args := append([]string{"serve", "--dev", "--passkeys", "--data", t.TempDir()}, tc.args...)
		if code := run(t.Context(), args, strings.NewReader(""), io.Discard, &stderr, tc.e.get); code != 2 || !strings.Contains(stderr.String(), tc.want) || !strings.Contains(stderr.String(), "--passkeys needs") {
			t.Errorf("serve %v %v = %d\n%s\nwant exit 2 saying %q", tc.e, tc.args, code, stderr.String(), tc.want)
		}
	}
}

// TestPasskeysURLAccepts: a loopback --addr in any spelling, or an
// AUTH_URL with a host name whatever --addr is, gives passkeys a relying
// party id.
func TestPasskeysURLAccepts(t *testing.T) {
	for _, tc := range []struct {
		authURL   string
		trustHost bool
		host      string
	}{
		{"", false, "localhost"},
		{"", false, "127.0.0.1"},
		{"", false, "127.0.0.2"},
		{"", false, "::1"},
		{"https://auth.example.com/auth", false, ""},
		{"https://auth.example.com/auth", true, "0.0.0.0"},
	} {
		if err := passkeysURL(tc.authURL, tc.trustHost, tc.host); err != nil {
			t.Errorf("passkeysURL(%q, %v, %q) = %v; want nil", tc.authURL, tc.trustHost, tc.host, err)
		}
	}
}

// TestServePasskeys: serve --passkeys on a loopback address runs at
// http://localhost:PORT; the sign-in page carries the passkey section and
// its own script under a CSP that allows that script only; an address the
// allow-list lets in signs up with a passkey and signs in with it, one
// outside it gets AccessDenied and no user.
func TestServePasskeys(t *testing.T) {
	s := startServe(t, true, "--dev", "--passkeys", "--data", t.TempDir(), "--addr", "127.0.0.1:0", "--allow-email-domain", "example.com")
	if !regexp.MustCompile(`^http://localhost:[0-9]+$`).MatchString(s.origin) {
		t.Fatalf("serve --passkeys printed %s; want http://localhost:PORT", s.origin)
	}
	b := newBrowser(t, s.origin)
	if r := b.get("/auth/providers"); !strings.Contains(r.body, `"passkey":{"id":"passkey","name":"Passkey","type":"webauthn"`) {
		t.Fatalf("providers = %s", r.body)
	}
	page := b.get("/auth/signin")
	csp := page.header.Get("Content-Security-Policy")
	if !strings.Contains(page.body, `<script src="`+s.origin+`/auth/passkey.js" defer></script>`) || !strings.Contains(page.body, `autocomplete="username webauthn"`) ||
		!strings.Contains(csp, "script-src "+s.origin+"/auth/passkey.js;") || strings.Contains(csp, "unsafe-inline") || strings.Contains(page.body, "unpkg") {
		t.Fatalf("sign-in page: CSP %q\n%s", csp, page.body)
	}
	if r := b.get("/auth/passkey.js"); r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/javascript") || !strings.Contains(r.body, "isConditionalMediationAvailable") {
		t.Fatalf("passkey.js = %d %s", r.status, r.header.Get("Content-Type"))
	}

	signUp := func(email string) (response, *testkit.SoftAuthenticator) {
		t.Helper()
		b := newBrowser(t, s.origin)
		o := passkeyOptions(t, b, "email="+url.QueryEscape(email))
		if o.Action != "register" {
			t.Fatalf("options for %s = %+v; want register", email, o)
		}
		dev := testkit.NewSoftAuthenticator(t, s.origin, "localhost")
		return b.postForm("/auth/callback/passkey", url.Values{"action": {"register"}, "data": {dev.Register(t, o.Options)}, "csrfToken": {b.csrfToken()}}), dev
	}
	r, _ := signUp("mallory@evil.example")
	if r.status != 302 || !strings.Contains(r.header.Get("Location"), "error=AccessDenied") {
		t.Fatalf("sign-up outside the allow-list = %d %s", r.status, r.header.Get("Location"))
	}
	if o := passkeyOptions(t, newBrowser(t, s.origin), "email=mallory@evil.example"); o.Action != "register" {
		t.Fatalf("after the refused sign-up the address is known: %+v", o)
	}
	r, dev := signUp("ada@example.com")
	if r.status != 302 || strings.Contains(r.header.Get("Location"), "error") {
		t.Fatalf("sign-up = %d %s", r.status, r.header.Get("Location"))
	}
	b = newBrowser(t, s.origin)
	o := passkeyOptions(t, b, "")
	r = b.postForm("/auth/callback/passkey", url.Values{"action": {"authenticate"}, "data": {dev.Assert(t, o.Options)}, "csrfToken": {b.csrfToken()}})
	if r.status != 302 || strings.Contains(r.header.Get("Location"), "error") {
		t.Fatalf("sign-in = %d %s", r.status, r.header.Get("Location"))
	}
	if r := b.get("/auth/session"); !strings.Contains(r.body, `"email":"ada@example.com"`) {
		t.Fatalf("session = %s", r.body)
	}
}

type passkeyOpts struct {
	Action  string          `json:"action"`
	Options json.RawMessage `json:"options"`
}

func passkeyOptions(t *testing.T, b *browser, query string) passkeyOpts {
	t.Helper()
	r := b.get("/auth/webauthn-options/passkey?" + query)
	var o passkeyOpts
	if r.status != 200 || json.Unmarshal([]byte(r.body), &o) != nil {
		t.Fatalf("webauthn-options?%s = %d %s", query, r.status, r.body)
	}
	return o
}

// TestPasskeySignUpsRule: the allow-list decides new users only. A new
// user (no ID yet) signing up with a passkey needs a listed address; a
// signed-in user adding a passkey, a returning passkey user and any other
// provider's sign-in pass whatever the list says; an empty address is
// never listed; with no list under --dev (open) everybody may sign up;
// and the rule holds before the gateway is set (no list yet: refused).
func TestPasskeySignUpsRule(t *testing.T) {
	a, err := authgo.New(authgo.Config{Secret: []string{"passkey-rule-secret-0123456789abcdef0123"}, URL: "http://localhost:3000"})
	if err != nil {
		t.Fatal(err)
	}
	g, err := gateway.New(a, gateway.Options{Allow: gateway.Allow{Domains: []string{"example.com"}}})
	if err != nil {
		t.Fatal(err)
	}
	var nextCalls int
	next := func(context.Context, authgo.SignInParams) error { nextCalls++; return nil }
	passkey := &authgo.Account{Type: "webauthn", Provider: "passkey"}
	oauth := &authgo.Account{Type: "oauth", Provider: "github"}
	for _, tc := range []struct {
		name    string
		open    bool
		noList  bool
		acc     *authgo.Account
		user    authgo.User
		refused bool
	}{
		{"new user, listed", false, false, passkey, authgo.User{Email: "ann@example.com"}, false},
		{"new user, not listed", false, false, passkey, authgo.User{Email: "eve@evil.example"}, true},
		{"new user, empty address", false, false, passkey, authgo.User{}, true},
		{"signed-in user adds a passkey, not listed", false, false, passkey, authgo.User{ID: "u-1", Email: "eve@evil.example"}, false},
		{"another provider, not listed", false, false, oauth, authgo.User{Email: "eve@evil.example"}, false},
		{"new user, open (--dev, no list)", true, false, passkey, authgo.User{Email: "eve@evil.example"}, false},
		{"new user, gateway not set yet", false, true, passkey, authgo.User{Email: "ann@example.com"}, true},
	} {
		allow := &emailAllowList{open: tc.open, log: slog.New(slog.DiscardHandler)}
		if !tc.noList {
			allow.g.Store(g)
		}
		before := nextCalls
		u := tc.user
		err := passkeySignUps(next, allow)(context.Background(), authgo.SignInParams{User: &u, Account: tc.acc})
		if refused := errors.Is(err, authgo.ErrAccessDenied); refused != tc.refused || err != nil && !refused {
			t.Errorf("%s: err %v, want refused %v", tc.name, err, tc.refused)
		}
		if called := nextCalls > before; called == tc.refused {
			t.Errorf("%s: the next callback called %v, want %v", tc.name, called, !tc.refused)
		}
	}
}
