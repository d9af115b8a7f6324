package pages

import (
	"bytes"
	"fmt"
	"html/template"
	"net/url"
	"time"
)

var mailTmpl = template.Must(template.New("mail.html").ParseFS(files, "templates/mail.html"))

// defaultMailColor is the accent of the built-in pages in light mode; mail
// clients read no stylesheet, so the colour is written into the markup.
const defaultMailColor = "#4f46e5"

// MailData is the data of a sign-in link mail.
type MailData struct {
	Brand Brand
	// Host is the site's host (and port), shown in the subject and heading.
	Host string
	// URL is the sign-in link.
	URL string
	// Expires is when the link stops working; zero leaves it unsaid.
	Expires time.Time
}

// Mail renders the subject, the plain text part and the HTML part of a
// sign-in link mail, branded like the pages. The address the mail goes
// to is not shown (GHSA-pgjx-7f9g-9463: an address is the sender's text),
// and everything shown is escaped by html/template; the link must be an
// http(s) URL.
func Mail(d MailData) (subject, text, html string, err error) {
	u, err := url.Parse(d.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", "", "", fmt.Errorf("pages: mail link %q is not an http(s) URL", d.URL)
	}
	color := cssColor(d.Brand.Color)
	if color == "" || color[0] != '#' {
		color = defaultMailColor // a hex colour is the one every client reads
	}
	expires := ""
	if !d.Expires.IsZero() {
		expires = d.Expires.UTC().Format("2 January 2006 15:04 MST")
	}
	var b bytes.Buffer
	err = mailTmpl.ExecuteTemplate(&b, "mail", struct {
		Brand, Host, Expires string
		Color                template.CSS
		URL                  string
	}{d.Brand.name(), d.Host, expires, template.CSS(color), d.URL})
	if err != nil {
		return "", "", "", fmt.Errorf("pages: render mail: %w", err)
	}
	subject = "Sign in to " + d.Host
	text = subject + "\n" + d.URL + "\n\n"
	return subject, text, b.String(), nil
}
