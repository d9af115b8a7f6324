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
		if _, ok := Verify(v.Decoded, keyOf(secrets[0]+"x")); ok {
			t.Errorf("verified under the wrong secret")
		}
	}
}

// keyOf is the Key of one secret.
func keyOf(secret string) Key { return Secret([]string{secret}) }

func TestNewVerify(t *testing.T) {
	tok, c := New(keyOf("s"))
	if len(tok) != 64 || strings.ToLower(tok) != tok {
		t.Fatalf("token %q", tok)
	}
	if got, ok := Verify(c, keyOf("s")); !ok || got != tok {
		t.Fatal("own cookie refused")
	}
	tok2, _ := New(keyOf("s"))
	if tok2 == tok {
		t.Fatal("tokens repeat")
	}
}

func TestVerifyRefuses(t *testing.T) {
	tok, good := New(keyOf("secret"))
	// A hash computed without the secret.
	unsalted := "aaaa|61be55a8e2f6b4e172338bddf184d6dbee29c98853e0a0485ecee7f27b9af0b4"
	for name, v := range map[string]string{
		"empty":          "",
		"no bar":         tok,
		"empty hash":     tok + "|",
		"empty token":    "|" + strings.SplitN(good, "|", 2)[1],
		"extra parts":    good + "|c|d",
		"unsalted hash":  unsalted,
		"other secret":   func() string { _, c := New(keyOf("other")); return c }(),
		"4 KB":           strings.Repeat("a", 4096) + "|x",
		"tampered token": map[bool]string{true: "a", false: "b"}[good[0] != 'a'] + good[1:],
	} {
		if _, ok := Verify(v, keyOf("secret")); ok {
			t.Errorf("%s: verified", name)
		}
	}
}

func FuzzVerify(f *testing.F) {
	_, good := New(keyOf("secret"))
	f.Add(good)
	f.Add("a|b|c")
	f.Fuzz(func(t *testing.T, v string) {
		if tok, ok := Verify(v, keyOf("secret")); ok && !strings.HasPrefix(v, tok+"|") {
			t.Fatalf("verified a cookie for another token: %q", v)
		}
	})
}

// TestRotation: a key rotation in two steps keeps every token working. The
// new secret is first added as an older one, then becomes the newest; at
// every step, tokens minted by any instance (before, between or after the
// steps) verify on every instance, as do tokens Auth.js made by hashing
// with the joined list. A secret that was never configured is refused.
func TestRotation(t *testing.T) {
	before := Secret([]string{"old"})
	step1 := Secret([]string{"old", "new"})
	step2 := Secret([]string{"new", "old"})
	after := Secret([]string{"new"})
	joined := func(secrets ...string) string {
		tok := strings.Repeat("ab", 32)
		return tok + "|" + hash(tok, strings.Join(secrets, ","))
	}
	cookies := map[string]string{}
	for name, k := range map[string]Key{"before": before, "step1": step1, "step2": step2, "after": after} {
		_, cookies["minted "+name] = New(k)
	}
	cookies["Auth.js old,new"] = joined("old", "new")
	cookies["Auth.js new,old"] = joined("new", "old")
	// Which cookies each instance accepts: one made with a secret it
	// holds, or with exactly its joined list. The steps overlap (instances
	// are restarted one at a time): an instance before step 1 and one in
	// step 1 accept each other's tokens, as do one in step 1 and one in
	// step 2.
	want := map[string]map[string]bool{
		"before": {"minted before": true, "minted step1": true},
		"step1":  {"minted before": true, "minted step1": true, "minted step2": true, "minted after": true, "Auth.js old,new": true},
		"step2":  {"minted before": true, "minted step1": true, "minted step2": true, "minted after": true, "Auth.js new,old": true},
		"after":  {"minted step2": true, "minted after": true},
	}
	for name, k := range map[string]Key{"before": before, "step1": step1, "step2": step2, "after": after} {
		for c, v := range cookies {
			if _, ok := Verify(v, k); ok != want[name][c] {
				t.Errorf("instance %s, cookie %s: verified = %v", name, c, ok)
			}
		}
		if _, ok := Verify(joined("other"), k); ok {
			t.Errorf("instance %s verified a cookie of another secret", name)
		}
	}
}

func TestZeroKey(t *testing.T) {
	_, c := New(keyOf("s"))
	if _, ok := Verify(c, Key{}); ok {
		t.Fatal("the zero Key verified a cookie")
	}
}

// TestHashes: Hashes lists exactly what Verify accepts, newest secret
// first, and Hash is the newest one's.
func TestHashes(t *testing.T) {
	k := Secret([]string{"new", "old"})
	hs := k.Hashes("tok")
	if len(hs) != 3 || hs[0] != k.Hash("tok") || hs[2] != hash("tok", "new,old") {
		t.Fatalf("hashes %q, hash %q", hs, k.Hash("tok"))
	}
	for _, h := range hs {
		if _, ok := Verify("tok|"+h, k); !ok {
			t.Errorf("%s does not verify", h)
		}
	}
	if _, ok := Verify("tok|"+hash("tok", "other"), k); ok {
		t.Error("a hash with another secret verifies")
	}
	// One secret: no joined list, which would repeat it.
	if hs := Secret([]string{"only"}).Hashes("tok"); len(hs) != 1 || hs[0] != hash("tok", "only") {
		t.Errorf("one secret: hashes %q", hs)
	}
	// The zero Key accepts nothing, so a lookup by its hashes finds
	// nothing (not the hash made with the empty secret).
	if hs := (Key{}).Hashes("tok"); len(hs) != 0 {
		t.Errorf("the zero Key: hashes %q", hs)
	}
}
