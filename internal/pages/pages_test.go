package pages

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func sampleSignIn() SignInData {
	return SignInData{
		CSRFToken:   "f4189ebf05c142b4",
		CallbackURL: "http://127.0.0.1:3999/dashboard",
		Credentials: []CredentialsForm{{
			ProviderID:   "credentials",
			ProviderName: "Credentials",
			ActionURL:    "http://127.0.0.1:3999/auth/callback/credentials",
			Fields: []Field{
				{Name: "username", Label: "Username", Placeholder: "alice"},
				{Name: "password", Label: "Password", Type: "password"},
			},
		}},
		Providers: []ProviderButton{
			{ID: "github", Name: "GitHub", Type: "oauth", ActionURL: "http://127.0.0.1:3999/auth/signin/github"},
			{ID: "google", Name: "Google", Type: "oidc", ActionURL: "http://127.0.0.1:3999/auth/signin/google"},
			{ID: "email", Name: "Email", Type: "email", ActionURL: "http://127.0.0.1:3999/auth/signin/email"},
		},
	}
}

func sampleHome(signedIn bool) HomeData {
	d := HomeData{
		SignedIn:    signedIn,
		SignInURL:   "/auth/signin?callbackUrl=%2F",
		SignOutURL:  "/auth/signout",
		CallbackURL: "/",
		Protected:   []string{"/mypage/:path*", "/api/private/:path*"},
		CSRFToken:   "tok-123",
		SessionJSON: "null",
	}
	if signedIn {
		d.Name, d.Email, d.Image = "Alice", "alice@example.com", "https://example.com/alice.png"
		d.Expires = "on 26 December 2026 at 15:09 UTC"
		d.SessionJSON = "{\n  \"user\": {\n    \"name\": \"Alice\"\n  },\n  \"expires\": \"2026-12-26T15:09:52.683Z\"\n}"
	}
	return d
}

// page renders one page to a string, failing the test on error.
func page(t *testing.T, fn func(*bytes.Buffer) error) string {
	t.Helper()
	var buf bytes.Buffer
	if err := fn(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// allPages renders every page with representative data.
func allPages(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{
		"signin": page(t, func(b *bytes.Buffer) error { return SignIn(b, sampleSignIn()) }),
		"signout": page(t, func(b *bytes.Buffer) error {
			return SignOut(b, SignOutData{CSRFToken: "tok", ActionURL: "/auth/signout", CallbackURL: "/"})
		}),
		"verify-request": page(t, func(b *bytes.Buffer) error { return VerifyRequest(b, VerifyRequestData{HomeURL: "/"}) }),
		"home-signed-in": page(t, func(b *bytes.Buffer) error { return Home(b, sampleHome(true)) }),
		"home-signed-out": page(t, func(b *bytes.Buffer) error {
			return Home(b, sampleHome(false))
		}),
		"not-found": page(t, func(b *bytes.Buffer) error { return NotFound(b, NotFoundData{HomeURL: "/"}) }),
	}
	d := sampleSignIn()
	d.Error = "CredentialsSignin"
	out["signin-error"] = page(t, func(b *bytes.Buffer) error { return SignIn(b, d) })
	for _, code := range []string{"Configuration", "AccessDenied", "Verification", "Other"} {
		out["error-"+code] = page(t, func(b *bytes.Buffer) error {
			return Error(b, ErrorData{Code: code, SignInURL: "/auth/signin", HomeURL: "/"})
		})
	}
	return out
}

// formWithAction returns the <form …>…</form> element posting to action.
func formWithAction(t *testing.T, html, action string) string {
	t.Helper()
	start := strings.Index(html, `<form method="post" action="`+action+`"`)
	if start < 0 {
		t.Fatalf("no form posting to %q", action)
	}
	end := strings.Index(html[start:], "</form>")
	if end < 0 {
		t.Fatalf("form posting to %q is not closed", action)
	}
	return html[start : start+end]
}

func TestEveryPage(t *testing.T) {
	for name, html := range allPages(t) {
		t.Run(name, func(t *testing.T) {
			for _, want := range []string{
				"<!doctype html>",
				`<meta charset="utf-8">`,
				`<meta name="viewport" content="width=device-width, initial-scale=1">`,
				`<meta name="referrer" content="no-referrer">`,
				"<title>",
				"<style>",
				`<span>authgo</span>`,
			} {
				if !strings.Contains(html, want) {
					t.Errorf("missing %q", want)
				}
			}
			// The only <link> is the favicon, inline as a data URI: no
			// request leaves the page.
			if strings.Count(html, "<link") != strings.Count(html, `<link rel="icon" href="data:image/svg+xml,`) {
				t.Error("a <link> that loads something")
			}
			for _, bad := range []string{"<script", "@import", "url(", "ZgotmplZ"} {
				if strings.Contains(html, bad) {
					t.Errorf("contains %q", bad)
				}
			}
		})
	}
}

func TestSignInForms(t *testing.T) {
	html := page(t, func(b *bytes.Buffer) error { return SignIn(b, sampleSignIn()) })
	csrf := `<input type="hidden" name="csrfToken" value="f4189ebf05c142b4">`
	cb := `<input type="hidden" name="callbackUrl" value="http://127.0.0.1:3999/dashboard">`

	tests := []struct {
		name, action string
		want, deny   []string
	}{
		{
			name:   "credentials",
			action: "http://127.0.0.1:3999/auth/callback/credentials",
			want: []string{
				csrf,
				`name="username" type="text" placeholder="alice" autocomplete="username" required autofocus>`,
				`name="password" type="password" autocomplete="current-password" required>`,
				`<label for="cred-0-0">Username</label>`,
				`<label for="cred-0-1">Password</label>`,
			},
			deny: []string{"callbackUrl"},
		},
		{name: "oauth", action: "http://127.0.0.1:3999/auth/signin/github", want: []string{csrf, cb, "Sign in with GitHub"}},
		{name: "oidc", action: "http://127.0.0.1:3999/auth/signin/google", want: []string{csrf, cb, "Sign in with Google"}},
		{
			name:   "email",
			action: "http://127.0.0.1:3999/auth/signin/email",
			want:   []string{csrf, cb, `name="email" type="email"`, "Sign in with Email"},
			deny:   []string{"autofocus"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := formWithAction(t, html, tt.action)
			for _, w := range tt.want {
				if !strings.Contains(form, w) {
					t.Errorf("form lacks %q:\n%s", w, form)
				}
			}
			for _, d := range tt.deny {
				if strings.Contains(form, d) {
					t.Errorf("form contains %q:\n%s", d, form)
				}
			}
		})
	}
	if n := strings.Count(html, "autofocus"); n != 1 {
		t.Errorf("autofocus appears %d times, want 1", n)
	}
	if n := strings.Count(html, `class="or"`); n != 2 {
		t.Errorf("%d separators, want 2 (credentials | oauth buttons | email)", n)
	}
}

func TestSignInNoProviders(t *testing.T) {
	html := page(t, func(b *bytes.Buffer) error { return SignIn(b, SignInData{}) })
	if !strings.Contains(html, "No sign-in methods are configured.") {
		t.Error("missing empty-state text")
	}
	if strings.Contains(html, "<form") {
		t.Error("renders a form with no providers")
	}
}

func TestFieldDefaults(t *testing.T) {
	tests := []struct {
		name string
		in   Field
		want fieldView
	}{
		{"username", Field{Name: "username"}, fieldView{Name: "username", Label: "username", Type: "text", Autocomplete: "username"}},
		{"password", Field{Name: "pw", Label: "PIN", Type: "Password"}, fieldView{Name: "pw", Label: "PIN", Type: "password", Autocomplete: "current-password"}},
		{"email", Field{Name: "mail", Type: "email"}, fieldView{Name: "mail", Label: "mail", Type: "email", Autocomplete: "email"}},
		{"explicit", Field{Name: "password", Type: "password", Autocomplete: "one-time-code"}, fieldView{Name: "password", Label: "password", Type: "password", Autocomplete: "one-time-code"}},
		{"other", Field{Name: "otp", Type: "number"}, fieldView{Name: "otp", Label: "otp", Type: "number"}},
		{"unsafe type", Field{Name: "x", Type: "hidden"}, fieldView{Name: "x", Label: "x", Type: "text"}},
		{"injected type", Field{Name: "x", Type: `text" onfocus="alert(1)`}, fieldView{Name: "x", Label: "x", Type: "text"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := newFieldView("", tt.in)
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestSignInErrors(t *testing.T) {
	codes := []string{
		"Signin", "OAuthSignin", "OAuthCallbackError", "OAuthCreateAccount", "EmailCreateAccount", "Callback",
		"OAuthAccountNotLinked", "EmailSignin", "CredentialsSignin", "SessionRequired", "MissingCSRF",
	}
	tests := []struct{ code, want string }{
		{"", ""},
		{"Unknown", signInDefault},
		{"credentialssignin", signInDefault},
		{"__proto__", signInDefault},
		{"MissingCSRF", "Your session form expired, please try again."},
	}
	for _, c := range codes {
		tests = append(tests, struct{ code, want string }{c, signInMessages[c]})
	}
	for _, tt := range tests {
		t.Run(cmpName(tt.code), func(t *testing.T) {
			if tt.code != "" && tt.want == "" {
				t.Fatalf("no message for %q", tt.code)
			}
			d := sampleSignIn()
			d.Error = tt.code
			html := page(t, func(b *bytes.Buffer) error { return SignIn(b, d) })
			hasAlert := strings.Contains(html, `role="alert"`)
			if tt.want == "" {
				if hasAlert {
					t.Error("alert shown without an error code")
				}
				return
			}
			wantHTML := `<div class="alert" role="alert">` + escape(tt.want) + `</div>`
			if !strings.Contains(html, wantHTML) {
				t.Errorf("missing %q", wantHTML)
			}
			if tt.want == signInDefault && strings.Contains(html, tt.code) {
				t.Errorf("unknown code %q is echoed", tt.code)
			}
		})
	}
	seen := map[string]string{}
	for _, c := range codes {
		m := signInMessages[c]
		if m == signInDefault {
			t.Errorf("%s uses the default message", c)
		}
		if prev, ok := seen[m]; ok && c != "Signin" {
			t.Errorf("%s and %s share a message", prev, c)
		}
		seen[m] = c
	}
}

func cmpName(s string) string {
	if s == "" {
		return "empty"
	}
	return s
}

var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;")

func escape(s string) string { return escaper.Replace(s) }

func TestErrorStatus(t *testing.T) {
	tests := []struct {
		code string
		want int
	}{
		{"Configuration", http.StatusInternalServerError},
		{"AccessDenied", http.StatusForbidden},
		{"Verification", http.StatusForbidden},
		{"", http.StatusOK},
		{"Default", http.StatusOK},
		{"configuration", http.StatusOK},
		{"CredentialsSignin", http.StatusOK},
		{"<script>", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(cmpName(tt.code), func(t *testing.T) {
			if got := ErrorStatus(tt.code); got != tt.want {
				t.Errorf("ErrorStatus(%q) = %d, want %d", tt.code, got, tt.want)
			}
		})
	}
}

func TestErrorPage(t *testing.T) {
	tests := []struct {
		code     string
		want     []string
		signIn   bool
		homeLink bool
	}{
		{"Configuration", []string{"<title>Server error · authgo</title>", "<h1>Server error</h1>", "problem with the server configuration", "server logs"}, false, true},
		{"AccessDenied", []string{"<h1>Access denied</h1>", "You do not have permission to sign in."}, true, false},
		{"Verification", []string{"<h1>Unable to sign in</h1>", "The sign in link is no longer valid."}, true, false},
		{"", []string{"<h1>Something went wrong</h1>"}, false, true},
		{"SomethingElse", []string{"<h1>Something went wrong</h1>", errorDefault.Message}, false, true},
	}
	for _, tt := range tests {
		t.Run(cmpName(tt.code), func(t *testing.T) {
			html := page(t, func(b *bytes.Buffer) error {
				return Error(b, ErrorData{Code: tt.code, SignInURL: "/auth/signin", HomeURL: "/home"})
			})
			for _, w := range tt.want {
				if !strings.Contains(html, w) {
					t.Errorf("missing %q", w)
				}
			}
			if got := strings.Contains(html, `href="/auth/signin"`); got != tt.signIn {
				t.Errorf("sign-in link shown = %v, want %v", got, tt.signIn)
			}
			if got := strings.Contains(html, `href="/home"`); got != tt.homeLink {
				t.Errorf("home link shown = %v, want %v", got, tt.homeLink)
			}
		})
	}
}

func TestHome(t *testing.T) {
	tests := []struct {
		name       string
		data       HomeData
		want, deny []string
	}{
		{
			name: "signed in",
			data: sampleHome(true),
			want: []string{
				"<h1>Signed in as Alice</h1>",
				"alice@example.com",
				`<img class="avatar" src="https://example.com/alice.png"`,
				"Your session expires on 26 December 2026 at 15:09 UTC.",
				`<input type="hidden" name="csrfToken" value="tok-123">`,
				`<input type="hidden" name="callbackUrl" value="/">`,
				">Sign out</button>",
				"<code>/mypage/:path*</code>",
				"&#34;expires&#34;: &#34;2026-12-26T15:09:52.683Z&#34;",
			},
			deny: []string{"You are not signed in", `href="/auth/signin`},
		},
		{
			name: "signed in without name or image",
			data: HomeData{SignedIn: true, Email: "bob@example.com", SignOutURL: "/auth/signout"},
			want: []string{"<h1>Signed in as bob@example.com</h1>", `<span class="avatar" aria-hidden="true">B</span>`},
			deny: []string{"<img", "Protected paths", "<pre>", "expires"},
		},
		{
			name: "signed out",
			data: sampleHome(false),
			want: []string{
				"<h1>You are not signed in</h1>",
				`<a class="btn" href="/auth/signin?callbackUrl=%2F">Sign in</a>`,
				"<code>/api/private/:path*</code>",
				"<pre><code>null</code></pre>",
			},
			deny: []string{"Signed in as", "<form", "csrfToken"},
		},
		{
			name: "signed out, nothing protected",
			data: HomeData{SignInURL: "/auth/signin"},
			want: []string{"<h1>You are not signed in</h1>", "Sign in to see your session."},
			deny: []string{"protected", "Protected"},
		},
		{
			name: "signed in at a protected path",
			data: HomeData{SignedIn: true, Name: "Alice", SignOutURL: "/auth/signout", Protected: []string{"/mypage/:path*"}, Path: `/mypage/<b>"x"`},
			want: []string{`<p class="notice">You asked for <code>/mypage/&lt;b&gt;&#34;x&#34;</code>, a protected path.`},
			deny: []string{"<b>"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			html := page(t, func(b *bytes.Buffer) error { return Home(b, tt.data) })
			if tt.data.SignedIn {
				formWithAction(t, html, tt.data.SignOutURL)
			}
			for _, w := range tt.want {
				if !strings.Contains(html, w) {
					t.Errorf("missing %q", w)
				}
			}
			for _, d := range tt.deny {
				if strings.Contains(html, d) {
					t.Errorf("contains %q", d)
				}
			}
		})
	}
}

func TestNotFound(t *testing.T) {
	html := page(t, func(b *bytes.Buffer) error {
		return NotFound(b, NotFoundData{Brand: Brand{Name: "Acme"}, HomeURL: "/"})
	})
	for _, w := range []string{"<title>Page not found · Acme</title>", "<h1>Page not found</h1>", `<a class="btn secondary" href="/">Go to the home page</a>`} {
		if !strings.Contains(html, w) {
			t.Errorf("missing %q", w)
		}
	}
	html = page(t, func(b *bytes.Buffer) error { return NotFound(b, NotFoundData{}) })
	if strings.Contains(html, "<a ") {
		t.Error("links home without a HomeURL")
	}
}

func TestSignOut(t *testing.T) {
	html := page(t, func(b *bytes.Buffer) error {
		return SignOut(b, SignOutData{CSRFToken: "tok", ActionURL: "/auth/signout", CallbackURL: "/bye"})
	})
	form := formWithAction(t, html, "/auth/signout")
	for _, w := range []string{
		`<input type="hidden" name="csrfToken" value="tok">`,
		`<input type="hidden" name="callbackUrl" value="/bye">`,
		">Sign out</button>",
	} {
		if !strings.Contains(form, w) {
			t.Errorf("missing %q", w)
		}
	}
	if !strings.Contains(html, "Are you sure you want to sign out?") {
		t.Error("missing question")
	}
	html = page(t, func(b *bytes.Buffer) error { return SignOut(b, SignOutData{ActionURL: "/auth/signout"}) })
	if strings.Contains(html, "callbackUrl") {
		t.Error("empty CallbackURL still posted")
	}
}

func TestEscaping(t *testing.T) {
	const (
		script = `<script>alert(1)</script>`
		img    = `"><img src=x onerror=alert(1)>`
		jsURL  = `javascript:alert(1)`
	)
	payloads := []string{script, img, script + img}
	for _, p := range payloads {
		t.Run(p, func(t *testing.T) {
			html := map[string]string{
				"signin": page(t, func(b *bytes.Buffer) error {
					return SignIn(b, SignInData{
						Brand:       Brand{Name: p, Color: p},
						CSRFToken:   p,
						CallbackURL: p,
						Error:       p,
						Credentials: []CredentialsForm{{ProviderName: p, ActionURL: p, Fields: []Field{{Name: p, Label: p, Type: p, Placeholder: p, Autocomplete: p}}}},
						Providers:   []ProviderButton{{ID: p, Name: p, Type: p, ActionURL: jsURL}, {Name: p, Type: "email", ActionURL: p}},
					})
				}),
				"signout": page(t, func(b *bytes.Buffer) error {
					return SignOut(b, SignOutData{Brand: Brand{Name: p}, CSRFToken: p, ActionURL: p, CallbackURL: p})
				}),
				"error": page(t, func(b *bytes.Buffer) error {
					return Error(b, ErrorData{Code: p, SignInURL: jsURL, HomeURL: jsURL})
				}),
				"home": page(t, func(b *bytes.Buffer) error {
					return Home(b, HomeData{Brand: Brand{Name: p}, SignedIn: true, Name: p, Email: p, Image: jsURL, Expires: p,
						SignOutURL: jsURL, CallbackURL: p, Protected: []string{p}, SessionJSON: p, CSRFToken: p})
				}),
				"home-signed-out": page(t, func(b *bytes.Buffer) error {
					return Home(b, HomeData{SignInURL: jsURL, Protected: []string{p}, SessionJSON: p})
				}),
			}
			for name, h := range html {
				for _, bad := range []string{"<script", "<img src=x", `"><img`, "javascript:"} {
					if strings.Contains(h, bad) {
						t.Errorf("%s: contains %q", name, bad)
					}
				}
			}
			if strings.Contains(html["error"], "alert(1)") {
				t.Error("error page echoes the error code")
			}
			signIn := html["signin"]
			if i := strings.Index(signIn, `role="alert"`); i < 0 || !strings.Contains(signIn[i:], signInDefault) {
				t.Error("unknown error code does not show the default message")
			}
			if strings.Contains(signIn, "--brand:"+p) || strings.Count(signIn, "--brand:") != 2 {
				t.Error("invalid brand colour reached the stylesheet")
			}
		})
	}
}

func TestCSSColor(t *testing.T) {
	tests := []struct{ in, want string }{
		{"#0a0", "#0a0"},
		{"#0a0f", "#0a0f"},
		{" #4F46E5 ", "#4F46E5"},
		{"#4f46e580", "#4f46e580"},
		{"teal", "teal"},
		{"rgb(10 20 30)", "rgb(10 20 30)"},
		{"rgba(10,20,30,.5)", "rgba(10,20,30,.5)"},
		{"oklch(60% 0.2 260 / 50%)", "oklch(60% 0.2 260 / 50%)"},
		{"HSL(200deg 50% 40%)", "HSL(200deg 50% 40%)"},
		{"", ""},
		{"#12", ""},
		{"#12345", ""},
		{"#ggg", ""},
		{"red;}body{display:none", ""},
		{"red}</style><script>", ""},
		{"url(x)", ""},
		{"rgb(1 2 3) ; color:red", ""},
		{"rgb(1 2 3", ""},
		{"rgb(1/*x*/2 3)", ""},
		{"expression(alert(1))", ""},
		{"var(--x)", ""},
		{"blue\u00e9", ""},
		{"t\u0435al", ""},
		{strings.Repeat("a", 65), ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := cssColor(tt.in); got != tt.want {
				t.Errorf("cssColor(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

var styleRE = regexp.MustCompile(`(?s)<style>(.*?)</style>`)

func TestContentSecurityPolicy(t *testing.T) {
	for _, b := range []Brand{{}, {Color: "#0a7"}, {Color: "oklch(60% 0.2 260)"}, {Name: "Acme", Color: "bad;"}} {
		t.Run(b.Color, func(t *testing.T) {
			html := page(t, func(buf *bytes.Buffer) error { return SignIn(buf, SignInData{Brand: b}) })
			m := styleRE.FindStringSubmatch(html)
			if m == nil {
				t.Fatal("no <style> element")
			}
			sum := sha256.Sum256([]byte(m[1]))
			want := "style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
			csp := ContentSecurityPolicy(b)
			if !strings.Contains(csp, want) {
				t.Errorf("policy %q lacks %q", csp, want)
			}
			if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
				t.Errorf("policy %q is not strict", csp)
			}
			if c := cssColor(b.Color); c != "" && !strings.Contains(m[1], ":root{--brand:"+c+"}") {
				t.Errorf("brand colour %q not applied", c)
			}
		})
	}
}

func TestBrandName(t *testing.T) {
	html := page(t, func(b *bytes.Buffer) error { return SignOut(b, SignOutData{Brand: Brand{Name: "Acme & Co"}}) })
	for _, w := range []string{"<title>Sign out · Acme &amp; Co</title>", "<span>Acme &amp; Co</span>"} {
		if !strings.Contains(html, w) {
			t.Errorf("missing %q", w)
		}
	}
}

func TestCSSSize(t *testing.T) {
	if n := len(baseCSS); n >= 6<<10 {
		t.Errorf("stylesheet is %d bytes, budget is 6 KiB", n)
	}
}

type failWriter struct{}

var errWrite = errors.New("write failed")

func (failWriter) Write([]byte) (int, error) { return 0, errWrite }

func TestWriteError(t *testing.T) {
	if err := SignOut(failWriter{}, SignOutData{}); !errors.Is(err, errWrite) {
		t.Errorf("got %v, want %v", err, errWrite)
	}
}

// TestWriteSamples writes every page to $AUTHGO_PAGES_OUT, for screenshots:
//
//	AUTHGO_PAGES_OUT=/tmp/pages go test -run WriteSamples ./internal/pages/
//
// TestWriteSamples renders every page to files: into AUTHGO_PAGES_OUT when
// set (to look at or screenshot them), else into a temporary directory.
func TestWriteSamples(t *testing.T) {
	dir := os.Getenv("AUTHGO_PAGES_OUT")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, html := range allPages(t) {
		if err := os.WriteFile(filepath.Join(dir, name+".html"), []byte(html), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) < len(allPages(t)) {
		t.Fatalf("wrote %d of %d pages: %v", len(entries), len(allPages(t)), err)
	}
	t.Logf("wrote %d pages to %s", len(entries), dir)
}

// TestForbidden: the gateway's 403 page names the user, escaped, and links
// to the sign-out page.
func TestForbidden(t *testing.T) {
	var b strings.Builder
	if err := Forbidden(&b, ForbiddenData{Who: `<script>x</script>@example.com`, SignOutURL: "/auth/signout"}); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	if strings.Contains(got, "<script>x") || !strings.Contains(got, "&lt;script&gt;x&lt;/script&gt;@example.com") || !strings.Contains(got, `href="/auth/signout"`) {
		t.Fatalf("%s", got)
	}
}
