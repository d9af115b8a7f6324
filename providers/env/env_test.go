package env_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/authgo/authgo/provider"
	"github.com/authgo/authgo/providers/env"
	"github.com/authgo/authgo/providers/oidc"
)

func TestProviders(t *testing.T) {
	for _, c := range []struct {
		name    string
		vars    map[string]string
		want    []string // "id name type"
		wantErr []string // substrings of the error
	}{
		{name: "nothing", vars: nil, want: nil},
		{name: "github", vars: map[string]string{"AUTH_GITHUB_ID": "i", "AUTH_GITHUB_SECRET": "s"}, want: []string{"github GitHub oauth"}},
		{name: "all", vars: map[string]string{
			"AUTH_GITHUB_ID": "i", "AUTH_GITHUB_SECRET": "s",
			"AUTH_GOOGLE_ID": "i", "AUTH_GOOGLE_SECRET": "s",
			"AUTH_KAKAO_ID": "i", "AUTH_KAKAO_SECRET": "s",
			"AUTH_NAVER_ID": "i", "AUTH_NAVER_SECRET": "s",
			"AUTH_OIDC_ISSUER": "https://sso.example.com/realms/main", "AUTH_OIDC_ID": "i", "AUTH_OIDC_SECRET": "s", "AUTH_OIDC_NAME": "Corp SSO",
		}, want: []string{"github GitHub oauth", "google Google oidc", "kakao Kakao oauth", "naver Naver oauth", "oidc Corp SSO oidc"}},
		{name: "oidc default name", vars: map[string]string{
			"AUTH_OIDC_ISSUER": "https://sso.example.com", "AUTH_OIDC_ID": "i", "AUTH_OIDC_SECRET": "s",
		}, want: []string{"oidc OpenID Connect oidc"}},
		{name: "google issuer", vars: map[string]string{
			"AUTH_GOOGLE_ID": "i", "AUTH_GOOGLE_SECRET": "s", "AUTH_GOOGLE_ISSUER": "https://accounts.example",
		}, want: []string{"google Google oidc"}},
		{name: "id without secret", vars: map[string]string{"AUTH_GITHUB_ID": "i"},
			wantErr: []string{"AUTH_GITHUB_ID set but AUTH_GITHUB_SECRET not"}},
		{name: "secret without id", vars: map[string]string{"AUTH_NAVER_SECRET": "s"},
			wantErr: []string{"AUTH_NAVER_SECRET set but AUTH_NAVER_ID not"}},
		{name: "empty counts as unset", vars: map[string]string{"AUTH_KAKAO_ID": "i", "AUTH_KAKAO_SECRET": ""},
			wantErr: []string{"AUTH_KAKAO_SECRET not"}},
		{name: "oidc without issuer", vars: map[string]string{"AUTH_OIDC_ID": "i", "AUTH_OIDC_SECRET": "s"},
			wantErr: []string{"AUTH_OIDC_ID, AUTH_OIDC_SECRET set but AUTH_OIDC_ISSUER not"}},
		{name: "oidc name alone", vars: map[string]string{"AUTH_OIDC_NAME": "SSO"},
			wantErr: []string{"AUTH_OIDC_NAME set but AUTH_OIDC_ISSUER, AUTH_OIDC_ID, AUTH_OIDC_SECRET not"}},
		{name: "google issuer alone", vars: map[string]string{"AUTH_GOOGLE_ISSUER": "https://accounts.example"},
			wantErr: []string{"AUTH_GOOGLE_ISSUER set but AUTH_GOOGLE_ID, AUTH_GOOGLE_SECRET not"}},
		{name: "bad issuer", vars: map[string]string{"AUTH_OIDC_ISSUER": "http://sso.example.com", "AUTH_OIDC_ID": "i", "AUTH_OIDC_SECRET": "s"},
			wantErr: []string{"Options.Issuer"}},
		{name: "several problems", vars: map[string]string{"AUTH_GITHUB_ID": "i", "AUTH_GOOGLE_SECRET": "s", "AUTH_KAKAO_ID": "i", "AUTH_KAKAO_SECRET": "s"},
			wantErr: []string{"AUTH_GITHUB_SECRET not", "AUTH_GOOGLE_ID not"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			getenv := func(k string) string { return c.vars[k] }
			ps, err := env.FromEnv(getenv, env.Options{})
			if ps2, err2 := env.Providers(getenv); strings.Join(describe(ps2), "|") != strings.Join(describe(ps), "|") || (err == nil) != (err2 == nil) {
				t.Errorf("Providers and FromEnv differ: %v %v / %v %v", describe(ps2), err2, describe(ps), err)
			}
			if len(c.wantErr) > 0 {
				if err == nil {
					t.Fatalf("no error; providers %v", describe(ps))
				}
				for _, s := range c.wantErr {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not say %q", err, s)
					}
				}
				if ps != nil {
					t.Errorf("providers returned with an error: %v", describe(ps))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := describe(ps); strings.Join(got, "|") != strings.Join(c.want, "|") {
				t.Errorf("providers %q, want %q", got, c.want)
			}
		})
	}
}

func describe(ps []provider.Provider) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.ID()+" "+p.Name()+" "+string(p.Type()))
	}
	return out
}

// recorder is a transport that records the hosts asked and answers
// nothing, so no request leaves the process.
type recorder struct {
	mu    sync.Mutex
	hosts []string
}

var errOffline = errors.New("offline")

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.hosts = append(r.hosts, req.URL.Host)
	return nil, errOffline
}

func TestFromEnvHTTPClient(t *testing.T) {
	rec := &recorder{}
	vars := map[string]string{
		"AUTH_GITHUB_ID": "i", "AUTH_GITHUB_SECRET": "s",
		"AUTH_GOOGLE_ID": "i", "AUTH_GOOGLE_SECRET": "s",
		"AUTH_KAKAO_ID": "i", "AUTH_KAKAO_SECRET": "s",
		"AUTH_NAVER_ID": "i", "AUTH_NAVER_SECRET": "s",
		"AUTH_OIDC_ISSUER": "https://sso.example.com", "AUTH_OIDC_ID": "i", "AUTH_OIDC_SECRET": "s",
	}
	ps, err := env.FromEnv(func(k string) string { return vars[k] }, env.Options{HTTPClient: &http.Client{Transport: rec}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.hosts) != 0 {
		t.Fatalf("FromEnv made requests: %v", rec.hosts)
	}
	for _, p := range ps {
		switch p := p.(type) {
		case *oidc.Provider:
			if err := p.Discover(t.Context()); !errors.Is(err, errOffline) {
				t.Errorf("%s: Discover: %v, want the transport's error", p.ID(), err)
			}
		case provider.OAuthProvider:
			_, err := p.Exchange(t.Context(), provider.ExchangeParams{
				Code: "c", CodeVerifier: strings.Repeat("v", 43), RedirectURI: "https://app.example/auth/callback/" + p.ID(),
				Callback: httptest.NewRequest("GET", "https://app.example/auth/callback/"+p.ID()+"?code=c&state=s", nil),
			})
			if !errors.Is(err, errOffline) {
				t.Errorf("%s: Exchange: %v, want the transport's error", p.ID(), err)
			}
		default:
			t.Errorf("%s: %T is not an OAuth provider", p.ID(), p)
		}
	}
	slices.Sort(rec.hosts)
	want := []string{"accounts.google.com", "github.com", "kauth.kakao.com", "nid.naver.com", "sso.example.com"}
	if got := slices.Compact(rec.hosts); !slices.Equal(got, want) {
		t.Errorf("hosts asked %v, want %v", got, want)
	}
}

func TestFromEnvNilGetenv(t *testing.T) {
	if _, err := env.FromEnv(nil, env.Options{}); err == nil {
		t.Error("FromEnv(nil) did not fail")
	}
}
