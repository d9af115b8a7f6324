package authgo_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"time"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/provider"
	"github.com/authgo/authgo/providers/credentials"
)

// users is a stand-in for a user store in the examples.
func exampleProvider() provider.Provider {
	p, err := credentials.New(credentials.Options{
		Authorize: func(ctx context.Context, c provider.Credentials, r *http.Request) (*authgo.User, error) {
			if c["username"] == "alice" && c["password"] == "wonderland" {
				return &authgo.User{ID: "user-1", Name: "Alice", Email: "alice@example.com"}, nil
			}
			return nil, nil // wrong credentials
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	return p
}

func ExampleNew() {
	a, err := authgo.New(authgo.Config{
		Secret:    []string{"a-secret-of-at-least-32-bytes-from-authgo-secret"},
		URL:       "https://example.com/auth",
		Providers: []provider.Provider{exampleProvider()},
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(a.BasePath()+"/", a) // GET /auth/session, POST /auth/callback/credentials, …
	fmt.Println(a.BasePath())

	_, err = authgo.New(authgo.Config{Secret: []string{"short"}, URL: "https://example.com"})
	fmt.Println(err)
	// Output:
	// /auth
	// authgo: Config.Secret[0] (AUTH_SECRET) is 5 bytes; at least 32 are needed: `authgo secret` prints a good one
}

// signIn drives the credentials sign-in the way a browser form does and
// returns the cookies it got.
func signInForExample(h http.Handler, origin string) string {
	get := httptest.NewRequest("GET", origin+"/auth/csrf", nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, get)
	var csrf struct{ CsrfToken string }
	json.Unmarshal(rec.Body.Bytes(), &csrf)
	var cookies []string
	for _, c := range rec.Result().Cookies() {
		cookies = append(cookies, c.Name+"="+c.Value)
	}
	form := url.Values{"csrfToken": {csrf.CsrfToken}, "username": {"alice"}, "password": {"wonderland"}}
	post := httptest.NewRequest("POST", origin+"/auth/callback/credentials", strings.NewReader(form.Encode()))
	post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	post.Header.Set("Cookie", strings.Join(cookies, "; "))
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, post)
	for _, c := range rec.Result().Cookies() {
		if strings.Contains(c.Name, "session-token") {
			cookies = append(cookies, c.Name+"="+c.Value)
		}
	}
	return strings.Join(cookies, "; ")
}

func ExampleAuth_Session() {
	a, _ := authgo.New(authgo.Config{
		Secret:    []string{"a-secret-of-at-least-32-bytes-from-authgo-secret"},
		URL:       "http://localhost:3000",
		Providers: []provider.Provider{exampleProvider()},
	})
	cookies := signInForExample(a, "http://localhost:3000")

	// Any handler: the session of the request, or nil when signed out.
	r := httptest.NewRequest("GET", "http://localhost:3000/dashboard", nil)
	r.Header.Set("Cookie", cookies)
	s, err := a.Session(r)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(s.User.Name, s.User.Email)

	anon, _ := a.Session(httptest.NewRequest("GET", "http://localhost:3000/", nil))
	fmt.Println(anon == nil)
	// Output:
	// Alice alice@example.com
	// true
}

func ExampleAuth_RequireSession() {
	a, _ := authgo.New(authgo.Config{
		Secret:    []string{"a-secret-of-at-least-32-bytes-from-authgo-secret"},
		URL:       "http://localhost:3000",
		Providers: []provider.Provider{exampleProvider()},
	})
	mux := http.NewServeMux()
	mux.Handle("/auth/", a)
	mux.Handle("/account/", a.RequireSession(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello %s", a.SessionFromContext(r.Context()).User.Name)
	})))

	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "http://localhost:3000/account/", nil))
	fmt.Println(rec.Code, rec.Header().Get("Location"))

	req := httptest.NewRequest("GET", "http://localhost:3000/account/", nil)
	req.Header.Set("Cookie", signInForExample(mux, "http://localhost:3000"))
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Body.String())
	// Output:
	// 302 http://localhost:3000/auth/signin?callbackUrl=http%3A%2F%2Flocalhost%3A3000%2Faccount%2F
	// 200 hello Alice
}

// The original setup: a back end issues a JWT access token at sign-in. The
// JWT callback keeps it in the (encrypted, HttpOnly) session cookie with the
// expiry read from its exp claim; the Session callback decides what page
// scripts may see — here, only whether a token is held and until when.
func Example_accessToken() {
	backendLogin := func(user, pass string) (accessToken string, ok bool) {
		// A real back end answers POST /login with a signed JWT; only its
		// payload matters here.
		claims, _ := json.Marshal(map[string]any{"sub": "user-1", "exp": 1_900_000_000})
		return "eyJhbGciOiJIUzI1NiJ9." + base64.RawURLEncoding.EncodeToString(claims) + ".sig", user == "alice" && pass == "wonderland"
	}
	login, _ := credentials.New(credentials.Options{
		Authorize: func(ctx context.Context, c provider.Credentials, r *http.Request) (*authgo.User, error) {
			at, ok := backendLogin(c["username"], c["password"])
			if !ok {
				return nil, nil
			}
			return &authgo.User{ID: "user-1", Name: "Alice", Email: "alice@example.com",
				Extra: map[string]any{"accessToken": at}}, nil
		},
	})
	a, _ := authgo.New(authgo.Config{
		Secret:    []string{"a-secret-of-at-least-32-bytes-from-authgo-secret"},
		URL:       "http://localhost:3000",
		Providers: []provider.Provider{login},
		Callbacks: authgo.Callbacks{
			JWT: func(ctx context.Context, p authgo.JWTParams) (*authgo.Token, error) {
				if p.Trigger == authgo.TriggerSignIn {
					at, _ := p.User.Extra["accessToken"].(string)
					p.Token.Set("access_token", at)
					p.Token.Set("expires_at", jwtExp(at)) // read, not verified: it came straight from our back end
				}
				return p.Token, nil
			},
			Session: func(ctx context.Context, p authgo.SessionParams) (*authgo.Session, error) {
				exp, _ := p.Token.Int("expires_at")
				p.Session.Extra = map[string]any{"accessTokenExpires": time.Unix(exp, 0).UTC().Format(time.RFC3339)}
				return p.Session, nil
			},
		},
	})
	cookies := signInForExample(a, "http://localhost:3000")

	// Server code reads the token from the cookie…
	r := httptest.NewRequest("GET", "http://localhost:3000/api/proxy", nil)
	r.Header.Set("Cookie", cookies)
	tok, _ := a.Token(r)
	fmt.Println(strings.HasPrefix(tok.StringClaim("access_token"), "eyJ"))

	// …while the session page scripts get does not carry it.
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "http://localhost:3000/auth/session", nil)
	req.Header.Set("Cookie", cookies)
	a.ServeHTTP(rec, req)
	var body map[string]any
	json.Unmarshal(rec.Body.Bytes(), &body)
	fmt.Println(body["accessTokenExpires"], strings.Contains(rec.Body.String(), "eyJ"))
	// Output:
	// true
	// 2030-03-17T17:46:40Z false
}

// jwtExp reads the exp claim of a JWT without verifying it.
func jwtExp(token string) int64 {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return 0
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return 0
	}
	var c struct {
		Exp int64 `json:"exp"`
	}
	json.Unmarshal(b, &c)
	return c.Exp
}

func ExampleAuth_RevokeUser() {
	a, _ := authgo.New(authgo.Config{
		Secret:    []string{"a-secret-of-at-least-32-bytes-from-authgo-secret"},
		URL:       "http://localhost:3000",
		Providers: []provider.Provider{exampleProvider()},
		// Several instances share sign-outs through a store, e.g.
		// Session: authgo.SessionConfig{Revocations: sqliteStore}.
	})
	laptop := signInForExample(a, "http://localhost:3000")
	read := func(cookies string) string {
		r := httptest.NewRequest("GET", "http://localhost:3000/", nil)
		r.Header.Set("Cookie", cookies)
		if s, _ := a.Session(r); s != nil {
			return s.User.Name
		}
		return "signed out"
	}
	fmt.Println(read(laptop))

	// After a password change, or when an account is shut: every session
	// of the user ends, wherever its cookie is.
	if err := a.RevokeUser(context.Background(), "user-1"); err != nil {
		log.Fatal(err)
	}
	fmt.Println(read(laptop))
	// Output:
	// Alice
	// signed out
}
