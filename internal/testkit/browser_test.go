package testkit

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// setter answers every request with the Set-Cookie lines of its "set"
// query parameters, and echoes the Cookie header it got.
var setter = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	for _, line := range r.URL.Query()["set"] {
		w.Header().Add("Set-Cookie", line)
	}
	fmt.Fprint(w, r.Header.Get("Cookie"))
})

func set(lines ...string) string {
	return "/?" + url.Values{"set": lines}.Encode()
}

func TestBrowserStore(t *testing.T) {
	past := time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat)
	future := time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)
	b := NewHandlerBrowser(t, setter)
	for _, step := range []struct {
		name   string
		target string
		sent   string // the Cookie header of the request
		after  string // the header the browser holds after it
	}{
		{"first cookies keep their order", set("a=1", "b=2", "c=3"), "", "a=1; b=2; c=3"},
		{"a replaced value keeps its place", set("a=9"), "a=1; b=2; c=3", "a=9; b=2; c=3"},
		{"Max-Age=0 deletes", set("b=; Max-Age=0"), "a=9; b=2; c=3", "a=9; c=3"},
		{"a past Expires deletes", set("c=3; Expires=" + past), "a=9; c=3", "a=9"},
		{"a future Expires keeps", set("d=4; Expires=" + future), "a=9", "a=9; d=4"},
		{"deleted", set("a=; Max-Age=0"), "a=9; d=4", "d=4"},
		// Deleted and set again, a cookie is new: listed once, last.
		{"set again", set("a=10"), "d=4", "d=4; a=10"},
		{"deleted and set in one response", set("d=; Max-Age=0", "d=5"), "d=4; a=10", "a=10; d=5"},
		{"an empty value is a value", set("e="), "a=10; d=5", "a=10; d=5; e="},
	} {
		r := b.Get(step.target)
		if r.Text != step.sent || b.CookieHeader() != step.after {
			t.Fatalf("%s: sent %q, holds %q; want %q, %q", step.name, r.Text, b.CookieHeader(), step.sent, step.after)
		}
	}
	if b.Cookie("a") != "10" || b.Cookie("b") != "" {
		t.Errorf("Cookie: a=%q b=%q", b.Cookie("a"), b.Cookie("b"))
	}
}

// TestBrowserForged: SetCookie and DeleteCookie behave as Set-Cookie lines
// do, and a Cookie header of the test's own replaces the browser's.
func TestBrowserForged(t *testing.T) {
	b := NewHandlerBrowser(t, setter)
	b.Get(set("a=1", "b=2"))
	b.SetCookie("a", "forged")
	b.DeleteCookie("b")
	b.DeleteCookie("never")
	b.SetCookie("b", "back")
	b.SetCookie("b", "again")
	if got := b.Get("/").Text; got != "a=forged; b=again" {
		t.Errorf("sent %q", got)
	}
	if got := b.Get("/", "Cookie", "x=1").Text; got != "x=1" {
		t.Errorf("with a Cookie header of its own, sent %q", got)
	}
}

func TestBrowserKeepExpired(t *testing.T) {
	b := NewHandlerBrowser(t, setter)
	b.KeepExpired = true
	past := time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat)
	b.Get(set("a=1; Expires="+past, "b=2", "b=; Max-Age=0"))
	if got := b.CookieHeader(); got != "a=1" {
		t.Errorf("KeepExpired holds %q, want a=1", got)
	}
}

// fatalTB records the first Fatalf and stops the goroutine, as testing's
// does.
type fatalTB struct {
	testing.TB
	msg string
}

func (f *fatalTB) Helper() {}
func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	panic(f)
}

func TestBrowserOneSetCookiePerName(t *testing.T) {
	for _, strict := range []bool{false, true} {
		tb := &fatalTB{TB: t}
		b := NewHandlerBrowser(tb, setter)
		b.OneSetCookiePerName = strict
		func() {
			defer func() {
				if p := recover(); p != nil && p != tb {
					panic(p)
				}
			}()
			b.Get(set("a=1", "a=2"))
		}()
		if want := map[bool]string{true: "two Set-Cookie headers for a"}[strict]; tb.msg != want {
			t.Errorf("OneSetCookiePerName=%v: failed with %q, want %q", strict, tb.msg, want)
		}
		if !strict && b.CookieHeader() != "a=2" {
			t.Errorf("the last Set-Cookie should win: %q", b.CookieHeader())
		}
	}
}

// TestBrowserNetwork: over the network the store and the helpers work as
// in process, and redirects are not followed.
func TestBrowserNetwork(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("/", setter)
	mux.HandleFunc("/csrf", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"csrfToken":%q}`, strings.Repeat("ab", 32))
	})
	mux.HandleFunc("/post", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		http.SetCookie(w, &http.Cookie{Name: "posted", Value: r.PostForm.Get("v")})
		http.Redirect(w, r, "/elsewhere", http.StatusFound)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	b := NewBrowser(t, srv.URL)
	b.Get(set("a=1"))
	r := b.PostForm("/post", url.Values{"v": {"2"}})
	if r.StatusCode != http.StatusFound || r.Header.Get("Location") != "/elsewhere" || r.SetCookie("posted").Value != "2" {
		t.Fatalf("POST: %d %q %v", r.StatusCode, r.Header.Get("Location"), r.Cookies())
	}
	if got := b.Get("/").Text; got != "a=1; posted=2" {
		t.Errorf("sent %q", got)
	}
	if tok := b.CSRFToken("/csrf"); tok != strings.Repeat("ab", 32) {
		t.Errorf("CSRFToken = %q", tok)
	}
}

// TestBrowserJar: with a jar, cookies follow the jar's rules (here: two
// hosts do not share them; cookies know no ports), and the Client carries
// them to other code.
func TestBrowserJar(t *testing.T) {
	one, two := httptest.NewServer(setter), httptest.NewServer(setter)
	defer one.Close()
	defer two.Close()
	twoURL := strings.Replace(two.URL, "127.0.0.1", "localhost", 1)
	b := NewJarBrowser(t, one.URL)
	b.Get(set("a=1; Path=/", "b=2; Path=/"))
	b.Get(twoURL + set("other=3; Path=/"))
	if got := b.Get("/").Text; got != "a=1; b=2" {
		t.Errorf("sent to one %q", got)
	}
	b.SetCookie("a", "forged")
	b.DeleteCookie("b")
	if got, held := b.Get("/").Text, b.CookieHeader(); got != "a=forged" || held != "a=forged" {
		t.Errorf("after forging: sent %q, holds %q", got, held)
	}
	res, err := b.Client.Get(twoURL)
	if err != nil {
		t.Fatal(err)
	}
	sent, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if string(sent) != "other=3" || b.Cookie("other") != "" {
		t.Errorf("the Client sent two %q; Base sees other=%q", sent, b.Cookie("other"))
	}
}
