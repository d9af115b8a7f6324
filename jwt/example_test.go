package jwt_test

import (
	"fmt"
	"log"
	"net/http/httptest"
	"time"

	"github.com/authgo/authgo/jwt"
)

// A Go API behind a Next.js front end reads the session cookie the Next.js
// app set, with the same AUTH_SECRET.
func ExampleCodec_GetToken() {
	codec, err := jwt.NewCodec(jwt.Options{Secrets: []string{"the-AUTH_SECRET-of-the-next-js-app"}})
	if err != nil {
		log.Fatal(err)
	}
	// What the Next.js app would have set at sign-in:
	cookie, _ := codec.Encode(jwt.CookieName, &jwt.Token{Subject: "user-1", Email: "alice@example.com"}, 0)

	r := httptest.NewRequest("GET", "/api/orders", nil)
	r.Header.Set("Cookie", jwt.CookieName+"="+cookie)
	tok, err := codec.GetToken(r, nil)
	if err != nil {
		log.Fatal(err) // a cookie was sent but is invalid
	}
	fmt.Println(tok.Subject, tok.Email)
	// Output: user-1 alice@example.com
}

func ExampleDecode() {
	now := func() time.Time { return time.Date(2026, 11, 26, 15, 9, 50, 0, time.UTC) }
	// Made by the real @auth/core 0.41.3 (testdata/jwe-session.json, "plain-http").
	const token = "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2Q0JDLUhTNTEyIiwia2lkIjoidWI4WVBmVGVJZU9TSFZoU0xKVDNIN1Q0Qy1aVTBUcE9SQWdVUVYxOUc4Sm5Vanl0UVNvM2lzY2tDck1VcXMwclJYRmZBcUgyYXRrbGJHV1BhYl9xdEEifQ..3NyT7Vl-pdYwzsD6LT3tPg.gEkiDIJuKC0SNVNVX160YUpIOdrrEcVZdOcY313pBZLxwhiTOSI7ySaoYhxafdkJpKTefh-CwUg9nC3lxJjSKTwMwMWFUaS7f42gmfq_mVcj7p32h9tJ4YVpX4M8NCAGoXZBqLs7B89myKNI-2Uyq5dQuYslOLUOBCx6bJKjyefTZygGnQzs-G1z3WFOLCRBLCVaGcHkXimDSu6vbiwcsMF5QX6rJmJA5bU3WWE9CXB2VEQrp-DaQz6_FsgZYJ1T.JBAJGptvtwppUU55dSY0eqexbDjgP9myZBUjgMcXVCM"
	tok, err := jwt.Decode(jwt.DecodeParams{
		Token:   token,
		Secrets: []string{"vector-secret-primary-6a1f0e2c9b8d7a6f5e4d3c2b1a098765"},
		Salt:    jwt.CookieName,
		Now:     now,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tok.Name, tok.Subject, tok.ExpiresAt)
	// Output: Alice Example user-0001 4102444800
}
