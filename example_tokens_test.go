package authgo_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/provider"
	backendprovider "github.com/authgo/authgo/providers/backend"
)

// The original setup with authgo doing the token work: the sign-in form
// signs in against the back end, whose access and refresh tokens stay in
// the encrypted cookie; server code calls the API with a.Client(r), which
// attaches the bearer and refreshes it before it expires.
func ExampleAuth_AccessToken() {
	// A stand-in back end: /login issues a JWT access token, /api echoes
	// who called.
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/login":
			claims, _ := json.Marshal(map[string]any{"sub": "user-1", "name": "Alice", "exp": time.Now().Add(time.Hour).Unix()})
			at := "eyJhbGciOiJSUzI1NiJ9." + base64.RawURLEncoding.EncodeToString(claims) + ".c2ln"
			json.NewEncoder(w).Encode(map[string]string{"accessToken": at, "refreshToken": "rt-1"})
		case "/api/me":
			fmt.Fprintf(w, "called with a bearer: %v", strings.HasPrefix(r.Header.Get("Authorization"), "Bearer eyJ"))
		}
	}))
	defer api.Close()

	login, err := backendprovider.New(backendprovider.Options{LoginURL: api.URL + "/login", RefreshURL: api.URL + "/refresh"})
	if err != nil {
		log.Fatal(err)
	}
	a, err := authgo.New(authgo.Config{
		Secret:    []string{"a-secret-of-at-least-32-bytes-from-authgo-secret"},
		URL:       "http://localhost:3000",
		Providers: []provider.Provider{login},
	})
	if err != nil {
		log.Fatal(err)
	}
	cookies := signInForExample(a, "http://localhost:3000") // the sign-in form's post

	page := a.RequireSession(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res, err := a.Client(r, nil).Get(api.URL + "/api/me")
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer res.Body.Close()
		io.Copy(w, res.Body)
	}))
	req := httptest.NewRequest("GET", "http://localhost:3000/orders", nil)
	req.Header.Set("Cookie", cookies)
	rec := httptest.NewRecorder()
	page.ServeHTTP(rec, req)
	fmt.Println(rec.Body.String())
	// Output: called with a bearer: true
}
