package testkit

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// Browser is an HTTP client for tests that keeps cookies as a browser does
// and never follows redirects. It sends its requests either to an
// http.Handler in process or through an http.Client over the network.
//
// Unless its Client has a Jar, it keeps cookies in a store of its own, by
// name alone, as a browser with one site and one path does: a Set-Cookie
// with Max-Age<=0 or an Expires in the past deletes the cookie, a later one
// of the same name replaces the value where it stands, and the Cookie header
// lists the cookies in the order they were first set (a cookie deleted and
// set again goes last, as a new cookie does in a browser). Domain, Path and
// Secure are not looked at. A Client with a Jar (see NewJarBrowser) leaves
// the cookies to that jar, with its domain, path and Secure rules: for a
// browser that crosses sites, such as an app and an identity provider.
//
// A Browser is for one goroutine.
type Browser struct {
	t       testing.TB
	handler http.Handler

	// Client sends the requests of a browser without a handler. Its Jar,
	// when it has one, keeps the cookies in place of the browser's store.
	Client *http.Client
	// Base is put before a target that starts with "/": an origin such as
	// http://127.0.0.1:8080, or empty when targets are whole URLs.
	Base string
	// OneSetCookiePerName fails the test when one response sets a cookie
	// name twice: a browser would keep the last, which hides a server that
	// contradicts itself.
	OneSetCookiePerName bool
	// KeepExpired keeps a cookie whose Expires has passed (Max-Age<=0
	// still deletes): for a server on a test clock of its own, whose
	// Expires the real clock must not judge.
	KeepExpired bool

	names  []string
	values map[string]string
}

// noRedirects is the Client of NewBrowser: it does not follow redirects,
// uses no proxy and gives up after ten seconds.
var noRedirects = &http.Client{
	Transport: &http.Transport{
		Proxy:       nil,
		DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
	},
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Timeout:       10 * time.Second,
}

// NewBrowser returns a browser that sends its requests over the network,
// to Base (base) and targets put after it, and keeps its cookies by name.
func NewBrowser(t testing.TB, base string) *Browser {
	return &Browser{t: t, Client: noRedirects, Base: base, values: map[string]string{}}
}

// NewHandlerBrowser returns a browser whose requests h serves in process,
// made as httptest.NewRequest makes them; it keeps its cookies by name.
func NewHandlerBrowser(t testing.TB, h http.Handler) *Browser {
	return &Browser{t: t, handler: h, values: map[string]string{}}
}

// NewJarBrowser is NewBrowser with a net/http/cookiejar jar in its Client:
// cookies follow a browser's domain, path and Secure rules, so one browser
// can visit several sites. The Client can be handed to code that wants an
// *http.Client, and shares the cookies.
func NewJarBrowser(t testing.TB, base string) *Browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := *noRedirects
	c.Jar = jar
	return &Browser{t: t, Client: &c, Base: base, values: map[string]string{}}
}

// Response is a response read in full.
type Response struct {
	*http.Response        // its Body can be read again
	Text           string // the body
}

// SetCookie returns the last Set-Cookie of name in r, or nil.
func (r *Response) SetCookie(name string) *http.Cookie {
	var found *http.Cookie
	for _, c := range r.Cookies() {
		if c.Name == name {
			found = c
		}
	}
	return found
}

// jar is the Client's jar, if it has one.
func (b *Browser) jar() http.CookieJar {
	if b.handler == nil && b.Client != nil {
		return b.Client.Jar
	}
	return nil
}

// baseURL is Base parsed, for a jar.
func (b *Browser) baseURL() *url.URL {
	b.t.Helper()
	u, err := url.Parse(b.Base)
	if err != nil || u.Host == "" {
		b.t.Fatalf("testkit.Browser: a jar needs an absolute Base, not %q", b.Base)
	}
	return u
}

// Cookie returns the value of the cookie name the browser would send to
// Base, or "" when it has none.
func (b *Browser) Cookie(name string) string {
	b.t.Helper()
	for _, c := range b.Cookies() {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// Cookies returns the cookies the browser would send to Base, in the order
// it would send them (names and values only).
func (b *Browser) Cookies() []*http.Cookie {
	b.t.Helper()
	if j := b.jar(); j != nil {
		return j.Cookies(b.baseURL())
	}
	out := make([]*http.Cookie, len(b.names))
	for i, n := range b.names {
		out[i] = &http.Cookie{Name: n, Value: b.values[n]}
	}
	return out
}

// CookieHeader returns the Cookie header the browser would send to Base
// ("" when it holds no cookie).
func (b *Browser) CookieHeader() string {
	b.t.Helper()
	var parts []string
	for _, c := range b.Cookies() {
		parts = append(parts, c.Name+"="+c.Value)
	}
	return strings.Join(parts, "; ")
}

// SetCookie sets the cookie name to value as if the server had set it (for
// a test that forges or plants a cookie): a cookie already held keeps its
// place, a new one goes last.
func (b *Browser) SetCookie(name, value string) {
	b.t.Helper()
	if j := b.jar(); j != nil {
		j.SetCookies(b.baseURL(), []*http.Cookie{{Name: name, Value: value, Path: "/"}})
		return
	}
	if _, ok := b.values[name]; !ok {
		b.names = append(b.names, name)
	}
	b.values[name] = value
}

// DeleteCookie forgets the cookie name.
func (b *Browser) DeleteCookie(name string) {
	b.t.Helper()
	if j := b.jar(); j != nil {
		j.SetCookies(b.baseURL(), []*http.Cookie{{Name: name, Path: "/", MaxAge: -1}})
		return
	}
	if _, ok := b.values[name]; !ok {
		return
	}
	delete(b.values, name)
	b.names = slices.DeleteFunc(b.names, func(n string) bool { return n == name })
}

// apply keeps the Set-Cookie headers of one response.
func (b *Browser) apply(cookies []*http.Cookie) {
	b.t.Helper()
	seen := map[string]bool{}
	for _, c := range cookies {
		if b.OneSetCookiePerName && seen[c.Name] {
			b.t.Fatalf("two Set-Cookie headers for %s", c.Name)
		}
		seen[c.Name] = true
		if b.jar() != nil {
			continue // the Client gave them to its jar
		}
		if c.MaxAge < 0 || !b.KeepExpired && !c.Expires.IsZero() && !c.Expires.After(time.Now()) {
			b.DeleteCookie(c.Name)
		} else {
			b.SetCookie(c.Name, c.Value)
		}
	}
}

// NewRequest makes a request for target (after Base when it starts with
// "/") with header pairs in hdr. It fails the test on a bad target.
func (b *Browser) NewRequest(method, target string, body io.Reader, hdr ...string) *http.Request {
	b.t.Helper()
	if strings.HasPrefix(target, "/") {
		target = b.Base + target
	}
	var req *http.Request
	if b.handler != nil {
		req = httptest.NewRequest(method, target, body)
	} else {
		var err error
		if req, err = http.NewRequest(method, target, body); err != nil {
			b.t.Fatal(err)
		}
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return req
}

// Do sends req with the browser's cookies, unless it has a Cookie header
// already (a Client with a Jar adds the jar's to it), reads the response in
// full and keeps the cookies it sets.
func (b *Browser) Do(req *http.Request) *Response {
	b.t.Helper()
	if b.jar() == nil && req.Header.Get("Cookie") == "" {
		if h := b.CookieHeader(); h != "" {
			req.Header.Set("Cookie", h)
		}
	}
	var res *http.Response
	if b.handler != nil {
		rec := httptest.NewRecorder()
		b.handler.ServeHTTP(rec, req)
		res = rec.Result()
	} else {
		var err error
		if res, err = b.Client.Do(req); err != nil {
			b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
		}
	}
	data, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		b.t.Fatalf("%s %s: body: %v", req.Method, req.URL, err)
	}
	res.Body = io.NopCloser(bytes.NewReader(data))
	b.apply(res.Cookies())
	return &Response{Response: res, Text: string(data)}
}

// Send sends method target with body of type ctype (none when ctype is "")
// and header pairs in hdr; a "Cookie" pair replaces the browser's cookies.
func (b *Browser) Send(method, target, ctype, body string, hdr ...string) *Response {
	b.t.Helper()
	var rd io.Reader
	if ctype != "" {
		rd = strings.NewReader(body)
		hdr = append([]string{"Content-Type", ctype}, hdr...)
	}
	return b.Do(b.NewRequest(method, target, rd, hdr...))
}

// Get sends GET target with header pairs in hdr.
func (b *Browser) Get(target string, hdr ...string) *Response {
	b.t.Helper()
	return b.Send(http.MethodGet, target, "", "", hdr...)
}

// PostForm posts form to target, URL-encoded, with header pairs in hdr.
func (b *Browser) PostForm(target string, form url.Values, hdr ...string) *Response {
	b.t.Helper()
	return b.Send(http.MethodPost, target, "application/x-www-form-urlencoded", form.Encode(), hdr...)
}

// PostJSON posts v to target as JSON, with header pairs in hdr.
func (b *Browser) PostJSON(target string, v any, hdr ...string) *Response {
	b.t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.Send(http.MethodPost, target, "application/json", string(data), hdr...)
}

// CSRFToken fetches target, an Auth.js csrf endpoint, as next-auth/react
// does, and returns its csrfToken; it fails the test unless the answer is
// 200 with a token of 64 characters.
func (b *Browser) CSRFToken(target string) string {
	b.t.Helper()
	r := b.Get(target)
	var v struct {
		CSRFToken string `json:"csrfToken"`
	}
	if err := json.Unmarshal([]byte(r.Text), &v); err != nil || r.StatusCode != http.StatusOK || len(v.CSRFToken) != 64 {
		b.t.Fatalf("GET %s: %d %q", target, r.StatusCode, r.Text)
	}
	return v.CSRFToken
}
