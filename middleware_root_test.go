package authgo_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/authgo/authgo"
)

// rootPatterns are matchers that cover the home page. Each must guard /:
// until the fix, an unset sign-in page compared equal to the root and left
// it open (README, Security).
var rootPatterns = []string{"/:path*", "/", "/((?!api|_next).*)", "/((?!auth).*)"}

const homeLeak = "BUG: the home page without a session"

// rootSite is one site on http.ServeMux and on chi, behind a.Middleware:
// the endpoints (GET and POST), a custom sign-in page at /login (GET), and
// a catch-all app (the home page at / and every other path and method),
// which needs a session. A request that reaches the app signed out shows
// homeLeak. The endpoints and the page are routed by method, as Go 1.22
// patterns and chi's r.Get invite, so that an exemption granted to another
// method shows up as a request handed to the catch-all.
func rootSite(a *authgo.Auth) map[string]http.Handler {
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := authgo.SessionFromContext(r.Context())
		if s == nil {
			io.WriteString(w, homeLeak)
			return
		}
		io.WriteString(w, "home of "+s.User.Name)
	})
	login := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "the login page") })

	mux := http.NewServeMux()
	mux.Handle("GET "+a.BasePath()+"/", a)
	mux.Handle("POST "+a.BasePath()+"/", a)
	mux.Handle("GET /login", login)
	mux.Handle("/", app)

	r := chi.NewRouter()
	r.Use(a.Middleware)
	r.Get(a.BasePath()+"/*", a.ServeHTTP)
	r.Post(a.BasePath()+"/*", a.ServeHTTP)
	r.Get("/login", login)
	r.Handle("/", app)
	r.Handle("/*", app)
	return map[string]http.Handler{"ServeMux": a.Middleware(mux), "chi": r}
}

// signInAt signs c in as alice through the endpoints under base.
func signInAt(t *testing.T, c *client, base string) {
	t.Helper()
	r := c.get(O + base + "/csrf")
	var v struct{ CsrfToken string }
	if err := json.Unmarshal([]byte(r.body), &v); err != nil {
		t.Fatalf("GET %s/csrf = %d %q", base, r.StatusCode, r.body)
	}
	r = c.postForm(O+base+"/callback/credentials", url.Values{"csrfToken": {v.CsrfToken}, "username": {"alice"}, "password": {"wonderland"}})
	if r.StatusCode != http.StatusFound || strings.Contains(r.Header.Get("Location"), "error") {
		t.Fatalf("sign-in under %s: %d %q", base, r.StatusCode, r.Header.Get("Location"))
	}
}

// TestMiddlewareGuardsRoot: / and /?x=1 need a session under every
// catch-all, with and without a custom sign-in page, under both base
// paths, through ServeMux and chi; the sign-in page itself stays open.
func TestMiddlewareGuardsRoot(t *testing.T) {
	for _, pattern := range rootPatterns {
		for _, base := range []string{"/auth", "/api/auth"} {
			for _, signIn := range []string{"", "/login"} {
				a := newAuth(t, func(c *authgo.Config) {
					c.URL = O + base
					c.Matcher = []string{pattern}
					c.Pages.SignIn = signIn
				})
				page := base + "/signin"
				if signIn != "" {
					page = signIn
				}
				for name, h := range rootSite(a) {
					t.Run(strings.Join([]string{pattern, base, "signin=" + signIn, name}, " "), func(t *testing.T) {
						c := newClient(t, h)
						for _, target := range []string{"/", "/?x=1"} {
							r := c.get(O + target)
							want := O + page + "?callbackUrl=" + url.QueryEscape(O+target)
							if r.StatusCode != http.StatusFound || r.Header.Get("Location") != want || strings.Contains(r.body, "home") {
								t.Errorf("GET %s signed out = %d Location %q body %q, want 302 to %s", target, r.StatusCode, r.Header.Get("Location"), r.body, want)
							}
							if r := c.get(O+target, "Accept", "application/json"); r.StatusCode != http.StatusUnauthorized {
								t.Errorf("GET %s signed out, JSON = %d, want 401", target, r.StatusCode)
							}
						}
						// The sign-in page is not guarded (it would loop).
						r := c.get(O + page)
						if r.StatusCode != http.StatusOK || strings.Contains(r.body, homeLeak) {
							t.Errorf("GET %s (the sign-in page) = %d %q", page, r.StatusCode, r.body)
						}
						signInAt(t, c, base)
						for _, target := range []string{"/", "/?x=1"} {
							if r := c.get(O + target); r.StatusCode != http.StatusOK || r.body != "home of Alice" {
								t.Errorf("GET %s signed in = %d %q", target, r.StatusCode, r.body)
							}
						}
					})
				}
			}
		}
	}
}

// TestMiddlewareRootSpellings: other spellings of the root, of the sign-in
// page and of the endpoints never reach the catch-all app signed out, in
// process and over a real connection (raw request-targets that Go's client
// would clean). An exemption holds only when both the decoded path
// (ServeMux's reading) and the path as sent (chi's) are the endpoint or
// the page.
func TestMiddlewareRootSpellings(t *testing.T) {
	// Spellings of the root: every pattern covers them.
	roots := []string{"/", "/?x=1", "//", "//?x=1", "/.", "/./", "/..", "/../", "/%2e", "/%2e/", "/.%2e", "/?", "/#x"}
	// Spellings of the sign-in page and the endpoints that are neither:
	// "/:path*" covers them (the other patterns leave some public).
	others := []string{
		"/login/", "/login//", "/./login", "/x/../login", "/log%69n", "/%6Cogin", "/login%2F", "/login;x",
		"/%61uth/csrf", "/a%75th/x", "/%61pi/auth/csrf", "/api/%61uth/csrf", "/auth%2Fcsrf", "/auth/..", "/auth/../",
	}
	rawOnly := []string{"http://localhost:3000", "http://localhost:3000?x=1", "http://localhost:3000/", "*"}
	for _, pattern := range rootPatterns {
		targets := roots
		if pattern == "/:path*" {
			targets = append(append([]string{}, roots...), others...)
		}
		for _, base := range []string{"/auth", "/api/auth"} {
			for _, signIn := range []string{"", "/login"} {
				a := newAuth(t, func(c *authgo.Config) {
					c.URL = O + base
					c.Matcher = []string{pattern}
					c.Pages.SignIn = signIn
				})
				for name, h := range rootSite(a) {
					label := strings.Join([]string{pattern, base, "signin=" + signIn, name}, " ")
					for _, target := range targets {
						rec := httptest.NewRecorder()
						h.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
						if b := rec.Body.String(); strings.Contains(b, homeLeak) || strings.Contains(b, "home of") {
							t.Errorf("%s: GET %s reached the app signed out (%d)", label, target, rec.Code)
						}
					}
					srv := httptest.NewServer(h)
					for _, target := range append(append([]string{}, targets...), rawOnly...) {
						if b := rawGet(t, srv.Listener.Addr().String(), target); strings.Contains(b, homeLeak) || strings.Contains(b, "home of") {
							t.Errorf("%s over TCP: GET %s reached the app signed out", label, target)
						}
					}
					srv.Close()
					// The page and the endpoints under other methods: the
					// routers hand those to the catch-all. Only /:path*
					// covers them all (the other patterns leave some of
					// them public on purpose).
					if pattern == "/:path*" {
						for _, target := range []string{"/", "/login", base + "/csrf", base + "/session", base + "/signin"} {
							for _, method := range []string{"HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "PROPFIND"} {
								rec := httptest.NewRecorder()
								h.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
								if b := rec.Body.String(); strings.Contains(b, homeLeak) || strings.Contains(b, "home of") {
									t.Errorf("%s: %s %s reached the app signed out (%d)", label, method, target, rec.Code)
								}
							}
						}
					}
				}
			}
		}
	}
}

// TestMiddlewareSignInPageExact: a custom sign-in page is exempt at its
// exact path only (as next-auth compares it), in the form it was written.
func TestMiddlewareSignInPageExact(t *testing.T) {
	for _, tc := range []struct {
		page         string
		open, closed []string
	}{
		{"/login", []string{"/login", "/login?x=1"}, []string{"/login/", "/Login", "/log%69n"}},
		{"/login/", []string{"/login/"}, []string{"/login", "/login//"}},
		{"/login?theme=dark", []string{"/login"}, []string{"/login/"}},
		{"/log%20in", []string{"/log%20in"}, []string{"/log in/"}},
		{"/mypage/login", []string{"/mypage/login"}, []string{"/mypage/x", "/mypage/login/x"}},
	} {
		a := newAuth(t, func(c *authgo.Config) {
			c.Matcher = []string{"/:path*"}
			c.Pages.SignIn = tc.page
		})
		h := a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "passed") }))
		for _, target := range tc.open {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
			if rec.Body.String() != "passed" {
				t.Errorf("page %q: GET %s = %d, want the page", tc.page, target, rec.Code)
			}
		}
		for _, target := range tc.closed {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", strings.ReplaceAll(target, " ", "%20"), nil))
			if rec.Body.String() == "passed" {
				t.Errorf("page %q: GET %s passed signed out", tc.page, target)
			}
		}
	}
}

// TestSignInPageNoLoop: a browser that follows redirects from a guarded
// page ends on the sign-in page, whatever characters its path holds that
// browsers send unescaped and Go records in RawPath (! ' ( ) * [ ] or raw
// UTF-8), through ServeMux and chi.
func TestSignInPageNoLoop(t *testing.T) {
	for _, page := range []string{
		"/login", "/login/", "/login?theme=dark", "/login!", "/sign-in(beta)", "/o'login", "/login*", "/[lang]/login",
		"/log in", "/log%20in", "/ko/로그인", "/@me/login", "/a:b", "/a+b", "/a,b$=&~",
	} {
		a := newAuth(t, func(c *authgo.Config) {
			c.Matcher = []string{"/:path*"}
			c.Pages.SignIn = page
		})
		u, _ := url.Parse(page)
		login := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "the login page") })
		app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "app") })
		mux := http.NewServeMux()
		mux.Handle("/auth/", a)
		mux.Handle("GET "+(&url.URL{Path: u.Path}).EscapedPath(), login)
		mux.Handle("/", app)
		cr := chi.NewRouter()
		cr.Use(a.Middleware)
		cr.Handle("/auth/*", a)
		cr.Get(u.Path, login)
		cr.Handle("/*", app)
		for name, h := range map[string]http.Handler{"ServeMux": a.Middleware(mux), "chi": cr} {
			srv := httptest.NewServer(h)
			// Redirects name localhost:3000 (Config.URL): dial the test
			// server whatever the host.
			addr := srv.Listener.Addr().String()
			cl := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, network, addr)
			}}}
			res, err := cl.Get(O + "/mypage")
			if err != nil {
				t.Errorf("%s, page %q: GET /mypage: %v", name, page, err)
			} else {
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if string(b) != "the login page" {
					t.Errorf("%s, page %q: GET /mypage ended at %s = %d %q", name, page, res.Request.URL, res.StatusCode, b)
				}
			}
			// And a client that sends the path unescaped (curl does), but
			// for spaces, which no request line can hold.
			sent := strings.ReplaceAll(u.Path, " ", "%20")
			if raw := rawGet(t, addr, sent); !strings.Contains(raw, "the login page") {
				t.Errorf("%s, page %q: raw GET %s = %.40q", name, page, sent, raw)
			}
			srv.Close()
		}
	}
}

// TestSignInPageRefused: New refuses a sign-in page that the middleware
// could not exempt safely, and says why.
func TestSignInPageRefused(t *testing.T) {
	for page, want := range map[string]string{
		"/":          "open the home page",
		"/?next=/x":  "open the home page",
		"/.":         "open the home page",
		"/./":        "open the home page",
		"/..":        "open the home page",
		"/%2e":       "open the home page",
		"/a/../b":    "clean path",
		"/login//x":  "clean path",
		"/login/.":   "clean path",
		"/log%69n":   "write its path as /login",
		"/a%2Fb":     "write its path as /a/b",
		"//evil.com": "a path on this site",
		"login":      "a path on this site",
		// Paths the matcher refuses: every visit would get 400.
		"/login;v2": "refuses with 400",
		"/a%5Cb":    "refuses with 400",
		"/100%2541": "refuses with 400",
		`/a\b`:      "refuses with 400",
		"/a%00b":    "refuses with 400",
	} {
		_, err := authgo.New(authgo.Config{Secret: []string{testSecret}, URL: O, Matcher: []string{"/:path*"}, Pages: authgo.Pages{SignIn: page}})
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "Pages.SignIn") {
			t.Errorf("Pages.SignIn %q: err = %v, want it to say %q", page, err, want)
		}
	}
	for _, page := range []string{"/login", "/login/", "/login?x=1", "/log%20in", "/ko/로그인", "/mypage/login", "/auth/login"} {
		if _, err := authgo.New(authgo.Config{Secret: []string{testSecret}, URL: O, Pages: authgo.Pages{SignIn: page}}); err != nil {
			t.Errorf("Pages.SignIn %q refused: %v", page, err)
		}
	}
}

// TestAPIPathsRoot: APIPaths "/" makes every refused request an API one.
func TestAPIPathsRoot(t *testing.T) {
	for _, api := range []string{"/", "//"} {
		a := newAuth(t, func(c *authgo.Config) {
			c.Matcher = []string{"/:path*"}
			c.APIPaths = []string{api}
		})
		h := a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "passed") }))
		for _, target := range []string{"/", "/x", "/x/y"} {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
			if rec.Code != http.StatusUnauthorized {
				t.Errorf("APIPaths %q: GET %s = %d, want 401", api, target, rec.Code)
			}
		}
	}
	a := newAuth(t, func(c *authgo.Config) {
		c.Matcher = []string{"/:path*"}
		c.APIPaths = []string{"/api/"}
	})
	h := a.Middleware(http.NotFoundHandler())
	for target, want := range map[string]int{"/": 302, "/api": 401, "/api/x": 401, "/apix": 302} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
		if rec.Code != want {
			t.Errorf("APIPaths /api/: GET %s = %d, want %d", target, rec.Code, want)
		}
	}
}

// FuzzMiddleware sends any method and request-target, signed out, to the
// sites of rootSite (ServeMux and chi, endpoints and sign-in page routed
// by method, a catch-all app) under the catch-all matcher /:path*, with
// and without a custom sign-in page, and checks that the app never runs.
func FuzzMiddleware(f *testing.F) {
	for _, s := range []string{
		"/", "/?x=1", "//", "/.", "/./", "/..", "/%2e", "/.%2e/", "/?", "/index", "/%2F",
		"/login", "/login/", "/log%69n", "/x/../login", "/auth/csrf", "/auth/", "/auth", "/%61uth/x",
		"/auth/../x", "/auth/%2e%2e/x", "/authx", "http://localhost:3000", "http://localhost:3000?x",
	} {
		for _, m := range []string{"GET", "POST", "PUT", "HEAD"} {
			f.Add(m, s)
		}
	}
	var sites []http.Handler
	for _, page := range []string{"/login", ""} {
		a := newAuth(f, func(c *authgo.Config) {
			c.Matcher = []string{"/:path*"}
			c.Pages.SignIn = page
		})
		for _, h := range rootSite(a) {
			sites = append(sites, h)
		}
	}
	f.Fuzz(func(t *testing.T, method, target string) {
		for _, h := range sites {
			req, ok := readTarget(method, target)
			if !ok {
				return
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if strings.Contains(rec.Body.String(), homeLeak) {
				t.Fatalf("%s %q reached the app signed out (%d)", method, target, rec.Code)
			}
		}
	})
}

// readTarget parses a request line as net/http's server does; ok is false
// when the server itself would refuse it.
func readTarget(method, target string) (*http.Request, bool) {
	if strings.ContainsAny(method+target, " \r\n") || method == "" {
		return nil, false
	}
	req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(method + " " + target + " HTTP/1.1\r\nHost: localhost:3000\r\n\r\n")))
	if err != nil || req.URL == nil {
		return nil, false
	}
	return req, true
}
