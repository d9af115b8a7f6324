// Package email builds authgo's email provider: sign-in by a link sent by
// email, as Auth.js's Nodemailer provider (id "nodemailer", or "email" for
// its legacy name) sends it, over SMTP or through a function of the
// application's.
//
// authgo does the rest: POST <base>/signin/<id> with an address (and the
// CSRF token) answers with a redirect to <base>/verify-request, after the
// link <base>/callback/<id>?callbackUrl=…&token=…&email=… was sent; the
// token is 64 hex characters, kept in the verification token store as
// Auth.js keeps it, so a link made by a Next.js app on the same database
// and secret signs in here and the reverse. Configure a store that
// implements store.VerificationTokenStore (adapters/sqlite,
// adapters/postgres) as authgo.Config.Users.
package email

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/authgo/authgo/internal/pages"
	"github.com/authgo/authgo/provider"
)

// Defaults.
const (
	// DefaultID is the provider id, Auth.js v5's for its SMTP provider.
	DefaultID = "nodemailer"
	// DefaultMaxAge is how long a link works: 24 hours, as in Auth.js.
	DefaultMaxAge = 24 * time.Hour
	// DefaultTimeout bounds one delivery: connecting, TLS, AUTH and the
	// mail transaction.
	DefaultTimeout = 10 * time.Second
)

// Config configures the provider. Either Server (with From) or
// SendVerificationRequest is required.
type Config struct {
	// ID is the provider id: "nodemailer" (the default) or "email" to
	// match an Auth.js app configured with the legacy Email provider.
	ID string
	// Name is shown on the sign-in page; default "Email".
	Name string
	// Server is the SMTP server, as a URL:
	//
	//   - smtp://user:pass@host:587 — STARTTLS, required (port 587 by default);
	//   - smtps://user:pass@host:465 — TLS from the first byte (port 465 by default);
	//   - smtp://127.0.0.1:25 — to a loopback address, STARTTLS when the
	//     server offers it, plain SMTP otherwise;
	//   - smtp://host?tls=none — plain SMTP, refused unless host is a
	//     loopback address.
	//
	// User and password, when given (percent-encoded), authenticate with
	// the best mechanism the server offers (PLAIN to loopback).
	Server string
	// From is the sender: "Example <no-reply@example.com>".
	From string
	// TLSConfig, when set, is used for STARTTLS and smtps (its
	// ServerName is filled in): to trust a private CA, say.
	TLSConfig *tls.Config
	// Timeout bounds one delivery; default DefaultTimeout.
	Timeout time.Duration
	// MaxAge is how long a link works; default DefaultMaxAge.
	MaxAge time.Duration
	// SendVerificationRequest, when set, delivers the link instead of
	// SMTP: another transport, an HTTP mail API, or printing it in
	// development. Server and From are then optional.
	SendVerificationRequest func(ctx context.Context, req provider.VerificationRequest) error
	// NormalizeIdentifier replaces [Normalize], as Auth.js's
	// normalizeIdentifier option does. Keep its refusals.
	NormalizeIdentifier func(email string) (string, error)
}

// Provider is an email provider; authgo finds it by its methods
// (provider.EmailProvider). Make one with New. It is immutable and safe for
// concurrent use.
type Provider struct {
	id, name  string
	maxAge    time.Duration
	normalize func(string) (string, error)
	send      func(ctx context.Context, req provider.VerificationRequest) error
	smtp      *smtpServer
}

var _ provider.EmailProvider = (*Provider)(nil)

// New checks c and returns the provider. A Server URL it cannot use (a
// plain connection to a host that is not loopback, an unknown scheme) is
// an error naming the problem, without the password.
func New(c Config) (*Provider, error) {
	p := &Provider{
		id:        cmp.Or(c.ID, DefaultID),
		name:      cmp.Or(c.Name, "Email"),
		maxAge:    cmp.Or(c.MaxAge, DefaultMaxAge),
		normalize: c.NormalizeIdentifier,
		send:      c.SendVerificationRequest,
	}
	if p.maxAge < 0 {
		return nil, errors.New("email: MaxAge must not be negative")
	}
	if p.normalize == nil {
		p.normalize = Normalize
	}
	if p.send != nil && c.Server == "" {
		return p, nil
	}
	if c.Server == "" {
		return nil, errors.New("email: Server (an smtp:// or smtps:// URL) or SendVerificationRequest is required")
	}
	s, err := parseServer(c.Server)
	if err != nil {
		return nil, err
	}
	if c.From == "" {
		return nil, errors.New("email: From is required with Server")
	}
	from, err := mail.ParseAddress(c.From)
	if err != nil || strings.ContainsAny(c.From, "\r\n") {
		return nil, fmt.Errorf("email: From %q is not an address like \"Example <no-reply@example.com>\"", c.From)
	}
	s.from = from
	s.timeout = cmp.Or(c.Timeout, DefaultTimeout)
	if c.TLSConfig != nil {
		s.tls = c.TLSConfig.Clone()
	} else {
		s.tls = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if s.tls.ServerName == "" {
		s.tls.ServerName = s.host
	}
	p.smtp = s
	if p.send == nil {
		p.send = s.deliver
	}
	return p, nil
}

// ID returns the provider id.
func (p *Provider) ID() string { return p.id }

// Name returns the name shown on the sign-in page.
func (p *Provider) Name() string { return p.name }

// Type returns provider.TypeEmail.
func (p *Provider) Type() provider.Type { return provider.TypeEmail }

// MaxAge returns how long a link works.
func (p *Provider) MaxAge() time.Duration { return p.maxAge }

// NormalizeIdentifier returns the identifier of the posted address
// (Normalize unless Config.NormalizeIdentifier replaced it).
func (p *Provider) NormalizeIdentifier(email string) (string, error) {
	return p.normalize(email)
}

// SendVerificationRequest delivers the link: over SMTP, or through
// Config.SendVerificationRequest.
func (p *Provider) SendVerificationRequest(ctx context.Context, req provider.VerificationRequest) error {
	return p.send(ctx, req)
}

// Server describes the SMTP server for a configuration check, with the
// password masked: "smtp://user:xxxxx@host:587 (STARTTLS)".
func (p *Provider) Server() string {
	if p.smtp == nil {
		return ""
	}
	return p.smtp.String()
}

// smtpServer is a parsed Config.Server.
type smtpServer struct {
	host     string
	port     int
	implicit bool // smtps
	policy   gomail.TLSPolicy
	user     string
	pass     string
	from     *mail.Address
	tls      *tls.Config
	timeout  time.Duration
}

// MaskServer returns the SMTP server URL s with its password replaced by
// "xxxxx", for showing a configuration. A value that is not a URL is
// masked whole.
func MaskServer(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "xxxxx"
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.Redacted()
}

func (s *smtpServer) String() string {
	u := url.URL{Scheme: "smtp", Host: net.JoinHostPort(s.host, strconv.Itoa(s.port))}
	mode := "STARTTLS"
	switch {
	case s.implicit:
		u.Scheme, mode = "smtps", "TLS"
	case s.policy == gomail.TLSOpportunistic:
		mode = "STARTTLS when offered: loopback"
	case s.policy == gomail.NoTLS:
		mode = "plain: loopback"
	}
	if s.user != "" {
		u.User = url.UserPassword(s.user, "xxxxx")
	}
	return u.String() + " (" + mode + ")"
}

func parseServer(raw string) (*smtpServer, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("email: Server %q is not a URL like smtp://user:pass@host:587", MaskServer(raw))
	}
	shown := MaskServer(raw)
	s := &smtpServer{host: u.Hostname(), policy: gomail.TLSMandatory}
	switch u.Scheme {
	case "smtp":
		s.port = 587
	case "smtps":
		s.port, s.implicit = 465, true
	default:
		return nil, fmt.Errorf("email: Server %q: the scheme must be smtp (STARTTLS) or smtps (TLS)", shown)
	}
	if s.host == "" || u.Opaque != "" || (u.Path != "" && u.Path != "/") || u.Fragment != "" {
		return nil, fmt.Errorf("email: Server %q must be smtp://[user:pass@]host[:port]", shown)
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("email: Server %q: bad port", shown)
		}
		s.port = n
	}
	if u.User != nil {
		s.user = u.User.Username()
		s.pass, _ = u.User.Password()
	}
	q := u.Query()
	for k := range q {
		if k != "tls" {
			return nil, fmt.Errorf("email: Server %q: unknown parameter %q (only tls=none)", shown, k)
		}
	}
	loop := loopback(s.host)
	switch q.Get("tls") {
	case "":
		if loop && !s.implicit {
			s.policy = gomail.TLSOpportunistic
		}
	case "none":
		if !loop {
			return nil, fmt.Errorf("email: Server %q: plain SMTP (tls=none) is allowed only to a loopback address (127.0.0.1, ::1, localhost); use smtp:// (STARTTLS) or smtps:// (TLS)", shown)
		}
		if s.implicit {
			return nil, fmt.Errorf("email: Server %q: smtps with tls=none is a contradiction", shown)
		}
		s.policy = gomail.NoTLS
	default:
		return nil, fmt.Errorf("email: Server %q: tls=%q: the only value is none", shown, q.Get("tls"))
	}
	return s, nil
}

// loopback reports whether host is a loopback address or "localhost".
func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

// deliver sends the link over SMTP: a text part and an HTML part, branded
// like the built-in pages.
func (s *smtpServer) deliver(ctx context.Context, req provider.VerificationRequest) error {
	msg, err := Message(req)
	if err != nil {
		return err
	}
	if err := msg.FromFormat(s.from.Name, s.from.Address); err != nil {
		return fmt.Errorf("email: From: %w", err)
	}
	opts := []gomail.Option{
		gomail.WithPort(s.port),
		gomail.WithTimeout(s.timeout),
		gomail.WithTLSConfig(s.tls),
		gomail.WithTLSPolicy(s.policy),
	}
	if s.implicit {
		opts = append(opts, gomail.WithSSL())
	}
	if s.user != "" {
		// The best mechanism the server offers; to loopback, where the
		// connection may be plain (and go-mail then discovers none),
		// PLAIN.
		mech := gomail.SMTPAuthAutoDiscover
		if s.policy != gomail.TLSMandatory && !s.implicit {
			mech = gomail.SMTPAuthPlain
		}
		opts = append(opts, gomail.WithSMTPAuth(mech), gomail.WithUsername(s.user), gomail.WithPassword(s.pass))
	}
	// A client per mail: nothing is shared between concurrent sign-ins.
	c, err := gomail.NewClient(s.host, opts...)
	if err != nil {
		return fmt.Errorf("email: SMTP client: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("email: sending through %s: %w", s, classify(err))
	}
	return nil
}

// classify marks a delivery error for authgo: a recipient refused for
// good is provider.ErrUndeliverable; a server that cannot be reached, a
// timeout or a temporary refusal is provider.ErrUnavailable; anything
// else (AUTH refused, TLS not offered) stays a configuration problem.
func classify(err error) error {
	var se *gomail.SendError
	var ne net.Error
	switch {
	case errors.As(err, &se) && se.Reason == gomail.ErrSMTPRcptTo && !se.IsTemp():
		return fmt.Errorf("%w: %w", provider.ErrUndeliverable, err)
	case errors.As(err, &se) && se.IsTemp(), errors.As(err, &ne), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%w: %w", provider.ErrUnavailable, err)
	}
	return err
}

// Message builds the mail of req, without a sender: the recipient, the
// subject "Sign in to <host>", and a text and an HTML part branded like the
// built-in pages, in which everything shown is escaped. A
// SendVerificationRequest that sends through another SMTP library can use
// it; one for an HTTP mail API can take the parts from [Render].
func Message(req provider.VerificationRequest) (*gomail.Msg, error) {
	subject, text, html, err := Render(req)
	if err != nil {
		return nil, err
	}
	m := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := m.To(req.Identifier); err != nil {
		return nil, fmt.Errorf("email: recipient: %w", ErrInvalid)
	}
	m.Subject(subject)
	m.SetDate()
	m.SetMessageID()
	m.SetBodyString(gomail.TypeTextPlain, text)
	m.AddAlternativeString(gomail.TypeTextHTML, html)
	return m, nil
}

// Render returns the subject, the text part and the HTML part of req's
// mail.
func Render(req provider.VerificationRequest) (subject, text, html string, err error) {
	return pages.Mail(pages.MailData{
		Brand:   pages.Brand{Name: req.Brand, Color: req.Color},
		Host:    req.Host,
		URL:     req.URL,
		Expires: req.Expires,
	})
}
