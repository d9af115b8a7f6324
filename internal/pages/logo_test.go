package pages

import (
	"bytes"
	"encoding/base64"
	stdhtml "html"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"
)

func testImage() image.Image {
	m := image.NewRGBA(image.Rect(0, 0, 4, 4))
	for i := range 4 {
		m.Set(i, i, color.RGBA{0x4f, 0x46, 0xe5, 0xff})
	}
	return m
}

func testPNG(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, testImage()); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestLogoType(t *testing.T) {
	var jpg, gf bytes.Buffer
	if err := jpeg.Encode(&jpg, testImage(), nil); err != nil {
		t.Fatal(err)
	}
	if err := gif.Encode(&gf, testImage(), nil); err != nil {
		t.Fatal(err)
	}
	webp := []byte("RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00\x30\x01\x00\x9d\x01\x2a\x01\x00\x01\x00\x02\x00\x34\x25\xa4\x00\x03\x70\x00\xfe\xfb\x94\x00\x00")
	const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10"/></svg>`
	tests := []struct {
		name string
		in   []byte
		want string // "" for an error
	}{
		{"png", testPNG(t), "image/png"},
		{"jpeg", jpg.Bytes(), "image/jpeg"},
		{"gif", gf.Bytes(), "image/gif"},
		{"webp", webp, "image/webp"},
		{"svg", []byte(svg), "image/svg+xml"},
		{"svg with declaration", []byte(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + svg), "image/svg+xml"},
		{"svg with comment and doctype", []byte("\ufeff<!-- logo -->\n<!DOCTYPE svg>\n" + svg), "image/svg+xml"},
		{"svg with script", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), "image/svg+xml"},
		{"empty", nil, ""},
		{"too big", append(testPNG(t), make([]byte, MaxLogoSize)...), ""},
		{"html", []byte(`<html><body><svg></svg></body></html>`), ""},
		{"text", []byte("hello"), ""},
		{"text then svg", []byte("hello " + svg), ""},
		{"other xml", []byte(`<?xml version="1.0"?><rss></rss>`), ""},
		{"pdf", []byte("%PDF-1.7\n"), ""},
		{"ico", []byte("\x00\x00\x01\x00\x01\x00\x10\x10"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LogoType(tt.in)
			if got != tt.want || (err == nil) != (tt.want != "") {
				t.Errorf("LogoType = %q, %v; want %q", got, err, tt.want)
			}
			html := page(t, func(b *bytes.Buffer) error { return SignOut(b, SignOutData{Brand: Brand{Logo: tt.in}}) })
			img := `<img class="logo" src="data:` + tt.want + `;base64,` + base64.StdEncoding.EncodeToString(tt.in) + `" alt="">`
			if tt.want == "" {
				if strings.Contains(html, `class="logo"`) || !strings.Contains(html, `<svg width="26"`) {
					t.Error("a refused logo is shown, or the built-in mark is not")
				}
				return
			}
			if !strings.Contains(stdhtml.UnescapeString(html), img) {
				t.Errorf("page lacks %.80s…", img)
			}
			if strings.Contains(html, `<svg width="26"`) {
				t.Error("the built-in mark is shown next to the logo")
			}
			if strings.Contains(html, "<script") || strings.Contains(html, "<rect") {
				t.Error("the logo's markup is inlined")
			}
		})
	}
}

// The policy lets the page show data: images, the logo among them.
func TestContentSecurityPolicyImages(t *testing.T) {
	csp := ContentSecurityPolicy(Brand{Logo: testPNG(t)})
	for _, d := range strings.Split(csp, ";") {
		f := strings.Fields(d)
		if len(f) > 0 && f[0] == "img-src" {
			for _, s := range f[1:] {
				if s == "data:" {
					return
				}
			}
		}
	}
	t.Errorf("policy %q does not allow data: images", csp)
}
