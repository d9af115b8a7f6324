package interop_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/authgo/authgo/internal/cookie"
	"github.com/authgo/authgo/internal/csrf"
	"github.com/authgo/authgo/jwt"
)

const (
	secretA   = "interop-secret-a-0123456789abcdef0123456789abcdef"
	secretOld = "interop-secret-old-0123456789abcdef0123456789abcdef"
	secretNew = "interop-secret-new-0123456789abcdef0123456789abcdef"
	secretUni = "ключ-🔑-sécret-0123456789abcdef0123456789abcdef"

	saltHTTP   = "authjs.session-token"
	saltHTTPS  = "__Secure-authjs.session-token"
	saltCustom = "my-app.session"
)

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// tokCase encodes one payload on both sides (Node's encode and Go's) and
// decodes both tokens on both sides, with want as the expected outcome.
type tokCase struct {
	name    string
	payload map[string]any
	enc     []string // encode secrets, newest first
	salt    string   // encode salt
	dec     []string // decode secrets; nil means enc
	decSalt string   // decode salt; "" means salt
	// exp is where "exp" must land, relative to now; 0 means 30 days.
	// Node gets it as maxAge; Go gets it by moving the clock.
	exp    time.Duration
	tamper func(string) string // applied to both tokens before decoding
	want   bool                // both sides decode both tokens
	empty  bool                // both sides answer "no session"
	codec  bool                // Go side through a Codec, not jwt.Encode/Decode
	// sameLen: both encoders must produce tokens of the same length
	// (only for payloads both sides serialise byte for byte alike).
	sameLen bool
	chunks  int // >0: the token must split into this many cookies
}

func (c *tokCase) decSecrets() []string {
	if c.dec != nil {
		return c.dec
	}
	return c.enc
}

func (c *tokCase) dSalt() string {
	if c.decSalt != "" {
		return c.decSalt
	}
	return c.salt
}

func (c *tokCase) expOffset() time.Duration {
	if c.exp == 0 {
		return jwt.DefaultMaxAge
	}
	return c.exp
}

// nodeSecret passes one secret as a string and several as an array, as an
// Auth.js config would.
func nodeSecret(s []string) any {
	if len(s) == 1 {
		return s[0]
	}
	return s
}

func clone(m map[string]any) map[string]any {
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		panic(err)
	}
	return out
}

// claimsOf is a Go token as the JSON object it encodes to.
func claimsOf(t *testing.T, tok *jwt.Token) map[string]any {
	t.Helper()
	b, err := tok.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return m
}

func tokenFrom(t *testing.T, m map[string]any) *jwt.Token {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	tok := new(jwt.Token)
	if err := tok.UnmarshalJSON(b); err != nil {
		t.Fatalf("payload %s: %v", b, err)
	}
	return tok
}

func goEncode(t *testing.T, c *tokCase, now time.Time) string {
	t.Helper()
	tok := tokenFrom(t, c.payload)
	// Go's encoder has no negative lifetime: move its clock instead, so
	// that exp lands where Node's maxAge puts it.
	clock := func() time.Time { return now.Add(c.expOffset() - jwt.DefaultMaxAge) }
	if c.codec {
		codec, err := jwt.NewCodec(jwt.Options{Secrets: c.enc, Now: clock, Salts: []string{c.salt}})
		if err != nil {
			t.Fatal(err)
		}
		s, err := codec.Encode(c.salt, tok, 0)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s, err := jwt.Encode(jwt.EncodeParams{Token: tok, Secrets: c.enc, Salt: c.salt, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// goDecode decodes on a clock one second after now, when the tokens were
// made, so the time cases (5 s expired: tolerated) mean the same on a
// loaded machine where the Node round trips take many seconds.
func goDecode(c *tokCase, token string, now time.Time) (*jwt.Token, error) {
	clock := func() time.Time { return now.Add(time.Second) }
	if c.codec {
		codec, err := jwt.NewCodec(jwt.Options{Secrets: c.decSecrets(), Now: clock})
		if err != nil {
			return nil, err
		}
		return codec.Decode(c.dSalt(), token)
	}
	return jwt.Decode(jwt.DecodeParams{Token: token, Secrets: c.decSecrets(), Salt: c.dSalt(), Now: clock})
}

// Tampering, applied to a token both sides made.

func segments(tok string) []string { return strings.Split(tok, ".") }

// flip changes one base64url character in the middle of segment i, which
// always changes the bytes it encodes.
func flip(i int) func(string) string {
	return func(tok string) string {
		s := segments(tok)
		if len(s) != 5 || len(s[i]) < 4 {
			return tok + "x"
		}
		seg := []byte(s[i])
		k := len(seg) / 2
		if seg[k] == 'A' {
			seg[k] = 'B'
		} else {
			seg[k] = 'A'
		}
		s[i] = string(seg)
		return strings.Join(s, ".")
	}
}

func withHeader(h string) func(string) string {
	return func(tok string) string {
		s := segments(tok)
		s[0] = base64.RawURLEncoding.EncodeToString([]byte(h))
		return strings.Join(s, ".")
	}
}

// rewriteHeader re-encodes the token's own header after edit, keeping kid.
func rewriteHeader(edit func(map[string]any)) func(string) string {
	return func(tok string) string {
		s := segments(tok)
		b, err := base64.RawURLEncoding.DecodeString(s[0])
		if err != nil {
			return tok + "x"
		}
		var h map[string]any
		json.Unmarshal(b, &h)
		edit(h)
		nb, _ := json.Marshal(h)
		s[0] = base64.RawURLEncoding.EncodeToString(nb)
		return strings.Join(s, ".")
	}
}

var (
	defaultPayload = map[string]any{
		"name": "Alice", "email": "alice@example.com", "picture": "https://example.com/alice.png", "sub": "user-1",
	}
	unicodePayload = map[string]any{
		"name":  "😀 Zoë 👩‍👩‍👧‍👦 🇺🇦",
		"email": "zoë@exämple.com",
		"sub":   "ユーザー-１",
		"rtl":   "مرحبا بالعالم — עברית \u200f(rtl)\u200e",
		"seps":  "line\u2028para\u2029end",
		"comb":  "e\u0301 a\u030a n\u0303 \u0915\u094d\u0937 Z\u0351\u0358",
		"ctrl":  "tab\tnl\ncr\r\"q\" \\ \u0000 \u001f \u007f",
		"html":  "<script>alert('&amp;')</script>",
		"astr":  "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 \U0010FFFD",
	}
	typesPayload = map[string]any{
		"sub":      "user-1",
		"nested":   map[string]any{"a": []any{1, []any{2, []any{3, map[string]any{"b": nil}}}}, "o": map[string]any{"p": map[string]any{"q": true}}},
		"pi":       3.141592653589793,
		"sum":      0.30000000000000004,
		"neg":      -2.5,
		"tiny":     1e-7,
		"denormal": 5e-324,
		"huge":     1.7976931348623157e308,
		"big":      1e21,
		"null":     nil,
		"maxSafe":  9007199254740991,
		"minSafe":  -9007199254740991,
		"zero":     0,
		"bools":    []any{true, false},
		"emptyObj": map[string]any{},
		"emptyArr": []any{},
		"strs":     []any{"", " ", "0"},
		"picture":  nil, // Auth.js writes this for an OAuth user without an avatar
		"name":     nil,
		"roles":    []any{"admin", map[string]any{"scope": "read"}},
	}
	emptyStrings = map[string]any{"sub": "u", "name": "", "email": "", "picture": "", "extra": ""}
	largePayload = map[string]any{
		"name": strings.Repeat("x", 5000), "email": "big@example.com", "sub": "user-big",
	}
	hugePayload = map[string]any{
		"name": strings.Repeat("é😀", 600), "email": "huge@example.com", "sub": "user-huge",
		"blob": strings.Repeat("0123456789", 300),
	}
)

func tokCases() []*tokCase {
	one := []string{secretA}
	rot := []string{secretNew, secretOld}
	return []*tokCase{
		// Default claims under each salt.
		{name: "default/http", payload: defaultPayload, enc: one, salt: saltHTTP, want: true, sameLen: true},
		{name: "default/https", payload: defaultPayload, enc: one, salt: saltHTTPS, want: true, sameLen: true, codec: true},
		{name: "default/custom-salt", payload: defaultPayload, enc: one, salt: saltCustom, want: true, sameLen: true, codec: true},
		{name: "empty-payload", payload: map[string]any{}, enc: one, salt: saltHTTP, want: true, sameLen: true},
		{name: "unicode-secret", payload: defaultPayload, enc: []string{secretUni}, salt: saltHTTP, want: true, sameLen: true},
		{name: "maxAge-1h", payload: defaultPayload, enc: one, salt: saltHTTP, exp: time.Hour, want: true, sameLen: true},

		// Salts must match.
		{name: "salt/http-token-under-https", payload: defaultPayload, enc: one, salt: saltHTTP, decSalt: saltHTTPS},
		{name: "salt/https-token-under-http", payload: defaultPayload, enc: one, salt: saltHTTPS, decSalt: saltHTTP},
		{name: "salt/custom-token-under-http", payload: defaultPayload, enc: one, salt: saltCustom, decSalt: saltHTTP, codec: true},
		{name: "wrong-secret", payload: defaultPayload, enc: one, salt: saltHTTP, dec: []string{secretNew}},
		{name: "wrong-secret/https", payload: defaultPayload, enc: one, salt: saltHTTPS, dec: []string{secretOld, secretNew}, codec: true},

		// Rotation: the first secret encrypts, kid picks the decrypting one.
		{name: "rotation/old-token-new-list", payload: defaultPayload, enc: []string{secretOld}, salt: saltHTTP, dec: rot, want: true},
		{name: "rotation/old-token-new-list-codec", payload: defaultPayload, enc: []string{secretOld}, salt: saltHTTPS, dec: rot, want: true, codec: true},
		{name: "rotation/old-token-reversed-list", payload: defaultPayload, enc: []string{secretOld}, salt: saltHTTP, dec: []string{secretOld, secretNew}, want: true},
		{name: "rotation/old-removed", payload: defaultPayload, enc: []string{secretOld}, salt: saltHTTP, dec: []string{secretNew}},
		{name: "rotation/list-encrypts-with-first", payload: defaultPayload, enc: rot, salt: saltHTTP, dec: []string{secretNew}, want: true, sameLen: true},
		{name: "rotation/list-not-with-second", payload: defaultPayload, enc: rot, salt: saltHTTP, dec: []string{secretOld}},

		// Payloads.
		{name: "unicode", payload: unicodePayload, enc: one, salt: saltHTTP, want: true},
		{name: "json-types", payload: typesPayload, enc: one, salt: saltHTTP, want: true},
		{name: "empty-strings", payload: emptyStrings, enc: one, salt: saltHTTP, want: true, sameLen: true},
		{name: "chunked/2", payload: largePayload, enc: one, salt: saltHTTP, want: true, sameLen: true, chunks: 2},
		{name: "chunked/3-unicode", payload: hugePayload, enc: rot, salt: saltHTTP, want: true, chunks: 3},

		// Time claims, with Auth.js's 15 s tolerance.
		{name: "time/expired-60s", payload: defaultPayload, enc: one, salt: saltHTTP, exp: -time.Minute},
		{name: "time/expired-5s-tolerated", payload: defaultPayload, enc: one, salt: saltHTTP, exp: -5 * time.Second, want: true},
		{name: "time/nbf-future", payload: map[string]any{"sub": "u", "nbf": time.Now().Unix() + 120}, enc: one, salt: saltHTTP},
		{name: "time/nbf-future-tolerated", payload: map[string]any{"sub": "u", "nbf": time.Now().Unix() + 5}, enc: one, salt: saltHTTP, want: true},
		{name: "time/nbf-past", payload: map[string]any{"sub": "u", "nbf": time.Now().Unix() - 60}, enc: one, salt: saltHTTP, want: true},
		{name: "time/payload-iat-exp-jti-replaced", payload: map[string]any{"sub": "u", "iat": 1, "exp": 2, "jti": "mine"}, enc: one, salt: saltHTTP, want: true},

		// Tampering.
		{name: "tamper/ciphertext", payload: defaultPayload, enc: one, salt: saltHTTP, tamper: flip(3)},
		{name: "tamper/tag", payload: defaultPayload, enc: one, salt: saltHTTP, tamper: flip(4)},
		{name: "tamper/iv", payload: defaultPayload, enc: one, salt: saltHTTP, tamper: flip(2)},
		{name: "tamper/header-kid", payload: defaultPayload, enc: one, salt: saltHTTP, tamper: flip(0)},
		{name: "tamper/header-enc-gcm", payload: defaultPayload, enc: one, salt: saltHTTP,
			tamper: rewriteHeader(func(h map[string]any) { h["enc"] = "A256GCM" })},
		{name: "tamper/header-kid-removed", payload: defaultPayload, enc: rot, salt: saltHTTP, dec: []string{secretOld, secretNew},
			tamper: rewriteHeader(func(h map[string]any) { delete(h, "kid") })},
		{name: "tamper/alg-none", payload: defaultPayload, enc: one, salt: saltHTTP, tamper: withHeader(`{"alg":"none"}`)},
		{name: "tamper/alg-A256KW", payload: defaultPayload, enc: one, salt: saltHTTP,
			tamper: rewriteHeader(func(h map[string]any) { h["alg"] = "A256KW" })},
		{name: "tamper/encrypted-key", payload: defaultPayload, enc: one, salt: saltHTTP, tamper: func(s string) string {
			p := segments(s)
			p[1] = "AAAAAAAAAAAAAAAAAAAAAA"
			return strings.Join(p, ".")
		}},
		{name: "tamper/truncated", payload: defaultPayload, enc: one, salt: saltHTTP, tamper: func(s string) string {
			return s[:strings.LastIndexByte(s, '.')]
		}},
		{name: "tamper/dropped-char", payload: defaultPayload, enc: one, salt: saltHTTP, tamper: func(s string) string { return s[:len(s)-1] }},
		{name: "tamper/garbage", payload: defaultPayload, enc: one, salt: saltHTTP, tamper: func(string) string { return "not-a-token" }},
		{name: "tamper/swapped-ciphertext", payload: defaultPayload, enc: one, salt: saltHTTP, tamper: func(s string) string {
			p := segments(s)
			p[3] = p[3][len(p[3])/2:] + p[3][:len(p[3])/2]
			return strings.Join(p, ".")
		}},
		{name: "empty-token", payload: defaultPayload, enc: one, salt: saltHTTP, tamper: func(string) string { return "" }, empty: true},
	}
}

// TestTokens encodes each case in Node and in Go and decodes every token in
// both, in two node processes: one for Node's encodes and its decodes of
// the Go tokens, one for its decodes of its own (possibly tampered) tokens.
func TestTokens(t *testing.T) {
	nodeAvailable(t)
	t.Parallel()
	cases := tokCases()
	now := time.Now()

	goTok := make([]string, len(cases))
	var ops []op
	for i, c := range cases {
		goTok[i] = goEncode(t, c, now)
		ma := int64(c.expOffset() / time.Second)
		enc := op{Op: "encode", Secret: nodeSecret(c.enc), Salt: c.salt, Token: c.payload}
		if c.exp != 0 {
			enc.MaxAge = &ma
		}
		tok := goTok[i]
		if c.tamper != nil {
			tok = c.tamper(tok)
		}
		ops = append(ops, enc, op{Op: "decode", Secret: nodeSecret(c.decSecrets()), Salt: c.dSalt(), Token: tok})
	}
	first := runJWT(t, ops)

	nodeTok := make([]string, len(cases))
	ops = ops[:0]
	for i, c := range cases {
		r := first[2*i]
		if !r.OK {
			t.Fatalf("%s: node encode: %s", c.name, r.Error)
		}
		nodeTok[i] = r.Token
		tok := r.Token
		if c.tamper != nil {
			tok = c.tamper(tok)
		}
		ops = append(ops, op{Op: "decode", Secret: nodeSecret(c.decSecrets()), Salt: c.dSalt(), Token: tok})
	}
	second := runJWT(t, ops)

	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ng, gg := nodeTok[i], goTok[i]
			if c.tamper != nil {
				ng, gg = c.tamper(ng), c.tamper(gg)
			}
			type outcome struct {
				who    string
				claims map[string]any
				err    string
			}
			var outs []outcome
			for _, d := range []struct {
				who, tok string
			}{{"Go decoding Node's token", ng}, {"Go decoding Go's token", gg}} {
				tok, err := goDecode(c, d.tok, now)
				switch {
				case err != nil:
					if !errors.Is(err, jwt.ErrInvalid) {
						t.Errorf("%s: error %v does not wrap jwt.ErrInvalid", d.who, err)
					}
					outs = append(outs, outcome{who: d.who, err: err.Error()})
				case tok == nil:
					outs = append(outs, outcome{who: d.who})
				default:
					outs = append(outs, outcome{who: d.who, claims: claimsOf(t, tok)})
				}
			}
			for _, d := range []struct {
				who string
				r   result
			}{{"Node decoding Node's token", second[i]}, {"Node decoding Go's token", first[2*i+1]}} {
				if d.r.OK {
					outs = append(outs, outcome{who: d.who, claims: d.r.Payload})
				} else {
					outs = append(outs, outcome{who: d.who, err: d.r.Error})
				}
			}

			for _, o := range outs {
				switch {
				case c.empty:
					if o.err != "" || o.claims != nil {
						t.Errorf("%s: empty token gave %v %q, want no session", o.who, o.claims, o.err)
					}
				case c.want && o.err != "":
					t.Errorf("%s: refused: %s", o.who, o.err)
				case c.want && o.claims == nil:
					t.Errorf("%s: no claims", o.who)
				case !c.want && o.err == "":
					t.Errorf("%s: accepted, want refusal; claims %v", o.who, o.claims)
				}
			}
			if !c.want || t.Failed() {
				return
			}
			// Both decoders see the same claims in each token.
			if !reflect.DeepEqual(outs[0].claims, outs[2].claims) {
				t.Errorf("Node's token: Go and Node disagree\n  Go: %s\nNode: %s", js(outs[0].claims), js(outs[2].claims))
			}
			if !reflect.DeepEqual(outs[1].claims, outs[3].claims) {
				t.Errorf("Go's token: Go and Node disagree\n  Go: %s\nNode: %s", js(outs[1].claims), js(outs[3].claims))
			}
			// And they are the payload plus fresh iat, exp and jti.
			for _, o := range outs[:2] {
				checkClaims(t, o.who, c, o.claims, now)
			}
			if c.tamper == nil {
				if h1, h2 := segments(nodeTok[i])[0], segments(goTok[i])[0]; h1 != h2 {
					t.Errorf("protected headers differ:\nNode %s\n  Go %s", b64(h1), b64(h2))
				}
			}
			if c.sameLen && len(nodeTok[i]) != len(goTok[i]) {
				t.Errorf("token lengths differ: Node %d, Go %d", len(nodeTok[i]), len(goTok[i]))
			}
			if c.chunks > 0 {
				checkChunks(t, c, "Node's", nodeTok[i], outs[0].claims)
				checkChunks(t, c, "Go's", goTok[i], outs[1].claims)
			}
		})
	}
}

func checkClaims(t *testing.T, who string, c *tokCase, got map[string]any, now time.Time) {
	t.Helper()
	want := clone(c.payload)
	for _, k := range []string{"iat", "exp", "jti"} {
		if v, ok := got[k]; ok {
			want[k] = v
		} else {
			t.Errorf("%s: no %s claim", who, k)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: claims are not the payload plus iat/exp/jti\n got %s\nwant %s", who, js(got), js(want))
	}
	exp, _ := got["exp"].(float64)
	iat, _ := got["iat"].(float64)
	// Node's clock starts when its process does: allow for a slow start.
	const slack = 30
	if d := time.Duration(exp-float64(now.Unix()))*time.Second - c.expOffset(); d < -5*time.Second || d > slack*time.Second {
		t.Errorf("%s: exp %v is %v off now%+v", who, exp, d, c.expOffset())
	}
	if iat > float64(now.Unix()+slack) || iat < float64(now.Unix())+(c.expOffset()-jwt.DefaultMaxAge).Seconds()-5 {
		t.Errorf("%s: iat %v, exp %v", who, iat, exp)
	}
	if jti, _ := got["jti"].(string); !uuidV4.MatchString(jti) || jti == c.payload["jti"] {
		t.Errorf("%s: jti %q is not a fresh v4 UUID", who, jti)
	}
}

// checkChunks splits a long token the way authgo writes cookies, checks
// the Auth.js chunk layout, and reads it back through cookie.ReadChunked
// and Codec.GetToken with the chunks in scrambled order.
func checkChunks(t *testing.T, c *tokCase, who, tok string, want map[string]any) {
	t.Helper()
	pairs := cookie.Split(c.salt, tok)
	if len(pairs) != c.chunks || len(pairs) != (len(tok)+cookie.ChunkSize-1)/cookie.ChunkSize {
		t.Fatalf("%s token of %d chars split into %d cookies, want %d", who, len(tok), len(pairs), c.chunks)
	}
	for i, p := range pairs {
		wantLen := cookie.ChunkSize
		if i == len(pairs)-1 {
			wantLen = len(tok) - cookie.ChunkSize*i
		}
		if p.Name != fmt.Sprintf("%s.%d", c.salt, i) || len(p.Value) != wantLen {
			t.Errorf("%s chunk %d: %s (%d chars), want %d chars", who, i, p.Name, len(p.Value), wantLen)
		}
	}
	perm := rand.Perm(len(pairs))
	var hdr []string
	var jar cookie.Jar
	for _, k := range perm {
		hdr = append(hdr, pairs[k].Name+"="+pairs[k].Value)
		jar = append(jar, pairs[k])
	}
	v, present, err := cookie.ReadChunked(jar, c.salt)
	if err != nil || v != tok || len(present) != len(pairs) {
		t.Fatalf("%s: ReadChunked = %d chars, %v, %v", who, len(v), present, err)
	}
	codec, err := jwt.NewCodec(jwt.Options{Secrets: c.decSecrets()})
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "http://example.test/", nil)
	r.Header.Set("Cookie", strings.Join(hdr, "; "))
	got, err := codec.GetToken(r, &jwt.GetTokenOptions{CookieName: c.salt})
	if err != nil || got == nil {
		t.Fatalf("%s: GetToken from %d chunks: %v, %v", who, len(pairs), got, err)
	}
	if m := claimsOf(t, got); !reflect.DeepEqual(m, want) {
		t.Errorf("%s: GetToken claims differ from Decode's", who)
	}
}

func js(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 600 {
		return string(b[:600]) + "…"
	}
	return string(b)
}

func b64(seg string) string {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return seg
	}
	return string(b)
}

// TestCSRFHash checks Go's CSRF cookies against the ones Auth.js computes
// (sha256(token + secret), where an array secret is joined by commas), in
// one node process. With one secret both make the same cookie. With
// several, Go mints with the newest alone (so adding a secret breaks no
// outstanding token; next-auth with AUTH_SECRET alone does the same) and
// accepts a hash made with any one secret or with the joined list, so it
// trusts Auth.js's cookies either way.
func TestCSRFHash(t *testing.T) {
	nodeAvailable(t)
	t.Parallel()
	const (
		transcriptSecret = "harness-secret-0123456789abcdef0123456789abcdef"
		transcriptToken  = "f4189ebf05c142b4b0f071f34e59b45b3830d767154484b3cad510377617e2eb"
		transcriptHash   = "6626cb5320b6846cd622540be772e692c4f754360eb0499bd1bd10885513a9cb"
	)
	lists := [][]string{
		{secretA},
		{secretNew, secretOld},
		{secretNew, secretOld, secretA},
		{secretUni},
	}
	type pending struct {
		secrets     []string
		token, want string // want: Go's cookie value
	}
	var ps []pending
	var ops []op
	for _, l := range lists {
		tok, val := csrf.New(csrf.Secret(l))
		ps = append(ps, pending{l, tok, val})
		ops = append(ops, op{Op: "csrf", Secret: nodeSecret(l), Token: tok})
	}
	// Node's hash of a token Go never saw, for Go to verify; and the
	// rotated list hashed with only its first secret, which passes too.
	nodeOnly := strings.Repeat("0123456789abcdef", 4)
	ops = append(ops,
		op{Op: "csrf", Secret: transcriptSecret, Token: transcriptToken},
		op{Op: "csrf", Secret: []string{secretNew, secretOld}, Token: nodeOnly},
		op{Op: "csrf", Secret: secretNew, Token: nodeOnly},
	)
	res := runJWT(t, ops)
	for i, p := range ps {
		r := res[i]
		if len(p.secrets) == 1 && (!r.OK || r.Cookie != p.want) {
			t.Errorf("secrets %q: Node cookie %q, Go cookie %q (%s)", p.secrets, r.Cookie, p.want, r.Error)
		}
		if tok, ok := csrf.Verify(r.Cookie, csrf.Secret(p.secrets)); !ok || tok != p.token {
			t.Errorf("secrets %q: Go refuses Node's cookie", p.secrets)
		}
		if len(p.secrets) > 1 {
			// Go's cookie is Node's hash under the newest secret alone.
			k := csrf.Secret(p.secrets[:1])
			if tok, ok := csrf.Verify(p.want, k); !ok || tok != p.token {
				t.Errorf("secrets %q: Go's cookie %q is not hashed with the newest secret alone", p.secrets, p.want)
			}
		}
	}
	n := len(ps)
	if r := res[n]; r.Hash != transcriptHash {
		t.Errorf("transcript hash: Node %q, want %q", r.Hash, transcriptHash)
	}
	if tok, ok := csrf.Verify(transcriptToken+"|"+transcriptHash, csrf.Secret([]string{transcriptSecret})); !ok || tok != transcriptToken {
		t.Error("Go refuses the recorded Auth.js CSRF cookie")
	}
	rotated := csrf.Secret([]string{secretNew, secretOld})
	if tok, ok := csrf.Verify(res[n+1].Cookie, rotated); !ok || tok != nodeOnly {
		t.Errorf("Go refuses Node's rotated-secret cookie %q", res[n+1].Cookie)
	}
	if tok, ok := csrf.Verify(res[n+2].Cookie, rotated); !ok || tok != nodeOnly {
		t.Error("Go refuses a cookie hashed with the newest secret alone (next-auth with AUTH_SECRET alone, or an instance that has not learnt the old one)")
	}
	if _, ok := csrf.Verify(res[n+1].Cookie, csrf.Secret([]string{secretNew})); ok {
		t.Error("Go accepts a rotated-list cookie under the first secret alone")
	}
}
