package jwe

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha512"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

type vectorFile struct {
	Vectors []struct {
		ID            string          `json:"id"`
		Secret        json.RawMessage `json:"secret"`
		Salt          string          `json:"salt"`
		Token         string          `json:"token"`
		Payload       json.RawMessage `json:"payload"`
		Expect        string          `json:"expect"`
		EncryptedWith string          `json:"encrypted_with"`
	} `json:"vectors"`
	HKDF []struct {
		Secret string `json:"secret"`
		Salt   string `json:"salt"`
		KeyCBC string `json:"key_a256cbc_hs512_hex"`
		KidCBC string `json:"kid_a256cbc_hs512"`
		KeyGCM string `json:"key_a256gcm_hex"`
		KidGCM string `json:"kid_a256gcm"`
	} `json:"hkdf"`
}

func loadVectors(t testing.TB) vectorFile {
	t.Helper()
	b, err := os.ReadFile("../../testdata/jwe-session.json")
	if err != nil {
		t.Fatal(err)
	}
	var v vectorFile
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func secrets(t testing.TB, raw json.RawMessage) []string {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err != nil {
		t.Fatalf("secret: %v", err)
	}
	return many
}

func TestDeriveKeyAndThumbprint(t *testing.T) {
	v := loadVectors(t)
	if len(v.HKDF) == 0 {
		t.Fatal("no hkdf vectors")
	}
	for _, h := range v.HKDF {
		t.Run(h.Salt, func(t *testing.T) {
			k64, err := DeriveKey(h.Secret, h.Salt, 64)
			if err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(k64); got != h.KeyCBC {
				t.Errorf("64-byte key = %s, want %s", got, h.KeyCBC)
			}
			if got := Thumbprint(k64); got != h.KidCBC {
				t.Errorf("kid = %s, want %s", got, h.KidCBC)
			}
			k32, err := DeriveKey(h.Secret, h.Salt, 32)
			if err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(k32); got != h.KeyGCM {
				t.Errorf("32-byte key = %s, want %s", got, h.KeyGCM)
			}
			if got := Thumbprint(k32); got != h.KidGCM {
				t.Errorf("gcm kid = %s, want %s", got, h.KidGCM)
			}
		})
	}
}

// TestVectors opens every Auth.js vector with both openers. Claim checks
// (expiry, nbf) belong to the jwt package, so here the "expired" and
// "nbf-in-future" vectors must decrypt, and every other reject must fail.
func TestVectors(t *testing.T) {
	v := loadVectors(t)
	claimRejects := map[string]bool{"expired": true, "nbf-in-future": true}
	for _, vec := range v.Vectors {
		t.Run(vec.ID, func(t *testing.T) {
			kr, err := NewKeyring(secrets(t, vec.Secret), vec.Salt)
			if err != nil {
				t.Fatal(err)
			}
			for name, o := range map[string]Opener{"stdlib": kr, "go-jose": JoseOpener{kr}} {
				pt, err := o.Open(vec.Token)
				wantOK := vec.Expect == "accept" || claimRejects[vec.ID]
				if wantOK && err != nil {
					t.Fatalf("%s: Open: %v", name, err)
				}
				if !wantOK {
					if err == nil {
						t.Fatalf("%s: Open accepted a token Auth.js rejects", name)
					}
					continue
				}
				if vec.Expect == "accept" {
					var got, want any
					if err := json.Unmarshal(pt, &got); err != nil {
						t.Fatal(err)
					}
					if err := json.Unmarshal(vec.Payload, &want); err != nil {
						t.Fatal(err)
					}
					gb, _ := json.Marshal(got)
					wb, _ := json.Marshal(want)
					if !bytes.Equal(gb, wb) {
						t.Errorf("%s: payload\n got %s\nwant %s", name, gb, wb)
					}
				}
			}
		})
	}
}

func TestSealOpenRoundTrip(t *testing.T) {
	kr, err := NewKeyring([]string{"new-secret", "old-secret"}, "authjs.session-token")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 1, 15, 16, 17, 5000} {
		pt := bytes.Repeat([]byte{'x'}, n)
		tok, err := kr.Seal(pt)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(tok, "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2Q0JDLUhTNTEyIiwia2lkIjoi") {
			t.Fatalf("header is not the Auth.js one: %.60s", tok)
		}
		for name, o := range map[string]Opener{"stdlib": kr, "go-jose": JoseOpener{kr}} {
			got, err := o.Open(tok)
			if err != nil {
				t.Fatalf("%s: n=%d: %v", name, n, err)
			}
			if !bytes.Equal(got, pt) {
				t.Fatalf("%s: n=%d: plaintext differs", name, n)
			}
		}
	}
	// Rotation: a token sealed under the old secret opens with [new, old]
	// and not once old is dropped.
	old, _ := NewKeyring([]string{"old-secret"}, "authjs.session-token")
	tok, _ := old.Seal([]byte(`{}`))
	if _, err := kr.Open(tok); err != nil {
		t.Fatalf("rotated secret: %v", err)
	}
	only, _ := NewKeyring([]string{"new-secret"}, "authjs.session-token")
	if _, err := only.Open(tok); !errors.Is(err, ErrNoKey) {
		t.Fatalf("removed secret: err = %v, want ErrNoKey", err)
	}
	// Another salt derives another key.
	other, _ := NewKeyring([]string{"new-secret"}, "__Secure-authjs.session-token")
	tok2, _ := kr.Seal([]byte(`{}`))
	if _, err := other.Open(tok2); err == nil {
		t.Fatal("token opened under another salt")
	}
}

// joseSeal encrypts with go-jose, so the stdlib path is checked against an
// independent encoder too.
func joseSeal(t testing.TB, kr *Keyring, enc jose.ContentEncryption, pt []byte, kid bool) string {
	t.Helper()
	k := kr.cbc[0]
	if enc == jose.A256GCM {
		k = kr.gcm[0]
	}
	opts := &jose.EncrypterOptions{}
	if kid {
		opts = opts.WithHeader("kid", k.kid)
	}
	e, err := jose.NewEncrypter(enc, jose.Recipient{Algorithm: jose.DIRECT, Key: k.raw}, opts)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := e.Encrypt(pt)
	if err != nil {
		t.Fatal(err)
	}
	s, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestOpenGoJoseTokens(t *testing.T) {
	kr, _ := NewKeyring([]string{"s1", "s2"}, "salt")
	for _, enc := range []jose.ContentEncryption{jose.A256CBC_HS512, jose.A256GCM} {
		for _, kid := range []bool{true, false} {
			tok := joseSeal(t, kr, enc, []byte(`{"sub":"x"}`), kid)
			got, err := kr.Open(tok)
			if err != nil || string(got) != `{"sub":"x"}` {
				t.Errorf("enc=%s kid=%v: %q, %v", enc, kid, got, err)
			}
		}
	}
}

// craft builds a CBC token with an arbitrary protected header and a valid
// tag under the keyring's first key: the attacker who knows the secret is
// not the threat here, the header policy is.
func craft(kr *Keyring, hdr string, ek string) string {
	k := kr.cbc[0]
	h := base64.RawURLEncoding.EncodeToString([]byte(hdr))
	iv := make([]byte, 16)
	pt := pkcs7([]byte(`{"sub":"admin"}`))
	ct := make([]byte, len(pt))
	cipher.NewCBCEncrypter(k.block, iv).CryptBlocks(ct, pt)
	m := hmac.New(sha512.New, k.raw[:32])
	m.Write([]byte(h))
	m.Write(iv)
	m.Write(ct)
	var al [8]byte
	binary.BigEndian.PutUint64(al[:], uint64(len(h))*8)
	m.Write(al[:])
	tag := m.Sum(nil)[:32]
	e := base64.RawURLEncoding.EncodeToString
	return h + "." + ek + "." + e(iv) + "." + e(ct) + "." + e(tag)
}

func TestOpenRefusesHeaders(t *testing.T) {
	kr, _ := NewKeyring([]string{"secret"}, "authjs.session-token")
	kid := kr.cbc[0].kid
	// The crafting helper is right: a well-formed header opens.
	if _, err := kr.Open(craft(kr, `{"alg":"dir","enc":"A256CBC-HS512","kid":"`+kid+`","typ":"JWT"}`, "")); err != nil {
		t.Fatalf("control token refused: %v", err)
	}
	cases := map[string]struct{ hdr, ek string }{
		"alg none":             {`{"alg":"none","enc":"A256CBC-HS512"}`, ""},
		"enc A128CBC-HS256":    {`{"alg":"dir","enc":"A128CBC-HS256"}`, ""},
		"alg RSA-OAEP":         {`{"alg":"RSA-OAEP","enc":"A256CBC-HS512"}`, ""},
		"alg A256KW empty ek":  {`{"alg":"A256KW","enc":"A256CBC-HS512"}`, ""},
		"PBES2 huge p2c":       {`{"alg":"PBES2-HS512+A256KW","enc":"A256CBC-HS512","p2c":2147483647,"p2s":"AAAAAAAAAAA"}`, "AAAA"},
		"dir with ek":          {`{"alg":"dir","enc":"A256CBC-HS512"}`, "AAAA"},
		"crit":                 {`{"alg":"dir","enc":"A256CBC-HS512","crit":["x"],"x":1}`, ""},
		"duplicate alg":        {`{"alg":"dir","alg":"none","enc":"A256CBC-HS512"}`, ""},
		"duplicate alg benign": {`{"alg":"dir","alg":"dir","enc":"A256CBC-HS512"}`, ""},
		"enc wrong case":       {`{"alg":"dir","enc":"a256cbc-hs512"}`, ""},
		"zip":                  {`{"alg":"dir","enc":"A256CBC-HS512","zip":"DEF"}`, ""},
		"jku":                  {`{"alg":"dir","enc":"A256CBC-HS512","jku":"https://evil.example/jwks"}`, ""},
		"kid not string":       {`{"alg":"dir","enc":"A256CBC-HS512","kid":1}`, ""},
		"kid traversal":        {`{"alg":"dir","enc":"A256CBC-HS512","kid":"../../../../dev/null"}`, ""},
		"kid sql":              {`{"alg":"dir","enc":"A256CBC-HS512","kid":"' OR 1=1 --"}`, ""},
		"not an object":        {`["alg","dir"]`, ""},
		"trailing data":        {`{"alg":"dir","enc":"A256CBC-HS512"}{}`, ""},
		"nested alg":           {`{"alg":{"x":"dir"},"enc":"A256CBC-HS512"}`, ""},
		"huge header":          {`{"alg":"dir","enc":"A256CBC-HS512","kid":"` + strings.Repeat("A", 64<<10) + `"}`, ""},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			tok := craft(kr, c.hdr, c.ek)
			if _, err := kr.Open(tok); err == nil {
				t.Fatal("stdlib opener accepted it")
			}
			if _, err := (JoseOpener{kr}).Open(tok); err == nil {
				t.Fatal("go-jose opener accepted it")
			}
		})
	}
}

func TestOpenRefusesMalformed(t *testing.T) {
	kr, _ := NewKeyring([]string{"secret"}, "authjs.session-token")
	good, _ := kr.Seal([]byte(`{"sub":"a"}`))
	p, _ := split(good)
	// A token with a URL-safe character to swap: its random parts lack
	// both "-" and "_" in about one seal of sixteen.
	urlSafe := good
	for !strings.ContainsAny(urlSafe, "-_") {
		urlSafe, _ = kr.Seal([]byte(`{"sub":"a"}`))
	}
	cases := map[string]string{
		"empty":             "",
		"four segments":     strings.Join([]string{p.header, p.ek, p.iv, p.ct}, "."),
		"six segments":      good + ".",
		"padding":           good + "=",
		"std alphabet":      strings.NewReplacer("-", "+", "_", "/").Replace(urlSafe),
		"percent":           "%20" + good,
		"only dots":         strings.Repeat(".", 1_000_000),
		"too long":          good + strings.Repeat("A", MaxTokenLen),
		"short iv":          strings.Join([]string{p.header, "", p.iv[:20], p.ct, p.tag}, "."),
		"short tag":         strings.Join([]string{p.header, "", p.iv, p.ct, p.tag[:40]}, "."),
		"ct not block":      strings.Join([]string{p.header, "", p.iv, p.ct[:len(p.ct)-2], p.tag}, "."),
		"empty ct":          strings.Join([]string{p.header, "", p.iv, "", p.tag}, "."),
		"signed jwt":        "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiIsImV4cCI6OTk5OTk5OTk5OX0.",
		"tampered tag":      strings.Join([]string{p.header, "", p.iv, p.ct, flip(p.tag)}, "."),
		"tampered ct":       strings.Join([]string{p.header, "", p.iv, flip(p.ct), p.tag}, "."),
		"tampered iv":       strings.Join([]string{p.header, "", flip(p.iv), p.ct, p.tag}, "."),
		"non-canonical b64": strings.Join([]string{p.header, "", p.iv, p.ct, p.tag[:42] + "B"}, "."),
	}
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := kr.Open(tok); err == nil {
				t.Fatal("accepted")
			}
			if _, err := (JoseOpener{kr}).Open(tok); err == nil {
				t.Fatal("go-jose accepted")
			}
		})
	}
}

func pkcs7(b []byte) []byte {
	n := aes.BlockSize - len(b)%aes.BlockSize
	return append(b, bytes.Repeat([]byte{byte(n)}, n)...)
}

// flip changes the first character of a base64url segment.
func flip(s string) string {
	c := byte('A')
	if s[0] == 'A' {
		c = 'B'
	}
	return string(c) + s[1:]
}

// TestPaddingOracle: a ciphertext whose tag is valid but whose padding is
// wrong is a decryption failure, not a panic.
func TestBadPaddingAfterValidTag(t *testing.T) {
	kr, _ := NewKeyring([]string{"secret"}, "s")
	k := kr.cbc[0]
	for _, last := range []byte{0, 17, 255} {
		pt := bytes.Repeat([]byte{'a'}, 32)
		pt[31] = last
		iv := make([]byte, 16)
		ct := make([]byte, 32)
		cipher.NewCBCEncrypter(k.block, iv).CryptBlocks(ct, pt)
		st := k.state.Get().(*cbcState)
		tag := st.tag(k.aad, iv, ct)
		e := base64.RawURLEncoding.EncodeToString
		tok := k.header + ".." + e(iv) + "." + e(ct) + "." + e(tag)
		if _, err := kr.Open(tok); !errors.Is(err, ErrDecrypt) {
			t.Errorf("pad byte %d: err = %v, want ErrDecrypt", last, err)
		}
	}
}

func TestNewKeyringRefuses(t *testing.T) {
	if _, err := NewKeyring(nil, "s"); err == nil {
		t.Error("nil secrets accepted")
	}
	if _, err := NewKeyring([]string{"a", ""}, "s"); err == nil {
		t.Error("empty secret accepted")
	}
}

// FuzzOpen holds the stdlib opener to go-jose: on any input both agree on
// success and, when they succeed, on the plaintext. Neither may panic.
func FuzzOpen(f *testing.F) {
	kr, _ := NewKeyring([]string{"fuzz-secret", "older"}, "authjs.session-token")
	good, _ := kr.Seal([]byte(`{"sub":"a","exp":1}`))
	f.Add(good)
	f.Add(joseSeal(f, kr, jose.A256GCM, []byte(`{}`), true))
	f.Add(joseSeal(f, kr, jose.A256CBC_HS512, []byte(`{}`), false))
	f.Add("a.b.c.d.e")
	f.Add("....")
	f.Add(craft(kr, `{"alg":"dir","enc":"A256CBC-HS512","zip":"DEF"}`, ""))
	jo := JoseOpener{kr}
	f.Fuzz(func(t *testing.T, tok string) {
		a, errA := kr.Open(tok)
		b, errB := jo.Open(tok)
		if (errA == nil) != (errB == nil) {
			t.Fatalf("disagree: stdlib err=%v, go-jose err=%v", errA, errB)
		}
		if errA == nil && !bytes.Equal(a, b) {
			t.Fatal("plaintexts differ")
		}
	})
}

// FuzzOpenMutated mutates a valid token's segments (not arbitrary strings)
// so the fuzzer spends its time past the cheap structural checks.
func FuzzOpenMutated(f *testing.F) {
	kr, _ := NewKeyring([]string{"fuzz-secret"}, "authjs.session-token")
	good, _ := kr.Seal([]byte(`{"sub":"a"}`))
	p, _ := split(good)
	f.Add(uint8(0), uint16(0), byte('x'))
	jo := JoseOpener{kr}
	f.Fuzz(func(t *testing.T, seg uint8, pos uint16, c byte) {
		s := []string{p.header, p.ek, p.iv, p.ct, p.tag}
		i := int(seg) % 5
		b := []byte(s[i])
		if len(b) > 0 {
			b[int(pos)%len(b)] = c
		} else {
			b = []byte{c}
		}
		s[i] = string(b)
		tok := strings.Join(s, ".")
		_, errA := kr.Open(tok)
		_, errB := jo.Open(tok)
		if (errA == nil) != (errB == nil) {
			t.Fatalf("disagree on %q: %v vs %v", tok, errA, errB)
		}
		if errA == nil && tok != good {
			t.Fatalf("a mutated token opened: %q", tok)
		}
	})
}

func BenchmarkOpen(b *testing.B) {
	kr, _ := NewKeyring([]string{"bench-secret-0123456789abcdef0123456789"}, "authjs.session-token")
	pt := []byte(`{"name":"Alice Example","email":"alice@example.com","picture":"https://example.com/alice.png","sub":"user-0001","iat":1795705790,"exp":4102444800,"jti":"2c8f40f5-13d1-4202-9a8b-147acda36c36"}`)
	tok, _ := kr.Seal(pt)
	b.Run("stdlib", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := kr.Open(tok); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("go-jose", func(b *testing.B) {
		b.ReportAllocs()
		jo := JoseOpener{kr}
		for b.Loop() {
			if _, err := jo.Open(tok); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("seal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := kr.Seal(pt); err != nil {
				b.Fatal(err)
			}
		}
	})
}
