package kakao_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/authgo/authgo/provider"
	"github.com/authgo/authgo/providers/kakao"
)

func TestKakao(t *testing.T) {
	var form url.Values
	var basic bool
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth/token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		form = r.PostForm
		_, _, basic = r.BasicAuth()
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		io.WriteString(w, `{"access_token":"k-at","token_type":"bearer","refresh_token":"k-rt","expires_in":21599,"scope":"profile_nickname account_email","refresh_token_expires_in":5183999}`)
	})
	mux.HandleFunc("GET /v2/user/me", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer k-at" {
			w.WriteHeader(401)
			return
		}
		io.WriteString(w, `{"id":3141592653,"connected_at":"2024-01-01T00:00:00Z",
			"kakao_account":{"profile":{"nickname":"라이언","profile_image_url":"https://k.kakaocdn.net/ryan.png"},
			"email":"ryan@kakao.example","is_email_valid":true,"is_email_verified":true}}`)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	p, err := kakao.New(kakao.Options{
		ClientID: "rest-api-key", ClientSecret: "k-secret",
		AuthBaseURL: srv.URL, APIBaseURL: srv.URL, HTTPClient: srv.Client(),
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Exchange(t.Context(), provider.ExchangeParams{Code: "c", CodeVerifier: strings.Repeat("v", 43), RedirectURI: "https://app.example/auth/callback/kakao"})
	if err != nil {
		t.Fatal(err)
	}
	if u := res.User; u.ID != "3141592653" || u.Name != "라이언" || u.Email != "ryan@kakao.example" || u.Image != "https://k.kakaocdn.net/ryan.png" {
		t.Errorf("user %+v", u)
	}
	if basic || form.Get("client_id") != "rest-api-key" || form.Get("client_secret") != "k-secret" {
		t.Errorf("token request: basic %v, form %v (want client_secret_post)", basic, form)
	}

	p, _ = kakao.New(kakao.Options{ClientID: "rest-api-key", ClientSecret: "k-secret", Scopes: []string{"profile_nickname", "account_email"}})
	raw, err := p.AuthCodeURL(t.Context(), provider.AuthCodeParams{State: "s", CodeChallenge: "c", RedirectURI: "https://app.example/auth/callback/kakao"})
	if err != nil || !strings.HasPrefix(raw, "https://kauth.kakao.com/oauth/authorize?scope=profile_nickname%2Caccount_email&response_type=code&client_id=rest-api-key&") {
		t.Errorf("AuthCodeURL = %s, %v", raw, err)
	}
	if p.ID() != "kakao" || p.Name() != "Kakao" || p.Type() != provider.TypeOAuth {
		t.Errorf("%s %s %s", p.ID(), p.Name(), p.Type())
	}
}
