package cookie

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

func jar(pairs ...string) Jar {
	var j Jar
	for i := 0; i+1 < len(pairs); i += 2 {
		j = append(j, Pair{pairs[i], pairs[i+1]})
	}
	return j
}

func TestParse(t *testing.T) {
	h := http.Header{"Cookie": {`a=1; b = two ; a=shadowed; c=x%7Cy; d=%zz; e="q"; noeq; =v`, "f=6"}}
	j := Parse(h)
	for name, want := range map[string]string{"a": "1", "b": "two", "c": "x|y", "d": "%zz", "e": `"q"`, "f": "6"} {
		if got, ok := j.Get(name); !ok || got != want {
			t.Errorf("%s = %q (%v), want %q", name, got, ok, want)
		}
	}
	if _, ok := j.Get("noeq"); ok {
		t.Error("pair without = kept")
	}
	// A flood of pairs is bounded.
	many := strings.Repeat("x=1; ", 10000)
	if n := len(Parse(http.Header{"Cookie": {many}})); n > maxPairs {
		t.Fatalf("%d pairs kept", n)
	}
}

func TestReadChunked(t *testing.T) {
	const n = SessionToken
	cases := []struct {
		name    string
		j       Jar
		want    string
		wantErr bool
		present int
	}{
		{"none", jar("other", "1"), "", false, 0},
		{"bare", jar(n, "tok"), "tok", false, 1},
		{"empty value ignored", jar(n, "", "x", "y"), "", false, 0},
		{"chunks in order", jar(n+".0", "ab", n+".1", "cd"), "abcd", false, 2},
		{"chunks reversed", jar(n+".1", "cd", n+".0", "ab"), "abcd", false, 2},
		{"ten chunks numeric order", nil, "", true, 0}, // filled below: over MaxChunks
		{"gap", jar(n+".0", "ab", n+".2", "ef"), "", true, 2},
		{"missing zero", jar(n+".1", "cd"), "", true, 1},
		{"bare beside chunks", jar(n, "x", n+".0", "ab"), "", true, 2},
		{"leading zero index", jar(n+".01", "ab"), "", true, 1},
		{"plus index", jar(n+".+1", "ab"), "", true, 1},
		{"exponent index", jar(n+".1e0", "ab"), "", true, 1},
		{"negative index", jar(n+".-1", "ab"), "", true, 1},
		{"name only starts alike", jar(n, "tok", n+"X", "1"), "", true, 2},
		{"non-token name ignored", jar(n, "tok", n+"@", "x", n+" ", "y", n+"é", "z"), "tok", false, 1},
		{"duplicate chunk first wins", jar(n+".0", "ab", n+".0", "zz", n+".1", "cd"), "abcd", false, 2},
	}
	var ten Jar
	for i := 0; i < 10; i++ {
		ten = append(ten, Pair{n + "." + strconv.Itoa(i), "x"})
	}
	cases[5].j, cases[5].present = ten, 10
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, present, err := ReadChunked(tc.j, n)
			if (err != nil) != tc.wantErr || got != tc.want || len(present) != tc.present {
				t.Fatalf("got %q, %d present, err %v", got, len(present), err)
			}
		})
	}
}

func TestSplit(t *testing.T) {
	for _, tc := range []struct{ n, chunks int }{{0, 0}, {1, 1}, {ChunkSize, 1}, {ChunkSize + 1, 2}, {2*ChunkSize + 1, 3}} {
		v := strings.Repeat("a", tc.n)
		ps := Split("s", v)
		if len(ps) != tc.chunks {
			t.Fatalf("len %d: %d chunks, want %d", tc.n, len(ps), tc.chunks)
		}
		if tc.chunks > 1 && ps[0].Name != "s.0" {
			t.Fatalf("chunk name %q", ps[0].Name)
		}
		back, _, err := ReadChunked(Jar(ps), "s")
		if err != nil || back != v {
			t.Fatalf("len %d does not reassemble: %v", tc.n, err)
		}
	}
}

func TestNamesAndAttributes(t *testing.T) {
	if n := NamesFor(false); n.SessionToken != "authjs.session-token" || n.CSRFToken != "authjs.csrf-token" || n.CallbackURL != "authjs.callback-url" {
		t.Fatalf("%+v", n)
	}
	s := NamesFor(true)
	if s.SessionToken != "__Secure-authjs.session-token" || s.CSRFToken != "__Host-authjs.csrf-token" || s.CallbackURL != "__Secure-authjs.callback-url" || s.State != "__Secure-authjs.state" || s.SignInForm != "__Secure-authgo.signin-form" {
		t.Fatalf("%+v", s)
	}
	exp := time.Date(2026, 12, 26, 15, 9, 52, 0, time.UTC)
	got := New("authjs.csrf-token", "a|b", plain, zero).String()
	if got != "authjs.csrf-token=a%7Cb; Path=/; HttpOnly; SameSite=Lax" {
		t.Fatalf("%s", got)
	}
	got = New("__Secure-authjs.session-token", "eyJ.x-_", secure, exp).String()
	if got != "__Secure-authjs.session-token=eyJ.x-_; Path=/; Expires=Sat, 26 Dec 2026 15:09:52 GMT; HttpOnly; Secure; SameSite=Lax" {
		t.Fatalf("%s", got)
	}
	if got := Expired("authjs.session-token", plain).String(); got != "authjs.session-token=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax" {
		t.Fatalf("%s", got)
	}
	if got := New("authjs.callback-url", "http://127.0.0.1:3999/a b?x=ü", plain, zero).Value; got != "http%3A%2F%2F127.0.0.1%3A3999%2Fa%20b%3Fx%3D%C3%BC" {
		t.Fatalf("%s", got)
	}
}

var zero time.Time

func TestQueue(t *testing.T) {
	var q Queue
	q.Set(Expired("a", plain))
	q.Set(New("b", "1", plain, zero))
	q.Set(New("a", "2", plain, zero))
	h := http.Header{}
	if err := q.Write(h); err != nil {
		t.Fatal(err)
	}
	if got := h["Set-Cookie"]; len(got) != 2 || !strings.HasPrefix(got[0], "a=2") {
		t.Fatalf("%v", got)
	}
	for _, c := range []*http.Cookie{{Name: "bad name", Value: "x"}, {Name: "v", Value: "a;b"}, {Name: "", Value: "x"}, {Name: "d", Value: "x", Domain: "example.com; Path=/x"}, {Name: "e", Value: "x", Domain: "Example.com"}} {
		bad := Queue{}
		bad.Set(c)
		if err := bad.Write(http.Header{}); err == nil {
			t.Errorf("invalid cookie %+v written", c)
		}
	}
}

// TestFormatMatchesNetHTTP: our Set-Cookie lines are what net/http writes.
func TestFormatMatchesNetHTTP(t *testing.T) {
	exp := time.Date(2026, 12, 26, 15, 9, 52, 0, time.UTC)
	for _, c := range []*http.Cookie{
		New("a", "x|y z", plain, zero), New("__Secure-b", "eyJ.a", secure, exp), Expired("c.1", secure),
		New("__Secure-d", "v", secure.WithDomain("example.com"), exp),
		{Name: "s", Value: "1", Path: "/", MaxAge: 900, Expires: exp, HttpOnly: true, Secure: true, SameSite: http.SameSiteNoneMode},
	} {
		got, err := format(c)
		if err != nil || got != c.String() {
			t.Errorf("format = %q, %v; net/http writes %q", got, err, c.String())
		}
	}
}

// FuzzReadChunked: no Cookie header panics the reader; whatever it returns
// was sent; Split output always reads back.
func FuzzReadChunked(f *testing.F) {
	f.Add("authjs.session-token.1=cd; authjs.session-token.0=ab", "abcd")
	f.Add("authjs.session-token=x; authjs.session-token.0=y", "")
	f.Add("authjs.session-token.01=a", strings.Repeat("z", 5000))
	f.Fuzz(func(t *testing.T, header, value string) {
		j := Parse(http.Header{"Cookie": {header}})
		got, present, err := ReadChunked(j, SessionToken)
		if err == nil && got != "" && len(present) == 0 {
			t.Fatal("value without a cookie")
		}
		if len(got) > len(header) {
			t.Fatal("reassembled more than was sent")
		}
		for _, n := range present {
			if _, err := format(Expired(n, plain)); err != nil {
				t.Fatalf("present name %q cannot be deleted: %v", n, err)
			}
		}
		if strings.ContainsAny(value, ";= \t\r\n%\"") || len(value) > MaxChunks*ChunkSize {
			return
		}
		back, _, err := ReadChunked(Jar(Split(SessionToken, value)), SessionToken)
		if err != nil || back != value {
			t.Fatalf("split of %d bytes does not read back: %v", len(value), err)
		}
	})
}

var (
	plain  = NamesFor(false)
	secure = NamesFor(true)
)

func TestWithDomain(t *testing.T) {
	n := NamesFor(true).WithDomain("example.com")
	if n.CSRFToken != "__Secure-authjs.csrf-token" || n.SessionToken != "__Secure-authjs.session-token" {
		t.Fatalf("names with a domain: %+v", n)
	}
	if got := New(n.SessionToken, "v", n, time.Time{}).String(); got != "__Secure-authjs.session-token=v; Path=/; Domain=example.com; HttpOnly; Secure; SameSite=Lax" {
		t.Fatalf("cookie with a domain: %s", got)
	}
	if NamesFor(true).WithDomain("") != NamesFor(true) {
		t.Fatal("an empty domain changed the names")
	}
}
