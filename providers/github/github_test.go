package github_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/provider"
	"github.com/authgo/authgo/providers/github"
)

// fixture plays github.com and api.github.com.
type fixture struct {
	*httptest.Server
	user       string // the /user body
	emails     string // the /user/emails body; "" answers 404
	emailCalls int
	headers    http.Header
}

func newFixture(t *testing.T, user, emails string) *fixture {
	f := &fixture{user: user, emails: emails}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login/oauth/access_token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		if id, secret, _ := r.BasicAuth(); id != "gh-id" || secret != "gh-secret" || r.PostForm.Get("code_verifier") == "" {
			w.WriteHeader(401)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"access_token":"gho_1","token_type":"bearer","scope":"read:user,user:email"}`)
	})
	mux.HandleFunc("GET /api/user", func(w http.ResponseWriter, r *http.Request) {
		f.headers = r.Header.Clone()
		if r.Header.Get("Authorization") != "Bearer gho_1" {
			w.WriteHeader(401)
			return
		}
		io.WriteString(w, f.user)
	})
	mux.HandleFunc("GET /api/user/emails", func(w http.ResponseWriter, r *http.Request) {
		f.emailCalls++
		if r.Header.Get("Authorization") != "Bearer gho_1" || f.emails == "" {
			w.WriteHeader(404)
			return
		}
		io.WriteString(w, f.emails)
	})
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

func (f *fixture) signIn(t *testing.T) (*provider.OAuthResult, error) {
	p, err := github.New(github.Options{
		ClientID: "gh-id", ClientSecret: "gh-secret",
		BaseURL: f.URL, APIURL: f.URL + "/api", HTTPClient: f.Client(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return p.Exchange(t.Context(), provider.ExchangeParams{
		Code: "c", CodeVerifier: strings.Repeat("v", 43), RedirectURI: "https://app.example/auth/callback/github",
		Callback: httptest.NewRequest("GET", "https://app.example/auth/callback/github?code=c&state=s", nil),
	})
}

func TestProfile(t *testing.T) {
	for _, c := range []struct {
		name, user, emails string
		want               authgo.User
		emailCalls         int
		verified           any // the profile's email_verified; nil when absent
	}{
		{
			name: "public email, verified unknown",
			user: `{"id":583231,"login":"octocat","name":"The Octocat","email":"octo@github.com","avatar_url":"https://avatars.example/u/583231"}`,
			want: authgo.User{ID: "583231", Name: "The Octocat", Email: "octo@github.com", Image: "https://avatars.example/u/583231"}, emailCalls: 1,
		},
		{
			name:   "public email listed as verified",
			user:   `{"id":583231,"login":"octocat","email":"Octo@github.com"}`,
			emails: `[{"email":"octo@github.com","primary":true,"verified":true}]`,
			want:   authgo.User{ID: "583231", Name: "octocat", Email: "Octo@github.com"}, emailCalls: 1, verified: true,
		},
		{
			name:   "public email listed as unverified",
			user:   `{"id":583231,"login":"octocat","email":"octo@github.com"}`,
			emails: `[{"email":"octo@github.com","primary":true,"verified":false}]`,
			want:   authgo.User{ID: "583231", Name: "octocat", Email: "octo@github.com"}, emailCalls: 1, verified: false,
		},
		{
			name:   "primary verified chosen",
			user:   `{"id":1,"login":"octocat","name":null,"email":null,"avatar_url":"https://a"}`,
			emails: `[{"email":"old@example.com","primary":false,"verified":true},{"email":"main@example.com","primary":true,"verified":true}]`,
			want:   authgo.User{ID: "1", Name: "octocat", Email: "main@example.com", Image: "https://a"}, emailCalls: 1, verified: true,
		},
		{
			name:   "unverified primary ignored",
			user:   `{"id":1,"login":"octocat","email":null}`,
			emails: `[{"email":"evil@victim.example","primary":true,"verified":false},{"email":"second@example.com","primary":false,"verified":true}]`,
			want:   authgo.User{ID: "1", Name: "octocat", Email: "second@example.com"}, emailCalls: 1, verified: true,
		},
		{
			name:   "nothing verified",
			user:   `{"id":1,"login":"octocat","email":""}`,
			emails: `[{"email":"evil@victim.example","primary":true,"verified":false}]`,
			want:   authgo.User{ID: "1", Name: "octocat"}, emailCalls: 1,
		},
		{
			name: "emails not allowed",
			user: `{"id":1,"login":"octocat"}`,
			want: authgo.User{ID: "1", Name: "octocat"}, emailCalls: 1,
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, c.user, c.emails)
			res, err := f.signIn(t)
			if err != nil {
				t.Fatal(err)
			}
			if got := *res.User; got.ID != c.want.ID || got.Name != c.want.Name || got.Email != c.want.Email || got.Image != c.want.Image {
				t.Errorf("user %+v, want %+v", got, c.want)
			}
			if f.emailCalls != c.emailCalls {
				t.Errorf("%d calls to /user/emails, want %d", f.emailCalls, c.emailCalls)
			}
			if f.headers.Get("Accept") != "application/vnd.github+json" || f.headers.Get("User-Agent") == "" {
				t.Errorf("API headers %v", f.headers)
			}
			if res.Profile["email_verified"] != c.verified {
				t.Errorf("email_verified %v, want %v", res.Profile["email_verified"], c.verified)
			}
			if res.Profile["login"] != "octocat" {
				t.Errorf("profile %v", res.Profile)
			}
		})
	}
}

func TestBadProfiles(t *testing.T) {
	for _, user := range []string{`{"login":"no-id"}`, `not json`, `{"id":null}`} {
		f := newFixture(t, user, `[]`)
		if res, err := f.signIn(t); err == nil {
			t.Errorf("%s: accepted %+v", user, res.User)
		}
	}
	f := newFixture(t, `{"id":1,"login":"x"}`, `{"not":"a list"}`)
	if _, err := f.signIn(t); err == nil {
		t.Error("a malformed /user/emails response was accepted")
	}
}

func TestAuthCodeURL(t *testing.T) {
	p, err := github.New(github.Options{ClientID: "gh-id", ClientSecret: "gh-secret"})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := p.AuthCodeURL(t.Context(), provider.AuthCodeParams{State: "s", CodeChallenge: "c", RedirectURI: "https://app.example/auth/callback/github"})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(raw)
	if u.Host != "github.com" || u.Path != "/login/oauth/authorize" || u.Query().Get("scope") != "read:user user:email" {
		t.Errorf("AuthCodeURL = %s", raw)
	}
	p, err = github.New(github.Options{ClientID: "id", ClientSecret: "s", BaseURL: "https://ghe.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ = p.AuthCodeURL(t.Context(), provider.AuthCodeParams{State: "s", CodeChallenge: "c", RedirectURI: "https://app.example/cb"})
	if !strings.HasPrefix(raw, "https://ghe.example.com/login/oauth/authorize?") {
		t.Errorf("enterprise AuthCodeURL = %s", raw)
	}
	for _, o := range []github.Options{
		{ClientSecret: "s"},
		{ClientID: "id"},
		{ClientID: "id", ClientSecret: "s", BaseURL: "http://github.example"},
		{ClientID: "id", ClientSecret: "s", APIURL: "ftp://api.example"},
	} {
		if _, err := github.New(o); err == nil {
			t.Errorf("New(%+v) succeeded", o)
		}
	}
}
