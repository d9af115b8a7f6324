package authgo_test

import (
	"bytes"
	"context"
	"html"
	"image"
	"image/png"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/jwt"
	"github.com/authgo/authgo/provider"
	"github.com/authgo/authgo/providers/credentials"
)

var inputTag = regexp.MustCompile(`<input [^>]*name="([^"]*)"[^>]*>`)

// inputs returns the sign-in page's inputs by name.
func inputs(page string) map[string]string {
	out := map[string]string{}
	for _, m := range inputTag.FindAllStringSubmatch(page, -1) {
		out[html.UnescapeString(m[1])] = m[0]
	}
	return out
}

// After a wrong password the sign-in page shows the username again, from an
// encrypted cookie on the base path, never the password, and the redirect
// is Auth.js's.
func TestSignInKeepsUsername(t *testing.T) {
	const hostile = `"><script>alert(1)</script>`
	tests := []struct {
		name, origin, user string
		cookie             string
	}{
		{"alice", "http://localhost:3000", "alice", "authgo.signin-form"},
		{"hostile", "http://localhost:3000", hostile, "authgo.signin-form"},
		{"https", "https://localhost:3000", "alice", "__Secure-authgo.signin-form"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAuth(t, func(c *authgo.Config) { c.URL = tt.origin })
			c := newClient(t, a)
			res := c.signIn(tt.origin, tt.user, "wrong-password-s3cret")
			if res.StatusCode != http.StatusFound || res.Header.Get("Location") != tt.origin+"/auth/signin?error=CredentialsSignin&code=credentials" {
				t.Fatalf("failed sign-in = %d Location %q", res.StatusCode, res.Header.Get("Location"))
			}
			ck := res.setCook[tt.cookie]
			if ck == nil {
				t.Fatalf("no %s cookie: %v", tt.cookie, res.Header.Values("Set-Cookie"))
			}
			if !ck.HttpOnly || ck.Path != "/auth" || ck.MaxAge != 300 || ck.SameSite != http.SameSiteLaxMode || ck.Secure != strings.HasPrefix(tt.origin, "https") {
				t.Errorf("cookie attributes: %+v", ck)
			}
			for _, leak := range []string{"wrong-password", url.QueryEscape(tt.user)} {
				if strings.Contains(ck.Value, leak) || strings.Contains(res.Header.Get("Location"), leak) {
					t.Errorf("%q travels in the clear", leak)
				}
			}

			page := c.get(res.Header.Get("Location"))
			in := inputs(page.body)
			wantValue := ` value="` + html.EscapeString(tt.user) + `"`
			if tt.user == hostile {
				wantValue = ` value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"`
			}
			if !strings.Contains(in["username"], wantValue) {
				t.Errorf("username input %s, want %s", in["username"], wantValue)
			}
			if strings.Contains(in["password"], "value=") || strings.Contains(page.body, "wrong-password") {
				t.Errorf("password input %s", in["password"])
			}
			if strings.Contains(page.body, "<script>") {
				t.Error("the kept username is not escaped")
			}
			if d := page.setCook[tt.cookie]; d == nil || d.MaxAge >= 0 || d.Path != "/auth" {
				t.Errorf("the page does not delete the cookie it read: %+v", d)
			}
			// Read once: a reload shows an empty form.
			if again := c.get(res.Header.Get("Location")); strings.Contains(inputs(again.body)["username"], "value=") {
				t.Error("the username is shown again after the cookie was read")
			}
		})
	}
}

func TestSignInKeptFormScope(t *testing.T) {
	const origin = "http://localhost:3000"
	t.Run("success deletes it", func(t *testing.T) {
		c := newClient(t, newAuth(t, nil))
		if res := c.signIn(origin, "alice", "nope"); res.setCook["authgo.signin-form"] == nil {
			t.Fatal("no cookie after a failure")
		}
		res := c.signIn(origin, "alice", "wonderland")
		if d := res.setCook["authgo.signin-form"]; d == nil || d.MaxAge >= 0 {
			t.Errorf("a successful sign-in leaves the kept form: %+v", d)
		}
	})
	t.Run("only with CredentialsSignin", func(t *testing.T) {
		c := newClient(t, newAuth(t, nil))
		c.signIn(origin, "alice", "nope")
		page := c.get(origin + "/auth/signin")
		if strings.Contains(inputs(page.body)["username"], "value=") {
			t.Error("filled without ?error=CredentialsSignin")
		}
		if d := page.setCook["authgo.signin-form"]; d == nil || d.MaxAge >= 0 {
			t.Error("not deleted")
		}
	})
	t.Run("expires", func(t *testing.T) {
		now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
		a := newAuth(t, func(c *authgo.Config) { c.Now = func() time.Time { return now } })
		c := newClient(t, a)
		c.signIn(origin, "alice", "nope")
		now = now.Add(6 * time.Minute)
		page := c.get(origin + "/auth/signin?error=CredentialsSignin&code=credentials")
		if strings.Contains(inputs(page.body)["username"], "value=") {
			t.Error("filled from an expired cookie")
		}
	})
	t.Run("forged", func(t *testing.T) {
		c := newClient(t, newAuth(t, nil))
		c.SetCookie("authgo.signin-form", "eyJhbGciOiJub25lIn0.e30.")
		page := c.get(origin + "/auth/signin?error=CredentialsSignin&code=credentials")
		if page.StatusCode != 200 || strings.Contains(inputs(page.body)["username"], "value=") {
			t.Errorf("%d, username input %s", page.StatusCode, inputs(page.body)["username"])
		}
	})
	t.Run("own sign-in page", func(t *testing.T) {
		c := newClient(t, newAuth(t, func(c *authgo.Config) { c.Pages.SignIn = "/login" }))
		if res := c.signIn(origin, "alice", "nope"); res.setCook["authgo.signin-form"] != nil {
			t.Error("kept for a page that cannot show it")
		}
	})
	t.Run("script", func(t *testing.T) {
		c := newClient(t, newAuth(t, nil))
		form := url.Values{"csrfToken": {c.csrf(origin)}, "username": {"alice"}, "password": {"nope"}}
		res := c.postForm(origin+"/auth/callback/credentials", form, "X-Auth-Return-Redirect", "1")
		if res.setCook["authgo.signin-form"] != nil {
			t.Error("kept for a script's sign-in")
		}
	})
	t.Run("secret fields", func(t *testing.T) {
		p, err := credentials.New(credentials.Options{
			Fields: []provider.Field{
				{Name: "email", Type: "email"},
				{Name: "pin", Type: "PASSWORD"},
				{Name: "otp", Type: "text", Autocomplete: "one-time-code"},
				{Name: "long"},
			},
			Authorize: func(context.Context, provider.Credentials, *http.Request) (*authgo.User, error) { return nil, nil },
		})
		if err != nil {
			t.Fatal(err)
		}
		a := newAuth(t, func(c *authgo.Config) { c.Providers = []provider.Provider{p} })
		c := newClient(t, a)
		form := url.Values{"csrfToken": {c.csrf(origin)}, "email": {"a@example.com"}, "pin": {"1234"}, "otp": {"987654"}, "long": {strings.Repeat("x", 300)}}
		res := c.postForm(origin+"/auth/callback/credentials", form)
		// The cookie holds the email address only.
		tok, err := jwt.Decode(jwt.DecodeParams{Token: c.Cookie("authgo.signin-form"), Secrets: []string{testSecret}, Salt: "authgo.signin-form"})
		if err != nil || tok == nil {
			t.Fatalf("kept form: %v", err)
		}
		if f, _ := tok.Extra["fields"].(map[string]any); len(f) != 1 || f["email"] != "a@example.com" || tok.Extra["provider"] != "credentials" {
			t.Errorf("kept %v", tok.Extra)
		}
		in := inputs(c.get(res.Header.Get("Location")).body)
		if !strings.Contains(in["email"], `value="a@example.com"`) {
			t.Errorf("email input %s", in["email"])
		}
		for _, n := range []string{"pin", "otp", "long"} {
			if strings.Contains(in[n], "value=") {
				t.Errorf("%s kept: %s", n, in[n])
			}
		}
	})
}

func pngLogo(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 2, 2))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestThemeLogo(t *testing.T) {
	logo := pngLogo(t)
	a := newAuth(t, func(c *authgo.Config) { c.Theme = authgo.Theme{Brand: "Acme", Color: "#0a7", Logo: logo} })
	logo[0] = 'X' // New copied it
	for _, p := range []string{"/auth/signin", "/auth/signout", "/auth/error?error=AccessDenied"} {
		res := newClient(t, a).get("http://localhost:3000" + p)
		if !strings.Contains(res.body, `<img class="logo" src="data:image/png;base64,iVBOR`) || !strings.Contains(res.body, "<span>Acme</span>") {
			t.Errorf("%s: no logo or brand:\n%s", p, res.body)
		}
		if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "img-src * data:") {
			t.Errorf("%s: policy %q", p, csp)
		}
	}
}

func TestNewValidatesLogo(t *testing.T) {
	const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 4"><circle cx="2" cy="2" r="2"/></svg>`
	cases := []struct {
		name string
		logo []byte
		want string // part of the error; "" means New succeeds
	}{
		{"none", nil, ""},
		{"empty", []byte{}, ""},
		{"png", pngLogo(t), ""},
		{"svg", []byte(svg), ""},
		{"html", []byte("<html><script>alert(1)</script></html>"), "Theme.Logo"},
		{"text", []byte("logo"), "Theme.Logo: unsupported image type text/plain"},
		{"too big", append(pngLogo(t), make([]byte, authgo.MaxLogoSize)...), "Theme.Logo"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := authgo.New(authgo.Config{Secret: []string{testSecret}, URL: "http://localhost:3000", Theme: authgo.Theme{Logo: tc.logo}})
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "authgo: ")) {
				t.Errorf("New = %v, want %q", err, tc.want)
			}
		})
	}
}
