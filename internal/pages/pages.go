package pages

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"slices"
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

	signInTmpl    = parse("signin.html")
	signOutTmpl   = parse("signout.html")
	errorTmpl     = parse("error.html")
	verifyTmpl    = parse("verify.html")
	homeTmpl      = parse("home.html")
	notFoundTmpl  = parse("notfound.html")
	forbiddenTmpl = parse("forbidden.html")
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
	// Logo is an image shown above the card, next to Name, in place of the
	// built-in mark: the bytes of a PNG, JPEG, GIF, WebP or SVG file of at
	// most [MaxLogoSize] bytes (see [LogoType]). It is embedded in the page
	// as a data: URI in an <img> element, where an SVG can run no script
	// and load nothing. A logo that is not one of these is not shown.
	Logo []byte
}

// MaxLogoSize is the largest [Brand.Logo] shown, in bytes. The logo is
// embedded, base64-encoded, in every page.
const MaxLogoSize = 64 << 10

// LogoType returns the media type of a logo image: "image/png",
// "image/jpeg", "image/gif", "image/webp" or "image/svg+xml". Raster types
// are sniffed with [http.DetectContentType]; an SVG is an XML document
// whose root element is <svg>. Any other content, an empty logo or one over
// [MaxLogoSize] is an error.
func LogoType(b []byte) (string, error) {
	switch {
	case len(b) == 0:
		return "", errors.New("empty image")
	case len(b) > MaxLogoSize:
		return "", fmt.Errorf("%d bytes, more than the %d allowed", len(b), MaxLogoSize)
	}
	switch t := http.DetectContentType(b); {
	case t == "image/png", t == "image/jpeg", t == "image/gif", t == "image/webp":
		return t, nil
	case strings.HasPrefix(t, "text/") && isSVG(b):
		return "image/svg+xml", nil
	default:
		return "", fmt.Errorf("unsupported image type %s: use PNG, JPEG, GIF, WebP or SVG", strings.TrimSuffix(t, "; charset=utf-8"))
	}
}

// isSVG reports whether b is XML whose root element is svg.
func isSVG(b []byte) bool {
	d := xml.NewDecoder(bytes.NewReader(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))))
	for {
		tok, err := d.Token()
		if err != nil {
			return false
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return t.Name.Local == "svg"
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return false
			}
		}
	}
}

// logoURL returns the logo as a data: URI, or "" when there is none or it
// is not an accepted image.
func (b Brand) logoURL() template.URL {
	t, err := LogoType(b.Logo)
	if err != nil {
		return ""
	}
	// Safe as a URL: an allowlisted media type and base64 text.
	return template.URL("data:" + t + ";base64," + base64.StdEncoding.EncodeToString(b.Logo))
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
// stylesheet (by hash), the user's avatar image from any origin, data:
// images (the favicon and [Brand.Logo]), and forms.
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

// passkeyView is the passkey section with its button's icon.
type passkeyView struct {
	*PasskeyForm
	Icon template.HTML
}

func newPasskeyView(p *PasskeyForm) *passkeyView {
	if p == nil {
		return nil
	}
	return &passkeyView{p, keyIcon}
}

// ContentSecurityPolicyScript is [ContentSecurityPolicy] for a page that
// runs the one script at scriptURL (an absolute URL on the page's origin:
// the passkey script) and lets it fetch from the page's origin. No inline
// script and no other script runs.
func ContentSecurityPolicyScript(b Brand, scriptURL string) string {
	return ContentSecurityPolicy(b) + "; script-src " + scriptURL + "; connect-src 'self'"
}

// layout is the data of the shared page frame.
type layout struct {
	Title     string
	BrandName string
	Logo      template.URL // a data: URI made by logoURL, or ""
	Style     template.CSS // vetted by cssColor; the rest is our own file
	Wide      bool
	Page      any
}

func render(w io.Writer, t *template.Template, b Brand, title string, wide bool, page any) error {
	var buf bytes.Buffer
	err := t.ExecuteTemplate(&buf, "layout", layout{
		Title:     title,
		BrandName: b.name(),
		Logo:      b.logoURL(),
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
	// Value fills the input, e.g. with the username of a failed attempt.
	// It is never rendered for a password field.
	Value string
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
	// Passkey, when set, adds the passkey section, last: a button, and
	// the browser's passkey autofill in its email field, run by the
	// script at Passkey.ScriptURL. Serve the page with
	// [ContentSecurityPolicyScript].
	Passkey *PasskeyForm
}

// PasskeyForm is the passkey section of the sign-in page.
type PasskeyForm struct {
	ProviderName string
	ActionURL    string // <origin><base>/callback/<id>
	OptionsURL   string // <origin><base>/webauthn-options/<id>
	ScriptURL    string // <origin><base>/passkey.js
	// Add: the user is signed in, and the button adds a passkey to their
	// account (no email field, no autofill).
	Add bool
}

// fieldView is one input. Every input is required: a credentials form
// posts all its fields, an email form its address.
type fieldView struct {
	ID, Name, Label, Type, Placeholder, Autocomplete, Value string
	Autofocus                                               bool
}

// buttonView is an OAuth or OIDC provider's button.
type buttonView struct {
	ProviderButton
	providerStyle
}

// section is one block of the sign-in page; blocks are separated by "or".
type section struct {
	Kind      string // "credentials", "email" or "oauth"
	ActionURL string
	Label     string // submit button text
	Fields    []fieldView
	Buttons   []buttonView
	Icon      template.HTML // of the submit button
}

type signInView struct {
	Error                  string
	CSRFToken, CallbackURL string
	Sections               []section
	Passkey                *passkeyView
	// Choice: there is more than one way to sign in, so the page says to
	// choose one.
	Choice bool
}

var inputTypes = map[string]bool{"text": true, "password": true, "email": true, "tel": true, "number": true, "url": true}

func newFieldView(id string, f Field) fieldView {
	v := fieldView{ID: id, Name: f.Name, Label: f.Label, Type: strings.ToLower(f.Type), Placeholder: f.Placeholder, Autocomplete: f.Autocomplete, Value: f.Value}
	if v.Label == "" {
		v.Label = f.Name
	}
	if !inputTypes[v.Type] {
		v.Type = "text"
	}
	if v.Type == "password" {
		v.Value = ""
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
				Icon:      mailIcon,
				Fields:    []fieldView{newFieldView(fmt.Sprintf("email-%d", i), Field{Name: "email", Label: "Email", Type: "email", Placeholder: "you@example.com"})},
			})
			continue
		}
		if oauth < 0 {
			out = append(out, section{Kind: "oauth"})
			oauth = len(out) - 1
		}
		p.Name = cmp.Or(p.Name, p.ID)
		out[oauth].Buttons = append(out[oauth].Buttons, buttonView{p, styleOf(p.ID)})
	}
	// One autofocus per page: the first input of the first form, or the
	// first empty one there (the password, when the username was kept).
	for i := range out {
		if fs := out[i].Fields; len(fs) > 0 {
			j := slices.IndexFunc(fs, func(f fieldView) bool { return f.Value == "" })
			fs[max(j, 0)].Autofocus = true
			break
		}
	}
	return out
}

// SignIn renders the sign-in page: a form per credentials provider, then the
// other providers, separated by "or". GitHub, Google, Kakao and Naver (by
// their default provider ids) get buttons in their own colours with their
// marks; other OAuth and OIDC providers get a neutral button with a key.
// "Choose how you want to sign in" is said only when there is a choice.
// Answer with status 200.
func SignIn(w io.Writer, d SignInData) error {
	return render(w, signInTmpl, d.Brand, "Sign in", false, signInView{
		Error:       signInMessage(d.Error, d.Code, d.RetryAfter),
		CSRFToken:   d.CSRFToken,
		CallbackURL: d.CallbackURL,
		Sections:    signInSections(d),
		Passkey:     newPasskeyView(d.Passkey),
		Choice:      len(d.Credentials)+len(d.Providers) > 1 || d.Passkey != nil && len(d.Credentials)+len(d.Providers) > 0,
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
	// Protected lists the path patterns the server protects. Without any,
	// the page does not speak of protected parts.
	Protected []string
	// Path, if set, is the protected path the page is shown at (the
	// signed-in view stands in for the application there); the page names
	// it.
	Path string
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

// NotFoundData is the data of the page for a path that does not exist.
type NotFoundData struct {
	Brand Brand
	// HomeURL, if set, is linked from the page.
	HomeURL string
}

// NotFound renders the "Page not found" page. It does not repeat the path
// that was asked for. Answer with status 404.
func NotFound(w io.Writer, d NotFoundData) error {
	return render(w, notFoundTmpl, d.Brand, "Page not found", false, d)
}

// ForbiddenData is the data of the page for a signed-in user whom the
// gateway's allow-list does not let in.
type ForbiddenData struct {
	Brand Brand
	// Who names the signed-in user (an address or a name).
	Who string
	// SignOutURL is the sign-out page.
	SignOutURL string
}

// Forbidden renders the "Not allowed" page. Answer with status 403.
func Forbidden(w io.Writer, d ForbiddenData) error {
	return render(w, forbiddenTmpl, d.Brand, "Not allowed", false, d)
}

//go:embed passkey.js
var passkeyJS []byte

// PasskeyScript returns the passkey script of the sign-in page, served at
// <base>/passkey.js. The slice is shared: do not modify it.
func PasskeyScript() []byte { return passkeyJS }
