package pages

import (
	"strings"
	"testing"
	"time"
)

func TestMail(t *testing.T) {
	d := MailData{
		Brand:   Brand{Name: `<img src=x onerror=alert(1)>"Acme"`, Color: `red;background:url(https://evil.test/x)`},
		Host:    `app.example.com`,
		URL:     `https://app.example.com/auth/callback/nodemailer?callbackUrl=https%3A%2F%2Fapp.example.com%2F%22%3E%3Cscript%3E&token=ab&email=a%40b.c`,
		Expires: time.Date(2030, 1, 2, 3, 4, 0, 0, time.UTC),
	}
	subject, text, html, err := Mail(d)
	if err != nil {
		t.Fatal(err)
	}
	if subject != "Sign in to app.example.com" || text != "Sign in to app.example.com\n"+d.URL+"\n\n" {
		t.Fatalf("subject %q text %q", subject, text)
	}
	for _, bad := range []string{"<img", "<script", "evil.test", `"Acme"`} {
		if strings.Contains(html, bad) {
			t.Errorf("html contains %q:\n%s", bad, html)
		}
	}
	for _, want := range []string{"&lt;img src=x onerror=alert(1)&gt;&#34;Acme&#34;", "background:#4f46e5", "2 January 2030 03:04 UTC", `href="` + strings.ReplaceAll(d.URL, "&", "&amp;") + `"`} {
		if !strings.Contains(html, want) {
			t.Errorf("html lacks %q:\n%s", want, html)
		}
	}
	for _, u := range []string{"javascript:alert(1)", "//evil.test/x", "data:text/html,x", ""} {
		if _, _, _, err := Mail(MailData{Host: "x", URL: u}); err == nil {
			t.Errorf("link %q accepted", u)
		}
	}
	if _, _, html, _ := Mail(MailData{Host: "x", URL: "https://x/", Brand: Brand{Color: "#0a7"}}); !strings.Contains(html, "background:#0a7") {
		t.Error("a hex brand colour is not used")
	}
}
