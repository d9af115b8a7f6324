package email_test

import (
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/authgo/authgo/internal/smtptest"
	"github.com/authgo/authgo/provider"
	"github.com/authgo/authgo/providers/email"
)

func request(to string) provider.VerificationRequest {
	return provider.VerificationRequest{
		Identifier: to,
		URL:        "https://app.example.com/auth/callback/nodemailer?callbackUrl=https%3A%2F%2Fapp.example.com&token=" + strings.Repeat("ab", 32) + "&email=" + strings.ReplaceAll(to, "@", "%40"),
		Expires:    time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC),
		Host:       "app.example.com",
		Brand:      `Acme <script>alert(1)</script> & "Co"`,
		Color:      "#0a7",
	}
}

// TestSMTP delivers through a real SMTP server in each mode: plain to
// loopback, STARTTLS and TLS from the first byte, with AUTH.
func TestSMTP(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mode   smtptest.Mode
		scheme string
		tls    bool
	}{
		{"plain loopback", smtptest.Plain, "smtp", false},
		{"starttls", smtptest.StartTLS, "smtp", true},
		{"implicit tls", smtptest.Implicit, "smtps", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := smtptest.Start(t, smtptest.Options{Mode: tc.mode, User: "mailer", Pass: "p@ss:word"})
			p, err := email.New(email.Config{
				Server:    tc.scheme + "://mailer:p%40ss%3Aword@" + s.Addr,
				From:      "Acme <no-reply@example.com>",
				TLSConfig: &tls.Config{RootCAs: s.Roots, MinVersion: tls.VersionTLS12},
				Timeout:   5 * time.Second,
			})
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(p.Server(), "p%40ss") || strings.Contains(p.Server(), "word") {
				t.Fatalf("Server() shows the password: %s", p.Server())
			}
			req := request("alice@example.com")
			if err := p.SendVerificationRequest(t.Context(), req); err != nil {
				t.Fatal(err)
			}
			m := s.Wait(t, 1, 5*time.Second)
			if m.TLS != tc.tls || !m.Auth || m.From != "no-reply@example.com" || len(m.To) != 1 || m.To[0] != "alice@example.com" {
				t.Fatalf("mail: tls %v auth %v from %q to %q", m.TLS, m.Auth, m.From, m.To)
			}
			hdr, text, html, err := m.Parts()
			if err != nil {
				t.Fatal(err)
			}
			if hdr.Get("Subject") != "Sign in to app.example.com" || hdr.Get("To") != "<alice@example.com>" {
				t.Fatalf("headers: %v", hdr)
			}
			if text != "Sign in to app.example.com\r\n"+req.URL+"\r\n\r\n" && text != "Sign in to app.example.com\n"+req.URL+"\n\n" {
				t.Fatalf("text part %q", text)
			}
			escapedURL := strings.ReplaceAll(req.URL, "&", "&amp;")
			if !strings.Contains(html, `href="`+escapedURL+`"`) {
				t.Fatalf("html part has no link:\n%s", html)
			}
			if strings.Contains(html, "<script>") || !strings.Contains(html, "Acme &lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;Co&#34;") {
				t.Fatalf("html part does not escape the brand:\n%s", html)
			}
			if strings.Contains(html, "alice@example.com") || strings.Contains(html, "alice%40example.com\">") {
				// The address appears only inside the link.
				if strings.Count(html, "alice%40example.com") != 1 || strings.Contains(html, "alice@example.com") {
					t.Fatalf("html part shows the address:\n%s", html)
				}
			}
		})
	}
}

// TestSMTPRefusals: wrong credentials, STARTTLS that is not offered to a
// host that requires it, and an untrusted certificate all fail the send.
func TestSMTPRefusals(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{Mode: smtptest.StartTLS, User: "mailer", Pass: "right"})
	send := func(server string, roots bool) error {
		c := email.Config{Server: server, From: "no-reply@example.com", Timeout: 3 * time.Second}
		if roots {
			c.TLSConfig = &tls.Config{RootCAs: s.Roots}
		}
		p, err := email.New(c)
		if err != nil {
			t.Fatal(err)
		}
		return p.SendVerificationRequest(t.Context(), request("bob@example.com"))
	}
	if err := send("smtp://mailer:wrong@"+s.Addr, true); err == nil {
		t.Error("wrong password accepted")
	} else if strings.Contains(err.Error(), "wrong") {
		t.Errorf("the error shows the password: %v", err)
	}
	if err := send("smtp://mailer:right@"+s.Addr, false); err == nil {
		t.Error("untrusted certificate accepted")
	}
	plain := smtptest.Start(t, smtptest.Options{Mode: smtptest.Plain})
	if err := send("smtps://"+plain.Addr, true); err == nil {
		t.Error("smtps to a plain server succeeded")
	}
	if len(s.Mails())+len(plain.Mails()) != 0 {
		t.Fatal("a mail went through")
	}
}

func TestServerConfig(t *testing.T) {
	for _, bad := range []struct{ server, want string }{
		{"smtp://mail.example.com?tls=none", "only to a loopback address"},
		{"smtp://user:secretpw@mail.example.com:587?tls=none", "only to a loopback address"},
		{"http://mail.example.com", "scheme must be smtp"},
		{"smtp://mail.example.com:99999", "bad port"},
		{"smtp://mail.example.com?foo=1", "unknown parameter"},
		{"smtps://127.0.0.1?tls=none", "contradiction"},
		{"smtp:///nohost", "must be smtp://"},
	} {
		_, err := email.New(email.Config{Server: bad.server, From: "a@example.com"})
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%q: %v, want %q", bad.server, err, bad.want)
		} else if strings.Contains(err.Error(), "secretpw") {
			t.Errorf("%q: the error shows the password: %v", bad.server, err)
		}
	}
	if _, err := email.New(email.Config{Server: "smtp://mail.example.com"}); err == nil {
		t.Error("no From accepted")
	}
	if _, err := email.New(email.Config{Server: "smtp://mail.example.com", From: "x\r\nBcc: y@z.com"}); err == nil {
		t.Error("a From with a line break accepted")
	}
	if _, err := email.New(email.Config{}); err == nil {
		t.Error("neither Server nor SendVerificationRequest refused")
	}
	for server, want := range map[string]string{
		"smtp://u:pw@mail.example.com":   "smtp://u:xxxxx@mail.example.com:587 (STARTTLS)",
		"smtps://mail.example.com":       "smtps://mail.example.com:465 (TLS)",
		"smtp://127.0.0.1:25":            "smtp://127.0.0.1:25 (STARTTLS when offered: loopback)",
		"smtp://localhost:2525?tls=none": "smtp://localhost:2525 (plain: loopback)",
		"smtp://[::1]:25?tls=none":       "smtp://[::1]:25 (plain: loopback)",
	} {
		p, err := email.New(email.Config{Server: server, From: "a@example.com"})
		if err != nil || p.Server() != want {
			t.Errorf("%q: %v %q, want %q", server, err, p.Server(), want)
		}
	}
	if got := email.MaskServer("smtp://user:hunter2@host:587"); got != "smtp://user:xxxxx@host:587" {
		t.Errorf("MaskServer: %q", got)
	}
	p, _ := email.New(email.Config{ID: "email", Server: "smtp://127.0.0.1:25", From: "a@example.com"})
	if p.ID() != "email" || p.Type() != provider.TypeEmail || p.MaxAge() != 24*time.Hour || p.Name() != "Email" {
		t.Errorf("provider %q %q %v", p.ID(), p.Type(), p.MaxAge())
	}
}

// TestSMTPErrorKinds: a recipient refused for good is
// provider.ErrUndeliverable, one refused for now and a server that does
// not answer are provider.ErrUnavailable, a refused AUTH is neither.
func TestSMTPErrorKinds(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{Mode: smtptest.Plain, User: "u", Pass: "p", Refuse: func(rcpt string) (bool, bool) {
		return strings.HasPrefix(rcpt, "nobody") || strings.HasPrefix(rcpt, "busy"), strings.HasPrefix(rcpt, "busy")
	}})
	send := func(server, to string) error {
		p, err := email.New(email.Config{Server: server, From: "a@example.com", Timeout: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		return p.SendVerificationRequest(t.Context(), request(to))
	}
	if err := send("smtp://u:p@"+s.Addr, "nobody@example.com"); !errors.Is(err, provider.ErrUndeliverable) {
		t.Errorf("550: %v", err)
	}
	if err := send("smtp://u:p@"+s.Addr, "busy@example.com"); !errors.Is(err, provider.ErrUnavailable) || errors.Is(err, provider.ErrUndeliverable) {
		t.Errorf("450: %v", err)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := ln.Addr().String()
	ln.Close()
	if err := send("smtp://u:p@"+closed, "a@example.com"); !errors.Is(err, provider.ErrUnavailable) {
		t.Errorf("nobody listening: %v", err)
	}
	if err := send("smtp://u:wrong@"+s.Addr, "a@example.com"); err == nil || errors.Is(err, provider.ErrUnavailable) || errors.Is(err, provider.ErrUndeliverable) {
		t.Errorf("AUTH refused: %v", err)
	}
}
