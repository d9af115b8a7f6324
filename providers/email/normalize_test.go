package email_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/authgo/authgo/providers/email"
)

// Vectors of @auth/core 0.41.3's defaultNormalizer: what it returns, or
// "!" where it throws.
var authjsVectors = []struct{ in, want string }{
	{"Alice@Example.COM", "alice@example.com"},
	{"  bob@example.com\t\n", "bob@example.com"},
	{"\ufeffcarol@example.com", "carol@example.com"},
	{"a@x.com,b@y.com", "!"}, // two '@' before the cut
	{"a@x.com,b", "a@x.com"}, // the domain cut at its comma
	{"a@x.com,", "a@x.com"},
	{"a@,x.com", "!"},
	{`"e@attacker.com"@victim.com`, "!"},
	{"e@attacker.com@victim.com", "!"},
	{"e\uff20attacker.com@victim.com", "!"}, // fullwidth @ becomes @ under NFKC
	{"e\ufe6battacker.com@victim.com", "!"}, // small @
	{"\uff41\uff4c\uff49\uff43\uff45@example.com", "alice@example.com"},
	{"ALİCE@example.com", "ali\u0307ce@example.com"}, // full case mapping, as toLowerCase
	{"@x.com", "!"},
	{"a@", "!"},
	{"nobody", "!"},
	{"", "!"},
}

func TestAuthJSNormalize(t *testing.T) {
	for _, v := range authjsVectors {
		got, err := email.AuthJSNormalize(v.in)
		if v.want == "!" {
			if err == nil {
				t.Errorf("%q: got %q, want an error", v.in, got)
			}
			continue
		}
		if err != nil || got != v.want {
			t.Errorf("%q: got %q, %v; want %q", v.in, got, err, v.want)
		}
	}
}

func TestNormalize(t *testing.T) {
	// What Auth.js accepts and Normalize keeps, unchanged.
	for _, v := range authjsVectors {
		if v.want == "!" || strings.Contains(v.in, ",") {
			continue
		}
		got, err := email.Normalize(v.in)
		if err != nil || got != v.want {
			t.Errorf("%q: got %q, %v; want %q as Auth.js", v.in, got, err, v.want)
		}
	}
	for _, ok := range []string{"first.last+tag@sub.example.co.uk", "o'brien@example.ie", "user@xn--bcher-kva.example", "用户@例子.广告", strings.Repeat("a", 64) + "@" + strings.Repeat("b", 63) + ".com"} {
		if _, err := email.Normalize(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	long := strings.Repeat("a", 60) + "@" + strings.Repeat(strings.Repeat("b", 60)+".", 3) + strings.Repeat("c", 20) + ".com"
	for _, bad := range []string{
		"", "a@x.com,b@y.com", "a@x.com,", "a@x.com,b", `"e@attacker.com"@victim.com`, "e@attacker.com@victim.com",
		"e\uff20attacker.com@victim.com", "e\ufe6battacker.com@victim.com",
		"a@x.com\r\nBcc: all@y.com", "a@x.com\nBcc:b@y.com", "a@x.com\rx", "a\x00@x.com", "a@x\u0085.com",
		"a b@x.com", "a@x .com", "<a@x.com>", "a@x.com>", "(c)a@x.com", "a@[127.0.0.1]", "a;b@x.com", "a:b@x.com", "a\\b@x.com",
		".a@x.com", "a.@x.com", "a..b@x.com", "a@.x.com", "a@x..com", "a@x.com.", "a@-x.com", "a@x-.com", "a@x_y.com",
		"a\u200b@x.com", // a zero-width space hides in the local part
		strings.Repeat("a", 65) + "@x.com", "a@" + strings.Repeat("b", 64) + ".com", long,
		strings.Repeat("a", 100000) + "@x.com", "a@x.com\xff",
	} {
		got, err := email.Normalize(bad)
		if err == nil {
			t.Errorf("%q accepted as %q", bad, got)
		} else if !errors.Is(err, email.ErrInvalid) && !errors.Is(err, email.ErrMissing) {
			t.Errorf("%q: error %v", bad, err)
		} else if strings.Contains(err.Error(), "@") {
			t.Errorf("%q: the error shows the address: %v", bad, err)
		}
	}
	if len(long) <= 254 {
		t.Fatalf("the long vector is %d bytes", len(long))
	}
}

func FuzzNormalize(f *testing.F) {
	for _, v := range authjsVectors {
		f.Add(v.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := email.Normalize(in)
		if err != nil {
			return
		}
		if strings.Count(got, "@") != 1 || strings.ContainsAny(got, "\r\n\",<> ") || len(got) > 254 {
			t.Fatalf("%q normalised to %q", in, got)
		}
		// Idempotent, and what Auth.js 0.41.3 stores for it.
		if again, err := email.Normalize(got); err != nil || again != got {
			t.Fatalf("%q: %q then %q, %v", in, got, again, err)
		}
		if js, err := email.AuthJSNormalize(in); err != nil || js != got {
			t.Fatalf("%q: %q, Auth.js %q, %v", in, got, js, err)
		}
	})
}
