package oauthcore

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestValidEndpoint(t *testing.T) {
	for raw, ok := range map[string]bool{
		"https://as.example/token":       true,
		"https://as.example:8443/t?x=1":  true,
		"http://127.0.0.1:9/t":           true,
		"http://[::1]:9/t":               true,
		"http://localhost/t":             true,
		"http://app.localhost/t":         true,
		"http://as.example/t":            false,
		"http://127.0.0.1.nip.io/t":      false,
		"https://u:p@as.example/t":       false,
		"https://as.example/t#frag":      false,
		"https://as.example/t#":          false,
		"/token":                         false,
		"as.example/token":               false,
		"javascript:alert(1)":            false,
		"ftp://as.example/t":             false,
		"https:///t":                     false,
		"https://as.example/%zz":         false,
		"":                               false,
		"https://as.example/t\n":         false,
		"HTTPS://AS.EXAMPLE/UPPER/OK":    true,
		"http://169.254.169.254/latest/": false,
	} {
		if err := ValidEndpoint(raw); (err == nil) != ok {
			t.Errorf("ValidEndpoint(%q) = %v, want ok=%v", raw, err, ok)
		}
	}
}

func TestID(t *testing.T) {
	for in, want := range map[string]string{
		`"abc"`:                          "abc",
		`42`:                             "42",
		`12345678901234567890`:           "12345678901234567890",
		`1e3`:                            "1000",
		`1.0`:                            "1",
		`1.5`:                            "1.5",
		`-7`:                             "-7",
		`null`:                           "",
		`true`:                           "",
		`{"x":1}`:                        "",
		`123456789012345678901234567890`: "123456789012345678901234567890",
	} {
		var m map[string]any
		if err := DecodeJSON([]byte(`{"id":`+in+`}`), &m); err != nil {
			t.Fatal(err)
		}
		if got := ID(m, "id"); got != want {
			t.Errorf("ID(%s) = %q, want %q", in, got, want)
		}
	}
	if got := ID(map[string]any{"id": float64(583231)}, "id"); got != "583231" {
		t.Errorf("float64 id = %q", got)
	}
	var n json.Number = "7"
	if got := ID(map[string]any{"id": n}, "id"); got != "7" {
		t.Errorf("json.Number id = %q", got)
	}
}

func TestBodyLimit(t *testing.T) {
	for _, c := range []struct {
		size    int
		chunked bool
		ok      bool
	}{
		{MaxBody, false, true},
		{MaxBody, true, true},
		{MaxBody + 1, false, false},
		{MaxBody + 1, true, false},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !c.chunked {
				w.Header().Set("Content-Length", strconv.Itoa(c.size))
			}
			w.Write([]byte(strings.Repeat("a", c.size)))
		}))
		res, err := NewClient(srv.Client(), 0).Get(srv.URL)
		var n int
		if err == nil {
			var b []byte
			b, err = io.ReadAll(res.Body)
			n = len(b)
			res.Body.Close()
		}
		srv.Close()
		if c.ok && (err != nil || n != c.size) {
			t.Errorf("%+v: %d bytes, %v", c, n, err)
		}
		if !c.ok && !errors.Is(err, ErrBodyTooLarge) {
			t.Errorf("%+v: err = %v, want ErrBodyTooLarge", c, err)
		}
	}
}

func TestNewClient(t *testing.T) {
	c := NewClient(nil, 0)
	if c.Timeout != DefaultTimeout || c.CheckRedirect == nil {
		t.Errorf("defaults: %+v", c)
	}
	base := &http.Client{Timeout: 3 * time.Second}
	if c := NewClient(base, 0); c.Timeout != 3*time.Second || base.CheckRedirect != nil || base.Transport != nil {
		t.Errorf("the base client's timeout should be kept and the base left alone: %+v %+v", c, base)
	}
	if c := NewClient(base, time.Second); c.Timeout != time.Second {
		t.Errorf("Timeout = %v", c.Timeout)
	}
}
