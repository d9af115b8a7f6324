package match

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
)

// The protected area of these tests, as in spec/attacks.md §7.
var bypassPatterns = []string{"/mypage/:path*", "/home/:stadiumId/review/:path*", "/settings/:path*"}

// bypassTargets are raw request-targets that name the protected area in some
// reading. Match must never return NoMatch for them.
var bypassTargets = []string{
	// the brief's list
	"/mypage/../mypage/x", "//mypage/x", "/mypage%2Fx", "/%6Dypage/x", "/mypage/x/", "/./mypage/x",
	"/public/../mypage/x", "/public/%2e%2e/mypage/x", "/mypage;x=y/a",
	// plain forms (T33)
	"/mypage", "/mypage/", "/mypage/a", "/mypage/a/b/c", "/mypage?x=1", "/mypage/a?r=/public/x",
	"/settings", "/settings/profile", "/home/42/review", "/home/42/review/", "/home/42/review/7/edit",
	// Next's transport forms (CVE-2026-44575) and data routes
	"/mypage.json", "/mypage/a.json", "/mypage/a.rsc", "/mypage.rsc", "/mypage.segments/_tree.segment.rsc",
	"/_next/data/build1/mypage.json", "/_next/data/build1/mypage/a.json", "/_next/data/b/settings.json",
	// slashes and dot-segments (T34)
	"/mypage//a", "///mypage/a", "/mypage/./a", "/x/../mypage/a", "/./mypage", "/mypage/a/..", "/mypage/a/.",
	"/public//../mypage/a", "/../mypage/a", "/mypage/../public/x", "/home/42/x/../review",
	"/mypage//../public/x", "/mypage/a//../../public", "/settings//..//x", // chi reads these as /mypage/*
	// encoded dot-segments, slashes and backslashes
	"/x/%2e%2e/mypage/a", "/public/.%2e/mypage/a", "/public/%2E%2E%2Fmypage/a", "/mypage/%2e", "/%2e/mypage/x",
	"/mypage/%2e%2e/public/x", "/mypage/..%2f..%2fpublic", "/%2Fmypage/x", "/mypage%2fx", "/home/4%2F2/review",
	`/mypage\a`, "/mypage%5Ca", `/public\..\mypage\a`,
	// percent-encoded letters (decoded matching, §4.1 Go 1)
	"/%6dypage/x", "/%6D%79%70%61%67%65/x", "/home/42/%72eview", "/%73ettings",
	// path parameters and fragments (T36)
	"/mypage;x=1", "/public;/../mypage/a", "/public/..;/mypage/a", "/mypage%3Bx=1/a",
	"/mypage#frag", "/mypage/a#/public", "/mypage%23", "/mypage/a%23/public", "/mypage/a%3F/public",
	// control characters, bad escapes, double encoding, bad UTF-8
	"/mypage%00", "/mypage/a%0a", "/mypage/%0D", "/mypage/%E0%A4%A", "/mypage/%", "/%256Dypage/a",
	"/%C0%AFmypage", "/mypage/%C0%AE%C0%AE/", "/mypage%E2%80%A8", "/%6Dypage/%C3%28",
}

// routedElsewhere are targets that do not name the protected area in any
// reading the routers use: Match may say NoMatch, but the protected handler
// must still never run.
var routedElsewhere = []string{
	"/MYPAGE/x", "/MyPage/a", "/mypagex", "/my-page", "/mypage%20", "/public/x", "/home/42/reviews", "/settingsx",
}

const secret = "SECRET-PAGE"

// guard is the smallest middleware around a Matcher: 401 on Match, 400 on
// Reject, pass through on NoMatch. A request with the header
// X-Test-Session: ok counts as signed in, to show that the protected
// handler is reachable at all.
func guard(m *Matcher, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch m.Match(r) {
		case NoMatch:
			next.ServeHTTP(w, r)
		case Match:
			if r.Header.Get("X-Test-Session") == "ok" {
				next.ServeHTTP(w, r)
				return
			}
			http.Error(w, "sign in first", http.StatusUnauthorized)
		default:
			http.Error(w, "bad request", http.StatusBadRequest)
		}
	})
}

type routers struct {
	hits atomic.Int64 // protected handler runs
}

func (rt *routers) protected(w http.ResponseWriter, r *http.Request) {
	rt.hits.Add(1)
	io.WriteString(w, secret)
}

func public(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "public page") }

func (rt *routers) serveMux() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /mypage", rt.protected)
	mux.HandleFunc("GET /mypage/{rest...}", rt.protected)
	mux.HandleFunc("GET /settings", rt.protected)
	mux.HandleFunc("GET /settings/{rest...}", rt.protected)
	mux.HandleFunc("GET /home/{id}/review", rt.protected)
	mux.HandleFunc("GET /home/{id}/review/{rest...}", rt.protected)
	mux.HandleFunc("GET /{$}", rt.protected) // the home page: TestBypassRoot
	mux.HandleFunc("/", public)
	return mux
}

func (rt *routers) chi() http.Handler {
	r := chi.NewRouter()
	r.Get("/mypage", rt.protected)
	r.Get("/mypage/*", rt.protected)
	r.Get("/settings", rt.protected)
	r.Get("/settings/*", rt.protected)
	r.Get("/home/{id}/review", rt.protected)
	r.Get("/home/{id}/review/*", rt.protected)
	r.Get("/", rt.protected) // the home page: TestBypassRoot
	r.Get("/*", public)
	return r
}

// reaches serves req on h and reports whether the protected handler ran
// (or its text came back).
func (rt *routers) reaches(h http.Handler, req *http.Request) (status int, reached bool) {
	before := rt.hits.Load()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w.Code, rt.hits.Load() != before || strings.Contains(w.Body.String(), secret)
}

// rawReaches is reaches for a raw GET of target sent to addr.
func (rt *routers) rawReaches(t *testing.T, addr, target string) (status string, reached bool) {
	before := rt.hits.Load()
	status, body := rawGET(t, addr, "GET "+target+" HTTP/1.1")
	return status, rt.hits.Load() != before || strings.Contains(body, secret)
}

func TestBypassMatcher(t *testing.T) {
	m, err := Compile(bypassPatterns...)
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range bypassTargets {
		p, _, _ := strings.Cut(target, "?")
		if got := m.MatchPath(p); got == NoMatch {
			t.Errorf("MatchPath(%q) = NoMatch", p)
		}
	}
	if got := m.MatchPath("/MYPAGE/x"); got != NoMatch {
		t.Errorf("MatchPath(/MYPAGE/x) = %v: matching is case-sensitive, as in Next", got)
	}
}

// readRequest parses a raw request-target the way net/http's server does.
// ok is false when the server itself would answer 400.
func readRequest(target string) (*http.Request, bool) {
	req, err := http.ReadRequest(bufio.NewReader(strings.NewReader("GET " + target + " HTTP/1.1\r\nHost: app.test\r\n\r\n")))
	return req, err == nil
}

func TestBypassRouters(t *testing.T) {
	m, err := Compile(bypassPatterns...)
	if err != nil {
		t.Fatal(err)
	}
	rt := &routers{}
	for name, h := range map[string]http.Handler{"ServeMux": rt.serveMux(), "chi": rt.chi()} {
		h := guard(m, h)
		t.Run(name, func(t *testing.T) {
			for _, target := range append(append([]string{}, bypassTargets...), routedElsewhere...) {
				req, ok := readRequest(target)
				if !ok {
					continue // the server answers 400; TestBypassRawTCP checks it
				}
				if status, reached := rt.reaches(h, req); reached {
					t.Errorf("%s: GET %s reached the protected handler (status %d)", name, target, status)
				}
			}
			// The protected handler is reachable with a session, so the
			// test above is not vacuous.
			for _, target := range []string{"/mypage/a", "/home/42/review/7"} {
				req, _ := readRequest(target)
				req.Header.Set("X-Test-Session", "ok")
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Body.String() != secret {
					t.Errorf("%s: signed-in GET %s = %d %q, want the page", name, target, w.Code, w.Body.String())
				}
			}
			req, _ := readRequest("/public/x")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusOK || w.Body.String() != "public page" {
				t.Errorf("%s: GET /public/x = %d %q", name, w.Code, w.Body.String())
			}
		})
	}
}

// rawGET writes request bytes on a fresh connection and returns the status
// line and body.
func rawGET(t *testing.T, addr, requestLine string) (status, body string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, requestLine+"\r\nHost: app.test\r\nConnection: close\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	all, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	line, rest, _ := bytes.Cut(all, []byte("\r\n"))
	_, b, _ := bytes.Cut(rest, []byte("\r\n\r\n"))
	return string(line), string(b)
}

// TestBypassRawTCP sends the targets byte for byte to a real server, so that
// nothing on the client side normalises them: Go's client would clean dots
// and escape a raw '#', backslash or non-ASCII byte.
func TestBypassRawTCP(t *testing.T) {
	m, err := Compile(bypassPatterns...)
	if err != nil {
		t.Fatal(err)
	}
	rt := &routers{}
	extra := []string{
		"/mypage/caf\xc3\xa9",    // raw UTF-8 on the wire
		"/mypage/\xc3(",          // raw invalid UTF-8
		"/%6Dypage/a#/public",    // raw fragment
		"/mypage/a\t",            // control character: the server refuses it
		"http://app.test/mypage", // absolute-form
		"http://other.test//mypage/a",
	}
	for name, h := range map[string]http.Handler{"ServeMux": rt.serveMux(), "chi": rt.chi()} {
		srv := httptest.NewServer(guard(m, h))
		addr := srv.Listener.Addr().String()
		t.Run(name, func(t *testing.T) {
			for _, target := range append(append(append([]string{}, bypassTargets...), routedElsewhere...), extra...) {
				if status, reached := rt.rawReaches(t, addr, target); reached {
					t.Errorf("%s: raw GET %q reached the protected handler: %s", name, target, status)
				}
			}
			status, body := rawGET(t, addr, "GET /mypage/a HTTP/1.1\r\nX-Test-Session: ok")
			if body != secret {
				t.Errorf("%s: signed-in raw GET /mypage/a = %s %q", name, status, body)
			}
		})
		srv.Close()
	}
}

// The root rows: catch-alls that cover the home page, and spellings of /.
// In a router, only / itself (and what cleans to it) reaches the home
// page. The matcher always matched them; the hole was the root middleware's
// exemption (an empty sign-in page path), which its own tests cover: these
// rows keep the matcher's part of the chain from regressing.
var (
	rootPatterns = []string{"/:path*", "/", "/((?!api|_next).*)", "/((?!auth).*)"}
	rootTargets  = []string{
		"/", "/?x=1", "/?", "//", "///", "/.", "/./", "/..", "/../", "/x/..", "/x/../", "/x/./..", "/public/../",
		"//..", "/.//", "/%2e", "/%2e/", "/.%2e", "/%2e%2e/", "/%2F", "/;", "/;x=1", "/%3B", "/#x",
		"/%00", "/%", "/%zz", "/index", "/index.json", "/index.rsc", "/_next/data/b1/index.json",
	}
)

func TestBypassRoot(t *testing.T) {
	for _, pattern := range rootPatterns {
		m, err := Compile(pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, target := range rootTargets {
			p, _, _ := strings.Cut(target, "?")
			if got := m.MatchPath(p); got == NoMatch {
				t.Errorf("%s: MatchPath(%q) = NoMatch", pattern, p)
			}
		}
		rt := &routers{}
		for name, h := range map[string]http.Handler{"ServeMux": rt.serveMux(), "chi": rt.chi()} {
			h := guard(m, h)
			for _, target := range rootTargets {
				if req, ok := readRequest(target); ok {
					if status, reached := rt.reaches(h, req); reached {
						t.Errorf("%s %s: GET %s reached the home page (status %d)", pattern, name, target, status)
					}
				}
			}
			srv := httptest.NewServer(h)
			addr := srv.Listener.Addr().String()
			for _, target := range append([]string{"http://app.test", "http://app.test?x=1", "http://app.test/", "http://other.test//", "*"}, rootTargets...) {
				if status, reached := rt.rawReaches(t, addr, target); reached {
					t.Errorf("%s %s: raw GET %q reached the home page: %s", pattern, name, target, status)
				}
			}
			// Reachable with a session, so the checks above can fail.
			if status, body := rawGET(t, addr, "GET /?x=1 HTTP/1.1\r\nX-Test-Session: ok"); body != secret {
				t.Errorf("%s %s: signed-in GET /?x=1 = %s %q", pattern, name, status, body)
			}
			srv.Close()
		}
	}
}
