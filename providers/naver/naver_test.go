package naver_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/authgo/authgo/provider"
	"github.com/authgo/authgo/providers/naver"
)

func TestNaver(t *testing.T) {
	var form url.Values
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth2.0/token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		form = r.PostForm
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"access_token":"n-at","refresh_token":"n-rt","token_type":"bearer","expires_in":"3600"}`)
	})
	mux.HandleFunc("GET /v1/nid/me", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer n-at" {
			w.WriteHeader(401)
			io.WriteString(w, `{"resultcode":"024","message":"Authentication failed"}`)
			return
		}
		io.WriteString(w, `{"resultcode":"00","message":"success","response":{"id":"32742776","nickname":"OpenAPI","email":"openapi@naver.com","profile_image":"https://ssl.pstatic.net/static/pwe/address/nodata_33x33.gif","name":"오픈 API"}}`)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	p, err := naver.New(naver.Options{ClientID: "n-id", ClientSecret: "n-secret", AuthBaseURL: srv.URL, APIBaseURL: srv.URL, HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Exchange(t.Context(), provider.ExchangeParams{Code: "c", CodeVerifier: strings.Repeat("v", 43), RedirectURI: "https://app.example/auth/callback/naver"})
	if err != nil {
		t.Fatal(err)
	}
	if u := res.User; u.ID != "32742776" || u.Name != "OpenAPI" || u.Email != "openapi@naver.com" || !strings.HasSuffix(u.Image, "nodata_33x33.gif") {
		t.Errorf("user %+v", u)
	}
	if form.Get("client_id") != "n-id" || form.Get("client_secret") != "n-secret" || form.Get("grant_type") != "authorization_code" {
		t.Errorf("token form %v", form)
	}
	if res.Tokens.Expiry.IsZero() {
		t.Error("expires_in as a string was lost")
	}

	p, _ = naver.New(naver.Options{ClientID: "n-id", ClientSecret: "n-secret"})
	raw, err := p.AuthCodeURL(t.Context(), provider.AuthCodeParams{State: "s", CodeChallenge: "c", RedirectURI: "https://app.example/auth/callback/naver"})
	if err != nil || !strings.HasPrefix(raw, "https://nid.naver.com/oauth2.0/authorize?response_type=code&client_id=n-id&") {
		t.Errorf("AuthCodeURL = %s, %v", raw, err)
	}
}
