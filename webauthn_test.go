package authgo_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/adapters/sqlite"
	"github.com/authgo/authgo/internal/testkit"
	"github.com/authgo/authgo/provider"
	"github.com/authgo/authgo/providers/passkey"
)

const pkOrigin = "http://localhost:3000"

// newPasskeyAuth is an Auth on http://localhost:3000 with the passkey and
// webauthn providers and adapters/sqlite as its users store.
func newPasskeyAuth(t *testing.T, mod func(*authgo.Config)) (*authgo.Auth, *sqlite.Store) {
	t.Helper()
	s, _ := newSQLiteStore(t)
	a := newAuth(t, func(c *authgo.Config) {
		c.Users = s
		c.Providers = []provider.Provider{passkey.New(), passkey.NewWebAuthn()}
		if mod != nil {
			mod(c)
		}
	})
	return a, s
}

type pkOptions struct {
	status  int
	Action  string          `json:"action"`
	Options json.RawMessage `json:"options"`
	Error   string          `json:"error"`
}

func (c *client) webauthnOptions(id, query string) pkOptions {
	c.t.Helper()
	r := c.get(pkOrigin + "/auth/webauthn-options/" + id + "?" + query)
	var o pkOptions
	if err := json.Unmarshal([]byte(r.body), &o); err != nil {
		c.t.Fatalf("webauthn-options %s?%s: %d %q", id, query, r.StatusCode, r.body)
	}
	o.status = r.StatusCode
	if r.StatusCode == 200 && r.setCook["authjs.challenge"] == nil {
		c.t.Fatalf("webauthn-options %s?%s set no challenge cookie", id, query)
	}
	return o
}

func (c *client) webauthnCallback(id, action, data string, hdr ...string) *result {
	c.t.Helper()
	form := url.Values{"action": {action}, "data": {data}, "csrfToken": {c.csrf(pkOrigin)}, "callbackUrl": {pkOrigin + "/welcome"}}
	return c.postForm(pkOrigin+"/auth/callback/"+id, form, hdr...)
}

func wantSignedIn(t *testing.T, c *client, r *result, email string) {
	t.Helper()
	if r.StatusCode != http.StatusFound || r.Header.Get("Location") != pkOrigin+"/welcome" {
		t.Fatalf("callback = %d %s; want 302 to /welcome", r.StatusCode, r.Header.Get("Location"))
	}
	if ck := r.setCook["authjs.challenge"]; ck == nil || ck.MaxAge >= 0 {
		t.Fatalf("the challenge cookie was not cleared: %+v", ck)
	}
	s := c.session(pkOrigin)
	u, _ := s["user"].(map[string]any)
	if u == nil || u["email"] != email {
		t.Fatalf("session = %v; want %s signed in", s, email)
	}
}

// passkeySignUp signs email up with a new passkey on a fresh client and
// returns the client, signed in, and the authenticator.
func passkeySignUp(t *testing.T, a *authgo.Auth, email string) (*client, *testkit.SoftAuthenticator) {
	t.Helper()
	c := newClient(t, a)
	dev := testkit.NewSoftAuthenticator(t, pkOrigin, "localhost")
	o := c.webauthnOptions("passkey", "email="+email)
	wantSignedIn(t, c, c.webauthnCallback("passkey", "register", dev.Register(t, o.Options)), email)
	return c, dev
}

func wantRefused(t *testing.T, r *result, code string) {
	t.Helper()
	loc := r.Header.Get("Location")
	if r.StatusCode != http.StatusFound || !strings.Contains(loc, "error="+code) {
		t.Fatalf("callback = %d %s %q; want a redirect with error=%s", r.StatusCode, loc, r.body, code)
	}
	if r.setCook["authjs.session-token"] != nil && r.setCook["authjs.session-token"].MaxAge >= 0 {
		t.Fatal("a refused callback set a session")
	}
}

// TestPasskeySignUpSignIn: a new address registers (sign-up) and is
// signed in; signed out, the passkey signs in discoverably and by address;
// the stored row is Auth.js's shape; the counter goes up.
func TestPasskeySignUpSignIn(t *testing.T) {
	a, s := newPasskeyAuth(t, nil)
	c := newClient(t, a)
	dev := testkit.NewSoftAuthenticator(t, pkOrigin, "localhost")

	o := c.webauthnOptions("passkey", "email=Ada@Example.com")
	if o.status != 200 || o.Action != "register" {
		t.Fatalf("options for a new address = %+v; want register", o)
	}
	var reg struct {
		RP struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"rp"`
		User struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"user"`
		Timeout int `json:"timeout"`
		Sel     struct {
			ResidentKey      string `json:"residentKey"`
			UserVerification string `json:"userVerification"`
		} `json:"authenticatorSelection"`
	}
	json.Unmarshal(o.Options, &reg)
	if reg.RP.ID != "localhost" || reg.RP.Name != "localhost:3000" || reg.User.Name != "ada@example.com" || reg.Timeout != 300000 ||
		reg.Sel.ResidentKey != "required" || reg.Sel.UserVerification != "required" {
		t.Fatalf("registration options = %s", o.Options)
	}
	if h, _ := testkit.B64URL.DecodeString(reg.User.ID); len(h) != 64 {
		t.Fatalf("user.id = %q; want 64 hex characters, as Auth.js", h)
	}
	wantSignedIn(t, c, c.webauthnCallback("passkey", "register", dev.Register(t, o.Options)), "ada@example.com")

	credID := b64std(dev.ID) // standard base64, padded, as Auth.js writes it
	if !strings.HasPrefix(credID, "+/") || !strings.HasSuffix(credID, "=") {
		t.Fatalf("fixture credential id %q should need '+', '/' and padding", credID)
	}
	row, err := s.Authenticator(t.Context(), credID)
	if err != nil || row == nil || row.ProviderAccountID != credID || row.Transports != "internal" || row.CredentialDeviceType != "singleDevice" || row.Counter != 0 {
		t.Fatalf("stored authenticator = %+v, %v", row, err)
	}
	acc, _ := s.Account(t.Context(), "passkey", credID)
	if acc == nil || acc.Type != "webauthn" || acc.UserID != row.UserID {
		t.Fatalf("accounts row = %+v", acc)
	}

	for _, q := range []string{"", "email=ada@example.com", "action=authenticate"} {
		c2 := newClient(t, a)
		o := c2.webauthnOptions("passkey", q)
		if o.status != 200 || o.Action != "authenticate" {
			t.Fatalf("options ?%s for a known user = %+v; want authenticate", q, o)
		}
		var ro struct {
			Allow []struct {
				ID string `json:"id"`
			} `json:"allowCredentials"`
			RPID string `json:"rpId"`
			UV   string `json:"userVerification"`
		}
		json.Unmarshal(o.Options, &ro)
		if want := strings.Contains(q, "email"); (len(ro.Allow) == 1) != want || ro.RPID != "localhost" || ro.UV != "required" {
			t.Fatalf("authentication options ?%s = %s", q, o.Options)
		}
		wantSignedIn(t, c2, c2.webauthnCallback("passkey", "authenticate", dev.Assert(t, o.Options)), "ada@example.com")
	}
	if row, _ := s.Authenticator(t.Context(), credID); row.Counter != 3 {
		t.Fatalf("counter = %d; want 3", row.Counter)
	}
}

func b64std(b []byte) string {
	return strings.NewReplacer("-", "+", "_", "/").Replace(testkit.B64URL.EncodeToString(b)) + strings.Repeat("=", (3-len(b)%3)%3)
}

// TestPasskeyClonedCounter: an assertion whose counter does not go up (a
// copy of the credential that signed less often) is refused, and so is a
// replay of one already accepted.
func TestPasskeyClonedCounter(t *testing.T) {
	a, s := newPasskeyAuth(t, nil)
	_, dev := passkeySignUp(t, a, "grace@example.com")
	clone := *dev
	for range 3 {
		c2 := newClient(t, a)
		o := c2.webauthnOptions("passkey", "")
		wantSignedIn(t, c2, c2.webauthnCallback("passkey", "authenticate", dev.Assert(t, o.Options)), "grace@example.com")
	}
	for _, n := range []uint32{0, 2} { // assert adds one: 1 and 3, not above 3
		clone.Counter = n
		c3 := newClient(t, a)
		o := c3.webauthnOptions("passkey", "")
		wantRefused(t, c3.webauthnCallback("passkey", "authenticate", clone.Assert(t, o.Options)), authgo.CodeWebAuthnVerification)
	}
	if row, _ := s.Authenticator(t.Context(), b64std(dev.ID)); row == nil || row.Counter != 3 {
		t.Fatalf("stored counter = %+v; want 3", row)
	}
	// The original goes on.
	c4 := newClient(t, a)
	o := c4.webauthnOptions("passkey", "")
	wantSignedIn(t, c4, c4.webauthnCallback("passkey", "authenticate", dev.Assert(t, o.Options)), "grace@example.com")
}

// TestPasskeyAddToAccount: a signed-in user adds a second passkey, which
// then signs in as the same user; register without a session for a known
// address is refused.
func TestPasskeyAddToAccount(t *testing.T) {
	a, s := newPasskeyAuth(t, nil)
	c := newClient(t, a)
	first := testkit.NewSoftAuthenticator(t, pkOrigin, "localhost")
	o := c.webauthnOptions("passkey", "email=lin@example.com")
	wantSignedIn(t, c, c.webauthnCallback("passkey", "register", first.Register(t, o.Options)), "lin@example.com")

	if o := c.webauthnOptions("passkey", ""); o.status != 400 || o.Error != "Invalid request" {
		t.Fatalf("no action while signed in = %+v; want 400 Invalid request", o)
	}
	if page := c.get(pkOrigin + "/auth/signin"); !strings.Contains(page.body, `data-mode="add"`) || !strings.Contains(page.body, "Add a passkey") || strings.Contains(page.body, "passkey-email") {
		t.Fatalf("the sign-in page of a signed-in user offers no \"Add a passkey\":\n%s", page.body)
	}
	o = c.webauthnOptions("passkey", "action=register")
	if o.status != 200 || o.Action != "register" {
		t.Fatalf("register while signed in = %+v", o)
	}
	var reg struct {
		Exclude []struct {
			ID string `json:"id"`
		} `json:"excludeCredentials"`
	}
	json.Unmarshal(o.Options, &reg)
	if len(reg.Exclude) != 1 || reg.Exclude[0].ID != testkit.B64URL.EncodeToString(first.ID) {
		t.Fatalf("excludeCredentials = %s; want the first passkey", o.Options)
	}
	second := testkit.NewSoftAuthenticator(t, pkOrigin, "localhost")
	wantSignedIn(t, c, c.webauthnCallback("passkey", "register", second.Register(t, o.Options)), "lin@example.com")
	r1, _ := s.Authenticator(t.Context(), b64std(first.ID))
	r2, _ := s.Authenticator(t.Context(), b64std(second.ID))
	if r1 == nil || r2 == nil || r1.UserID != r2.UserID {
		t.Fatalf("the passkeys belong to %+v and %+v; want one user", r1, r2)
	}
	c2 := newClient(t, a)
	if o := c2.webauthnOptions("passkey", "action=register&email=lin@example.com"); o.status != 400 || o.Error != "Invalid request" {
		t.Fatalf("register a known address signed out = %+v; want 400 Invalid request", o)
	}
	o = c2.webauthnOptions("passkey", "email=LIN@example.com")
	wantSignedIn(t, c2, c2.webauthnCallback("passkey", "authenticate", second.Assert(t, o.Options)), "lin@example.com")
}

// TestPasskeyDecisionRules: Auth.js's answers of webauthn-options.
func TestPasskeyDecisionRules(t *testing.T) {
	a, _ := newPasskeyAuth(t, nil)
	c := newClient(t, a)
	for _, tc := range []struct {
		id, query string
		status    int
		action    string
		err       string
	}{
		{"passkey", "action=login", 400, "", "Invalid action"},
		{"passkey", "action=", 200, "authenticate", ""},
		{"passkey", "action=register", 400, "", "Invalid request"},
		{"passkey", "action=register&email=new@example.com", 200, "register", ""},
		{"passkey", "email=new@example.com", 200, "register", ""},
		{"passkey", "", 200, "authenticate", ""},
		{"passkey", "action=authenticate&email=new@example.com", 200, "authenticate", ""},
		{"passkey", "email=a@b@example.com", 400, "", "Invalid request"},
		{"passkey", "email=x%0d%0aBcc:y@example.com", 400, "", "Invalid request"},
		// The email provider's normaliser: the advisory addresses are refused
		// here too (a list, a quoted local part, the fullwidth and small '@').
		{"passkey", "email=a@x.com,b@y.com", 400, "", "Invalid request"},
		{"passkey", "email=%22e@attacker.com%22@victim.com", 400, "", "Invalid request"},
		{"passkey", "email=e%EF%BC%A0attacker.com@victim.com", 400, "", "Invalid request"},
		{"passkey", "email=e%EF%B9%ABattacker.com@victim.com", 400, "", "Invalid request"},
		{"passkey", "email=%EF%BC%A1da@Example.com", 200, "register", ""},
		{"passkey", "email=" + strings.Repeat("a", 250) + "@example.com", 400, "", "Invalid request"},
		{"webauthn", "email=new@example.com", 200, "register", ""},
	} {
		o := c.webauthnOptions(tc.id, tc.query)
		if o.status != tc.status || o.Action != tc.action || o.Error != tc.err {
			t.Errorf("webauthn-options/%s?%s = %d %q %q; want %d %q %q", tc.id, tc.query, o.status, o.Action, o.Error, tc.status, tc.action, tc.err)
		}
	}
	// Another provider: the Configuration error page, as Auth.js.
	for _, id := range []string{"credentials", "nope"} {
		if r := c.get(pkOrigin + "/auth/webauthn-options/" + id); r.StatusCode != 302 || r.Header.Get("Location") != pkOrigin+"/auth/error?error=Configuration" {
			t.Errorf("webauthn-options/%s = %d %s", id, r.StatusCode, r.Header.Get("Location"))
		}
	}
	// The webauthn provider prefers, the passkey provider requires.
	o := c.webauthnOptions("webauthn", "email=new@example.com")
	if !strings.Contains(string(o.Options), `"residentKey":"preferred"`) || !strings.Contains(string(o.Options), `"userVerification":"preferred"`) {
		t.Errorf("webauthn provider options = %s", o.Options)
	}
}

// TestPasskeyBadInput: what a browser or an attacker may post is answered
// with a refusal (a redirect to the error page, whose status is 4xx), never
// a 5xx, and signs nobody in.
func TestPasskeyBadInput(t *testing.T) {
	a, _ := newPasskeyAuth(t, nil)
	dev := testkit.NewSoftAuthenticator(t, pkOrigin, "localhost")
	{
		c := newClient(t, a)
		o := c.webauthnOptions("passkey", "email=eve@example.com")
		wantSignedIn(t, c, c.webauthnCallback("passkey", "register", dev.Register(t, o.Options)), "eve@example.com")
	}
	fresh := func() (*client, pkOptions) {
		c := newClient(t, a)
		return c, c.webauthnOptions("passkey", "")
	}
	t.Run("malformed data", func(t *testing.T) {
		for _, data := range []string{"", "{", "null", `{"id":"x"}`, `{"id":"` + testkit.B64URL.EncodeToString(dev.ID) + `","type":"public-key","response":{}}`, strings.Repeat("[", 5000)} {
			c, _ := fresh()
			wantRefused(t, c.webauthnCallback("passkey", "authenticate", data), authgo.CodeWebAuthnVerification)
		}
	})
	t.Run("bad action", func(t *testing.T) {
		c, o := fresh()
		wantRefused(t, c.webauthnCallback("passkey", "login", dev.Assert(t, o.Options)), authgo.CodeWebAuthnVerification)
		c, o = fresh()
		// Registration data against a sign-in challenge.
		wantRefused(t, c.webauthnCallback("passkey", "register", testkit.NewSoftAuthenticator(t, pkOrigin, "localhost").Register(t, o.Options)), authgo.CodeWebAuthnVerification)
	})
	t.Run("wrong challenge", func(t *testing.T) {
		c, _ := fresh()
		_, other := fresh()
		wantRefused(t, c.webauthnCallback("passkey", "authenticate", dev.Assert(t, other.Options)), authgo.CodeWebAuthnVerification)
	})
	t.Run("no challenge cookie", func(t *testing.T) {
		c, o := fresh()
		c.DeleteCookie("authjs.challenge")
		wantRefused(t, c.webauthnCallback("passkey", "authenticate", dev.Assert(t, o.Options)), authgo.CodeWebAuthnVerification)
	})
	t.Run("wrong origin in client data", func(t *testing.T) {
		c, o := fresh()
		evil := *dev
		evil.Origin = "http://localhost:4000"
		wantRefused(t, c.webauthnCallback("passkey", "authenticate", evil.Assert(t, o.Options)), authgo.CodeWebAuthnVerification)
		dev.Counter = evil.Counter
	})
	t.Run("wrong RP id", func(t *testing.T) {
		c, o := fresh()
		evil := *dev
		evil.RPID = "example.com"
		wantRefused(t, c.webauthnCallback("passkey", "authenticate", evil.Assert(t, o.Options)), authgo.CodeWebAuthnVerification)
		dev.Counter = evil.Counter
	})
	t.Run("no user verification", func(t *testing.T) {
		c, o := fresh()
		lazy := *dev
		lazy.Flags = 0
		wantRefused(t, c.webauthnCallback("passkey", "authenticate", lazy.Assert(t, o.Options)), authgo.CodeWebAuthnVerification)
		dev.Counter = lazy.Counter
	})
	t.Run("cross-origin post", func(t *testing.T) {
		c, o := fresh()
		r := c.webauthnCallback("passkey", "authenticate", dev.Assert(t, o.Options), "Origin", "http://evil.example")
		if r.StatusCode != http.StatusForbidden {
			t.Fatalf("cross-origin callback = %d; want 403", r.StatusCode)
		}
	})
	t.Run("wrong provider in cookie", func(t *testing.T) {
		c := newClient(t, a)
		o := c.webauthnOptions("webauthn", "") // the cookie is bound to webauthn
		wantRefused(t, c.webauthnCallback("passkey", "authenticate", dev.Assert(t, o.Options)), authgo.CodeWebAuthnVerification)
	})
	t.Run("missing CSRF", func(t *testing.T) {
		c, o := fresh()
		form := url.Values{"action": {"authenticate"}, "data": {dev.Assert(t, o.Options)}}
		wantRefused(t, c.postForm(pkOrigin+"/auth/callback/passkey", form), authgo.CodeMissingCSRF)
		c, o = fresh()
		form = url.Values{"action": {"authenticate"}, "data": {dev.Assert(t, o.Options)}, "csrfToken": {"forged"}}
		wantRefused(t, c.postForm(pkOrigin+"/auth/callback/passkey", form), authgo.CodeMissingCSRF)
	})
	t.Run("GET callback", func(t *testing.T) {
		c, _ := fresh()
		r := c.get(pkOrigin + "/auth/callback/passkey?action=authenticate")
		wantRefused(t, r, authgo.CodeWebAuthnVerification)
	})
	t.Run("error page is 400", func(t *testing.T) {
		c := newClient(t, a)
		if r := c.get(pkOrigin + "/auth/error?error=WebAuthnVerificationError"); r.StatusCode != 400 {
			t.Fatalf("error page = %d; want 400", r.StatusCode)
		}
	})
	// After all that, the passkey still signs in: nothing above moved
	// its counter past what the authenticator has.
	c, o := fresh()
	wantSignedIn(t, c, c.webauthnCallback("passkey", "authenticate", dev.Assert(t, o.Options)), "eve@example.com")
}

// TestPasskeySignInCallbackRefuses: the SignIn callback governs sign-up:
// refused, no user, no account and no credential are kept.
func TestPasskeySignInCallbackRefuses(t *testing.T) {
	a, s := newPasskeyAuth(t, func(c *authgo.Config) {
		c.Callbacks.SignIn = func(_ context.Context, p authgo.SignInParams) error {
			if !strings.HasSuffix(p.User.Email, "@example.com") {
				return authgo.ErrAccessDenied
			}
			return nil
		}
	})
	c := newClient(t, a)
	dev := testkit.NewSoftAuthenticator(t, pkOrigin, "localhost")
	o := c.webauthnOptions("passkey", "email=mallory@evil.example")
	if o.Action != "register" {
		t.Fatalf("options = %+v", o)
	}
	wantRefused(t, c.webauthnCallback("passkey", "register", dev.Register(t, o.Options)), authgo.CodeAccessDenied)
	if u, _ := s.UserByEmail(t.Context(), "mallory@evil.example"); u != nil {
		t.Fatalf("a refused sign-up left a user: %+v", u)
	}
	if row, _ := s.Authenticator(t.Context(), b64std(dev.ID)); row != nil {
		t.Fatalf("a refused sign-up left a credential: %+v", row)
	}
}

// TestPasskeyConfig: passkeys need a store of credentials and a host name.
func TestPasskeyConfig(t *testing.T) {
	s, _ := newSQLiteStore(t)
	for _, tc := range []struct {
		cfg  authgo.Config
		want string
	}{
		{authgo.Config{URL: "http://localhost:3000"}, "needs Users"},
		{authgo.Config{URL: "http://127.0.0.1:3000", Users: s}, "IP address"},
		{authgo.Config{URL: "http://[::1]:3000", Users: s}, "IP address"},
	} {
		tc.cfg.Secret = []string{testSecret}
		tc.cfg.Providers = []provider.Provider{passkey.New()}
		if _, err := authgo.New(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%s) = %v; want an error saying %q", tc.cfg.URL, err, tc.want)
		}
	}
}

// TestPasskeyTrustHostIP: with TrustHost, a request whose host is an IP
// address (which cannot be a relying party id) gets 400, not a server
// error.
func TestPasskeyTrustHostIP(t *testing.T) {
	a, _ := newPasskeyAuth(t, func(c *authgo.Config) {
		c.URL, c.TrustHost, c.TrustedProxies = "", true, []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0")}
	})
	c := newClient(t, a)
	r := c.get("http://127.0.0.1:3000/auth/webauthn-options/passkey?email=a@example.com")
	if r.StatusCode != 400 || !strings.Contains(r.body, "Invalid request") {
		t.Fatalf("options on an IP host = %d %s", r.StatusCode, r.body)
	}
	if o := c.webauthnOptions("passkey", "email=a@example.com"); o.status != 200 {
		t.Fatalf("options on localhost = %+v", o)
	}
}

// TestPasskeyReplay: a callback replayed with the challenge cookie from
// before it is refused, even for an authenticator that keeps no counter
// (whose 0 never goes up); the challenge cookie is cleared on a refusal
// too.
func TestPasskeyReplay(t *testing.T) {
	a, _ := newPasskeyAuth(t, nil)
	_, dev := passkeySignUp(t, a, "zed@example.com")

	c2 := newClient(t, a)
	o := c2.webauthnOptions("passkey", "")
	challengeCookie := c2.Cookie("authjs.challenge")
	var ro struct {
		Challenge string `json:"challenge"`
	}
	json.Unmarshal(o.Options, &ro)
	data := dev.Assertion(t, dev.ClientData("webauthn.get", ro.Challenge)) // counter 0, as registered
	wantSignedIn(t, c2, c2.webauthnCallback("passkey", "authenticate", data), "zed@example.com")

	c3 := newClient(t, a)
	c3.SetCookie("authjs.challenge", challengeCookie)
	r := c3.webauthnCallback("passkey", "authenticate", data)
	wantRefused(t, r, authgo.CodeWebAuthnVerification)
	if ck := r.setCook["authjs.challenge"]; ck == nil || ck.MaxAge >= 0 {
		t.Fatalf("a refused callback kept the challenge cookie: %+v", ck)
	}
}

// TestPasskeyEmailVerified: a passkey sign-in of a user whose address was
// verified (an email link, a provider) carries email_verified; a passkey
// sign-up's typed address does not.
func TestPasskeyEmailVerified(t *testing.T) {
	a, s := newPasskeyAuth(t, nil)
	c, dev := passkeySignUp(t, a, "ver@example.com")
	verified := func(c *client) (bool, bool) {
		t.Helper()
		req := httptest.NewRequest("GET", pkOrigin+"/", nil)
		req.Header.Set("Cookie", c.CookieHeader())
		tok, err := a.Token(req)
		if err != nil || tok == nil {
			t.Fatalf("Token = %v, %v", tok, err)
		}
		v, ok := tok.Extra[authgo.ClaimEmailVerified].(bool)
		return v, ok
	}
	if v, ok := verified(c); ok && v {
		t.Fatal("a passkey sign-up's typed address is email_verified")
	}
	u, _ := s.UserByEmail(t.Context(), "ver@example.com")
	u.EmailVerified = time.Now()
	if _, err := s.UpdateUser(t.Context(), *u); err != nil {
		t.Fatal(err)
	}
	c2 := newClient(t, a)
	o := c2.webauthnOptions("passkey", "")
	wantSignedIn(t, c2, c2.webauthnCallback("passkey", "authenticate", dev.Assert(t, o.Options)), "ver@example.com")
	if v, ok := verified(c2); !ok || !v {
		t.Fatal("a passkey sign-in of a verified address is not email_verified")
	}
}

// TestPasskeyNextAuthClient: the requests of next-auth/webauthn's
// signIn("passkey") (5.0.0-beta.32): options with the sign-in
// parameters in the query, then a form post with X-Auth-Return-Redirect
// carrying data, action, csrfToken and callbackUrl, answered {"url"}; a
// refusal is {"url": …/error?error=WebAuthnVerificationError}.
func TestPasskeyNextAuthClient(t *testing.T) {
	a, _ := newPasskeyAuth(t, nil)
	c := newClient(t, a)
	if r := c.get(pkOrigin + "/auth/providers"); !strings.Contains(r.body, `"passkey":{"id":"passkey","name":"Passkey","type":"webauthn"`) {
		t.Fatalf("providers = %s", r.body) // signIn checks providers[id].type === "webauthn"
	}
	dev := testkit.NewSoftAuthenticator(t, pkOrigin, "localhost")
	o := c.webauthnOptions("passkey", "email=nx%40example.com")
	post := func(action, data string) map[string]string {
		t.Helper()
		form := url.Values{"email": {"nx@example.com"}, "data": {data}, "action": {action}, "csrfToken": {c.csrf(pkOrigin)}, "callbackUrl": {pkOrigin + "/dashboard"}}
		r := c.postForm(pkOrigin+"/auth/callback/passkey?", form, "X-Auth-Return-Redirect", "1")
		var m map[string]string
		if r.StatusCode != 200 || json.Unmarshal([]byte(r.body), &m) != nil {
			t.Fatalf("callback = %d %s", r.StatusCode, r.body)
		}
		return m
	}
	if m := post("register", dev.Register(t, o.Options)); m["url"] != pkOrigin+"/dashboard" {
		t.Fatalf("register answered %v", m)
	}
	c.DeleteCookie("authjs.session-token")
	o = c.webauthnOptions("passkey", "")
	if m := post("authenticate", "{}"); !strings.Contains(m["url"], "/auth/error?error=WebAuthnVerificationError") {
		t.Fatalf("a bad credential answered %v", m)
	}
	o = c.webauthnOptions("passkey", "")
	if m := post("authenticate", dev.Assert(t, o.Options)); m["url"] != pkOrigin+"/dashboard" {
		t.Fatalf("authenticate answered %v", m)
	}
}

// TestPasskeyStoreDown: with the users store down, the options of an
// address and a callback answer 503 with Retry-After, never 500, and the
// body names no database.
func TestPasskeyStoreDown(t *testing.T) {
	s, db := newSQLiteStore(t)
	a := newAuth(t, func(c *authgo.Config) {
		c.Users = s
		c.Providers = []provider.Provider{passkey.New()}
	})
	_, dev := passkeySignUp(t, a, "down@example.com")

	c2 := newClient(t, a)
	o := c2.webauthnOptions("passkey", "") // a discoverable sign-in asks no store
	data := dev.Assert(t, o.Options)
	db.Close()
	opts := c2.get(pkOrigin + "/auth/webauthn-options/passkey?email=down@example.com")
	cb := c2.webauthnCallback("passkey", "authenticate", data)
	for name, r := range map[string]*result{"options": opts, "callback": cb} {
		if r.StatusCode != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" {
			t.Errorf("%s with the store down = %d, Retry-After %q; want 503 with Retry-After", name, r.StatusCode, r.Header.Get("Retry-After"))
		}
		for _, bad := range []string{"sql", "database", "closed"} {
			if strings.Contains(strings.ToLower(r.body), bad) {
				t.Errorf("%s body leaks %q: %s", name, bad, r.body)
			}
		}
	}
}

// TestPasskeyNoAccount: a stored credential whose accounts row was
// unlinked signs nobody in.
func TestPasskeyNoAccount(t *testing.T) {
	a, s := newPasskeyAuth(t, nil)
	_, dev := passkeySignUp(t, a, "gone@example.com")
	if err := s.UnlinkAccount(t.Context(), "passkey", b64std(dev.ID)); err != nil {
		t.Fatal(err)
	}
	c2 := newClient(t, a)
	o := c2.webauthnOptions("passkey", "")
	wantRefused(t, c2.webauthnCallback("passkey", "authenticate", dev.Assert(t, o.Options)), authgo.CodeWebAuthnVerification)
}

// TestPasskeyOtherInstance: the challenge cookie is sealed with the
// secret, not held in memory, so a callback reaching another instance (or
// the same one after a restart) over the same store signs in.
func TestPasskeyOtherInstance(t *testing.T) {
	s, _ := newSQLiteStore(t)
	instance := func() *authgo.Auth {
		return newAuth(t, func(c *authgo.Config) {
			c.Users = s
			c.Providers = []provider.Provider{passkey.New()}
		})
	}
	first, second := instance(), instance()
	_, dev := passkeySignUp(t, first, "two@example.com")
	o := newClient(t, first)
	opts := o.webauthnOptions("passkey", "")
	c := newClient(t, second)
	c.SetCookie("authjs.challenge", o.Cookie("authjs.challenge"))
	wantSignedIn(t, c, c.webauthnCallback("passkey", "authenticate", dev.Assert(t, opts.Options)), "two@example.com")
}

// TestPasskeyChallengeStoreDown: while the store of used challenges does
// not answer, a passkey callback is 503 with Retry-After, signs nobody in
// and keeps the challenge cookie; once the store is back, the same
// callback signs in, and its replay is refused.
func TestPasskeyChallengeStoreDown(t *testing.T) {
	once := &downStore{RevocationStore: authgo.NewMemoryRevocations()}
	a, _ := newPasskeyAuth(t, func(c *authgo.Config) { c.Session.Revocations = once })
	_, dev := passkeySignUp(t, a, "once@example.com")

	c := newClient(t, a)
	o := c.webauthnOptions("passkey", "")
	data := dev.Assert(t, o.Options)
	challenge := c.Cookie("authjs.challenge")
	once.down.Store(true)
	r := c.webauthnCallback("passkey", "authenticate", data)
	if r.StatusCode != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" {
		t.Fatalf("callback with the store down = %d, Retry-After %q; want 503 with Retry-After", r.StatusCode, r.Header.Get("Retry-After"))
	}
	if r.setCook["authjs.challenge"] != nil || c.Cookie("authjs.challenge") != challenge {
		t.Fatalf("the challenge cookie changed on Unavailable: %v", r.Header["Set-Cookie"])
	}
	once.down.Store(false)
	wantSignedIn(t, c, c.webauthnCallback("passkey", "authenticate", data), "once@example.com")

	c2 := newClient(t, a)
	c2.SetCookie("authjs.challenge", challenge)
	wantRefused(t, c2.webauthnCallback("passkey", "authenticate", data), authgo.CodeWebAuthnVerification)
}
