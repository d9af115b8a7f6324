package challenge_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/authgo/authgo/internal/challenge"
)

func TestInvalidToken(t *testing.T) {
	for _, c := range []struct {
		status int
		values []string
		want   bool
	}{
		{401, []string{`Bearer error="invalid_token"`}, true},
		{401, []string{`Bearer realm="api", error="invalid_token", error_description="The access token expired"`}, true},
		{401, []string{`bearer ERROR=invalid_token`}, true},
		{401, []string{`Bearer   error = "invalid_token"`}, true},
		{401, []string{`Basic realm="x", Bearer error="invalid_token"`}, true},
		{401, []string{`Basic abc==, Bearer error=invalid_token`}, true},
		{401, []string{`Basic realm="simple"`, `Bearer realm="a\"b, error=x", error="invalid_token"`}, true},
		{401, []string{`Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple"`}, false},
		{401, []string{`Basic realm="x, Bearer error=\"invalid_token\""`}, false},
		{401, []string{`Bearer error="insufficient_scope"`}, false},
		{401, []string{`Bearer error="invalid_token_x"`}, false},
		{401, []string{`Bearer error="INVALID_TOKEN"`}, false}, // error codes are case-sensitive
		{401, []string{`Bearer realm="api"`}, false},
		{401, []string{`Bearer`}, false},
		{401, []string{``}, false},
		{401, nil, false},
		{401, []string{`DPoP error="invalid_token"`}, false},
		{401, []string{`error="invalid_token"`}, false},
		{401, []string{`Bearer error="invalid_token`}, true}, // unterminated: still read to the end
		{403, []string{`Bearer error="invalid_token"`}, false},
		{200, []string{`Bearer error="invalid_token"`}, false},
	} {
		res := &http.Response{StatusCode: c.status, Header: http.Header{}}
		for _, v := range c.values {
			res.Header.Add("WWW-Authenticate", v)
		}
		if got := challenge.InvalidToken(res); got != c.want {
			t.Errorf("%d %q: got %v", c.status, c.values, got)
		}
	}
	if challenge.InvalidToken(nil) {
		t.Error("nil response")
	}
}

// FuzzInvalidToken: any header value parses without a panic, and
// a yes needs a Bearer challenge and the error code in the text.
func FuzzInvalidToken(f *testing.F) {
	for _, s := range []string{`Bearer error="invalid_token"`, `Basic abc==, Bearer error=invalid_token`,
		`Bearer realm="a\"b", error="invalid_token"`, `Bearer error="invalid_\token"`, `,,=,"\`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		res := &http.Response{StatusCode: 401, Header: http.Header{"Www-Authenticate": {v}}}
		if challenge.InvalidToken(res) {
			l := strings.ToLower(v)
			if !strings.Contains(l, "bearer") || !strings.Contains(strings.ReplaceAll(v, `\`, ""), "invalid_token") {
				t.Fatalf("%q read as invalid_token", v)
			}
		}
	})
}
