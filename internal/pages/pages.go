package pages

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

//go:embed style.css templates/*.html
var files embed.FS

// DefaultBrandName is the name shown in the wordmark and page titles when
// [Brand.Name] is empty.
const DefaultBrandName = "authgo"

var (
	baseCSS = strings.TrimSpace(mustRead("style.css"))

	signInTmpl  = parse("signin.html")
	signOutTmpl = parse("signout.html")
	errorTmpl   = parse("error.html")
	verifyTmpl  = parse("verify.html")
	homeTmpl    = parse("home.html")
)

func mustRead(name string) string {
	b, err := files.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// parse builds the template set for one page: the shared layout plus the
// page's "content" template.
func parse(page string) *template.Template {
	return template.Must(template.New(page).ParseFS(files, "templates/layout.html", "templates/"+page))
}

// Brand customises the look of every page.
type Brand struct {
	// Name is shown in the wordmark and the page title. Empty means
	// [DefaultBrandName].
	Name string
	// Color is the accent colour of buttons, links and focus rings, as a CSS
	// colour: "#rgb", "#rrggbb" (with optional alpha), a named colour such as
	// "teal", or a functional form such as "rgb(10 20 30)" or
	// "oklch(60% 0.2 260)". Empty, or a value that is not one of these forms,
	// means the built-in indigo, which also adapts to dark mode.
	Color string
}

func (b Brand) name() string {
	if b.Name == "" {
		return DefaultBrandName
	}
	return b.Name
}

// styleText returns the exact text of the page's <style> element.
func styleText(b Brand) string {
	c := cssColor(b.Color)
	if c == "" {
		return baseCSS
	}
	return baseCSS + "\n:root{--brand:" + c + "}"
}

// cssColor returns s if it is a CSS colour of a form this package accepts,
// and "" otherwise. The accepted alphabet excludes everything that could end
// a declaration, a rule, a comment or the <style> element.
func cssColor(s string) string {
	s = strings.TrimSpace(s)
	if len(s) == 0 || len(s) > 64 {
		return ""
	}
	if s[0] == '#' {
		hex := s[1:]
		switch len(hex) {
		case 3, 4, 6, 8:
		default:
			return ""
		}
		for _, r := range hex {
			if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
				return ""
			}
		}
		return s
	}
	open := strings.IndexByte(s, '(')
	if open < 0 {
		for _, r := range s {
			if r > unicode.MaxASCII || !unicode.IsLetter(r) {
				return ""
			}
		}
		return s
	}
	switch strings.ToLower(s[:open]) {
	case "rgb", "rgba", "hsl", "hsla", "hwb", "lab", "lch", "oklab", "oklch":
	default:
		return ""
	}
	args, ok := strings.CutSuffix(s[open+1:], ")")
	if !ok {
		return ""
	}
	for _, r := range args {
		if r > unicode.MaxASCII || !(unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune(" .,%/+-", r)) {
			return ""
		}
	}
	return s
}

// ContentSecurityPolicy returns a Content-Security-Policy header value that
// allows exactly what pages rendered with brand b need: their own inline
// stylesheet (by hash), the user's avatar image from any origin, and forms.
// Scripts, frames, plugins and framing by other sites are refused.
//
// form-action is deliberately left open: a sign-in button posts to authgo,
// which redirects to the identity provider, and browsers apply form-action
// to that redirect too.
func ContentSecurityPolicy(b Brand) string {
	sum := sha256.Sum256([]byte(styleText(b)))
	return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) +
		"'; img-src * data:; base-uri 'none'; frame-ancestors 'none'"
}

// layout is the data of the shared page frame.
type layout struct {
	Title     string
	BrandName string
	Style     template.CSS // vetted by cssColor; the rest is our own file
	Wide      bool
	Page      any
}

func render(w io.Writer, t *template.Template, b Brand, title string, wide bool, page any) error {
	var buf bytes.Buffer
	err := t.ExecuteTemplate(&buf, "layout", layout{
		Title:     title,
		BrandName: b.name(),
		Style:     template.CSS(styleText(b)),
		Wide:      wide,
		Page:      page,
	})
	if err != nil {
		return fmt.Errorf("pages: render %s: %w", t.Name(), err)
	}
	if _, err := buf.WriteTo(w); err != nil {
		return fmt.Errorf("pages: write %s: %w", t.Name(), err)
	}
	return nil
}

// Field is one input of a credentials form.
type Field struct {
	// Name is the form field name posted to the server, e.g. "username".
	Name string
	// Label is the visible label. Empty means Name.
	Label string
	// Type is the input type: "text", "password", "email", "tel", "number"
	// or "url". Empty or anything else means "text".
	Type string
	// Placeholder is an optional example value shown in the empty input.
	Placeholder string
	// Autocomplete is the autocomplete attribute. Empty means
	// "current-password" for password fields, "username" for a field named
	// "username", "email" for email fields, and none otherwise.
	Autocomplete string
}

// CredentialsForm is a username/password style form for one credentials
// provider.
type CredentialsForm struct {
	ProviderID   string
	ProviderName string
	// ActionURL is where the form posts: <origin><base>/callback/<id>.
	ActionURL string
	Fields    []Field
}

// ProviderButton is an OAuth, OIDC or email provider on the sign-in page.
// OAuth and OIDC providers render as a button in a form that posts csrfToken
// and callbackUrl to ActionURL (<origin><base>/signin/<id>). A provider of
// Type "email" also gets an email address input named "email".
type ProviderButton struct {
	ID        string
	Name      string
	Type      string // "oauth", "oidc" or "email"
	ActionURL string
}

// SignInData is the data of the sign-in page.
type SignInData struct {
	Brand Brand
	// CSRFToken is the token half of the CSRF cookie, posted by every form.
	CSRFToken string
	// CallbackURL is posted as callbackUrl by provider forms. Credentials
	// forms never post it: Auth.js keeps it in the callback-url cookie.
	CallbackURL string
	// Error is the Auth.js sign-in error code from ?error=, or "". It only
	// selects a message; unknown codes show a generic one and the code itself
	// is never shown.
	Error string
	// Code is the sign-in error's detail from ?code= ("rate_limited"), and
	// RetryAfter the wait from ?retry_after=; they refine the message.
	Code        string
	RetryAfter  time.Duration
	Credentials []CredentialsForm
	Providers   []ProviderButton
}

type fieldView struct {
	ID, Name, Label, Type, Placeholder, Autocomplete string
	Autofocus                                        bool
}

// section is one block of the sign-in page; blocks are separated by "or".
type section struct {
	Kind      string // "credentials", "email" or "oauth"
	ActionURL string
	Label     string // submit button text
	Fields    []fieldView
	Buttons   []ProviderButton
}

type signInView struct {
	Error                  string
	CSRFToken, CallbackURL string
	Sections               []section
}

var inputTypes = map[string]bool{"text": true, "password": true, "email": true, "tel": true, "number": true, "url": true}

func newFieldView(id string, f Field) fieldView {
	v := fieldView{ID: id, Name: f.Name, Label: f.Label, Type: strings.ToLower(f.Type), Placeholder: f.Placeholder, Autocomplete: f.Autocomplete}
	if v.Label == "" {
		v.Label = f.Name
	}
	if !inputTypes[v.Type] {
		v.Type = "text"
	}
	if v.Autocomplete == "" {
		switch {
		case v.Type == "password":
			v.Autocomplete = "current-password"
		case f.Name == "username":
			v.Autocomplete = "username"
		case v.Type == "email":
			v.Autocomplete = "email"
		}
	}
	return v
}

func signInSections(d SignInData) []section {
	var out []section
	for i, c := range d.Credentials {
		s := section{Kind: "credentials", ActionURL: c.ActionURL, Label: "Sign in"}
		if len(d.Credentials) > 1 && c.ProviderName != "" {
			s.Label = "Sign in with " + c.ProviderName
		}
		for j, f := range c.Fields {
			s.Fields = append(s.Fields, newFieldView(fmt.Sprintf("cred-%d-%d", i, j), f))
		}
		out = append(out, s)
	}
	oauth := -1 // index in out of the open group of OAuth buttons
	for i, p := range d.Providers {
		if p.Type == "email" {
			oauth = -1
			out = append(out, section{
				Kind:      "email",
				ActionURL: p.ActionURL,
				Label:     "Sign in with " + cmp.Or(p.Name, "Email"),
				Fields:    []fieldView{newFieldView(fmt.Sprintf("email-%d", i), Field{Name: "email", Label: "Email", Type: "email", Placeholder: "you@example.com"})},
			})
			continue
		}
		if oauth < 0 {
			out = append(out, section{Kind: "oauth"})
			oauth = len(out) - 1
		}
		p.Name = cmp.Or(p.Name, p.ID)
		out[oauth].Buttons = append(out[oauth].Buttons, p)
	}
	// One autofocus per page: the first input.
	for i := range out {
		if len(out[i].Fields) > 0 {
			out[i].Fields[0].Autofocus = true
			break
		}
	}
	return out
}

// SignIn renders the sign-in page: a form per credentials provider, then the
// other providers, separated by "or". Answer with status 200.
func SignIn(w io.Writer, d SignInData) error {
	return render(w, signInTmpl, d.Brand, "Sign in", false, signInView{
		Error:       signInMessage(d.Error, d.Code, d.RetryAfter),
		CSRFToken:   d.CSRFToken,
		CallbackURL: d.CallbackURL,
		Sections:    signInSections(d),
	})
}

// SignOutData is the data of the sign-out confirmation page.
type SignOutData struct {
	Brand     Brand
	CSRFToken string
	// ActionURL is where the form posts: <origin><base>/signout.
	ActionURL string
	// CallbackURL, if set, is posted as callbackUrl.
	CallbackURL string
}

// SignOut renders the page asking "Are you sure you want to sign out?" with
// a form that posts csrfToken (and callbackUrl, if set) to ActionURL. The
// page changes no state. Answer with status 200.
func SignOut(w io.Writer, d SignOutData) error {
	return render(w, signOutTmpl, d.Brand, "Sign out", false, d)
}

// ErrorData is the data of the error page.
type ErrorData struct {
	Brand Brand
	// Code is the Auth.js error code from ?error=. It only selects a message
	// and is never shown.
	Code string
	// SignInURL is linked from the AccessDenied and Verification pages.
	SignInURL string
	// HomeURL, if set, is linked from the other pages.
	HomeURL string
}

type errorView struct {
	Heading, Message   string
	ShowSignIn         bool
	SignInURL, HomeURL string
}

// Error renders the error page for d.Code. Answer with the status
// [ErrorStatus] returns for the same code.
func Error(w io.Writer, d ErrorData) error {
	m := errorMessage(d.Code)
	return render(w, errorTmpl, d.Brand, m.Heading, false, errorView{
		Heading:    m.Heading,
		Message:    m.Message,
		ShowSignIn: m.SignIn,
		SignInURL:  d.SignInURL,
		HomeURL:    d.HomeURL,
	})
}

// VerifyRequestData is the data of the page shown after an email provider
// sent a sign-in link.
type VerifyRequestData struct {
	Brand Brand
	// HomeURL, if set, is linked from the page.
	HomeURL string
}

// VerifyRequest renders the "Check your email" page. Answer with status 200.
func VerifyRequest(w io.Writer, d VerifyRequestData) error {
	return render(w, verifyTmpl, d.Brand, "Check your email", false, d)
}

// HomeData is the data of the landing page of `authgo serve`.
type HomeData struct {
	Brand    Brand
	SignedIn bool
	// Name, Email and Image describe the signed-in user; any may be empty.
	// Image is an avatar URL.
	Name, Email, Image string
	// Expires is the session expiry, already formatted for people.
	Expires string
	// SignInURL is linked from the signed-out page; it may carry a
	// callbackUrl query parameter.
	SignInURL string
	// SignOutURL is where the sign-out form posts: <origin><base>/signout.
	SignOutURL string
	// CallbackURL, if set, is posted as callbackUrl by the sign-out form.
	// Without it Auth.js redirects to the callback-url cookie.
	CallbackURL string
	// Protected lists the path patterns the server protects.
	Protected []string
	// SessionJSON is the pretty-printed body of GET <base>/session.
	SessionJSON string
	// CSRFToken is posted by the sign-out form.
	CSRFToken string
}

type homeView struct {
	HomeData
	DisplayName string
	Initial     string
}

// Home renders the landing page: who is signed in, with a sign-out button,
// or "You are not signed in" with a sign-in button; then the protected paths
// and the session JSON, when given. Answer with status 200.
func Home(w io.Writer, d HomeData) error {
	v := homeView{HomeData: d, DisplayName: cmp.Or(d.Name, d.Email, "an unnamed user")}
	if r, _ := utf8.DecodeRuneInString(cmp.Or(d.Name, d.Email)); r != utf8.RuneError {
		v.Initial = string(unicode.ToUpper(r))
	} else {
		v.Initial = "?"
	}
	return render(w, homeTmpl, d.Brand, "Home", true, v)
}
