package pages

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

// manyProviders is the sign-in page with every kind of button: a
// credentials form, the four branded providers, a generic OIDC and a
// generic OAuth provider.
func manyProviders() SignInData {
	d := sampleSignIn()
	d.Providers = []ProviderButton{
		{ID: "github", Name: "GitHub", Type: "oauth", ActionURL: "/auth/signin/github"},
		{ID: "google", Name: "Google", Type: "oidc", ActionURL: "/auth/signin/google"},
		{ID: "kakao", Name: "Kakao", Type: "oauth", ActionURL: "/auth/signin/kakao"},
		{ID: "naver", Name: "Naver", Type: "oauth", ActionURL: "/auth/signin/naver"},
		{ID: "keycloak", Name: "Keycloak", Type: "oidc", ActionURL: "/auth/signin/keycloak"},
		{ID: "acme", Name: "Acme", Type: "oauth", ActionURL: "/auth/signin/acme"},
	}
	return d
}

// buttonOf returns the submit button of the form posting to action.
func buttonOf(t *testing.T, html, action string) string {
	t.Helper()
	form := formWithAction(t, html, action)
	i := strings.Index(form, "<button")
	if i < 0 {
		t.Fatalf("form posting to %q has no button", action)
	}
	return form[i:]
}

func TestProviderButtons(t *testing.T) {
	html := page(t, func(b *bytes.Buffer) error { return SignIn(b, manyProviders()) })
	tests := []struct {
		id, class string
		icon      string
	}{
		{"github", "btn p-github", githubIcon},
		{"google", "btn p-google", googleIcon},
		{"kakao", "btn p-kakao", kakaoIcon},
		{"naver", "btn p-naver", naverIcon},
		{"keycloak", "btn secondary", keyIcon},
		{"acme", "btn secondary", keyIcon},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			btn := buttonOf(t, html, "/auth/signin/"+tt.id)
			if !strings.HasPrefix(btn, `<button type="submit" class="`+tt.class+`">`+tt.icon+`<span>Sign in with `) {
				t.Errorf("button is\n%s\nwant class %q and its icon", btn, tt.class)
			}
		})
	}
	// Each branded class has its colours in the stylesheet.
	for _, class := range []string{"p-github", "p-google", "p-kakao", "p-naver"} {
		if !strings.Contains(baseCSS, ".btn."+class+"{") {
			t.Errorf("style.css does not style .%s", class)
		}
	}
	// The email provider's submit button carries the envelope.
	d := sampleSignIn()
	html = page(t, func(b *bytes.Buffer) error { return SignIn(b, d) })
	if btn := buttonOf(t, html, "http://127.0.0.1:3999/auth/signin/email"); !strings.Contains(btn, mailIcon) {
		t.Errorf("email button lacks its icon:\n%s", btn)
	}
}

// The marks are self-contained: nothing in them can load or run anything.
func TestIconsSelfContained(t *testing.T) {
	for name, icon := range map[string]string{
		"github": githubIcon, "google": googleIcon, "kakao": kakaoIcon, "naver": naverIcon, "key": keyIcon, "mail": mailIcon,
	} {
		t.Run(name, func(t *testing.T) {
			if !strings.HasPrefix(icon, `<svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">`) || !strings.HasSuffix(icon, "</svg>") {
				t.Errorf("not one decorative inline svg: %s", icon)
			}
			for _, bad := range []string{"href", "url(", "style", "<script", "<image", "<use", "<foreignObject", "<a "} {
				if strings.Contains(icon, bad) {
					t.Errorf("contains %q", bad)
				}
			}
			if m := eventAttr.FindString(icon); m != "" {
				t.Errorf("has an event handler %q", m)
			}
		})
	}
}

var (
	eventAttr = regexp.MustCompile(`(?i)\son[a-z]+=`)
	srcHref   = regexp.MustCompile(`\s(?:src|href|xlink:href)="([^"]*)"`)
	styleAttr = regexp.MustCompile(`\sstyle=`)
)

// The sign-in page requests nothing from another origin (every src and
// href is a same-origin path or a data: URI) and has no style attribute,
// which its Content-Security-Policy (style-src by hash only) would block.
func TestSignInLoadsNothingElsewhere(t *testing.T) {
	d := manyProviders()
	d.Brand.Logo = testPNG(t)
	d.Error = "CredentialsSignin"
	for name, html := range map[string]string{
		"many providers": page(t, func(b *bytes.Buffer) error { return SignIn(b, d) }),
		"sample":         page(t, func(b *bytes.Buffer) error { return SignIn(b, sampleSignIn()) }),
	} {
		t.Run(name, func(t *testing.T) {
			refs := srcHref.FindAllStringSubmatch(html, -1)
			if len(refs) == 0 {
				t.Fatal("no src or href at all: the pattern is wrong")
			}
			for _, m := range refs {
				u := m[1]
				if !(strings.HasPrefix(u, "data:") || strings.HasPrefix(u, "/") && !strings.HasPrefix(u, "//")) {
					t.Errorf("loads %q", u)
				}
			}
			if styleAttr.MatchString(html) {
				t.Error("has a style attribute")
			}
		})
	}
	for name, html := range allPages(t) {
		if styleAttr.MatchString(html) {
			t.Errorf("%s: has a style attribute", name)
		}
	}
}

func TestChoiceLead(t *testing.T) {
	const lead = "Choose how you want to sign in."
	creds := sampleSignIn().Credentials
	github := ProviderButton{ID: "github", Name: "GitHub", Type: "oauth", ActionURL: "/auth/signin/github"}
	google := ProviderButton{ID: "google", Name: "Google", Type: "oidc", ActionURL: "/auth/signin/google"}
	email := ProviderButton{ID: "email", Name: "Email", Type: "email", ActionURL: "/auth/signin/email"}
	tests := []struct {
		name string
		d    SignInData
		want bool
	}{
		{"one credentials form", SignInData{Credentials: creds}, false},
		{"one button", SignInData{Providers: []ProviderButton{github}}, false},
		{"one email form", SignInData{Providers: []ProviderButton{email}}, false},
		{"nothing", SignInData{}, false},
		{"two buttons", SignInData{Providers: []ProviderButton{github, google}}, true},
		{"form and button", SignInData{Credentials: creds, Providers: []ProviderButton{github}}, true},
		{"two credentials forms", SignInData{Credentials: append(creds, creds...)}, true},
		{"form and email", SignInData{Credentials: creds, Providers: []ProviderButton{email}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			html := page(t, func(b *bytes.Buffer) error { return SignIn(b, tt.d) })
			if got := strings.Contains(html, lead); got != tt.want {
				t.Errorf("lead shown = %v, want %v", got, tt.want)
			}
			tt.d.Error = "CredentialsSignin"
			html = page(t, func(b *bytes.Buffer) error { return SignIn(b, tt.d) })
			if strings.Contains(html, lead) || !strings.Contains(html, `role="alert"`) {
				t.Error("with an error the alert does not replace the lead")
			}
		})
	}
}

var inputRE = regexp.MustCompile(`<input [^>]*>`)

func TestInputsRequired(t *testing.T) {
	html := page(t, func(b *bytes.Buffer) error { return SignIn(b, manyProviders()) })
	d := sampleSignIn()
	d.Credentials = append(d.Credentials, CredentialsForm{ActionURL: "/auth/callback/otp", Fields: []Field{{Name: "otp", Type: "number"}}})
	html += page(t, func(b *bytes.Buffer) error { return SignIn(b, d) })
	visible := 0
	for _, in := range inputRE.FindAllString(html, -1) {
		if strings.Contains(in, `type="hidden"`) {
			if strings.Contains(in, "required") {
				t.Errorf("hidden input is required: %s", in)
			}
			continue
		}
		visible++
		if !strings.Contains(in, " required") {
			t.Errorf("not required: %s", in)
		}
	}
	if visible != 6 { // 2 + (2 + email + otp)
		t.Errorf("%d visible inputs, want 6", visible)
	}
}

func TestFieldValues(t *testing.T) {
	const hostile = `"><script>alert(1)</script>`
	tests := []struct {
		name, user string
		want       string // the username input's value attribute, "" for none
		focus      string // the id of the autofocused input
	}{
		{"none", "", "", "cred-0-0"},
		{"kept", "alice", ` value="alice"`, "cred-0-1"},
		{"hostile", hostile, ` value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"`, "cred-0-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := sampleSignIn()
			d.Credentials[0].Fields[0].Value = tt.user
			d.Credentials[0].Fields[1].Value = "hunter2" // never rendered
			html := page(t, func(b *bytes.Buffer) error { return SignIn(b, d) })
			inputs := inputRE.FindAllString(formWithAction(t, html, d.Credentials[0].ActionURL), -1)
			if len(inputs) != 3 {
				t.Fatalf("inputs: %q", inputs)
			}
			user, pw := inputs[1], inputs[2]
			if tt.want == "" && strings.Contains(user, "value=") || tt.want != "" && !strings.Contains(user, tt.want) {
				t.Errorf("username input is %s, want %s", user, tt.want)
			}
			if strings.Contains(pw, "value=") || strings.Contains(html, "hunter2") {
				t.Errorf("the password is rendered: %s", pw)
			}
			if strings.Contains(html, "<script") {
				t.Error("the value is not escaped")
			}
			focused := regexp.MustCompile(`id="([^"]+)"[^>]* autofocus`).FindStringSubmatch(html)
			if focused == nil || focused[1] != tt.focus {
				t.Errorf("autofocus on %v, want %s", focused, tt.focus)
			}
		})
	}
}
