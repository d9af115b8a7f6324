package proxy_test

import (
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/provider"
	beprovider "github.com/authgo/authgo/providers/backend"
	"github.com/authgo/authgo/proxy"
)

func ExampleNew() {
	// The back end signs users in and issues the access tokens.
	be, err := beprovider.New(beprovider.Options{
		LoginURL:   "http://127.0.0.1:8080/auth/login",
		RefreshURL: "http://127.0.0.1:8080/auth/refresh",
	})
	if err != nil {
		log.Fatal(err)
	}
	a, err := authgo.New(authgo.Config{
		Secret:    []string{"a-secret-of-at-least-32-bytes-from-authgo-secret"},
		URL:       "https://app.example.com",
		Providers: []provider.Provider{be},
	})
	if err != nil {
		log.Fatal(err)
	}
	// Browser code calls /api/… on the site's own origin; the proxy sends
	// it to the back end's /v1/… with the session's access token.
	p, err := proxy.New(a, proxy.Options{
		Prefix:   "/api",
		Upstream: "http://127.0.0.1:8080/v1",
		Origin:   "https://app.example.com",
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/auth/", a)
	mux.Handle("/api/", p) // no Matcher entry needed: the proxy guards itself

	// A request without the anti-forgery header is refused first.
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("POST", "/api/orders", nil))
	fmt.Println(rec.Code, rec.Header().Get("Authgo-Error"), rec.Body)

	// With it, but signed out.
	req := httptest.NewRequest("GET", "/api/orders", nil)
	req.Header.Set("X-CSRF", "1") // fetch("/api/orders", {headers: {"X-CSRF": "1"}})
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Header().Get("Authgo-Error"), rec.Body)
	// Output:
	// 403 csrf {"error":"csrf"}
	// 401 no_session {"error":"no_session"}
}

// An API's 401 says why in its WWW-Authenticate header: only an
// invalid_token is a reason to refresh the access token. A handler that
// calls an API itself, with a.AccessToken(r), passes such an answer to
// a.MarkAccessTokenRejected.
func ExampleIsInvalidTokenResponse() {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "Bearer expired" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="api", error="invalid_token", error_description="the access token expired"`)
		} else {
			w.Header().Set("WWW-Authenticate", `Bearer realm="api", error="insufficient_scope"`)
		}
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer api.Close()
	for _, token := range []string{"expired", "too-narrow"} {
		req, _ := http.NewRequest("GET", api.URL, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		res.Body.Close()
		fmt.Println(token, proxy.IsInvalidTokenResponse(res))
	}
	// Output:
	// expired true
	// too-narrow false
}
