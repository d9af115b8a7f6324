// Package smtptest runs an SMTP server in the test process that accepts
// every mail and keeps it, so that tests can read the sign-in links authgo
// sends: plain SMTP, STARTTLS or TLS from the first byte, with or without
// AUTH PLAIN. It plays the mail system's part; it is the real protocol,
// spoken by github.com/emersion/go-smtp.
package smtptest

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/http/httptest"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Mode is how a client reaches the server.
type Mode int

// Modes.
const (
	Plain    Mode = iota // no TLS offered
	StartTLS             // STARTTLS offered (and required before AUTH)
	Implicit             // TLS from the first byte (smtps)
)

// Options configure a Server.
type Options struct {
	Mode Mode
	// User and Pass, when set, are the only AUTH PLAIN credentials
	// accepted, and a mail without AUTH is refused.
	User, Pass string
	// Delay is how long each DATA takes, to simulate a slow server.
	Delay time.Duration
	// Refuse, when set, picks the recipients refused at RCPT TO: with
	// 550 (for good), or 450 (for now) when it returns temp.
	Refuse func(rcpt string) (refuse, temp bool)
}

// Mail is one accepted mail.
type Mail struct {
	From     string
	To       []string
	Data     []byte
	Accepted time.Time
	TLS      bool // the connection was encrypted
	Auth     bool // the client authenticated
}

// Server is a running SMTP server; Start makes one and stops it when the
// test ends.
type Server struct {
	// Addr is host:port on 127.0.0.1.
	Addr string
	// Roots trusts the server's certificate (for 127.0.0.1).
	Roots *x509.CertPool

	mu     sync.Mutex
	mails  []Mail
	notify chan struct{}
	opts   Options
}

// Start runs a server on 127.0.0.1:0.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	// httptest's certificate is valid for 127.0.0.1; take it from an
	// unstarted TLS server.
	hs := httptest.NewUnstartedServer(nil)
	hs.StartTLS()
	cert := hs.TLS.Certificates[0]
	roots := x509.NewCertPool()
	roots.AddCert(hs.Certificate())
	hs.Close()

	s := &Server{Roots: roots, notify: make(chan struct{}, 1<<16), opts: o}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{s: s, c: c}, nil
	}))
	srv.Domain = "mail.test"
	srv.ReadTimeout, srv.WriteTimeout = 30*time.Second, 30*time.Second
	srv.MaxMessageBytes = 1 << 20
	srv.ErrorLog = nopLogger{}
	tlsConf := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	switch o.Mode {
	case StartTLS:
		srv.TLSConfig = tlsConf
	case Implicit:
		srv.TLSConfig = tlsConf
		ln = tls.NewListener(ln, tlsConf)
	case Plain:
		// AUTH PLAIN over a loopback connection without TLS, as a local
		// relay may take it.
		srv.AllowInsecureAuth = true
	}
	s.Addr = ln.Addr().String()
	done := make(chan struct{})
	go func() { srv.Serve(ln); close(done) }()
	t.Cleanup(func() { srv.Close(); <-done })
	return s
}

// Mails returns the mails accepted so far.
func (s *Server) Mails() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.mails...)
}

// Wait returns the n-th mail (1-based) once it is accepted, or fails the
// test after timeout.
func (s *Server) Wait(t testing.TB, n int, timeout time.Duration) Mail {
	t.Helper()
	deadline := time.After(timeout)
	for {
		s.mu.Lock()
		if len(s.mails) >= n {
			m := s.mails[n-1]
			s.mu.Unlock()
			return m
		}
		s.mu.Unlock()
		select {
		case <-s.notify:
		case <-deadline:
			t.Fatalf("smtptest: mail %d not received within %v", n, timeout)
		}
	}
}

// Parts returns the decoded text/plain and text/html parts of a mail,
// and its headers.
func (m Mail) Parts() (hdr mail.Header, text, html string, err error) {
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		return nil, "", "", err
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		return nil, "", "", err
	}
	if !strings.HasPrefix(mt, "multipart/") {
		body, err := decode(msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
		return msg.Header, body, "", err
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextRawPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, "", "", err
		}
		body, err := decode(p.Header.Get("Content-Transfer-Encoding"), p)
		if err != nil {
			return nil, "", "", err
		}
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		switch ct {
		case "text/plain":
			text = body
		case "text/html":
			html = body
		}
	}
	return msg.Header, text, html, nil
}

func decode(cte string, r io.Reader) (string, error) {
	switch strings.ToLower(cte) {
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	case "", "7bit", "8bit", "binary":
	default:
		return "", fmt.Errorf("smtptest: transfer encoding %q", cte)
	}
	b, err := io.ReadAll(r)
	return string(b), err
}

type session struct {
	s    *Server
	c    *smtp.Conn
	from string
	to   []string
	auth bool
}

func (x *session) AuthMechanisms() []string {
	if x.s.opts.User == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (x *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		if user != x.s.opts.User || pass != x.s.opts.Pass {
			return errors.New("invalid credentials")
		}
		x.auth = true
		return nil
	}), nil
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	if x.s.opts.User != "" && !x.auth {
		return smtp.ErrAuthRequired
	}
	x.from = from
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if f := x.s.opts.Refuse; f != nil {
		if refuse, temp := f(to); refuse && temp {
			return &smtp.SMTPError{Code: 450, EnhancedCode: smtp.EnhancedCode{4, 2, 1}, Message: "mailbox busy"}
		} else if refuse {
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
		}
	}
	x.to = append(x.to, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if x.s.opts.Delay > 0 {
		time.Sleep(x.s.opts.Delay)
	}
	_, isTLS := x.c.TLSConnectionState()
	m := Mail{From: x.from, To: x.to, Data: b, Accepted: time.Now(), TLS: isTLS, Auth: x.auth}
	x.s.mu.Lock()
	x.s.mails = append(x.s.mails, m)
	x.s.mu.Unlock()
	select {
	case x.s.notify <- struct{}{}:
	default:
	}
	return nil
}

func (x *session) Reset()        { x.from, x.to = "", nil }
func (x *session) Logout() error { return nil }

type nopLogger struct{}

func (nopLogger) Printf(string, ...any) {}
func (nopLogger) Println(...any)        {}
