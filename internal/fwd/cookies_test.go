package fwd

import (
	"slices"
	"strings"
	"testing"
)

func TestForeignCookies(t *testing.T) {
	got := ForeignCookies([]string{"a=1; authjs.session-token=x", " ; __Secure-AUTHJS.csrf-token=y;b=2", "__Host-authjs.x=z"})
	if want := []string{"a=1", "b=2"}; !slices.Equal(got, want) {
		t.Errorf("ForeignCookies = %q, want %q", got, want)
	}
}

func TestForeignSetCookies(t *testing.T) {
	in := []string{"a=1; Path=/", "authjs.session-token=x; Path=/", "=authjs.session-token=x", "__secure-Authjs.pkce.code_verifier=v", " b =2"}
	got := ForeignSetCookies(in)
	if want := []string{"a=1; Path=/", " b =2"}; !slices.Equal(got, want) {
		t.Errorf("ForeignSetCookies = %q, want %q", got, want)
	}
	if in[1] != "authjs.session-token=x; Path=/" {
		t.Errorf("ForeignSetCookies changed its argument: %q", in)
	}
}

func TestNormalize(t *testing.T) {
	long := "X_Forwarded_" + strings.Repeat("A", 70)
	for in, want := range map[string]string{
		"X_Forwarded_User": "x-forwarded-user",
		"Authorization":    "authorization",
		"x-ß_Name":         "x-ß-name",
		long:               "x-forwarded-" + strings.Repeat("a", 70),
	} {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
	if !Stripped(long) {
		t.Errorf("Stripped(%q) = false: a long name loses its prefix", long)
	}
}
