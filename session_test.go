package authgo_test

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestSignedJWTRefused: a signed (not encrypted) token, whatever key
// signed it, or an unsecured one, opens no session: as a cookie, split
// into chunks, or as a bearer token.
func TestSignedJWTRefused(t *testing.T) {
	a := guarded(t, nil)
	h := routers(a)["ServeMux"]
	payload := `{"sub":"admin","name":"Admin","exp":9999999999}`
	// The session key itself, derived as Auth.js derives it.
	hkdfKey, err := hkdf.Key(sha256.New, []byte(testSecret), []byte("authjs.session-token"), "Auth.js Generated Encryption Key (authjs.session-token)", 64)
	if err != nil {
		t.Fatal(err)
	}
	tokens := map[string]string{
		"none":       base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`)) + "." + base64.RawURLEncoding.EncodeToString([]byte(payload)) + ".",
		"raw secret": signedJWT(payload, []byte(testSecret)),
		"hkdf key":   signedJWT(payload, hkdfKey),
	}
	for name, tok := range tokens {
		half := len(tok) / 2
		for form, hdr := range map[string][2]string{
			"cookie": {"Cookie", "authjs.session-token=" + tok},
			"chunks": {"Cookie", "authjs.session-token.0=" + tok[:half] + "; authjs.session-token.1=" + tok[half:]},
			"bearer": {"Authorization", "Bearer " + tok},
		} {
			c := newClient(t, h)
			if r := c.get(O+"/auth/session", hdr[0], hdr[1]); r.body != "null" {
				t.Errorf("%s as %s: session %s", name, form, r.body)
			}
			if r := c.get(O+"/mypage/a", hdr[0], hdr[1]); r.StatusCode != http.StatusFound || strings.Contains(r.body, secretPage) {
				t.Errorf("%s as %s: protected page %d", name, form, r.StatusCode)
			}
			req := httptest.NewRequest("GET", O+"/x", nil)
			req.Header.Set(hdr[0], hdr[1])
			if s, _ := a.Session(req); s != nil {
				t.Errorf("%s as %s: Session(r) = %v", name, form, s)
			}
		}
	}
}

// signedJWT makes an HS256 JWS with key.
func signedJWT(payload string, key []byte) string {
	enc := base64.RawURLEncoding.EncodeToString
	head := enc([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc([]byte(payload))
	m := hmac.New(sha256.New, key)
	m.Write([]byte(head))
	return head + "." + enc(m.Sum(nil))
}
