package csrf

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// TestAuthJSVectors: hashes made by the real Auth.js, with one secret and
// with a rotated pair (joined with a comma).
func TestAuthJSVectors(t *testing.T) {
	b, err := os.ReadFile("../../testdata/jwe-session.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		CSRF []struct {
			Secret  json.RawMessage `json:"secret"`
			Token   string          `json:"csrfToken"`
			Decoded string          `json:"cookie_value_decoded"`
		} `json:"csrf"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.CSRF) < 2 {
		t.Fatal("missing csrf vectors")
	}
	for _, v := range f.CSRF {
		var secrets []string
		var one string
		if json.Unmarshal(v.Secret, &one) == nil {
			secrets = []string{one}
		} else if err := json.Unmarshal(v.Secret, &secrets); err != nil {
			t.Fatal(err)
		}
		tok, ok := Verify(v.Decoded, Secret(secrets))
		if !ok || tok != v.Token {
			t.Errorf("secrets %v: Verify = %q, %v", secrets, tok, ok)
		}
		if _, ok := Verify(v.Decoded, secrets[0]+"x"); ok {
			t.Errorf("verified under the wrong secret")
		}
	}
}

func TestNewVerify(t *testing.T) {
	tok, c := New("s")
	if len(tok) != 64 || strings.ToLower(tok) != tok {
		t.Fatalf("token %q", tok)
	}
	if got, ok := Verify(c, "s"); !ok || got != tok {
		t.Fatal("own cookie refused")
	}
	tok2, _ := New("s")
	if tok2 == tok {
		t.Fatal("tokens repeat")
	}
}

func TestVerifyRefuses(t *testing.T) {
	tok, good := New("secret")
	// A hash computed without the secret.
	unsalted := "aaaa|61be55a8e2f6b4e172338bddf184d6dbee29c98853e0a0485ecee7f27b9af0b4"
	for name, v := range map[string]string{
		"empty":          "",
		"no bar":         tok,
		"empty hash":     tok + "|",
		"empty token":    "|" + strings.SplitN(good, "|", 2)[1],
		"extra parts":    good + "|c|d",
		"unsalted hash":  unsalted,
		"other secret":   func() string { _, c := New("other"); return c }(),
		"4 KB":           strings.Repeat("a", 4096) + "|x",
		"tampered token": map[bool]string{true: "a", false: "b"}[good[0] != 'a'] + good[1:],
	} {
		if _, ok := Verify(v, "secret"); ok {
			t.Errorf("%s: verified", name)
		}
	}
}

func FuzzVerify(f *testing.F) {
	_, good := New("secret")
	f.Add(good)
	f.Add("a|b|c")
	f.Fuzz(func(t *testing.T, v string) {
		if tok, ok := Verify(v, "secret"); ok && !strings.HasPrefix(v, tok+"|") {
			t.Fatalf("verified a cookie for another token: %q", v)
		}
	})
}
