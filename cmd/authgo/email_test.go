package main

import (
	"bufio"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/authgo/authgo/internal/smtptest"
	"github.com/authgo/authgo/internal/testkit"
)

var mailLink = regexp.MustCompile(`http://127\.0\.0\.1:[0-9]+/auth/callback/nodemailer\?callbackUrl=[^&\s]+&token=([0-9a-f]{64})&email=[^&\s]+`)

// askLink posts addr to the email provider as the sign-in page does.
func (b *browser) askLink(addr string) response {
	b.t.Helper()
	return b.postForm(b.base+"/signin/nodemailer", url.Values{"csrfToken": {b.csrfToken()}, "email": {addr}, "callbackUrl": {b.origin + "/after"}})
}

// TestEmailBinary runs the built binary with AUTH_EMAIL_SERVER pointing at
// an SMTP server in the test: the link from the captured mail signs in;
// replayed, altered, other-address and expired links are refused; an
// address outside the allow-list gets the same answer and no mail;
// advisory addresses get 400; the per-address limit answers 429 with
// Retry-After; nothing secret reaches the log.
func TestEmailBinary(t *testing.T) {
	smtpd := smtptest.Start(t, smtptest.Options{Mode: smtptest.Plain, User: "mailer", Pass: "s3cret:pw"})
	bin := filepath.Join(t.TempDir(), "authgo")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	data := t.TempDir()
	secret := strings.Repeat("k", 40)
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--data", data, "--allow-email-domain", "example.com", "--email-limit-address", "3")
	cmd.Env = append(os.Environ(), "AUTH_SECRET="+secret,
		"AUTH_EMAIL_SERVER=smtp://mailer:s3cret%3Apw@"+smtpd.Addr, "AUTH_EMAIL_FROM=Acme <no-reply@acme.test>")
	var stderr testkit.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	m := runningLine.FindStringSubmatch(strings.TrimSuffix(line, "\n"))
	if err != nil || m == nil {
		t.Fatalf("startup line %q (%v)\n%s", line, err, &stderr)
	}
	origin := m[1]
	b := newBrowser(t, origin)

	if r := b.get("/auth/signin"); !strings.Contains(r.body, `action="`+origin+`/auth/signin/nodemailer"`) || !strings.Contains(r.body, `name="email"`) {
		t.Fatalf("sign-in page has no email form:\n%s", r.body)
	}
	if r := b.get("/auth/providers"); !strings.Contains(r.body, `"nodemailer":{"id":"nodemailer","name":"Email","type":"email"`) {
		t.Fatalf("providers: %s", r.body)
	}

	verify := origin + "/auth/verify-request?provider=nodemailer&type=email"
	r := b.askLink("Alice@Example.com")
	if r.status != http.StatusFound || r.header.Get("Location") != verify {
		t.Fatalf("ask: %d %q\n%s", r.status, r.header.Get("Location"), &stderr)
	}
	mail := smtpd.Wait(t, 1, 10*time.Second)
	if !mail.Auth || mail.From != "no-reply@acme.test" || mail.To[0] != "alice@example.com" {
		t.Fatalf("mail auth %v from %q to %q", mail.Auth, mail.From, mail.To)
	}
	hdr, text, html, err := mail.Parts()
	if err != nil {
		t.Fatal(err)
	}
	if hdr.Get("Subject") != "Sign in to "+strings.TrimPrefix(origin, "http://") {
		t.Fatalf("subject %q", hdr.Get("Subject"))
	}
	link := mailLink.FindString(text)
	if link == "" || !strings.Contains(html, strings.ReplaceAll(link, "&", "&amp;")) {
		t.Fatalf("no link in the mail:\n%s\n%s", text, html)
	}
	token := mailLink.FindStringSubmatch(link)[1]

	// Refused links first: they must not use the good one up.
	refused := func(name, target string) {
		t.Helper()
		r := b.get(strings.TrimPrefix(target, origin))
		if r.status != http.StatusFound || !strings.HasSuffix(r.header.Get("Location"), "/auth/error?error=Verification") {
			t.Fatalf("%s: %d %q", name, r.status, r.header.Get("Location"))
		}
	}
	flip := "0"
	if token[0] == '0' {
		flip = "1"
	}
	refused("altered token", strings.Replace(link, token, flip+token[1:], 1))
	refused("other address", strings.Replace(link, "alice%40example.com", "bob%40example.com", 1))

	r = b.get(strings.TrimPrefix(link, origin))
	if r.status != http.StatusFound || r.header.Get("Location") != origin+"/after" {
		t.Fatalf("link: %d %q", r.status, r.header.Get("Location"))
	}
	if s := b.get("/auth/session"); !strings.Contains(s.body, `"email":"alice@example.com"`) {
		t.Fatalf("session: %s", s.body)
	}
	// The address is verified: the allow-list lets the user through.
	if fa := b.get("/auth/forward-auth"); fa.status != http.StatusOK {
		t.Fatalf("forward-auth for the email user: %d %s", fa.status, fa.body)
	}
	b.DeleteCookie("authjs.session-token")
	refused("replayed", link)

	// An expired link, written as Auth.js or authgo would have an hour
	// before it expired.
	db, err := sql.Open("sqlite", filepath.Join(data, "authgo.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	old := strings.Repeat("ef", 32)
	sum := sha256.Sum256([]byte(old + secret))
	if _, err := db.Exec(`INSERT INTO verification_token (identifier, token, expires) VALUES (?, ?, ?)`,
		"carol@example.com", hex.EncodeToString(sum[:]), time.Now().Add(-time.Minute).UnixMilli()); err != nil {
		t.Fatal(err)
	}
	refused("expired", origin+"/auth/callback/nodemailer?callbackUrl=%2F&token="+old+"&email=carol%40example.com")

	// Outside the allow-list: the same answer, no mail.
	r = b.askLink("mallory@elsewhere.test")
	if r.status != http.StatusFound || r.header.Get("Location") != verify {
		t.Fatalf("outside the list: %d %q", r.status, r.header.Get("Location"))
	}
	// Advisory addresses: 400, never 5xx, no mail.
	for _, bad := range []string{"a@example.com,b@evil.test", `"e@evil.test"@example.com`, "e\uff20evil.test@example.com", "e\ufe6bevil.test@example.com", "a@example.com\r\nBcc: x@evil.test", strings.Repeat("a", 300) + "@example.com"} {
		if r := b.askLink(bad); r.status != http.StatusBadRequest {
			t.Errorf("%q: %d", bad, r.status)
		}
	}
	// The per-address limit (3 per hour here): one was sent above.
	for i := range 2 {
		if r := b.askLink("dave@example.com"); r.status != http.StatusFound {
			t.Fatalf("dave %d: %d", i, r.status)
		}
	}
	for range 2 {
		b.askLink("alice@example.com")
	}
	r = b.askLink("alice@example.com")
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" {
		t.Fatalf("fourth link for alice: %d %q", r.status, r.header.Get("Retry-After"))
	}
	smtpd.Wait(t, 5, 10*time.Second)
	time.Sleep(100 * time.Millisecond)
	if n := len(smtpd.Mails()); n != 5 {
		t.Fatalf("%d mails, want 5 (alice 3, dave 2)", n)
	}
	for _, m := range smtpd.Mails() {
		if !strings.HasSuffix(m.To[0], "@example.com") {
			t.Fatalf("mail to %q", m.To)
		}
	}
	log := stderr.String()
	if strings.Contains(log, token) || strings.Contains(log, "s3cret") || strings.Contains(log, "/callback/nodemailer?") {
		t.Fatalf("the log shows a token, link or password:\n%s", log)
	}
	if !strings.Contains(log, "email sign-in is on") || !strings.Contains(log, "xxxxx") {
		t.Fatalf("startup log:\n%s", log)
	}
}

// TestEmailDev: under --dev without a server the link is printed to
// standard output, never to the log, and signs in.
func TestEmailDev(t *testing.T) {
	srv := startServeEnv(t, env{}, true, "--dev", "--addr", "127.0.0.1:0", "--data", t.TempDir())
	b := newBrowser(t, srv.origin)
	if r := b.askLink("Dev@Example.org"); r.status != http.StatusFound {
		t.Fatalf("ask: %d", r.status)
	}
	var link string
	for deadline := time.Now().Add(5 * time.Second); link == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := regexp.MustCompile(`sign-in link for dev@example\.org \(--dev, not sent\): (\S+)`).FindStringSubmatch(srv.stdout.String()); m != nil {
			link = m[1]
		}
	}
	if link == "" {
		t.Fatalf("no link on stdout:\n%s", srv.stdout)
	}
	if r := b.get(strings.TrimPrefix(link, srv.origin)); r.status != http.StatusFound || strings.Contains(r.header.Get("Location"), "error") {
		t.Fatalf("link: %d %q", r.status, r.header.Get("Location"))
	}
	if s := b.get("/auth/session"); !strings.Contains(s.body, `"email":"dev@example.org"`) {
		t.Fatalf("session: %s", s.body)
	}
	if strings.Contains(srv.stderr.String(), "token=") {
		t.Fatalf("the link reached the log:\n%s", srv.stderr)
	}
}

// TestEmailConfig: bad email settings are usage errors naming the
// setting; config check masks the SMTP password.
func TestEmailConfig(t *testing.T) {
	base := env{"AUTH_SECRET": strings.Repeat("k", 40)}
	with := func(kv ...string) env {
		e := env{}
		for k, v := range base {
			e[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			e[kv[i]] = kv[i+1]
		}
		return e
	}
	for _, c := range []struct {
		env  env
		args []string
		want string
	}{
		{with("AUTH_EMAIL_SERVER", "smtp://u:hunter22@mail.example.com?tls=none", "AUTH_EMAIL_FROM", "a@example.com"), nil, "plain SMTP (tls=none) is allowed only to a loopback address"},
		{with("AUTH_EMAIL_SERVER", "smtp://mail.example.com"), nil, "without AUTH_EMAIL_FROM"},
		{with("AUTH_EMAIL_FROM", "a@example.com"), nil, "without AUTH_EMAIL_SERVER"},
		{with("AUTH_EMAIL_SERVER", "ftp://mail.example.com", "AUTH_EMAIL_FROM", "a@example.com"), nil, "scheme must be smtp"},
		{with("AUTH_EMAIL_SERVER", "smtp://mail.example.com", "AUTH_EMAIL_FROM", "a@example.com"), []string{"--email-limit-address", "0"}, "email-limit-address: want a number of links per hour"},
	} {
		code, _, stderr := runInEnv(t, c.env, append([]string{"serve", "--addr", "127.0.0.1:0", "--data", t.TempDir()}, c.args...)...)
		if code != exitUsage || !strings.Contains(stderr, c.want) || strings.Contains(stderr, "hunter22") {
			t.Errorf("%v %v: exit %d\n%s", c.env, c.args, code, stderr)
		}
	}
	code, stdout, stderr := runInEnv(t, with("AUTH_EMAIL_SERVER", "smtp://mailer:hunter22@mail.example.com:587", "AUTH_EMAIL_FROM", "a@example.com"),
		"config", "check", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--allow-any")
	if code != exitOK || strings.Contains(stdout+stderr, "hunter22") || !strings.Contains(stdout, "AUTH_EMAIL_SERVER") {
		t.Fatalf("config check: exit %d\n%s\n%s", code, stdout, stderr)
	}
}
