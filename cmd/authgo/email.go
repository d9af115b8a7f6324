package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/gateway"
	"github.com/authgo/authgo/provider"
	"github.com/authgo/authgo/providers/email"
)

// emailOptions are serve's settings of sign-in by email.
type emailOptions struct {
	perAddress limitFlag
	perClient  limitFlag
}

// limitFlag is a number of links per hour: at least 1, or -1 for no
// limit. Unset, the library's default applies.
type limitFlag struct {
	n   int
	set bool
}

func (f *limitFlag) String() string {
	if f == nil || !f.set {
		return ""
	}
	return strconv.Itoa(f.n)
}

func (f *limitFlag) Set(v string) error {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n == 0 || n < -1 {
		return fmt.Errorf("want a number of links per hour (at least 1), or -1 for no limit")
	}
	f.n, f.set = n, true
	return nil
}

// newEmailProvider makes the email provider (id nodemailer, as Auth.js v5
// names its SMTP provider) from AUTH_EMAIL_SERVER and AUTH_EMAIL_FROM;
// under --dev, without a server, one that prints each link to standard
// output instead of sending it (never to the log). Nil when email sign-in
// is off.
func newEmailProvider(getenv func(string) string, dev bool, stdout io.Writer) (*email.Provider, error) {
	server, from := getenv("AUTH_EMAIL_SERVER"), getenv("AUTH_EMAIL_FROM")
	switch {
	case server == "" && from != "":
		return nil, errors.New("AUTH_EMAIL_FROM is set without AUTH_EMAIL_SERVER (smtp://user:pass@host:587): email sign-in needs both")
	case server != "" && from == "":
		return nil, errors.New("AUTH_EMAIL_SERVER is set without AUTH_EMAIL_FROM, the sender (\"Example <no-reply@example.com>\")")
	case server == "" && !dev:
		return nil, nil
	case server == "":
		var mu sync.Mutex
		return email.New(email.Config{SendVerificationRequest: func(_ context.Context, req provider.VerificationRequest) error {
			mu.Lock()
			defer mu.Unlock()
			_, err := fmt.Fprintf(stdout, "sign-in link for %s (--dev, not sent): %s\n", req.Identifier, req.URL)
			return err
		}})
	}
	p, err := email.New(email.Config{Server: server, From: from})
	if err != nil {
		return nil, fmt.Errorf("AUTH_EMAIL_SERVER %s: %w", email.MaskServer(server), err)
	}
	return p, nil
}

// emailLimits reads --email-limit-address and --email-limit-client.
func emailLimits(o *emailOptions, counter authgo.Counter) authgo.EmailConfig {
	c := authgo.EmailConfig{Counter: counter}
	if o.perAddress.set {
		c.PerAddress = o.perAddress.n
	}
	if o.perClient.set {
		c.PerClient = o.perClient.n
	}
	return c
}

// emailAllowList is the SignIn callback's rule for links: a link goes only
// to an address the gateway's allow-list (--allow-email,
// --allow-email-domain, --allow-any) lets in; with no list at all, under
// --dev to any address, otherwise to none. Refused addresses get the same
// answer as the others.
type emailAllowList struct {
	g    atomic.Pointer[gateway.Gateway]
	open bool // no list, --dev
	log  *slog.Logger
}

var errNotListed = errors.New("the address is not on the allow-list")

// allows reports whether addr may get a sign-in link or sign up with a
// passkey: anyone under open, else an address the gateway's list lets in.
func (l *emailAllowList) allows(addr string) bool {
	if l.open {
		return true
	}
	g := l.g.Load()
	return g != nil && g.AllowsEmail(addr)
}

func (l *emailAllowList) signIn(_ context.Context, p authgo.SignInParams) error {
	if !p.VerificationRequest {
		return nil
	}
	if p.User != nil && l.allows(p.User.Email) {
		return nil
	}
	l.log.Info("email sign-in: no link sent: the address is not on the allow-list (--allow-email, --allow-email-domain, --allow-any)")
	return errNotListed
}
