package authgo_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/provider"
	"github.com/authgo/authgo/providers/email"
	"github.com/authgo/authgo/store"
)

// mailbox captures the links an email provider would send.
type mailbox struct {
	mu   sync.Mutex
	sent []provider.VerificationRequest
}

func (o *mailbox) send(_ context.Context, r provider.VerificationRequest) error {
	o.mu.Lock()
	o.sent = append(o.sent, r)
	o.mu.Unlock()
	return nil
}

func (o *mailbox) n() int { o.mu.Lock(); defer o.mu.Unlock(); return len(o.sent) }

func (o *mailbox) last(t *testing.T) provider.VerificationRequest {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.sent) == 0 {
		t.Fatal("no link was sent")
	}
	return o.sent[len(o.sent)-1]
}

type emailFixture struct {
	*dbFixture
	box *mailbox
}

func newEmailAuth(t *testing.T, mod func(*authgo.Config)) *emailFixture {
	t.Helper()
	box := &mailbox{}
	p, err := email.New(email.Config{SendVerificationRequest: box.send})
	if err != nil {
		t.Fatal(err)
	}
	f := newDBAuth(t, func(c *authgo.Config) {
		c.Providers = append(c.Providers, p)
		c.Session.Strategy = authgo.StrategyJWT
		c.Session.Store = nil
		if mod != nil {
			mod(c)
		}
	})
	return &emailFixture{f, box}
}

// ask posts the address to the provider's sign-in endpoint with a CSRF
// token, as the built-in page does.
func (f *emailFixture) ask(t *testing.T, addr string, hdr ...string) *result {
	t.Helper()
	return f.c.postForm(origin+"/auth/signin/nodemailer", url.Values{"csrfToken": {f.c.csrf(origin)}, "email": {addr}, "callbackUrl": {"/after"}}, hdr...)
}

var linkPattern = regexp.MustCompile(`^http://localhost:3000/auth/callback/nodemailer\?callbackUrl=([^&]+)&token=([0-9a-f]{64})&email=([^&]+)$`)

func TestEmailSignIn(t *testing.T) {
	f := newEmailAuth(t, nil)
	r := f.ask(t, "  Alice@Example.COM ")
	if r.StatusCode != http.StatusFound || r.Header.Get("Location") != origin+"/auth/verify-request?provider=nodemailer&type=email" {
		t.Fatalf("sign-in: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	req := f.box.last(t)
	m := linkPattern.FindStringSubmatch(req.URL)
	if m == nil {
		t.Fatalf("link %q is not callbackUrl, token (64 hex), email in that order", req.URL)
	}
	if m[1] != url.QueryEscape(origin+"/after") || m[3] != "alice%40example.com" || req.Identifier != "alice@example.com" || req.Host != "localhost:3000" {
		t.Fatalf("link %q, identifier %q, host %q", req.URL, req.Identifier, req.Host)
	}
	if want := f.clk.now().Add(24 * time.Hour); !req.Expires.Equal(want) {
		t.Fatalf("expires %v, want %v", req.Expires, want)
	}
	// The row holds hex(sha256(token + secret)), never the token.
	var stored string
	if err := f.db.QueryRowContext(t.Context(), `SELECT token FROM verification_token WHERE identifier = ?`, "alice@example.com").Scan(&stored); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(m[2] + testSecret))
	if stored != hex.EncodeToString(sum[:]) {
		t.Fatalf("stored %q, want the hash of the token and the secret", stored)
	}
	// The verify-request page.
	if p := f.c.get(origin + "/auth/verify-request?provider=nodemailer&type=email"); p.StatusCode != 200 || !strings.Contains(p.body, "Check your email") {
		t.Fatalf("verify-request: %d", p.StatusCode)
	}

	// The link signs in, as a new user whose address is verified.
	r = f.c.get(req.URL)
	if r.StatusCode != http.StatusFound || r.Header.Get("Location") != origin+"/after" || r.setCook["authjs.session-token"] == nil {
		t.Fatalf("callback: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	s := f.c.session(origin)
	if u, _ := s["user"].(map[string]any); u["email"] != "alice@example.com" {
		t.Fatalf("session %v", s)
	}
	u, err := f.store.UserByEmail(t.Context(), "alice@example.com")
	if err != nil || u == nil || u.EmailVerified.IsZero() {
		t.Fatalf("user %+v, %v", u, err)
	}
	// Single use: the same link again is refused.
	f.c.DeleteCookie("authjs.session-token")
	r = f.c.get(req.URL)
	if r.StatusCode != http.StatusFound || !strings.HasSuffix(r.Header.Get("Location"), "/auth/error?error=Verification") || r.setCook["authjs.session-token"] != nil {
		t.Fatalf("replay: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	// A second sign-in finds the same user.
	f.ask(t, "alice@example.com")
	if r = f.c.get(f.box.last(t).URL); r.StatusCode != http.StatusFound || r.Header.Get("Location") != origin+"/after" {
		t.Fatalf("second sign-in: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	if s := f.c.session(origin); s["user"].(map[string]any)["email"] != "alice@example.com" {
		t.Fatalf("second session %v", s)
	}
	var n int
	f.db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM users WHERE email = ?`, "alice@example.com").Scan(&n)
	if n != 1 {
		t.Fatalf("%d users rows for the address", n)
	}
}

// TestEmailLinkRefused: expired, altered and other-address links, and
// links without their email or token, are Verification errors (403 page),
// never a session.
func TestEmailLinkRefused(t *testing.T) {
	f := newEmailAuth(t, nil)
	link := func(addr string) string {
		f.ask(t, addr)
		return f.box.last(t).URL
	}
	refused := func(name, target string) {
		t.Helper()
		r := f.c.get(target)
		if r.StatusCode != http.StatusFound || !strings.HasSuffix(r.Header.Get("Location"), "/auth/error?error=Verification") || r.setCook["authjs.session-token"] != nil {
			t.Fatalf("%s: %d %q", name, r.StatusCode, r.Header.Get("Location"))
		}
	}
	good := link("bob@example.com")
	m := linkPattern.FindStringSubmatch(good)
	tok := m[2]
	altered := strings.Replace(good, tok, tok[:63]+string("0123456789abcdef"[(strings.IndexByte("0123456789abcdef", tok[63])+1)%16]), 1)
	refused("altered token", altered)
	refused("other address", strings.Replace(good, "bob%40example.com", "eve%40example.com", 1))
	refused("no email parameter", strings.Replace(good, "&email=bob%40example.com", "", 1))
	refused("no token", strings.Replace(good, "&token="+tok, "", 1))
	refused("long token", strings.Replace(good, tok, strings.Repeat("a", 5000), 1))
	// The attempts above did not use the link up.
	if r := f.c.get(good); r.StatusCode != http.StatusFound || r.Header.Get("Location") != origin+"/after" {
		t.Fatalf("the good link after the bad ones: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	f.c.DeleteCookie("authjs.session-token")

	expired := link("carol@example.com")
	f.clk.add(24*time.Hour + time.Second)
	refused("expired", expired)
	var n int
	f.db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM verification_token WHERE identifier = ?`, "carol@example.com").Scan(&n)
	if n != 0 {
		t.Fatal("the expired row was kept")
	}
	if p := f.c.get(origin + "/auth/error?error=Verification"); p.StatusCode != http.StatusForbidden {
		t.Fatalf("error page: %d", p.StatusCode)
	}
}

// TestEmailRotatedSecret: a link whose token was hashed with an older
// secret, or (as Auth.js does with several secrets) with the comma-joined
// list, still signs in after a rotation.
func TestEmailRotatedSecret(t *testing.T) {
	const newer = "newer-secret-0123456789abcdef0123456789abcdef"
	f := newEmailAuth(t, func(c *authgo.Config) { c.Secret = []string{newer, testSecret} })
	for _, secret := range []string{testSecret, newer + "," + testSecret, newer} {
		tok := strings.Repeat("ab", 32)
		if secret == newer {
			tok = strings.Repeat("cd", 32)
		}
		sum := sha256.Sum256([]byte(tok + secret))
		if err := f.store.CreateVerificationToken(t.Context(), store.VerificationToken{Identifier: "dan@example.com", Token: hex.EncodeToString(sum[:]), Expires: f.clk.now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		r := f.c.get(origin + "/auth/callback/nodemailer?callbackUrl=%2Fafter&token=" + tok + "&email=dan%40example.com")
		if r.StatusCode != http.StatusFound || r.Header.Get("Location") != origin+"/after" {
			t.Fatalf("hashed with %q: %d %q", secret, r.StatusCode, r.Header.Get("Location"))
		}
		f.c.DeleteCookie("authjs.session-token")
	}
	// authgo stores with the newest secret alone.
	f.ask(t, "erin@example.com")
	tok := linkPattern.FindStringSubmatch(f.box.last(t).URL)[2]
	var stored string
	f.db.QueryRowContext(t.Context(), `SELECT token FROM verification_token WHERE identifier = ?`, "erin@example.com").Scan(&stored)
	if sum := sha256.Sum256([]byte(tok + newer)); stored != hex.EncodeToString(sum[:]) {
		t.Fatal("not stored with the newest secret")
	}
}

// TestEmailBadAddress: every advisory address, and header injection, is
// refused with 400 before anything is counted, stored or sent.
func TestEmailBadAddress(t *testing.T) {
	f := newEmailAuth(t, nil)
	for _, addr := range []string{
		"", "a@x.com,b@y.com", `"e@attacker.com"@victim.com`, "e\uff20attacker.com@victim.com", "e\ufe6battacker.com@victim.com",
		"a@x.com\r\nBcc: all@y.com", "a@x.com\nBcc:b@y.com", "no-at-sign", "@x.com", "a@", "a@b@c.com",
		strings.Repeat("a", 65) + "@x.com", "a@" + strings.Repeat("b", 250) + ".com", "<a@x.com>", "a b@x.com",
	} {
		r := f.ask(t, addr)
		if r.StatusCode != http.StatusBadRequest || !strings.Contains(r.body, "not an email address we can send a link to") {
			t.Errorf("%q: %d", addr, r.StatusCode)
		}
		r = f.ask(t, addr, "X-Auth-Return-Redirect", "1")
		if r.StatusCode != http.StatusBadRequest || r.body != `{"error":"invalid_email","url":"http://localhost:3000/auth/signin?error=EmailSignin\u0026code=invalid_email"}` {
			t.Errorf("%q (JSON): %d %s", addr, r.StatusCode, r.body)
		}
	}
	if f.box.n() != 0 {
		t.Fatalf("%d links sent", f.box.n())
	}
	// Without the CSRF token nothing is sent either.
	r := f.c.postForm(origin+"/auth/signin/nodemailer", url.Values{"email": {"a@x.com"}})
	if r.StatusCode != http.StatusFound || !strings.Contains(r.Header.Get("Location"), "error=MissingCSRF") || f.box.n() != 0 {
		t.Fatalf("without CSRF: %d %q, %d sent", r.StatusCode, r.Header.Get("Location"), f.box.n())
	}
}

// TestEmailJSON: next-auth/react's signIn posts JSON-ish forms with
// X-Auth-Return-Redirect and reads {url}.
func TestEmailJSON(t *testing.T) {
	f := newEmailAuth(t, nil)
	r := f.c.postJSON(origin+"/auth/signin/nodemailer", map[string]string{"csrfToken": f.c.csrf(origin), "email": "json@example.com"}, "X-Auth-Return-Redirect", "1")
	var got map[string]string
	if r.StatusCode != 200 || json.Unmarshal([]byte(r.body), &got) != nil || got["url"] != origin+"/auth/verify-request?provider=nodemailer&type=email" {
		t.Fatalf("%d %s", r.StatusCode, r.body)
	}
	if f.box.last(t).Identifier != "json@example.com" {
		t.Fatal("no link for the JSON request")
	}
}

// TestEmailLimits: the sixth link for one address within the hour, and
// the 21st from one client address, get 429 with Retry-After; the answer
// is the same for an address with an account and one without.
func TestEmailLimits(t *testing.T) {
	f := newEmailAuth(t, nil)
	for i := range 5 {
		if r := f.ask(t, "fay@example.com"); r.StatusCode != http.StatusFound {
			t.Fatalf("link %d: %d", i+1, r.StatusCode)
		}
	}
	r := f.ask(t, "fay@example.com")
	if r.StatusCode != http.StatusTooManyRequests || r.Header.Get("Retry-After") != "3600" || !strings.Contains(r.body, "Too many attempts; try again in 60 minutes.") {
		t.Fatalf("sixth: %d %q", r.StatusCode, r.Header.Get("Retry-After"))
	}
	r = f.ask(t, "fay@example.com", "X-Auth-Return-Redirect", "1")
	if r.StatusCode != http.StatusTooManyRequests || r.body != `{"error":"rate_limited","retryAfter":3600,"url":"http://localhost:3000/auth/signin?error=EmailSignin\u0026code=rate_limited\u0026retry_after=3600"}` {
		t.Fatalf("sixth (JSON): %d %s", r.StatusCode, r.body)
	}
	if f.box.n() != 5 {
		t.Fatalf("%d sent", f.box.n())
	}
	// Per client: 20 in all (7 counted so far).
	for i := range 13 {
		if r := f.ask(t, "user"+string(rune('a'+i))+"@example.com"); r.StatusCode != http.StatusFound {
			t.Fatalf("client link %d: %d", i, r.StatusCode)
		}
	}
	if r := f.ask(t, "new@example.com"); r.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("21st from the client: %d", r.StatusCode)
	}
	// The windows end.
	f.clk.add(time.Hour)
	if r := f.ask(t, "fay@example.com"); r.StatusCode != http.StatusFound {
		t.Fatalf("after the hour: %d", r.StatusCode)
	}
}

// TestEmailSignInCallback: the SignIn callback sees the verification
// request and may refuse it; no link is sent, and the answer is the same
// as when one is.
func TestEmailSignInCallback(t *testing.T) {
	var seen []authgo.SignInParams
	f := newEmailAuth(t, func(c *authgo.Config) {
		c.Callbacks.SignIn = func(_ context.Context, p authgo.SignInParams) error {
			seen = append(seen, p)
			if strings.HasSuffix(p.User.Email, "@blocked.example") {
				return errors.New("not here")
			}
			return nil
		}
	})
	ok := f.ask(t, "gus@example.com")
	no := f.ask(t, "gus@blocked.example")
	if ok.StatusCode != no.StatusCode || ok.Header.Get("Location") != no.Header.Get("Location") || ok.body != no.body {
		t.Fatalf("answers differ: %d %q / %d %q", ok.StatusCode, ok.Header.Get("Location"), no.StatusCode, no.Header.Get("Location"))
	}
	if f.box.n() != 1 || f.box.last(t).Identifier != "gus@example.com" {
		t.Fatalf("sent %d", f.box.n())
	}
	if len(seen) != 2 || !seen[0].VerificationRequest || seen[0].Account.Type != "email" || seen[0].Account.ProviderAccountID != "gus@example.com" {
		t.Fatalf("callback saw %+v", seen)
	}
	f.c.get(f.box.last(t).URL)
	if len(seen) != 3 || seen[2].VerificationRequest {
		t.Fatalf("callback at the link: %+v", seen)
	}
}

// TestEmailSignInPage: the built-in page has the email form.
func TestEmailSignInPage(t *testing.T) {
	f := newEmailAuth(t, nil)
	p := f.c.get(origin + "/auth/signin")
	if !strings.Contains(p.body, `action="http://localhost:3000/auth/signin/nodemailer"`) || !strings.Contains(p.body, `type="email"`) {
		t.Fatalf("no email form:\n%s", p.body)
	}
	pr := f.c.get(origin + "/auth/providers")
	if !strings.Contains(pr.body, `"nodemailer":{"id":"nodemailer","name":"Email","type":"email"`) {
		t.Fatalf("providers: %s", pr.body)
	}
}

// TestEmailDatabaseSession: under the database strategy the link makes a
// database session for the users row of the address.
func TestEmailDatabaseSession(t *testing.T) {
	f := newEmailAuth(t, func(c *authgo.Config) {
		c.Session.Strategy = authgo.StrategyDatabase
		c.Session.Store = c.Users.(store.SessionStore)
	})
	f.ask(t, "hal@example.com")
	r := f.c.get(f.box.last(t).URL)
	if r.StatusCode != http.StatusFound || r.Header.Get("Location") != origin+"/after" || r.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Fatalf("callback: %d %q %q", r.StatusCode, r.Header.Get("Location"), r.Header.Get("Referrer-Policy"))
	}
	if n, _ := f.rows(t); n != 1 {
		t.Fatalf("%d sessions rows", n)
	}
	s := f.c.session(origin)
	if s["user"].(map[string]any)["email"] != "hal@example.com" {
		t.Fatalf("session %v", s)
	}
}

// TestEmailSendErrors: a recipient the mail server refuses for good gets
// the same answer as a sent link; a mail server that does not answer is
// the Unavailable page (503, Retry-After); another failure the
// Configuration error.
func TestEmailSendErrors(t *testing.T) {
	var fail error
	p, err := email.New(email.Config{SendVerificationRequest: func(context.Context, provider.VerificationRequest) error { return fail }})
	if err != nil {
		t.Fatal(err)
	}
	f := newDBAuth(t, func(c *authgo.Config) {
		c.Providers = append(c.Providers, p)
		c.Session.Strategy, c.Session.Store = authgo.StrategyJWT, nil
	})
	ef := &emailFixture{f, nil}
	fail = fmt.Errorf("rcpt: %w", provider.ErrUndeliverable)
	if r := ef.ask(t, "gone@example.com"); r.StatusCode != http.StatusFound || r.Header.Get("Location") != origin+"/auth/verify-request?provider=nodemailer&type=email" {
		t.Fatalf("undeliverable: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	fail = fmt.Errorf("dial: %w", provider.ErrUnavailable)
	if r := ef.ask(t, "later@example.com"); r.StatusCode != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" {
		t.Fatalf("unavailable: %d %q", r.StatusCode, r.Header.Get("Retry-After"))
	}
	fail = errors.New("auth refused")
	if r := ef.ask(t, "x@example.com"); r.StatusCode != http.StatusFound || !strings.HasSuffix(r.Header.Get("Location"), "error=Configuration") {
		t.Fatalf("other: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
}

// TestEmailVerifyRequestPage: Pages.VerifyRequest replaces the built-in
// page, keeping the query.
func TestEmailVerifyRequestPage(t *testing.T) {
	f := newEmailAuth(t, func(c *authgo.Config) { c.Pages.VerifyRequest = "/check-mail" })
	r := f.c.get(origin + "/auth/verify-request?provider=nodemailer&type=email")
	if r.StatusCode != http.StatusFound || r.Header.Get("Location") != "/check-mail?provider=nodemailer&type=email" {
		t.Fatalf("%d %q", r.StatusCode, r.Header.Get("Location"))
	}
}

// TestEmailLimitIPv6: the addresses of one IPv6 /64 share the per-client
// limit; another /64 has its own.
func TestEmailLimitIPv6(t *testing.T) {
	f := newEmailAuth(t, func(c *authgo.Config) { c.Email.PerClient = 2 })
	tok := f.c.csrf(origin)
	ask := func(remote, addr string) int {
		req := f.c.NewRequest("POST", origin+"/auth/signin/nodemailer", strings.NewReader(url.Values{"csrfToken": {tok}, "email": {addr}}.Encode()),
			"Content-Type", "application/x-www-form-urlencoded")
		req.RemoteAddr = remote
		return f.c.do(req).StatusCode
	}
	if ask("[2001:db8:1:2::1]:4444", "a1@example.com") != http.StatusFound || ask("[2001:db8:1:2:ffff::9]:4444", "a2@example.com") != http.StatusFound {
		t.Fatal("first two refused")
	}
	if got := ask("[2001:db8:1:2:abcd::5]:4444", "a3@example.com"); got != http.StatusTooManyRequests {
		t.Fatalf("third from the same /64: %d", got)
	}
	if got := ask("[2001:db8:1:3::1]:4444", "a4@example.com"); got != http.StatusFound {
		t.Fatalf("another /64: %d", got)
	}
}

// usersOnly is a UserStore that keeps no verification tokens.
type usersOnly struct{ store.UserStore }

func TestEmailConfigErrors(t *testing.T) {
	p, err := email.New(email.Config{SendVerificationRequest: (&mailbox{}).send})
	if err != nil {
		t.Fatal(err)
	}
	s := newDBAuth(t, nil).store
	for _, c := range []struct {
		mod  func(*authgo.Config)
		want string
	}{
		{func(c *authgo.Config) {}, "needs Users"},
		{func(c *authgo.Config) { c.Users = usersOnly{s} }, "Users implementing store.VerificationTokenStore"},
		{func(c *authgo.Config) { c.Users = s; c.Email.Window = -time.Second }, "Email.Window"},
		{func(c *authgo.Config) { c.Users = s; c.Pages.VerifyRequest = "https://evil.test/x" }, "Pages.VerifyRequest"},
	} {
		cfg := authgo.Config{Secret: []string{testSecret}, URL: origin, Providers: []provider.Provider{p}}
		c.mod(&cfg)
		if _, err := authgo.New(cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v, want %q", err, c.want)
		}
	}
	cfg := authgo.Config{Secret: []string{testSecret}, URL: origin, Providers: []provider.Provider{p}, Users: usersOnly{s}, Email: authgo.EmailConfig{Tokens: s}}
	if _, err := authgo.New(cfg); err != nil {
		t.Errorf("Email.Tokens beside a users store without tokens: %v", err)
	}
}

// downTokens is a verification token store that does not answer.
type downTokens struct{}

func (downTokens) CreateVerificationToken(context.Context, store.VerificationToken) error {
	return errors.New("connection refused")
}

func (downTokens) UseVerificationToken(context.Context, string, string) (*store.VerificationToken, error) {
	return nil, errors.New("connection refused")
}

// downCounter is a limits counter that does not answer.
type downCounter struct{}

func (downCounter) Add(context.Context, string, time.Duration) (int64, time.Time, error) {
	return 0, time.Time{}, errors.New("connection refused")
}

func (downCounter) Count(context.Context, string) (int64, time.Time, error) {
	return 0, time.Time{}, errors.New("connection refused")
}

func (downCounter) Reset(context.Context, string) error { return errors.New("connection refused") }

// TestEmailStoreDown: a token store or a limits counter that does not
// answer is the Unavailable page (503, Retry-After), and no link is sent;
// a link followed while the token store is down is a 503 too.
func TestEmailStoreDown(t *testing.T) {
	for name, mod := range map[string]func(*authgo.Config){
		"tokens":  func(c *authgo.Config) { c.Email.Tokens = downTokens{} },
		"counter": func(c *authgo.Config) { c.Email.Counter = downCounter{} },
	} {
		t.Run(name, func(t *testing.T) {
			f := newEmailAuth(t, mod)
			if r := f.ask(t, "ada@example.com"); r.StatusCode != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" {
				t.Fatalf("asked: %d %q", r.StatusCode, r.Header.Get("Retry-After"))
			}
			if n := f.box.n(); n != 0 {
				t.Fatalf("%d links sent while the store was down", n)
			}
		})
	}
	f := newEmailAuth(t, func(c *authgo.Config) { c.Email.Tokens = downTokens{} })
	link := origin + "/auth/callback/nodemailer?callbackUrl=%2Fafter&token=" + strings.Repeat("ab", 32) + "&email=ada%40example.com"
	if r := f.c.get(link); r.StatusCode != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" {
		t.Fatalf("link: %d %q", r.StatusCode, r.Header.Get("Retry-After"))
	}
}
