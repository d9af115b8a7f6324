package authgo_test

import (
	"context"
	"fmt"
	"html"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/internal/testkit"
)

// passkeySite serves the Auth at http://localhost:PORT/auth/ (the RP id is
// localhost) and at / a page that says who is signed in.
func passkeySite(t *testing.T) (string, *authgo.Auth) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := fmt.Sprintf("http://localhost:%d", ln.Addr().(*net.TCPAddr).Port)
	a, _ := newPasskeyAuth(t, func(c *authgo.Config) {
		c.URL = base
		c.Logger = slog.New(slog.NewTextHandler(tlog{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	})
	mux := http.NewServeMux()
	mux.Handle("/auth/", a)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		who := "nobody"
		if s, err := a.Session(r); err == nil && s != nil {
			who = s.User.Email
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><title>app</title><p id="who">%s</p>`, html.EscapeString(who))
	})
	srv := httptest.NewUnstartedServer(mux)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return base, a
}

// tlog writes to the test's log.
type tlog struct{ t *testing.T }

func (l tlog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func startChromium(t *testing.T) context.Context {
	t.Helper()
	exe := testkit.Chromium(t)
	out := &testkit.Buffer{}
	opts := testkit.ChromiumOptions(exe, chromedp.CombinedOutput(out))
	budget, cancelBudget := context.WithTimeout(context.Background(), 90*time.Second)
	alloc, cancelAlloc := chromedp.NewExecAllocator(budget, opts...)
	browser, cancelBrowser := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
		cancelBudget()
		if t.Failed() && out.Len() > 0 {
			t.Logf("chromium output:\n%s", out.Tail(4000))
		}
	})
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("starting %s: %v\n%s", exe, err, out.Tail(4000))
	}
	return browser
}

func run(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		t.Fatalf("%s: %v (at %s)", what, err, loc)
	}
}

// who is what the app page says: the signed-in email or "nobody".
func who(t *testing.T, ctx context.Context, base string) string {
	t.Helper()
	run(t, ctx, "open the app", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.ID("who")))
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("who")))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// waitLocation waits until the tab's URL is want, or starts with it when
// want ends in "?".
func waitLocation(t *testing.T, ctx context.Context, want string) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		loc, err := chromedp.Run(ctx, chromedp.Location())
		if err == nil && (loc == want || strings.HasSuffix(want, "?") && strings.HasPrefix(loc, want)) {
			return loc
		}
		if time.Now().After(deadline) {
			msg, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector("[data-passkey-error]")||{}).textContent||""`))
			t.Fatalf("waiting for %s: at %s, %v; page error %q", want, loc, err, msg)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func addAuthenticator(t *testing.T, ctx context.Context) webauthn.AuthenticatorID {
	t.Helper()
	res, err := chromedp.Call(ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{Options: &webauthn.VirtualAuthenticatorOptions{
		Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21,
		Transport:      webauthn.AuthenticatorTransportInternal,
		HasResidentKey: true, HasUserVerification: true, IsUserVerified: true,
		AutomaticPresenceSimulation: true,
	}})
	if err != nil {
		t.Fatalf("AddVirtualAuthenticator: %v", err)
	}
	return res.AuthenticatorID
}

// TestPasskeyBrowser drives the built-in sign-in page in headless
// Chromium with a virtual authenticator (RP id localhost): a new address
// signs up with a passkey and signs out; the page's passkey autofill
// (conditional UI) signs in with no click; the button signs in with the
// passkey and no address (a discoverable credential) in a browser without
// autofill; and a copy of the credential with a lower counter, in another
// authenticator, is refused.
func TestPasskeyBrowser(t *testing.T) {
	base, _ := passkeySite(t)
	browser := startChromium(t)
	tab, cancel := chromedp.NewContext(browser)
	defer cancel()
	if _, err := chromedp.Call(tab, webauthn.Enable, webauthn.EnableParams{}); err != nil {
		t.Fatalf("WebAuthn.enable: %v", err)
	}
	auth1 := addAuthenticator(t, tab)
	signin := base + "/auth/signin?callbackUrl=" + base + "/"
	signOut := func() {
		t.Helper()
		run(t, tab, "sign out", chromedp.Navigate(base+"/auth/signout"), chromedp.Click(chromedp.CSS(`form button[type="submit"]`)))
		waitLocation(t, tab, base+"/")
		if got := who(t, tab, base); got != "nobody" {
			t.Fatalf("after sign-out the app says %q", got)
		}
	}
	button := func(what string) {
		t.Helper()
		run(t, tab, what,
			chromedp.Navigate(signin),
			chromedp.WaitVisible(chromedp.ID("passkey-email")),
			chromedp.Click(chromedp.CSS(`#authgo-passkey button[type="submit"]`)),
		)
	}

	// Every credentials.get the pages make is recorded, with its
	// mediation, in the origin's sessionStorage.
	if _, err := chromedp.Call(tab, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `(() => { const get = navigator.credentials.get.bind(navigator.credentials);
			navigator.credentials.get = (o) => { sessionStorage.gets = (sessionStorage.gets || "") + (o.mediation || "button") + " "; return get(o); }; })();`,
	}); err != nil {
		t.Fatal(err)
	}
	gets := func() string {
		t.Helper()
		s, err := chromedp.Run(tab, chromedp.Evaluate[string](`sessionStorage.gets || ""`))
		if err != nil {
			t.Fatal(err)
		}
		chromedp.Run(tab, chromedp.Evaluate[any](`sessionStorage.gets = ""`))
		return strings.TrimSpace(s)
	}

	// Sign up: a new address, the button.
	run(t, tab, "open the sign-in page", chromedp.Navigate(signin), chromedp.WaitVisible(chromedp.ID("passkey-email")))
	ac, err := chromedp.Run(tab, chromedp.AttributeValue(chromedp.ID("passkey-email"), "autocomplete"))
	if err != nil || ac.Value != "username webauthn" {
		t.Fatalf("email field autocomplete = %+v, %v; want passkey autofill", ac, err)
	}
	run(t, tab, "sign up",
		chromedp.SendKeys(chromedp.ID("passkey-email"), "ada@example.com"),
		chromedp.Click(chromedp.CSS(`#authgo-passkey button[type="submit"]`)),
	)
	waitLocation(t, tab, base+"/")
	if got := who(t, tab, base); got != "ada@example.com" {
		t.Fatalf("after sign-up the app says %q", got)
	}
	creds, err := chromedp.Call(tab, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: auth1})
	if err != nil || len(creds.Credentials) != 1 || !creds.Credentials[0].IsResidentCredential {
		t.Fatalf("GetCredentials = %+v, %v; want one resident credential", creds, err)
	}
	saved := *creds.Credentials[0] // the credential as it was: its counter as at sign-up
	signOut()

	// Conditional UI: the email field is marked for passkey autofill,
	// and the page's conditional request, answered by the authenticator
	// (the virtual one offers its passkey as a user would pick it), signs
	// in without a click.
	gets()
	run(t, tab, "open the sign-in page", chromedp.Navigate(signin))
	waitLocation(t, tab, base+"/")
	if got := who(t, tab, base); got != "ada@example.com" {
		t.Fatalf("after passkey autofill the app says %q", got)
	}
	if g := gets(); g != "conditional" {
		t.Fatalf("credentials.get calls: %q; want one conditional", g)
	}
	signOut()

	// A browser without passkey autofill: the button, no address.
	if _, err := chromedp.Call(tab, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `PublicKeyCredential.isConditionalMediationAvailable = async () => false;`,
	}); err != nil {
		t.Fatal(err)
	}
	button("sign in with the button")
	waitLocation(t, tab, base+"/")
	if got := who(t, tab, base); got != "ada@example.com" {
		t.Fatalf("after the passkey sign-in the app says %q", got)
	}
	if g := gets(); g != "button" {
		t.Fatalf("credentials.get calls: %q; want one by the button", g)
	}
	creds, err = chromedp.Call(tab, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: auth1})
	if err != nil || len(creds.Credentials) != 1 || creds.Credentials[0].SignCount < saved.SignCount+2 {
		t.Fatalf("counter after two sign-ins: %+v, %v; want %v or more", creds, err, saved.SignCount+2)
	}
	signOut()

	// The clone: the saved copy, with its lower counter, in another
	// authenticator; the original is gone from the browser.
	if _, err := chromedp.Call(tab, webauthn.RemoveVirtualAuthenticator, webauthn.RemoveVirtualAuthenticatorParams{AuthenticatorID: auth1}); err != nil {
		t.Fatal(err)
	}
	auth2 := addAuthenticator(t, tab)
	// Sent without the cmtgKey members cdproto's Credential always
	// carries, which this Chromium refuses.
	type credential struct {
		CredentialID         []byte  `json:"credentialId"`
		IsResidentCredential bool    `json:"isResidentCredential"`
		RpID                 string  `json:"rpId"`
		PrivateKey           []byte  `json:"privateKey"`
		UserHandle           []byte  `json:"userHandle"`
		SignCount            float64 `json:"signCount"`
	}
	type addCredential struct {
		AuthenticatorID webauthn.AuthenticatorID `json:"authenticatorId"`
		Credential      credential               `json:"credential"`
	}
	add := cdp.Command[addCredential, cdp.Empty]{Method: webauthn.CommandAddCredential}
	clone := credential{saved.CredentialID, true, "localhost", saved.PrivateKey, saved.UserHandle, saved.SignCount}
	if _, err := chromedp.Call(tab, add, addCredential{auth2, clone}); err != nil {
		t.Fatalf("AddCredential(the clone): %v", err)
	}
	button("sign in with the clone")
	loc := waitLocation(t, tab, base+"/auth/error?")
	if !strings.Contains(loc, "error=WebAuthnVerificationError") {
		t.Fatalf("the clone landed on %s", loc)
	}
	if got := who(t, tab, base); got != "nobody" {
		t.Fatalf("after the clone's attempt the app says %q", got)
	}
}
