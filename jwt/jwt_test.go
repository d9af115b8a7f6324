package jwt

import (
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/authgo/authgo/internal/cookie"
	"github.com/authgo/authgo/internal/jwe"
)

type vector struct {
	ID           string          `json:"id"`
	Secret       json.RawMessage `json:"secret"`
	Salt         string          `json:"salt"`
	Token        string          `json:"token"`
	Payload      json.RawMessage `json:"payload"`
	Expect       string          `json:"expect"`
	CookieChunks []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"cookie_chunks"`
}

func loadVectors(t testing.TB) (vs []vector, generated time.Time) {
	t.Helper()
	b, err := os.ReadFile("../testdata/jwe-session.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		GeneratedAt time.Time `json:"generated_at"`
		Vectors     []vector  `json:"vectors"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return f.Vectors, f.GeneratedAt
}

func secretList(raw json.RawMessage) []string {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}
	}
	var many []string
	json.Unmarshal(raw, &many)
	return many
}

// sameJSON compares two JSON documents by value.
func sameJSON(t *testing.T, got, want []byte) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("got: %v", err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("want: %v", err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("JSON differs\n got %s\nwant %s", got, want)
	}
}

// TestVectors decodes every token Auth.js made and refuses every token
// Auth.js refuses, at the time the vectors were made.
func TestVectors(t *testing.T) {
	vs, at := loadVectors(t)
	if len(vs) < 24 {
		t.Fatalf("only %d vectors", len(vs))
	}
	now := func() time.Time { return at }
	for _, v := range vs {
		t.Run(v.ID, func(t *testing.T) {
			tok, err := Decode(DecodeParams{Token: v.Token, Secrets: secretList(v.Secret), Salt: v.Salt, Now: now})
			if v.Expect == "reject" {
				if err == nil {
					t.Fatalf("accepted: %+v", tok)
				}
				if !errors.Is(err, ErrInvalid) {
					t.Fatalf("error %v does not wrap ErrInvalid", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.Marshal(tok)
			if err != nil {
				t.Fatal(err)
			}
			sameJSON(t, got, v.Payload)
			// A Codec (keys derived once) agrees with the one-shot path.
			c, err := NewCodec(Options{Secrets: secretList(v.Secret), Now: now})
			if err != nil {
				t.Fatal(err)
			}
			tok2, err := c.Decode(v.Salt, v.Token)
			if err != nil || !reflect.DeepEqual(tok, tok2) {
				t.Fatalf("codec: %+v, %v", tok2, err)
			}
			// Chunked vectors: the real cookies reassemble to the token.
			if len(v.CookieChunks) > 0 {
				var j cookie.Jar
				for i := len(v.CookieChunks) - 1; i >= 0; i-- { // any header order
					j = append(j, cookie.Pair{Name: v.CookieChunks[i].Name, Value: v.CookieChunks[i].Value})
				}
				raw, _, err := cookie.ReadChunked(j, v.Salt)
				if err != nil || raw != v.Token {
					t.Fatalf("chunks do not reassemble: %v", err)
				}
				split := cookie.Split(v.Salt, v.Token)
				if len(split) != len(v.CookieChunks) {
					t.Fatalf("Split made %d chunks, Auth.js %d", len(split), len(v.CookieChunks))
				}
				for i, p := range split {
					if p.Name != v.CookieChunks[i].Name || p.Value != v.CookieChunks[i].Value {
						t.Fatalf("chunk %d differs from Auth.js", i)
					}
				}
			}
		})
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	c, err := NewCodec(Options{Secrets: []string{"s-new", "s-old"}, Now: func() time.Time { return now }, MaxAge: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	in := &Token{Name: "Zoë 🎉", Email: "z@example.com", Subject: "u1", IssuedAt: 5, ExpiresAt: 6, ID: "x",
		Extra: map[string]any{"access_token": "at", "expires_at": float64(1_800_000_900), "roles": []any{"a"}, "picture": nil, "html": "<&>\u2028"}}
	tok, err := c.Encode(CookieName, in, 0)
	if err != nil {
		t.Fatal(err)
	}
	if in.IssuedAt != 5 || in.ID != "x" {
		t.Fatal("Encode changed its argument")
	}
	out, err := c.Decode(CookieName, tok)
	if err != nil {
		t.Fatal(err)
	}
	if out.IssuedAt != now.Unix() || out.ExpiresAt != now.Unix()+3600 || len(out.ID) != 36 || out.ID[14] != '4' {
		t.Fatalf("iat/exp/jti not set by Encode: %+v", out)
	}
	if out.Name != in.Name || out.Subject != "u1" || out.StringClaim("access_token") != "at" || out.StringClaim("html") != "<&>\u2028" {
		t.Fatalf("claims lost: %+v", out)
	}
	if v, ok := out.Claim("picture"); !ok || v != nil {
		t.Fatalf("picture: null did not round-trip: %v %v", v, ok)
	}
	if n, ok := out.Int("expires_at"); !ok || n != 1_800_000_900 {
		t.Fatalf("expires_at = %d %v", n, ok)
	}
	// The http token does not open under the https name.
	if _, err := c.Decode(SecureCookieName, tok); !errors.Is(err, ErrInvalid) {
		t.Fatalf("opened under another salt: %v", err)
	}
	// Every encode gets a new jti.
	tok2, _ := c.Encode(CookieName, in, 0)
	out2, _ := c.Decode(CookieName, tok2)
	if out2.ID == out.ID {
		t.Fatal("jti repeated")
	}
}

// seal encrypts an arbitrary payload with a valid key, for claim tests.
func seal(t *testing.T, secret, payload string) string {
	t.Helper()
	kr, err := jwe.NewKeyring([]string{secret}, CookieName)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := kr.Seal([]byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestClaimValidation(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	n := now.Unix()
	c, _ := NewCodec(Options{Secrets: []string{"secret"}, Now: func() time.Time { return now }})
	cases := []struct {
		name    string
		payload string
		ok      bool
	}{
		{"exp now-10s (inside tolerance)", fmt.Sprintf(`{"sub":"a","exp":%d}`, n-10), true},
		{"exp now-20s", fmt.Sprintf(`{"sub":"a","exp":%d}`, n-20), false},
		{"exp exactly now-15s", fmt.Sprintf(`{"sub":"a","exp":%d}`, n-15), false},
		{"no exp", `{"sub":"a"}`, false},
		{"exp string", `{"sub":"a","exp":"9999999999"}`, false},
		{"exp 1e300", `{"sub":"a","exp":1e300}`, false},
		{"exp -1", `{"sub":"a","exp":-1}`, false},
		{"exp fractional", fmt.Sprintf(`{"sub":"a","exp":%d.5}`, n+100), false},
		{"nbf now+3600", fmt.Sprintf(`{"sub":"a","exp":%d,"nbf":%d}`, n+100, n+3600), false},
		{"nbf now+10", fmt.Sprintf(`{"sub":"a","exp":%d,"nbf":%d}`, n+100, n+10), true},
		{"iat now+86400", fmt.Sprintf(`{"sub":"a","exp":%d,"iat":%d}`, n+100, n+86400), false},
		{"sub empty", fmt.Sprintf(`{"sub":"","exp":%d}`, n+100), false},
		{"sub number", fmt.Sprintf(`{"sub":123,"exp":%d}`, n+100), false},
		{"sub null", fmt.Sprintf(`{"sub":null,"exp":%d}`, n+100), false},
		{"no sub (check cookie)", fmt.Sprintf(`{"value":"v","provider":"p","exp":%d}`, n+100), true},
		{"jti number", fmt.Sprintf(`{"sub":"a","exp":%d,"jti":1}`, n+100), false},
		{"not an object", `[1,2]`, false},
		{"null", `null`, false},
		{"invalid utf-8", "{\"sub\":\"\xff\",\"exp\":" + fmt.Sprint(n+100) + "}", false},
		{"trailing garbage", fmt.Sprintf(`{"sub":"a","exp":%d} x`, n+100), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := c.Decode(CookieName, seal(t, "secret", tc.payload))
			if tc.ok && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !tc.ok {
				if err == nil {
					t.Fatalf("accepted: %+v", tok)
				}
				if !errors.Is(err, ErrInvalid) {
					t.Fatalf("%v does not wrap ErrInvalid", err)
				}
			}
		})
	}
}

func TestGetToken(t *testing.T) {
	c, _ := NewCodec(Options{Secrets: []string{"secret"}})
	small, _ := c.Encode(CookieName, &Token{Subject: "u"}, 0)
	big, _ := c.Encode(CookieName, &Token{Subject: "u", Name: strings.Repeat("x", 5000)}, 0)
	secure, _ := c.Encode(SecureCookieName, &Token{Subject: "s"}, 0)
	chunks := cookie.Split(CookieName, big)
	if len(chunks) != 2 {
		t.Fatalf("want 2 chunks, got %d", len(chunks))
	}
	chunkHeader := chunks[1].Name + "=" + chunks[1].Value + "; " + chunks[0].Name + "=" + chunks[0].Value

	cases := []struct {
		name    string
		cookie  string
		auth    string
		tls     bool
		wantSub string
		wantErr bool
	}{
		{"none", "", "", false, "", false},
		{"cookie", CookieName + "=" + small, "", false, "u", false},
		{"chunks in any order", chunkHeader, "", false, "u", false},
		{"bearer", "", "Bearer " + small, false, "u", false},
		{"bearer garbage", "", "Bearer %E0%A4%A", false, "", true},
		{"http cookie over tls is not read", CookieName + "=" + small, "", true, "", false},
		{"secure cookie over tls", SecureCookieName + "=" + secure, "", true, "s", false},
		{"bare beside chunks", chunkHeader + "; " + CookieName + "=" + small, "", false, "", true},
		{"missing chunk", chunks[1].Name + "=" + chunks[1].Value, "", false, "", true},
		{"alias index", CookieName + ".01=" + small, "", false, "", true},
		{"name only starts alike", CookieName + "X=1; " + CookieName + "=" + small, "", false, "", true},
		{"garbage", CookieName + "=garbage", "", false, "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			if tc.cookie != "" {
				r.Header.Set("Cookie", tc.cookie)
			}
			if tc.auth != "" {
				r.Header.Set("Authorization", tc.auth)
			}
			if tc.tls {
				r.TLS = &tls.ConnectionState{}
			}
			tok, err := c.GetToken(r, nil)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("no error, token %+v", tok)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			sub := ""
			if tok != nil {
				sub = tok.Subject
			}
			if sub != tc.wantSub {
				t.Fatalf("sub = %q, want %q", sub, tc.wantSub)
			}
		})
	}
}

func TestNewCodecRefuses(t *testing.T) {
	if _, err := NewCodec(Options{}); err == nil {
		t.Error("no secrets accepted")
	}
	if _, err := NewCodec(Options{Secrets: []string{""}}); err == nil {
		t.Error("empty secret accepted")
	}
	if _, err := NewCodec(Options{Secrets: []string{"x"}, MaxAge: -time.Second}); err == nil {
		t.Error("negative MaxAge accepted")
	}
}

// FuzzDecode: no input panics, and whatever decodes re-encodes and decodes
// to the same claims.
func FuzzDecode(f *testing.F) {
	vs, at := loadVectors(f)
	for _, v := range vs {
		f.Add(v.Token)
	}
	now := func() time.Time { return at }
	c, _ := NewCodec(Options{Secrets: []string{"vector-secret-primary-6a1f0e2c9b8d7a6f5e4d3c2b1a098765"}, Now: now})
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := c.Decode(CookieName, s)
		if err != nil || tok == nil {
			return
		}
		again, err := c.Encode(CookieName, tok, 0)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		back, err := c.Decode(CookieName, again)
		if err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		back.IssuedAt, back.ExpiresAt, back.ID = tok.IssuedAt, tok.ExpiresAt, tok.ID
		if !reflect.DeepEqual(tok, back) {
			t.Fatalf("round trip changed claims:\n%+v\n%+v", tok, back)
		}
	})
}

// FuzzClaims: any JSON payload sealed with the right key either decodes to
// claims that survive a round trip or is refused; nothing panics.
func FuzzClaims(f *testing.F) {
	f.Add(`{"sub":"a","exp":4102444800,"name":null,"x":[1,{"y":2}]}`)
	f.Add(`{"exp":1e300}`)
	f.Add(`{"sub":"a","exp":4102444800,"picture":7}`)
	kr, _ := jwe.NewKeyring([]string{"k"}, CookieName)
	c, _ := NewCodec(Options{Secrets: []string{"k"}})
	f.Fuzz(func(t *testing.T, payload string) {
		tok, err := kr.Seal([]byte(payload))
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.Decode(CookieName, tok)
		if err != nil {
			return
		}
		b, err := json.Marshal(got)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		// The hand-walked parse agrees with encoding/json on the claims.
		var ref, mine map[string]any
		if err := json.Unmarshal([]byte(payload), &ref); err != nil {
			t.Fatalf("encoding/json refuses what Decode took: %v", err)
		}
		json.Unmarshal(b, &mine)
		if !reflect.DeepEqual(ref, mine) {
			t.Fatalf("claims differ from encoding/json:\n got %v\nwant %v", mine, ref)
		}
		var back Token
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("unmarshal own output %s: %v", b, err)
		}
		if !reflect.DeepEqual(*got, back) {
			t.Fatalf("claims changed: %+v vs %+v", *got, back)
		}
	})
}

// BenchmarkDecode is one real decode: the cache is off.
func BenchmarkDecode(b *testing.B) {
	vs, at := loadVectors(b)
	c, _ := NewCodec(Options{Secrets: []string{"vector-secret-primary-6a1f0e2c9b8d7a6f5e4d3c2b1a098765"}, Now: func() time.Time { return at }, CacheSize: -1})
	tok := vs[0].Token // plain-http: the default claims of a sign-in
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Decode(CookieName, tok); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncode(b *testing.B) {
	c, _ := NewCodec(Options{Secrets: []string{"vector-secret-primary-6a1f0e2c9b8d7a6f5e4d3c2b1a098765"}})
	t := &Token{Name: "Alice Example", Email: "alice@example.com", Picture: "https://example.com/alice.png", Subject: "user-0001"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Encode(CookieName, t, 0); err != nil {
			b.Fatal(err)
		}
	}
}

// TestAppendJSONNumbers: extra numeric claims (float64 after a decode) are
// written as encoding/json writes them, so a token re-encoded by authgo
// reads the same in JavaScript.
func TestAppendJSONNumbers(t *testing.T) {
	for _, f := range []float64{0, math.Copysign(0, -1), 1, -1, 1.5, 1796618041, 1e20, 1e21, 1.23e21, 1e-6, 9.99e-7, 1e-7, 3.14159e-10, -2.5e25, 0.1, 123456789012345678, math.MaxFloat64, math.SmallestNonzeroFloat64} {
		want, err := json.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		tok := &Token{Extra: map[string]any{"n": f}}
		got, err := tok.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != `{"n":`+string(want)+`}` {
			t.Errorf("%v: got %s, want {\"n\":%s}", f, got, want)
		}
	}
	for _, f := range []float64{math.NaN(), math.Inf(1)} {
		if _, err := (&Token{Extra: map[string]any{"n": f}}).MarshalJSON(); err == nil {
			t.Errorf("%v: no error", f)
		}
	}
}
