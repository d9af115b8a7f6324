package email_test

import (
	"context"
	"database/sql"
	"fmt"
	"log"

	_ "modernc.org/sqlite"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/adapters/sqlite"
	"github.com/authgo/authgo/provider"
	"github.com/authgo/authgo/providers/email"
)

// Sign-in links sent through an SMTP server with STARTTLS; the tokens and
// the users live in SQLite (any store.VerificationTokenStore will do).
func ExampleNew() {
	p, err := email.New(email.Config{
		Server: "smtp://mailer:app-password@smtp.example.com:587",
		From:   "Example <no-reply@example.com>",
	})
	if err != nil {
		log.Fatal(err)
	}
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		log.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	users, err := sqlite.New(context.Background(), db)
	if err != nil {
		log.Fatal(err)
	}
	a, err := authgo.New(authgo.Config{
		Secret:    []string{"a-secret-of-at-least-32-bytes-from-authgo-secret"},
		URL:       "https://example.com",
		Providers: []provider.Provider{p},
		Users:     users,
		// At most 3 links per address per hour; 20 per client address.
		Email: authgo.EmailConfig{PerAddress: 3},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p.ID(), p.Type(), p.Server())
	fmt.Println("POST", a.BasePath()+"/signin/"+p.ID())
	// Output:
	// nodemailer email smtp://mailer:xxxxx@smtp.example.com:587 (STARTTLS)
	// POST /auth/signin/nodemailer
}

// Another transport: the application delivers the link itself (an HTTP
// mail API, a queue), with the same text and HTML the SMTP sender uses.
func ExampleConfig_sendVerificationRequest() {
	p, err := email.New(email.Config{
		ID: "email", // as a Next.js app with the legacy Email provider names it
		SendVerificationRequest: func(ctx context.Context, req provider.VerificationRequest) error {
			subject, text, html, err := email.Render(req)
			if err != nil {
				return err
			}
			_, _, _ = text, html, ctx // hand them to the mail API here
			fmt.Println(req.Identifier, "/", subject)
			return nil
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	p.SendVerificationRequest(context.Background(), provider.VerificationRequest{
		Identifier: "alice@example.com",
		URL:        "https://example.com/auth/callback/email?callbackUrl=https%3A%2F%2Fexample.com&token=0123&email=alice%40example.com",
		Host:       "example.com",
	})
	// Output: alice@example.com / Sign in to example.com
}
